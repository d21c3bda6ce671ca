//! The audit ledger end to end: `provenant ledger` on an `SQLite` ledger, its proofs and checkpoints
//! checked by an independent verifier (tests/reference/tlog.py, itself checked against
//! transparency-dev's vectors), and tamper tests on `verify` and `verify-bundle`, each naming the check
//! that failed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{ok_in as ok, provenant, provenant_in as p, run, stderr, stdout};

const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const DEPLOY: &str = "https://provenant.dev/attestation/deployment/v1";

/// Exit 1 with the failed check named on stdout (JSON).
fn fails_check(dir: &Path, args: &[&str], check: &str) {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let o = p(dir, &all);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {}{}", stdout(&o), stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["check"], check, "{}", doc["error"]);
}

fn statement(
    dir: &Path,
    name: &str,
    subject: &str,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> String {
    let doc = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": subject.strip_prefix("sha256:").unwrap()}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    });
    fs::write(dir.join(name), serde_json::to_vec(&doc).unwrap()).unwrap();
    name.to_owned()
}

fn event(dir: &Path, n: u32, subject: &str) -> String {
    statement(
        dir,
        &format!("e{n}.json"),
        subject,
        DEPLOY,
        &serde_json::json!({"environment": "prod", "n": n}),
    )
}

/// A ledger `l.db` with origin example.com/audit and keys `note.key`/`note.pub`.
fn init(dir: &Path) {
    init_with(dir, &[]);
}

fn init_with(dir: &Path, extra: &[&str]) {
    ok(dir, &[&crate::support::LEDGER_INIT[..], extra].concat());
}

fn append(dir: &Path, files: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "ledger",
        "append",
        "--ledger",
        "sqlite:l.db",
        "--note-key",
        "note.key",
        "--output",
        "json",
    ];
    args.extend(files);
    serde_json::from_str(&ok(dir, &args)).unwrap()
}

fn reference() -> (PathBuf, PathBuf) {
    // sigstore-python's virtualenv carries `cryptography`, which the reference needs for Ed25519.
    (
        provenant_testkit::require_venv_tool("sigstore", "python3"),
        provenant_testkit::repo_root().join("tests/reference/tlog.py"),
    )
}

