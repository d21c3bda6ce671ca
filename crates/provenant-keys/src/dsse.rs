//! Signing DSSE envelopes with [`Signer`]s, and verifying them against trusted keys with a threshold.

use provenant_attest::{Envelope, Signature};

use crate::key::KeyError;
use crate::verify::{PublicKey, Signer};

/// Why an envelope did not verify. Each variant names the check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The threshold is zero or larger than the number of trusted keys.
    #[error("threshold {threshold} is impossible with {keys} trusted key(s)")]
    BadThreshold {
        /// The threshold asked for.
        threshold: usize,
        /// Trusted keys supplied.
        keys: usize,
    },
    /// The envelope carries no signature.
    #[error("envelope has no signatures")]
    NoSignatures,
    /// The payload type is not the one required.
    #[error("payload type is {found:?}, expected {expected:?}")]
    WrongPayloadType {
        /// The payload type found.
        found: String,
        /// The payload type required.
        expected: String,
    },
    /// Fewer distinct trusted keys signed than the threshold requires.
    #[error(
        "signature threshold not met: {verified} of the {threshold} required trusted keys signed the \
         envelope's PAE ({signatures} signature(s) checked against {keys} trusted key(s))"
    )]
    ThresholdNotMet {
        /// Distinct trusted keys whose signature verified.
        verified: usize,
        /// The threshold.
        threshold: usize,
        /// Signatures in the envelope.
        signatures: usize,
        /// Trusted keys supplied.
        keys: usize,
    },
}

/// Appends one signature per signer over the envelope's PAE, each with the signer's key id.
pub fn sign_envelope(envelope: &mut Envelope, signers: &[&dyn Signer]) -> Result<(), KeyError> {
    let pae = envelope.pae();
    for signer in signers {
        let sig = signer.sign(&pae)?;
        envelope.signatures.push(Signature {
            keyid: Some(signer.key_id()?),
            sig,
        });
    }
    Ok(())
}

/// Verifies that at least `threshold` distinct keys of `trusted` signed the envelope's PAE, and that
/// the payload type is `payload_type`.
///
/// `keyid` is an unauthenticated hint and decides nothing: every signature is tried against every
/// trusted key not yet counted, and a key counts once however many of its signatures are present.
/// Returns the trusted keys that verified, in `trusted` order.
pub fn verify_envelope<'k>(
    envelope: &Envelope,
    payload_type: &str,
    trusted: &'k [PublicKey],
    threshold: usize,
) -> Result<Vec<&'k PublicKey>, DsseError> {
    if threshold == 0 || threshold > trusted.len() {
        return Err(DsseError::BadThreshold {
            threshold,
            keys: trusted.len(),
        });
    }
    if envelope.payload_type != payload_type {
        return Err(DsseError::WrongPayloadType {
            found: envelope.payload_type.clone(),
            expected: payload_type.to_owned(),
        });
    }
    if envelope.signatures.is_empty() {
        return Err(DsseError::NoSignatures);
    }
    let pae = envelope.pae();
    let mut signed = vec![false; trusted.len()];
    for signature in &envelope.signatures {
        for (key, done) in trusted.iter().zip(signed.iter_mut()) {
            if !*done && key.verify(&pae, &signature.sig).is_ok() {
                *done = true;
                break;
            }
        }
    }
    let verified: Vec<&PublicKey> = trusted
        .iter()
        .zip(&signed)
        .filter(|(_, s)| **s)
        .map(|(k, _)| k)
        .collect();
    if verified.len() < threshold {
        return Err(DsseError::ThresholdNotMet {
            verified: verified.len(),
            threshold,
            signatures: envelope.signatures.len(),
            keys: trusted.len(),
        });
    }
    Ok(verified)
}
