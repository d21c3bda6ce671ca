//! The git work tree a build runs in, read with gitoxide.

use std::path::{Path, PathBuf};

/// What the work tree says about the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkTree {
    /// The work tree's top directory.
    pub root: PathBuf,
    /// The commit checked out (HEAD), in hex.
    pub commit: String,
    /// HEAD's symbolic ref (`refs/heads/main`), `None` when detached.
    pub head_ref: Option<String>,
    /// Tracked files differ from HEAD (in the index or the work tree). Untracked files do not count:
    /// builds write their outputs into the tree.
    pub dirty: bool,
    /// The `origin` remote as an `https://` URL without credentials, when there is one.
    pub origin: Option<String>,
}

/// Reading the work tree failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The directory is not inside a git work tree.
    #[error("{} is not inside a git work tree: {reason}", dir.display())]
    NotARepository {
        /// The directory searched from.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
    /// The repository has no commit checked out, or reading it failed.
    #[error("cannot read HEAD of {}: {reason}", dir.display())]
    Head {
        /// The repository.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
    /// Comparing the work tree with HEAD failed.
    #[error("cannot compute the status of {}: {reason}", dir.display())]
    Status {
        /// The repository.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
}

/// Reads HEAD, its ref, the dirty flag and the origin remote of the work tree containing `dir`.
pub fn inspect(dir: &Path) -> Result<WorkTree, GitError> {
    let repo = gix::discover(dir).map_err(|e| GitError::NotARepository {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| GitError::NotARepository {
            dir: dir.to_path_buf(),
            reason: "bare repository".into(),
        })?;
    let head = |e: &dyn std::fmt::Display| GitError::Head {
        dir: root.clone(),
        reason: e.to_string(),
    };
    let commit = repo.head_commit().map_err(|e| head(&e))?.id().to_string();
    let head_ref = repo
        .head_name()
        .map_err(|e| head(&e))?
        .map(|n| n.as_bstr().to_string());
    let dirty = repo.is_dirty().map_err(|e| GitError::Status {
        dir: root.clone(),
        reason: e.to_string(),
    })?;
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| {
            r.url(gix::remote::Direction::Fetch)
                .map(|u| u.to_bstring().to_string())
        })
        .and_then(|u| normalise_remote(&u));
    Ok(WorkTree {
        root,
        commit,
        head_ref,
        dirty,
        origin,
    })
}

/// Turns a git remote URL into the `https://host/path` form provenance records, without credentials
/// or `.git`: `git@github.com:org/repo.git` and `https://user:token@github.com/org/repo.git` both give
/// `https://github.com/org/repo`. Local paths give `None`.
#[must_use]
pub fn normalise_remote(url: &str) -> Option<String> {
    let url = url.trim();
    let (host, path) = if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        let scheme = url.split_once("://").map(|(s, _)| s)?;
        if scheme == "file" {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        // An ssh port is not an https port.
        let host = if scheme.contains("ssh") || scheme == "git" {
            host.split(':').next()?
        } else {
            host
        };
        (host.to_owned(), path.to_owned())
    } else if let Some((userhost, path)) = url.split_once(':') {
        // scp-like `user@host:path`.
        if userhost.contains('/') || path.starts_with('/') && !userhost.contains('@') {
            return None;
        }
        let host = userhost.rsplit_once('@').map_or(userhost, |(_, h)| h);
        (host.to_owned(), path.to_owned())
    } else {
        return None;
    };
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("https://{host}/{path}"))
}

/// Where a commit stands in a local clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// The commit is the branch tip or one of its ancestors.
    OnBranch,
    /// The commit exists in the clone but the branch does not contain it.
    NotOnBranch,
    /// The clone has no such commit.
    Missing,
}

/// Looking a commit up in a clone failed (as opposed to the commit being absent).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The path is not a git repository.
    #[error("{} is not a git repository: {reason}", dir.display())]
    NotARepository {
        /// The path given.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
    /// The commit is not 40 hex digits.
    #[error("{commit:?} is not a full commit id (40 hex digits)")]
    BadCommit {
        /// What was given.
        commit: String,
    },
    /// The branch is neither a local branch nor one of `origin`'s.
    #[error("{} has no branch {branch:?} (neither refs/heads/{branch} nor refs/remotes/origin/{branch})", dir.display())]
    NoBranch {
        /// The repository.
        dir: PathBuf,
        /// The branch.
        branch: String,
    },
    /// Walking the history failed.
    #[error("cannot walk the history of {}: {reason}", dir.display())]
    Walk {
        /// The repository.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
}

/// Whether `commit` (40 hex digits) is in the clone at `dir` and reachable from `branch`
/// (`refs/heads/BRANCH`, else `refs/remotes/origin/BRANCH`), or from HEAD when no branch is named.
pub fn reachability(dir: &Path, commit: &str, branch: Option<&str>) -> Result<Reachability, LookupError> {
    let repo = gix::open(dir)
        .or_else(|_| gix::discover(dir))
        .map_err(|e| LookupError::NotARepository {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
    let bad = || LookupError::BadCommit {
        commit: commit.to_owned(),
    };
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let id = gix::ObjectId::from_hex(commit.to_ascii_lowercase().as_bytes()).map_err(|_| bad())?;
    if repo.find_commit(id).is_err() {
        return Ok(Reachability::Missing);
    }
    let walk_err = |e: &dyn std::fmt::Display| LookupError::Walk {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let tip = match branch {
        Some(b) => {
            let reference = repo
                .try_find_reference(format!("refs/heads/{b}").as_str())
                .map_err(|e| walk_err(&e))?;
            let reference = match reference {
                Some(r) => Some(r),
                None => repo
                    .try_find_reference(format!("refs/remotes/origin/{b}").as_str())
                    .map_err(|e| walk_err(&e))?,
            };
            let Some(mut reference) = reference else {
                return Err(LookupError::NoBranch {
                    dir: dir.to_path_buf(),
                    branch: b.to_owned(),
                });
            };
            reference.peel_to_commit().map_err(|e| walk_err(&e))?.id
        }
        None => repo.head_commit().map_err(|e| walk_err(&e))?.id,
    };
    let walk = repo.rev_walk([tip]).all().map_err(|e| walk_err(&e))?;
    for info in walk {
        if info.map_err(|e| walk_err(&e))?.id == id {
            return Ok(Reachability::OnBranch);
        }
    }
    Ok(Reachability::NotOnBranch)
}
