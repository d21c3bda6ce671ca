//! Round trips and connections: the monolithic `POST …/blobs/uploads/?digest=` and its fallbacks, and
//! connections kept alive across answers whose bodies are not used. docker-registry answers the
//! monolithic POST with a session (202) and cannot show the other forms, nor how many connections a
//! client opened: a small in-test HTTP/1.1 server does.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provenant_digest::{Algorithm, Digest};
use provenant_oci::{ManifestRef, Repository};
use provenant_registry::auth::CredentialSource;
use provenant_registry::remote::{Client, ClientOptions, MONOLITHIC_PROBE_BYTES, Remote};
use provenant_registry::{Store, StoreError};

/// How the server answers a `POST …/blobs/uploads/?digest=` carrying the blob.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Monolithic {
    /// Stores it (201).
    Takes,
    /// Ignores the body and opens a session (202), as docker-registry does.
    OpensSession,
    /// Refuses the request's form (405).
    Refuses,
    /// Stores the first one, then opens a session for the others (a registry that stopped taking them).
    TakesOnce,
}

#[derive(Default)]
struct Seen {
    /// `METHOD path?query` of every request.
    requests: Vec<String>,
    /// Blobs stored, by digest.
    blobs: std::collections::BTreeMap<String, Vec<u8>>,
    /// Upload sessions open, by id.
    sessions: std::collections::BTreeMap<String, Vec<u8>>,
    /// Monolithic uploads stored.
    monolithic: usize,
}

struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Seen>>,
}

impl Server {
    fn start(mode: Monolithic) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (count, state) = (Arc::clone(&connections), Arc::clone(&seen));
        // The accept loop ends with the test process; each connection is served until its client closes.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                count.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve(stream, mode, &state));
            }
        });
        Server {
            port,
            connections,
            seen,
        }
    }

    fn remote(&self) -> Remote {
        let client = Client::new(ClientOptions {
            credentials: CredentialSource::anonymous(),
            ..ClientOptions::default()
        });
        let repository: Repository = format!("127.0.0.1:{}/app", self.port).parse().unwrap();
        Remote::new(Arc::new(client), repository)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The requests seen, digests and session ids replaced by `D` and `U`.
    fn requests(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .requests
            .iter()
            .map(|r| {
                let r = r.replace("sha256%3A", "sha256:");
                let mut out = String::new();
                let mut rest = r.as_str();
                while let Some(i) = rest.find("sha256:") {
                    out.push_str(&rest[..i]);
                    out.push('D');
                    rest = &rest[(i + 7 + 64).min(rest.len())..];
                }
                out.push_str(rest);
                out.replace("/uploads/s", "/uploads/U")
                    .split("/uploads/U")
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            part.to_owned()
                        } else {
                            part.trim_start_matches(|c: char| c.is_ascii_digit()).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/uploads/U")
            })
            .collect()
    }

    fn stored(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.seen.lock().unwrap().blobs.get(&digest.to_string()).cloned()
    }
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    stream.flush().unwrap();
}

fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.replace("%3A", ":"))
    })
}

fn sha256(data: &[u8]) -> String {
    Algorithm::Sha256.hash_bytes(data).to_string()
}

