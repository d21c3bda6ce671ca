//! The conformance suite, generic over [`LedgerStore`]: every store runs each check on a fresh, empty
//! store (see the `conformance_suite!` macro).

use std::sync::Arc;

use provenant_digest::Algorithm;
use provenant_ledger::tree::{self, MemoryTree};
use provenant_ledger::{Checkpoint, Hash, leaf_hash};
use provenant_ledger_store::redaction::{REDACTION_PREDICATE_TYPE, redaction_statement};
use provenant_ledger_store::{LedgerStore, Query, StoreError};

/// Defines one `#[test]` per conformance check; `$make()` returns `(guard, store)`, the guard keeping
/// the store's resources (a directory, a server) alive for the test.
macro_rules! conformance_suite {
    ($make:expr) => {
        conformance_suite!(@each $make;
            init_and_origin, batches_get_consecutive_indexes, a_bad_entry_refuses_the_whole_batch,
            entries_read_back_byte_for_byte, roots_and_proofs_match_an_independent_tree, queries_by_every_key,
            blobs_by_digest, checkpoints_are_kept_and_checked, redaction_keeps_the_leaf_hash,
            bad_redactions_change_nothing, concurrent_writers_get_no_gaps_or_duplicates,
            terms_are_found_by_prefix_and_dropped_by_redaction, terms_sort_byte_for_byte);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let (_guard, store) = $make();
                crate::conformance::$name(&store);
            }
        )*
    };
}

/// A verifier key recorded at init (the suite signs nothing).
pub(crate) const VKEY: &str = "example.com/ledger+00000000+AQ==";

pub(crate) const SUBJECT_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub(crate) const SUBJECT_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A statement about `subject` (`sha256:hex`) with predicate `predicate`.
pub(crate) fn statement(subject: &str, predicate_type: &str, predicate: &serde_json::Value) -> Vec<u8> {
    let hex = subject.strip_prefix("sha256:").unwrap();
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap()
}

pub(crate) fn numbered(i: u64) -> Vec<u8> {
    statement(
        SUBJECT_A,
        "https://example.com/event/v1",
        &serde_json::json!({"n": i}),
    )
}

fn initialised(store: &Arc<dyn LedgerStore>) {
    store.init("example.com/ledger", VKEY).unwrap();
}

pub(crate) fn init_and_origin(store: &Arc<dyn LedgerStore>) {
    assert!(matches!(store.origin(), Err(StoreError::NotInitialised)));
    store.init("example.com/ledger", VKEY).unwrap();
    assert_eq!(store.origin().unwrap(), "example.com/ledger");
    assert_eq!(store.verifier_key().unwrap(), VKEY);
    assert!(matches!(
        store.init("other", VKEY),
        Err(StoreError::AlreadyInitialised { origin }) if origin == "example.com/ledger"
    ));
    assert_eq!(store.size().unwrap(), 0);
    assert_eq!(store.tree_head().unwrap().root, Hash::EMPTY_ROOT);
}

