//! DSSE envelopes logged in Rekor v1 as `intoto/0.0.1` entries, as cosign before v2 attached them to
//! images (`cosign attest`): the envelope, the signing certificate, and the entry's body with its
//! signed entry timestamp (SET), but no inclusion proof.
//!
//! The sigstore-rust verifier does not read this entry kind, so the checks are made here, in the order
//! the other bundles are checked and each with its own error:
//!
//! 1. the SET, with the key of the trusted Rekor log named by the entry, valid at the integrated
//!    time (`SignedEntryTimestamp`, or `UnknownLog`);
//! 2. the integrated time is not in the future (`IntegratedTime`);
//! 3. the certificate chains to a Fulcio authority of the trusted root valid at the integrated time,
//!    with the code-signing usage, and the certificate itself is valid then
//!    (`NoValidCertificateAuthority`, `CertificateNotValidAt`, `CertificateChain`);
//! 4. an embedded SCT from a trusted certificate-transparency log verifies (`Sct`);
//! 5. the DSSE signature verifies with the certificate's key (`Signature`);
//! 6. the entry body is an `intoto/0.0.1` entry (`MalformedEntry`) that records this envelope's
//!    SHA-256, this payload's SHA-256 and this certificate (`EntryMismatch`);
//! 7. the identity policy, and the artefact is a subject of the statement (in [`crate::Verifier`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::bundle::hex_lower;
use crate::error::{ParseError, TimeSource, VerifyError};

/// A Rekor v1 log entry as cosign stores it next to a signature (the `dev.sigstore.cosign/bundle`
/// annotation: `Payload` and `SignedEntryTimestamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekorV1Entry {
    /// The entry body, base64 (standard alphabet, padded) as the log returned it.
    pub body: String,
    /// Seconds since the epoch at which the log integrated the entry.
    pub integrated_time: i64,
    /// The entry's index in the log.
    pub log_index: i64,
    /// The log's id (SHA-256 of its public key), hex.
    pub log_id: String,
    /// The signed entry timestamp, base64.
    pub signed_entry_timestamp: String,
}

/// The parts of an `intoto/0.0.1` attestation that the dependency's bundle model cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IntotoV001 {
    /// The envelope, byte for byte as logged (its SHA-256 is in the entry).
    pub(crate) envelope: Vec<u8>,
    /// The decoded DSSE payload.
    pub(crate) payload: Vec<u8>,
    pub(crate) payload_type: String,
    /// Every signature of the envelope.
    pub(crate) signatures: Vec<Vec<u8>>,
    /// The signing certificate (DER).
    pub(crate) certificate: Vec<u8>,
    /// The entry body, base64 as logged (the SET covers this text).
    pub(crate) body_b64: String,
    pub(crate) body: Vec<u8>,
    pub(crate) integrated_time: i64,
    pub(crate) log_index: i64,
    pub(crate) log_id: [u8; 32],
    pub(crate) set: Vec<u8>,
}

