//! What a vulnerability report says about the scanner that wrote it: its name and version, its
//! vulnerability database and when the report was made, as far as each format records them (for
//! in-toto's vulns predicate).

use serde_json::Value;

use crate::Format;

/// The scanner of one vulnerability report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScannerInfo {
    /// A package URL naming the scanner (`pkg:github/aquasecurity/trivy`, …).
    pub uri: String,
    /// Its version, when the report says.
    pub version: Option<String>,
    /// Its vulnerability database's identity, when the report says.
    pub db_uri: Option<String>,
    /// The database's version or schema, when the report says.
    pub db_version: Option<String>,
    /// When the database was built or last updated (RFC 3339), when the report says.
    pub db_updated: Option<String>,
    /// When the report was made (RFC 3339), when the report says.
    pub created: Option<String>,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut at = v;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().filter(|s| !s.is_empty()).map(ToOwned::to_owned)
}

/// A name as a package URL's name: lower-case, and every byte other than letters, digits, `.`, `-`
/// and `_` percent-encoded.
fn purl_name(name: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(name.len());
    for b in name.to_lowercase().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The scanner of a report of `format` (one of the vulnerability formats), from its JSON. A document
/// that is not JSON, or a format that records nothing, gives what is known from the format alone.
#[must_use]
pub fn scanner_info(format: Format, bytes: &[u8]) -> ScannerInfo {
    let v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    match format {
        Format::Trivy => ScannerInfo {
            uri: "pkg:github/aquasecurity/trivy".to_owned(),
            version: text(&v, &["Trivy", "Version"]),
            db_uri: None,
            db_version: None,
            db_updated: None,
            created: text(&v, &["CreatedAt"]),
        },
        Format::Grype => ScannerInfo {
            uri: "pkg:github/anchore/grype".to_owned(),
            version: text(&v, &["descriptor", "version"]),
            db_uri: text(&v, &["descriptor", "db", "status", "from"])
                .or_else(|| text(&v, &["descriptor", "db", "from"])),
            db_version: text(&v, &["descriptor", "db", "status", "schemaVersion"])
                .or_else(|| {
                    v.pointer("/descriptor/db/schemaVersion")
                        .and_then(Value::as_u64)
                        .map(|n| n.to_string())
                })
                .or_else(|| text(&v, &["descriptor", "db", "schemaVersion"])),
            db_updated: text(&v, &["descriptor", "db", "status", "built"])
                .or_else(|| text(&v, &["descriptor", "db", "built"])),
            created: text(&v, &["descriptor", "timestamp"]),
        },
        Format::OsvScanner => ScannerInfo {
            uri: "pkg:github/google/osv-scanner".to_owned(),
            ..ScannerInfo::default()
        },
        Format::NpmAudit => ScannerInfo {
            uri: "pkg:github/npm/cli".to_owned(),
            ..ScannerInfo::default()
        },
        _ => {
            // CycloneDX: the first tool of the metadata (1.5+ components, or the older array).
            let tool = v
                .pointer("/metadata/tools/components/0")
                .or_else(|| v.pointer("/metadata/tools/0"));
            let name = tool.and_then(|t| text(t, &["name"]));
            ScannerInfo {
                uri: name.map_or_else(
                    || "pkg:generic/cyclonedx-vulnerability-scanner".to_owned(),
                    |n| format!("pkg:generic/{}", purl_name(&n)),
                ),
                version: tool.and_then(|t| text(t, &["version"])),
                db_uri: None,
                db_version: None,
                db_updated: None,
                created: text(&v, &["metadata", "timestamp"]),
            }
        }
    }
}
