//! A deployment of a digest into an environment (`deployment/v1`).

use provenant_attest::predicate::PROVENANT_DEPLOYMENT_V1;
use serde::{Deserialize, Serialize};

use crate::{Check, Record, RecordError, non_empty};

/// How a deployment rolled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Replace instances in batches.
    Rolling,
    /// Switch traffic from the old stack to a new one.
    BlueGreen,
    /// A share of traffic first.
    Canary,
    /// Deployed dark, enabled by a flag.
    FeatureFlag,
}

/// A deployment record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The environment deployed in.
    pub environment: String,
    /// The strategy.
    pub strategy: Strategy,
    /// Health check result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Check>,
    /// Smoke test result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Check>,
    /// Readiness result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Check>,
    /// The canary's share of traffic, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<u8>,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
}

impl Record for Deployment {
    const PREDICATE_TYPE: &'static str = PROVENANT_DEPLOYMENT_V1;

    fn validate(&self) -> Result<(), RecordError> {
        non_empty(Self::PREDICATE_TYPE, "environment", &self.environment)?;
        non_empty(Self::PREDICATE_TYPE, "timestamp", &self.timestamp)?;
        if self.canary_percent.is_some_and(|p| p > 100) {
            return Err(RecordError::Field {
                expected: Self::PREDICATE_TYPE,
                field: "canary_percent",
                reason: "must be between 0 and 100",
            });
        }
        Ok(())
    }
}