impl IntotoV001 {
    pub(crate) fn new(
        envelope: &[u8],
        certificate: &[u8],
        entry: &RekorV1Entry,
    ) -> Result<IntotoV001, ParseError> {
        let field = |path: &str, reason: &str| ParseError::field("cosign attestation", path, reason);
        let json: Value = serde_json::from_slice(envelope)
            .map_err(|e| ParseError::json("DSSE envelope", String::new(), &e))?;
        let payload_type = json
            .get("payloadType")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| field("dsseEnvelope.payloadType", "is missing or empty"))?
            .to_owned();
        let payload = json
            .get("payload")
            .and_then(Value::as_str)
            .and_then(|p| BASE64.decode(p).ok())
            .ok_or_else(|| field("dsseEnvelope.payload", "is missing or not base64"))?;
        let signatures = json
            .get("signatures")
            .and_then(Value::as_array)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| field("dsseEnvelope.signatures", "is missing or empty"))?
            .iter()
            .map(|s| {
                s.get("sig")
                    .and_then(Value::as_str)
                    .and_then(|sig| BASE64.decode(sig).ok())
                    .ok_or_else(|| field("dsseEnvelope.signatures[].sig", "is missing or not base64"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certificate.is_empty() {
            return Err(field("certificate", "is empty"));
        }
        let body = BASE64
            .decode(&entry.body)
            .map_err(|_| field("tlogEntry.body", "is not base64"))?;
        let log_id: [u8; 32] = hex_decode(&entry.log_id)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| field("tlogEntry.logID", "is not 32 bytes of hex"))?;
        let set = BASE64
            .decode(&entry.signed_entry_timestamp)
            .map_err(|_| field("tlogEntry.signedEntryTimestamp", "is not base64"))?;
        if entry.integrated_time < 0 || entry.log_index < 0 {
            return Err(field(
                "tlogEntry",
                "integratedTime and logIndex must not be negative",
            ));
        }
        Ok(IntotoV001 {
            envelope: envelope.to_vec(),
            payload,
            payload_type,
            signatures,
            certificate: certificate.to_vec(),
            body_b64: entry.body.clone(),
            body,
            integrated_time: entry.integrated_time,
            log_index: entry.log_index,
            log_id,
            set,
        })
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The trust material these checks need, taken from the trusted root once.
pub(crate) struct LegacyTrust {
    pub(crate) rekor_keys: sigstore_crypto::Keyring,
    ct_keys: Vec<(sigstore_crypto::SigningScheme, sigstore_crypto::Keyring)>,
    /// Fulcio certificates as webpki anchors, with their authority's validity window.
    fulcio: Vec<(
        rustls_pki_types::TrustAnchor<'static>,
        Option<sigstore_trust_root::TimeRange>,
    )>,
}

impl LegacyTrust {
    pub(crate) fn new(root: &sigstore_trust_root::TrustedRoot) -> Result<LegacyTrust, VerifyError> {
        use sigstore_crypto::SigningScheme as S;
        let invalid = |detail: String| VerifyError::InvalidTrustedRoot { detail };
        let rekor_keys = root.rekor_keys().map_err(|e| invalid(e.to_string()))?;
        let ct_keys = [
            S::EcdsaP256Sha256,
            S::EcdsaP384Sha384,
            S::RsaPkcs1Sha256,
            S::RsaPkcs1Sha384,
            S::RsaPkcs1Sha512,
        ]
        .into_iter()
        .map(|s| {
            root.ctfe_keys(s)
                .map(|k| (s, k))
                .map_err(|e| invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
        let mut fulcio = Vec::new();
        for ca in &root.certificate_authorities {
            for cert in &ca.cert_chain.certificates {
                let der = rustls_pki_types::CertificateDer::from(cert.raw_bytes.as_bytes());
                let anchor = webpki::anchor_from_trusted_cert(&der)
                    .map_err(|e| invalid(format!("Fulcio certificate: {e}")))?;
                fulcio.push((anchor.to_owned(), ca.valid_for));
            }
        }
        Ok(LegacyTrust {
            rekor_keys,
            ct_keys,
            fulcio,
        })
    }
}

/// The OID of Extended Key Usage `codeSigning` (1.3.6.1.5.5.7.3.3), DER value bytes.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
/// The embedded SCT list extension (RFC 6962 §3.3).
const SCT_LIST_OID: &str = "1.3.6.1.4.1.11129.2.4.2";

/// What the log and certificate checks established.
pub(crate) struct Established {
    pub(crate) integrated_time: jiff::Timestamp,
    pub(crate) certificate: sigstore_crypto::CertificateInfo,
}

/// Checks 1 to 6 (see the module documentation).
pub(crate) fn verify(
    trust: &LegacyTrust,
    entry: &IntotoV001,
    skip_sct: bool,
) -> Result<Established, VerifyError> {
    let time = verify_set(trust, entry)?;
    let not_future = jiff::Timestamp::now();
    if time > not_future {
        return Err(VerifyError::IntegratedTime {
            detail: format!("the entry's integrated time {time} is in the future"),
        });
    }
    let certificate = sigstore_crypto::parse_certificate_info(&sigstore_types::DerCertificate::new(
        entry.certificate.clone(),
    ))
    .map_err(|e| VerifyError::MalformedCertificate {
        detail: e.to_string(),
    })?;
    let issuer_spki = verify_chain(trust, &entry.certificate, &certificate, time)?;
    if !skip_sct {
        verify_sct(trust, &entry.certificate, &issuer_spki)?;
    }
    verify_signature(entry, &certificate)?;
    verify_body(entry)?;
    Ok(Established {
        integrated_time: time,
        certificate,
    })
}

/// The SET: the log's signature over the canonical JSON of `body`, `integratedTime`, `logID` and
/// `logIndex` (keys sorted, no spaces; every value is a number or a base64/hex string, so
/// `serde_json`'s output of a struct with fields in that order is the canonical form).
fn verify_set(trust: &LegacyTrust, entry: &IntotoV001) -> Result<jiff::Timestamp, VerifyError> {
    verify_set_parts(
        trust,
        &SetParts {
            body_b64: &entry.body_b64,
            integrated_time: entry.integrated_time,
            log_id: entry.log_id,
            log_index: entry.log_index,
            set: &entry.set,
        },
    )
}

/// What a Rekor v1 SET signs, and the SET.
pub(crate) struct SetParts<'a> {
    /// The entry body, base64.
    pub(crate) body_b64: &'a str,
    /// Seconds since the epoch.
    pub(crate) integrated_time: i64,
    /// The log's key id (SHA-256 of its key).
    pub(crate) log_id: [u8; 32],
    /// The entry's index in the log.
    pub(crate) log_index: i64,
    /// The log's signature.
    pub(crate) set: &'a [u8],
}

/// The SET of any Rekor v1 entry; returns the integrated time it authenticates.
pub(crate) fn verify_set_parts(
    trust: &LegacyTrust,
    entry: &SetParts<'_>,
) -> Result<jiff::Timestamp, VerifyError> {
    #[derive(serde::Serialize)]
    struct Signed<'a> {
        body: &'a str,
        #[serde(rename = "integratedTime")]
        integrated_time: i64,
        #[serde(rename = "logID")]
        log_id: &'a str,
        #[serde(rename = "logIndex")]
        log_index: i64,
    }
    let log_id = hex_lower(&entry.log_id);
    let key_id = sigstore_types::Sha256Hash::new(entry.log_id);
    let time =
        jiff::Timestamp::from_second(entry.integrated_time).map_err(|e| VerifyError::IntegratedTime {
            detail: format!("integrated time {}: {e}", entry.integrated_time),
        })?;
    if trust.rekor_keys.key(&key_id).is_none() {
        return Err(VerifyError::UnknownLog { log_id });
    }
    let key = trust
        .rekor_keys
        .key_at(&key_id, time)
        .ok_or_else(|| VerifyError::SignedEntryTimestamp {
            detail: format!("the key of log {log_id} was not valid at the integrated time {time}"),
        })?;
    let signed = serde_json::to_vec(&Signed {
        body: entry.body_b64,
        integrated_time: entry.integrated_time,
        log_id: &log_id,
        log_index: entry.log_index,
    })
    .map_err(|e| VerifyError::SignedEntryTimestamp {
        detail: format!("cannot encode the signed payload: {e}"),
    })?;
    key.verify(&signed, &sigstore_types::SignatureBytes::new(entry.set.to_vec()))
        .map_err(|e| VerifyError::SignedEntryTimestamp {
            detail: format!(
                "the log's signature over entry {} does not verify: {e}",
                entry.log_index
            ),
        })?;
    Ok(time)
}

/// The chain to a Fulcio authority valid at `time`; returns the issuer's `SubjectPublicKeyInfo` (for
/// the SCT). Fulcio's intermediates are anchors of the trusted root, so the leaf's issuer is the
/// anchor the path ends at.
pub(crate) fn verify_chain(
    trust: &LegacyTrust,
    der: &[u8],
    info: &sigstore_crypto::CertificateInfo,
    time: jiff::Timestamp,
) -> Result<Vec<u8>, VerifyError> {
    if time < info.not_before || time > info.not_after {
        return Err(VerifyError::CertificateNotValidAt {
            time,
            time_source: TimeSource::IntegratedTime,
            not_before: info.not_before,
            not_after: info.not_after,
        });
    }
    let anchors: Vec<rustls_pki_types::TrustAnchor<'static>> = trust
        .fulcio
        .iter()
        .filter(|(_, window)| window.is_none_or(|w| w.contains(time)))
        .map(|(a, _)| a.clone())
        .collect();
    if anchors.is_empty() {
        return Err(VerifyError::NoValidCertificateAuthority {
            time,
            time_source: TimeSource::IntegratedTime,
        });
    }
    let cert = rustls_pki_types::CertificateDer::from(der);
    let ee = webpki::EndEntityCert::try_from(&cert).map_err(|e| VerifyError::MalformedCertificate {
        detail: format!("the signing certificate: {e}"),
    })?;
    let seconds = u64::try_from(time.as_second()).unwrap_or_default();
    let path = ee
        .verify_for_usage(
            sigstore_crypto::WEBPKI_VERIFICATION_ALGS,
            &anchors,
            &[],
            rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds)),
            webpki::KeyUsage::required(CODE_SIGNING),
            None,
            None,
        )
        .map_err(|e| VerifyError::CertificateChain {
            detail: format!("the certificate does not chain to a trusted Fulcio authority at {time}: {e}"),
        })?;
    Ok(webpki::spki_for_anchor(path.anchor()).as_ref().to_vec())
}

/// Reads a TLS vector with a big-endian length of `len` bytes.
fn tls_vector<'a>(input: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    let (n, rest) = input.split_at_checked(len)?;
    let n = n.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    let (v, rest) = rest.split_at_checked(n)?;
    *input = rest;
    Some(v)
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (v, rest) = input.split_at_checked(n)?;
    *input = rest;
    Some(v)
}

/// One embedded SCT (RFC 6962 §3.2), as much of it as the check needs.
struct Sct<'a> {
    log_id: [u8; 32],
    timestamp: u64,
    extensions: &'a [u8],
    hash: u8,
    signature_algorithm: u8,
    signature: &'a [u8],
}