fn reference_ok(dir: &Path, args: &[&str]) -> String {
    let (python, script) = reference();
    let o = run(Command::new(python).current_dir(dir).arg(script).args(args));
    assert!(
        o.status.success(),
        "tlog.py {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn sqlite(dir: &Path, db: &str, sql: &str) {
    let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit(); c.close()";
    let o = run(Command::new(provenant_testkit::require_on_path("python3"))
        .current_dir(dir)
        .args(["-c", script, db, sql]));
    assert!(o.status.success(), "{sql}: {}", stderr(&o));
}

#[test]
fn init_append_get_and_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    let key = fs::read_to_string(d.join("note.key")).unwrap();
    assert!(key.starts_with("PRIVATE+KEY+example.com/audit+"), "{key}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(d.join("note.key")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let vkey = fs::read_to_string(d.join("note.pub")).unwrap();
    let parts: Vec<&str> = vkey.trim().splitn(3, '+').collect();
    assert_eq!(parts[0], "example.com/audit");
    assert_eq!(parts[1].len(), 8);
    let files = [event(d, 1, A), event(d, 2, B), event(d, 3, A)];
    let got = append(d, &[&files[0], &files[1], &files[2]]);
    let got = got.as_array().unwrap();
    assert_eq!(
        got.iter()
            .map(|a| a["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    for (i, f) in files.iter().enumerate() {
        let bytes = fs::read(d.join(f)).unwrap();
        // RFC 6962's leaf hash, by Python's hashlib.
        let leaf = stdout(&run(Command::new(provenant_testkit::require_on_path("python3")).current_dir(d).args([
            "-c",
            "import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(b'\\0'+open(sys.argv[1],'rb').read()).digest()).decode(), end='')",
            f,
        ])));
        assert_eq!(got[i]["leaf_hash"], leaf.as_str());
        let o = p(
            d,
            &[
                "ledger",
                "get",
                "--ledger",
                "sqlite:l.db",
                "--index",
                &i.to_string(),
            ],
        );
        assert!(o.status.success());
        assert_eq!(o.stdout, bytes, "entry {i} byte for byte");
    }
    let cp = ok(
        d,
        &[
            "ledger",
            "checkpoint",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ],
    );
    fs::write(d.join("cp"), &cp).unwrap();
    let opened = reference_ok(d, &["checkpoint", "cp", "note.pub"]);
    assert!(opened.starts_with("example.com/audit 3 "), "{opened}");
    // The defaults come from the environment.
    let o = run(provenant()
        .current_dir(d)
        .env("PROVENANT_LEDGER", "sqlite:l.db")
        .env("PROVENANT_LEDGER_NOTE_KEY", "note.key")
        .stdin(Stdio::null())
        .args(["ledger", "append", &event(d, 4, B)]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("3 "), "{}", stdout(&o));
    // A second init of the same ledger is refused.
    let again = p(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:l.db",
            "--origin",
            "x",
            "--output-key-prefix",
            "other",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
}

/// `ledger checkpoint --output json`: the checkpoint's origin, size and root hash as its note's text
/// writes them, and the whole signed note, which verifies as a saved checkpoint; the text form is the
/// note alone, byte for byte.
#[test]
fn a_forced_note_key_over_a_world_readable_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(d.join("note.key"), b"stale").unwrap();
    fs::set_permissions(d.join("note.key"), fs::Permissions::from_mode(0o644)).unwrap();
    init_with(d, &["--force"]);
    let mode = fs::metadata(d.join("note.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = fs::read_to_string(d.join("note.key")).unwrap();
    assert!(key.starts_with("PRIVATE+KEY+example.com/audit+"), "{key}");
}

#[test]
fn checkpoint_json_reads_origin_size_and_root_from_the_signed_note() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    let files = [event(d, 1, A), event(d, 2, B), event(d, 3, A)];
    append(d, &[&files[0], &files[1], &files[2]]);
    let base = [
        "ledger",
        "checkpoint",
        "--ledger",
        "sqlite:l.db",
        "--note-key",
        "note.key",
    ];
    let text = ok(d, &base);
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[..2], ["example.com/audit", "3"], "{text}");
    assert!(text.contains("\n\n— example.com/audit "), "{text}");
    let doc: serde_json::Value =
        serde_json::from_str(&ok(d, &[&base[..], &["--output", "json"]].concat())).unwrap();
    assert_eq!(doc["origin"], "example.com/audit", "{doc}");
    assert_eq!(doc["size"], 3, "{doc}");
    let note = doc["note"].as_str().unwrap();
    // The root hash is the note's third line; the tree's root, as `ledger prove` computes it.
    assert_eq!(doc["rootHash"], note.split('\n').nth(2).unwrap(), "{doc}");
    let proof: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "0",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(doc["rootHash"], proof["rootHash"], "{doc} {proof}");
    // Local checkpoints are signed when asked for: the same tree, the same signature (Ed25519).
    assert_eq!(note, text);
    assert_eq!(doc.as_object().unwrap().len(), 4, "{doc}");
    fs::write(d.join("saved.checkpoint"), note).unwrap();
    let opened = reference_ok(d, &["checkpoint", "saved.checkpoint", "note.pub"]);
    assert!(opened.starts_with("example.com/audit 3 "), "{opened}");
}

#[test]
fn append_refuses_non_statements_and_foreign_keys() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    fs::write(d.join("log.txt"), "step 1 ok\n").unwrap();
    let e = event(d, 1, A);
    let o = p(
        d,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &e,
            "log.txt",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("log.txt was refused"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an in-toto statement"), "{}", stderr(&o));
    // Nothing of the batch was appended.
    assert_eq!(
        p(d, &["ledger", "get", "--ledger", "sqlite:l.db", "--index", "0"])
            .status
            .code(),
        Some(2)
    );
    // Another ledger's key cannot sign this one's checkpoints.
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:other.db",
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "other",
        ],
    );
    let o = p(
        d,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "other.key",
            &e,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not this ledger's key"), "{}", stderr(&o));
}

#[test]
fn an_encrypted_note_key_needs_its_password_and_never_prompts_without_a_terminal() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let with = |pw: Option<&str>, args: &[&str]| {
        let mut c = provenant();
        c.current_dir(d).stdin(Stdio::null());
        if let Some(pw) = pw {
            c.env("PROVENANT_PASSWORD", pw);
        }
        run(c.args(args))
    };
    let o = with(Some("s3cret"), &crate::support::LEDGER_INIT);
    assert!(o.status.success(), "{}", stderr(&o));
    let key = fs::read_to_string(d.join("note.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN ENCRYPTED PROVENANT NOTE KEY-----"),
        "{key}"
    );
    assert!(!key.contains("PRIVATE+KEY"));
    let e = event(d, 1, A);
    let o = with(
        Some("s3cret"),
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &e,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = with(
        Some("wrong"),
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &e,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !stderr(&o).contains("wrong") || stderr(&o).contains("wrong password"),
        "{}",
        stderr(&o)
    );
    let o = with(
        None,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &e,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("set PROVENANT_PASSWORD"), "{}", stderr(&o));
    // COSIGN_PASSWORD works too, as for `keys`.
    let o = run(provenant()
        .current_dir(d)
        .env("COSIGN_PASSWORD", "s3cret")
        .stdin(Stdio::null())
        .args([
            "ledger",
            "checkpoint",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ]));
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Every inclusion proof at every size and every consistency proof the CLI prints verify with the
/// independent verifier, which agrees with all of transparency-dev's inclusion and consistency vectors.
#[test]
fn proofs_and_checkpoints_verify_with_the_reference_verifier() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let vectors = provenant_testkit::vectors_dir().join("transparency-dev-merkle/testdata");
    let agreed = reference_ok(d, &["vectors", vectors.to_str().unwrap()]);
    assert!(agreed.contains(" 0 disagree"), "{agreed}");
    init(d);
    let mut files = Vec::new();
    for batch in [1u32, 2, 4, 6] {
        let names: Vec<String> = (0..batch).map(|i| event(d, files.len() as u32 + i, A)).collect();
        append(d, &names.iter().map(String::as_str).collect::<Vec<_>>());
        files.extend(names);
    }
    let size = files.len();
    assert_eq!(size, 13);
    for tree_size in [1, 2, 7, 8, 13] {
        for (index, file) in files.iter().enumerate().take(tree_size) {
            let proof = ok(
                d,
                &[
                    "ledger",
                    "prove",
                    "--ledger",
                    "sqlite:l.db",
                    "--index",
                    &index.to_string(),
                    "--size",
                    &tree_size.to_string(),
                    "--output",
                    "json",
                ],
            );
            let doc: serde_json::Value = serde_json::from_str(&proof).unwrap();
            assert!(doc["hashes"].is_array());
            fs::write(d.join("p.json"), proof).unwrap();
            reference_ok(d, &["inclusion", "p.json", file]);
        }
    }
    for from in 1..=size {
        let proof = ok(
            d,
            &[
                "ledger",
                "prove",
                "--ledger",
                "sqlite:l.db",
                "--from",
                &from.to_string(),
                "--to",
                &size.to_string(),
                "--output",
                "json",
            ],
        );
        fs::write(d.join("c.json"), proof).unwrap();
        reference_ok(d, &["consistency", "c.json"]);
    }
    // The checkpoint the reference opens signs the root the prover used.
    fs::write(
        d.join("cp"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:l.db",
                "--note-key",
                "note.key",
            ],
        ),
    )
    .unwrap();
    let opened = reference_ok(d, &["checkpoint", "cp", "note.pub"]);
    let root = opened.split_whitespace().nth(2).unwrap();
    let p0: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "0",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(p0["rootHash"], root);
    // A proof the reference refuses once one hash is changed (the verifier is not vacuous).
    let mut doc = p0.clone();
    doc["hashes"][0] = serde_json::Value::String(crate::support::base64_encode(&[0u8; 32]));
    fs::write(d.join("bad.json"), doc.to_string()).unwrap();
    let (python, script) = reference();
    let o = run(Command::new(python)
        .current_dir(d)
        .arg(script)
        .args(["inclusion", "bad.json", &files[0]]));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn query_by_subject_type_commit_environment_and_time() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    let commit = "c".repeat(40);
    let s1 = statement(
        d,
        "s1.json",
        A,
        "https://slsa.dev/provenance/v1",
        &serde_json::json!({"commit": commit}),
    );
    let s2 = statement(
        d,
        "s2.json",
        A,
        DEPLOY,
        &serde_json::json!({"environment": "staging"}),
    );
    let s3 = statement(
        d,
        "s3.json",
        B,
        DEPLOY,
        &serde_json::json!({"environment": {"name": "prod"}}),
    );
    append(d, &[&s1, &s2]);
    let o = run(provenant()
        .current_dir(d)
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .stdin(Stdio::null())
        .args([
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &s3,
        ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let q = |extra: &[&str]| -> Vec<u64> {
        let mut args = vec!["ledger", "query", "--ledger", "sqlite:l.db", "--output", "json"];
        args.extend(extra);
        let doc: serde_json::Value = serde_json::from_str(&ok(d, &args)).unwrap();
        doc.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["predicateType"], e["statement"]["predicateType"]);
                e["index"].as_u64().unwrap()
            })
            .collect()
    };
    assert_eq!(q(&["--subject", A]), [0, 1]);
    assert_eq!(q(&["--subject", B]), [2]);
    assert_eq!(q(&["--type", DEPLOY]), [1, 2]);
    assert_eq!(q(&["--commit", &commit]), [0]);
    assert_eq!(q(&["--env", "prod"]), [2]);
    assert_eq!(q(&["--since", "2025-01-01T00:00:00Z"]), [2]);
    assert_eq!(q(&["--since", "1700000000"]), [0, 1, 2]);
    assert_eq!(q(&["--subject", A, "--env", "staging"]), [1]);
    let doc: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "query",
            "--ledger",
            "sqlite:l.db",
            "--subject",
            B,
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(doc[0]["statement"]["subject"][0]["digest"]["sha256"], &B[7..]);
    assert_eq!(
        p(
            d,
            &[
                "ledger",
                "query",
                "--ledger",
                "sqlite:l.db",
                "--since",
                "yesterday"
            ]
        )
        .status
        .code(),
        Some(2)
    );
}

/// A fork: `l.db` and a copy that diverged after three entries, both signed with the same key.
fn forked(d: &Path) -> String {
    init(d);
    append(d, &[&event(d, 1, A), &event(d, 2, A)]);
    fs::write(
        d.join("saved2"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:l.db",
                "--note-key",
                "note.key",
            ],
        ),
    )
    .unwrap();
    append(d, &[&event(d, 3, A)]);
    fs::copy(d.join("l.db"), d.join("fork.db")).unwrap();
    append(d, &[&event(d, 4, A)]);
    fs::write(
        d.join("saved4"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:l.db",
                "--note-key",
                "note.key",
            ],
        ),
    )
    .unwrap();
    let other = event(d, 99, B);
    ok(
        d,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:fork.db",
            "--note-key",
            "note.key",
            &other,
        ],
    );
    other
}

