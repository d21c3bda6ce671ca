//! Reading a git range with gitoxide: the commits in `A..B` with git's semantics (reachable from `B`, not
//! from `A`), their messages, committers and signatures (the `gpgsig` header and the exact bytes it
//! signs), the paths changed between the merge base of `A` and `B` and `B` (what a pull request from `B`
//! into `A` shows), and the `vX.Y.Z` tags reachable from a commit. It never runs git.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use gix::Repository;

use crate::version::Version;

/// The most commits a range may hold.
pub const MAX_COMMITS: usize = 100_000;
/// The most changed paths read.
pub const MAX_CHANGED_PATHS: usize = 1_000_000;

/// A person and a time from a commit header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The email, without angle brackets.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
}

/// A commit's signature header and the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The armoured signature (the `gpgsig` header's value, unfolded).
    pub armored: Vec<u8>,
    /// The commit object without that header: what was signed.
    pub payload: Vec<u8>,
}

/// One commit of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full object id in hex.
    pub id: String,
    /// The parents' ids in hex.
    pub parents: Vec<String>,
    /// The message (invalid UTF-8 replaced).
    pub message: String,
    /// The author.
    pub author: Person,
    /// The committer.
    pub committer: Person,
    /// The signature, if any.
    pub signature: Option<Signed>,
}

impl Commit {
    /// The first 12 hex digits of the id.
    #[must_use]
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    /// The message's first line.
    #[must_use]
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }

    /// Whether this is a merge commit.
    #[must_use]
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }
}

/// A range read from a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRead {
    /// The range as given.
    pub spec: String,
    /// `A`, resolved, in hex.
    pub base: String,
    /// `B`, resolved, in hex.
    pub head: String,
    /// The merge base of `A` and `B`, when they share history.
    pub merge_base: Option<String>,
    /// The commits in `A..B`, newest first (gitoxide's breadth-first walk from `B`).
    pub commits: Vec<Commit>,
    /// The paths that differ between the merge base and `B` (sorted; both sides of a rename).
    pub changed_paths: Vec<String>,
}

/// Reading the repository failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The directory is not in a repository.
    #[error("{} is not inside a git repository: {reason}", dir.display())]
    NotARepository {
        /// The directory.
        dir: PathBuf,
        /// What gitoxide said.
        reason: String,
    },
    /// The range is not `A..B`.
    #[error("the range `{range}` is not of the form A..B (two revisions separated by two dots)")]
    NotARange {
        /// The range as given.
        range: String,
    },
    /// A revision does not resolve.
    #[error("the revision `{spec}` does not resolve to a commit: {reason}")]
    Revision {
        /// The revision.
        spec: String,
        /// What gitoxide said.
        reason: String,
    },
    /// The range holds more than [`MAX_COMMITS`] commits.
    #[error("the range {range} holds more than {max} commits")]
    TooManyCommits {
        /// The range.
        range: String,
        /// The limit.
        max: usize,
    },
    /// Reading an object failed.
    #[error("cannot read {what}: {reason}")]
    Read {
        /// What was being read.
        what: String,
        /// What gitoxide said.
        reason: String,
    },
}

fn read_err(what: impl Into<String>) -> impl FnOnce(gix::Error) -> GitError {
    let what = what.into();
    move |e| GitError::Read {
        what,
        reason: e.to_string(),
    }
}

