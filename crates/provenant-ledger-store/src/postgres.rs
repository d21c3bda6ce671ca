//! The `PostgreSQL` store, for many pipelines on several machines sharing one ledger.
//!
//! Gapless sequencing: every append (and redaction) is one transaction that first takes a transaction-
//! level advisory lock (`pg_advisory_xact_lock`, key [`SEQUENCER_LOCK`]), then reads the size, assigns
//! the next indexes, writes entries, node hashes and index keys, and commits; the lock is released by
//! the commit or rollback. Writers on any number of connections and machines are thereby serialised at
//! the one point that needs it, so indexes are assigned in order, without gaps or duplicates, and an
//! append is acknowledged only after its commit (durable under `PostgreSQL`'s default
//! `synchronous_commit = on`). The tree state is the tables themselves: nothing is cached between calls,
//! so a restarted writer continues from what is committed. The schema's triggers abort any update or
//! delete of entries, node hashes or checkpoints other than a redaction, as in the `SQLite` store.
//!
//! Connections use rustls (aws-lc-rs) with the web PKI roots when the server offers TLS.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use provenant_digest::{Algorithm, Digest};
use provenant_ledger::entry::{EntryKeys, TermKind};
use provenant_ledger::{Checkpoint, Hash, leaf_hash};
use tokio_postgres::{Client, GenericClient, Transaction};

use crate::batch::{Overlay, needed_before};
use crate::error::StoreError;
use crate::redaction;
use crate::store::{Appended, Entry, LedgerStore, Query};

/// The advisory lock key every appending transaction takes ("PROVLDGR").
pub const SEQUENCER_LOCK: i64 = 0x5052_4f56_4c44_4752;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    idx BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BYTEA NOT NULL CHECK (length(leaf_hash) = 32),
    time BIGINT NOT NULL,
    content BYTEA,
    predicate_type TEXT, commit_sha TEXT, environment TEXT, pipeline_run TEXT, actor TEXT,
    redacted_by BIGINT
);
CREATE INDEX IF NOT EXISTS entries_predicate_type ON entries (predicate_type);
CREATE INDEX IF NOT EXISTS entries_commit ON entries (commit_sha);
CREATE INDEX IF NOT EXISTS entries_environment ON entries (environment);
CREATE INDEX IF NOT EXISTS entries_environment_type ON entries (environment, predicate_type, idx);
CREATE INDEX IF NOT EXISTS entries_pipeline_run ON entries (pipeline_run);
CREATE INDEX IF NOT EXISTS entries_actor ON entries (actor);
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE TABLE IF NOT EXISTS subjects (digest TEXT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (digest, idx));
CREATE TABLE IF NOT EXISTS hashes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL CHECK (length(hash) = 32));
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, content BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note BYTEA NOT NULL);
CREATE OR REPLACE FUNCTION provenant_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ledger %: % is never allowed (entries change only by redaction)', TG_TABLE_NAME, TG_OP; END $$;
CREATE OR REPLACE FUNCTION provenant_ledger_entries_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.idx = OLD.idx AND NEW.leaf_hash = OLD.leaf_hash AND NEW.time = OLD.time
     AND OLD.content IS NOT NULL AND NEW.content IS NULL
     AND OLD.redacted_by IS NULL AND NEW.redacted_by IS NOT NULL THEN RETURN NEW; END IF;
  RAISE EXCEPTION 'ledger entries change only by redaction';
END $$;
CREATE OR REPLACE FUNCTION provenant_ledger_subjects_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT redacted_by FROM entries WHERE idx = OLD.idx) IS NOT NULL THEN RETURN OLD; END IF;
  RAISE EXCEPTION 'index keys are dropped only by redaction';
