//! The `SQLite` store: the conformance suite, then what only a file-backed store can show (reopening,
//! torn writes, immutability against direct database writes, several connections).

use std::path::Path;
use std::sync::Arc;

use provenant_ledger::tree::MemoryTree;
use provenant_ledger_store::sqlite::SqliteStore;
use provenant_ledger_store::{LedgerStore, StoreError};

use crate::conformance::{VKEY, numbered};

fn fresh() -> (tempfile::TempDir, Arc<dyn LedgerStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ledger.db")).unwrap();
    (dir, Arc::new(store))
}

conformance_suite!(fresh);

fn store_with(path: &Path, n: u64) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    store.init("example.com/ledger", VKEY).unwrap();
    let batch: Vec<Vec<u8>> = (0..n).map(numbered).collect();
    store.append(&batch, 1).unwrap();
    store
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/ledger.db");
    let root = {
        let store = store_with(&path, 10);
        store.tree_head().unwrap().root
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.size().unwrap(), 10);
    assert_eq!(store.tree_head().unwrap().root, root);
    assert_eq!(store.origin().unwrap(), "example.com/ledger");
}

/// Direct writes to the database file (not through the store) cannot change or remove entries, tree
/// hashes or checkpoints: the schema's triggers abort them.
#[test]
fn direct_updates_and_deletes_are_refused_by_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = store_with(&path, 3);
    let head = store.tree_head().unwrap();
    store
        .save_checkpoint(
            &provenant_ledger::Checkpoint::new("example.com/ledger", 3, &head.root),
            b"n",
        )
        .unwrap();
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE entries SET content = x'00' WHERE idx = 1",
        "UPDATE entries SET content = NULL WHERE idx = 1",
        "UPDATE entries SET leaf_hash = zeroblob(32) WHERE idx = 1",
        "UPDATE entries SET time = 0 WHERE idx = 1",
        "DELETE FROM entries WHERE idx = 2",
        "UPDATE hashes SET hash = zeroblob(32) WHERE id = 0",
        "DELETE FROM hashes",
        "DELETE FROM subjects",
        "UPDATE checkpoints SET note = x'00'",
        "DELETE FROM checkpoints",
    ] {
        let err = raw.execute(sql, []).unwrap_err().to_string();
        assert!(
            err.contains("never") || err.contains("only by redaction"),
            "{sql}: {err}"
        );
    }
    drop(raw);
    assert_eq!(SqliteStore::open(&path).unwrap().size().unwrap(), 3);
}

/// Someone who drops the triggers and rewrites the file is caught on open (missing tree hashes, a
/// checkpoint's root no longer the tree's) or on read (content that does not hash to its leaf).
#[test]
fn tampered_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = store_with(&path, 5);
    let head = store.tree_head().unwrap();
    store
        .save_checkpoint(
            &provenant_ledger::Checkpoint::new("example.com/ledger", 5, &head.root),
            b"n",
        )
        .unwrap();
    drop(store);
    let copy = |name: &str| {
        let p = dir.path().join(name);
        std::fs::copy(&path, &p).unwrap();
        let raw = rusqlite::Connection::open(&p).unwrap();
        raw.execute_batch("DROP TRIGGER entries_change_only_by_redaction; DROP TRIGGER hashes_never_updated; DROP TRIGGER hashes_never_deleted; DROP TRIGGER entries_never_deleted;").unwrap();
        (p, raw)
    };
    // Content rewritten: the entry no longer hashes to its leaf.
    let (p, raw) = copy("content.db");
    raw.execute("UPDATE entries SET content = ?1 WHERE idx = 2", [numbered(99)])
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&p).unwrap().entry(2).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { check } if check.contains("does not hash to its leaf")),
        "{err}"
    );
    // A rewritten tree hash (the root of the first four leaves, which the root of five reads): the
    // checkpoint's root is not recomputed.
    let (p, raw) = copy("hash.db");
    let id = provenant_ledger::tree::stored_hash_index(2, 0);
    raw.execute(
        "UPDATE hashes SET hash = zeroblob(32) WHERE id = ?1",
        [i64::try_from(id).unwrap()],
    )
    .unwrap();
    drop(raw);
    let err = SqliteStore::open(&p).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { check } if check.contains("no longer has the root")),
        "{err}"
    );
    // The last entry removed with its hashes' tail left over.
    let (p, raw) = copy("gap.db");
    raw.execute("DELETE FROM entries WHERE idx = 4", []).unwrap();
    drop(raw);
    let err = SqliteStore::open(&p).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { check } if check.contains("tree hashes")),
        "{err}"
    );
    // A node hash inserted past the tree's: the hashes' extent no longer matches the entries'.
    let (p, raw) = copy("extra-hash.db");
    let next = i64::try_from(provenant_ledger::tree::stored_hash_count(5)).unwrap();
    raw.execute("INSERT INTO hashes (id, hash) VALUES (?1, zeroblob(32))", [next])
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&p).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { check } if check.contains("5 entries need")),
        "{err}"
    );
    // An entry removed from the middle.
    let (p, raw) = copy("middle.db");
    raw.execute("DELETE FROM entries WHERE idx = 1", []).unwrap();
    drop(raw);
    let err = SqliteStore::open(&p).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { check } if check.contains("without gaps")),
        "{err}"
    );
}