#[test]
fn verify_passes_and_proves_consistency_with_a_saved_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    forked(d);
    let out = ok(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved2",
            "--output",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["ledger"]["size"], 4);
    assert_eq!(doc["ledger"]["consistentWithSaved"], 2);
    ok(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved4",
        ],
    );
    // The fork is consistent with what was saved before it diverged.
    ok(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:fork.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved2",
        ],
    );
}

#[test]
fn verify_detects_a_split_view() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    forked(d);
    // The fork has four entries like the checkpoint the auditor saved, but not the same fourth.
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:fork.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved4",
        ],
        "consistency",
    );
}

#[test]
fn verify_detects_a_rollback() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    forked(d);
    fs::copy(d.join("l.db"), d.join("full.db")).unwrap();
    append(d, &[&event(d, 5, A)]);
    fs::write(
        d.join("saved5"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:l.db",
                "--note-key",
                "note.key",
            ],
        ),
    )
    .unwrap();
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:full.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved5",
        ],
        "saved checkpoint",
    );
}

#[test]
fn verify_detects_a_saved_checkpoint_signed_by_another_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    forked(d);
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:other.db",
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "other",
        ],
    );
    fs::write(
        d.join("foreign"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:other.db",
                "--note-key",
                "other.key",
            ],
        ),
    )
    .unwrap();
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "foreign",
        ],
        "saved checkpoint signature",
    );
    // Verified with the other log's key, this log's own checkpoints do not verify.
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "other.pub",
        ],
        "checkpoint signature",
    );
}

