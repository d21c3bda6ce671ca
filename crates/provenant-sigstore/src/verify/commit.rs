//! Statements about a git commit in bundles with log evidence or a Fulcio certificate.
//!
//! sigstore-verify binds a DSSE statement only to sha256 or sha512 subjects, and refuses one whose
//! subjects are all `gitCommit` before any check runs. What is signed and logged is the DSSE payload
//! whatever its subjects, so a statement about a commit is verified here with every check the
//! dependency runs for any other bundle, on the same trusted root, and its subject is then matched by
//! the statement matcher every path shares (`check_statement_subjects`):
//!
//! 1. each Rekor v1 `dsse/0.0.1` entry: its SET (the integrated time), its inclusion proof against
//!    its checkpoint and the checkpoint's signature by a log of the trusted root, and its body against
//!    this envelope's payload, signature and certificate or key (unless the log is waived, the body
//!    check runs regardless);
//! 2. keyless: the certificate chain to a Fulcio authority valid at every verified time, code-signing
//!    usage, the SCT (unless waived), the identity policy;
//! 3. the DSSE signature over PAE(payloadType, payload) with the certificate's key or the policy's;
//! 4. the statement has the commit as a `gitCommit` subject.
//!
//! Rekor v2 entries and RFC 3161 timestamps are refused with that reason: they are not checked on
//! this path, and nothing is accepted unchecked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use sigstore_types::{KindVersion, SignatureContent};

use super::{
    Artifact, FulcioExtension, Policy, Verified, Verifier, check_identity, check_inclusion_roots,
    check_statement_subjects,
};
use crate::bundle::{Bundle, hex_lower};
use crate::error::VerifyError;
use crate::intoto_v001::{SetParts, verify_chain, verify_sct, verify_set_parts};