pub(crate) fn batches_get_consecutive_indexes(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let first: Vec<Vec<u8>> = (0..3).map(numbered).collect();
    let got = store.append(&first, 10).unwrap();
    assert_eq!(got.iter().map(|a| a.index).collect::<Vec<_>>(), [0, 1, 2]);
    for (a, e) in got.iter().zip(&first) {
        assert_eq!(a.leaf_hash, leaf_hash(e));
    }
    let second: Vec<Vec<u8>> = (3..5).map(numbered).collect();
    let got = store.append(&second, 11).unwrap();
    assert_eq!(got.iter().map(|a| a.index).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(store.size().unwrap(), 5);
    assert!(matches!(store.append(&[], 12), Err(StoreError::EmptyBatch)));
}

pub(crate) fn a_bad_entry_refuses_the_whole_batch(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    store.append(&[numbered(0)], 1).unwrap();
    let err = store
        .append(&[numbered(1), b"not a statement".to_vec()], 2)
        .unwrap_err();
    assert!(matches!(err, StoreError::BadEntry { position: 1, .. }), "{err}");
    assert_eq!(store.size().unwrap(), 1);
    let err = store.append(&[numbered(1), vec![b' '; 70_000]], 2).unwrap_err();
    assert!(matches!(err, StoreError::BadEntry { position: 1, .. }), "{err}");
    assert_eq!(store.size().unwrap(), 1);
}

pub(crate) fn entries_read_back_byte_for_byte(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    // Whitespace and key order as written: the leaf hash is over these exact bytes.
    let odd = format!(
        "{{ \"predicateType\": \"t\",\n \"_type\": \"https://in-toto.io/Statement/v1\", \"predicate\": {{}}, \"subject\": [{{\"digest\": {{\"sha256\": \"{}\"}}}}] }}\n",
        &SUBJECT_B[7..]
    );
    let got = store.append(&[odd.clone().into_bytes()], 1_700_000_000).unwrap();
    let e = store.entry(got[0].index).unwrap();
    assert_eq!(e.content.as_deref(), Some(odd.as_bytes()));
    assert_eq!(e.leaf_hash, leaf_hash(odd.as_bytes()));
    assert_eq!(e.time, 1_700_000_000);
    assert_eq!(e.redacted_by, None);
    assert!(matches!(
        store.entry(1),
        Err(StoreError::NoEntry { index: 1, size: 1 })
    ));
}

pub(crate) fn roots_and_proofs_match_an_independent_tree(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let mut reference = MemoryTree::new();
    let mut roots = Vec::new();
    let mut next = 0u64;
    for batch in [1u64, 2, 3, 1, 7, 16, 33, 64, 130, 1] {
        let entries: Vec<Vec<u8>> = (next..next + batch).map(numbered).collect();
        store.append(&entries, 5).unwrap();
        for e in &entries {
            reference.push(e).unwrap();
            roots.push(reference.root().unwrap());
        }
        next += batch;
    }
    let size = store.size().unwrap();
    assert_eq!(size, next);
    assert_eq!(store.tree_head().unwrap().root, reference.root().unwrap());
    for k in 1..=size {
        assert_eq!(store.root_at(k).unwrap(), roots[(k - 1) as usize], "root at {k}");
    }
    let root = reference.root().unwrap();
    for index in [0, 1, 5, 100, size - 1] {
        let p = store.prove_inclusion(index, size).unwrap();
        assert_eq!(p, tree::prove_inclusion(index, size, &reference).unwrap());
        tree::verify_inclusion(&p, index, size, &leaf_hash(&numbered(index)), &root).unwrap();
    }
    for from in [1, 2, 7, 64, 200, size] {
        let p = store.prove_consistency(from, size).unwrap();
        tree::verify_consistency(&p, from, &roots[(from - 1) as usize], size, &root).unwrap();
    }
    assert!(store.prove_inclusion(size, size).is_err());
    assert!(store.prove_consistency(1, size + 1).is_err());
    assert!(store.root_at(size + 1).is_err());
}

pub(crate) fn queries_by_every_key(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let deploy = "https://provenant.dev/attestation/deployment/v1";
    let build = "https://slsa.dev/provenance/v1";
    let commit = "c".repeat(40);
    store
        .append(
            &[
                statement(SUBJECT_A, build, &serde_json::json!({"runDetails": {"builder": {"id": "ci"}, "metadata": {"invocationId": "run-1"}}, "commit": commit})),
                statement(SUBJECT_A, deploy, &serde_json::json!({"environment": "staging", "actor": "alice", "pipelineRun": "run-2"})),
            ],
            100,
        )
        .unwrap();
    store
        .append(
            &[statement(
                SUBJECT_B,
                deploy,
                &serde_json::json!({"environment": {"name": "prod"}, "actor": {"id": "bob"}}),
            )],
            200,
        )
        .unwrap();
    store
        .append(
            &[statement(
                SUBJECT_A,
                deploy,
                &serde_json::json!({"environment": "prod", "actor": "alice"}),
            )],
            300,
        )
        .unwrap();
    let q = |f: &dyn Fn(&mut Query)| {
        let mut query = Query::default();
        f(&mut query);
        store.query(&query).unwrap()
    };
    assert_eq!(q(&|_| {}), [0, 1, 2, 3]);
    assert_eq!(q(&|q| q.subject = Some(SUBJECT_A.into())), [0, 1, 3]);
    assert_eq!(q(&|q| q.subject = Some(SUBJECT_B.into())), [2]);
    assert_eq!(q(&|q| q.subject = Some("sha256:00".into())), Vec::<u64>::new());
    assert_eq!(q(&|q| q.predicate_type = Some(deploy.into())), [1, 2, 3]);
    assert_eq!(q(&|q| q.commit = Some(commit.clone())), [0]);
    assert_eq!(q(&|q| q.environment = Some("prod".into())), [2, 3]);
    assert_eq!(q(&|q| q.pipeline_run = Some("run-1".into())), [0]);
    assert_eq!(q(&|q| q.pipeline_run = Some("run-2".into())), [1]);
    assert_eq!(q(&|q| q.actor = Some("alice".into())), [1, 3]);
    assert_eq!(q(&|q| q.actor = Some("ci".into())), [0]);
    assert_eq!(q(&|q| q.since = Some(200)), [2, 3]);
    assert_eq!(q(&|q| q.until = Some(200)), [0, 1]);
    assert_eq!(
        q(&|q| {
            q.subject = Some(SUBJECT_A.into());
            q.environment = Some("prod".into());
        }),
        [3]
    );
    assert_eq!(
        q(&|q| {
            q.subject = Some(SUBJECT_A.into());
            q.limit = Some(2);
        }),
        [0, 1]
    );
}

pub(crate) fn blobs_by_digest(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let log = b"step 1 ok\nstep 2 ok\n".to_vec();
    let d = store.put_blob(&log).unwrap();
    assert_eq!(d, Algorithm::Sha256.hash_bytes(&log));
    assert_eq!(store.put_blob(&log).unwrap(), d);
    assert_eq!(store.blob(&d).unwrap().as_deref(), Some(log.as_slice()));
    assert_eq!(store.blob(&Algorithm::Sha256.hash_bytes(b"other")).unwrap(), None);
    // Blobs are not entries.
    assert_eq!(store.size().unwrap(), 0);
}

pub(crate) fn checkpoints_are_kept_and_checked(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    store.append(&[numbered(0), numbered(1)], 1).unwrap();
    let head = store.tree_head().unwrap();
    let cp = Checkpoint::new("example.com/ledger", head.size, &head.root);
    store.save_checkpoint(&cp, b"note 2").unwrap();
    store.append(&[numbered(2)], 1).unwrap();
    let head3 = store.tree_head().unwrap();
    store
        .save_checkpoint(&Checkpoint::new("example.com/ledger", 3, &head3.root), b"note 3")
        .unwrap();
    assert_eq!(
        store.checkpoints().unwrap(),
        [(2, b"note 2".to_vec()), (3, b"note 3".to_vec())]
    );
    assert_eq!(
        store.latest_checkpoint().unwrap().as_deref(),
        Some(b"note 3".as_slice())
    );
    let beyond = Checkpoint::new("example.com/ledger", 4, &head3.root);
    assert!(matches!(
        store.save_checkpoint(&beyond, b"x"),
        Err(StoreError::CheckpointBeyondTree {
            size: 4,
            ledger_size: 3
        })
    ));
    let wrong = Checkpoint::new("example.com/ledger", 3, &head.root);
    assert!(matches!(
        store.save_checkpoint(&wrong, b"x"),
        Err(StoreError::Corrupt { .. })
    ));
}

pub(crate) fn redaction_keeps_the_leaf_hash(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let entries: Vec<Vec<u8>> = (0..4).map(numbered).collect();
    let appended = store.append(&entries, 1).unwrap();
    let head = store.tree_head().unwrap();
    let r = store
        .redact(
            1,
            &redaction_statement(1, &appended[1].leaf_hash, "retention period over"),
            2,
        )
        .unwrap();
    assert_eq!(r.index, 4);
    let e = store.entry(1).unwrap();
    assert_eq!(e.content, None);
    assert_eq!(e.leaf_hash, appended[1].leaf_hash);
    assert_eq!(e.redacted_by, Some(4));
    // Every root and proof is unchanged; the redaction is itself an entry.
    assert_eq!(store.root_at(4).unwrap(), head.root);
    let new = store.tree_head().unwrap();
    let p = store.prove_inclusion(1, new.size).unwrap();
    tree::verify_inclusion(&p, 1, new.size, &appended[1].leaf_hash, &new.root).unwrap();
    let c = store.prove_consistency(4, 5).unwrap();
    tree::verify_consistency(&c, 4, &head.root, 5, &new.root).unwrap();
    let redaction_entry = store.entry(4).unwrap();
    assert!(
        String::from_utf8(redaction_entry.content.unwrap())
            .unwrap()
            .contains(REDACTION_PREDICATE_TYPE)
    );
    // The redacted entry is no longer found by its keys.
    let found = store
        .query(&Query {
            subject: Some(SUBJECT_A.into()),
            ..Query::default()
        })
        .unwrap();
    assert_eq!(found, [0, 2, 3]);
    // And `contents` gives the others' bytes in index order.
    let read: Vec<(u64, Vec<u8>)> = provenant_ledger_store::contents(
        store.as_ref(),
        &Query {
            subject: Some(SUBJECT_A.into()),
            ..Query::default()
        },
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(
        read,
        [
            (0, entries[0].clone()),
            (2, entries[2].clone()),
            (3, entries[3].clone())
        ]
    );
    assert!(matches!(
        store.redact(1, &redaction_statement(1, &appended[1].leaf_hash, "again"), 3),
        Err(StoreError::Redacted { index: 1, by: 4 })
    ));
}

pub(crate) fn bad_redactions_change_nothing(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let appended = store.append(&[numbered(0), numbered(1)], 1).unwrap();
    for (index, statement) in [
        (0, redaction_statement(0, &appended[1].leaf_hash, "wrong leaf")),
        (0, redaction_statement(1, &appended[0].leaf_hash, "wrong index")),
        (0, numbered(9)),
    ] {
        assert!(matches!(
            store.redact(index, &statement, 2),
            Err(StoreError::BadRedaction { .. })
        ));
    }
    assert!(matches!(
        store.redact(5, &redaction_statement(5, &appended[0].leaf_hash, "none"), 2),
        Err(StoreError::NoEntry { index: 5, .. })
    ));
    assert_eq!(store.size().unwrap(), 2);
    assert_eq!(store.entry(0).unwrap().content, Some(numbered(0)));
}

pub(crate) fn concurrent_writers_get_no_gaps_or_duplicates(store: &Arc<dyn LedgerStore>) {
    initialised(store);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for b in 0..10u64 {
                    let batch: Vec<Vec<u8>> = (0..5).map(|i| numbered(t * 1000 + b * 10 + i)).collect();
                    let got = store.append(&batch, 1).unwrap();
                    // A batch's indexes are consecutive.
                    assert!(got.windows(2).all(|w| w[1].index == w[0].index + 1));
                    mine.extend(got.into_iter().zip(batch));
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort_by_key(|(a, _)| a.index);
    assert_eq!(
        all.iter().map(|(a, _)| a.index).collect::<Vec<_>>(),
        (0..200).collect::<Vec<_>>()
    );
    let mut reference = MemoryTree::new();
    for (a, bytes) in &all {
        assert_eq!(
            store.entry(a.index).unwrap().content.as_deref(),
            Some(bytes.as_slice())
        );
        reference.push(bytes).unwrap();
    }
    assert_eq!(store.tree_head().unwrap().root, reference.root().unwrap());
}

pub(crate) fn terms_are_found_by_prefix_and_dropped_by_redaction(store: &Arc<dyn LedgerStore>) {
    use provenant_ledger::entry::TermKind;
    initialised(store);
    let sbom = |purls: &[&str]| {
        let components: Vec<serde_json::Value> = purls
            .iter()
            .map(|p| serde_json::json!({"type": "library", "name": "x", "purl": p}))
            .collect();
        statement(
            SUBJECT_A,
            "https://cyclonedx.org/bom",
            &serde_json::json!({"bomFormat": "CycloneDX", "components": components}),
        )
    };
    let vulns = statement(
        SUBJECT_B,
        "https://in-toto.io/attestation/vulns/v0.2",
        &serde_json::json!({"scanner": {"uri": "x", "result": [{"id": "CVE-2021-23337"}, {"id": "not an id"}]}}),
    );
    let provenance = statement(
        SUBJECT_B,
        "https://slsa.dev/provenance/v1",
        &serde_json::json!({"buildDefinition": {"buildType": "x", "resolvedDependencies": [
            {"name": "usr/bin/app", "digest": {"sha256": &SUBJECT_A["sha256:".len()..]}}]}}),
    );
    store
        .append(
            &[
                sbom(&["pkg:npm/lodash@4.17.20", "pkg:npm/lodash-es@4.17.21"]),
                sbom(&["pkg:npm/lodash@4.17.21", "pkg:cargo/serde@1.0.0"]),
                vulns,
                provenance,
            ],
            1,
        )
        .unwrap();
    assert_eq!(
        store.terms(TermKind::Purl, "pkg:npm/lodash@").unwrap(),
        [
            ("pkg:npm/lodash@4.17.20".to_owned(), 0),
            ("pkg:npm/lodash@4.17.21".to_owned(), 1)
        ]
    );
    assert_eq!(store.terms(TermKind::Purl, "pkg:npm/lodash").unwrap().len(), 3);
    let sboms = Query {
        predicate_type: Some("https://cyclonedx.org/bom".into()),
        ..Query::default()
    };
    assert_eq!(store.newest(&sboms).unwrap(), Some(1));
    assert_eq!(
        store
            .newest(&Query {
                environment: Some("nowhere".into()),
                ..Query::default()
            })
            .unwrap(),
        None
    );
    assert_eq!(
        store.terms(TermKind::Vulnerability, "CVE-2021-23337").unwrap(),
        [("CVE-2021-23337".to_owned(), 2)]
    );
    assert!(store.terms(TermKind::Vulnerability, "not").unwrap().is_empty());
    assert_eq!(
        store.terms(TermKind::Material, SUBJECT_A).unwrap(),
        [(SUBJECT_A.to_owned(), 3)]
    );
    let leaf = store.entry(0).unwrap().leaf_hash;
    store
        .redact(0, &redaction_statement(0, &leaf, "retention period over"), 2)
        .unwrap();
    assert_eq!(
        store.terms(TermKind::Purl, "pkg:npm/lodash@").unwrap(),
        [("pkg:npm/lodash@4.17.21".to_owned(), 1)]
    );
}

/// Purls that differ in case and outside ASCII: `terms` sorts them byte for byte (as Rust compares
/// strings), whatever order a database's collation would give, and a prefix is a prefix of bytes.
pub(crate) fn terms_sort_byte_for_byte(store: &Arc<dyn LedgerStore>) {
    use provenant_ledger::entry::TermKind;
    initialised(store);
    let purls = [
        "pkg:npm/z@1",
        "pkg:npm/t@1",
        "pkg:npm/Z@1",
        "pkg:npm/s@1",
        "pkg:npm/é@1",
        "pkg:npm/sz@1",
    ];
    let components: Vec<serde_json::Value> = purls
        .iter()
        .map(|p| serde_json::json!({"type": "library", "name": "x", "purl": p}))
        .collect();
    store
        .append(
            &[statement(
                SUBJECT_A,
                "https://cyclonedx.org/bom",
                &serde_json::json!({"bomFormat": "CycloneDX", "components": components}),
            )],
            1,
        )
        .unwrap();
    let mut expected: Vec<(String, u64)> = purls.iter().map(|p| ((*p).to_owned(), 0)).collect();
    expected.sort();
    assert_eq!(store.terms(TermKind::Purl, "pkg:npm/").unwrap(), expected);
    assert_eq!(
        store.terms(TermKind::Purl, "pkg:npm/s").unwrap(),
        [("pkg:npm/s@1".to_owned(), 0), ("pkg:npm/sz@1".to_owned(), 0)]
    );
    assert_eq!(
        store.terms(TermKind::Purl, "pkg:npm/Z").unwrap(),
        [("pkg:npm/Z@1".to_owned(), 0)]
    );
}