/// A commit cut short in the write-ahead log (the process or machine died while writing it) is
/// discarded on open: the ledger is the last whole commit, and its invariants hold.
#[test]
fn a_torn_wal_tail_recovers_to_the_last_whole_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = store_with(&path, 20);
    let root20 = store.tree_head().unwrap().root;
    let wal = dir.path().join("ledger.db-wal");
    let before = std::fs::metadata(&wal).unwrap().len();
    let batch: Vec<Vec<u8>> = (20..60).map(numbered).collect();
    store.append(&batch, 2).unwrap();
    let after = std::fs::metadata(&wal).unwrap().len();
    assert!(after > before, "the second commit is in the WAL");
    // Copy the database and its WAL while the writer still holds them (no checkpoint has run), then cut
    // the WAL in the middle of the second commit.
    let torn = dir.path().join("torn.db");
    std::fs::copy(&path, &torn).unwrap();
    std::fs::copy(&wal, dir.path().join("torn.db-wal")).unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("torn.db-wal"))
        .unwrap();
    f.set_len(before + (after - before) / 2).unwrap();
    drop(f);
    let recovered = SqliteStore::open(&torn).unwrap();
    assert_eq!(recovered.size().unwrap(), 20);
    assert_eq!(recovered.tree_head().unwrap().root, root20);
    recovered.check_invariants().unwrap();
    // And appends continue from there.
    assert_eq!(recovered.append(&[numbered(20)], 3).unwrap()[0].index, 20);
}

/// Several connections to one file (as several processes would have) append without gaps.
#[test]
fn several_connections_append_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(store_with(&path, 1));
    let threads: Vec<_> = (0..3u64)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                (0..10u64)
                    .flat_map(|b| {
                        let batch: Vec<Vec<u8>> =
                            (0..3).map(|i| numbered(1000 * (t + 1) + 10 * b + i)).collect();
                        store
                            .append(&batch, 1)
                            .unwrap()
                            .into_iter()
                            .zip(batch)
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort_by_key(|(a, _)| a.index);
    assert_eq!(
        all.iter().map(|(a, _)| a.index).collect::<Vec<_>>(),
        (1..91).collect::<Vec<_>>()
    );
    let store = SqliteStore::open(&path).unwrap();
    let mut reference = MemoryTree::new();
    reference.push(&numbered(0)).unwrap();
    for (_, bytes) in &all {
        reference.push(bytes).unwrap();
    }
    assert_eq!(store.tree_head().unwrap().root, reference.root().unwrap());
}