/// Verifies `bundle`, a DSSE statement about `commit`, under `policy` (see the module documentation).
#[allow(clippy::too_many_lines)] // the checks in the order the module documentation lists them
pub(super) fn verify(
    verifier: &Verifier,
    commit: &str,
    bundle: &Bundle,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    let SignatureContent::DsseEnvelope(envelope) = &bundle.inner.content else {
        return Err(VerifyError::UnsupportedBundle {
            detail: format!("a statement about commit {commit} must be a DSSE envelope"),
        });
    };
    if bundle.rfc3161_timestamp_count() > 0 {
        return Err(VerifyError::UnsupportedBundle {
            detail: format!(
                "the statement about commit {commit} carries RFC 3161 timestamps, which are not checked \
                 for a gitCommit subject: sign it with a transparency-log entry instead"
            ),
        });
    }
    let entries = &bundle.inner.verification_material.tlog_entries;
    if entries.is_empty() && !verifier.skip_tlog {
        return Err(VerifyError::InclusionProofMissing {
            detail: "the bundle has no transparency-log entry".into(),
        });
    }
    let certificate = match policy {
        Policy::Identity(_) => {
            let der = bundle
                .signing_certificate_der()
                .ok_or_else(|| VerifyError::MalformedCertificate {
                    detail: "the bundle has no signing certificate".into(),
                })?;
            let info =
                sigstore_crypto::parse_certificate_info(&sigstore_types::DerCertificate::new(der.to_vec()))
                    .map_err(|e| VerifyError::MalformedCertificate {
                    detail: e.to_string(),
                })?;
            Some((der, info))
        }
        Policy::Key(_) => None,
    };
    // 1. The log entries.
    if !verifier.skip_tlog {
        check_inclusion_roots(bundle)?;
    }
    let mut times = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.kind_version != KindVersion::DsseV001 {
            return Err(VerifyError::UnsupportedBundle {
                detail: format!(
                    "log entry {i} is a {} entry: a statement about a commit is verified with Rekor v1 \
                     dsse entries only",
                    entry.kind_version.kind()
                ),
            });
        }
        check_body(i, entry.canonicalized_body.as_bytes(), envelope, bundle, policy)?;
        if verifier.skip_tlog {
            continue;
        }
        let proof = entry
            .inclusion_proof
            .as_ref()
            .ok_or_else(|| VerifyError::InclusionProofMissing {
                detail: format!("log entry {i} has no inclusion proof"),
            })?;
        check_checkpoint(verifier, i, proof)?;
        let promise = entry
            .inclusion_promise
            .as_ref()
            .ok_or_else(|| VerifyError::SignedEntryTimestamp {
                detail: format!("log entry {i} has no SET, the only proof of its integrated time"),
            })?;
        let integrated = entry.integrated_time.ok_or_else(|| VerifyError::IntegratedTime {
            detail: format!("log entry {i} has no integrated time"),
        })?;
        let log_id: [u8; 32] =
            entry
                .log_id
                .key_id
                .as_bytes()
                .try_into()
                .map_err(|_| VerifyError::MalformedEntry {
                    detail: format!("log entry {i}: the log id is not a SHA-256 key id"),
                })?;
        let time = verify_set_parts(
            &verifier.legacy,
            &SetParts {
                body_b64: &entry.canonicalized_body.to_base64(),
                integrated_time: integrated.as_second(),
                log_id,
                log_index: i64::try_from(entry.log_index.get()).unwrap_or(i64::MAX),
                set: promise.signed_entry_timestamp.as_bytes(),
            },
        )?;
        if time > jiff::Timestamp::now() {
            return Err(VerifyError::IntegratedTime {
                detail: format!("log entry {i}: the integrated time {time} is in the future"),
            });
        }
        times.push(time);
    }
    times.sort_unstable();
    times.dedup();
    // 2 and 3. The signer, then the signature.
    let scheme_and_key = match (policy, &certificate) {
        (Policy::Identity(p), Some((der, info))) => {
            if times.is_empty() {
                return Err(VerifyError::NoVerifiedTime {
                    detail: "no SET-authenticated integrated time to check the certificate against".into(),
                });
            }
            let mut issuer_spki = Vec::new();
            for time in &times {
                issuer_spki = verify_chain(&verifier.legacy, der, info, *time)?;
            }
            if !verifier.skip_sct {
                verify_sct(&verifier.legacy, der, &issuer_spki)?;
            }
            let identity = info.identity.as_ref().map(|s| s.as_str().to_owned());
            let extensions: Vec<(FulcioExtension, String)> = FulcioExtension::ALL
                .into_iter()
                .filter_map(|e| e.value(&info.ci_claims).map(|v| (e, v.to_owned())))
                .collect();
            let older = check_identity(p, identity.as_ref(), info.issuer.as_ref(), &extensions)?;
            (
                info.key_algorithm.default_signing_scheme(),
                info.public_key.clone(),
                Some((identity, info.issuer.clone(), extensions, older)),
            )
        }
        (Policy::Key(key), _) => {
            let algorithm =
                sigstore_crypto::KeyAlgorithm::from_spki(&key.der).map_err(|e| VerifyError::PublicKey {
                    detail: e.to_string(),
                })?;
            (algorithm.default_signing_scheme(), key.der.clone(), None)
        }
        (Policy::Identity(_), None) => {
            return Err(VerifyError::MalformedCertificate {
                detail: "the bundle has no signing certificate".into(),
            });
        }
    };
    let (scheme, public_key, signer) = scheme_and_key;
    sigstore_crypto::verify_signature(&public_key, &envelope.pae(), &envelope.signature.sig, scheme)
        .map_err(|e| VerifyError::Signature {
            detail: format!("DSSE signature verification failed: {e}"),
        })?;
    // 4. The subject.
    check_statement_subjects(
        Artifact::GitCommit(commit),
        &envelope.payload_type,
        envelope.payload.as_bytes(),
    )?;
    let (identity, issuer, extensions, older_extensions_used) =
        signer.unwrap_or((None, None, Vec::new(), Vec::new()));
    Ok(Verified {
        identity,
        issuer,
        extensions,
        integrated_time: times.first().copied(),
        verified_times: times,
        log_entries: bundle.log_entries(),
        dsse: Some((
            envelope.payload_type.clone(),
            envelope.payload.as_bytes().to_vec(),
        )),
        older_extensions_used,
    })
}

