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

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