fn parse_sct(mut s: &[u8]) -> Option<Sct<'_>> {
    let version = take(&mut s, 1)?;
    if version != [0] {
        return None;
    }
    let log_id = <[u8; 32]>::try_from(take(&mut s, 32)?).ok()?;
    let timestamp = u64::from_be_bytes(<[u8; 8]>::try_from(take(&mut s, 8)?).ok()?);
    let extensions = tls_vector(&mut s, 2)?;
    let algs = take(&mut s, 2)?;
    let signature = tls_vector(&mut s, 2)?;
    if !s.is_empty() {
        return None;
    }
    Some(Sct {
        log_id,
        timestamp,
        extensions,
        hash: *algs.first()?,
        signature_algorithm: *algs.get(1)?,
        signature,
    })
}

/// At least one embedded SCT must be signed by a certificate-transparency log of the trusted root
/// over the precertificate (the certificate without its SCT list, issued by `issuer_spki`).
pub(crate) fn verify_sct(trust: &LegacyTrust, der: &[u8], issuer_spki: &[u8]) -> Result<(), VerifyError> {
    use x509_cert::der::{Decode as _, Encode as _};
    let sct_error = |detail: String| VerifyError::Sct { detail };
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| VerifyError::MalformedCertificate {
        detail: e.to_string(),
    })?;
    let mut tbs = cert.tbs_certificate;
    let extensions = tbs
        .extensions
        .as_mut()
        .ok_or_else(|| sct_error("the certificate has no extensions, so no embedded SCT".into()))?;
    let position = extensions
        .iter()
        .position(|e| e.extn_id.to_string() == SCT_LIST_OID)
        .ok_or_else(|| sct_error("the certificate has no embedded SCT".into()))?;
    let list_ext = extensions.remove(position);
    let list = x509_cert::der::asn1::OctetString::from_der(list_ext.extn_value.as_bytes())
        .map_err(|e| sct_error(format!("the SCT list is not an OCTET STRING: {e}")))?;
    let precert = tbs
        .to_der()
        .map_err(|e| sct_error(format!("cannot encode the precertificate: {e}")))?;
    let precert_len = u32::try_from(precert.len())
        .ok()
        .filter(|n| *n < 1 << 24)
        .ok_or_else(|| sct_error("the precertificate is too large".into()))?;
    let issuer_key_hash = sigstore_crypto::sha256(issuer_spki);
    let mut input = list.as_bytes();
    let mut scts = tls_vector(&mut input, 2).ok_or_else(|| sct_error("the SCT list is malformed".into()))?;
    let mut reasons = Vec::new();
    while !scts.is_empty() {
        let raw = tls_vector(&mut scts, 2).ok_or_else(|| sct_error("the SCT list is malformed".into()))?;
        let Some(sct) = parse_sct(raw) else {
            reasons.push("an SCT is malformed or not version 1".to_owned());
            continue;
        };
        let scheme = match (sct.hash, sct.signature_algorithm) {
            (4, 3) => sigstore_crypto::SigningScheme::EcdsaP256Sha256,
            (5, 3) => sigstore_crypto::SigningScheme::EcdsaP384Sha384,
            (4, 1) => sigstore_crypto::SigningScheme::RsaPkcs1Sha256,
            (5, 1) => sigstore_crypto::SigningScheme::RsaPkcs1Sha384,
            (6, 1) => sigstore_crypto::SigningScheme::RsaPkcs1Sha512,
            (h, s) => {
                reasons.push(format!("an SCT uses an unsupported algorithm ({h}, {s})"));
                continue;
            }
        };
        let when = i64::try_from(sct.timestamp / 1000)
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok());
        let key_id = sigstore_types::Sha256Hash::new(sct.log_id);
        let key = trust
            .ct_keys
            .iter()
            .find(|(s, _)| *s == scheme)
            .and_then(|(_, ring)| when.and_then(|t| ring.key_at(&key_id, t)));
        let Some(key) = key else {
            reasons.push(format!(
                "SCT from log {} is from no trusted log valid at its time",
                hex_lower(&sct.log_id)
            ));
            continue;
        };
        let mut signed = Vec::with_capacity(precert.len() + 64);
        signed.extend_from_slice(&[0, 0]); // v1, certificate_timestamp
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]); // precert_entry
        signed.extend_from_slice(issuer_key_hash.as_bytes());
        signed.extend_from_slice(&precert_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&precert);
        let ext_len = u16::try_from(sct.extensions.len()).unwrap_or(u16::MAX);
        signed.extend_from_slice(&ext_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        match key.verify(
            &signed,
            &sigstore_types::SignatureBytes::new(sct.signature.to_vec()),
        ) {
            Ok(()) => return Ok(()),
            Err(e) => reasons.push(format!("SCT from log {}: {e}", hex_lower(&sct.log_id))),
        }
    }
    Err(sct_error(if reasons.is_empty() {
        "the certificate's SCT list is empty".into()
    } else {
        reasons.join("; ")
    }))
}

