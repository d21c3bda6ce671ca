//! Running the binary under test.

use std::path::Path;
use std::process::{Command, Output};

/// A `provenant` command with a clean environment for logging.
pub(crate) fn provenant() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provenant"));
    cmd.env_remove("RUST_LOG");
    cmd
}

/// Runs a command and returns its output, failing the test if it cannot be started.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `provenant ARGS` in `dir`.
pub(crate) fn provenant_in(dir: &Path, args: &[&str]) -> Output {
    run(provenant().current_dir(dir).args(args))
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
