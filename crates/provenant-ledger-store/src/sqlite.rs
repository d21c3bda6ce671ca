//! The embedded `SQLite` store.
//!
//! One database file in WAL mode with `synchronous=FULL`: a batch is one `BEGIN IMMEDIATE` transaction,
//! so the sequencer (the writer holding `SQLite`'s write lock) reads the tree's size, assigns the next
//! indexes in order and writes entries, node hashes and index keys; [`SqliteStore::append`] returns
//! only after the commit, which with `synchronous=FULL` has been fsynced. Several processes may append
//! to one file: `SQLite` serialises their transactions (waiting up to the busy timeout).
//!
//! Immutability is enforced twice: this module never issues `UPDATE` or `DELETE` on entries except the
//! redaction (content and index keys to `NULL`, leaf hash kept), and triggers in the schema abort any
//! other change to entries, node hashes or checkpoints, whoever connects to the file.
//!
//! Torn writes: `SQLite`'s WAL frames carry checksums, and on open an incomplete tail of the WAL (a commit
//! that was being written when the process or machine died) is discarded, leaving the last complete
//! commit. [`SqliteStore::open`] then checks the ledger's invariants (entries numbered without gaps, one
//! set of node hashes per entry, the last leaf hash stored, the latest checkpoint's root recomputed) and
//! refuses a database that breaks them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use provenant_attest::Statement;
use provenant_digest::{Algorithm, Digest};
use provenant_ledger::entry::{EntryKeys, TermKind};
use provenant_ledger::tree::{self, HashSource};
use provenant_ledger::{Checkpoint, Hash, leaf_hash};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::batch::{Overlay, needed_before};
use crate::error::StoreError;
use crate::redaction;
use crate::store::{Appended, Entry, LedgerStore, Query};

/// Largest blob stored (pipeline logs and the like).
pub const MAX_BLOB_BYTES: usize = 256 << 20;

/// How long a writer waits for another's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_mins(1);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    time INTEGER NOT NULL,
    content BLOB,
    predicate_type TEXT,
    commit_sha TEXT,
    environment TEXT,
    pipeline_run TEXT,
    actor TEXT,
    redacted_by INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS entries_predicate_type ON entries (predicate_type);
CREATE INDEX IF NOT EXISTS entries_commit ON entries (commit_sha);
CREATE INDEX IF NOT EXISTS entries_environment ON entries (environment);
-- What an environment runs now (the newest deployment or rollback there) without visiting every record
-- of the environment: the rowid (idx) follows the two columns.
CREATE INDEX IF NOT EXISTS entries_environment_type ON entries (environment, predicate_type);
CREATE INDEX IF NOT EXISTS entries_pipeline_run ON entries (pipeline_run);
CREATE INDEX IF NOT EXISTS entries_actor ON entries (actor);
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE TABLE IF NOT EXISTS subjects (digest TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (digest, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terms (kind TEXT NOT NULL, value TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (kind, value, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL CHECK (length(hash) = 32)) STRICT;
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, content BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note BLOB NOT NULL) STRICT;

CREATE TRIGGER IF NOT EXISTS entries_never_deleted BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS entries_change_only_by_redaction BEFORE UPDATE ON entries
WHEN NOT (NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash AND NEW.time = OLD.time
          AND OLD.content IS NOT NULL AND NEW.content IS NULL
          AND OLD.redacted_by IS NULL AND NEW.redacted_by IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'ledger entries change only by redaction'); END;
CREATE TRIGGER IF NOT EXISTS subjects_dropped_only_by_redaction BEFORE DELETE ON subjects
WHEN (SELECT redacted_by FROM entries WHERE idx = OLD.idx) IS NULL
BEGIN SELECT RAISE(ABORT, 'index keys are dropped only by redaction'); END;
CREATE TRIGGER IF NOT EXISTS subjects_never_updated BEFORE UPDATE ON subjects
BEGIN SELECT RAISE(ABORT, 'index keys are never changed'); END;
CREATE TRIGGER IF NOT EXISTS terms_dropped_only_by_redaction BEFORE DELETE ON terms
WHEN (SELECT redacted_by FROM entries WHERE idx = OLD.idx) IS NULL
BEGIN SELECT RAISE(ABORT, 'index keys are dropped only by redaction'); END;
CREATE TRIGGER IF NOT EXISTS terms_never_updated BEFORE UPDATE ON terms
BEGIN SELECT RAISE(ABORT, 'index keys are never changed'); END;
CREATE TRIGGER IF NOT EXISTS hashes_never_updated BEFORE UPDATE ON hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are never changed'); END;
CREATE TRIGGER IF NOT EXISTS hashes_never_deleted BEFORE DELETE ON hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_never_updated BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are never changed'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_never_deleted BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are never deleted'); END;
";

/// An entry's row: leaf hash, time, content, redacted by.
type EntryRow = (Vec<u8>, i64, Option<Vec<u8>>, Option<i64>);

/// A ledger in one `SQLite` database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// Node hashes read through a connection (inside a transaction, they include its own writes).
struct ConnHashes<'a>(&'a Connection);

