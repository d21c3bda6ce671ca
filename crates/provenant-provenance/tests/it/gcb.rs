//! Google Cloud Build provenance: slsa-verifier's GCB unit vectors (signature, provenance-summary and
//! v1.0 source cases of `verifiers/internal/gcb/provenance_test.go`), and tampering with a real signed
//! summary: each change fails the check it should, and says so.

use std::path::PathBuf;

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use provenant_keys::PublicKey;
use provenant_provenance::gcb::{
    GcbError, GcbExpectations, GcbKeys, ImageReferenceError, immutable_image_digest, verify_gcb,
    verify_signatures,
};
use provenant_slsa::gcb::model::{GcbStatement, ProvenanceSummary};
use provenant_slsa::gcb::{self, GcbPolicyError};
use serde_json::Value;

fn root() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

fn unit(name: &str) -> Vec<u8> {
    std::fs::read(root().join("verifiers/internal/gcb/testdata").join(name)).unwrap()
}

fn cli(path: &str) -> Vec<u8> {
    std::fs::read(root().join("cli/slsa-verifier/testdata/gcb_container").join(path)).unwrap()
}

fn keys() -> GcbKeys {
    let mut keys = GcbKeys::new();
    for entry in std::fs::read_dir(root().join("verifiers/internal/gcb/keys/materials")).unwrap() {
        let path = entry.unwrap().path();
        let key = PublicKey::from_pem(&std::fs::read_to_string(&path).unwrap()).unwrap();
        keys.insert(&path.file_stem().unwrap().to_string_lossy(), key)
            .unwrap();
    }
    keys
}

fn builder() -> String {
    gcb::BUILDER_NAME.to_owned()
}

/// `Test_VerifySignature` and `Test_ProvenanceFromBytes`: which summaries have a valid signature.
#[test]
fn signature_vectors_match_slsa_verifier() {
    let keys = keys();
    let cases: &[(&str, Option<&str>)] = &[
        ("gcloud-container-github.json", None),
        ("gcloud-container-global-pae-signing-key-successful.json", None),
        ("gcloud-container-invalid-signature.json", Some("signature")),
        (
            "gcloud-container-invalid-signature-payloadtype.json",
            Some("signature"),
        ),
        (
            "gcloud-container-invalid-signature-global-pae-key.json",
            Some("signature"),
        ),
        ("gcloud-container-empty-signature.json", Some("signature")),
        (
            "gcloud-container-invalid-signature-region.json",
            Some("signature"),
        ),
        ("gcloud-container-empty-signature-region.json", Some("signature")),
        ("gcloud-container-invalid-keyid.json", Some("signature")),
        ("gcloud-container-empty-keyid.json", Some("signature")),
        ("gcloud-container-no-keyid.json", Some("signature")),
        (
            "gcloud-container-multiple-invalid-signatures.json",
            Some("signature"),
        ),
        ("gcloud-container-multiple-signatures-2ndvalid.json", None),
        ("gcloud-container-multiple-signatures-3rdvalid.json", None),
        ("gcloud-container-multiple-signatures-global-pae-valid.json", None),
        ("v1.0-gcloud-container-github-single.json", None),
        (
            "v1.0-gcloud-container-github-single-invalid-sig.json",
            Some("signature"),
        ),
        (
            "v1.0-gcloud-container-github-both-invalid-sig.json",
            Some("signature"),
        ),
        ("v1.0-gcloud-container-github-v1.0-valid.json", None),
        ("v1.0-gcloud-container-github-v0.1-valid.json", None),
        // Test_ProvenanceFromBytes: not a summary, or one without provenance.
        ("gcloud-container-no-signature.json", Some("summary")),
        ("gcloud-container-empty-provenance.json", Some("summary")),
        ("v1.0-gcloud-container-github-nosigs.json", Some("summary")),
    ];
    for (file, expected) in cases {
        let result = ProvenanceSummary::from_json(&unit(file))
            .map_err(GcbError::from)
            .and_then(|s| verify_signatures(&s, &keys));
        match (expected, &result) {
            (None, Ok(_)) => {}
            (Some(check), Err(e)) => assert_eq!(e.check(), *check, "{file}: {e}"),
            _ => panic!("{file}: expected {expected:?}, got {:?}", result.map(|r| r.3)),
        }
    }
}

