//! GitHub's CODEOWNERS file, as data: who owns a path.
//!
//! The rules are GitHub's ("About code owners"): one rule per line, a pattern followed by owners
//! (`@user`, `@org/team` or an email address); `#` starts a comment, at the start of a line or after the
//! pattern; the last rule whose pattern matches a path wins, and a matching rule without owners leaves the
//! path without owners. Patterns follow gitignore's syntax except for what GitHub documents as not
//! working there, which this reader refuses with the line rather than guessing: `!` negation, `[ ]`
//! character ranges and a `\#` escape. In detail:
//! - a pattern with a `/` at its start or in its middle is anchored at the repository root; otherwise it
//!   matches at any depth (`*.js`, `apps/`);
//! - `*` matches within one path segment, `?` one character, `**` any number of segments;
//! - a trailing `/` matches a directory and everything below it; a pattern whose last segment has no
//!   wildcard also matches everything below a directory of that name (`/apps/github`, `**/logs`); one whose
//!   last segment has a wildcard matches only at its own depth (`docs/*` matches `docs/a.md`, not
//!   `docs/build/b.md`, as GitHub documents).

use crate::allowed_signers::wildcard_match;

/// The largest CODEOWNERS file read (GitHub ignores files over 3 MB).
pub const MAX_FILE_BYTES: usize = 3 << 20;

/// An owner as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(untagged)]
pub enum Owner {
    /// `@login`.
    User(String),
    /// `@org/team`, kept as `org/team`.
    Team(String),
    /// An email address.
    Email(String),
}

impl Owner {
    /// The owner as written (`@login`, `@org/team`, `a@example.com`).
    #[must_use]
    pub fn spelling(&self) -> String {
        match self {
            Owner::User(login) => format!("@{login}"),
            Owner::Team(team) => format!("@{team}"),
            Owner::Email(email) => email.clone(),
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The 1-based line.
    pub line: usize,
    /// The pattern as written.
    pub pattern: String,
    /// The owners (empty: the rule removes ownership).
    pub owners: Vec<Owner>,
    segments: Vec<String>,
    dir_only: bool,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
}

/// Why a CODEOWNERS file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("the CODEOWNERS file has {len} bytes, more than the {max} GitHub reads")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A gitignore feature GitHub does not support in CODEOWNERS.
    #[error("line {line}: the pattern `{pattern}` uses {feature}, which CODEOWNERS does not support")]
    Unsupported {
        /// The line.
        line: usize,
        /// The pattern.
        pattern: String,
        /// What it uses.
        feature: &'static str,
    },
    /// An owner that is neither `@user`, `@org/team` nor an email address.
    #[error("line {line}: `{owner}` is not an owner (write @user, @org/team or an email address)")]
    BadOwner {
        /// The line.
        line: usize,
        /// The token.
        owner: String,
    },
}

/// Who owns a path, and by which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership<'a> {
    /// The rule that matched last.
    pub rule: &'a Rule,
}

impl CodeOwners {
    /// Parses a CODEOWNERS file.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ParseError::TooLarge {
                len: text.len(),
                max: MAX_FILE_BYTES,
            });
        }
        let mut rules = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut tokens = trimmed.split_whitespace();
            let Some(pattern) = tokens.next() else { continue };
            let unsupported = |feature| ParseError::Unsupported {
                line,
                pattern: pattern.to_owned(),
                feature,
            };
            if pattern.starts_with('!') {
                return Err(unsupported("`!` negation"));
            }
            if pattern.contains(['[', ']']) {
                return Err(unsupported("a `[ ]` character range"));
            }
            if pattern.starts_with("\\#") {
                return Err(unsupported("a `\\#` escape"));
            }
            let mut owners = Vec::new();
            for token in tokens {
                if token.starts_with('#') {
                    break;
                }
                owners.push(parse_owner(token).ok_or_else(|| ParseError::BadOwner {
                    line,
                    owner: token.to_owned(),
                })?);
            }
            let (segments, dir_only) = compile(pattern);
            rules.push(Rule {
                line,
                pattern: pattern.to_owned(),
                owners,
                segments,
                dir_only,
            });
        }
        Ok(Self { rules })
    }

    /// The rules, in file order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The last rule matching `path` (a repository-relative path with `/` separators), if any.
    #[must_use]
    pub fn owners_of(&self, path: &str) -> Option<Ownership<'_>> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.rules
            .iter()
            .rev()
            .find(|rule| rule.matches(&segments))
            .map(|rule| Ownership { rule })
    }
}

fn parse_owner(token: &str) -> Option<Owner> {
    let valid_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(name) = token.strip_prefix('@') {
        return match name.split_once('/') {
            Some((org, team)) if valid_name(org) && valid_name(team) => Some(Owner::Team(name.to_owned())),
            None if valid_name(name) => Some(Owner::User(name.to_owned())),
            _ => None,
        };
    }
    let (local, domain) = token.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains('@')
        && !token.contains(['<', '>', ',']);
    ok.then(|| Owner::Email(token.to_owned()))
}

/// Turns a pattern into segments (unanchored ones prefixed with `**`) and whether it names a directory.
fn compile(pattern: &str) -> (Vec<String>, bool) {
    let dir_only = pattern.ends_with('/') && pattern.len() > 1;
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.contains('/');
    let body = body.trim_start_matches('/');
    let mut segments: Vec<String> = Vec::new();
    if !anchored {
        segments.push("**".to_owned());
    }
    for segment in body.split('/').filter(|s| !s.is_empty()) {
        // Consecutive `**` are one.
        if segment == "**" && segments.last().is_some_and(|s| s == "**") {
            continue;
        }
        segments.push(segment.to_owned());
    }
    if segments.is_empty() {
        // `/` alone: the whole repository.
        segments.push("**".to_owned());
    }
    (segments, dir_only)
}

impl Rule {
    fn matches(&self, path: &[&str]) -> bool {
        let last_has_wildcard = self
            .segments
            .last()
            .is_some_and(|s| s != "**" && s.contains(['*', '?']));
        let extends = self.dir_only || !last_has_wildcard;
        let reach = prefix_matches(&self.segments, path);
        // reach[k]: the pattern matches the first k segments of the path.
        if !self.dir_only && reach.get(path.len()).copied().unwrap_or(false) {
            return true;
        }
        extends && (1..path.len()).any(|k| reach.get(k).copied().unwrap_or(false))
    }
}

/// For each `k` in `0..=path.len()`, whether `pattern` matches `path[..k]` exactly (`**` matching zero or more
/// segments). Dynamic programming over (pattern, path) prefixes: O(pattern × path), no recursion.
fn prefix_matches(pattern: &[String], path: &[&str]) -> Vec<bool> {
    let n = path.len();
    // row[j]: pattern[..i] matches path[..j].
    let mut row = vec![false; n + 1];
    if let Some(first) = row.first_mut() {
        *first = true;
    }
    for segment in pattern {
        let mut next = vec![false; n + 1];
        if segment == "**" {
            let mut any = false;
            for j in 0..=n {
                any = any || row.get(j).copied().unwrap_or(false);
                if let Some(cell) = next.get_mut(j) {
                    *cell = any;
                }
            }
        } else {
            for j in 1..=n {
                let prev = row.get(j - 1).copied().unwrap_or(false);
                let here = path.get(j - 1).is_some_and(|p| wildcard_match(p, segment));
                if let Some(cell) = next.get_mut(j) {
                    *cell = prev && here;
                }
            }
        }
        row = next;
    }
    row
}
