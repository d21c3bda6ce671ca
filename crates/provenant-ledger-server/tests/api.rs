//! The ledger server end to end over loopback HTTP (and TLS with an rcgen certificate): roles, limits,
//! the /v1 API, tiles byte for byte against the store, checkpoints signed after each append, metrics.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use base64::Engine as _;
use provenant_ledger::tiles::{self, TilePath};
use provenant_ledger::tree::{self, MemoryTree};
use provenant_ledger::{Hash, NoteSigner, leaf_hash};
use provenant_ledger_server::{Config, Running, ServeError, Server, Tokens, token_sha256};
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::sqlite::SqliteStore;

const WRITER: &str = "writer-token-3f9a";
const AUDITOR: &str = "auditor-token-77c1";
const ADMIN: &str = "admin-token-0b2e";

fn tokens() -> Tokens {
    Tokens::parse(
        format!(
            "tokens:\n  - {{name: ci, role: writer, sha256: {}}}\n  - {{name: audit, role: auditor, sha256: {}}}\n  - {{name: ops, role: admin, sha256: {}}}\n",
            token_sha256(WRITER),
            token_sha256(AUDITOR),
            token_sha256(ADMIN)
        )
        .as_bytes(),
    )
    .unwrap()
}

fn statement(i: u64) -> Vec<u8> {
    format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{i:064x}"}}}}],"predicateType":"https://example.com/event/v1","predicate":{{"n":{i},"environment":"prod"}}}}"#
    )
    .into_bytes()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn LedgerStore>,
    signer: NoteSigner,
    server: Running,
}

fn start_with(config: impl FnOnce(&mut Config)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> = Arc::new(SqliteStore::open(&dir.path().join("l.db")).unwrap());
    let signer = NoteSigner::from_seed("example.com/ledger", &[7; 32]).unwrap();
    store.init(signer.name(), signer.verifier_key()).unwrap();
    let mut c = Config::new("127.0.0.1:0".parse().unwrap());
    config(&mut c);
    let server = Server::new(
        Arc::clone(&store),
        NoteSigner::from_seed("example.com/ledger", &[7; 32]).unwrap(),
        tokens(),
        c,
    )
    .unwrap()
    .spawn()
    .unwrap();
    Fixture {
        _dir: dir,
        store,
        signer,
        server,
    }
}

fn start() -> Fixture {
    start_with(|_| {})
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }
    fn get(&self, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut r = agent().get(&self.url(path));
        if let Some(t) = token {
            r = r.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = r.call().unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_vec().unwrap())
    }
    fn post(&self, body: &[u8], token: Option<&str>) -> (u16, Vec<u8>) {
        let mut r = agent().post(&self.url("/v1/entries"));
        if let Some(t) = token {
            r = r.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = r.send(body).unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_vec().unwrap())
    }
    fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path, Some(AUDITOR));
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

fn batch(entries: &[Vec<u8>]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::to_vec(&entries.iter().map(|e| b64.encode(e)).collect::<Vec<_>>()).unwrap()
}

#[test]
fn appends_one_entry_and_batches_and_reads_them_back() {
    let f = start();
    let (status, body) = f.post(&statement(0), Some(WRITER));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let one: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(one["index"], 0);
    assert_eq!(one["leaf_hash"], leaf_hash(&statement(0)).to_base64());

    let entries: Vec<Vec<u8>> = (1..4).map(statement).collect();
    let (status, body) = f.post(&batch(&entries), Some(ADMIN));
    assert_eq!(status, 201);
    let many: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(many.as_array().unwrap().len(), 3);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(many[i]["index"], i + 1);
        assert_eq!(many[i]["leaf_hash"], leaf_hash(e).to_base64());
    }

    let got = f.json("/v1/entries/2");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(got["entry"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, statement(2));
    assert_eq!(got["leaf_hash"], leaf_hash(&statement(2)).to_base64());
    assert_eq!(f.get("/v1/entries/9", Some(AUDITOR)).0, 404);

    let found = f.json("/v1/search?env=prod&type=https://example.com/event/v1");
    assert_eq!(found.as_array().unwrap().len(), 4);
    let subject = format!("sha256:{:064x}", 3);
    let found = f.json(&format!("/v1/search?subject={subject}"));
    assert_eq!(found[0]["index"], 3);
    assert_eq!(found[0]["statement"]["predicate"]["n"], 3);
    assert_eq!(f.get("/v1/search?color=red", Some(AUDITOR)).0, 400);
}

