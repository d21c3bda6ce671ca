//! Reading the build a provenance records, bare or wrapped.

use base64::Engine as _;
use provenant_repro::rebuild::{COMMAND_BUILD_TYPE, RebuildError, parse_provenance};

fn statement(command: Option<&[&str]>, build_type: &str) -> serde_json::Value {
    let mut ext = serde_json::json!({
        "source": {"uri": "git+https://github.com/example/fixture@refs/heads/main", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}},
        "workingDirectory": "app"
    });
    if let Some(c) = command {
        ext["command"] = serde_json::json!(c);
    }
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "out/hello", "digest": {"sha256": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": build_type, "externalParameters": ext}, "runDetails": {"builder": {"id": "x"}}}
    })
}

#[test]
fn bare_dsse_and_bundle_forms_read_the_same() {
    let st = statement(Some(&["./build.sh", "--release"]), COMMAND_BUILD_TYPE);
    let bare = serde_json::to_vec(&st).unwrap();
    let payload = base64::engine::general_purpose::STANDARD.encode(&bare);
    let envelope = serde_json::json!({"payloadType": "application/vnd.in-toto+json", "payload": payload, "signatures": []});
    let bundle = serde_json::json!({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "dsseEnvelope": envelope.clone()});
    let a = parse_provenance(&bare).unwrap();
    assert_eq!(
        a,
        parse_provenance(&serde_json::to_vec(&envelope).unwrap()).unwrap()
    );
    assert_eq!(
        a,
        parse_provenance(&serde_json::to_vec(&bundle).unwrap()).unwrap()
    );
    assert_eq!(a.command, ["./build.sh", "--release"]);
    assert_eq!(a.working_directory, "app");
    assert_eq!(
        a.commit.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(a.subjects[0].0, "out/hello");
}

#[test]
fn what_cannot_be_rerun_is_refused() {
    let no_command = serde_json::to_vec(&statement(None, COMMAND_BUILD_TYPE)).unwrap();
    assert!(matches!(
        parse_provenance(&no_command),
        Err(RebuildError::NotRerunnable { .. })
    ));
    let other_type = serde_json::to_vec(&statement(Some(&["make"]), "https://example.com/other")).unwrap();
    assert!(matches!(
        parse_provenance(&other_type),
        Err(RebuildError::NotRerunnable { .. })
    ));
    let mut escaping = statement(Some(&["make"]), COMMAND_BUILD_TYPE);
    escaping["subject"][0]["name"] = "../../etc/passwd".into();
    assert!(matches!(
        parse_provenance(&serde_json::to_vec(&escaping).unwrap()),
        Err(RebuildError::Format { .. })
    ));
    let mut wd = statement(Some(&["make"]), COMMAND_BUILD_TYPE);
    wd["predicate"]["buildDefinition"]["externalParameters"]["workingDirectory"] = "/tmp".into();
    assert!(matches!(
        parse_provenance(&serde_json::to_vec(&wd).unwrap()),
        Err(RebuildError::Format { .. })
    ));
    assert!(matches!(
        parse_provenance(b"not json"),
        Err(RebuildError::Format { .. })
    ));
}
