//! Verifying a key-signed Verification Summary Attestation, as slsa-verifier's `verify-vsa` does:
//! the DSSE signature by the trusted key under the key id the user names, then the VSA's policy checks.

use provenant_attest::Envelope;
use provenant_keys::PublicKey;
use provenant_slsa::PredicateError;
use provenant_slsa::vsa::{self, VsaV1};
use provenant_slsa::vsa_policy::{VsaExpectations, VsaPolicyError, check_vsa};

/// Why a VSA did not verify. Each variant names the failed check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VsaError {
    /// The document is not a DSSE envelope.
    #[error("VSA envelope: {reason}")]
    Envelope {
        /// What is wrong with it.
        reason: String,
    },
    /// No signature carries the trusted key id and verifies with the trusted key.
    #[error(
        "no valid signature: none of the {signatures} signature(s) with key id {key_id:?} verifies with the trusted key"
    )]
    NoValidSignature {
        /// The key id required.
        key_id: String,
        /// Signatures in the envelope.
        signatures: usize,
    },
    /// The payload is not an in-toto statement carrying a VSA v1.
    #[error("VSA statement: {reason}")]
    Statement {
        /// What is wrong with it.
        reason: String,
    },
    /// The VSA predicate is malformed.
    #[error("VSA predicate: {0}")]
    Predicate(#[from] PredicateError),
    /// A policy check failed.
    #[error(transparent)]
    Policy(#[from] VsaPolicyError),
}

/// Verifies `envelope_json` (one DSSE envelope) signed by `key` with key id `key_id`, then checks the
/// VSA against `expected`. slsa-verifier's semantics: only signatures whose `keyid` equals `key_id` are
/// tried, so an empty or different key id finds no valid signature.
pub fn verify_vsa(
    envelope_json: &[u8],
    key: &PublicKey,
    key_id: &str,
    expected: &VsaExpectations,
) -> Result<VsaV1, VsaError> {
    let envelope = Envelope::from_json(envelope_json).map_err(|e| VsaError::Envelope {
        reason: e.to_string(),
    })?;
    let pae = envelope.pae();
    let signed = !key_id.is_empty()
        && envelope
            .signatures
            .iter()
            .any(|s| s.keyid.as_deref() == Some(key_id) && key.verify(&pae, &s.sig).is_ok());
    if !signed {
        return Err(VsaError::NoValidSignature {
            key_id: key_id.to_owned(),
            signatures: envelope.signatures.len(),
        });
    }
    if envelope.payload_type != crate::IN_TOTO_PAYLOAD_TYPE {
        return Err(VsaError::Statement {
            reason: format!("payload type is {:?}", envelope.payload_type),
        });
    }
    // The one statement parser: type, non-empty subjects with well-formed digests, predicate type.
    let statement =
        provenant_attest::Statement::from_json(&envelope.payload).map_err(|e| VsaError::Statement {
            reason: e.to_string(),
        })?;
    if statement.predicate_type != vsa::PREDICATE_TYPE {
        return Err(VsaError::Statement {
            reason: format!(
                "predicateType is {:?}, expected {:?}",
                statement.predicate_type,
                vsa::PREDICATE_TYPE
            ),
        });
    }
    let subjects = serde_json::to_value(&statement.subject).map_err(|e| VsaError::Statement {
        reason: e.to_string(),
    })?;
    let predicate = VsaV1::from_json(&statement.predicate)?;
    check_vsa(&subjects, &predicate, expected)?;
    Ok(predicate)
}
