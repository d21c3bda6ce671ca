//! Keyed signing: a v0.3 bundle signed with a local key ([`provenant_keys::SigningKey`]) instead of
//! a Fulcio certificate, the way `cosign sign-blob --key` and model-signing do.
//!
//! The bundle names the key by a hint (the hex SHA-256 of its `SubjectPublicKeyInfo`) and carries no
//! transparency-log entry or timestamp: nothing is sent anywhere. A verifier must therefore be given
//! the public key, and must knowingly accept a signature without a log (`--insecure-ignore-tlog`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use provenant_digest::Algorithm;
use provenant_keys::{KeyKind, SigningKey};
use provenant_sigstore::{Bundle, IN_TOTO_PAYLOAD_TYPE, MEDIA_TYPE_V0_3};

/// Keyed signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyedSignError {
    /// The key could not sign or export its public half.
    #[error(transparent)]
    Key(#[from] provenant_keys::KeyError),
    /// The bundle we built did not parse back: a bug, reported rather than written.
    #[error("internal error: the keyed bundle does not parse: {0}")]
    Bundle(#[from] provenant_sigstore::ParseError),
}

/// The hint a keyed bundle gives for `key`: lowercase hex SHA-256 of its SPKI DER.
pub fn key_hint(key: &SigningKey) -> Result<String, KeyedSignError> {
    Ok(Algorithm::Sha256.hash_bytes(&key.public_key_der()?).hex())
}

fn material(key: &SigningKey) -> Result<serde_json::Value, KeyedSignError> {
    Ok(serde_json::json!({
        "publicKey": { "hint": key_hint(key)? },
        "tlogEntries": [],
        "timestampVerificationData": { "rfc3161Timestamps": [] }
    }))
}

/// Signs an artefact's bytes: a `messageSignature` bundle whose signature is the key's signature over
/// `artifact` and whose message digest uses the hash the key's scheme signs with (SHA-256 for P-256,
/// SHA-384 for P-384, SHA-512 for Ed25519), as verifiers pair them.
pub fn sign_blob(key: &SigningKey, artifact: &[u8]) -> Result<Bundle, KeyedSignError> {
    let signature = key.sign(artifact)?;
    let (name, digest) = match key.kind() {
        KeyKind::EcdsaP384 => ("SHA2_384", sha384(artifact)),
        KeyKind::Ed25519 => (
            "SHA2_512",
            Algorithm::Sha512.hash_bytes(artifact).as_bytes().to_vec(),
        ),
        _ => (
            "SHA2_256",
            Algorithm::Sha256.hash_bytes(artifact).as_bytes().to_vec(),
        ),
    };
    let json = serde_json::json!({
        "mediaType": MEDIA_TYPE_V0_3,
        "verificationMaterial": material(key)?,
        "messageSignature": {
            "messageDigest": { "algorithm": name, "digest": BASE64.encode(digest) },
            "signature": BASE64.encode(signature)
        }
    });
    Ok(Bundle::from_json(json.to_string().as_bytes())?)
}

fn sha384(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, data)
        .as_ref()
        .to_vec()
}

/// The DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>`.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Signs an in-toto statement (its exact bytes) in a DSSE envelope inside a bundle.
pub fn sign_statement(key: &SigningKey, statement: &[u8]) -> Result<Bundle, KeyedSignError> {
    let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))?;
    let json = serde_json::json!({
        "mediaType": MEDIA_TYPE_V0_3,
        "verificationMaterial": material(key)?,
        "dsseEnvelope": {
            "payload": BASE64.encode(statement),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [ { "sig": BASE64.encode(signature), "keyid": "" } ]
        }
    });
    Ok(Bundle::from_json(json.to_string().as_bytes())?)
}
