//! Verification of a Verification Summary Attestation signed with a known key, as slsa-verifier's
//! `verify-vsa` does: a DSSE envelope whose signature carries the expected key id and verifies with the
//! key, then the statement's subject digests, verifier id, resource URI, result and verified levels.

use base64::Engine as _;
use provenant_sigstore::PublicKey;
use provenant_slsa::vsa::{self, VerificationResult, VsaV1};
use serde_json::Value;

/// The largest DSSE envelope read, so a hostile file cannot exhaust memory.
pub const MAX_ENVELOPE_BYTES: usize = 4 << 20;

/// What a VSA must state.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VsaExpectations {
    /// `type:value` digests that must each be a subject digest (slsa-verifier's `--subject-digest`).
    pub subject_digests: Vec<(String, String)>,
    /// The `verifier.id` expected (`--verifier-id`).
    pub verifier_id: Option<String>,
    /// The `resourceUri` expected (`--resource-uri`).
    pub resource_uri: Option<String>,
    /// Levels that must each be among `verifiedLevels` (`--verified-level`); a `SLSA_BUILD_LEVEL_N`
    /// is also met by a higher build level.
    pub verified_levels: Vec<String>,
}

impl VsaExpectations {
    /// Expectations checking nothing beyond the signature and the predicate.
    #[must_use]
    pub fn new() -> VsaExpectations {
        VsaExpectations::default()
    }
}

/// Why a VSA was refused; each variant names the check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VsaError {
    /// The envelope is not a DSSE envelope.
    #[error("envelope: {detail}")]
    Envelope {
        /// Why.
        detail: String,
    },
    /// No signature has the expected key id and verifies with the key.
    #[error(
        "signature check failed: no signature with key id {key_id:?} verifies with the key ({tried} signature(s) tried)"
    )]
    NoValidSignature {
        /// The key id asked for.
        key_id: String,
        /// How many signatures the envelope carries.
        tried: usize,
    },
    /// The payload is not an in-toto statement with a VSA v1 predicate.
    #[error("statement check failed: {detail}")]
    Statement {
        /// Why.
        detail: String,
    },
    /// A subject digest asked for is absent.
    #[error("subject check failed: no subject has digest {algorithm}:{value}")]
    SubjectDigest {
        /// The digest type.
        algorithm: String,
        /// Its value.
        value: String,
    },
    /// The verifier id differs.
    #[error("verifier check failed: the VSA was written by {found:?}, expected {expected:?}")]
    VerifierId {
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// The resource URI differs.
    #[error("resource check failed: the VSA is about {found:?}, expected {expected:?}")]
    ResourceUri {
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// The verification result is FAILED.
    #[error("result check failed: the VSA records verificationResult FAILED")]
    Failed,
    /// A level asked for is not verified.
    #[error("level check failed: {level} is not among the verified levels {found:?}")]
    VerifiedLevel {
        /// The level asked for.
        level: String,
        /// The levels the VSA records.
        found: Vec<String>,
    },
}

/// Verifies a DSSE-enveloped VSA (the JSON of the envelope, one line of a `.jsonl` file) with `key`,
/// requiring the signature's `keyid` to equal `key_id`, then checks `expect`. Returns the predicate.
pub fn verify_vsa(
    envelope: &[u8],
    key: &PublicKey,
    key_id: &str,
    expect: &VsaExpectations,
) -> Result<VsaV1, VsaError> {
    let payload = verified_payload(envelope, key, key_id)?;
    let statement: Value = serde_json::from_slice(&payload).map_err(|e| VsaError::Statement {
        detail: e.to_string(),
    })?;
    let stype = statement.get("_type").and_then(Value::as_str).unwrap_or_default();
    if !crate::STATEMENT_TYPES.contains(&stype) {
        return Err(VsaError::Statement {
            detail: format!("_type {stype:?} is not an in-toto Statement"),
        });
    }
    let ptype = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if ptype != vsa::PREDICATE_TYPE {
        return Err(VsaError::Statement {
            detail: format!("predicateType {ptype:?} is not {}", vsa::PREDICATE_TYPE),
        });
    }
    let predicate = VsaV1::from_json(statement.get("predicate").unwrap_or(&Value::Null)).map_err(|e| {
        VsaError::Statement {
            detail: e.to_string(),
        }
    })?;
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (algorithm, value) in &expect.subject_digests {
        let found = subjects.iter().any(|s| {
            s.get("digest")
                .and_then(|d| d.get(algorithm))
                .and_then(Value::as_str)
                == Some(value.as_str())
        });
        if !found {
            return Err(VsaError::SubjectDigest {
                algorithm: algorithm.clone(),
                value: value.clone(),
            });
        }
    }
    if let Some(expected) = &expect.verifier_id
        && *expected != predicate.verifier.id
    {
        return Err(VsaError::VerifierId {
            expected: expected.clone(),
            found: predicate.verifier.id.clone(),
        });
    }
    if let Some(expected) = &expect.resource_uri
        && *expected != predicate.resource_uri
    {
        return Err(VsaError::ResourceUri {
            expected: expected.clone(),
            found: predicate.resource_uri.clone(),
        });
    }
    if predicate.verification_result != VerificationResult::Passed {
        return Err(VsaError::Failed);
    }
    for level in &expect.verified_levels {
        if !level_met(level, &predicate.verified_levels) {
            return Err(VsaError::VerifiedLevel {
                level: level.clone(),
                found: predicate.verified_levels.clone(),
            });
        }
    }
    Ok(predicate)
}

const BUILD_LEVEL: &str = "SLSA_BUILD_LEVEL_";

fn level_met(level: &str, found: &[String]) -> bool {
    if found.iter().any(|f| f == level) {
        return true;
    }
    let Some(want) = level.strip_prefix(BUILD_LEVEL).and_then(|n| n.parse::<u8>().ok()) else {
        return false;
    };
    found
        .iter()
        .filter_map(|f| f.strip_prefix(BUILD_LEVEL).and_then(|n| n.parse::<u8>().ok()))
        .any(|have| have >= want)
}

/// The payload of a DSSE envelope one of whose signatures has `key_id` and verifies with `key`.
fn verified_payload(envelope: &[u8], key: &PublicKey, key_id: &str) -> Result<Vec<u8>, VsaError> {
    if envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(VsaError::Envelope {
            detail: format!(
                "{} bytes, more than the {MAX_ENVELOPE_BYTES} accepted",
                envelope.len()
            ),
        });
    }
    let doc: Value = serde_json::from_slice(envelope).map_err(|e| VsaError::Envelope {
        detail: e.to_string(),
    })?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let field = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| VsaError::Envelope {
                detail: format!("field {name:?} missing or not a string"),
            })
    };
    let payload_type = field("payloadType")?;
    let payload = b64.decode(field("payload")?).map_err(|e| VsaError::Envelope {
        detail: format!("payload is not base64: {e}"),
    })?;
    let signatures = doc
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| VsaError::Envelope {
            detail: "field \"signatures\" missing or not an array".into(),
        })?;
    let pae = crate::pae(payload_type, &payload);
    let verified = !key_id.is_empty()
        && signatures.iter().any(|s| {
            s.get("keyid").and_then(Value::as_str) == Some(key_id)
                && s.get("sig")
                    .and_then(Value::as_str)
                    .and_then(|sig| b64.decode(sig).ok())
                    .is_some_and(|sig| key.verify_signature(&pae, &sig).is_ok())
        });
    if !verified {
        return Err(VsaError::NoValidSignature {
            key_id: key_id.to_owned(),
            tried: signatures.len(),
        });
    }
    Ok(payload)
}
