//! An approval of a digest for an environment (`approval/v1`).

use provenant_attest::predicate::PROVENANT_APPROVAL_V1;
use serde::{Deserialize, Serialize};

use crate::{Record, RecordError, non_empty};

/// The change record an approval refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRef {
    /// The change's id in the change system (e.g. a `ServiceNow` number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The digest of the generated change record (`sha256:<hex>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// An approval: who approved which digest for which environment, as which role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The environment approved for.
    pub environment: String,
    /// The role the approver claims (it counts only if the signer holds it).
    pub role: String,
    /// The approver's identity as the signer states it (key fingerprint or certificate SAN).
    pub identity: String,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
    /// The change record approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeRef>,
    /// The approver's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Record for Approval {
    const PREDICATE_TYPE: &'static str = PROVENANT_APPROVAL_V1;

    fn validate(&self) -> Result<(), RecordError> {
        non_empty(Self::PREDICATE_TYPE, "environment", &self.environment)?;
        non_empty(Self::PREDICATE_TYPE, "role", &self.role)?;
        non_empty(Self::PREDICATE_TYPE, "identity", &self.identity)?;
        non_empty(Self::PREDICATE_TYPE, "timestamp", &self.timestamp)
    }
}