#[test]
fn each_append_signs_a_checkpoint_that_verifies_and_proofs_verify_against_it() {
    let f = start();
    let verifier = provenant_ledger::NoteVerifier::from_text(f.signer.verifier_key()).unwrap();
    let entries: Vec<Vec<u8>> = (0..5).map(statement).collect();
    assert_eq!(f.post(&batch(&entries), Some(WRITER)).0, 201);
    let (status, note) = f.get("/checkpoint", None);
    assert_eq!(status, 200);
    let cp = verifier.open_checkpoint(&note).unwrap();
    assert_eq!(cp.size, 5);
    let mut reference = MemoryTree::new();
    for e in &entries {
        reference.push(e).unwrap();
    }
    assert_eq!(cp.root().unwrap(), reference.root().unwrap());
    // The server kept it in the store as well.
    assert_eq!(f.store.latest_checkpoint().unwrap().unwrap(), note);

    let p = f.json("/v1/proof/inclusion?index=3&size=5");
    let hashes: Vec<Hash> = p["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect();
    tree::verify_inclusion(&hashes, 3, 5, &leaf_hash(&entries[3]), &cp.root().unwrap()).unwrap();

    assert_eq!(f.post(&statement(5), Some(WRITER)).0, 201);
    let c = f.json("/v1/proof/consistency?from=5&to=6");
    let hashes: Vec<Hash> = c["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect();
    let new = verifier.open_checkpoint(&f.get("/checkpoint", None).1).unwrap();
    assert_eq!(new.size, 6);
    tree::verify_consistency(&hashes, 5, &cp.root().unwrap(), 6, &new.root().unwrap()).unwrap();
}

#[test]
fn tiles_are_byte_exact_and_public() {
    let f = start();
    let entries: Vec<Vec<u8>> = (0..300).map(statement).collect();
    for chunk in entries.chunks(100) {
        assert_eq!(f.post(&batch(chunk), Some(WRITER)).0, 201);
    }
    // Entry bundles: a full one and the partial right edge, each entry length-prefixed.
    let (status, full) = f.get("/tile/entries/000", None);
    assert_eq!(status, 200);
    assert_eq!(full, tiles::encode_entry_bundle(&entries[..256]).unwrap());
    let (status, partial) = f.get("/tile/entries/001.p/44", None);
    assert_eq!(status, 200);
    assert_eq!(
        tiles::decode_entry_bundle(&partial, 44).unwrap(),
        entries[256..].iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    // A narrower partial tile is a prefix; a full tile beyond the tree, or wider partial, is 404.
    assert_eq!(
        f.get("/tile/entries/001.p/10", None).1,
        tiles::encode_entry_bundle(&entries[256..266]).unwrap()
    );
    assert_eq!(f.get("/tile/entries/001", None).0, 404);
    assert_eq!(f.get("/tile/entries/001.p/45", None).0, 404);
    // Level-0 hash tile: the leaf hashes; level 1: the roots of each full 256-leaf subtree.
    let (status, level0) = f.get("/tile/0/000", None);
    assert_eq!(status, 200);
    let leaves: Vec<Hash> = entries[..256].iter().map(|e| leaf_hash(e)).collect();
    assert_eq!(level0, tiles::encode_hash_tile(&leaves));
    let mut first = MemoryTree::new();
    for e in &entries[..256] {
        first.push(e).unwrap();
    }
    let (status, level1) = f.get("/tile/1/000.p/1", None);
    assert_eq!(status, 200);
    assert_eq!(level1, tiles::encode_hash_tile(&[first.root().unwrap()]));
    // Non-canonical paths are refused.
    assert_eq!(f.get("/tile/entries/0", None).0, 404);
    assert_eq!(f.get("/tile/00/000", None).0, 404);
    let _ = TilePath::parse("tile/0/000").unwrap();
}

#[test]
fn no_token_is_401_a_wrong_role_403_and_writes_other_than_post_405() {
    let f = start();
    assert_eq!(f.post(&statement(0), None).0, 401);
    assert_eq!(f.post(&statement(0), Some("not-a-known-token")).0, 401);
    assert_eq!(f.post(&statement(0), Some(AUDITOR)).0, 403);
    assert_eq!(f.post(&statement(0), Some(WRITER)).0, 201);
    assert_eq!(f.get("/v1/entries/0", None).0, 401);
    assert_eq!(f.get("/v1/entries/0", Some(WRITER)).0, 403);
    assert_eq!(f.get("/v1/entries/0", Some(ADMIN)).0, 200);
    assert_eq!(f.get("/metrics", None).0, 401);
    assert_eq!(f.get("/healthz", None).0, 200);
    for method in ["PUT", "PATCH", "DELETE"] {
        let mut resp = agent()
            .run(
                ureq::http::Request::builder()
                    .method(method)
                    .uri(f.url("/v1/entries"))
                    .header("Authorization", format!("Bearer {ADMIN}"))
                    .body(statement(1))
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method}");
        let _ = resp.body_mut().read_to_vec();
    }
    // Nothing but the one writer's entry was appended.
    assert_eq!(f.store.size().unwrap(), 1);
}

#[test]
fn a_body_over_the_limit_is_413() {
    let f = start_with(|c| c.body_limit = 4096);
    let big = batch(&(0..100).map(statement).collect::<Vec<_>>());
    assert!(big.len() > 4096);
    assert_eq!(f.post(&big, Some(WRITER)).0, 413);
    assert_eq!(f.store.size().unwrap(), 0);
    // A bad entry refuses the whole batch.
    let (status, body) = f.post(&batch(&[statement(0), b"{}".to_vec()]), Some(WRITER));
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert_eq!(f.store.size().unwrap(), 0);
}

#[test]
fn metrics_count_requests_by_route_and_status_and_report_the_tree_size() {
    let f = start();
    assert_eq!(f.post(&statement(0), Some(WRITER)).0, 201);
    assert_eq!(f.get("/v1/entries/0", Some(WRITER)).0, 403);
    let (status, text) = f.get("/metrics", Some(AUDITOR));
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            r#"provenant_ledger_http_requests_total{route="/v1/entries",method="POST",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"provenant_ledger_http_requests_total{route="/v1/entries/{index}",method="GET",status="403"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("provenant_ledger_tree_size 1\n"), "{text}");
    assert!(
        text.contains("provenant_ledger_append_seconds_count 1\n"),
        "{text}"
    );
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> = Arc::new(SqliteStore::open(&dir.path().join("l.db")).unwrap());
    let signer = NoteSigner::from_seed("example.com/ledger", &[7; 32]).unwrap();
    store.init(signer.name(), signer.verifier_key()).unwrap();
    let err = Server::new(store, signer, tokens(), Config::new("0.0.0.0:0".parse().unwrap())).unwrap_err();
    assert!(matches!(err, ServeError::PlainHttpNotLoopback { .. }), "{err}");
}

#[test]
fn a_note_key_that_is_not_the_ledgers_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> = Arc::new(SqliteStore::open(&dir.path().join("l.db")).unwrap());
    let signer = NoteSigner::from_seed("example.com/ledger", &[7; 32]).unwrap();
    store.init(signer.name(), signer.verifier_key()).unwrap();
    let other = NoteSigner::from_seed("example.com/ledger", &[8; 32]).unwrap();
    let err = Server::new(
        store,
        other,
        tokens(),
        Config::new("127.0.0.1:0".parse().unwrap()),
    )
    .unwrap_err();
    assert!(matches!(err, ServeError::WrongNoteKey { .. }), "{err}");
}

#[test]
fn serves_tls_with_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    // Off loopback is allowed with TLS; listen on loopback all the same to stay local.
    let f = start_with(|c| c.tls = Some((cert_path, key_path)));
    let roots = ureq::tls::RootCerts::Specific(Arc::new(vec![
        ureq::tls::Certificate::from_der(cert.cert.der()).to_owned(),
    ]));
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::Rustls)
                .root_certs(roots)
                .build(),
        )
        .build()
        .new_agent();
    let url = format!("https://localhost:{}/checkpoint", f.server.addr.port());
    let mut resp = agent.get(&url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let note = resp.body_mut().read_to_vec().unwrap();
    assert!(note.starts_with(b"example.com/ledger\n0\n"));
}