/// The DSSE signature (any of the envelope's) over PAE(payloadType, payload) with the certificate key.
fn verify_signature(entry: &IntotoV001, info: &sigstore_crypto::CertificateInfo) -> Result<(), VerifyError> {
    let pae = sigstore_types::dsse::pae(&entry.payload_type, &entry.payload);
    let scheme = info.key_algorithm.default_signing_scheme();
    let mut last = None;
    for sig in &entry.signatures {
        match sigstore_crypto::verify_signature(
            &info.public_key,
            &pae,
            &sigstore_types::SignatureBytes::new(sig.clone()),
            scheme,
        ) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e.to_string()),
        }
    }
    Err(VerifyError::Signature {
        detail: format!(
            "no DSSE signature verifies with the certificate's key: {}",
            last.unwrap_or_default()
        ),
    })
}

/// The entry body records this envelope, this payload and this certificate.
fn verify_body(entry: &IntotoV001) -> Result<(), VerifyError> {
    let malformed = |detail: &str| VerifyError::MalformedEntry {
        detail: format!("intoto/0.0.1 entry body: {detail}"),
    };
    let mismatch = |detail: String| VerifyError::EntryMismatch { detail };
    let body: Value = serde_json::from_slice(&entry.body).map_err(|_| malformed("not JSON"))?;
    if body.get("kind").and_then(Value::as_str) != Some("intoto")
        || body.get("apiVersion").and_then(Value::as_str) != Some("0.0.1")
    {
        return Err(malformed("kind and apiVersion are not intoto and 0.0.1"));
    }
    let spec = body.get("spec").ok_or_else(|| malformed("no spec"))?;
    let sha256 = |v: Option<&Value>, what: &str| -> Result<String, VerifyError> {
        let v = v.ok_or_else(|| malformed(&format!("no {what}")))?;
        if v.get("algorithm").and_then(Value::as_str) != Some("sha256") {
            return Err(malformed(&format!("{what} is not a sha256 hash")));
        }
        v.get("value")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| malformed(&format!("{what} has no value")))
    };
    let content = spec.get("content").ok_or_else(|| malformed("no spec.content"))?;
    let logged = sha256(content.get("hash"), "spec.content.hash")?;
    let actual = hex_lower(sigstore_crypto::sha256(&entry.envelope).as_bytes());
    if logged != actual {
        return Err(mismatch(format!(
            "the log entry records envelope sha256:{logged}, the envelope is sha256:{actual}"
        )));
    }
    // Rekor's older releases stored no payloadHash; the envelope's hash above already covers the
    // payload, so an absent one is no gap, and a present one must agree.
    if let Some(payload_hash) = content.get("payloadHash") {
        let logged = sha256(Some(payload_hash), "spec.content.payloadHash")?;
        let actual = hex_lower(sigstore_crypto::sha256(&entry.payload).as_bytes());
        if logged != actual {
            return Err(mismatch(format!(
                "the log entry records payload sha256:{logged}, the payload is sha256:{actual}"
            )));
        }
    }
    let pem = spec
        .get("publicKey")
        .and_then(Value::as_str)
        .and_then(|k| BASE64.decode(k).ok())
        .and_then(|k| String::from_utf8(k).ok())
        .ok_or_else(|| malformed("spec.publicKey is not base64 PEM"))?;
    let logged = sigstore_types::DerCertificate::from_pem(&pem)
        .map_err(|_| mismatch("the log entry records a key that is not a certificate".into()))?;
    if logged.as_bytes() != entry.certificate.as_slice() {
        return Err(mismatch(
            "the log entry records another certificate than the signing certificate".into(),
        ));
    }
    Ok(())
}