/// Opens the repository containing `dir`.
pub fn open(dir: &Path) -> Result<gix::Repository, GitError> {
    gix::discover(dir).map_err(|e| GitError::NotARepository {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Resolves a single revision to a commit id.
pub fn resolve(repo: &gix::Repository, spec: &str) -> Result<gix::ObjectId, GitError> {
    let err = |reason: String| GitError::Revision {
        spec: spec.to_owned(),
        reason,
    };
    let id = repo.rev_parse_single(spec).map_err(|e| err(e.to_string()))?;
    let object = id.object().map_err(|e| err(e.to_string()))?;
    let commit = object.peel_to_commit().map_err(|e| err(e.to_string()))?;
    Ok(commit.id)
}

/// Reads the commits of `range` (`A..B`; an empty side means `HEAD`, as in git) and the paths changed.
pub fn read_range(repo: &gix::Repository, range: &str) -> Result<RangeRead, GitError> {
    let Some((a, b)) = range.split_once("..") else {
        return Err(GitError::NotARange { range: range.into() });
    };
    if b.starts_with('.') || a.is_empty() && b.is_empty() {
        return Err(GitError::NotARange { range: range.into() });
    }
    let a = if a.is_empty() { "HEAD" } else { a };
    let b = if b.is_empty() { "HEAD" } else { b };
    let base = resolve(repo, a)?;
    let head = resolve(repo, b)?;
    let walk = repo
        .rev_walk([head])
        .with_hidden([base])
        .all()
        .map_err(read_err(format!("the commits of {range}")))?;
    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(|e| GitError::Read {
            what: format!("the commits of {range}"),
            reason: e.to_string(),
        })?;
        if commits.len() >= MAX_COMMITS {
            return Err(GitError::TooManyCommits {
                range: range.into(),
                max: MAX_COMMITS,
            });
        }
        commits.push(read_commit(repo, info.id)?);
    }
    let merge_base = repo
        .merge_base(base, head)
        .map_err(read_err(format!("the merge base of {range}")))?
        .map(gix::Id::detach);
    let changed_paths = changed_paths(repo, merge_base, head)?;
    Ok(RangeRead {
        spec: range.to_owned(),
        base: base.to_string(),
        head: head.to_string(),
        merge_base: merge_base.map(|m| m.to_string()),
        commits,
        changed_paths,
    })
}

fn person(sig: gix::actor::SignatureRef<'_>, what: &str) -> Result<Person, GitError> {
    // A commit time that does not parse is an error: validity windows are checked against it.
    let time = sig.time().map_err(|e| GitError::Read {
        what: format!("the time of {what}"),
        reason: e.to_string(),
    })?;
    Ok(Person {
        name: sig.name.to_string(),
        email: sig.email.to_string(),
        time: time.seconds,
    })
}

/// Reads one commit.
pub fn read_commit(repo: &gix::Repository, id: gix::ObjectId) -> Result<Commit, GitError> {
    let what = || format!("commit {id}");
    let commit = repo.find_commit(id).map_err(|e| GitError::Read {
        what: what(),
        reason: e.to_string(),
    })?;
    let decoded = commit.decode().map_err(|e| GitError::Read {
        what: what(),
        reason: e.to_string(),
    })?;
    let author = person(decoded.author().map_err(read_err(what()))?, &what())?;
    let committer = person(decoded.committer().map_err(read_err(what()))?, &what())?;
    let message = String::from_utf8_lossy(decoded.message).into_owned();
    let parents = decoded.parents().map(|p| p.to_string()).collect();
    let signature = commit
        .signature()
        .map_err(read_err(what()))?
        .map(|(armored, signed)| Signed {
            armored: armored.to_vec(),
            payload: signed.to_bstring().to_vec(),
        });
    Ok(Commit {
        id: id.to_string(),
        parents,
        message,
        author,
        committer,
        signature,
    })
}

fn changed_paths(
    repo: &gix::Repository,
    base: Option<gix::ObjectId>,
    head: gix::ObjectId,
) -> Result<Vec<String>, GitError> {
    let tree_of = |id: gix::ObjectId| -> Result<gix::Tree<'_>, GitError> {
        let commit = repo.find_commit(id).map_err(|e| GitError::Read {
            what: format!("commit {id}"),
            reason: e.to_string(),
        })?;
        commit.tree().map_err(|e| GitError::Read {
            what: format!("the tree of {id}"),
            reason: e.to_string(),
        })
    };
    let new_tree = tree_of(head)?;
    let old_tree = match base {
        Some(b) => Some(tree_of(b)?),
        None => None,
    };
    let options = gix::diff::Options::default().with_rewrites(None);
    let changes = repo
        .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(options))
        .map_err(read_err("the changed paths"))?;
    let mut paths = BTreeSet::new();
    for change in changes {
        if change.entry_mode().is_tree() {
            continue;
        }
        paths.insert(change.location().to_string());
        if paths.len() > MAX_CHANGED_PATHS {
            return Err(GitError::Read {
                what: "the changed paths".into(),
                reason: format!("more than {MAX_CHANGED_PATHS} paths changed"),
            });
        }
    }
    Ok(paths.into_iter().collect())
}

