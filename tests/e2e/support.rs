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
