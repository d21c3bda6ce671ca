//! The next semantic version from the last release and the Conventional Commits since, with
//! semantic-release's default rules (`@semantic-release/commit-analyzer`): a breaking change (`!` or a
//! `BREAKING CHANGE` footer) is a major release, `feat` a minor one, `fix` and `perf` a patch; the highest
//! wins; other types release nothing. semantic-release applies no special rule below 1.0.0 (a breaking
//! change on 0.3.1 gives 1.0.0, as `semver.inc` does), and its first release is 1.0.0; both are kept here.

use std::fmt;

use crate::conventional::Message;

/// The version of a first release (semantic-release's `FIRST_RELEASE`).
pub const FIRST_RELEASE: Version = Version {
    major: 1,
    minor: 0,
    patch: 0,
};

/// A release version `MAJOR.MINOR.PATCH` (no pre-release or build part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl Version {
    /// Parses `X.Y.Z` as semantic versioning 2.0 writes a release: three decimal numbers without leading zeros.
    #[must_use]
    pub fn parse_release(s: &str) -> Option<Self> {
        let mut parts = s.split('.');
        let mut number = || -> Option<u64> {
            let p = parts.next()?;
            if p.is_empty() || (p.len() > 1 && p.starts_with('0')) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Self { major, minor, patch })
    }

    /// The version after a release of kind `bump`; `None` for [`Bump::None`] or on overflow.
    #[must_use]
    pub fn bumped(self, bump: Bump) -> Option<Self> {
        match bump {
            Bump::None => None,
            Bump::Patch => Some(Self {
                patch: self.patch.checked_add(1)?,
                ..self
            }),
            Bump::Minor => Some(Self {
                minor: self.minor.checked_add(1)?,
                patch: 0,
                ..self
            }),
            Bump::Major => Some(Self {
                major: self.major.checked_add(1)?,
                minor: 0,
                patch: 0,
            }),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The kind of release a commit calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// No release.
    None,
    /// A patch release.
    Patch,
    /// A minor release.
    Minor,
    /// A major release.
    Major,
}

impl Bump {
    /// The bump's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// The release a message calls for.
#[must_use]
pub fn bump_for(message: &Message) -> Bump {
    if message.is_breaking() {
        Bump::Major
    } else if message.is_type("feat") {
        Bump::Minor
    } else if message.is_type("fix") || message.is_type("perf") {
        Bump::Patch
    } else {
        Bump::None
    }
}

/// The next version: `last` bumped by the highest of `bumps`, or [`FIRST_RELEASE`] when there is no
/// last release and something calls for one; `None` when nothing does.
#[must_use]
pub fn next(last: Option<Version>, bumps: impl IntoIterator<Item = Bump>) -> Option<Version> {
    let bump = bumps.into_iter().max().unwrap_or(Bump::None);
    match last {
        _ if bump == Bump::None => None,
        None => Some(FIRST_RELEASE),
        Some(v) => v.bumped(bump),
    }
}
