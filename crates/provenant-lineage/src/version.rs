//! Package URL queries with version ranges: `pkg:npm/lodash@<4.17.21`.
//!
//! A query is a package URL whose version may be an exact version, absent (every version), or one or
//! more comparisons joined by `,` (`>=1.2.0,<1.3.0`), all of which must hold. Comparisons need an
//! ordering, which the PURL type defines:
//!
//! | type | ordering |
//! |---|---|
//! | `npm`, `cargo` | Semantic Versioning 2.0.0 |
//! | `golang` | Semantic Versioning 2.0.0 after the leading `v` |
//! | `pypi` | PEP 440 (epoch, release, pre-, post- and development releases; local versions ignored) |
//!
//! A range on any other type is refused ([`PurlQueryError::NoOrdering`]); exact versions work for all.

use std::cmp::Ordering;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=` (or a bare version)
    Eq,
}

/// The version part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionSpec {
    /// Any version.
    Any,
    /// Exactly this version (compared as text, as the SBOM writes it).
    Exact(String),
    /// Every comparison must hold.
    Range(Vec<(Op, String)>),
}

/// A parsed `--purl` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlQuery {
    /// The package URL without version, qualifiers or subpath (`pkg:npm/lodash`).
    pub package: String,
    /// The PURL type (`npm`).
    pub purl_type: String,
    /// The version part.
    pub version: VersionSpec,
}

/// Why a `--purl` query cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlQueryError {
    /// Not `pkg:TYPE/NAME…`.
    #[error("{query} is not a package URL (pkg:TYPE/[NAMESPACE/]NAME[@VERSION])")]
    NotPurl {
        /// The query.
        query: String,
    },
    /// A range on a type without a defined ordering.
    #[error(
        "the PURL type {purl_type} defines no version ordering Provenant knows: give an exact version (ranges work for npm, cargo, golang and pypi)"
    )]
    NoOrdering {
        /// The type.
        purl_type: String,
    },
    /// A range bound that is not a version of the type.
    #[error("{version} is not a {scheme} version")]
    BadVersion {
        /// The bound.
        version: String,
        /// The ordering scheme.
        scheme: &'static str,
    },
}

/// The ordering a PURL type defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Semver,
    GoSemver,
    Pep440,
}

impl Scheme {
    fn of(purl_type: &str) -> Option<Scheme> {
        match purl_type {
            "npm" | "cargo" => Some(Scheme::Semver),
            "golang" => Some(Scheme::GoSemver),
            "pypi" => Some(Scheme::Pep440),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Semver | Scheme::GoSemver => "semantic",
            Scheme::Pep440 => "PEP 440",
        }
    }

    fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Semver => Some(
                semver::Version::parse(a)
                    .ok()?
                    .cmp(&semver::Version::parse(b).ok()?),
            ),
            Scheme::GoSemver => {
                let strip = |v: &str| v.strip_prefix('v').unwrap_or(v).to_owned();
                Some(
                    semver::Version::parse(&strip(a))
                        .ok()?
                        .cmp(&semver::Version::parse(&strip(b)).ok()?),
                )
            }
            Scheme::Pep440 => Some(Pep440::parse(a)?.cmp(&Pep440::parse(b)?)),
        }
    }
}

/// Splits a package URL at its version: (package without version, version), qualifiers and subpath
/// dropped. The version's `@` is the first after the last `/` of the name.
#[must_use]
pub fn split_purl(purl: &str) -> (&str, Option<&str>) {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let purl = purl.get(..end).unwrap_or(purl);
    let name_start = purl.rfind('/').map_or(0, |i| i + 1);
    match purl.get(name_start..).and_then(|n| n.find('@')) {
        Some(at) => {
            let at = name_start + at;
            (purl.get(..at).unwrap_or(purl), purl.get(at + 1..))
        }
        None => (purl, None),
    }
}

impl PurlQuery {
    /// Parses a query.
    pub fn parse(query: &str) -> Result<PurlQuery, PurlQueryError> {
        let not = || PurlQueryError::NotPurl {
            query: query.to_owned(),
        };
        let rest = query.strip_prefix("pkg:").ok_or_else(not)?;
        let (purl_type, name) = rest.split_once('/').ok_or_else(not)?;
        if purl_type.is_empty() || name.is_empty() {
            return Err(not());
        }
        let purl_type = purl_type.to_ascii_lowercase();
        let (package, version) = split_purl(query);
        let version = match version {
            None | Some("") => VersionSpec::Any,
            Some(v) if v.starts_with(['<', '>', '=']) => {
                let scheme = Scheme::of(&purl_type).ok_or_else(|| PurlQueryError::NoOrdering {
                    purl_type: purl_type.clone(),
                })?;
                let mut bounds = Vec::new();
                for part in v.split(',') {
                    let part = part.trim();
                    let (op, bound) = if let Some(b) = part.strip_prefix("<=") {
                        (Op::Le, b)
                    } else if let Some(b) = part.strip_prefix(">=") {
                        (Op::Ge, b)
                    } else if let Some(b) = part.strip_prefix('<') {
                        (Op::Lt, b)
                    } else if let Some(b) = part.strip_prefix('>') {
                        (Op::Gt, b)
                    } else if let Some(b) = part.strip_prefix('=') {
                        (Op::Eq, b)
                    } else {
                        (Op::Eq, part)
                    };
                    if scheme.compare(bound, bound).is_none() {
                        return Err(PurlQueryError::BadVersion {
                            version: bound.to_owned(),
                            scheme: scheme.name(),
                        });
                    }
                    bounds.push((op, bound.to_owned()));
                }
                VersionSpec::Range(bounds)
            }
            Some(v) => VersionSpec::Exact(v.to_owned()),
        };
        Ok(PurlQuery {
            package: package.to_owned(),
            purl_type,
            version,
        })
    }

    /// Whether a package URL an SBOM lists matches the query. A version the type's ordering cannot
    /// read never matches a range.
    #[must_use]
    pub fn matches(&self, purl: &str) -> bool {
        let (package, version) = split_purl(purl);
        if package != self.package {
            return false;
        }
        match (&self.version, version) {
            (VersionSpec::Any, _) => true,
            (VersionSpec::Exact(want), Some(v)) => want == v,
            (VersionSpec::Range(bounds), Some(v)) => {
                let Some(scheme) = Scheme::of(&self.purl_type) else {
                    return false;
                };
                bounds.iter().all(|(op, bound)| {
                    scheme.compare(v, bound).is_some_and(|o| match op {
                        Op::Lt => o == Ordering::Less,
                        Op::Le => o != Ordering::Greater,
                        Op::Gt => o == Ordering::Greater,
                        Op::Ge => o != Ordering::Less,
                        Op::Eq => o == Ordering::Equal,
                    })
                })
            }
            _ => false,
        }
    }
}

/// A PEP 440 version, as a sort key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pep440 {
    epoch: u64,
    /// Release segments, trailing zeros removed (1.0 == 1.0.0).
    release: Vec<u64>,
    /// Pre-release: (phase, number); a development release of a final version sorts before any
    /// pre-release (phase 0), a final version after all (phase 4).
    pre: (u8, u64),
    /// Post-release number plus one; 0 when none.
    post: u64,
    /// Development release number; `u64::MAX` when none (a dev release sorts first).
    dev: u64,
}

impl Pep440 {
    fn parse(text: &str) -> Option<Pep440> {
        let lower = text.trim().to_ascii_lowercase();
        let mut s = lower.strip_prefix('v').unwrap_or(&lower);
        // Local versions (`+local`) do not take part in comparisons with public ones.
        if let Some((public, _)) = s.split_once('+') {
            s = public;
        }
        let (epoch, s) = match s.split_once('!') {
            Some((e, rest)) => (e.parse().ok()?, rest),
            None => (0, s),
        };
        let digits_end = |t: &str| t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let mut release = Vec::new();
        let mut rest = s;
        loop {
            let n = digits_end(rest);
            if n == 0 {
                return None;
            }
            release.push(rest.get(..n)?.parse().ok()?);
            rest = rest.get(n..)?;
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let number = |t: &str| -> Option<(u64, usize)> {
            let t2 = t.trim_start_matches(['.', '-', '_']);
            let skipped = t.len() - t2.len();
            let n = digits_end(t2);
            if n == 0 {
                Some((0, skipped))
            } else {
                Some((t2.get(..n)?.parse().ok()?, skipped + n))
            }
        };
        let mut pre = None;
        let mut post = 0;
        let mut dev = u64::MAX;
        let trimmed = rest.trim_start_matches(['.', '-', '_']);
        let mut r = trimmed;
        for (word, phase) in [
            ("alpha", 1),
            ("beta", 2),
            ("preview", 3),
            ("pre", 3),
            ("rc", 3),
            ("a", 1),
            ("b", 2),
            ("c", 3),
        ] {
            if let Some(after) = r.strip_prefix(word) {
                let (n, used) = number(after)?;
                pre = Some((phase, n));
                r = after.get(used..)?;
                break;
            }
        }
        if pre.is_none() {
            r = rest;
        }
        let t = r.trim_start_matches(['.', '-', '_']);
        if let Some(after) = t
            .strip_prefix("post")
            .or_else(|| t.strip_prefix("rev"))
            .or_else(|| t.strip_prefix('r'))
        {
            let (n, used) = number(after)?;
            post = n.saturating_add(1);
            r = after.get(used..)?;
        } else if let Some(after) = r.strip_prefix('-')
            && after.starts_with(|c: char| c.is_ascii_digit())
        {
            let (n, used) = number(after)?;
            post = n.saturating_add(1);
            r = after.get(used..)?;
        }
        let t = r.trim_start_matches(['.', '-', '_']);
        if let Some(after) = t.strip_prefix("dev") {
            let (n, used) = number(after)?;
            dev = n;
            r = after.get(used..)?;
        }
        if !r.trim_start_matches(['.', '-', '_']).is_empty() {
            return None;
        }
        let pre = match pre {
            Some(p) => p,
            None if dev != u64::MAX && post == 0 => (0, 0),
            None => (4, 0),
        };
        Some(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pep440_orders_as_the_specification_lists() {
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
        ];
        let keys: Vec<Pep440> = ordered.iter().map(|v| Pep440::parse(v).unwrap()).collect();
        for pair in keys.windows(2) {
            assert!(pair[0] <= pair[1], "{pair:?}");
        }
        assert_eq!(Pep440::parse("1.0"), Pep440::parse("1.0.0"));
        assert!(Pep440::parse("1!0.1") > Pep440::parse("2.0"));
        assert_eq!(Pep440::parse("not a version"), None);
    }

    #[test]
    fn ranges_follow_each_types_ordering() {
        let q = PurlQuery::parse("pkg:npm/lodash@<4.17.21").unwrap();
        assert!(q.matches("pkg:npm/lodash@4.17.20"));
        assert!(q.matches("pkg:npm/lodash@4.9.0"));
        assert!(!q.matches("pkg:npm/lodash@4.17.21"));
        assert!(!q.matches("pkg:npm/lodash-es@4.17.20"));
        assert!(!q.matches("pkg:npm/lodash@not-semver"));
        let q = PurlQuery::parse("pkg:pypi/django@>=4.2,<4.2.10").unwrap();
        assert!(q.matches("pkg:pypi/django@4.2.9"));
        assert!(q.matches("pkg:pypi/django@4.2"));
        assert!(!q.matches("pkg:pypi/django@4.2rc1"));
        assert!(!q.matches("pkg:pypi/django@4.2.10"));
        let q = PurlQuery::parse("pkg:golang/github.com/x/y@<v1.2.0").unwrap();
        assert!(q.matches("pkg:golang/github.com/x/y@v1.1.9"));
        assert!(
            PurlQuery::parse("pkg:npm/%40angular/core@2.0.0")
                .unwrap()
                .matches("pkg:npm/%40angular/core@2.0.0?x=y")
        );
        assert_eq!(
            PurlQuery::parse("pkg:deb/debian/curl@<8.0"),
            Err(PurlQueryError::NoOrdering {
                purl_type: "deb".into()
            })
        );
        assert!(matches!(
            PurlQuery::parse("pkg:npm/lodash@<four"),
            Err(PurlQueryError::BadVersion { .. })
        ));
        assert!(matches!(
            PurlQuery::parse("lodash"),
            Err(PurlQueryError::NotPurl { .. })
        ));
        assert!(
            PurlQuery::parse("pkg:npm/lodash")
                .unwrap()
                .matches("pkg:npm/lodash@1.0.0")
        );
    }
}