/// The v1.0 statement is read when the `google-hosted-worker` key signed, the v0.1 one otherwise.
#[test]
fn the_signing_key_decides_the_statement_version() {
    let keys = keys();
    let v1 = ProvenanceSummary::from_json(&unit("v1.0-gcloud-container-github-v1.0-valid.json")).unwrap();
    let (_, _, statement, key) = verify_signatures(&v1, &keys).unwrap();
    assert!(matches!(statement, GcbStatement::V1(_)));
    assert_eq!(key, "global-pae-google-hosted-worker_1");
    let v01 = ProvenanceSummary::from_json(&unit("v1.0-gcloud-container-github-v0.1-valid.json")).unwrap();
    let (index, _, statement, key) = verify_signatures(&v01, &keys).unwrap();
    assert!(matches!(statement, GcbStatement::V01(_)));
    assert_eq!((index, key.as_str()), (1, "global-pae-provenanceSigner_1"));
}

fn summary_digest(bytes: &[u8]) -> Digest {
    let v: Value = serde_json::from_slice(bytes).unwrap();
    v["image_summary"]["digest"].as_str().unwrap().parse().unwrap()
}

fn expect(image: Digest, source: &str) -> GcbExpectations {
    GcbExpectations {
        image,
        source_uri: source.to_owned(),
        builder_id: Some(builder()),
        branch: None,
        tag: None,
        versioned_tag: None,
    }
}

/// The first entry's payload read as a v1.0 statement, as slsa-verifier's unit tests read it: some of
/// these vectors were edited after signing, so only the policy is checked on them.
fn v1_statement(file: &str) -> GcbStatement {
    let summary = ProvenanceSummary::from_json(&unit(file)).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&summary.provenance_summary.provenance[0].envelope.payload)
        .unwrap();
    GcbStatement::parse_v1(&payload).unwrap()
}

/// `Test_VerifySourceURI`'s v1.0 cases.
#[test]
fn v1_source_cases_match_slsa_verifier() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "v1.0-gcloud-container-github.json",
            "https://github.com/khalkie/gcb-prod-prov",
            None,
        ),
        (
            "v1.0-gcloud-container-github.json",
            "github.com/khalkie/gcb-prod-prov",
            None,
        ),
        (
            "v1.0-gcloud-container-github-nogit.json",
            "https://github.com/khalkie/gcb-prod-prov",
            None,
        ),
        (
            "v1.0-gcloud-container-github.json",
            "https://github.com/khalkie/gcb-prod-prov@refs/heads/main",
            Some("source"),
        ),
        (
            "v1.0-gcloud-container-github-sourcediff.json",
            "https://github.com/khalkie/gcb-prod-prov",
            Some("source"),
        ),
        (
            "v1.0-gcloud-container-github-inline.json",
            "https://github.com/khalkie/gcb-prod-prov",
            Some("source"),
        ),
        (
            "v1.0-gcloud-container-gitlab.json",
            "https://gitlab.com/proctorprober/khalk-slsav1",
            None,
        ),
        (
            "v1.0-gcloud-container-gitlabent.json",
            "https://gle-us-central1.gcb-test.com/proctorprober/khalk-slsav1",
            None,
        ),
        (
            "v1.0-gcloud-container-bb.json",
            "https://bbs.gcb-test.com:8443/staging-qual-us-west1-push2",
            None,
        ),
    ];
    for (file, source, expected) in cases {
        let statement = v1_statement(file);
        let result = gcb::verify_builder(&statement, Some(gcb::BUILDER_NAME))
            .and_then(|b| gcb::verify_source(&statement, &b, source));
        match (expected, &result) {
            (None, Ok(())) => {}
            (Some(_), Err(e)) => assert!(
                matches!(
                    e,
                    GcbPolicyError::SourceMismatch { .. } | GcbPolicyError::SourceWithoutRef { .. }
                ),
                "{file}: {e}"
            ),
            _ => panic!("{file} {source}: expected {expected:?}, got {result:?}"),
        }
    }
}

