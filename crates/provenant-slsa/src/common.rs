//! Types shared by every predicate: timestamps, digest sets and resource descriptors.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FieldError;

/// An RFC 3339 instant in UTC, written with whole seconds and a `Z` suffix (`2024-01-02T03:04:05Z`), the
/// form every verifier in the ecosystem accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(DateTime::UNIX_EPOCH);

    /// The instant `secs` seconds after the Unix epoch (as `SOURCE_DATE_EPOCH` gives it).
    #[must_use]
    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        DateTime::from_timestamp(secs, 0).map(Timestamp)
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub fn unix(&self) -> i64 {
        self.0.timestamp()
    }

    /// The underlying chrono value.
    #[must_use]
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp(value)
    }
}

/// A string is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp (expected e.g. 2024-01-02T03:04:05Z): {reason}")]
pub struct TimestampError {
    /// What the parser objected to.
    pub reason: String,
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(|e| TimestampError {
                reason: e.to_string(),
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The digest-set algorithm names registered by the in-toto attestation framework
/// (`spec/v1/digest_set.md`). A digest set naming anything else is rejected.
pub const KNOWN_DIGEST_ALGORITHMS: &[&str] = &[
    "sha256",
    "sha224",
    "sha384",
    "sha512",
    "sha512_224",
    "sha512_256",
    "sha3_224",
    "sha3_256",
    "sha3_384",
    "sha3_512",
    "shake128",
    "shake256",
    "blake2b",
    "blake2s",
    "ripemd160",
    "sm3",
    "gost",
    "sha1",
    "md5",
    "gitBlob",
    "gitCommit",
    "gitTag",
    "gitTree",
    "dirHash",
];

/// Hex length of the fixed-size hash algorithms in [`KNOWN_DIGEST_ALGORITHMS`], where it is fixed.
fn hex_len(algorithm: &str) -> Option<&'static [usize]> {
    Some(match algorithm {
        "sha256" | "sha512_256" | "sha3_256" | "blake2s" | "sm3" | "gost" => &[64],
        "sha224" | "sha512_224" | "sha3_224" => &[56],
        "sha384" | "sha3_384" => &[96],
        "sha512" | "sha3_512" | "blake2b" => &[128],
        "sha1" | "ripemd160" => &[40],
        // Git object ids: SHA-1 repositories, or SHA-256 ones.
        "gitBlob" | "gitCommit" | "gitTag" | "gitTree" => &[40, 64],
        "md5" => &[32],
        _ => return None,
    })
}

/// An in-toto digest set: algorithm name to lowercase hex, sorted by algorithm (`provenant-attest`'s
/// type; SLSA documents are checked against the stricter [`KNOWN_DIGEST_ALGORITHMS`]).
pub use provenant_attest::DigestSet;

/// Checks a digest set: known algorithm names, lowercase hex of the right length.
pub(crate) fn validate_digest_set(path: &str, set: &DigestSet) -> Result<(), FieldError> {
    for (algorithm, value) in set {
        if !KNOWN_DIGEST_ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(FieldError::new(
                format!("{path}.{algorithm}"),
                format!("unknown digest algorithm {algorithm:?}"),
            ));
        }
        if let Some(lengths) = hex_len(algorithm) {
            let hex_ok = value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok || !lengths.contains(&value.len()) {
                return Err(FieldError::new(
                    format!("{path}.{algorithm}"),
                    format!("expected {lengths:?} lowercase hex characters, got {value:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// An in-toto v1 `ResourceDescriptor`, as SLSA v1 uses it for dependencies and byproducts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// A URI identifying the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the resource.
    #[serde(default, skip_serializing_if = "DigestSet::is_empty")]
    pub digest: DigestSet,
    /// A name for the resource (a path, a package name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the resource can be downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_location: Option<String>,
    /// Media type of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The resource's content, base64-encoded (as JSON carries bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Further information about the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ResourceDescriptor {
    /// A descriptor with a URI and a digest set.
    #[must_use]
    pub fn uri_with_digest(uri: impl Into<String>, digest: DigestSet) -> ResourceDescriptor {
        ResourceDescriptor {
            uri: Some(uri.into()),
            digest,
            ..ResourceDescriptor::default()
        }
    }

    pub(crate) fn validate(&self, path: &str) -> Result<(), FieldError> {
        if self.uri.is_none() && self.digest.is_empty() && self.content.is_none() {
            return Err(FieldError::new(
                path,
                "a resource descriptor needs at least one of uri, digest, content",
            ));
        }
        if self.uri.as_deref() == Some("") {
            return Err(FieldError::new(format!("{path}.uri"), "must not be empty"));
        }
        validate_digest_set(&format!("{path}.digest"), &self.digest)
    }
}