/// The entry-consistency check on its own: with real attestations, any change to the body breaks its
/// SET first, so the body's other fields are exercised here.
#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &[u8] = b"stand-in certificate DER";

    fn entry(body: &Value) -> IntotoV001 {
        let envelope = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}"#;
        let body = serde_json::to_vec(body).unwrap();
        let rekor = RekorV1Entry {
            body: BASE64.encode(&body),
            integrated_time: 1,
            log_index: 1,
            log_id: "00".repeat(32),
            signed_entry_timestamp: "AA==".into(),
        };
        IntotoV001::new(envelope, CERTIFICATE, &rekor).unwrap()
    }

    fn body(certificate: &[u8]) -> Value {
        let envelope = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}"#;
        let pem = crate::bundle::pem_encode("CERTIFICATE", certificate);
        serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "intoto",
            "spec": {
                "content": {
                    "hash": { "algorithm": "sha256", "value": hex_lower(sigstore_crypto::sha256(envelope).as_bytes()) },
                    "payloadHash": { "algorithm": "sha256", "value": hex_lower(sigstore_crypto::sha256(b"{}").as_bytes()) },
                },
                "publicKey": BASE64.encode(pem),
            },
        })
    }

    fn check(body: &Value) -> Result<(), VerifyError> {
        verify_body(&entry(body))
    }

    #[test]
    fn a_body_naming_this_envelope_payload_and_certificate_matches() {
        check(&body(CERTIFICATE)).unwrap();
        // Early Rekor entries carry no payloadHash; the envelope's hash covers the payload.
        let mut old = body(CERTIFICATE);
        old["spec"]["content"]
            .as_object_mut()
            .unwrap()
            .remove("payloadHash");
        check(&old).unwrap();
    }

    #[test]
    fn each_field_that_names_something_else_is_a_mismatch() {
        let mut envelope = body(CERTIFICATE);
        envelope["spec"]["content"]["hash"]["value"] = Value::String("ab".repeat(32));
        assert!(
            matches!(check(&envelope), Err(VerifyError::EntryMismatch { detail }) if detail.contains("envelope")),
        );
        let mut payload = body(CERTIFICATE);
        payload["spec"]["content"]["payloadHash"]["value"] = Value::String("ab".repeat(32));
        assert!(
            matches!(check(&payload), Err(VerifyError::EntryMismatch { detail }) if detail.contains("payload")),
        );
        assert!(
            matches!(check(&body(b"another certificate")), Err(VerifyError::EntryMismatch { detail }) if detail.contains("certificate")),
        );
        let mut key = body(CERTIFICATE);
        key["spec"]["publicKey"] =
            Value::String(BASE64.encode(crate::bundle::pem_encode("PUBLIC KEY", b"k")));
        assert!(matches!(check(&key), Err(VerifyError::EntryMismatch { .. })));
    }

    #[test]
    fn other_kinds_and_hashes_are_malformed() {
        let mut kind = body(CERTIFICATE);
        kind["apiVersion"] = Value::String("0.0.2".into());
        assert!(matches!(check(&kind), Err(VerifyError::MalformedEntry { .. })));
        let mut algorithm = body(CERTIFICATE);
        algorithm["spec"]["content"]["hash"]["algorithm"] = Value::String("sha512".into());
        assert!(matches!(
            check(&algorithm),
            Err(VerifyError::MalformedEntry { .. })
        ));
        let mut no_key = body(CERTIFICATE);
        no_key["spec"].as_object_mut().unwrap().remove("publicKey");
        assert!(matches!(check(&no_key), Err(VerifyError::MalformedEntry { .. })));
        assert!(matches!(
            check(&Value::String("x".into())),
            Err(VerifyError::MalformedEntry { .. })
        ));
    }

    #[test]
    fn sct_lists_are_read_within_bounds() {
        let mut sct = vec![0u8];
        sct.extend_from_slice(&[7; 32]);
        sct.extend_from_slice(&1_000u64.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3, 0, 2, 9, 9]);
        let parsed = parse_sct(&sct).unwrap();
        assert_eq!(
            (parsed.timestamp, parsed.hash, parsed.signature_algorithm),
            (1_000, 4, 3)
        );
        assert_eq!(parsed.signature, &[9, 9]);
        for cut in 0..sct.len() {
            assert!(parse_sct(&sct[..cut]).is_none(), "{cut}");
        }
        let mut v2 = sct.clone();
        v2[0] = 1;
        assert!(parse_sct(&v2).is_none());
        let mut input: &[u8] = &[0, 5, 1];
        assert!(tls_vector(&mut input, 2).is_none());
    }
}