#[test]
fn verify_detects_rewritten_history_in_the_database() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    forked(d);
    let unlock = "DROP TRIGGER entries_change_only_by_redaction; DROP TRIGGER hashes_never_updated; \
                  DROP TRIGGER checkpoints_never_deleted; DROP TRIGGER checkpoints_never_updated;";
    // An entry's bytes rewritten.
    fs::copy(d.join("l.db"), d.join("t1.db")).unwrap();
    sqlite(
        d,
        "t1.db",
        &format!(
            "{unlock} UPDATE entries SET content = CAST(replace(CAST(content AS TEXT), 'prod', 'test') AS BLOB) WHERE idx = 1;"
        ),
    );
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:t1.db",
            "--key",
            "note.pub",
        ],
        "entries",
    );
    // An entry's bytes and leaf hash rewritten together (entry 1 made a copy of entry 0): the stored
    // tree no longer matches.
    fs::copy(d.join("l.db"), d.join("t2.db")).unwrap();
    sqlite(
        d,
        "t2.db",
        &format!(
            "{unlock} UPDATE entries SET content = (SELECT content FROM entries WHERE idx = 0), \
             leaf_hash = (SELECT leaf_hash FROM entries WHERE idx = 0) WHERE idx = 1;"
        ),
    );
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:t2.db",
            "--key",
            "note.pub",
        ],
        "tree hashes",
    );
    // The whole history replaced by the fork's, keeping the checkpoints the original handed out.
    fs::copy(d.join("fork.db"), d.join("t3.db")).unwrap();
    sqlite(
        d,
        "t3.db",
        &format!(
            "{unlock} ATTACH 'l.db' AS orig; DELETE FROM checkpoints; INSERT INTO checkpoints SELECT * FROM orig.checkpoints;"
        ),
    );
    fails_check(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:t3.db",
            "--key",
            "note.pub",
        ],
        "checkpoint root",
    );
}

