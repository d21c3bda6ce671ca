//! A release's health: service-level indicators before and after it (`release-health/v1`).

use provenant_attest::predicate::PROVENANT_RELEASE_HEALTH_V1;
use serde::{Deserialize, Serialize};

use crate::{Record, RecordError, non_empty};

/// One service-level indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sli {
    /// Its name.
    pub name: String,
    /// The query that measures it (`PromQL`).
    pub query: String,
    /// The value before the release, if measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<f64>,
    /// The value after the release, if measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<f64>,
}

/// A release-health record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseHealth {
    /// The environment.
    pub environment: String,
    /// The measurement window (e.g. `10m`).
    pub window: String,
    /// The indicators.
    pub slis: Vec<Sli>,
    /// When (RFC 3339, UTC).
    pub timestamp: String,
}

impl ReleaseHealth {
    /// The indicators missing a value before or after.
    #[must_use]
    pub fn missing(&self) -> Vec<&Sli> {
        self.slis
            .iter()
            .filter(|s| s.before.is_none() || s.after.is_none())
            .collect()
    }
}

impl Record for ReleaseHealth {
    const PREDICATE_TYPE: &'static str = PROVENANT_RELEASE_HEALTH_V1;

    fn validate(&self) -> Result<(), RecordError> {
        non_empty(Self::PREDICATE_TYPE, "environment", &self.environment)?;
        non_empty(Self::PREDICATE_TYPE, "window", &self.window)?;
        non_empty(Self::PREDICATE_TYPE, "timestamp", &self.timestamp)?;
        if self
            .slis
            .iter()
            .any(|s| s.before.is_some_and(|v| !v.is_finite()) || s.after.is_some_and(|v| !v.is_finite()))
        {
            return Err(RecordError::Field {
                expected: Self::PREDICATE_TYPE,
                field: "slis",
                reason: "values must be finite numbers",
            });
        }
        Ok(())
    }
}