impl HashSource for ConnHashes<'_> {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes(self.0, indexes)
    }
}

fn read_hashes(conn: &Connection, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT hash FROM hashes WHERE id = ?1")
        .map_err(StoreError::backend("reading tree hashes"))?;
    let mut out = Vec::with_capacity(indexes.len());
    for &i in indexes {
        let id = to_i64(i)?;
        let bytes: Option<Vec<u8>> = stmt
            .query_row([id], |r| r.get(0))
            .optional()
            .map_err(StoreError::backend("reading tree hashes"))?;
        let bytes = bytes.ok_or_else(|| StoreError::Corrupt {
            check: format!("tree hash {i} is missing"),
        })?;
        out.push(Hash::from_slice(&bytes).map_err(|_| StoreError::Corrupt {
            check: format!("tree hash {i} is not 32 bytes"),
        })?);
    }
    Ok(out)
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::NoEntry { index: v, size: 0 })
}

fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        check: format!("{what} is negative"),
    })
}

fn size_of(conn: &Connection) -> Result<u64, StoreError> {
    let next: i64 = conn
        .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| r.get(0))
        .map_err(StoreError::backend("reading the ledger's size"))?;
    to_u64(next, "the ledger's size")
}

impl SqliteStore {
    /// Opens (creating when absent, with its directory) the database at `path`, recovers a torn tail and
    /// checks the ledger's invariants.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let store = SqliteStore::open_for_audit(path)?;
        store.check_invariants()?;
        Ok(store)
    }

    /// Opens the database without checking the ledger's invariants (`SQLite`'s own recovery still runs),
    /// for an auditor who checks everything itself and wants each failure named.
    pub fn open_for_audit(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: path.to_path_buf(),
            source: e,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(Box::new(e)))?;
        }
        let conn = Connection::open(path).map_err(|e| open_err(Box::new(e)))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_err(Box::new(e)))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| open_err(Box::new(e)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                check: format!("the database refused WAL mode (it is in {mode} mode)"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| open_err(Box::new(e)))?;
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} COMMIT;"))
            .map_err(|e| open_err(Box::new(e)))?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn meta(&self, key: &str) -> Result<String, StoreError> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(StoreError::backend("reading the ledger's metadata"))?
            .ok_or(StoreError::NotInitialised)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half-applied (it rolls back on
        // drop), so a poisoned lock's connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks what a torn or tampered database would break: entries numbered `0..n` without gaps, node
    /// hashes stored up to exactly those of `n` entries, the last entry's leaf hash among them, and
    /// the latest checkpoint's root equal to the root recomputed at its size.
    pub fn check_invariants(&self) -> Result<(), StoreError> {
        let conn = self.conn();
        let size = size_of(&conn)?;
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .map_err(StoreError::backend("counting entries"))?;
        if to_u64(count, "the entry count")? != size {
            return Err(StoreError::Corrupt {
                check: format!(
                    "entries are not numbered without gaps: {count} entries, highest index {}",
                    size.saturating_sub(1)
                ),
            });
        }
        // The highest node id, not a count: `COUNT(*)` reads every page of the table (thousands at
        // 100,000 entries, on every open). Node hashes are never deleted (a trigger aborts it), and
        // one appended out of sequence or a tail left over moves the highest id; a hash missing inside
        // the tree is caught where it is read (the checkpoint's root below, proofs, `ledger verify`).
        let hash_next: i64 = conn
            .query_row("SELECT COALESCE(MAX(id) + 1, 0) FROM hashes", [], |r| r.get(0))
            .map_err(StoreError::backend("reading the tree hashes' extent"))?;
        let want = tree::stored_hash_count(size);
        if to_u64(hash_next, "the hash count")? != want {
            return Err(StoreError::Corrupt {
                check: format!("{size} entries need {want} tree hashes, {hash_next} are stored"),
            });
        }
        if let Some(last) = size.checked_sub(1) {
            let leaf: Vec<u8> = conn
                .query_row(
                    "SELECT leaf_hash FROM entries WHERE idx = ?1",
                    [to_i64(last)?],
                    |r| r.get(0),
                )
                .map_err(StoreError::backend("reading the last entry"))?;
            let stored = read_hashes(&conn, &[tree::stored_hash_index(0, last)])?;
            if stored.first().map(|h| h.0.as_slice()) != Some(leaf.as_slice()) {
                return Err(StoreError::Corrupt {
                    check: format!("entry {last}'s leaf hash is not the tree's"),
                });
            }
        }
        let latest: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::backend("reading the latest checkpoint"))?;
        if let Some((cp_size, cp_root)) = latest {
            let cp_size = to_u64(cp_size, "a checkpoint size")?;
            if cp_size > size {
                return Err(StoreError::Corrupt {
                    check: format!(
                        "a checkpoint of size {cp_size} was handed out but the ledger has {size} entries"
                    ),
                });
            }
            let root = tree::root(cp_size, &ConnHashes(&conn))?;
            if root.0.as_slice() != cp_root.as_slice() {
                return Err(StoreError::Corrupt {
                    check: format!("the tree of size {cp_size} no longer has the root its checkpoint signed"),
                });
            }
        }
        Ok(())
    }
}