/// A whole v1.0 verification, the readable statement included, on the vectors whose v1.0 entry is
/// signed as published.
#[test]
fn v1_provenance_verifies_end_to_end() {
    let keys = keys();
    let cases: &[(&str, &str)] = &[
        (
            "v1.0-gcloud-container-github.json",
            "github.com/khalkie/gcb-prod-prov",
        ),
        (
            "v1.0-gcloud-container-github-v1.0-valid.json",
            "github.com/khalkie/gcb-prod-prov",
        ),
    ];
    for (file, source) in cases {
        let bytes = unit(file);
        let v = verify_gcb(&bytes, &keys, &expect(summary_digest(&bytes), source))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(matches!(v.statement, GcbStatement::V1(_)), "{file}");
        assert_eq!(v.builder_id.to_string(), gcb::BUILDER_NAME);
        assert_eq!(v.key, "global-pae-google-hosted-worker_1");
    }
    // A v1.0 builder id carries no version: asking for one fails the builder check.
    let bytes = unit("v1.0-gcloud-container-github.json");
    // The readable v1.0 copy must say what the signed statement says.
    let text = edit(&bytes, |v| {
        v["provenance_summary"]["provenance"][0]["build"]["inTotoSlsaProvenanceV1"]["predicate"]["runDetails"]
            ["metadata"]["invocationId"] = "https://example.com/another-build".into();
    });
    let err = verify_gcb(
        &text,
        &keys,
        &expect(summary_digest(&bytes), "github.com/khalkie/gcb-prod-prov"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the readable statement (build.inTotoSlsaProvenanceV1) differs from the signed statement"
    );
    let mut e = expect(summary_digest(&bytes), "github.com/khalkie/gcb-prod-prov");
    e.builder_id = Some(format!("{}@v0.3", gcb::BUILDER_NAME));
    let err = verify_gcb(&bytes, &keys, &e).unwrap_err();
    assert!(
        matches!(err, GcbError::Policy(GcbPolicyError::BuilderMismatch { .. })),
        "{err}"
    );
    // The branch is not recorded: slsa-verifier refuses the check rather than guess.
    let mut e = expect(summary_digest(&bytes), "github.com/khalkie/gcb-prod-prov");
    e.branch = Some("main".to_owned());
    assert_eq!(verify_gcb(&bytes, &keys, &e).unwrap_err().check(), "branch");
}

/// The v1.0 tag is read from the substitutions and must agree with the ref that was built
/// (`Test_VerifyTag`'s vectors).
#[test]
fn v1_tag_is_checked_against_the_built_ref() {
    let statement = v1_statement("v1.0-gcloud-container-github-tag.json");
    let tag = gcb::source_tag(&statement).unwrap();
    gcb::verify_tag(&statement, &tag).unwrap();
    assert_eq!(
        gcb::verify_tag(&statement, "v0.0.0-nope")
            .unwrap_err()
            .to_string(),
        format!("tag mismatch: expected \"v0.0.0-nope\", the build ran for {tag:?}")
    );
    // A branch build has no tag to check.
    let branch = v1_statement("v1.0-gcloud-container-github.json");
    assert!(matches!(
        gcb::verify_tag(&branch, "v1.0.0"),
        Err(GcbPolicyError::NoTag { check: "tag", .. })
    ));
    // Why, typed.
    assert_eq!(
        gcb::source_tag(&branch),
        Err(gcb::TagError::Missing { name: "TAG_NAME" })
    );
}

/// The summary of slsa-verifier's `gcb_container/v0.3/gcloud-container-github.json`, its image digest and
/// what verifies it.
fn v03() -> (Vec<u8>, GcbExpectations) {
    let bytes = cli("v0.3/gcloud-container-github.json");
    let digest = String::from_utf8(cli("v0.3/gcloud-container-github.digest")).unwrap();
    (
        bytes,
        expect(
            digest.trim().parse().unwrap(),
            "github.com/laurentsimon/gcb-tests",
        ),
    )
}

fn edit(bytes: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn envelope(v: &mut Value) -> &mut Value {
    &mut v["provenance_summary"]["provenance"][0]["envelope"]
}

#[test]
fn tampering_fails_the_check_it_touches() {
    let keys = keys();
    let (bytes, expected) = v03();
    let ok = verify_gcb(&bytes, &keys, &expected).unwrap();
    assert_eq!((ok.key.as_str(), ok.entry), ("us-west2", 0));
    assert_eq!(
        ok.builder_id.to_string(),
        "https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3"
    );

    // One byte of the signed payload.
    let flipped = edit(&bytes, |v| {
        let env = envelope(v);
        let mut payload = base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap();
        let i = payload.iter().position(|b| *b == b'6').unwrap();
        payload[i] = b'7';
        env["payload"] = base64::engine::general_purpose::STANDARD.encode(payload).into();
    });
    let err = verify_gcb(&flipped, &keys, &expected).unwrap_err();
    assert_eq!(err.check(), "signature");
    assert!(
        err.to_string().contains("does not verify with key \"us-west2\""),
        "{err}"
    );

    // One byte of the signature.
    let flipped = edit(&bytes, |v| {
        let env = envelope(v);
        let sig = env["signatures"][0]["sig"].as_str().unwrap().to_owned();
        let mut raw = base64::engine::general_purpose::URL_SAFE.decode(&sig).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        env["signatures"][0]["sig"] = base64::engine::general_purpose::URL_SAFE.encode(raw).into();
    });
    let err = verify_gcb(&flipped, &keys, &expected).unwrap_err();
    assert_eq!(err.check(), "signature");
    assert!(err.to_string().contains("entry 0 signature 0"), "{err}");

    // The right key id, the wrong key: us-west2's signature checked with us-east1's key.
    let mut wrong = GcbKeys::new();
    let east =
        std::fs::read_to_string(root().join("verifiers/internal/gcb/keys/materials/us-east1.key")).unwrap();
    wrong
        .insert("us-west2", PublicKey::from_pem(&east).unwrap())
        .unwrap();
    let err = verify_gcb(&bytes, &wrong, &expected).unwrap_err();
    assert_eq!(err.check(), "signature");
    assert!(
        err.to_string().contains("does not verify with key \"us-west2\""),
        "{err}"
    );

    // No key for the region at all.
    let err = verify_gcb(&bytes, &GcbKeys::new(), &expected).unwrap_err();
    assert!(
        err.to_string().contains("no GCB public key named \"us-west2\""),
        "{err}"
    );

    // Unsigned fields: the readable copy, the entry's metadata, the image summary.
    let text = edit(&bytes, |v| {
        v["provenance_summary"]["provenance"][0]["build"]["intotoStatement"]["slsaProvenance"]["recipe"]["entryPoint"] =
            "other.yaml".into();
    });
    assert_eq!(verify_gcb(&text, &keys, &expected).unwrap_err().check(), "text");
    let kind = edit(&bytes, |v| {
        v["provenance_summary"]["provenance"][0]["kind"] = "ATTESTATION".into();
    });
    assert_eq!(
        verify_gcb(&kind, &keys, &expected).unwrap_err().check(),
        "metadata"
    );
    let summary = edit(&bytes, |v| {
        v["image_summary"]["fully_qualified_digest"] = "example.com/other@sha256:00".into();
    });
    assert_eq!(
        verify_gcb(&summary, &keys, &expected).unwrap_err().check(),
        "image-summary"
    );

    // Another image.
    let mut other = expected.clone();
    other.image = Algorithm::Sha256.hash_bytes(b"another image");
    let err = verify_gcb(&bytes, &keys, &other).unwrap_err();
    assert_eq!(err.check(), "subject");
    assert!(
        err.to_string().starts_with("no subject has digest sha256:"),
        "{err}"
    );

    // A key id that names no GCB key is ignored, so nothing verifies.
    let renamed = edit(&bytes, |v| {
        envelope(v)["signatures"][0]["keyid"] = "projects/someone-else/keys/1".into();
    });
    let err = verify_gcb(&renamed, &keys, &expected).unwrap_err();
    assert_eq!(
        err.to_string(),
        "signature: no valid signature in 1 provenance entry (no signature names a GCB key)"
    );
}

/// Each signature failure names what failed: a signature that is not base64, one that does not verify
/// over the payload, none that verifies over the DSSE PAE with a global key.
#[test]
fn signature_failures_say_what_failed() {
    let keys = keys();
    let (bytes, expected) = v03();
    let garbled = edit(&bytes, |v| {
        envelope(v)["signatures"][0]["sig"] = "not base64!".into();
    });
    let err = verify_gcb(&garbled, &keys, &expected).unwrap_err();
    assert!(
        err.to_string()
            .contains("entry 0 signature 0: signature is neither standard nor URL-safe base64"),
        "{err}"
    );
    let pae = ProvenanceSummary::from_json(&unit("gcloud-container-invalid-signature-global-pae-key.json"))
        .unwrap();
    let err = verify_signatures(&pae, &keys).unwrap_err();
    assert!(
        err.to_string()
            .contains("no signature over the DSSE PAE verifies with the global key"),
        "{err}"
    );
}

#[test]
fn only_immutable_sha256_references_name_an_image() {
    let hex = "f472ca4b68898c951ac3b476cba919d0d56fca4ced631fabcead51e4b2b690e7";
    let d = immutable_image_digest(&format!("laurentsimon/slsa-gcb-v0.3:test@sha256:{hex}")).unwrap();
    assert_eq!(d.hex(), hex);
    assert!(matches!(
        immutable_image_digest("index.docker.io/laurentsimon/scorecard"),
        Err(ImageReferenceError::Mutable { .. })
    ));
    assert!(matches!(
        immutable_image_digest("index.docker.io/laurentsimon/scorecard:latest"),
        Err(ImageReferenceError::Mutable { .. })
    ));
    assert!(matches!(
        immutable_image_digest("Not A Reference@@"),
        Err(ImageReferenceError::Malformed { .. })
    ));
    assert!(matches!(
        immutable_image_digest(&format!("example.com/i@sha512:{}", "a".repeat(128))),
        Err(ImageReferenceError::NotSha256 { .. })
    ));
}

#[test]
fn the_builder_selects_the_gcb_verifier() {
    let keys = keys();
    let (bytes, mut expected) = v03();
    expected.builder_id = Some("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.9.0".to_owned());
    let err = verify_gcb(&bytes, &keys, &expected).unwrap_err();
    assert!(
        matches!(err, GcbError::Policy(GcbPolicyError::UnsupportedBuilder { .. })),
        "{err}"
    );
    expected.builder_id = Some(format!("{}@v0.3@x", gcb::BUILDER_NAME));
    let err = verify_gcb(&bytes, &keys, &expected).unwrap_err();
    assert!(
        matches!(err, GcbError::Policy(GcbPolicyError::MalformedBuilderId { .. })),
        "{err}"
    );
    expected.builder_id = None;
    verify_gcb(&bytes, &keys, &expected).unwrap();
}

#[test]
fn key_names_are_region_or_key_names() {
    let key = PublicKey::from_pem(
        &std::fs::read_to_string(root().join("verifiers/internal/gcb/keys/materials/global.key")).unwrap(),
    )
    .unwrap();
    let mut keys = GcbKeys::new();
    for bad in ["", "../global", "us west", "a/b"] {
        assert!(keys.insert(bad, key.clone()).is_err(), "{bad:?}");
    }
    keys.insert("global", key.clone()).unwrap();
    assert!(keys.insert("global", key).is_err());
}

#[test]
fn hostile_summaries_are_bounded() {
    let keys = keys();
    let (bytes, expected) = v03();
    // Many signatures naming the global PAE key: refused without trying them all.
    let many = edit(&bytes, |v| {
        let sig = envelope(v)["signatures"][0]["sig"].clone();
        let s: Vec<Value> = (0..1000)
            .map(|_| serde_json::json!({"keyid": gcb::V01_GLOBAL_PAE_KEY_ID, "sig": sig}))
            .collect();
        envelope(v)["signatures"] = Value::Array(s);
    });
    let err = verify_gcb(&many, &keys, &expected).unwrap_err();
    assert!(
        err.to_string()
            .contains("1000 signatures, more than the 16 tried"),
        "{err}"
    );
    // Many entries.
    let entries = edit(&bytes, |v| {
        let e = v["provenance_summary"]["provenance"][0].clone();
        v["provenance_summary"]["provenance"] = Value::Array(vec![e; 100]);
    });
    let err = verify_gcb(&entries, &keys, &expected).unwrap_err();
    assert!(matches!(err, GcbError::TooManyEntries { entries: 100 }), "{err}");
    assert_eq!(err.check(), "summary");
    // Deep nesting is refused by the parser, not followed.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        verify_gcb(deep.as_bytes(), &keys, &expected).unwrap_err().check(),
        "summary"
    );
}

#[test]
fn cosign_layers_need_their_certificate_and_rekor_entry() {
    use provenant_provenance::cosign::{CosignLayerError, bundle_from_cosign_layer};
    use std::collections::BTreeMap;
    let dir =
        root().join("cli/slsa-verifier/testdata/gha_generic_container/v2.1.0/container_workflow_dispatch");
    let blob =
        |d: &str| std::fs::read(dir.join("blobs/sha256").join(d.trim_start_matches("sha256:"))).unwrap();
    let manifest: Value = serde_json::from_slice(&blob(
        "sha256:21454caf3a160dfbe6359f0501aa8401c6c0f2c7a8b71380ea21f8c4b48b64fe",
    ))
    .unwrap();
    let layer = &manifest["layers"][0];
    let envelope = blob(layer["digest"].as_str().unwrap());
    let annotations: BTreeMap<String, String> = serde_json::from_value(layer["annotations"].clone()).unwrap();
    let bundle = bundle_from_cosign_layer(&envelope, &annotations).unwrap();
    assert!(bundle.to_json_v0_3().is_ok());
    for missing in ["dev.sigstore.cosign/certificate", "dev.sigstore.cosign/bundle"] {
        let mut a = annotations.clone();
        a.remove(missing);
        assert!(matches!(
            bundle_from_cosign_layer(&envelope, &a),
            Err(CosignLayerError::MissingAnnotation { annotation }) if annotation == missing
        ));
    }
    let mut a = annotations.clone();
    a.insert(
        "dev.sigstore.cosign/bundle".to_owned(),
        "{\"Payload\": {}}".to_owned(),
    );
    assert!(matches!(
        bundle_from_cosign_layer(&envelope, &a),
        Err(CosignLayerError::Malformed { .. })
    ));
    assert!(matches!(
        bundle_from_cosign_layer(b"not json", &annotations),
        Err(CosignLayerError::Malformed { .. })
    ));
}
