//! The remote store (`--ledger http(s)://…`, `provenant_ledger_store::remote`) against this server,
//! started in-process on a loopback port over a `SQLite` store: the store conformance checks that the
//! HTTP API can pass (append, batches, bad entries, roots and proofs from the tiles, concurrent writers),
//! every stored node hash read through the hash tiles equal to the store's own, the audit over the
//! tiles, and a clear refusal of what the API does not do.
//!
//! Left out of the shared suite, and why: `init_and_origin` (a remote ledger is initialised where it is
//! stored), `entries_read_back_byte_for_byte` (it checks an integration time the caller chose; a server
//! uses its own clock), `queries_by_every_key` (it queries with `until`, which the search API lacks),
//! blobs, kept checkpoints and redactions (not in the HTTP API; refused below).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../provenant-ledger-store/tests/it/conformance.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
#[macro_use]
mod conformance;

use std::sync::{Arc, OnceLock};

use provenant_digest::Digest;
use provenant_ledger::{Checkpoint, Hash, NoteSigner, NoteVerifier};
use provenant_ledger_server::{Config, Running, Server, Tokens, token_sha256};
use provenant_ledger_store::remote::{RemoteOptions, RemoteStore};
use provenant_ledger_store::sqlite::SqliteStore;
use provenant_ledger_store::{Appended, Entry, LedgerStore, Query, StoreError};
use zeroize::Zeroizing;

const TOKEN: &str = "remote-suite-admin-token";
const SEED: [u8; 32] = [9; 32];

/// A store whose `init` initialises a `SQLite` ledger with the server's key and starts the server on
/// it; every other call goes to the remote store.
struct Served {
    dir: tempfile::TempDir,
    backing: OnceLock<Arc<SqliteStore>>,
    remote: OnceLock<(Running, RemoteStore)>,
}

impl Served {
    fn new() -> Served {
        Served {
            dir: tempfile::tempdir().unwrap(),
            backing: OnceLock::new(),
            remote: OnceLock::new(),
        }
    }
    fn start(&self, origin: &str) {
        let signer = NoteSigner::from_seed(origin, &SEED).unwrap();
        let backing = Arc::new(SqliteStore::open(&self.dir.path().join("l.db")).unwrap());
        backing.init(origin, signer.verifier_key()).unwrap();
        let tokens = Tokens::parse(
            format!(
                "tokens: [{{name: t, role: admin, sha256: {}}}]",
                token_sha256(TOKEN)
            )
            .as_bytes(),
        )
        .unwrap();
        let server = Server::new(
            Arc::clone(&backing) as Arc<dyn LedgerStore>,
            signer,
            tokens,
            Config::new("127.0.0.1:0".parse().unwrap()),
        )
        .unwrap()
        .spawn()
        .unwrap();
        let remote = RemoteStore::connect(
            &format!("http://{}", server.addr),
            Some(Zeroizing::new(TOKEN.to_owned())),
            RemoteOptions::default(),
        )
        .unwrap();
        let _ = self.backing.set(backing);
        let _ = self.remote.set((server, remote));
    }
    fn r(&self) -> &RemoteStore {
        &self.remote.get().expect("init first").1
    }
}

impl LedgerStore for Served {
    fn init(&self, origin: &str, _verifier_key: &str) -> Result<(), StoreError> {
        self.start(origin);
        Ok(())
    }
    fn origin(&self) -> Result<String, StoreError> {
        self.r().origin()
    }
    fn verifier_key(&self) -> Result<String, StoreError> {
        self.r().verifier_key()
    }
    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError> {
        self.r().append(entries, time)
    }
    fn size(&self) -> Result<u64, StoreError> {
        self.r().size()
    }
    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        self.r().entry(index)
    }
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        self.r().entries(start, end)
    }
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.r().read_hashes(indexes)
    }
    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        self.r().query(query)
    }
    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError> {
        self.r().put_blob(content)
    }
    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        self.r().blob(digest)
    }
    fn save_checkpoint(&self, checkpoint: &Checkpoint, signed: &[u8]) -> Result<(), StoreError> {
        self.r().save_checkpoint(checkpoint, signed)
    }
    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.r().checkpoints()
    }
    fn redact(&self, index: u64, redaction: &[u8], time: u64) -> Result<Appended, StoreError> {
        self.r().redact(index, redaction, time)
    }
}

fn served() -> ((), Arc<dyn LedgerStore>) {
    ((), Arc::new(Served::new()))
}

conformance_suite!(@each served;
    batches_get_consecutive_indexes, a_bad_entry_refuses_the_whole_batch,
    roots_and_proofs_match_an_independent_tree, concurrent_writers_get_no_gaps_or_duplicates);