/// Writes a batch at `size..` inside the caller's transaction: the node hashes computed in memory from
/// the few stored hashes the batch needs (read once), each statement prepared once for the batch.
fn insert_batch(
    tx: &Connection,
    size: u64,
    entries: &[Vec<u8>],
    keys: &[EntryKeys],
    time: i64,
) -> Result<Vec<Appended>, StoreError> {
    let needed = needed_before(size, entries.len() as u64);
    let overlay = Overlay::new(needed.iter().copied().zip(read_hashes(tx, &needed)?).collect());
    let mut put_hash = tx
        .prepare_cached("INSERT INTO hashes (id, hash) VALUES (?1, ?2)")
        .map_err(StoreError::backend("writing tree hashes"))?;
    let mut put_entry = tx
        .prepare_cached(
            "INSERT INTO entries (idx, leaf_hash, time, content, predicate_type, commit_sha, environment, pipeline_run, actor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(StoreError::backend("writing an entry"))?;
    let mut put_subject = tx
        .prepare_cached("INSERT OR IGNORE INTO subjects (digest, idx) VALUES (?1, ?2)")
        .map_err(StoreError::backend("writing subject keys"))?;
    let mut put_term = tx
        .prepare_cached("INSERT OR IGNORE INTO terms (kind, value, idx) VALUES (?1, ?2, ?3)")
        .map_err(StoreError::backend("writing term keys"))?;
    let mut out = Vec::with_capacity(entries.len());
    for ((index, bytes), keys) in (size..).zip(entries).zip(keys) {
        let leaf = leaf_hash(bytes);
        for (id, h) in overlay.add(index, leaf)? {
            put_hash
                .execute(params![to_i64(id)?, h.0.as_slice()])
                .map_err(StoreError::backend("writing tree hashes"))?;
        }
        let idx = to_i64(index)?;
        put_entry
            .execute(params![
                idx,
                leaf.0.as_slice(),
                time,
                bytes,
                keys.predicate_type,
                keys.commit,
                keys.environment,
                keys.pipeline_run,
                keys.actor
            ])
            .map_err(StoreError::backend("writing an entry"))?;
        for s in &keys.subjects {
            put_subject
                .execute(params![s, idx])
                .map_err(StoreError::backend("writing subject keys"))?;
        }
        for t in &keys.terms {
            put_term
                .execute(params![t.kind.as_str(), t.value, idx])
                .map_err(StoreError::backend("writing term keys"))?;
        }
        out.push(Appended {
            index,
            leaf_hash: leaf,
        });
    }
    Ok(out)
}

/// An entry from its row, its content checked against its leaf hash.
fn entry_from_row(index: u64, (leaf, time, content, redacted_by): EntryRow) -> Result<Entry, StoreError> {
    let leaf_hash = Hash::from_slice(&leaf).map_err(|_| StoreError::Corrupt {
        check: format!("entry {index}'s leaf hash is not 32 bytes"),
    })?;
    if let Some(c) = &content
        && provenant_ledger::leaf_hash(c) != leaf_hash
    {
        return Err(StoreError::Corrupt {
            check: format!("entry {index}'s content does not hash to its leaf hash"),
        });
    }
    Ok(Entry {
        index,
        leaf_hash,
        time: to_u64(time, "an entry's time")?,
        content,
        redacted_by: redacted_by.map(|b| to_u64(b, "a redaction index")).transpose()?,
    })
}

impl LedgerStore for SqliteStore {
    fn init(&self, origin: &str, verifier_key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend("initialising"))?;
        let existing: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'origin'", [], |r| r.get(0))
            .optional()
            .map_err(StoreError::backend("initialising"))?;
        if let Some(origin) = existing {
            return Err(StoreError::AlreadyInitialised { origin });
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('origin', ?1), ('verifier_key', ?2)",
            [origin, verifier_key],
        )
        .map_err(StoreError::backend("initialising"))?;
        tx.commit().map_err(StoreError::backend("initialising"))
    }

    fn origin(&self) -> Result<String, StoreError> {
        self.meta("origin")
    }

    fn verifier_key(&self) -> Result<String, StoreError> {
        self.meta("verifier_key")
    }

    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError> {
        // Parse outside the write lock: a bad entry refuses the batch before anything is written.
        let keys = crate::store::parse_batch(entries)?;
        let time = to_i64(time)?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend("starting an append"))?;
        // The sequencer: under the write lock, the next index is the current size.
        let size = size_of(&tx)?;
        let out = insert_batch(&tx, size, entries, &keys, time)?;
        // Acknowledged only once committed (and, with synchronous=FULL, fsynced).
        tx.commit().map_err(StoreError::backend("committing an append"))?;
        Ok(out)
    }

    fn size(&self) -> Result<u64, StoreError> {
        size_of(&self.conn())
    }

    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        let conn = self.conn();
        let row: Option<EntryRow> = conn
            .query_row(
                "SELECT leaf_hash, time, content, redacted_by FROM entries WHERE idx = ?1",
                [to_i64(index)?],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(StoreError::backend("reading an entry"))?;
        let Some((leaf, time, content, redacted_by)) = row else {
            return Err(StoreError::NoEntry {
                index,
                size: size_of(&conn)?,
            });
        };
        entry_from_row(index, (leaf, time, content, redacted_by))
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT idx, leaf_hash, time, content, redacted_by FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
            .map_err(StoreError::backend("reading entries"))?;
        let rows = stmt
            .query_map(params![to_i64(start)?, to_i64(end)?], |r| {
                Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            })
            .map_err(StoreError::backend("reading entries"))?;
        let mut out = Vec::new();
        for row in rows {
            let (index, row) = row.map_err(StoreError::backend("reading entries"))?;
            out.push(entry_from_row(to_u64(index, "an index")?, row)?);
        }
        Ok(out)
    }

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes(&self.conn(), indexes)
    }

    fn terms(&self, kind: TermKind, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        // A range over the primary key: values from the prefix up to the prefix followed by the
        // highest code point, so the index is used (LIKE would need the prefix escaped).
        let upper = format!("{prefix}\u{10FFFF}");
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT value, idx FROM terms WHERE kind = ?1 AND value >= ?2 AND value < ?3 ORDER BY value, idx",
            )
            .map_err(StoreError::backend("querying terms"))?;
        let rows = stmt
            .query_map(params![kind.as_str(), prefix, upper], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(StoreError::backend("querying terms"))?;
        let mut out = Vec::new();
        for row in rows {
            let (value, idx) = row.map_err(StoreError::backend("querying terms"))?;
            out.push((value, to_u64(idx, "an entry index")?));
        }
        Ok(out)
    }

    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        self.select(query, false)
    }

    fn newest(&self, query: &Query) -> Result<Option<u64>, StoreError> {
        let one = Query {
            limit: Some(1),
            ..query.clone()
        };
        Ok(self.select(&one, true)?.pop())
    }

    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError> {
        if content.len() > MAX_BLOB_BYTES {
            return Err(StoreError::BlobTooLarge {
                size: content.len(),
                max: MAX_BLOB_BYTES,
            });
        }
        let digest = Algorithm::Sha256.hash_bytes(content);
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO blobs (digest, content) VALUES (?1, ?2)",
                params![digest.to_string(), content],
            )
            .map_err(StoreError::backend("storing a blob"))?;
        Ok(digest)
    }

    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let content: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT content FROM blobs WHERE digest = ?1",
                [digest.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::backend("reading a blob"))?;
        match content {
            Some(c) if digest.algorithm().hash_bytes(&c) != *digest => Err(StoreError::Corrupt {
                check: format!("blob {digest} does not hash to its digest"),
            }),
            other => Ok(other),
        }
    }

    fn save_checkpoint(&self, checkpoint: &Checkpoint, signed: &[u8]) -> Result<(), StoreError> {
        let root = checkpoint.root().map_err(|_| StoreError::Corrupt {
            check: "a checkpoint to keep has no SHA-256 root".to_owned(),
        })?;
        let conn = self.conn();
        let ledger_size = size_of(&conn)?;
        if checkpoint.size > ledger_size {
            return Err(StoreError::CheckpointBeyondTree {
                size: checkpoint.size,
                ledger_size,
            });
        }
        if tree::root(checkpoint.size, &ConnHashes(&conn))? != root {
            return Err(StoreError::Corrupt {
                check: format!(
                    "the checkpoint's root is not the tree's root at size {}",
                    checkpoint.size
                ),
            });
        }
        conn.execute(
            "INSERT OR IGNORE INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
            params![to_i64(checkpoint.size)?, root.0.as_slice(), signed],
        )
        .map_err(StoreError::backend("keeping a checkpoint"))?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT size, note FROM checkpoints ORDER BY size")
            .map_err(StoreError::backend("reading checkpoints"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(StoreError::backend("reading checkpoints"))?;
        rows.map(|r| {
            let (s, n) = r.map_err(StoreError::backend("reading checkpoints"))?;
            Ok((to_u64(s, "a checkpoint size")?, n))
        })
        .collect()
    }

    fn redact(&self, index: u64, redaction_entry: &[u8], time: u64) -> Result<Appended, StoreError> {
        let keys = crate::store::parse_batch(std::slice::from_ref(&redaction_entry.to_vec()))?;
        let keys = keys.first().ok_or(StoreError::EmptyBatch)?;
        let statement: &Statement = &keys.statement;
        let time = to_i64(time)?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend("starting a redaction"))?;
        let size = size_of(&tx)?;
        let row: Option<(Vec<u8>, Option<i64>)> = tx
            .query_row(
                "SELECT leaf_hash, redacted_by FROM entries WHERE idx = ?1",
                [to_i64(index)?],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::backend("reading the entry to redact"))?;
        let Some((leaf, redacted_by)) = row else {
            return Err(StoreError::NoEntry { index, size });
        };
        if let Some(by) = redacted_by {
            return Err(StoreError::Redacted {
                index,
                by: to_u64(by, "a redaction index")?,
            });
        }
        let leaf = Hash::from_slice(&leaf).map_err(|_| StoreError::Corrupt {
            check: format!("entry {index}'s leaf hash is not 32 bytes"),
        })?;
        redaction::check(statement, index, &leaf)?;
        let new_leaf = insert_batch(
            &tx,
            size,
            std::slice::from_ref(&redaction_entry.to_vec()),
            std::slice::from_ref(keys),
            time,
        )?
        .first()
        .map(|a| a.leaf_hash)
        .ok_or(StoreError::EmptyBatch)?;
        tx.execute(
            "UPDATE entries SET content = NULL, predicate_type = NULL, commit_sha = NULL, environment = NULL,
             pipeline_run = NULL, actor = NULL, redacted_by = ?2 WHERE idx = ?1",
            params![to_i64(index)?, to_i64(size)?],
        )
        .map_err(StoreError::backend("redacting an entry"))?;
        tx.execute("DELETE FROM subjects WHERE idx = ?1", [to_i64(index)?])
            .map_err(StoreError::backend("redacting an entry's keys"))?;
        tx.execute("DELETE FROM terms WHERE idx = ?1", [to_i64(index)?])
            .map_err(StoreError::backend("redacting an entry's keys"))?;
        tx.commit()
            .map_err(StoreError::backend("committing a redaction"))?;
        Ok(Appended {
            index: size,
            leaf_hash: new_leaf,
        })
    }
}

