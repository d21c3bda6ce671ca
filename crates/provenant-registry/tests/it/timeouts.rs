//! Deadlines: a registry that accepts the connection and never answers, or answers one byte at a time,
//! fails the request with a timeout instead of stalling it.

use std::sync::Arc;
use std::time::Duration;

use provenant_digest::Algorithm;
use provenant_oci::{ManifestRef, Repository};
use provenant_registry::auth::CredentialSource;
use provenant_registry::remote::{Client, ClientOptions, Remote};
use provenant_registry::{Deadline, Store, StoreError};
use provenant_testkit::registry::{Stall, StallingServer};

fn store(server: &StallingServer) -> Remote {
    let client = Client::new(ClientOptions {
        credentials: CredentialSource::anonymous(),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_millis(1500),
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    });
    let repo: Repository = format!("{}/app", server.host()).parse().unwrap();
    Remote::new(Arc::new(client), repo)
}

fn assert_timeout(err: &StoreError, expected: fn(&Deadline) -> bool) {
    match err {
        StoreError::Timeout { deadline, .. } => assert!(expected(deadline), "{err}"),
        other => panic!("expected a timeout, got: {other}"),
    }
    assert!(err.is_timeout());
    assert!(!err.is_transient(), "a timeout must not be retried: {err}");
}

#[test]
fn registry_silent_connection_times_out() {
    let server = StallingServer::start(Stall::Silent);
    let store = store(&server);
    let digest = Algorithm::Sha256.hash_bytes(b"x");
    let err = store.get_manifest(&ManifestRef::Digest(digest)).unwrap_err();
    assert_timeout(&err, |d| matches!(d, Deadline::Read(_)));
    assert!(err.to_string().contains("the read timeout"), "{err}");
    let err = store.blob_size(&digest).unwrap_err();
    assert_timeout(&err, |d| matches!(d, Deadline::Read(_)));
    let err = store.put_blob(&digest, 1, &mut &b"x"[..]).unwrap_err();
    assert_timeout(&err, |d| matches!(d, Deadline::Read(_)));
}

#[test]
fn registry_trickling_answer_times_out() {
    // One byte every 300 ms never lets the read timeout pass; the request's deadline ends it.
    let server = StallingServer::start(Stall::Trickle(Duration::from_millis(300)));
    let store = store(&server);
    let digest = Algorithm::Sha256.hash_bytes(b"x");
    let err = store.get_manifest(&ManifestRef::Digest(digest)).unwrap_err();
    assert_timeout(&err, |d| matches!(d, Deadline::Request(_)));
    assert!(err.to_string().contains("the registry timeout"), "{err}");
}

#[test]
fn registry_trickling_body_times_out() {
    let server = StallingServer::start(Stall::TrickleBody(Duration::from_millis(300)));
    let store = store(&server);
    let digest = Algorithm::Sha256.hash_bytes(b"x");
    // A manifest's body, read into memory.
    let err = store.get_manifest(&ManifestRef::Digest(digest)).unwrap_err();
    assert_timeout(&err, |d| matches!(d, Deadline::Request(_)));
    // A blob of known size, streamed: the error surfaces from the reader.
    let mut reader = store.open_blob(&digest, Some(64 << 10)).unwrap();
    let e = std::io::Read::read_to_end(&mut reader, &mut Vec::new()).unwrap_err();
    let err = StoreError::from_io("reading blob", e);
    assert_timeout(&err, |d| matches!(d, Deadline::Request(_)));
}
