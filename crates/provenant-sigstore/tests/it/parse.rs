//! Parsing bundles and trusted roots: versions, and errors that name the field.

use provenant_sigstore::{Bundle, BundleVersion, ParseError, TrustedRoot};

use crate::conformance::conformance_dir;

fn case_bundle(name: &str) -> Vec<u8> {
    std::fs::read(
        conformance_dir()
            .join("test/assets/bundle-verify")
            .join(name)
            .join("bundle.sigstore.json"),
    )
    .unwrap()
}

#[test]
fn reads_every_version() {
    for (case, version) in [
        ("happy-path-v0.1", BundleVersion::V0_1),
        ("happy-path-v0.2", BundleVersion::V0_2),
        ("happy-path-v0.3", BundleVersion::V0_3),
        ("happy-path-v0.3-new-mediaType", BundleVersion::V0_3),
    ] {
        let bundle = Bundle::from_json(&case_bundle(case)).unwrap();
        assert_eq!(bundle.version(), version, "{case}");
    }
}

#[test]
fn writes_v0_3_with_log_index_hashes_and_leaf_certificate() {
    let bundle = Bundle::from_json(&case_bundle("happy-path-v0.1")).unwrap();
    let out = bundle.to_json_v0_3().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert!(json["verificationMaterial"]["certificate"]["rawBytes"].is_string());
    assert!(json["verificationMaterial"].get("x509CertificateChain").is_none());
    let proof = &json["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
    assert!(proof["logIndex"].is_string(), "{proof}");
    assert!(proof["hashes"].is_array(), "{proof}");
    // The rewritten bundle reads back as v0.3 and is stable.
    let again = Bundle::from_json(&out).unwrap();
    assert_eq!(again.version(), BundleVersion::V0_3);
    assert_eq!(again.to_json_v0_3().unwrap(), out);
}

#[test]
fn malformed_bundles_name_the_field() {
    let cases: [(&str, &str); 6] = [
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
            "verificationMaterial",
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.9"}"#,
            "mediaType",
        ),
        (r#"{"verificationMaterial":{}}"#, "mediaType"),
        ("[1,2]", "JSON object"),
        ("{", "EOF"),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AA=="},"tlogEntries":[{"logIndex":"-1","logId":{"keyId":"AA=="},"kindVersion":{"kind":"hashedrekord","version":"0.0.1"},"canonicalizedBody":"AA=="}]},"messageSignature":{"signature":"AA=="}}"#,
            "tlogEntries[0].logIndex",
        ),
    ];
    for (json, needle) in cases {
        let err = Bundle::from_json(json.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(needle), "{json}: {err}");
    }
    let huge = vec![b' '; provenant_sigstore::MAX_BUNDLE_BYTES + 1];
    assert!(matches!(
        Bundle::from_json(&huge),
        Err(ParseError::TooLarge { .. })
    ));
}

#[test]
fn conformance_malformed_bundles_are_parse_errors() {
    for case in [
        "bundle-malformed-json_fail",
        "bundle-unknown-version_fail",
        "bundle-negative-log-index_fail",
    ] {
        assert!(Bundle::from_json(&case_bundle(case)).is_err(), "{case}");
    }
}

#[test]
fn trusted_roots_parse_and_errors_name_the_field() {
    let py = provenant_testkit::vectors_dir().join("sigstore-python/test/assets/trusted_root");
    for ok in [
        "trustedroot.v1.json",
        "trustedroot.v1.local_tlog_ed25519_rekor-tiles.json",
    ] {
        TrustedRoot::from_json(&std::fs::read(py.join(ok)).unwrap()).unwrap();
    }
    let err =
        TrustedRoot::from_json(&std::fs::read(py.join("trustedroot.badtype.json")).unwrap()).unwrap_err();
    assert!(matches!(err, ParseError::UnsupportedMediaType { .. }), "{err}");
    let missing_start = conformance_dir()
        .join("test/assets/bundle-verify/trust-root-tlog-missing-validity-start_fail/trusted_root.json");
    let err = TrustedRoot::from_json(&std::fs::read(missing_start).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("publicKey.validFor` missing field `start`"),
        "{err}"
    );
}

#[test]
fn a_bundle_without_media_type_is_refused() {
    let mut json: serde_json::Value = serde_json::from_slice(&case_bundle("happy-path-v0.3")).unwrap();
    json.as_object_mut().unwrap().remove("mediaType");
    let err = Bundle::from_json(&serde_json::to_vec(&json).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "bundle: field `mediaType` is missing");
}
