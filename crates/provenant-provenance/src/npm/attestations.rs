//! npm's attestations document (`GET /-/npm/v1/attestations/<name>@<version>`) and the bundles it holds:
//! reading the set into its provenance and publish attestations, and reading a bundle's signed
//! in-toto statement (the digest its signature is bound to, and the statement once verified).

use provenant_digest::{Algorithm, Digest};
use provenant_sigstore::{Bundle, Verified};
use provenant_slsa::{FieldError, Subject};
use serde_json::Value;

use super::checks::{Missing, NpmError, Which};
use crate::parse_statement;

/// The largest attestation set read (the registry's are a few tens of KiB).
pub const MAX_ATTESTATION_SET_BYTES: usize = 4 << 20;

/// The predicate type prefix of npm's publish attestation.
pub const PUBLISH_PREDICATE_PREFIX: &str = "https://github.com/npm/attestation/tree/main/specs/publish/";

/// One attestation of the set, as served.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The predicate type the registry lists for it (checked again in the signed statement).
    pub predicate_type: String,
    /// Its sigstore bundle.
    pub bundle: Bundle,
}

/// The two attestations of an npm package version.
#[derive(Debug, Clone)]
pub struct AttestationSet {
    /// The SLSA provenance.
    pub provenance: Attestation,
    /// npm's publish attestation.
    pub publish: Attestation,
}

impl AttestationSet {
    /// Reads the registry's attestation set: `{"attestations": [{"predicateType", "bundle"}, …]}` with
    /// one SLSA provenance (v0.2 or v1) and one publish attestation; a set without either is
    /// [`NpmError::MissingAttestation`], a failed verification. When a type
    /// appears more than once, the last one is taken, as slsa-verifier does.
    pub fn from_json(bytes: &[u8]) -> Result<AttestationSet, NpmError> {
        let bad = |reason: String| NpmError::Attestations { reason };
        if bytes.len() > MAX_ATTESTATION_SET_BYTES {
            return Err(bad(format!(
                "{} bytes, more than the {MAX_ATTESTATION_SET_BYTES} accepted",
                bytes.len()
            )));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        // A member named twice anywhere (a second `bundle` or `dsseEnvelope`) is refused: the map
        // above kept one of them silently.
        provenant_sigstore::check_unique_keys(bytes, "attestation set").map_err(|e| bad(e.to_string()))?;
        let list = doc
            .get("attestations")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `attestations` array".into()))?;
        let (mut provenance, mut publish) = (None, None);
        for (i, entry) in list.iter().enumerate() {
            let predicate_type = entry
                .get("predicateType")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    bad(format!(
                        "attestations[{i}].predicateType: missing or not a string"
                    ))
                })?;
            let is_provenance = provenant_slsa::PROVENANCE_PREDICATE_TYPES.contains(&predicate_type);
            let is_publish = predicate_type.starts_with(PUBLISH_PREDICATE_PREFIX);
            if !(is_provenance || is_publish) {
                continue;
            }
            let bundle_json = entry
                .get("bundle")
                .ok_or_else(|| bad(format!("attestations[{i}].bundle: missing")))?;
            let raw = serde_json::to_vec(bundle_json).map_err(|e| bad(e.to_string()))?;
            let bundle =
                Bundle::from_json(&raw).map_err(|e| bad(format!("attestations[{i}].bundle: {e}")))?;
            let attestation = Attestation {
                predicate_type: predicate_type.to_owned(),
                bundle,
            };
            if is_provenance {
                provenance = Some(attestation);
            } else {
                publish = Some(attestation);
            }
        }
        let count = list.len();
        match (provenance, publish) {
            (Some(provenance), Some(publish)) => Ok(AttestationSet { provenance, publish }),
            (None, Some(_)) => Err(NpmError::MissingAttestation {
                missing: Missing::Provenance,
                count,
            }),
            (Some(_), None) => Err(NpmError::MissingAttestation {
                missing: Missing::Publish,
                count,
            }),
            (None, None) => Err(NpmError::MissingAttestation {
                missing: Missing::Both,
                count,
            }),
        }
    }
}

/// The digest the signature check binds a bundle to: its statement's first sha512/sha256 subject
/// (the signature covers the whole statement; the tarball is matched against the subjects afterwards).
pub(crate) fn bound_digest(bundle: &Bundle, which: Which) -> Result<Digest, NpmError> {
    let statement_error = |source| NpmError::Statement { which, source };
    let (_, payload) = bundle.dsse_payload().ok_or_else(|| {
        statement_error(FieldError {
            field: "dsseEnvelope".into(),
            reason: format!(
                "the bundle carries {:?}, not a DSSE envelope",
                bundle.content_kind()
            ),
        })
    })?;
    let (_, subjects) = parse_statement(payload).map_err(statement_error)?;
    subjects
        .iter()
        .find_map(|s| {
            s.digest
                .get("sha512")
                .and_then(|h| Digest::from_hex(Algorithm::Sha512, h).ok())
                .or_else(|| {
                    s.digest
                        .get("sha256")
                        .and_then(|h| Digest::from_hex(Algorithm::Sha256, h).ok())
                })
        })
        .ok_or_else(|| {
            statement_error(FieldError {
                field: "subject".into(),
                reason: "no sha512 or sha256 digest".into(),
            })
        })
}

pub(crate) fn statement_of(
    verified: &Verified,
    which: Which,
) -> Result<(String, Value, Vec<Subject>), NpmError> {
    let Some((payload_type, payload)) = &verified.dsse else {
        return Err(NpmError::Statement {
            which,
            source: FieldError {
                field: "dsseEnvelope".into(),
                reason: "missing".into(),
            },
        });
    };
    let (statement, subjects) =
        parse_statement(payload).map_err(|source| NpmError::Statement { which, source })?;
    Ok((payload_type.clone(), statement, subjects))
}
