//! Integration tests of `provenant-sigstore-sign` that need no network: tokens and service selection.
//! Signing itself is tested end to end against the loopback mock in `tests/e2e/signing.rs`.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use provenant_sigstore_sign::{IdentityToken, RekorVersion, Services, SignError};

#[test]
fn tokens_parse_and_never_print() {
    let jwt = provenant_testkit::sigstore::mock_identity_token("https://issuer.example", "alice@example.com");
    let token = IdentityToken::from_jwt(&jwt).unwrap();
    assert_eq!(token.issuer(), "https://issuer.example");
    assert_eq!(token.subject(), "alice@example.com");
    let debug = format!("{token:?}");
    assert!(!debug.contains(jwt.split('.').nth(1).unwrap()), "{debug}");
}

#[test]
fn malformed_and_expired_tokens_are_refused() {
    for bad in ["", "not-a-jwt", "a.b", "a.!!!.c"] {
        let err = IdentityToken::from_jwt(bad).unwrap_err();
        assert!(matches!(err, SignError::Token { .. }), "{bad:?}: {err}");
    }
    // exp in 1970.
    let expired = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2kiLCJzdWIiOiJhIiwiYXVkIjoic2lnc3RvcmUiLCJpYXQiOjAsImV4cCI6MX0.sig";
    let err = IdentityToken::from_jwt(expired).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

const SIGNING_CONFIG: &str = r#"{
  "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
  "caUrls": [{"url": "http://127.0.0.1:9/ca", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "t"}],
  "oidcUrls": [],
  "rekorTlogUrls": [
    {"url": "http://127.0.0.1:9/rekor1", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "t"},
    {"url": "http://127.0.0.1:9/rekor2", "majorApiVersion": 2, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "t"}
  ],
  "tsaUrls": [{"url": "http://127.0.0.1:9/tsa", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "t"}],
  "rekorTlogConfig": {"selector": "ANY"},
  "tsaConfig": {"selector": "ANY"}
}"#;

#[test]
fn services_come_from_a_signing_config_or_a_client_trust_config() {
    let s = Services::from_signing_config(SIGNING_CONFIG.as_bytes()).unwrap();
    assert_eq!(s.fulcio_url(), "http://127.0.0.1:9/ca");
    assert_eq!(s.tsa_url(), Some("http://127.0.0.1:9/tsa"));
    // The highest Rekor API version on offer is chosen.
    assert_eq!(
        (s.rekor_url(), s.rekor_version()),
        ("http://127.0.0.1:9/rekor2", RekorVersion::V2)
    );

    let wrapped = format!(
        r#"{{"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json", "trustedRoot": {{}}, "signingConfig": {SIGNING_CONFIG}}}"#
    );
    assert_eq!(Services::from_signing_config(wrapped.as_bytes()).unwrap(), s);

    for bad in [
        "{",
        r#"{"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"}"#,
        r#"{"caUrls": 3}"#,
    ] {
        let err = Services::from_signing_config(bad.as_bytes()).unwrap_err();
        assert!(matches!(err, SignError::Config { .. }), "{bad}: {err}");
    }
}

#[test]
fn explicit_services() {
    let s = Services::new("https://f", "https://r")
        .with_tsa("https://t/api/v1/timestamp")
        .with_rekor("https://r2", RekorVersion::V2);
    assert_eq!(
        (s.fulcio_url(), s.rekor_url(), s.tsa_url()),
        ("https://f", "https://r2", Some("https://t/api/v1/timestamp"))
    );
}

mod dsse {
    //! DSSE: the pre-authentication encoding byte for byte against the specification's vectors, and
    //! keyed DSSE signatures that verify under the vectors' key as the reference implementation's do.

    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    use provenant_sigstore_sign::keyed;

    fn vectors() -> serde_json::Value {
        let path = provenant_testkit::vectors_dir().join("dsse/dsse_vectors.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn public(v: &serde_json::Value) -> Vec<u8> {
        let x = hex(v["key"]["x_hex"].as_str().unwrap());
        let y = hex(v["key"]["y_hex"].as_str().unwrap());
        [vec![4u8], x, y].concat()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn pae_matches_every_vector() {
        let v = vectors();
        let cases = v["pae_vectors"].as_array().unwrap();
        assert!(!cases.is_empty());
        for c in cases {
            let body = match c["body_utf8"].as_str() {
                Some(text) => text.as_bytes().to_vec(),
                None => hex(c["body_hex"].as_str().unwrap()),
            };
            let expected = match c["pae_hex"].as_str() {
                Some(h) => hex(h),
                None => c["pae_utf8"].as_str().unwrap().as_bytes().to_vec(),
            };
            assert_eq!(
                keyed::pae(c["payloadType"].as_str().unwrap(), &body),
                expected,
                "{c}"
            );
        }
    }

    #[test]
    fn envelope_vectors_verify_over_our_pae_as_expected() {
        let v = vectors();
        let key = public(&v);
        for c in v["envelope_cases"].as_array().unwrap() {
            let env = &c["envelope"];
            let payload = B64.decode(env["payload"].as_str().unwrap()).unwrap_or_default();
            let pae = keyed::pae(env["payloadType"].as_str().unwrap_or(""), &payload);
            let verified = env["signatures"].as_array().unwrap().iter().any(|s| {
                let sig = B64.decode(s["sig"].as_str().unwrap_or("")).unwrap_or_default();
                let alg = if sig.len() == 64 {
                    &ECDSA_P256_SHA256_FIXED
                } else {
                    &ECDSA_P256_SHA256_ASN1
                };
                UnparsedPublicKey::new(alg, &key).verify(&pae, &sig).is_ok()
            });
            assert_eq!(verified, c["expect"] == "VALID", "case {}", c["name"]);
        }
    }

    #[test]
    fn our_keyed_dsse_signature_verifies_under_the_vector_key() {
        let v = vectors();
        let key = provenant_keys::SigningKey::from_pem(v["key"]["private_key_pkcs8_pem"].as_str().unwrap())
            .unwrap();
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
        let bundle = keyed::sign_statement(&key, statement).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bundle.to_json_v0_3().unwrap()).unwrap();
        let sig = B64
            .decode(json["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        let pae = keyed::pae("application/vnd.in-toto+json", statement);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public(&v))
            .verify(&pae, &sig)
            .unwrap();
    }
}
