//! Running the build command: its output reaches the caller's streams and is hashed on the way.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use provenant_digest::{Algorithm, Digest, Hasher};

/// How a build command ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The command's exit status.
    pub status: ExitStatus,
    /// sha256 of everything it wrote on standard output.
    pub stdout: Digest,
    /// sha256 of everything it wrote on standard error.
    pub stderr: Digest,
}

impl RunOutcome {
    /// The exit code a shell would report: the command's code, or 128 + the signal that killed it.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt as _;
        self.status
            .code()
            .unwrap_or_else(|| 128 + self.status.signal().unwrap_or(0))
    }
}

/// Running the command failed before it could report an exit status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// No command was given.
    #[error("no build command given (put it after `--`)")]
    NoCommand,
    /// The command could not be started.
    #[error("cannot start build command {program:?} in {}: {source}", dir.display())]
    Spawn {
        /// The program.
        program: OsString,
        /// The directory it was to run in.
        dir: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Waiting for the command failed.
    #[error("waiting for the build command failed: {0}")]
    Wait(std::io::Error),
}

fn pump(mut from: impl Read, mut to: impl Write) -> Digest {
    let mut hasher = Hasher::new(Algorithm::Sha256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                hasher.update(chunk);
                // The build's output reaching the terminal is best effort; its digest is not.
                let _ = to.write_all(chunk).and_then(|()| to.flush());
            }
        }
    }
    hasher.finish()
}

/// Runs `command` in `dir`, copying its standard output and error to `stdout` and `stderr` while
/// hashing them, and returns its exit status.
pub fn run(
    command: &[OsString],
    dir: &Path,
    stdout: impl Write + Send,
    stderr: impl Write + Send,
) -> Result<RunOutcome, RunError> {
    let (program, args) = command.split_first().ok_or(RunError::NoCommand)?;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| RunError::Spawn {
            program: program.clone(),
            dir: dir.to_path_buf(),
            source,
        })?;
    let child_out = child.stdout.take();
    let child_err = child.stderr.take();
    let (out_digest, err_digest) = std::thread::scope(|s| {
        let o = s.spawn(move || child_out.map(|r| pump(r, stdout)));
        let e = s.spawn(move || child_err.map(|r| pump(r, stderr)));
        (o.join().ok().flatten(), e.join().ok().flatten())
    });
    let status = child.wait().map_err(RunError::Wait)?;
    let empty = || Algorithm::Sha256.hash_bytes(b"");
    Ok(RunOutcome {
        status,
        stdout: out_digest.unwrap_or_else(empty),
        stderr: err_digest.unwrap_or_else(empty),
    })
}
