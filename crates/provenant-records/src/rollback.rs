//! A rollback in an environment from one digest to another (`rollback/v1`).

use provenant_attest::predicate::PROVENANT_ROLLBACK_V1;
use serde::{Deserialize, Serialize};

use crate::{Record, RecordError, non_empty};

/// A rollback record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// The environment.
    pub environment: String,
    /// The digest rolled back from (`sha256:<hex>`).
    pub from: String,
    /// The digest rolled back to.
    pub to: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
}

impl Record for Rollback {
    const PREDICATE_TYPE: &'static str = PROVENANT_ROLLBACK_V1;

    fn validate(&self) -> Result<(), RecordError> {
        non_empty(Self::PREDICATE_TYPE, "environment", &self.environment)?;
        non_empty(Self::PREDICATE_TYPE, "from", &self.from)?;
        non_empty(Self::PREDICATE_TYPE, "to", &self.to)?;
        non_empty(Self::PREDICATE_TYPE, "reason", &self.reason)?;
        non_empty(Self::PREDICATE_TYPE, "timestamp", &self.timestamp)
    }
}
