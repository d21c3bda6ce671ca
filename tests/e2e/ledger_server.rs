//! `provenant ledger serve` end to end: every `--ledger` command against a served ledger
//! (`--ledger http://127.0.0.1:PORT` with a bearer token), and crash safety: the server, or an
//! appending process, killed with SIGKILL at random moments during a stream of concurrent appends;
//! after each restart every acknowledged append is there with its index and leaf hash, indexes have
//! no gaps, and every checkpoint handed out before is consistent with the tree.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provenant_testkit::Lcg;

use crate::support::{provenant, run, stderr, stdout};

const WRITER: &str = "e2e-writer-token-5d1c";
const AUDITOR: &str = "e2e-auditor-token-a4f0";

fn p(dir: &Path, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = provenant();
    cmd.current_dir(dir).stdin(Stdio::null()).args(args);
    if let Some(t) = token {
        cmd.env("PROVENANT_LEDGER_TOKEN", t);
    }
    run(&mut cmd)
}

fn ok(dir: &Path, token: Option<&str>, args: &[&str]) -> String {
    let o = p(dir, token, args);
    assert!(
        o.status.success(),
        "provenant {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn token_hash(dir: &Path, token: &str) -> String {
    let f = dir.join(format!("t-{}", token.len()));
    fs::write(&f, token).unwrap();
    let o = run(Command::new("sha256sum").arg(&f));
    stdout(&o).split_whitespace().next().unwrap().to_owned()
}

fn statement(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join(format!("s{n}.json"));
    let doc = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": format!("{n:064x}")}}],
        "predicateType": "https://provenant.dev/attestation/deployment/v1",
        "predicate": {"environment": "prod", "n": n}
    });
    fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

