//! Stable finding ids.

use std::borrow::Cow;

use sha2::{Digest as _, Sha256};

/// A path as scanners variously spell it, normalised: `file://` and leading `./` and `/` removed,
/// backslashes turned into slashes, `.` segments dropped.
#[must_use]
pub fn normalise_path(path: &str) -> String {
    normalised(path).into_owned()
}

/// [`normalise_path`], borrowing `path` when it is already normalised (most are: the readers normalise
/// every path once, and ids are computed from those).
pub(crate) fn normalised(path: &str) -> Cow<'_, str> {
    if is_normalised(path) {
        return Cow::Borrowed(path);
    }
    let path = path.strip_prefix("file://").unwrap_or(path).replace('\\', "/");
    Cow::Owned(
        path.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Whether [`normalise_path`] would give `path` back unchanged: no backslash and no empty or `.`
/// segment (a path without empty segments has no `//`, so it cannot start with `file://` either).
fn is_normalised(path: &str) -> bool {
    path.is_empty() || (!path.contains('\\') && path.split('/').all(|s| !s.is_empty() && s != "."))
}

/// The id of a rule's finding: `RULE@` and 16 hex digits of SHA-256 over the normalised path and the
/// location fingerprint (the scanner's own fingerprint when it gives one, else the line).
#[must_use]
pub fn rule_finding_id(rule: &str, path: Option<&str>, fingerprint: &str) -> String {
    rule_finding_id_of_parts(rule, path, &[fingerprint])
}

/// [`rule_finding_id`] with the fingerprint given as the parts it is the concatenation of (the hash
/// reads them in turn: the id is the same, without building the fingerprint).
pub(crate) fn rule_finding_id_of_parts(rule: &str, path: Option<&str>, fingerprint: &[&str]) -> String {
    let path = path.map(normalised);
    let pieces = [rule, "\0", path.as_deref().unwrap_or_default(), "\0"];
    let pieces = pieces.iter().chain(fingerprint);
    // The hashed text gathered in one buffer when it is short (nearly always: a rule, a path and a line
    // or fingerprint), hashed in one call; piece by piece otherwise.
    let mut buffer = [0u8; 256];
    let total: usize = pieces.clone().map(|p| p.len()).sum();
    let digest = if let Some(text) = buffer.get_mut(..total) {
        let mut at = 0;
        for piece in pieces {
            if let Some(room) = text.get_mut(at..at + piece.len()) {
                room.copy_from_slice(piece.as_bytes());
            }
            at += piece.len();
        }
        Sha256::digest(text)
    } else {
        let mut h = Sha256::new();
        for piece in pieces {
            h.update(piece.as_bytes());
        }
        h.finalize()
    };
    let mut id = String::with_capacity(rule.len() + 17);
    id.push_str(rule);
    id.push('@');
    for b in digest.iter().take(8) {
        for nibble in [b >> 4, b & 0x0f] {
            id.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    id
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The normalisation as first written, without the fast path for paths already normalised.
    fn reference(path: &str) -> String {
        let path = path.strip_prefix("file://").unwrap_or(path).replace('\\', "/");
        path.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn normalise_path_fast_path_gives_what_the_full_normalisation_gives() {
        for path in [
            "",
            "/",
            ".",
            "./",
            "a",
            "a/b.py",
            "./a/b.py",
            "/abs/a.py",
            "a//b",
            "a/./b",
            "a/../b",
            "a/",
            "file://a/b",
            "file:///a/b",
            "file:/a",
            "file:",
            "file://file://x",
            "C:\\src\\a.py",
            "src\\./a.py",
            "..",
            ".hidden/.x",
            "é/ü.rs",
        ] {
            let expected = reference(path);
            assert_eq!(normalise_path(path), expected, "{path:?}");
            assert_eq!(normalise_path(&expected), expected, "{path:?} twice");
            assert_eq!(
                rule_finding_id("r", Some(path), "7"),
                rule_finding_id("r", Some(&expected), "7"),
                "{path:?}"
            );
        }
    }

    #[test]
    fn rule_finding_id_is_stable() {
        // Ids are written into decisions and exceptions: they never change.
        let mut h = Sha256::new();
        h.update(b"rule-1\0src/a.py\0k=v");
        let expected = format!("rule-1@{}", hex::encode(&h.finalize()[..8]));
        assert_eq!(rule_finding_id("rule-1", Some("./src/a.py"), "k=v"), expected);
        assert_eq!(
            rule_finding_id_of_parts("rule-1", Some("src/a.py"), &["k", "=", "v"]),
            expected
        );
        // Hashed text of every length around the one-call buffer's size (256 bytes), and far beyond.
        for len in [0, 1, 250, 251, 252, 253, 254, 300, 5_000] {
            let path = "p".repeat(len);
            let mut h = Sha256::new();
            h.update(format!("rule-1\0{path}\0k=v").as_bytes());
            let expected = format!("rule-1@{}", hex::encode(&h.finalize()[..8]));
            assert_eq!(rule_finding_id("rule-1", Some(&path), "k=v"), expected, "{len}");
            assert_eq!(
                rule_finding_id_of_parts("rule-1", Some(&path), &["k", "=", "v"]),
                expected
            );
        }
        let mut h = Sha256::new();
        h.update(b"r\0\0");
        assert_eq!(
            rule_finding_id("r", None, ""),
            format!("r@{}", hex::encode(&h.finalize()[..8]))
        );
    }
}