fn rewrite_tar(d: &Path, from: &str, to: &str, python: &str) {
    let script = format!(
        "import tarfile,io,sys\n\
         src=tarfile.open(sys.argv[1]); files={{m.name: src.extractfile(m).read() for m in src.getmembers()}}\n\
         {python}\n\
         out=tarfile.open(sys.argv[2],'w')\n\
         for n in sorted(files):\n    i=tarfile.TarInfo(n); i.size=len(files[n]); out.addfile(i, io.BytesIO(files[n]))\n\
         out.close()\n"
    );
    let o = run(Command::new(provenant_testkit::require_on_path("python3"))
        .current_dir(d)
        .args(["-c", &script, from, to]));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
// One export, then a table of tamperings each checked against it: splitting would repeat the setup.
#[allow(clippy::too_many_lines)]
fn export_and_verify_bundle_offline_with_tamper_tests() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    append(d, &[&event(d, 1, A), &event(d, 2, B), &event(d, 3, A)]);
    let out = ok(
        d,
        &[
            "ledger",
            "export",
            "--ledger",
            "sqlite:l.db",
            "--subject",
            A,
            "-o",
            "audit.tar",
            "--output",
            "json",
        ],
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["entries"].as_array().unwrap().len(), 2);
    // Deterministic: the same export twice is the same archive.
    ok(
        d,
        &[
            "ledger",
            "export",
            "--ledger",
            "sqlite:l.db",
            "--subject",
            A,
            "-o",
            "again.tar",
        ],
    );
    assert_eq!(
        fs::read(d.join("audit.tar")).unwrap(),
        fs::read(d.join("again.tar")).unwrap()
    );
    let verified = ok(
        d,
        &[
            "ledger",
            "verify-bundle",
            "audit.tar",
            "--key",
            "note.pub",
            "--output",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&verified).unwrap();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["bundle"]["entries"][1]["index"], 2);
    // The bundle's proofs verify with the reference too.
    rewrite_tar(d, "audit.tar", "same.tar", "");
    ok(d, &["ledger", "verify-bundle", "same.tar", "--key", "note.pub"]);
    for (name, python, check) in [
        (
            "entry.tar",
            "files['entries/2']=files['entries/2'].replace(b'prod', b'test')",
            "entry hash",
        ),
        (
            "both.tar",
            "import hashlib,base64,json\n\
             files['entries/2']=files['entries/2'].replace(b'prod', b'test')\n\
             p=json.loads(files['proofs/2.json']); p['leafHash']=base64.b64encode(hashlib.sha256(b'\\x00'+files['entries/2']).digest()).decode(); files['proofs/2.json']=json.dumps(p).encode()",
            "inclusion proof",
        ),
        (
            "proof.tar",
            "import json\np=json.loads(files['proofs/0.json']); p['hashes'][0]='A'*43+'='; files['proofs/0.json']=json.dumps(p).encode()",
            "inclusion proof",
        ),
        (
            "checkpoint.tar",
            "files['checkpoint']=files['checkpoint'].replace(b'\\n3\\n', b'\\n4\\n', 1)",
            "bundle checkpoint signature",
        ),
        (
            "key.tar",
            "files['key.pub']=open('other.pub','rb').read()",
            "bundle key",
        ),
        ("extra.tar", "files['entries/9']=b'{}'", "bundle format"),
        ("missing.tar", "del files['proofs/0.json']", "bundle format"),
        (
            "subject.tar",
            "import json\nm=json.loads(files['manifest.json']); m['subject']='sha256:'+'b'*64; files['manifest.json']=json.dumps(m).encode()",
            "subject",
        ),
    ] {
        if name == "key.tar" {
            ok(
                d,
                &[
                    "ledger",
                    "init",
                    "--ledger",
                    "sqlite:other.db",
                    "--origin",
                    "example.com/audit",
                    "--output-key-prefix",
                    "other",
                ],
            );
        }
        rewrite_tar(d, "audit.tar", name, python);
        fails_check(d, &["ledger", "verify-bundle", name, "--key", "note.pub"], check);
    }
    fs::write(d.join("junk.tar"), b"not a tar").unwrap();
    fails_check(
        d,
        &["ledger", "verify-bundle", "junk.tar", "--key", "note.pub"],
        "bundle format",
    );
}