END $$;
DROP TRIGGER IF EXISTS entries_never_deleted ON entries;
CREATE TRIGGER entries_never_deleted BEFORE DELETE ON entries FOR EACH ROW EXECUTE FUNCTION provenant_ledger_refuse();
DROP TRIGGER IF EXISTS entries_change_only_by_redaction ON entries;
CREATE TRIGGER entries_change_only_by_redaction BEFORE UPDATE ON entries FOR EACH ROW EXECUTE FUNCTION provenant_ledger_entries_update();
DROP TRIGGER IF EXISTS subjects_dropped_only_by_redaction ON subjects;
CREATE TRIGGER subjects_dropped_only_by_redaction BEFORE DELETE ON subjects FOR EACH ROW EXECUTE FUNCTION provenant_ledger_subjects_delete();
DROP TRIGGER IF EXISTS subjects_never_updated ON subjects;
CREATE TRIGGER subjects_never_updated BEFORE UPDATE ON subjects FOR EACH ROW EXECUTE FUNCTION provenant_ledger_refuse();
DROP TRIGGER IF EXISTS hashes_immutable ON hashes;
CREATE TRIGGER hashes_immutable BEFORE UPDATE OR DELETE ON hashes FOR EACH ROW EXECUTE FUNCTION provenant_ledger_refuse();
DROP TRIGGER IF EXISTS checkpoints_immutable ON checkpoints;
CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION provenant_ledger_refuse();
";

/// The index of terms (package URLs, vulnerability ids, materials), found by prefix. Values compare
/// byte for byte (`COLLATE "C"`, as `SQLite` and Rust compare them), so a prefix is a range of the
/// primary key whatever the database's collation. Created with the schema, or added to a ledger created
/// before it (and filled from its entries) on first connection.
const TERMS_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS terms (
    kind TEXT COLLATE "C" NOT NULL, value TEXT COLLATE "C" NOT NULL, idx BIGINT NOT NULL,
    PRIMARY KEY (kind, value, idx)
);
DROP TRIGGER IF EXISTS terms_dropped_only_by_redaction ON terms;
CREATE TRIGGER terms_dropped_only_by_redaction BEFORE DELETE ON terms FOR EACH ROW EXECUTE FUNCTION provenant_ledger_subjects_delete();
DROP TRIGGER IF EXISTS terms_never_updated ON terms;
CREATE TRIGGER terms_never_updated BEFORE UPDATE ON terms FOR EACH ROW EXECUTE FUNCTION provenant_ledger_refuse();
"#;

/// Entries read at a time when filling the index of terms of a ledger created before it.
const BACKFILL_CHUNK: i64 = 1024;

/// A ledger in a `PostgreSQL` database.
pub struct PostgresStore {
    inner: Mutex<(tokio::runtime::Runtime, Client)>,
    deadline: Duration,
}

/// How long connecting, and each operation (one query, or one whole transaction with the wait for the
/// sequencer lock), may take by default.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `future` on `runtime` under `deadline`: a server that stalls (a lost network, a lock held by
/// another session, a saturated server) gives [`StoreError::Deadline`] naming `operation`, never a hang.
/// A transaction cut short is rolled back by the server when its connection drops it.
fn within<T>(
    runtime: &tokio::runtime::Runtime,
    deadline: Duration,
    operation: &'static str,
    future: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    runtime
        .block_on(async { tokio::time::timeout(deadline, future).await })
        .unwrap_or(Err(StoreError::Deadline { operation, deadline }))
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

fn db(operation: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::Backend {
        operation,
        source: Box::new(e),
    }
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::NoEntry { index: v, size: 0 })
}

fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        check: format!("{what} is negative"),
    })
}

fn hash_of(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    Hash::from_slice(bytes).map_err(|_| StoreError::Corrupt {
        check: format!("{what} is not 32 bytes"),
    })
}

async fn size_of<C: GenericClient>(c: &C) -> Result<u64, StoreError> {
    let row = c
        .query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", &[])
        .await
        .map_err(db("reading the ledger's size"))?;
    to_u64(row.get(0), "the ledger's size")
}