/// Serves one keep-alive connection: requests one after another until the client closes it.
fn serve(stream: TcpStream, mode: Monolithic, seen: &Mutex<Seen>) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        seen.lock().unwrap().requests.push(format!("{method} {target}"));
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let digest = param(query, "digest");
        let not_found = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        match (method.as_str(), path) {
            ("POST", "/v2/app/blobs/uploads/") => match (mode, digest) {
                (Monolithic::Takes | Monolithic::TakesOnce, Some(d))
                    if mode == Monolithic::Takes || seen.lock().unwrap().monolithic == 0 =>
                {
                    assert_eq!(sha256(&body), d, "monolithic upload of the wrong bytes");
                    let mut state = seen.lock().unwrap();
                    state.monolithic += 1;
                    state.blobs.insert(d.clone(), body);
                    drop(state);
                    respond(&mut writer, "201 Created", &[("Docker-Content-Digest", d)], b"");
                }
                (Monolithic::Refuses, Some(_)) => respond(
                    &mut writer,
                    "405 Method Not Allowed",
                    &[],
                    br#"{"errors":[{"code":"UNSUPPORTED","message":"monolithic uploads are not supported"}]}"#,
                ),
                _ => {
                    let mut state = seen.lock().unwrap();
                    let id = format!("s{}", state.requests.len());
                    state.sessions.insert(id.clone(), Vec::new());
                    drop(state);
                    respond(
                        &mut writer,
                        "202 Accepted",
                        &[("Location", format!("/v2/app/blobs/uploads/{id}"))],
                        b"",
                    );
                }
            },
            ("DELETE", p) if p.starts_with("/v2/app/blobs/uploads/") => {
                let id = p.trim_start_matches("/v2/app/blobs/uploads/");
                seen.lock().unwrap().sessions.remove(id);
                respond(&mut writer, "204 No Content", &[], b"");
            }
            ("PUT", p) if p.starts_with("/v2/app/blobs/uploads/") => {
                let id = p.trim_start_matches("/v2/app/blobs/uploads/");
                let d = digest.unwrap_or_default();
                let session = seen.lock().unwrap().sessions.remove(id);
                match session {
                    Some(mut data) => {
                        data.extend_from_slice(&body);
                        assert_eq!(sha256(&data), d, "upload session closed with the wrong bytes");
                        seen.lock().unwrap().blobs.insert(d.clone(), data);
                        respond(&mut writer, "201 Created", &[("Docker-Content-Digest", d)], b"");
                    }
                    None => respond(&mut writer, "404 Not Found", &[], b"{}"),
                }
            }
            // A HEAD answer has no body (its Content-Length still says what a GET would get).
            ("HEAD", _) => {
                let head = format!("HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n", not_found.len());
                writer.write_all(head.as_bytes()).unwrap();
            }
            _ => respond(&mut writer, "404 Not Found", &[], not_found),
        }
    }
}

fn blob(len: usize, seed: u8) -> (Digest, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
    (Algorithm::Sha256.hash_bytes(&data), data)
}

fn put(store: &Remote, (digest, data): &(Digest, Vec<u8>)) {
    store
        .put_blob(digest, data.len() as u64, &mut data.as_slice())
        .unwrap();
}

