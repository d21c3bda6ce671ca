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
