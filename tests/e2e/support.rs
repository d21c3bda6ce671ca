//! Running the binary under test.

use std::path::Path;
use std::process::{Command, Output};

/// The `SOURCE_DATE_EPOCH` every run of the binary gets unless its test sets another (2023-11-14).
pub(crate) const SOURCE_DATE_EPOCH: &str = "1700000000";

/// Variables of the developer's or the CI's environment the binary (or a tool it runs) would read:
/// logging, identity tokens, trusted roots, passwords, ledgers, credentials, TLS roots and the CI
/// detection of `provenant build`.
const CLEARED: &[&str] = &[
    "RUST_LOG",
    "SIGSTORE_ID_TOKEN",
    "COSIGN_PASSWORD",
    "CI",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "DOCKER_CONFIG",
    "SOURCE_DATE_EPOCH",
];

/// Prefixes of the same: Provenant's own variables, GitHub Actions' (its ambient token endpoint
/// included) and GitLab CI's.
const CLEARED_PREFIXES: &[&str] = &["PROVENANT_", "ACTIONS_", "GITHUB_", "GITLAB_", "CI_", "RUNNER_"];

/// What the test harness itself needs, kept: where the peers and the vectors are.
const KEPT: &[&str] = &["PROVENANT_ORACLES", "PROVENANT_VECTORS"];

/// Whether the hermetic context removes `name` from the binary's environment.
fn cleared(name: &str) -> bool {
    !KEPT.contains(&name) && (CLEARED.contains(&name) || CLEARED_PREFIXES.iter().any(|p| name.starts_with(p)))
}

/// A `provenant` command in the hermetic test context: no token, trusted root, password, ledger,
/// credential, TLS root, logging or CI variable from the environment the tests run in, and a fixed
/// `SOURCE_DATE_EPOCH`. A test that needs one of them sets it on the command.
pub(crate) fn provenant() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provenant"));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(cleared) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH);
    cmd
}

#[test]
fn hermetic_context_clears_tokens_roots_and_ci_and_fixes_the_epoch() {
    for name in [
        "SIGSTORE_ID_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "CI",
        "PROVENANT_TRUSTED_ROOT",
        "PROVENANT_LEDGER",
        "PROVENANT_LEDGER_TOKEN",
        "PROVENANT_PASSWORD",
        "COSIGN_PASSWORD",
        "SSL_CERT_FILE",
        "RUST_LOG",
    ] {
        assert!(cleared(name), "{name} must be cleared");
    }
    for name in ["PROVENANT_ORACLES", "PROVENANT_VECTORS", "PATH", "HOME"] {
        assert!(!cleared(name), "{name} must be kept");
    }
    let cmd = provenant();
    let epoch = cmd
        .get_envs()
        .find(|(k, _)| *k == "SOURCE_DATE_EPOCH")
        .and_then(|(_, v)| v);
    assert_eq!(epoch, Some(std::ffi::OsStr::new(SOURCE_DATE_EPOCH)));
}

/// Runs a command and returns its output, failing the test if it cannot be started.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `provenant ARGS` in `dir`.
pub(crate) fn provenant_in(dir: &Path, args: &[&str]) -> Output {
    run(provenant().current_dir(dir).args(args))
}

/// The standard output of `provenant ARGS` run in `dir`, which must succeed (see [`succeeded`]).
pub(crate) fn ok_in(dir: &Path, args: &[&str]) -> String {
    succeeded(&provenant_in(dir, args), args)
}

/// The standard output of a successful run of `provenant ARGS`; a failure fails the test, showing the
/// arguments and both streams.
pub(crate) fn succeeded(o: &Output, args: &[&str]) -> String {
    assert!(
        o.status.success(),
        "provenant {args:?}: {}{}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Base64 (standard alphabet, padded) by coreutils' `base64`, independent of the code under test.
pub(crate) fn base64_encode(b: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

/// The bytes of base64 text, decoded by coreutils' `base64 -d`.
pub(crate) fn base64_decode(s: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    child.wait_with_output().unwrap().stdout
}

/// Fails the test when a run's messages show a Rust value instead of text: `Some(`, `None`, or a
/// Debug-escaped quote. A JSON report is parsed first and its strings checked (JSON escapes quotes
/// legitimately); anything else is checked as printed.
pub(crate) fn assert_no_debug_values(o: &Output, what: &str) {
    let mut texts = vec![stderr(o)];
    match serde_json::from_slice::<serde_json::Value>(&o.stdout) {
        Ok(json) => {
            let mut stack = vec![json];
            while let Some(v) = stack.pop() {
                match v {
                    serde_json::Value::String(s) => texts.push(s),
                    serde_json::Value::Array(a) => stack.extend(a),
                    serde_json::Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
                    _ => {}
                }
            }
        }
        Err(_) => texts.push(stdout(o)),
    }
    for text in texts {
        for bad in ["Some(", "None", "\\\""] {
            assert!(
                !text.contains(bad),
                "{what}: a Rust Debug value ({bad}) in a message:\n{text}"
            );
        }
    }
}

/// The two runs of a verification that skipped the transparency log by request: both passed, the text
/// report says what was skipped and the JSON report lists it (`"skipped": ["transparency-log"]`) in the
/// object at `pointer` (`""` for the document itself).
pub(crate) fn assert_skipped_tlog(text: &Output, json: &Output, pointer: &str) -> serde_json::Value {
    assert_eq!(text.status.code(), Some(0), "{}{}", stdout(text), stderr(text));
    assert!(
        stdout(text).contains("skipped: transparency-log (NOT checked, by request)"),
        "{}",
        stdout(text)
    );
    assert_eq!(json.status.code(), Some(0), "{}{}", stdout(json), stderr(json));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let object = report.pointer(pointer).unwrap_or(&serde_json::Value::Null);
    assert_eq!(
        object["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    object.clone()
}

/// `provenant ledger init` of an `SQLite` ledger `l.db` (origin `example.com/audit`, note key files
/// `note.key` and `note.pub`), as most end-to-end tests set one up.
pub(crate) const LEDGER_INIT: [&str; 8] = [
    "ledger",
    "init",
    "--ledger",
    "sqlite:l.db",
    "--origin",
    "example.com/audit",
    "--output-key-prefix",
    "note",
];
