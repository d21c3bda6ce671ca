//! The `PostgreSQL` store: the conformance suite against a real server (Debian's `postgresql`, installed
//! by tests/harness/setup.sh) started for each test on a free loopback port, and writers on separate
//! connections appending concurrently without gaps or duplicates.

use std::sync::Arc;

use provenant_ledger::tree::MemoryTree;
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::postgres::PostgresStore;

use provenant_testkit::postgres::Cluster;

use crate::conformance::{VKEY, numbered};

fn fresh() -> (Cluster, Arc<dyn LedgerStore>) {
    let cluster = Cluster::start();
    let store = PostgresStore::connect(&cluster.url()).unwrap();
    (cluster, Arc::new(store))
}

conformance_suite!(fresh);

/// Four connections (as four machines would have) open and append concurrently, without deadlocking on
/// the schema (the first version created it on every connect and deadlocked against the writers); then a
/// fresh connection sees every index once, in order, and the tree of exactly those entries.
#[test]
fn connecting_while_others_append_does_not_deadlock_and_indexes_have_no_gaps() {
    let cluster = Cluster::start();
    let first = PostgresStore::connect(&cluster.url()).unwrap();
    first.init("example.com/ledger", VKEY).unwrap();
    let url = cluster.url();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let store = PostgresStore::connect(&url).unwrap();
                (0..10u64)
                    .flat_map(|b| {
                        let batch: Vec<Vec<u8>> =
                            (0..4).map(|i| numbered(1000 * (t + 1) + 10 * b + i)).collect();
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
        (0..160).collect::<Vec<_>>()
    );
    // The state is the tables: a new connection rebuilds the same tree.
    let again = PostgresStore::connect(&url).unwrap();
    let mut reference = MemoryTree::new();
    for (_, bytes) in &all {
        reference.push(bytes).unwrap();
    }
    assert_eq!(again.tree_head().unwrap().root, reference.root().unwrap());
}

/// A server that accepts the connection and never answers gives the typed deadline error for
/// connecting, instead of hanging.
#[test]
fn a_server_that_never_answers_gives_the_connect_deadline_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold the connections without a word.
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for s in listener.incoming().take(1) {
            kept.push(s.unwrap());
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        drop(kept);
    });
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let err = PostgresStore::connect_with_deadline(&url, std::time::Duration::from_millis(500)).unwrap_err();
    match err {
        provenant_ledger_store::StoreError::Deadline { operation, deadline } => {
            assert_eq!(operation, "connecting to PostgreSQL");
            assert_eq!(deadline, std::time::Duration::from_millis(500));
        }
        other => panic!("expected a deadline error, got {other}"),
    }
    held.join().unwrap();
}

/// Another session holding the sequencer lock stalls an append: the append gives the typed deadline
/// error naming the operation, appends nothing, and the store works again once the lock is released.
#[test]
fn an_append_stalled_on_a_held_lock_gives_the_deadline_error() {
    let cluster = Cluster::start();
    let deadline = std::time::Duration::from_secs(1);
    let store = PostgresStore::connect_with_deadline(&cluster.url(), deadline).unwrap();
    store.init("example.com/ledger", VKEY).unwrap();
    store.append(&[numbered(0)], 1).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (other, connection) = rt
        .block_on(tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls))
        .unwrap();
    let driver = rt.spawn(connection);
    rt.block_on(other.execute(
        "SELECT pg_advisory_lock($1)",
        &[&provenant_ledger_store::postgres::SEQUENCER_LOCK],
    ))
    .unwrap();

    let err = store.append(&[numbered(1)], 1).unwrap_err();
    match &err {
        provenant_ledger_store::StoreError::Deadline {
            operation,
            deadline: d,
        } => {
            assert_eq!(*operation, "appending");
            assert_eq!(*d, deadline);
        }
        other => panic!("expected a deadline error, got {other}"),
    }
    assert!(
        err.to_string().contains("appending within its 1s deadline"),
        "{err}"
    );

    rt.block_on(other.execute(
        "SELECT pg_advisory_unlock($1)",
        &[&provenant_ledger_store::postgres::SEQUENCER_LOCK],
    ))
    .unwrap();
    drop(other);
    drop(driver);
    // Nothing of the stalled append was kept, and the next one gets the next index.
    assert_eq!(store.size().unwrap(), 1);
    assert_eq!(store.append(&[numbered(2)], 1).unwrap()[0].index, 1);
}

