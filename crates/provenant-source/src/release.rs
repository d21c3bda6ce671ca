//! The release a range calls for: the last `vX.Y.Z` tag reachable from the range's head, each commit's
//! bump ([`crate::version::bump_for`]) and the next version ([`crate::version::next`]).

use crate::conventional;
use crate::git::{self, GitError, RangeRead, Repository};
use crate::version::{self, Bump, Version};

/// One commit's part in the release.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitBump {
    /// The commit id.
    pub id: String,
    /// Its type, lowercase; `None` when the message is not a Conventional Commits message.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Whether it marks a breaking change.
    pub breaking: bool,
    /// The release it calls for.
    pub bump: Bump,
}

/// The release plan of a range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The range.
    pub range: String,
    /// The last release tag reachable from the head.
    #[serde(rename = "lastTag")]
    pub last_tag: Option<String>,
    /// Its version.
    #[serde(rename = "lastVersion")]
    pub last_version: Option<String>,
    /// The highest bump.
    pub bump: Bump,
    /// The next version, `None` when nothing calls for a release.
    pub next: Option<String>,
    /// Each commit (merge commits left out), in the range's order.
    pub commits: Vec<CommitBump>,
}

/// Plans the release of `range`.
pub fn plan(repo: &Repository, range: &RangeRead) -> Result<Plan, GitError> {
    let head = gix::ObjectId::from_hex(range.head.as_bytes()).map_err(|e| GitError::Revision {
        spec: range.head.clone(),
        reason: e.to_string(),
    })?;
    let last = git::last_version_tag(repo, head)?;
    let commits: Vec<CommitBump> = range
        .commits
        .iter()
        .filter(|c| !c.is_merge())
        .map(|c| match conventional::parse(&c.message) {
            Ok(m) => CommitBump {
                id: c.id.clone(),
                kind: Some(m.kind_lowercase()),
                breaking: m.is_breaking(),
                bump: version::bump_for(&m),
            },
            Err(_) => CommitBump {
                id: c.id.clone(),
                kind: None,
                breaking: false,
                bump: Bump::None,
            },
        })
        .collect();
    let bump = commits.iter().map(|c| c.bump).max().unwrap_or(Bump::None);
    let last_version: Option<Version> = last.as_ref().map(|t| t.version);
    let next = version::next(last_version, commits.iter().map(|c| c.bump));
    Ok(Plan {
        range: range.spec.clone(),
        last_tag: last.as_ref().map(|t| t.name.clone()),
        last_version: last_version.map(|v| v.to_string()),
        bump,
        next: next.map(|v| v.to_string()),
        commits,
    })
}
