//! SLSA Verification Summary Attestation v1 (`https://slsa.dev/verification_summary/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::{ResourceDescriptor, Timestamp};
use crate::error::{FieldError, PredicateError, from_value};
use crate::v1::require_uri;

/// The predicate type of a VSA v1.
pub const PREDICATE_TYPE: &str = provenant_attest::predicate::SLSA_VSA_V1;

/// A VSA v1 predicate: who verified what, against which policy, with which result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaV1 {
    /// The verifier.
    pub verifier: Verifier,
    /// When the verification ran.
    pub time_verified: Timestamp,
    /// The artefact verified, as a URI.
    #[serde(rename = "resourceUri")]
    pub resource_uri: String,
    /// The policy applied.
    pub policy: ResourceDescriptor,
    /// The attestations that were verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_attestations: Vec<ResourceDescriptor>,
    /// `PASSED` or `FAILED`.
    pub verification_result: VerificationResult,
    /// Levels verified, e.g. `SLSA_BUILD_LEVEL_2`.
    #[serde(default)]
    pub verified_levels: Vec<String>,
    /// Levels of the artefact's dependencies and how many reached each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependency_levels: BTreeMap<String, u64>,
    /// The SLSA version the levels refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slsa_version: Option<String>,
}

/// `verifier` of a VSA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verifier {
    /// URI of the verifier.
    pub id: String,
    /// Versions of its components.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
}

/// The result recorded in a VSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VerificationResult {
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
}

impl VsaV1 {
    /// Parses and validates a predicate, naming the first field at fault.
    pub fn from_json(predicate: &serde_json::Value) -> Result<VsaV1, PredicateError> {
        let malformed = |source| PredicateError::Malformed {
            predicate_type: PREDICATE_TYPE,
            source,
        };
        let p: VsaV1 = from_value(predicate).map_err(malformed)?;
        p.validate().map_err(malformed)?;
        Ok(p)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), FieldError> {
        require_uri("verifier.id", &self.verifier.id)?;
        if self.resource_uri.is_empty() {
            return Err(FieldError::new("resourceUri", "must not be empty"));
        }
        self.policy.validate("policy")?;
        for (i, d) in self.input_attestations.iter().enumerate() {
            d.validate(&format!("inputAttestations[{i}]"))?;
        }
        for (i, level) in self.verified_levels.iter().enumerate() {
            if level.is_empty() {
                return Err(FieldError::new(
                    format!("verifiedLevels[{i}]"),
                    "must not be empty",
                ));
            }
        }
        Ok(())
    }

    /// The predicate as JSON.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
