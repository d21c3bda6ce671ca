//! A pull request's reviews in the shape of GitHub's REST API (`GET /repos/{owner}/{repo}/pulls/{n}/reviews`,
//! a JSON array of review objects), as data, and who approved.
//!
//! Each user's state is their latest review that is not `COMMENTED` or `PENDING` (a comment after an
//! approval does not withdraw it on GitHub; a dismissal or a request for changes does). A user approves
//! when that state is `APPROVED` and the review was made on the head commit being checked: an approval of
//! an earlier commit does not approve what came after it. The pull request's author never approves their
//! own change. Logins compare without regard to case, as on GitHub.
//!
//! Teams and email owners are resolved through a mapping the caller gives ([`Members`]); GitHub's API
//! would need a token with organisation access, so nothing here calls it. An owner the mapping does not
//! name can approve nothing, and is reported as unresolved.

use std::collections::{BTreeMap, BTreeSet};

use crate::codeowners::Owner;

/// The largest reviews file read.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// One review, as GitHub returns it (fields Provenant reads; the others are ignored).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Review {
    /// The review id.
    pub id: u64,
    /// The reviewer; `null` for a deleted account.
    pub user: Option<User>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// The commit reviewed.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// When it was submitted (RFC 3339); absent for a pending review.
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// A GitHub user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct User {
    /// The login.
    pub login: String,
}

/// Why a reviews or members file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Larger than the limit.
    #[error("the file has {len} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not the expected JSON.
    #[error("{what} is not valid: {reason} (line {line}, column {column})")]
    Json {
        /// What was being read.
        what: &'static str,
        /// serde's reason.
        reason: String,
        /// The line.
        line: usize,
        /// The column.
        column: usize,
    },
    /// A review state GitHub does not use.
    #[error("review {id} has the unknown state {state}")]
    UnknownState {
        /// The review.
        id: u64,
        /// Its state.
        state: String,
    },
}

fn json_error(what: &'static str, e: &serde_json::Error) -> ParseError {
    ParseError::Json {
        what,
        reason: e.to_string(),
        line: e.line(),
        column: e.column(),
    }
}

/// Parses GitHub's reviews array.
pub fn parse_reviews(bytes: &[u8]) -> Result<Vec<Review>, ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::TooLarge {
            len: bytes.len(),
            max: MAX_FILE_BYTES,
        });
    }
    let reviews: Vec<Review> =
        serde_json::from_slice(bytes).map_err(|e| json_error("the reviews file", &e))?;
    for review in &reviews {
        if !matches!(
            review.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING"
        ) {
            return Err(ParseError::UnknownState {
                id: review.id,
                state: review.state.clone(),
            });
        }
    }
    Ok(reviews)
}

/// Who approved, and why the others did not count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    /// Logins (lowercase) whose latest state approves the head commit.
    pub approved: BTreeSet<String>,
    /// Logins (lowercase) whose latest state is an approval of another commit.
    pub stale: BTreeSet<String>,
    /// Whether the author approved their own change (never counted).
    pub author_approved: bool,
}

/// Reduces reviews to approvals of `head` (full hex id) by anyone but `author`.
#[must_use]
pub fn approvals(reviews: &[Review], author: &str, head: &str) -> Approvals {
    let mut ordered: Vec<&Review> = reviews.iter().collect();
    // GitHub lists reviews in submission order; sort explicitly (time, then id) so the input order does not matter.
    ordered.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at).then(a.id.cmp(&b.id)));
    let mut latest: BTreeMap<String, &Review> = BTreeMap::new();
    for review in ordered {
        let Some(user) = &review.user else { continue };
        if matches!(review.state.as_str(), "COMMENTED" | "PENDING") {
            continue;
        }
        latest.insert(user.login.to_ascii_lowercase(), review);
    }
    let author = author.to_ascii_lowercase();
    let mut out = Approvals::default();
    for (login, review) in latest {
        if review.state != "APPROVED" {
            continue;
        }
        if login == author {
            out.author_approved = true;
        } else if review
            .commit_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(head))
        {
            out.approved.insert(login);
        } else {
            out.stale.insert(login);
        }
    }
    out
}

/// Members of teams and the logins behind email owners: a JSON object whose keys are owners as
/// CODEOWNERS writes them (`@org/team`, `a@example.com`) and whose values are arrays of logins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    map: BTreeMap<String, BTreeSet<String>>,
}

impl Members {
    /// Parses the mapping.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ParseError::TooLarge {
                len: bytes.len(),
                max: MAX_FILE_BYTES,
            });
        }
        let raw: BTreeMap<String, Vec<String>> =
            serde_json::from_slice(bytes).map_err(|e| json_error("the teams file", &e))?;
        let map = raw
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.into_iter()
                        .map(|l| l.trim_start_matches('@').to_ascii_lowercase())
                        .collect(),
                )
            })
            .collect();
        Ok(Self { map })
    }

    /// The logins (lowercase) that act for `owner`, or `None` when a team or email owner is not mapped.
    #[must_use]
    pub fn logins(&self, owner: &Owner) -> Option<BTreeSet<String>> {
        match owner {
            Owner::User(login) => Some(BTreeSet::from([login.to_ascii_lowercase()])),
            Owner::Team(_) | Owner::Email(_) => self.map.get(&owner.spelling().to_ascii_lowercase()).cloned(),
        }
    }
}