impl SqliteStore {
    /// The indexes matching `query`, ascending (or descending, newest first).
    fn select(&self, query: &Query, newest_first: bool) -> Result<Vec<u64>, StoreError> {
        use std::fmt::Write as _;
        let mut sql = String::from("SELECT idx FROM entries WHERE content IS NOT NULL");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut text = |sql: &mut String, column: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(v.clone().into());
                let _ = write!(sql, " AND {column} = ?{}", args.len());
            }
        };
        text(
            &mut sql,
            "idx IN (SELECT idx FROM subjects WHERE digest",
            &query.subject,
        );
        if query.subject.is_some() {
            sql.push(')');
        }
        text(&mut sql, "predicate_type", &query.predicate_type);
        text(&mut sql, "commit_sha", &query.commit);
        text(&mut sql, "environment", &query.environment);
        text(&mut sql, "pipeline_run", &query.pipeline_run);
        text(&mut sql, "actor", &query.actor);
        for (op, v) in [(">=", query.since), ("<", query.until)] {
            if let Some(v) = v {
                args.push(to_i64(v)?.into());
                let _ = write!(sql, " AND time {op} ?{}", args.len());
            }
        }
        sql.push_str(if newest_first {
            " ORDER BY idx DESC"
        } else {
            " ORDER BY idx"
        });
        if let Some(limit) = query.limit {
            args.push(to_i64(limit)?.into());
            let _ = write!(sql, " LIMIT ?{}", args.len());
        }
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&sql)
            .map_err(StoreError::backend("querying"))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))
            .map_err(StoreError::backend("querying"))?;
        rows.map(|r| {
            r.map_err(StoreError::backend("querying"))
                .and_then(|i| to_u64(i, "an index"))
        })
        .collect()
    }
}
