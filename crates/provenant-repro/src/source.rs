//! The source tree: its git state, its `SOURCE_DATE_EPOCH` and its digest.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The git state of the source tree, when it is a git work tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitSource {
    /// The commit checked out (`HEAD`).
    pub commit: String,
    /// Committer time of `HEAD`, seconds since the Unix epoch.
    pub commit_time: i64,
    /// Whether the work tree had uncommitted changes (tracked or untracked).
    pub dirty: bool,
}

/// Where the `SOURCE_DATE_EPOCH` given to the builds came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EpochOrigin {
    /// The committer time of the last commit.
    GitCommit,
    /// The caller's environment (the source is not a git work tree).
    Environment,
    /// Not set: disabled on request (and removed from the builds' environment).
    Disabled,
    /// Not set: the source is not a git work tree and the environment had none.
    Unavailable,
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Reads the git state of `dir` if it is the top of a git work tree.
pub(crate) fn git_source(dir: &Path) -> Option<GitSource> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let (top, here) = (std::fs::canonicalize(top).ok()?, std::fs::canonicalize(dir).ok()?);
    if top != here {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    let commit_time = git(dir, &["log", "-1", "--format=%ct", "HEAD"])?.parse().ok()?;
    let dirty =
        git(dir, &["status", "--porcelain", "--untracked-files=normal"]).is_none_or(|s| !s.is_empty());
    Some(GitSource {
        commit,
        commit_time,
        dirty,
    })
}