/// The checkpoint is signed by a log of the trusted root (any key whose hint matches may verify it).
fn check_checkpoint(
    verifier: &Verifier,
    i: usize,
    proof: &sigstore_types::bundle::InclusionProof,
) -> Result<(), VerifyError> {
    let checkpoint = sigstore_types::Checkpoint::from_text(proof.checkpoint.envelope()).map_err(|e| {
        VerifyError::Checkpoint {
            detail: format!("log entry {i}: the checkpoint does not parse: {e}"),
        }
    })?;
    let message = checkpoint.signed_data();
    let now = jiff::Timestamp::now();
    let mut matching_key = false;
    for sig in checkpoint.signatures() {
        for key in verifier.legacy.rekor_keys.keys_by_hint(&sig.key_id, now) {
            matching_key = true;
            if key.verify(message, &sig.signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(VerifyError::Checkpoint {
        detail: if matching_key {
            format!("log entry {i}: no signature on the checkpoint verifies with the log's key")
        } else {
            format!("log entry {i}: the checkpoint is signed by no log of the trusted root")
        },
    })
}

/// The `dsse/0.0.1` body records this payload, this signature and this certificate or key.
fn check_body(
    i: usize,
    body: &[u8],
    envelope: &sigstore_types::DsseEnvelope,
    bundle: &Bundle,
    policy: &Policy,
) -> Result<(), VerifyError> {
    let malformed = |detail: &str| VerifyError::MalformedEntry {
        detail: format!("log entry {i}: dsse/0.0.1 body: {detail}"),
    };
    let mismatch = |detail: String| VerifyError::EntryMismatch {
        detail: format!("log entry {i}: {detail}"),
    };
    let body: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    if body.get("kind").and_then(Value::as_str) != Some("dsse")
        || body.get("apiVersion").and_then(Value::as_str) != Some("0.0.1")
    {
        return Err(malformed("kind and apiVersion are not dsse and 0.0.1"));
    }
    let spec = body.get("spec").ok_or_else(|| malformed("no spec"))?;
    let payload_hash = spec
        .get("payloadHash")
        .ok_or_else(|| malformed("no spec.payloadHash"))?;
    if payload_hash.get("algorithm").and_then(Value::as_str) != Some("sha256") {
        return Err(malformed("spec.payloadHash is not a sha256 hash"));
    }
    let logged = payload_hash
        .get("value")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| malformed("spec.payloadHash has no value"))?;
    let actual = hex_lower(sigstore_crypto::sha256(envelope.payload.as_bytes()).as_bytes());
    if logged != actual {
        return Err(mismatch(format!(
            "the log entry records payload sha256:{logged}, the payload is sha256:{actual}"
        )));
    }
    let signatures = spec
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no spec.signatures"))?;
    let [signature] = signatures.as_slice() else {
        return Err(mismatch(format!(
            "the log entry records {} signatures, the envelope one",
            signatures.len()
        )));
    };
    let logged_sig = signature
        .get("signature")
        .and_then(Value::as_str)
        .and_then(|s| BASE64.decode(s).ok())
        .ok_or_else(|| malformed("a signature is not base64"))?;
    if logged_sig != envelope.signature.sig.as_bytes() {
        return Err(mismatch(
            "the log entry records another signature than the envelope's".into(),
        ));
    }
    let pem = signature
        .get("verifier")
        .and_then(Value::as_str)
        .and_then(|k| BASE64.decode(k).ok())
        .and_then(|k| String::from_utf8(k).ok())
        .ok_or_else(|| malformed("a verifier is not base64 PEM"))?;
    let same = match policy {
        Policy::Identity(_) => sigstore_types::DerCertificate::from_pem(&pem)
            .ok()
            .is_some_and(|c| Some(c.as_bytes()) == bundle.signing_certificate_der()),
        Policy::Key(key) => sigstore_types::DerPublicKey::from_pem(&pem)
            .ok()
            .is_some_and(|k| k.as_bytes() == key.der.as_bytes()),
    };
    if !same {
        return Err(mismatch(
            "the log entry records another verifier than the bundle's certificate or the trusted key".into(),
        ));
    }
    Ok(())
}