#[test]
fn every_stored_hash_read_through_the_tiles_is_the_stores_own() {
    let s = Served::new();
    s.start("example.com/ledger");
    // Sizes across a full tile and a level-1 tile, in uneven batches.
    let mut next = 0;
    for batch in [1u64, 255, 1, 300, 43] {
        let entries: Vec<Vec<u8>> = (next..next + batch).map(conformance::numbered).collect();
        s.append(&entries, 0).unwrap();
        next += batch;
    }
    let backing = s.backing.get().unwrap();
    let ids: Vec<u64> = (0..provenant_ledger::tree::stored_hash_count(next)).collect();
    assert_eq!(s.read_hashes(&ids).unwrap(), backing.read_hashes(&ids).unwrap());
    assert_eq!(s.tree_head().unwrap(), backing.tree_head().unwrap());
    // Entries through the bundles, byte for byte.
    let remote: Vec<_> = s
        .entries(250, 600)
        .unwrap()
        .into_iter()
        .map(|e| e.content)
        .collect();
    let local: Vec<_> = backing
        .entries(250, 600)
        .unwrap()
        .into_iter()
        .map(|e| e.content)
        .collect();
    assert_eq!(remote, local);
    // Search.
    let q = Query {
        limit: Some(5),
        ..Query::default()
    };
    assert_eq!(s.query(&q).unwrap(), backing.query(&q).unwrap());
}

#[test]
fn the_audit_over_the_tiles_verifies_and_what_http_cannot_do_is_refused() {
    let s = Served::new();
    s.start("example.com/ledger");
    let entries: Vec<Vec<u8>> = (0..40).map(conformance::numbered).collect();
    s.append(&entries, 0).unwrap();
    let key = NoteVerifier::from_text(
        NoteSigner::from_seed("example.com/ledger", &SEED)
            .unwrap()
            .verifier_key(),
    )
    .unwrap();
    let saved = s.latest_checkpoint().unwrap().unwrap();
    s.append(&[conformance::numbered(40)], 0).unwrap();
    let report = provenant_ledger_store::audit::verify_ledger(&s, &key, Some(&saved))
        .unwrap()
        .unwrap();
    assert_eq!(report.size, 41);
    assert_eq!(report.consistent_with_saved, Some(40));

    assert_eq!(s.verifier_key().unwrap(), key.to_text());
    for err in [
        s.r().init("x", "y").unwrap_err(),
        s.put_blob(b"log").unwrap_err(),
        s.redact(0, b"{}", 0).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Unsupported { .. }), "{err}");
    }
    // Without a token, or with the wrong one, the server's refusal is reported with its status and
    // without the token.
    let anonymous = RemoteStore::connect(
        &format!("http://{}", s.remote.get().unwrap().0.addr),
        Some(Zeroizing::new("wrong-token-value".to_owned())),
        RemoteOptions::default(),
    )
    .unwrap();
    let err = anonymous.append(&[conformance::numbered(99)], 0).unwrap_err();
    let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(!text.contains("wrong-token-value"), "{text}");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let err = RemoteStore::connect("http://ledger.example.com", None, RemoteOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::Unsupported { .. }), "{err}");
}

#[test]
fn entry_times_read_through_the_tiles_were_reported_as_0() {
    let s = Served::new();
    s.start("example.com/ledger");
    for batch in [3u64, 300] {
        let first = s.size().unwrap();
        let entries: Vec<Vec<u8>> = (first..first + batch).map(conformance::numbered).collect();
        s.append(&entries, 0).unwrap();
    }
    let backing = s.backing.get().unwrap();
    // Redact one entry in the backing store: its bundle holds it empty, the listing names the redaction.
    let leaf = backing.entry(5).unwrap().leaf_hash;
    let redaction = provenant_ledger_store::redaction::redaction_statement(5, &leaf, "retention");
    backing.redact(5, &redaction, 1_800_000_000).unwrap();
    // Serve a checkpoint that covers the redaction (the server signs one after each append).
    s.append(&[conformance::numbered(1000)], 0).unwrap();
    let size = s.size().unwrap();
    let remote = s.entries(0, size).unwrap();
    let local = backing.entries(0, size).unwrap();
    assert_eq!(remote.len(), local.len());
    for (r, l) in remote.iter().zip(&local) {
        assert!(r.time > 0, "entry {} read through the tiles has time 0", r.index);
        assert_eq!(r, l, "entry {}", r.index);
    }
    assert_eq!(remote[5].content, None);
    assert_eq!(remote[5].redacted_by, Some(303));
    // One entry read alone agrees.
    assert_eq!(s.entry(7).unwrap(), local[7]);
}

#[test]
fn a_remote_deadline_error_showed_0_s() {
    // A loopback listener that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(5));
        drop(conn);
    });
    let remote = RemoteStore::connect(
        &format!("http://{addr}"),
        None,
        RemoteOptions {
            connect_timeout: std::time::Duration::from_secs(10),
            read_timeout: std::time::Duration::from_secs(1),
            request_timeout: std::time::Duration::from_secs(1),
        },
    )
    .unwrap();
    let err = remote.size().unwrap_err();
    match &err {
        StoreError::Deadline { deadline, .. } => assert_eq!(*deadline, std::time::Duration::from_secs(1)),
        other => panic!("not a deadline: {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("within its 1s deadline"), "{text}");
    assert!(!text.contains(" 0s"), "{text}");
    hold.join().unwrap();
}
