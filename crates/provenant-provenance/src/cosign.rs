//! Attestations as cosign attaches them to an image (`cosign attest`, the `.att` manifest): each layer
//! is a DSSE envelope, and its annotations carry the signing certificate
//! (`dev.sigstore.cosign/certificate`) and the Rekor entry with its signed entry timestamp
//! (`dev.sigstore.cosign/bundle`). [`bundle_from_cosign_layer`] turns one layer into the sigstore
//! bundle (v0.1) that says the same, so that the trust core verifies it like any other: certificate
//! chain at the integrated time, SET, entry consistency and the DSSE signature. Layers logged as
//! Rekor `intoto/0.0.1` entries (cosign before v2) become bundles of that kind
//! ([`Bundle::from_cosign_intoto_v001`]), which the trust core checks the same way.

use std::collections::BTreeMap;

use base64::Engine as _;
use provenant_sigstore::Bundle;
use serde_json::{Value, json};

/// The annotation holding the PEM signing certificate.
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the Rekor entry and its signed entry timestamp.
pub const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The media type of an attestation layer.
pub const DSSE_LAYER_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// Why a cosign attestation layer cannot be read as a sigstore bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CosignLayerError {
    /// An annotation is missing.
    #[error("cosign attestation layer has no {annotation} annotation")]
    MissingAnnotation {
        /// The annotation.
        annotation: &'static str,
    },
    /// An annotation or the envelope is malformed.
    #[error("cosign attestation layer: {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The bundle built from the layer is not one the trust core reads (e.g. an unsupported Rekor
    /// entry kind).
    #[error("cosign attestation layer as a sigstore bundle: {0}")]
    Bundle(String),
}

fn malformed(what: &'static str, reason: impl std::fmt::Display) -> CosignLayerError {
    CosignLayerError::Malformed {
        what,
        reason: reason.to_string(),
    }
}

fn get<'a>(
    annotations: &'a BTreeMap<String, String>,
    key: &'static str,
) -> Result<&'a str, CosignLayerError> {
    annotations
        .get(key)
        .map(String::as_str)
        .ok_or(CosignLayerError::MissingAnnotation { annotation: key })
}

/// A JSON integer, or a string of one, as text (Rekor writes numbers; bundles want strings).
fn integer_text(v: Option<&Value>, what: &'static str) -> Result<String, CosignLayerError> {
    match v {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(s.clone()),
        _ => Err(malformed(what, "not a non-negative integer")),
    }
}

/// A JSON integer, or a string of one, as a number.
fn integer(v: Option<&Value>, what: &'static str) -> Result<i64, CosignLayerError> {
    integer_text(v, what)?
        .parse()
        .map_err(|_| malformed(what, "is out of range"))
}

/// The sigstore bundle v0.1 equivalent of one cosign attestation layer: `envelope` is the layer's
/// content (a DSSE envelope), `annotations` the layer descriptor's annotations.
pub fn bundle_from_cosign_layer(
    envelope: &[u8],
    annotations: &BTreeMap<String, String>,
) -> Result<Bundle, CosignLayerError> {
    let raw_envelope = envelope;
    let envelope: Value = serde_json::from_slice(envelope).map_err(|e| malformed("DSSE envelope", e))?;
    let (label, der) = provenant_keys::pem_decode(get(annotations, CERTIFICATE_ANNOTATION)?)
        .map_err(|e| malformed(CERTIFICATE_ANNOTATION, e))?;
    if label != "CERTIFICATE" {
        return Err(malformed(
            CERTIFICATE_ANNOTATION,
            format!("PEM block is {label:?}"),
        ));
    }
    let rekor: Value = serde_json::from_str(get(annotations, REKOR_BUNDLE_ANNOTATION)?)
        .map_err(|e| malformed(REKOR_BUNDLE_ANNOTATION, e))?;
    let payload = rekor
        .get("Payload")
        .ok_or_else(|| malformed(REKOR_BUNDLE_ANNOTATION, "no Payload"))?;
    let set = rekor
        .get("SignedEntryTimestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(REKOR_BUNDLE_ANNOTATION, "no SignedEntryTimestamp"))?;
    let body_b64 = payload
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(REKOR_BUNDLE_ANNOTATION, "no Payload.body"))?;
    let body: Value = base64::engine::general_purpose::STANDARD
        .decode(body_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| malformed(REKOR_BUNDLE_ANNOTATION, "Payload.body is not base64 JSON"))?;
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    let version = body.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let log_id = payload
        .get("logID")
        .and_then(Value::as_str)
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| malformed(REKOR_BUNDLE_ANNOTATION, "Payload.logID is not hex"))?;
    if (kind, version) == ("intoto", "0.0.1") {
        // An entry kind the bundle format's readers do not take: the trust core verifies it from the
        // exact envelope bytes the entry records.
        let entry = provenant_sigstore::RekorV1Entry {
            body: body_b64.to_owned(),
            integrated_time: integer(payload.get("integratedTime"), "Payload.integratedTime")?,
            log_index: integer(payload.get("logIndex"), "Payload.logIndex")?,
            log_id: hex::encode(&log_id),
            signed_entry_timestamp: set.to_owned(),
        };
        return Bundle::from_cosign_intoto_v001(raw_envelope, &der, &entry)
            .map_err(|e| CosignLayerError::Bundle(e.to_string()));
    }
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": { "certificates": [ { "rawBytes": b64(&der) } ] },
            "tlogEntries": [ {
                "logIndex": integer_text(payload.get("logIndex"), "Payload.logIndex")?,
                "logId": { "keyId": b64(&log_id) },
                "kindVersion": { "kind": kind, "version": version },
                "integratedTime": integer_text(payload.get("integratedTime"), "Payload.integratedTime")?,
                "inclusionPromise": { "signedEntryTimestamp": set },
                "canonicalizedBody": body_b64,
            } ],
        },
        "dsseEnvelope": {
            "payloadType": envelope.get("payloadType").cloned().unwrap_or(Value::Null),
            "payload": envelope.get("payload").cloned().unwrap_or(Value::Null),
            "signatures": envelope.get("signatures").cloned().unwrap_or(Value::Null),
        },
    });
    let bytes = serde_json::to_vec(&bundle).map_err(|e| CosignLayerError::Bundle(e.to_string()))?;
    Bundle::from_json(&bytes).map_err(|e| CosignLayerError::Bundle(e.to_string()))
}
