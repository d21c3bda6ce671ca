//! A promotion attempt of a digest into an environment (`promotion/v1`): promoted or refused, with
//! the reasons and the evidence relied on.

use provenant_attest::predicate::PROVENANT_PROMOTION_V1;
use serde::{Deserialize, Serialize};

use crate::{Record, RecordError, non_empty};

/// How a promotion attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every requirement held and the digest was copied.
    Promoted,
    /// A requirement did not hold; nothing was copied.
    Refused,
}

/// A requirement that did not hold, or a note on one that did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The requirement (e.g. `gate-decision`, `approval`, `previous-environment`).
    pub requirement: String,
    /// What a person reads.
    pub message: String,
}

/// A piece of evidence the decision relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    /// Its predicate type.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The digest of the signed bundle (`sha256:<hex>`).
    pub digest: String,
}

/// A promotion attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// The environment promoted into.
    pub environment: String,
    /// Promoted or refused.
    pub outcome: Outcome,
    /// The source reference, by digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The environment's repository the digest was (or would have been) copied to.
    pub repository: String,
    /// The environment before this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_environment: Option<String>,
    /// Requirements that did not hold (empty when promoted).
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// The evidence relied on.
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
    /// The digest of the environment's configuration at promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
}

impl Record for Promotion {
    const PREDICATE_TYPE: &'static str = PROVENANT_PROMOTION_V1;

    fn validate(&self) -> Result<(), RecordError> {
        non_empty(Self::PREDICATE_TYPE, "environment", &self.environment)?;
        non_empty(Self::PREDICATE_TYPE, "repository", &self.repository)?;
        non_empty(Self::PREDICATE_TYPE, "timestamp", &self.timestamp)?;
        if self.outcome == Outcome::Refused && self.reasons.is_empty() {
            return Err(RecordError::Field {
                expected: Self::PREDICATE_TYPE,
                field: "reasons",
                reason: "a refused promotion names at least one reason",
            });
        }
        Ok(())
    }
}
