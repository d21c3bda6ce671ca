//! The typed `DigestSet` and building statements from typed digests.

use provenant_attest::{DigestSet, DigestSetError, Statement, StatementError, predicate};
use provenant_digest::Algorithm;

#[test]
fn values_are_checked_per_algorithm() {
    let mut set = DigestSet::new();
    assert_eq!(set.insert("sha256", "ab"), Err(DigestSetError::WrongLength));
    assert_eq!(
        set.insert("sha256", "A".repeat(64)),
        Err(DigestSetError::NotLowercaseHex)
    );
    assert_eq!(set.insert("sha512", ""), Err(DigestSetError::Empty));
    set.insert("sha1", "a".repeat(40)).unwrap();
    set.insert("gitCommit", "b".repeat(64)).unwrap();
    set.insert("gitTree", "c".repeat(40)).unwrap();
    assert_eq!(
        set.insert("gitBlob", "c".repeat(41)),
        Err(DigestSetError::WrongLength)
    );
    // Custom algorithms and those the reference validator leaves unchecked take any non-empty value.
    set.insert("myHash", "Not Hex!").unwrap();
    set.insert("blake2b", "ZZ").unwrap();
    assert_eq!(set.insert("custom", ""), Err(DigestSetError::Empty));
    // Sorted by algorithm name, and serialised as the plain JSON object.
    let names: Vec<&str> = set.iter().map(|(a, _)| a).collect();
    assert_eq!(names, ["blake2b", "gitCommit", "gitTree", "myHash", "sha1"]);
    let json = serde_json::to_value(&set).unwrap();
    assert_eq!(json["myHash"], "Not Hex!");
    assert_eq!(serde_json::from_value::<DigestSet>(json).unwrap(), set);
}

#[test]
fn typed_digests_match_only_themselves() {
    let a = Algorithm::Sha256.hash_bytes(b"a");
    let b = Algorithm::Sha256.hash_bytes(b"b");
    let mut set = DigestSet::from_digest(&a);
    assert!(set.matches(&a));
    assert!(!set.matches(&b));
    let a512 = Algorithm::Sha512.hash_bytes(b"a");
    set.insert_digest(&a512);
    assert_eq!(set.len(), 2);
    assert_eq!(set.digests(), vec![a, a512]);
    assert_eq!(set.get("sha512"), Some(a512.hex().as_str()));

    let statement = Statement::from_digests(
        [("a.txt", &a), ("b.txt", &b)],
        predicate::PROVENANT_REPRODUCIBILITY_V1,
        serde_json::json!({}),
    );
    statement.validate().unwrap();
    assert!(statement.matches(&a) && statement.matches(&b));
    assert!(!statement.matches(&Algorithm::Sha256.hash_bytes(b"c")));
    assert!(
        !statement.matches(&a512),
        "a digest the statement does not record"
    );
    assert_eq!(
        statement.subject_matching(&b).and_then(|s| s.name.as_deref()),
        Some("b.txt")
    );
}

#[test]
fn statement_errors_name_the_digest_field() {
    let doc = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x", "digest": {"sha256": "a".repeat(64)}}, {"name": "y", "digest": {"gitCommit": "abc"}}],
        "predicateType": predicate::SPDX,
        "predicate": {}
    });
    assert_eq!(
        Statement::from_json(doc.to_string().as_bytes()).unwrap_err(),
        StatementError::Field {
            field: "subject[1].digest.gitCommit".into(),
            reason: "digest has the wrong length for its algorithm"
        }
    );
    let empty = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x", "digest": {}}],
        "predicateType": predicate::SPDX,
        "predicate": {}
    });
    assert_eq!(
        Statement::from_json(empty.to_string().as_bytes()).unwrap_err(),
        StatementError::Field {
            field: "subject[0].digest".into(),
            reason: "a subject needs at least one digest"
        }
    );
}
