//! Stable finding ids.

use sha2::{Digest as _, Sha256};

/// A path as scanners variously spell it, normalised: `file://` and leading `./` and `/` removed,
/// backslashes turned into slashes, `.` segments dropped.
#[must_use]
pub fn normalise_path(path: &str) -> String {
    let path = path.strip_prefix("file://").unwrap_or(path).replace('\\', "/");
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The id of a rule's finding: `RULE@` and 16 hex digits of SHA-256 over the normalised path and the
/// location fingerprint (the scanner's own fingerprint when it gives one, else the line).
#[must_use]
pub fn rule_finding_id(rule: &str, path: Option<&str>, fingerprint: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.map(normalise_path).unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(fingerprint.as_bytes());
    let digest = h.finalize();
    let short = digest.get(..8).unwrap_or_default();
    format!("{rule}@{}", hex::encode(short))
}

/// The id of a vulnerability finding: `VULN@PACKAGE`, where the vulnerability is its CVE alias when it
/// has one, and the package is its PURL without qualifiers or subpath (or `name@version`).
#[must_use]
pub fn package_finding_id(vulnerability: &str, package: &crate::Package) -> String {
    let pkg = match &package.purl {
        Some(purl) => purl.split(['?', '#']).next().unwrap_or(purl).to_owned(),
        None => match &package.ecosystem {
            Some(eco) => format!("{eco}/{}@{}", package.name, package.version),
            None => format!("{}@{}", package.name, package.version),
        },
    };
    format!("{vulnerability}@{pkg}")
}

/// The preferred vulnerability id among `id` and its aliases: the first CVE, else `id`.
pub(crate) fn preferred_vuln_id<'a>(id: &'a str, aliases: &'a [String]) -> &'a str {
    if id.starts_with("CVE-") {
        return id;
    }
    let mut cves: Vec<&String> = aliases.iter().filter(|a| a.starts_with("CVE-")).collect();
    cves.sort();
    cves.first().map_or(id, |c| c.as_str())
}
