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