async fn fetch_hashes<C: GenericClient>(c: &C, indexes: &[u64]) -> Result<BTreeMap<u64, Hash>, StoreError> {
    let ids: Vec<i64> = indexes.iter().map(|&i| to_i64(i)).collect::<Result<_, _>>()?;
    let rows = c
        .query("SELECT id, hash FROM hashes WHERE id = ANY($1)", &[&ids])
        .await
        .map_err(db("reading tree hashes"))?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id = to_u64(r.get(0), "a hash id")?;
        out.insert(id, hash_of(r.get(1), "a tree hash")?);
    }
    Ok(out)
}

/// Writes a batch at `size..`: its node hashes, entries, subject keys and terms, one multi-row
/// statement per table (`UNNEST` of arrays) rather than one statement per row.
async fn insert_batch(
    tx: &Transaction<'_>,
    size: u64,
    entries: &[Vec<u8>],
    keys: &[EntryKeys],
    time: i64,
) -> Result<Vec<Appended>, StoreError> {
    let overlay = Overlay::new(fetch_hashes(tx, &needed_before(size, entries.len() as u64)).await?);
    let mut out = Vec::with_capacity(entries.len());
    let mut hash_ids: Vec<i64> = Vec::with_capacity(entries.len().saturating_mul(2));
    let mut new_hashes: Vec<Hash> = Vec::with_capacity(entries.len().saturating_mul(2));
    let mut idxs: Vec<i64> = Vec::with_capacity(entries.len());
    let mut leaves: Vec<Hash> = Vec::with_capacity(entries.len());
    for (index, bytes) in (size..).zip(entries) {
        let leaf = leaf_hash(bytes);
        for (id, h) in overlay.add(index, leaf)? {
            hash_ids.push(to_i64(id)?);
            new_hashes.push(h);
        }
        idxs.push(to_i64(index)?);
        leaves.push(leaf);
        out.push(Appended {
            index,
            leaf_hash: leaf,
        });
    }
    let hashes: Vec<&[u8]> = new_hashes.iter().map(|h| h.0.as_slice()).collect();
    tx.execute(
        "INSERT INTO hashes (id, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
        &[&hash_ids, &hashes],
    )
    .await
    .map_err(db("writing tree hashes"))?;
    let leaf_bytes: Vec<&[u8]> = leaves.iter().map(|l| l.0.as_slice()).collect();
    let times: Vec<i64> = vec![time; entries.len()];
    let contents: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let column = |f: fn(&EntryKeys) -> &Option<String>| -> Vec<Option<&str>> {
        keys.iter().map(|k| f(k).as_deref()).collect()
    };
    tx.execute(
        "INSERT INTO entries (idx, leaf_hash, time, content, predicate_type, commit_sha, environment, pipeline_run, actor)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BIGINT[], $4::BYTEA[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[])",
        &[
            &idxs,
            &leaf_bytes,
            &times,
            &contents,
            &keys.iter().map(|k| k.predicate_type.as_str()).collect::<Vec<_>>(),
            &column(|k| &k.commit),
            &column(|k| &k.environment),
            &column(|k| &k.pipeline_run),
            &column(|k| &k.actor),
        ],
    )
    .await
    .map_err(db("writing entries"))?;
    let (mut digests, mut subject_idx): (Vec<&str>, Vec<i64>) = (Vec::new(), Vec::new());
    for (k, &idx) in keys.iter().zip(&idxs) {
        for s in &k.subjects {
            digests.push(s);
            subject_idx.push(idx);
        }
    }
    if !digests.is_empty() {
        tx.execute(
            "INSERT INTO subjects (digest, idx) SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[]) ON CONFLICT DO NOTHING",
            &[&digests, &subject_idx],
        )
        .await
        .map_err(db("writing subject keys"))?;
    }
    insert_terms(tx, keys.iter().zip(idxs.iter().copied())).await?;
    Ok(out)
}