/// Runs `sql` on its own connection to `url`.
fn execute(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        let driver = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = driver.await;
    });
}

fn sbom(purls: &[&str]) -> Vec<u8> {
    let components: Vec<serde_json::Value> = purls
        .iter()
        .map(|p| serde_json::json!({"type": "library", "name": "x", "purl": p}))
        .collect();
    crate::conformance::statement(
        crate::conformance::SUBJECT_A,
        "https://cyclonedx.org/bom",
        &serde_json::json!({"bomFormat": "CycloneDX", "components": components}),
    )
}

/// `terms` is answered from the store's own index (a ledger whose index of terms is emptied answers
/// nothing, which the default reading every entry would not), in byte order in a database whose
/// collation is Estonian (where `z` sorts between `s` and `t`), and `newest` asks for the last match.
#[test]
fn terms_are_read_from_the_index_in_byte_order_under_a_linguistic_collation() {
    use provenant_ledger::entry::TermKind;
    let cluster = Cluster::start();
    execute(
        &cluster.url(),
        "CREATE DATABASE estonian TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'et_EE.utf8' LC_CTYPE 'et_EE.utf8'",
    );
    let url = cluster.url().replace("/postgres?", "/estonian?");
    let store = PostgresStore::connect(&url).unwrap();
    store.init("example.com/ledger", VKEY).unwrap();
    store
        .append(
            &[
                sbom(&["pkg:npm/t@1", "pkg:npm/z@1", "pkg:npm/s@1"]),
                sbom(&["pkg:npm/s@2"]),
            ],
            1,
        )
        .unwrap();
    assert_eq!(
        store.terms(TermKind::Purl, "pkg:npm/").unwrap(),
        [
            ("pkg:npm/s@1".to_owned(), 0),
            ("pkg:npm/s@2".to_owned(), 1),
            ("pkg:npm/t@1".to_owned(), 0),
            ("pkg:npm/z@1".to_owned(), 0)
        ]
    );
    assert_eq!(store.terms(TermKind::Purl, "pkg:npm/s").unwrap().len(), 2);
    let sboms = provenant_ledger_store::Query {
        predicate_type: Some("https://cyclonedx.org/bom".into()),
        ..provenant_ledger_store::Query::default()
    };
    assert_eq!(store.newest(&sboms).unwrap(), Some(1));
    // The store's own index answers (the rows are removable only with the trigger out of the way).
    execute(
        &url,
        "ALTER TABLE terms DISABLE TRIGGER terms_dropped_only_by_redaction; DELETE FROM terms; ALTER TABLE terms ENABLE TRIGGER terms_dropped_only_by_redaction",
    );
    assert!(store.terms(TermKind::Purl, "pkg:npm/").unwrap().is_empty());
}

/// A ledger created before the index of terms existed gets it, filled from its entries, on the first
/// connection; redacted entries have none.
#[test]
fn a_ledger_created_before_the_index_of_terms_gets_it_filled_on_connect() {
    use provenant_ledger::entry::TermKind;
    let cluster = Cluster::start();
    let store = PostgresStore::connect(&cluster.url()).unwrap();
    store.init("example.com/ledger", VKEY).unwrap();
    let purls: Vec<String> = (0..1500).map(|i| format!("pkg:npm/p{i:04}@1")).collect();
    let entries: Vec<Vec<u8>> = purls.iter().map(|p| sbom(&[p])).collect();
    store.append(&entries, 1).unwrap();
    let leaf = store.entry(3).unwrap().leaf_hash;
    store
        .redact(
            3,
            &provenant_ledger_store::redaction::redaction_statement(3, &leaf, "retention"),
            2,
        )
        .unwrap();
    drop(store);
    execute(&cluster.url(), "DROP TABLE terms");

    let reopened = PostgresStore::connect(&cluster.url()).unwrap();
    let found = reopened.terms(TermKind::Purl, "pkg:npm/p").unwrap();
    let expected: Vec<(String, u64)> = purls
        .iter()
        .cloned()
        .zip(0u64..)
        .filter(|(_, i)| *i != 3)
        .collect();
    assert_eq!(found, expected);
}