#[test]
fn entry_times_are_published_by_the_listing_and_the_search() {
    let f = start();
    let entries: Vec<Vec<u8>> = (0..3).map(statement).collect();
    assert_eq!(f.post(&batch(&entries), Some(WRITER)).0, 201);
    let listed = f.json("/v1/entries?start=1&end=3");
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (row, i) in rows.iter().zip(1u64..) {
        let stored = f.store.entry(i).unwrap();
        assert_eq!(row["index"], i);
        assert_eq!(row["leaf_hash"], leaf_hash(&entries[i as usize]).to_base64());
        assert_eq!(row["time"], stored.time);
        assert!(stored.time > 0);
        assert_eq!(row["redacted_by"], serde_json::Value::Null);
        assert!(row.get("entry").is_none(), "the bytes are the entry bundles'");
    }
    let found = f.json(&format!("/v1/search?subject=sha256:{:064x}", 2));
    assert_eq!(found[0]["time"], f.store.entry(2).unwrap().time);
    // Readers only; ranges within the ledger and at most a bundle wide.
    assert_eq!(f.get("/v1/entries?start=0&end=1", Some(WRITER)).0, 403);
    assert_eq!(f.get("/v1/entries?start=0&end=1", None).0, 401);
    assert_eq!(f.get("/v1/entries?start=2&end=2", Some(AUDITOR)).0, 400);
    assert_eq!(f.get("/v1/entries?start=0&end=257", Some(AUDITOR)).0, 400);
    assert_eq!(f.get("/v1/entries?start=0&end=4", Some(AUDITOR)).0, 404);
}

