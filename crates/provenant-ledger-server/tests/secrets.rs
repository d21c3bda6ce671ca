//! Tokens and Authorization headers never appear in the server's log or its error responses. Its own
//! test binary: it installs the process's global log subscriber (nextest runs each test in a process).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use provenant_ledger::NoteSigner;
use provenant_ledger_server::{Config, Server, Tokens, token_sha256};
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::sqlite::SqliteStore;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn tokens_never_reach_the_log_or_an_error() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        // Everything at trace, the server's transport included; only the test's own client (ureq,
        // which traces the headers it sends) is left out.
        .with_env_filter("trace,ureq=off,ureq_proto=off")
        .with_writer(move || writer.clone())
        .init();
    let secret_writer = "s3cret-writer-token-value";
    let secret_unknown = "s3cret-unknown-token-value";
    let tokens = Tokens::parse(
        format!(
            "tokens: [{{name: ci, role: writer, sha256: {}}}]",
            token_sha256(secret_writer)
        )
        .as_bytes(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> = Arc::new(SqliteStore::open(&dir.path().join("l.db")).unwrap());
    let signer = NoteSigner::from_seed("example.com/ledger", &[7; 32]).unwrap();
    store.init(signer.name(), signer.verifier_key()).unwrap();
    let server = Server::new(store, signer, tokens, Config::new("127.0.0.1:0".parse().unwrap()))
        .unwrap()
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut bodies = Vec::new();
    for (path, token) in [
        ("/v1/entries/0", secret_writer),
        ("/v1/entries/0", secret_unknown),
        ("/metrics", secret_unknown),
        ("/v1/search?subject=x", secret_writer),
    ] {
        let mut r = agent
            .get(&format!("http://{}{path}", server.addr))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 403));
        bodies.push(r.body_mut().read_to_string().unwrap());
    }
    let mut r = agent
        .post(&format!("http://{}/v1/entries", server.addr))
        .header("Authorization", &format!("Bearer {secret_writer}"))
        .send(&b"not a statement"[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    bodies.push(r.body_mut().read_to_string().unwrap());
    server.stop().unwrap();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("request"), "the log recorded nothing: {log}");
    for text in bodies.iter().chain(std::iter::once(&log)) {
        assert!(!text.contains("s3cret"), "a token leaked: {text}");
        assert!(
            !text.to_ascii_lowercase().contains("authorization: bearer"),
            "a header leaked: {text}"
        );
    }
}