/// A `vX.Y.Z` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTag {
    /// The tag's name without `refs/tags/`.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// The commit it points to, in hex.
    pub commit: String,
}

/// The highest `vX.Y.Z` tag (no pre-release or build suffix) whose commit is reachable from `head`
/// (`head` included), as semantic-release takes the last release.
pub fn last_version_tag(repo: &gix::Repository, head: gix::ObjectId) -> Result<Option<VersionTag>, GitError> {
    let mut candidates: Vec<(Version, String, gix::ObjectId)> = Vec::new();
    let refs = repo.references().map_err(|e| GitError::Read {
        what: "the references".into(),
        reason: e.to_string(),
    })?;
    let tags = refs.tags().map_err(|e| GitError::Read {
        what: "the tags".into(),
        reason: e.to_string(),
    })?;
    for reference in tags {
        let Ok(mut reference) = reference else { continue };
        let name = reference.name().shorten().to_string();
        let Some(version) = name.strip_prefix('v').and_then(Version::parse_release) else {
            continue;
        };
        let Ok(id) = reference.peel_to_commit() else {
            continue;
        };
        candidates.push((version, name, id.id));
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    let mut reachable = BTreeSet::new();
    let walk = repo.rev_walk([head]).all().map_err(read_err("the history"))?;
    for info in walk {
        let info = info.map_err(|e| GitError::Read {
            what: "the history".into(),
            reason: e.to_string(),
        })?;
        reachable.insert(info.id);
    }
    Ok(candidates
        .into_iter()
        .find(|(_, _, id)| reachable.contains(id))
        .map(|(version, name, id)| VersionTag {
            name,
            version,
            commit: id.to_string(),
        }))
}

/// The `origin` remote's URL as an `https://` web address (`git@host:org/repo.git` and
/// `ssh://git@host/org/repo.git` rewritten, credentials and `.git` removed), when there is one.
#[must_use]
pub fn origin_web_url(repo: &gix::Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url(gix::remote::Direction::Fetch)?;
    let host = url.host()?;
    let path = url.path.to_string();
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if path.is_empty() {
        return None;
    }
    Some(format!("https://{host}/{path}"))
}

/// Where GitHub looks for CODEOWNERS, in its order: the first that exists is used.
pub const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// The largest file read from a tree.
pub const MAX_TREE_FILE_BYTES: usize = 4 << 20;

/// The CODEOWNERS file of commit `id` (its path and bytes), looked for where GitHub looks.
pub fn codeowners_at(repo: &gix::Repository, id: &str) -> Result<Option<(String, Vec<u8>)>, GitError> {
    let oid = gix::ObjectId::from_hex(id.as_bytes()).map_err(|e| GitError::Revision {
        spec: id.to_owned(),
        reason: e.to_string(),
    })?;
    let read = |what: String| {
        move |e: &dyn std::fmt::Display| GitError::Read {
            what,
            reason: e.to_string(),
        }
    };
    let commit = repo
        .find_commit(oid)
        .map_err(|e| read(format!("commit {id}"))(&e))?;
    let tree = commit.tree().map_err(|e| read(format!("the tree of {id}"))(&e))?;
    for path in CODEOWNERS_PATHS {
        let entry = tree
            .lookup_entry_by_path(path)
            .map_err(|e| read(format!("{path} in {id}"))(&e))?;
        let Some(entry) = entry else { continue };
        if !entry.mode().is_blob() {
            continue;
        }
        let object = entry.object().map_err(|e| read(format!("{path} in {id}"))(&e))?;
        if object.data.len() > MAX_TREE_FILE_BYTES {
            return Err(GitError::Read {
                what: format!("{path} in {id}"),
                reason: format!("larger than {MAX_TREE_FILE_BYTES} bytes"),
            });
        }
        return Ok(Some((path.to_owned(), object.data.clone())));
    }
    Ok(None)
}
