//! Index keys read from entries.

use base64::Engine as _;
use provenant_ledger::entry::{EntryError, EntryKeys};

fn statement(predicate_type: &str, predicate: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": "a".repeat(64), "gitCommit": "b".repeat(40)}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap()
}

#[test]
fn provenant_fields_are_indexed() {
    let e = statement(
        "https://provenant.dev/attestation/deployment/v1",
        &serde_json::json!({"commit": "c".repeat(40), "environment": {"name": "prod"}, "pipelineRun": "run-7", "actor": {"id": "alice"}}),
    );
    let k = EntryKeys::from_entry(&e).unwrap();
    assert_eq!(
        k.subjects,
        [
            format!("gitCommit:{}", "b".repeat(40)),
            format!("sha256:{}", "a".repeat(64))
        ]
    );
    assert_eq!(
        k.predicate_type,
        "https://provenant.dev/attestation/deployment/v1"
    );
    assert_eq!(k.commit.as_deref(), Some("c".repeat(40).as_str()));
    assert_eq!(k.environment.as_deref(), Some("prod"));
    assert_eq!(k.pipeline_run.as_deref(), Some("run-7"));
    assert_eq!(k.actor.as_deref(), Some("alice"));
}

#[test]
fn slsa_fields_are_indexed() {
    let e = statement(
        "https://slsa.dev/provenance/v1",
        &serde_json::json!({
            "buildDefinition": {"buildType": "x", "resolvedDependencies": [{"uri": "git+https://x", "digest": {"gitCommit": "d".repeat(40)}}]},
            "runDetails": {"builder": {"id": "https://builder"}, "metadata": {"invocationId": "inv-1"}}
        }),
    );
    let k = EntryKeys::from_entry(&e).unwrap();
    assert_eq!(k.commit.as_deref(), Some("d".repeat(40).as_str()));
    assert_eq!(k.pipeline_run.as_deref(), Some("inv-1"));
    assert_eq!(k.actor.as_deref(), Some("https://builder"));
    assert_eq!(k.environment, None);
}

#[test]
fn envelopes_of_statements_are_indexed() {
    let s = statement("https://example.com/p", &serde_json::json!({}));
    let env = serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64::engine::general_purpose::STANDARD.encode(&s),
        "signatures": [{"sig": "AAAA"}],
    });
    let k = EntryKeys::from_entry(&serde_json::to_vec(&env).unwrap()).unwrap();
    assert_eq!(k.predicate_type, "https://example.com/p");
    assert_eq!(k.commit.as_deref(), Some("b".repeat(40).as_str()));
    let other =
        serde_json::json!({"payloadType": "text/plain", "payload": "AAAA", "signatures": [{"sig": "AAAA"}]});
    assert!(matches!(
        EntryKeys::from_entry(&serde_json::to_vec(&other).unwrap()),
        Err(EntryError::NotInToto { .. })
    ));
}

#[test]
fn non_statements_are_refused() {
    assert!(matches!(EntryKeys::from_entry(b""), Err(EntryError::Empty)));
    assert!(matches!(
        EntryKeys::from_entry(b"log line"),
        Err(EntryError::NotStatement(_))
    ));
    assert!(matches!(
        EntryKeys::from_entry(&vec![b' '; 70_000]),
        Err(EntryError::TooLarge { size: 70_000 })
    ));
    let unknown_field = String::from_utf8(statement("t", &serde_json::json!({})))
        .unwrap()
        .replacen('{', "{\"extra\":1,", 1);
    assert!(matches!(
        EntryKeys::from_entry(unknown_field.as_bytes()),
        Err(EntryError::NotStatement(_))
    ));
}

#[test]
fn sigstore_bundles_of_statements_are_indexed() {
    let key = provenant_keys::SigningKey::generate(provenant_keys::KeyKind::EcdsaP256).unwrap();
    let s = statement(
        "https://provenant.dev/attestation/approval/v1",
        &serde_json::json!({"environment": "prod"}),
    );
    let bundle = provenant_sigstore_sign::keyed::sign_statement(&key, &s)
        .unwrap()
        .to_json_v0_3()
        .unwrap();
    let k = EntryKeys::from_entry(&bundle).unwrap();
    assert_eq!(k.predicate_type, "https://provenant.dev/attestation/approval/v1");
    assert_eq!(k.environment.as_deref(), Some("prod"));
    assert_eq!(k.subjects[1], format!("sha256:{}", "a".repeat(64)));
    let blob = provenant_sigstore_sign::keyed::sign_blob(&key, b"a message")
        .unwrap()
        .to_json_v0_3()
        .unwrap();
    assert!(matches!(
        EntryKeys::from_entry(&blob),
        Err(EntryError::BundleWithoutStatement)
    ));
}
