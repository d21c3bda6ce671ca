//! slsa-verifier's checks on a Verification Summary Attestation (`verify-vsa`): the subject digests,
//! the verifier id, the resource URI, the result and the verified levels. No I/O: the signature is
//! checked by the caller before these run.

use crate::vsa::{VerificationResult, VsaV1};

/// What the user expects of a VSA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VsaExpectations {
    /// `algorithm:value` digests that must each be among the subjects' digests. Values are compared
    /// as strings: VSAs name resources by digests that are not hashes (e.g. `gce_image_id`).
    pub subject_digests: Vec<(String, String)>,
    /// The verifier id the VSA must name exactly.
    pub verifier_id: String,
    /// The resource URI the VSA must name exactly.
    pub resource_uri: String,
    /// Levels that must each be verified. `SLSA_BUILD_LEVEL_N` is met by any build level `>= N`.
    pub verified_levels: Vec<String>,
}

/// Why a VSA does not meet the expectations. Each variant names the failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VsaPolicyError {
    /// An expected subject digest is not among the VSA's subjects.
    #[error("no subject of the VSA has digest {algorithm}:{value}")]
    SubjectMismatch {
        /// The digest algorithm expected.
        algorithm: String,
        /// The digest value expected.
        value: String,
    },
    /// The verifier id differs.
    #[error("VSA verifier id is {found:?}, expected {expected:?}")]
    VerifierMismatch {
        /// The id in the VSA.
        found: String,
        /// The id expected.
        expected: String,
    },
    /// The resource URI differs.
    #[error("VSA resource URI is {found:?}, expected {expected:?}")]
    ResourceUriMismatch {
        /// The URI in the VSA.
        found: String,
        /// The URI expected.
        expected: String,
    },
    /// The VSA records a failed verification.
    #[error("VSA verification result is FAILED")]
    ResultFailed,
    /// An expected level is not verified by the VSA.
    #[error("VSA does not verify level {level:?} (it verifies {})", verified_list(.verified))]
    LevelMissing {
        /// The level expected.
        level: String,
        /// The levels the VSA verifies.
        verified: Vec<String>,
    },
    /// An expected `algorithm:value` digest is not of that form.
    #[error("subject digest {given:?} is not of the form algorithm:value")]
    MalformedDigest {
        /// The text given.
        given: String,
    },
}

/// Parses `algorithm:value` as slsa-verifier's `--subject-digest` does.
pub fn parse_subject_digest(text: &str) -> Result<(String, String), VsaPolicyError> {
    match text.split_once(':') {
        Some((a, v)) if !a.is_empty() && !v.is_empty() => Ok((a.to_owned(), v.to_owned())),
        _ => Err(VsaPolicyError::MalformedDigest {
            given: text.to_owned(),
        }),
    }
}

const BUILD_LEVEL: &str = "SLSA_BUILD_LEVEL_";

fn build_level(level: &str) -> Option<u64> {
    level.strip_prefix(BUILD_LEVEL)?.parse().ok()
}

/// Runs the checks in slsa-verifier's order: subjects, verifier id, resource URI, result, levels.
/// `subjects` is the statement's `subject` array as JSON.
pub fn check_vsa(
    subjects: &serde_json::Value,
    vsa: &VsaV1,
    expected: &VsaExpectations,
) -> Result<(), VsaPolicyError> {
    let empty = Vec::new();
    let subjects = subjects.as_array().unwrap_or(&empty);
    for (algorithm, value) in &expected.subject_digests {
        let found = subjects.iter().any(|s| {
            s.get("digest")
                .and_then(|d| d.get(algorithm))
                .and_then(serde_json::Value::as_str)
                == Some(value.as_str())
        });
        if !found {
            return Err(VsaPolicyError::SubjectMismatch {
                algorithm: algorithm.clone(),
                value: value.clone(),
            });
        }
    }
    if vsa.verifier.id != expected.verifier_id {
        return Err(VsaPolicyError::VerifierMismatch {
            found: vsa.verifier.id.clone(),
            expected: expected.verifier_id.clone(),
        });
    }
    if vsa.resource_uri != expected.resource_uri {
        return Err(VsaPolicyError::ResourceUriMismatch {
            found: vsa.resource_uri.clone(),
            expected: expected.resource_uri.clone(),
        });
    }
    if vsa.verification_result != VerificationResult::Passed {
        return Err(VsaPolicyError::ResultFailed);
    }
    let verified_build = vsa.verified_levels.iter().filter_map(|l| build_level(l)).max();
    for level in &expected.verified_levels {
        let met = match build_level(level) {
            Some(n) => verified_build.is_some_and(|v| v >= n),
            None => vsa.verified_levels.contains(level),
        };
        if !met {
            return Err(VsaPolicyError::LevelMissing {
                level: level.clone(),
                verified: vsa.verified_levels.clone(),
            });
        }
    }
    Ok(())
}

/// The levels a VSA verifies, for a message: comma-separated, or "none".
fn verified_list(levels: &[String]) -> String {
    if levels.is_empty() {
        "none".to_owned()
    } else {
        levels.join(", ")
    }
}