/// A ledger with its note key, a tokens file, and a free loopback port.
fn setup(dir: &Path) -> u16 {
    ok(dir, None, &crate::support::LEDGER_INIT);
    fs::write(
        dir.join("tokens.yaml"),
        format!(
            "tokens:\n  - {{name: ci, role: writer, sha256: {}}}\n  - {{name: audit, role: auditor, sha256: {}}}\n",
            token_hash(dir, WRITER),
            token_hash(dir, AUDITOR)
        ),
    )
    .unwrap();
    provenant_testkit::free_port()
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Served {
    let child = provenant()
        .current_dir(dir)
        .args([
            "ledger",
            "serve",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            "--tokens",
            "tokens.yaml",
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served(child);
    assert!(
        provenant_testkit::wait_for_port(port, Duration::from_secs(30)),
        "the ledger server did not listen on {port}"
    );
    served
}

#[test]
fn every_ledger_command_works_against_a_served_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = setup(d);
    let _server = serve(d, port);
    let url = format!("http://127.0.0.1:{port}");
    let files: Vec<String> = (0..3).map(|n| statement(d, n).display().to_string()).collect();
    let mut args = vec!["ledger", "append", "--ledger", &url, "--output", "json"];
    args.extend(files.iter().map(String::as_str));
    let appended: serde_json::Value = serde_json::from_str(&ok(d, Some(WRITER), &args)).unwrap();
    assert_eq!(appended.as_array().unwrap().len(), 3);
    assert_eq!(appended[2]["index"], 2, "{appended}");

    let saved = ok(d, Some(AUDITOR), &["ledger", "checkpoint", "--ledger", &url]);
    fs::write(d.join("saved.checkpoint"), &saved).unwrap();
    assert!(saved.starts_with("example.com/audit\n3\n"), "{saved}");
    // As JSON: the server's note, whole, and its body read from it.
    let doc: serde_json::Value = serde_json::from_str(&ok(
        d,
        Some(AUDITOR),
        &["ledger", "checkpoint", "--ledger", &url, "--output", "json"],
    ))
    .unwrap();
    assert_eq!(doc["origin"], "example.com/audit", "{doc}");
    assert_eq!(doc["size"], 3, "{doc}");
    assert_eq!(doc["rootHash"], saved.split('\n').nth(2).unwrap(), "{doc}");
    assert_eq!(doc["note"], saved.as_str(), "{doc}");

    let s = statement(d, 3).display().to_string();
    ok(d, Some(WRITER), &["ledger", "append", "--ledger", &url, &s]);
    assert_eq!(
        ok(
            d,
            Some(AUDITOR),
            &["ledger", "get", "--ledger", &url, "--index", "1"]
        ),
        fs::read_to_string(&files[1]).unwrap()
    );
    let proof: serde_json::Value = serde_json::from_str(&ok(
        d,
        Some(AUDITOR),
        &[
            "ledger", "prove", "--ledger", &url, "--index", "1", "--output", "json",
        ],
    ))
    .unwrap();
    assert_eq!(proof["treeSize"], 4);
    let found: serde_json::Value = serde_json::from_str(&ok(
        d,
        Some(AUDITOR),
        &[
            "ledger",
            "query",
            "--ledger",
            &url,
            "--subject",
            &format!("sha256:{:064x}", 2),
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(found[0]["index"], 2);
    ok(
        d,
        Some(AUDITOR),
        &[
            "ledger",
            "verify",
            "--ledger",
            &url,
            "--key",
            "note.pub",
            "--checkpoint",
            "saved.checkpoint",
        ],
    );
    ok(
        d,
        Some(AUDITOR),
        &[
            "ledger",
            "export",
            "--ledger",
            &url,
            "--subject",
            &format!("sha256:{:064x}", 2),
            "-o",
            "audit.tar",
        ],
    );
    ok(
        d,
        None,
        &["ledger", "verify-bundle", "audit.tar", "--key", "note.pub"],
    );
}

#[test]
fn what_the_http_api_refuses_is_a_clear_error_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = setup(d);
    let _server = serve(d, port);
    let url = format!("http://127.0.0.1:{port}");
    let s = statement(d, 3).display().to_string();
    // Redaction and init are not HTTP operations; a reader's token cannot append.
    let o = p(
        d,
        Some(WRITER),
        &[
            "ledger", "redact", "--ledger", &url, "--index", "0", "--reason", "r",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not redact over HTTP"), "{}", stderr(&o));
    let o = p(
        d,
        Some(WRITER),
        &[
            "ledger",
            "init",
            "--ledger",
            &url,
            "--origin",
            "x",
            "--output-key-prefix",
            "k",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot be initialised over HTTP"),
        "{}",
        stderr(&o)
    );
    let o = p(d, Some(AUDITOR), &["ledger", "append", "--ledger", &url, &s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("HTTP 403"), "{}", stderr(&o));
    assert!(!stderr(&o).contains(AUDITOR), "the token leaked: {}", stderr(&o));
}

type Acked = Arc<Mutex<Vec<(u64, String, PathBuf)>>>;

/// Runs `provenant ledger append … FILE --output json`; an exit 0 is an acknowledgement, recorded.
fn append_one(dir: &Path, ledger: &str, token: Option<&str>, file: &Path, acked: &Acked) {
    let mut cmd = provenant();
    cmd.current_dir(dir)
        .args([
            "ledger",
            "append",
            "--ledger",
            ledger,
            "--note-key",
            "note.key",
            "--output",
            "json",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(t) = token {
        cmd.env("PROVENANT_LEDGER_TOKEN", t);
    }
    let child = cmd.spawn().unwrap();
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        acked.lock().unwrap().push((
            doc[0]["index"].as_u64().unwrap(),
            doc[0]["leaf_hash"].as_str().unwrap().to_owned(),
            file.to_owned(),
        ));
    }
}

/// A server whose checkpoint note is not a signed note (a checkpoint's text with no blank line and no
/// signature after it, which c2sp.org/signed-note does not allow): `ledger checkpoint` exits 2 naming
/// what is wrong, in text and in JSON alike, and prints nothing.
#[test]
fn checkpoint_refuses_a_note_that_is_not_a_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let body = "example.com/audit\n3\n3Q9pBMwxaYxkW2H96rrBFRd1EhJSUaho6cRY3UqEFqg=\n";
    let s = server.clone();
    std::thread::spawn(move || {
        for r in s.incoming_requests() {
            let _ = r.respond(tiny_http::Response::from_string(body));
        }
    });
    for output in ["text", "json"] {
        let out = p(
            d,
            Some(AUDITOR),
            &["ledger", "checkpoint", "--ledger", &url, "--output", output],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{output}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{output}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("signed note is malformed: text, a blank line and signature lines"),
            "{output}: {}",
            stderr(&out)
        );
    }
    server.unblock();
}

/// Every acknowledged append at its index with its leaf hash, no gaps, every saved checkpoint
/// consistent with the tree (`verify --checkpoint`, which also recomputes the whole tree).
fn check_after_restart(dir: &Path, acked: &Acked, checkpoints: &[PathBuf]) {
    for (index, leaf, file) in acked.lock().unwrap().iter() {
        let got = ok(
            dir,
            None,
            &[
                "ledger",
                "get",
                "--ledger",
                "sqlite:l.db",
                "--index",
                &index.to_string(),
            ],
        );
        assert_eq!(got, fs::read_to_string(file).unwrap(), "entry {index}");
        let proof: serde_json::Value = serde_json::from_str(&ok(
            dir,
            None,
            &[
                "ledger",
                "prove",
                "--ledger",
                "sqlite:l.db",
                "--index",
                &index.to_string(),
                "--output",
                "json",
            ],
        ))
        .unwrap();
        assert_eq!(proof["leafHash"], leaf.as_str(), "entry {index}");
    }
    for cp in checkpoints {
        ok(
            dir,
            None,
            &[
                "ledger",
                "verify",
                "--ledger",
                "sqlite:l.db",
                "--key",
                "note.pub",
                "--checkpoint",
                cp.to_str().unwrap(),
            ],
        );
    }
}

#[test]
fn acknowledged_appends_survive_kill_9_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = setup(d);
    let url = format!("http://127.0.0.1:{port}");
    let acked: Acked = Arc::new(Mutex::new(Vec::new()));
    let mut checkpoints = Vec::new();
    let mut rng = Lcg::new(0x5eed_1234);
    for round in 0..4 {
        let server = serve(d, port);
        let stop_at = Instant::now() + Duration::from_millis(300 + rng.below(700) as u64);
        let writers: Vec<_> = (0..3u64)
            .map(|w| {
                let (dir, url, acked) = (d.to_owned(), url.clone(), Arc::clone(&acked));
                let files: Vec<PathBuf> = (0..40)
                    .map(|i| statement(&dir, 100_000 * (round + 1) + 1000 * w + i))
                    .collect();
                std::thread::spawn(move || {
                    for f in files {
                        if Instant::now() > stop_at + Duration::from_secs(2) {
                            break;
                        }
                        append_one(&dir, &url, Some(WRITER), &f, &acked);
                    }
                })
            })
            .collect();
        // Save the checkpoints handed out while appends stream, then kill the server mid-stream.
        while Instant::now() < stop_at {
            let o = p(d, Some(AUDITOR), &["ledger", "checkpoint", "--ledger", &url]);
            if o.status.success() {
                let path = d.join(format!("cp-{round}-{}", checkpoints.len()));
                fs::write(&path, &o.stdout).unwrap();
                checkpoints.push(path);
            }
        }
        let mut server = server;
        server.0.kill().unwrap(); // SIGKILL
        let _ = server.0.wait();
        for w in writers {
            w.join().unwrap();
        }
    }
    assert!(!acked.lock().unwrap().is_empty(), "no append was acknowledged");
    check_after_restart(d, &acked, &checkpoints);
    // And the server starts again on what was committed.
    let _again = serve(d, port);
    ok(
        d,
        Some(AUDITOR),
        &["ledger", "verify", "--ledger", &url, "--key", "note.pub"],
    );
}

#[test]
fn acknowledged_appends_survive_kill_9_of_appending_processes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _ = setup(d);
    let acked: Acked = Arc::new(Mutex::new(Vec::new()));
    let mut rng = Lcg::new(0xdead_beef);
    let mut killed = 0;
    for i in 0..60u64 {
        // Three appenders at once; one of them is killed at a random moment.
        let files: Vec<PathBuf> = (0..3).map(|k| statement(d, 10 * i + k)).collect();
        let mut children: Vec<Child> = files
            .iter()
            .map(|f| {
                provenant()
                    .current_dir(d)
                    .args([
                        "ledger",
                        "append",
                        "--ledger",
                        "sqlite:l.db",
                        "--note-key",
                        "note.key",
                        "--output",
                        "json",
                    ])
                    .arg(f)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.below(40) as u64));
        let victim = rng.below(3);
        if children[victim].kill().is_ok() {
            killed += 1;
        }
        for (child, f) in children.drain(..).zip(&files) {
            let o = child.wait_with_output().unwrap();
            if o.status.success() {
                let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                acked.lock().unwrap().push((
                    doc[0]["index"].as_u64().unwrap(),
                    doc[0]["leaf_hash"].as_str().unwrap().to_owned(),
                    f.clone(),
                ));
            }
        }
    }
    assert!(killed > 0);
    assert!(!acked.lock().unwrap().is_empty());
    // A fresh open checks the store's invariants (no gaps, hashes of exactly those entries).
    let saved = ok(
        d,
        None,
        &[
            "ledger",
            "checkpoint",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ],
    );
    fs::write(d.join("final.checkpoint"), saved).unwrap();
    check_after_restart(d, &acked, &[d.join("final.checkpoint")]);
    // No duplicates among acknowledged indexes.
    let mut indexes: Vec<u64> = acked.lock().unwrap().iter().map(|a| a.0).collect();
    let before = indexes.len();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), before);
}