#[test]
fn monolithic_upload_is_one_request_where_the_registry_takes_it() {
    let server = Server::start(Monolithic::Takes);
    let store = server.remote();
    let small = blob(1000, 1);
    let large = blob(MONOLITHIC_PROBE_BYTES as usize * 3, 2);
    put(&store, &small);
    // Known to take them now: a blob too large to probe with also goes in one request, streamed.
    put(&store, &large);
    assert_eq!(
        server.requests(),
        vec![
            "POST /v2/app/blobs/uploads/?digest=D",
            "POST /v2/app/blobs/uploads/?digest=D",
        ]
    );
    assert_eq!(server.stored(&small.0), Some(small.1));
    assert_eq!(server.stored(&large.0), Some(large.1));
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

#[test]
fn monolithic_upload_answered_with_a_session_puts_the_blob_into_it() {
    let server = Server::start(Monolithic::OpensSession);
    let store = server.remote();
    let (first, second) = (blob(100, 3), blob(200, 4));
    let large = blob(MONOLITHIC_PROBE_BYTES as usize * 2, 5);
    put(&store, &first);
    put(&store, &second);
    put(&store, &large);
    assert_eq!(
        server.requests(),
        vec![
            // The session the refusal opened takes the blob: no round trip more than POST and PUT.
            "POST /v2/app/blobs/uploads/?digest=D",
            "PUT /v2/app/blobs/uploads/U?digest=D",
            // Known to refuse: no monolithic attempt any more.
            "POST /v2/app/blobs/uploads/",
            "PUT /v2/app/blobs/uploads/U?digest=D",
            "POST /v2/app/blobs/uploads/",
            "PUT /v2/app/blobs/uploads/U?digest=D",
        ]
    );
    for (digest, data) in [first, second, large] {
        assert_eq!(server.stored(&digest), Some(data));
    }
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

#[test]
fn monolithic_upload_refused_outright_falls_back_to_post_and_put() {
    let server = Server::start(Monolithic::Refuses);
    let store = server.remote();
    let (first, second) = (blob(100, 6), blob(300, 7));
    put(&store, &first);
    put(&store, &second);
    assert_eq!(
        server.requests(),
        vec![
            "POST /v2/app/blobs/uploads/?digest=D",
            "POST /v2/app/blobs/uploads/",
            "PUT /v2/app/blobs/uploads/U?digest=D",
            "POST /v2/app/blobs/uploads/",
            "PUT /v2/app/blobs/uploads/U?digest=D",
        ]
    );
    assert_eq!(server.stored(&first.0), Some(first.1));
    assert_eq!(server.stored(&second.0), Some(second.1));
    // The refusal's error body was read: its connection carried on.
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

#[test]
fn small_blob_not_matching_its_digest_is_refused_before_any_request() {
    let server = Server::start(Monolithic::Takes);
    let store = server.remote();
    let (digest, mut data) = blob(500, 8);
    data[10] ^= 1;
    let err = store
        .put_blob(&digest, data.len() as u64, &mut data.as_slice())
        .unwrap_err();
    assert!(matches!(err, StoreError::DigestMismatch { .. }), "{err}");
    let short = &data[..499];
    let err = store.put_blob(&digest, 500, &mut &short[..]).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SizeMismatch {
                expected: 500,
                actual: 499,
                ..
            }
        ),
        "{err}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn not_found_bodies_are_read_so_connections_are_reused() {
    let server = Server::start(Monolithic::Takes);
    let store = server.remote();
    let missing = blob(10, 9).0;
    for _ in 0..3 {
        let err = store.get_manifest(&ManifestRef::Digest(missing)).unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(store.blob_size(&missing).unwrap().is_none());
        assert!(
            store
                .open_blob(&missing, Some(10))
                .is_err_and(|e| e.is_not_found())
        );
    }
    assert_eq!(server.requests().len(), 9, "{:?}", server.requests());
    assert_eq!(
        server.connections(),
        1,
        "every 404 body read to its end, so one connection served all"
    );
}

#[test]
fn registry_that_stops_taking_monolithic_uploads_fails_the_streamed_copy_as_transient() {
    let server = Server::start(Monolithic::TakesOnce);
    let store = server.remote();
    let small = blob(100, 10);
    let large = blob(MONOLITHIC_PROBE_BYTES as usize * 2, 11);
    put(&store, &small);
    // Known to take them, the large blob streams in one POST; the registry opens a session instead,
    // which is abandoned: the stream is spent, so the copy fails as transient (to be retried whole).
    let err = store
        .put_blob(&large.0, large.1.len() as u64, &mut large.1.as_slice())
        .unwrap_err();
    assert!(matches!(err, StoreError::MonolithicWithdrawn { .. }), "{err}");
    assert!(err.is_transient(), "{err}");
    assert_eq!(server.stored(&large.0), None);
    // The retry goes by POST and PUT.
    put(&store, &large);
    assert_eq!(server.stored(&large.0), Some(large.1));
    assert_eq!(
        server.requests(),
        vec![
            "POST /v2/app/blobs/uploads/?digest=D",
            "POST /v2/app/blobs/uploads/?digest=D",
            "DELETE /v2/app/blobs/uploads/U",
            "POST /v2/app/blobs/uploads/",
            "PUT /v2/app/blobs/uploads/U?digest=D",
        ]
    );
}
