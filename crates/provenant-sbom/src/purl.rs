//! Package URLs, validated with the `packageurl` crate and kept in canonical form.

use std::fmt;
use std::str::FromStr;

/// A syntactically valid package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), in the
/// canonical spelling the `packageurl` crate renders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Purl(String);

/// A string that is not a valid package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package URL {input:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidPurl {
    /// The rejected text.
    pub input: String,
    /// Why the parser rejected it.
    pub reason: String,
}

/// Renders `p` canonically, and checks that the text parses back to itself.
///
/// The `packageurl` crate leaves `/` unencoded in the version, so a version holding one (a git ref, a
/// `file:` path) renders as a different, or unparseable, package URL; the version segment is fixed
/// here (everything the crate encodes there, `@`, `?` and `#` included, makes the segment
/// unambiguous: it runs from the first `@` to the first `?` or `#`).
fn canonical(p: &packageurl::PackageUrl<'_>, input: &str) -> Result<String, InvalidPurl> {
    let text = render(p);
    let again = packageurl::PackageUrl::from_str(&text).map(|q| render(&q));
    if again.is_ok_and(|a| a == text) {
        Ok(text)
    } else {
        Err(InvalidPurl {
            input: input.to_owned(),
            reason: "its canonical form does not parse back to the same package URL".into(),
        })
    }
}

/// The crate's rendering with `/` in the version encoded.
fn render(p: &packageurl::PackageUrl<'_>) -> String {
    let rendered = p.to_string();
    match rendered.split_once('@') {
        Some((head, rest)) => {
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            let (version, tail) = rest.split_at(end);
            format!("{head}@{}{tail}", version.replace('/', "%2F"))
        }
        None => rendered,
    }
}

impl Purl {
    /// Builds a PURL from its parts, percent-encoding each as the specification requires.
    pub fn build(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(&str, &str)],
    ) -> Result<Purl, InvalidPurl> {
        let err = |e: packageurl::Error| InvalidPurl {
            input: format!("{ty}/{name}"),
            reason: e.to_string(),
        };
        let mut p = packageurl::PackageUrl::new(ty, name).map_err(err)?;
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            p.with_namespace(ns).map_err(err)?;
        }
        if let Some(v) = version.filter(|v| !v.is_empty()) {
            p.with_version(v).map_err(err)?;
        }
        for (k, v) in qualifiers {
            p.add_qualifier(*k, *v).map_err(err)?;
        }
        Ok(Purl(canonical(&p, &format!("{ty}/{name}"))?))
    }

    /// The canonical text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PURL type (`cargo`, `npm`, ...).
    #[must_use]
    pub fn ty(&self) -> &str {
        self.0
            .strip_prefix("pkg:")
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
    }
}

impl FromStr for Purl {
    type Err = InvalidPurl;
    fn from_str(s: &str) -> Result<Purl, InvalidPurl> {
        let p = packageurl::PackageUrl::from_str(s).map_err(|e| InvalidPurl {
            input: s.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Purl(canonical(&p, s)?))
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