/// The `PostgreSQL` server killed with SIGKILL (postmaster and every backend) at random moments while
/// three writers, each on its own connection, append and keep signed checkpoints, three times over,
/// restarting it each time (crash recovery replays its log): afterwards every acknowledged append is at
/// its index with its bytes, indexes run from 0 without gaps or duplicates, and the ledger verifies
/// against every checkpoint kept before a crash.
#[test]
fn acknowledged_appends_survive_kill_9_of_the_postgres_server() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    use provenant_ledger::{Checkpoint, Hash, NoteSigner};

    let cluster = Cluster::start();
    let url = cluster.url();
    let signer = NoteSigner::from_seed("example.com/ledger", &[5; 32]).unwrap();
    PostgresStore::connect(&url)
        .unwrap()
        .init(signer.name(), signer.verifier_key())
        .unwrap();
    let acked: Mutex<Vec<(u64, Hash, u64)>> = Mutex::new(Vec::new());
    let saved: Mutex<Vec<(usize, Vec<u8>)>> = Mutex::new(Vec::new());
    let next = AtomicU64::new(0);
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = |below: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % below
    };
    for round in 0..3 {
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        // A writer reconnects after losing its connection (the server died under it).
                        let Ok(store) = PostgresStore::connect_with_deadline(&url, Duration::from_secs(5))
                        else {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        };
                        while !stop.load(Ordering::SeqCst) {
                            let n = next.fetch_add(1, Ordering::SeqCst);
                            let Ok(a) = store.append(&[numbered(n)], 1) else {
                                break;
                            };
                            acked.lock().unwrap().push((a[0].index, a[0].leaf_hash, n));
                            // Hand out a checkpoint of the tree as it is now.
                            let Ok(head) = store.tree_head() else { break };
                            let cp = Checkpoint::new(signer.name(), head.size, &head.root);
                            let note = signer.sign_checkpoint(&cp).unwrap();
                            if store.save_checkpoint(&cp, &note).is_err() {
                                break;
                            }
                            saved.lock().unwrap().push((round, note));
                        }
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(300 + random(900)));
            cluster.kill_9();
            stop.store(true, Ordering::SeqCst);
        });
        cluster.restart();
    }

    let acked = acked.into_inner().unwrap();
    assert!(!acked.is_empty(), "no append was acknowledged");
    let store = PostgresStore::connect(&url).unwrap();
    let size = store.size().unwrap();
    let entries = store.entries(0, size).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..size).collect::<Vec<_>>(),
        "indexes have gaps or duplicates"
    );
    for (index, leaf, n) in &acked {
        let e = &entries[usize::try_from(*index).unwrap()];
        assert_eq!(e.leaf_hash, *leaf, "entry {index}");
        assert_eq!(
            e.content.as_deref(),
            Some(numbered(*n).as_slice()),
            "entry {index}"
        );
    }
    let mut indexes: Vec<u64> = acked.iter().map(|a| a.0).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), acked.len(), "an index was acknowledged twice");
    let key = provenant_ledger::NoteVerifier::from_text(signer.verifier_key()).unwrap();
    // `verify_ledger` recomputes the tree and checks every kept checkpoint against it; and each round's
    // last checkpoint (and the very first), saved by an auditor, is consistent with the tree now.
    let saved = saved.into_inner().unwrap();
    assert!(!saved.is_empty());
    let mut picked: Vec<&Vec<u8>> = Vec::new();
    for round in 0..3 {
        let of_round: Vec<&Vec<u8>> = saved
            .iter()
            .filter(|(r, _)| *r == round)
            .map(|(_, n)| n)
            .collect();
        picked.extend(of_round.first());
        picked.extend(of_round.last());
    }
    for note in picked {
        let report = provenant_ledger_store::audit::verify_ledger(&store, &key, Some(note))
            .unwrap()
            .unwrap_or_else(|failure| panic!("{failure}"));
        assert_eq!(report.size, size);
    }
}
