use provenant_digest::Digest;
use serde::{Deserialize, Serialize};

use crate::digest_set::{DigestSet, DigestSetError};

/// `_type` of a Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older Statement v0.1, which the specification's validators still accept on read
/// (SLSA v0.2 provenance and Google Cloud Build carry it). Never written.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";

/// Every statement `_type` that is read: v1, and v0.1 for older SLSA v0.2 and Cloud Build statements.
pub const STATEMENT_TYPES: [&str; 2] = [STATEMENT_V1, STATEMENT_V0_1];

/// Whether `type_` is a statement `_type` that is read ([`STATEMENT_TYPES`]).
#[must_use]
pub fn is_statement_type(type_: &str) -> bool {
    STATEMENT_TYPES.contains(&type_)
}

/// Largest statement accepted, in bytes (SBOM predicates can be large).
pub const MAX_STATEMENT_BYTES: usize = 64 << 20;

/// Why bytes are not a valid statement. `field` is a JSON path such as `subject[1].digest.sha256`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The input is larger than [`MAX_STATEMENT_BYTES`].
    #[error("statement is larger than {MAX_STATEMENT_BYTES} bytes")]
    TooLarge,
    /// Not JSON of the statement's shape (including unknown fields).
    #[error("statement is malformed: {detail}")]
    Json {
        /// serde's message, with line and column.
        detail: String,
    },
    /// A field has a value the specification forbids.
    #[error("statement field `{field}` is invalid: {reason}")]
    Field {
        /// JSON path of the field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
}

fn field(path: impl Into<String>, reason: &'static str) -> StatementError {
    StatementError::Field {
        field: path.into(),
        reason,
    }
}

/// An in-toto `ResourceDescriptor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// A name for the resource, such as a file path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A URI for the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the resource.
    #[serde(default, skip_serializing_if = "DigestSet::is_empty")]
    pub digest: DigestSet,
    /// The content itself, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Where it can be downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_location: Option<String>,
    /// Its media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ResourceDescriptor {
    /// A descriptor naming `name` with one digest.
    #[must_use]
    pub fn for_digest(name: impl Into<String>, digest: &Digest) -> ResourceDescriptor {
        ResourceDescriptor {
            name: Some(name.into()),
            uri: None,
            digest: DigestSet::from_digest(digest),
            content: None,
            download_location: None,
            media_type: None,
            annotations: None,
        }
    }

    /// Whether this descriptor records `digest` (same algorithm, same value).
    #[must_use]
    pub fn matches(&self, digest: &Digest) -> bool {
        self.digest.matches(digest)
    }

    /// The descriptor's digests that Provenant can compute, as typed digests.
    #[must_use]
    pub fn digests(&self) -> Vec<Digest> {
        self.digest.digests()
    }

    fn validate(&self, path: &str, require_digest: bool) -> Result<(), StatementError> {
        if self.name.is_none() && self.uri.is_none() && self.digest.is_empty() {
            return Err(field(
                path,
                "a resource descriptor needs a name, a uri or a digest",
            ));
        }
        if require_digest && self.digest.is_empty() {
            return Err(field(
                format!("{path}.digest"),
                "a subject needs at least one digest",
            ));
        }
        for (algorithm, value) in self.digest.iter() {
            DigestSet::check(algorithm, value).map_err(|e| StatementError::Field {
                field: format!("{path}.digest.{algorithm}"),
                reason: match e {
                    DigestSetError::Empty => "digest value is empty",
                    DigestSetError::NotLowercaseHex => "digest is not lowercase hex",
                    DigestSetError::WrongLength => "digest has the wrong length for its algorithm",
                },
            })?;
        }
        Ok(())
    }
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_V1`] when written.
    #[serde(rename = "_type")]
    pub type_: String,
    /// What the statement is about.
    pub subject: Vec<ResourceDescriptor>,
    /// The predicate's type URI (see [`crate::predicate`]).
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate.
    pub predicate: serde_json::Value,
}

impl Statement {
    /// A v1 statement.
    #[must_use]
    pub fn new(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Statement {
        Statement {
            type_: STATEMENT_V1.to_owned(),
            subject,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// Parses and validates a statement.
    pub fn from_json(bytes: &[u8]) -> Result<Statement, StatementError> {
        if bytes.len() > MAX_STATEMENT_BYTES {
            return Err(StatementError::TooLarge);
        }
        // `predicate` is required: serde would accept its absence as `null` only with a default.
        let statement: Statement = serde_json::from_slice(bytes).map_err(|e| StatementError::Json {
            detail: e.to_string(),
        })?;
        statement.validate()?;
        Ok(statement)
    }

    /// Checks the rules of the specification (see the crate documentation).
    pub fn validate(&self) -> Result<(), StatementError> {
        if !is_statement_type(&self.type_) {
            return Err(field("_type", "expected https://in-toto.io/Statement/v1"));
        }
        if self.subject.is_empty() {
            return Err(field("subject", "a statement needs at least one subject"));
        }
        for (i, s) in self.subject.iter().enumerate() {
            s.validate(&format!("subject[{i}]"), true)?;
        }
        if self.predicate_type.is_empty() {
            return Err(field("predicateType", "predicate type is empty"));
        }
        if self.predicate.is_null() {
            return Err(field("predicate", "predicate is missing"));
        }
        Ok(())
    }

    /// A v1 statement whose subjects are `(name, digest)` pairs, each with that one digest.
    #[must_use]
    pub fn from_digests<'a, N: Into<String>>(
        subjects: impl IntoIterator<Item = (N, &'a Digest)>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Statement {
        let subject = subjects
            .into_iter()
            .map(|(name, digest)| ResourceDescriptor::for_digest(name, digest))
            .collect();
        Statement::new(subject, predicate_type, predicate)
    }

    /// Whether some subject records `digest`.
    #[must_use]
    pub fn matches(&self, digest: &Digest) -> bool {
        self.subject_matching(digest).is_some()
    }

    /// The first subject that records `digest`.
    #[must_use]
    pub fn subject_matching(&self, digest: &Digest) -> Option<&ResourceDescriptor> {
        self.subject.iter().find(|s| s.matches(digest))
    }

    /// Deterministic JSON: field order fixed, maps sorted, no insignificant whitespace.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        // Round-tripping through `Value` sorts every object's keys (serde_json's map is ordered).
        serde_json::to_value(self)
            .and_then(|v| serde_json::to_vec(&v))
            .unwrap_or_default()
    }
}