/// Sends `head` on a new loopback connection and returns it.
fn raw(f: &Fixture, head: &str) -> std::net::TcpStream {
    use std::io::Write as _;
    let mut s = std::net::TcpStream::connect(f.server.addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s
}

/// The status of the response read from `s` (its status line), or `None` if nothing came before the
/// stream's read timeout.
fn status_of(s: &mut std::net::TcpStream) -> Option<u16> {
    use std::io::Read as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let line = String::from_utf8_lossy(&got).into_owned();
    let code = line
        .split(' ')
        .nth(1)
        .unwrap_or_else(|| panic!("no status line in {line:?}"));
    Some(code.parse().unwrap())
}

/// The head of a POST whose body of `len` bytes is still to come.
fn slow_post_head(len: usize) -> String {
    format!(
        "POST /v1/entries HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer {WRITER}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
}

#[test]
fn a_request_slower_than_the_request_timeout_is_503_and_the_server_stays_healthy() {
    use std::io::Write as _;
    let f = start_with(|c| c.request_timeout = std::time::Duration::from_secs(1));
    let body = statement(0);
    // Half the body, then nothing: the request outlives its timeout.
    let mut slow = raw(&f, &slow_post_head(body.len()));
    slow.write_all(&body[..body.len() / 2]).unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    assert_eq!(status_of(&mut slow), Some(503));
    // Nothing was appended; the server answers and appends as before.
    assert_eq!(f.store.size().unwrap(), 0);
    assert_eq!(f.get("/healthz", None).0, 200);
    assert_eq!(f.post(&statement(1), Some(WRITER)).0, 201);
    assert_eq!(f.store.size().unwrap(), 1);
    let (_, text) = f.get("/metrics", Some(AUDITOR));
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(r#"route="/v1/entries",method="POST",status="503"} 1"#),
        "{text}"
    );
}

#[test]
fn past_the_concurrency_cap_requests_wait_for_a_permit_and_are_then_served() {
    use std::io::Write as _;
    let f = start_with(|c| {
        c.concurrency = 1;
        c.request_timeout = std::time::Duration::from_secs(20);
    });
    let body = statement(0);
    // The one permit is held by a POST whose body is still coming.
    let mut holder = raw(&f, &slow_post_head(body.len()));
    holder.write_all(&body[..10]).unwrap();
    // Let the server take the holder's request first (a waiter queued before it would be served first,
    // which the assertions below would report as a failure, not pass).
    holder
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    assert_eq!(status_of(&mut holder), None, "the holder's body is incomplete");
    let mut waiter = raw(
        &f,
        "GET /healthz HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n",
    );
    waiter
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    assert_eq!(
        status_of(&mut waiter),
        None,
        "a request past the cap is not handled while the permit is held"
    );
    // The holder finishes: it is answered, then the waiter.
    holder.write_all(&body[10..]).unwrap();
    holder
        .set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    assert_eq!(status_of(&mut holder), Some(201));
    waiter
        .set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    assert_eq!(status_of(&mut waiter), Some(200));
    assert_eq!(f.store.size().unwrap(), 1);
    assert_eq!(f.get("/healthz", None).0, 200);
}

#[test]
fn past_the_concurrency_cap_a_holder_past_its_timeout_is_503_and_the_waiter_is_then_served() {
    use std::io::Write as _;
    let f = start_with(|c| {
        c.concurrency = 1;
        c.request_timeout = std::time::Duration::from_secs(3);
    });
    let body = statement(0);
    let mut holder = raw(&f, &slow_post_head(body.len()));
    holder.write_all(&body[..10]).unwrap();
    holder
        .set_read_timeout(Some(std::time::Duration::from_secs(1)))
        .unwrap();
    assert_eq!(status_of(&mut holder), None, "the holder's body is incomplete");
    let mut waiter = raw(
        &f,
        "GET /healthz HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n",
    );
    // The holder never finishes: it is cut at its timeout, which frees the permit for the waiter,
    // whose own timeout started later.
    holder
        .set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    assert_eq!(status_of(&mut holder), Some(503));
    waiter
        .set_read_timeout(Some(std::time::Duration::from_mins(1)))
        .unwrap();
    assert_eq!(status_of(&mut waiter), Some(200));
    assert_eq!(f.store.size().unwrap(), 0);
    assert_eq!(f.post(&statement(1), Some(WRITER)).0, 201);
}
