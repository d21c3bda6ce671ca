//! Governance records as data: what an approval, a promotion attempt, a deployment, a rollback and a
//! release's health say about an artefact digest, each an in-toto predicate with its type URI from
//! `provenant-attest`.
//!
//! Every record is parsed strictly (unknown fields are errors naming the field) and written
//! deterministically (fields in declaration order, absent options omitted). A record becomes a
//! statement whose subject is the artefact digest ([`Record::to_statement`]) and is read back from a
//! statement only when the predicate type matches ([`Record::from_statement`]). Signing, the ledger and
//! verification of the signer's role belong to `provenant-evidence` and the engines; this crate does no
//! I/O.

#![forbid(unsafe_code)]

pub mod approval;
pub mod deployment;
pub mod promotion;
pub mod release;
pub mod rollback;

use provenant_attest::{ResourceDescriptor, Statement};
use provenant_digest::Digest;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a statement does not carry a record of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The statement's predicate type is another.
    #[error("predicate type {found} is not {expected}")]
    PredicateType {
        /// The type found.
        found: String,
        /// The type expected.
        expected: &'static str,
    },
    /// The predicate does not parse as the record.
    #[error("{expected} predicate: {reason}")]
    Predicate {
        /// The predicate type.
        expected: &'static str,
        /// What is wrong, naming the field.
        reason: String,
    },
    /// A field has a value the record does not allow.
    #[error("{expected} predicate: {field}: {reason}")]
    Field {
        /// The predicate type.
        expected: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A governance record: a predicate with its type.
pub trait Record: Serialize + DeserializeOwned {
    /// The predicate type URI.
    const PREDICATE_TYPE: &'static str;

    /// Checks values the types alone do not (non-empty names, ranges).
    fn validate(&self) -> Result<(), RecordError> {
        Ok(())
    }

    /// The predicate as JSON.
    fn to_predicate(&self) -> serde_json::Value {
        // Records are plain structs of strings, numbers and enums: serialising them cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The statement about `subject` (named `subject_name`, e.g. the image reference without tag).
    fn to_statement(&self, subject_name: &str, subject: &Digest) -> Statement {
        Statement::new(
            vec![ResourceDescriptor::for_digest(subject_name, subject)],
            Self::PREDICATE_TYPE,
            self.to_predicate(),
        )
    }

    /// The record a statement carries: its predicate type must be this record's.
    fn from_statement(statement: &Statement) -> Result<Self, RecordError> {
        if statement.predicate_type != Self::PREDICATE_TYPE {
            return Err(RecordError::PredicateType {
                found: statement.predicate_type.chars().take(300).collect(),
                expected: Self::PREDICATE_TYPE,
            });
        }
        let record: Self =
            serde_json::from_value(statement.predicate.clone()).map_err(|e| RecordError::Predicate {
                expected: Self::PREDICATE_TYPE,
                reason: e.to_string(),
            })?;
        record.validate()?;
        Ok(record)
    }
}

/// Pass or fail of a check a record reports (health, smoke, readiness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// It passed.
    Pass,
    /// It failed.
    Fail,
}

pub(crate) fn non_empty(expected: &'static str, field: &'static str, value: &str) -> Result<(), RecordError> {
    if value.trim().is_empty() {
        return Err(RecordError::Field {
            expected,
            field,
            reason: "must not be empty",
        });
    }
    Ok(())
}