/// Writes the terms of entries (their keys and indexes) in one statement.
async fn insert_terms<'k>(
    tx: &Transaction<'_>,
    keyed: impl Iterator<Item = (&'k EntryKeys, i64)>,
) -> Result<(), StoreError> {
    let (mut kinds, mut values, mut term_idx): (Vec<&str>, Vec<&str>, Vec<i64>) =
        (Vec::new(), Vec::new(), Vec::new());
    for (k, idx) in keyed {
        for t in &k.terms {
            kinds.push(t.kind.as_str());
            values.push(&t.value);
            term_idx.push(idx);
        }
    }
    if kinds.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO terms (kind, value, idx) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[]) ON CONFLICT DO NOTHING",
        &[&kinds, &values, &term_idx],
    )
    .await
    .map_err(db("writing term keys"))?;
    Ok(())
}

/// Fills the index of terms from the entries of a ledger created before it (under the sequencer lock,
/// in the transaction that creates the table), reading entries a chunk at a time.
async fn backfill_terms(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let operation = "filling the index of terms";
    let mut from: i64 = 0;
    loop {
        let rows = tx
            .query(
                "SELECT idx, content FROM entries WHERE idx >= $1 AND content IS NOT NULL ORDER BY idx LIMIT $2",
                &[&from, &BACKFILL_CHUNK],
            )
            .await
            .map_err(db(operation))?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        from = last.get::<_, i64>(0).saturating_add(1);
        let keyed: Vec<(EntryKeys, i64)> = rows
            .iter()
            .filter_map(|r| {
                let content: Vec<u8> = r.get(1);
                EntryKeys::from_entry(&content).ok().map(|k| (k, r.get(0)))
            })
            .collect();
        insert_terms(tx, keyed.iter().map(|(k, i)| (k, *i))).await?;
    }
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Backend {
        operation: "setting up TLS for PostgreSQL",
        source: Box::new(e),
    })?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`), creating the schema when absent, with the default deadline.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with_deadline(url, DEFAULT_DEADLINE)
    }

    /// Connects to `url`; connecting, and then every operation, must finish within `deadline`.
    pub fn connect_with_deadline(url: &str, deadline: Duration) -> Result<PostgresStore, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend {
                operation: "starting the database client",
                source: Box::new(e),
            })?;
        let client = within(&runtime, deadline, "connecting to PostgreSQL", async {
            let (mut client, connection) = tokio_postgres::connect(url, tls()?)
                .await
                .map_err(db("connecting to PostgreSQL"))?;
            tokio::spawn(connection);
            // Schema changes take table locks that would deadlock against writers on other
            // connections: create it under the sequencer lock, and only when absent.
            let tx = client.transaction().await.map_err(db("creating the schema"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])
                .await
                .map_err(db("taking the sequencer lock"))?;
            let row = tx
                .query_one(
                    "SELECT to_regclass('entries') IS NOT NULL, to_regclass('terms') IS NOT NULL",
                    &[],
                )
                .await
                .map_err(db("creating the schema"))?;
            let (entries_exist, terms_exist): (bool, bool) = (row.get(0), row.get(1));
            if !entries_exist {
                tx.batch_execute(SCHEMA)
                    .await
                    .map_err(db("creating the schema"))?;
            }
            if !terms_exist {
                tx.batch_execute(TERMS_SCHEMA)
                    .await
                    .map_err(db("creating the index of terms"))?;
                if entries_exist {
                    backfill_terms(&tx).await?;
                }
            }
            tx.commit().await.map_err(db("creating the schema"))?;
            Ok::<_, StoreError>(client)
        })?;
        Ok(PostgresStore {
            inner: Mutex::new((runtime, client)),
            deadline,
        })
    }

    fn lock(&self) -> MutexGuard<'_, (tokio::runtime::Runtime, Client)> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The indexes matching `query`, ascending or (for `newest`) descending.
    fn select(&self, query: &Query, newest_first: bool) -> Result<Vec<u64>, StoreError> {
        use std::fmt::Write as _;
        let mut sql = String::from("SELECT idx FROM entries WHERE content IS NOT NULL");
        let mut text: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        let mut parts: Vec<(String, bool)> = Vec::new();
        if let Some(s) = &query.subject {
            text.push(s.clone());
            parts.push((
                "idx IN (SELECT idx FROM subjects WHERE digest = $?)".into(),
                false,
            ));
        }
        for (column, value) in [
            ("predicate_type", &query.predicate_type),
            ("commit_sha", &query.commit),
            ("environment", &query.environment),
            ("pipeline_run", &query.pipeline_run),
            ("actor", &query.actor),
        ] {
            if let Some(v) = value {
                text.push(v.clone());
                parts.push((format!("{column} = $?"), false));
            }
        }
        for (op, v) in [(">=", query.since), ("<", query.until)] {
            if let Some(v) = v {
                ints.push(to_i64(v)?);
                parts.push((format!("time {op} $?"), true));
            }
        }
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
        let (mut texts, mut numbers) = (text.iter(), ints.iter());
        for (clause, is_int) in &parts {
            let value: Option<&(dyn tokio_postgres::types::ToSql + Sync)> = if *is_int {
                numbers.next().map(|v| v as _)
            } else {
                texts.next().map(|v| v as _)
            };
            if let Some(v) = value {
                params.push(v);
            }
            let _ = write!(
                sql,
                " AND {}",
                clause.replace("$?", &format!("${}", params.len()))
            );
        }
        sql.push_str(if newest_first {
            " ORDER BY idx DESC"
        } else {
            " ORDER BY idx"
        });
        let limit = query.limit.map(to_i64).transpose()?;
        if let Some(l) = &limit {
            params.push(l);
            let _ = write!(sql, " LIMIT ${}", params.len());
        }
        let g = self.lock();
        let (rt, c) = &*g;
        let rows = within(rt, self.deadline, "querying", async {
            c.query(&sql, &params).await.map_err(db("querying"))
        })?;
        rows.iter().map(|r| to_u64(r.get(0), "an index")).collect()
    }

    fn meta(&self, key: &str) -> Result<String, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        within(rt, self.deadline, "reading the ledger's metadata", async {
            c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
                .await
                .map_err(db("reading the ledger's metadata"))
        })?
        .map(|r| r.get(0))
        .ok_or(StoreError::NotInitialised)
    }
}

fn entry_from_row(r: &tokio_postgres::Row) -> Result<Entry, StoreError> {
    let index = to_u64(r.get(0), "an index")?;
    let leaf = hash_of(r.get(1), "a leaf hash")?;
    let content: Option<Vec<u8>> = r.get(3);
    if let Some(c) = &content
        && leaf_hash(c) != leaf
    {
        return Err(StoreError::Corrupt {
            check: format!("entry {index}'s content does not hash to its leaf hash"),
        });
    }
    Ok(Entry {
        index,
        leaf_hash: leaf,
        time: to_u64(r.get(2), "an entry's time")?,
        content,
        redacted_by: r
            .get::<_, Option<i64>>(4)
            .map(|b| to_u64(b, "a redaction index"))
            .transpose()?,
    })
}

impl LedgerStore for PostgresStore {
    fn init(&self, origin: &str, verifier_key: &str) -> Result<(), StoreError> {
        let mut g = self.lock();
        let (rt, c) = &mut *g;
        within(rt, self.deadline, "initialising", async {
            let tx = c.transaction().await.map_err(db("initialising"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])
                .await
                .map_err(db("initialising"))?;
            if let Some(r) = tx
                .query_opt("SELECT value FROM meta WHERE key = 'origin'", &[])
                .await
                .map_err(db("initialising"))?
            {
                return Err(StoreError::AlreadyInitialised { origin: r.get(0) });
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('origin', $1), ('verifier_key', $2)",
                &[&origin, &verifier_key],
            )
            .await
            .map_err(db("initialising"))?;
            tx.commit().await.map_err(db("initialising"))
        })
    }

    fn origin(&self) -> Result<String, StoreError> {
        self.meta("origin")
    }

    fn verifier_key(&self) -> Result<String, StoreError> {
        self.meta("verifier_key")
    }

    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError> {
        let keys = crate::store::parse_batch(entries)?;
        let time = to_i64(time)?;
        let mut g = self.lock();
        let (rt, c) = &mut *g;
        within(rt, self.deadline, "appending", async {
            let tx = c.transaction().await.map_err(db("starting an append"))?;
            // The sequencer: one writer at a time past this point, on any connection or machine.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])
                .await
                .map_err(db("taking the sequencer lock"))?;
            let size = size_of(&tx).await?;
            let out = insert_batch(&tx, size, entries, &keys, time).await?;
            tx.commit().await.map_err(db("committing an append"))?;
            Ok(out)
        })
    }

    fn size(&self) -> Result<u64, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        within(rt, self.deadline, "reading the ledger's size", size_of(c))
    }

    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        within(rt, self.deadline, "reading an entry", async {
            let row = c
                .query_opt(
                    "SELECT idx, leaf_hash, time, content, redacted_by FROM entries WHERE idx = $1",
                    &[&to_i64(index)?],
                )
                .await
                .map_err(db("reading an entry"))?;
            match row {
                Some(r) => entry_from_row(&r),
                None => Err(StoreError::NoEntry {
                    index,
                    size: size_of(c).await?,
                }),
            }
        })
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        within(rt, self.deadline, "reading entries", async {
            let rows = c
                .query(
                    "SELECT idx, leaf_hash, time, content, redacted_by FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                    &[&to_i64(start)?, &to_i64(end)?],
                )
                .await
                .map_err(db("reading entries"))?;
            rows.iter().map(entry_from_row).collect()
        })
    }

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        let map = within(rt, self.deadline, "reading tree hashes", fetch_hashes(c, indexes))?;
        indexes
            .iter()
            .map(|i| {
                map.get(i).copied().ok_or_else(|| StoreError::Corrupt {
                    check: format!("tree hash {i} is missing"),
                })
            })
            .collect()
    }

    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        self.select(query, false)
    }

    fn terms(&self, kind: TermKind, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        // A range over the primary key (byte order, `COLLATE "C"`): values from the prefix up to the
        // prefix followed by the highest code point, as in the `SQLite` store (LIKE would need the
        // prefix escaped).
        let upper = format!("{prefix}\u{10FFFF}");
        let g = self.lock();
        let (rt, c) = &*g;
        let rows = within(rt, self.deadline, "querying terms", async {
            c.query(
                "SELECT value, idx FROM terms WHERE kind = $1 AND value >= $2 AND value < $3 ORDER BY value, idx",
                &[&kind.as_str(), &prefix, &upper],
            )
            .await
            .map_err(db("querying terms"))
        })?;
        rows.iter()
            .map(|r| Ok((r.get::<_, String>(0), to_u64(r.get(1), "an entry index")?)))
            .collect()
    }

    fn newest(&self, query: &Query) -> Result<Option<u64>, StoreError> {
        let one = Query {
            limit: Some(1),
            ..query.clone()
        };
        Ok(self.select(&one, true)?.pop())
    }

    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError> {
        if content.len() > crate::sqlite::MAX_BLOB_BYTES {
            return Err(StoreError::BlobTooLarge {
                size: content.len(),
                max: crate::sqlite::MAX_BLOB_BYTES,
            });
        }
        let digest = Algorithm::Sha256.hash_bytes(content);
        let g = self.lock();
        let (rt, c) = &*g;
        within(rt, self.deadline, "storing a blob", async {
            c.execute(
                "INSERT INTO blobs (digest, content) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&digest.to_string(), &content],
            )
            .await
            .map_err(db("storing a blob"))
        })?;
        Ok(digest)
    }

    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        let row = within(rt, self.deadline, "reading a blob", async {
            c.query_opt(
                "SELECT content FROM blobs WHERE digest = $1",
                &[&digest.to_string()],
            )
            .await
            .map_err(db("reading a blob"))
        })?;
        match row.map(|r| r.get::<_, Vec<u8>>(0)) {
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
        let ledger_size = self.size()?;
        if checkpoint.size > ledger_size {
            return Err(StoreError::CheckpointBeyondTree {
                size: checkpoint.size,
                ledger_size,
            });
        }
        if self.root_at(checkpoint.size)? != root {
            return Err(StoreError::Corrupt {
                check: format!(
                    "the checkpoint's root is not the tree's root at size {}",
                    checkpoint.size
                ),
            });
        }
        let g = self.lock();
        let (rt, c) = &*g;
        let size = to_i64(checkpoint.size)?;
        within(rt, self.deadline, "keeping a checkpoint", async {
            c.execute(
                "INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&size, &root.0.as_slice(), &signed],
            )
            .await
            .map_err(db("keeping a checkpoint"))
        })?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let g = self.lock();
        let (rt, c) = &*g;
        let rows = within(rt, self.deadline, "reading checkpoints", async {
            c.query("SELECT size, note FROM checkpoints ORDER BY size", &[])
                .await
                .map_err(db("reading checkpoints"))
        })?;
        rows.iter()
            .map(|r| Ok((to_u64(r.get(0), "a checkpoint size")?, r.get(1))))
            .collect()
    }

    fn redact(&self, index: u64, redaction_entry: &[u8], time: u64) -> Result<Appended, StoreError> {
        let keys = crate::store::parse_batch(std::slice::from_ref(&redaction_entry.to_vec()))?;
        let time = to_i64(time)?;
        let mut g = self.lock();
        let (rt, c) = &mut *g;
        within(rt, self.deadline, "redacting", async {
            let tx = c.transaction().await.map_err(db("starting a redaction"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])
                .await
                .map_err(db("taking the sequencer lock"))?;
            let size = size_of(&tx).await?;
            let row = tx
                .query_opt(
                    "SELECT leaf_hash, redacted_by FROM entries WHERE idx = $1",
                    &[&to_i64(index)?],
                )
                .await
                .map_err(db("reading the entry to redact"))?;
            let Some(row) = row else {
                return Err(StoreError::NoEntry { index, size });
            };
            if let Some(by) = row.get::<_, Option<i64>>(1) {
                return Err(StoreError::Redacted {
                    index,
                    by: to_u64(by, "a redaction index")?,
                });
            }
            let leaf = hash_of(row.get(0), "a leaf hash")?;
            let k = keys.first().ok_or(StoreError::EmptyBatch)?;
            redaction::check(&k.statement, index, &leaf)?;
            let out = insert_batch(&tx, size, &[redaction_entry.to_vec()], &keys, time).await?;
            tx.execute(
                "UPDATE entries SET content = NULL, predicate_type = NULL, commit_sha = NULL, environment = NULL,
                 pipeline_run = NULL, actor = NULL, redacted_by = $2 WHERE idx = $1",
                &[&to_i64(index)?, &to_i64(size)?],
            )
            .await
            .map_err(db("redacting an entry"))?;
            tx.execute("DELETE FROM subjects WHERE idx = $1", &[&to_i64(index)?])
                .await
                .map_err(db("redacting an entry's keys"))?;
            tx.execute("DELETE FROM terms WHERE idx = $1", &[&to_i64(index)?])
                .await
                .map_err(db("redacting an entry's terms"))?;
            tx.commit().await.map_err(db("committing a redaction"))?;
            out.into_iter().next().ok_or(StoreError::EmptyBatch)
        })
    }
}
