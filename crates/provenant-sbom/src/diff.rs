//! What changed between two SBOMs: packages added, removed, and changed (another version, or the same
//! version under another licence).
//!
//! Packages are grouped by identity, their package URL without its version (`pkg:pypi/six`). Each side
//! holds a set of versions of a package, since a target may hold several (a lockfile with two majors of
//! one crate, a Python tree with a vendored copy). A version present on both sides is the same package (a
//! licence change is reported); the others are removed or added, and are paired as one version change only
//! when each side has exactly one version of the package: with `six` 1.16.0 and 1.17.0 before and 1.16.0
//! after, `six@1.17.0` was removed, nothing changed version.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Purl, Sbom};

/// A package as a diff compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// Its package URL (with the version).
    pub purl: String,
    /// Its version.
    pub version: String,
    /// Its SPDX licence expression, when known.
    pub license: Option<String>,
}

/// One package whose version or licence differs between the two sides.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Change {
    /// The package's identity: its package URL without a version.
    pub package: String,
    /// The package before.
    pub before: Entry,
    /// The package after.
    pub after: Entry,
    /// Whether the version differs.
    pub version_changed: bool,
    /// Whether the licence differs.
    pub license_changed: bool,
}

/// The difference between two SBOMs, each list sorted by package URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Diff {
    /// Packages only in the second SBOM.
    pub added: Vec<Entry>,
    /// Packages only in the first.
    pub removed: Vec<Entry>,
    /// Packages in both whose version (when each side has exactly one) or licence differ.
    pub changed: Vec<Change>,
}

/// A package URL without its version: `pkg:npm/%40scope/x@1.0.0?arch=x` gives `pkg:npm/%40scope/x?arch=x`.
#[must_use]
pub fn identity(purl: &str) -> String {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let (head, tail) = purl.split_at(end);
    // The version separator is the last '@' after the type (an npm scope's '@' is encoded).
    match head.rfind('@') {
        Some(at) if head.get(..at).is_some_and(|h| h.contains('/')) => {
            format!("{}{tail}", head.get(..at).unwrap_or(head))
        }
        _ => purl.to_owned(),
    }
}

/// Each package identity's entries, by package URL.
fn grouped(sbom: &Sbom) -> BTreeMap<String, BTreeMap<&Purl, Entry>> {
    let mut out: BTreeMap<String, BTreeMap<&Purl, Entry>> = BTreeMap::new();
    for (purl, c) in &sbom.components {
        out.entry(identity(purl.as_str())).or_default().insert(
            purl,
            Entry {
                purl: purl.as_str().to_owned(),
                version: c.version.clone(),
                license: c.license.clone(),
            },
        );
    }
    out
}

/// What changed from `before` to `after`.
#[must_use]
pub fn diff(before: &Sbom, after: &Sbom) -> Diff {
    let (a, b) = (grouped(before), grouped(after));
    let empty = BTreeMap::new();
    let mut out = Diff::default();
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for id in ids {
        let old = a.get(id).unwrap_or(&empty);
        let new = b.get(id).unwrap_or(&empty);
        let gone: Vec<&Entry> = old
            .iter()
            .filter(|(p, _)| !new.contains_key(*p))
            .map(|(_, e)| e)
            .collect();
        let came: Vec<&Entry> = new
            .iter()
            .filter(|(p, _)| !old.contains_key(*p))
            .map(|(_, e)| e)
            .collect();
        for (purl, o) in old {
            if let Some(n) = new.get(purl).filter(|n| n.license != o.license) {
                out.changed.push(Change {
                    package: id.clone(),
                    before: o.clone(),
                    after: n.clone(),
                    version_changed: false,
                    license_changed: true,
                });
            }
        }
        if let (1, 1, [o], [n]) = (old.len(), new.len(), gone.as_slice(), came.as_slice()) {
            out.changed.push(Change {
                package: id.clone(),
                before: (*o).clone(),
                after: (*n).clone(),
                version_changed: o.version != n.version,
                license_changed: o.license != n.license,
            });
        } else {
            out.removed.extend(gone.into_iter().cloned());
            out.added.extend(came.into_iter().cloned());
        }
    }
    out.added.sort();
    out.removed.sort();
    out.changed
        .sort_by(|x, y| (&x.package, &x.before).cmp(&(&y.package, &y.before)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Component, Ecosystem, Root};

    fn sbom(pkgs: &[(&str, &str, Option<&str>)]) -> Sbom {
        let mut s = Sbom::new(
            Root::new("t", provenant_digest::Algorithm::Sha256.hash_bytes(b"")),
            0,
        );
        for (name, version, license) in pkgs {
            let mut c = Component::new(Ecosystem::Pypi, name, version).unwrap();
            c.license = license.map(str::to_owned);
            s.add(c);
        }
        s
    }

    #[test]
    fn sbom_diff_pairs_packages_by_name_when_several_versions_exist() {
        let two = sbom(&[
            ("six", "1.16.0", None),
            ("six", "1.17.0", None),
            ("idna", "3.6", None),
        ]);
        let one = sbom(&[("six", "1.16.0", None), ("idna", "3.7", Some("BSD-3-Clause"))]);
        let d = diff(&two, &one);
        assert_eq!(
            d.removed.iter().map(|e| e.purl.as_str()).collect::<Vec<_>>(),
            ["pkg:pypi/six@1.17.0"]
        );
        assert!(d.added.is_empty());
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].package, "pkg:pypi/idna");
        assert!(d.changed[0].version_changed && d.changed[0].license_changed);
        // The other way round: added, not a change backwards.
        let back = diff(&one, &two);
        assert_eq!(
            back.added.iter().map(|e| e.purl.as_str()).collect::<Vec<_>>(),
            ["pkg:pypi/six@1.17.0"]
        );
        // Two versions on each side, none shared: removed and added, never paired.
        let d = diff(
            &sbom(&[("a", "1", None), ("a", "2", None)]),
            &sbom(&[("a", "3", None), ("a", "4", None)]),
        );
        assert_eq!((d.added.len(), d.removed.len(), d.changed.len()), (2, 2, 0));
        // The same version under another licence.
        let d = diff(
            &sbom(&[("a", "1", Some("MIT"))]),
            &sbom(&[("a", "1", Some("Apache-2.0"))]),
        );
        assert_eq!(d.changed.len(), 1);
        assert!(!d.changed[0].version_changed && d.changed[0].license_changed);
        assert_eq!(identity("pkg:npm/%40s/x@1.0.0?arch=a"), "pkg:npm/%40s/x?arch=a");
    }
}