#[test]
// One redaction followed through every command that reads the entry: one scenario, written out.
#[allow(clippy::too_many_lines)]
fn redaction_removes_content_and_keeps_every_proof() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    init(d);
    let files = [event(d, 1, A), event(d, 2, A), event(d, 3, A)];
    append(d, &[&files[0], &files[1], &files[2]]);
    fs::write(
        d.join("saved"),
        ok(
            d,
            &[
                "ledger",
                "checkpoint",
                "--ledger",
                "sqlite:l.db",
                "--note-key",
                "note.key",
            ],
        ),
    )
    .unwrap();
    let before: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "1",
            "--size",
            "3",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    let out = ok(
        d,
        &[
            "ledger",
            "redact",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            "--index",
            "1",
            "--reason",
            "retention",
            "--output",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["index"], 3);
    let get = p(d, &["ledger", "get", "--ledger", "sqlite:l.db", "--index", "1"]);
    assert_eq!(get.status.code(), Some(2));
    assert!(stderr(&get).contains("redacted by entry 3"), "{}", stderr(&get));
    let after: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "1",
            "--size",
            "3",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(before, after);
    fs::write(d.join("p.json"), after.to_string()).unwrap();
    reference_ok(d, &["inclusion", "p.json", &files[1]]);
    let v: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "note.pub",
            "--checkpoint",
            "saved",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(v["ledger"]["redacted"], 1);
    let q: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "ledger",
            "query",
            "--ledger",
            "sqlite:l.db",
            "--subject",
            A,
            "--output",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(
        q.as_array()
            .unwrap()
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 2]
    );
    // A redaction whose entry is gone without its redaction record fails verification.
    sqlite(
        d,
        "l.db",
        "DROP TRIGGER entries_change_only_by_redaction; UPDATE entries SET redacted_by = NULL WHERE idx = 1;",
    );
    fails_check(
        d,
        &["ledger", "verify", "--ledger", "sqlite:l.db", "--key", "note.pub"],
        "redaction",
    );
}
