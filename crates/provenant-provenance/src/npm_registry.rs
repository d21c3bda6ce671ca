//! npm registry signatures (`dist.signatures`), what `npm audit signatures` checks: the registry's
//! ECDSA P-256 signature over `NAME@VERSION:INTEGRITY`, with a key of the registry's (`--npm-keys`:
//! the registry's `/-/npm/v1/keys` listing or the sigstore TUF repository's `registry.npmjs.org/keys.json`
//! target, read by [`RegistryKeys`]), valid when the version was published. A package published without
//! provenance has these signatures too, so this is the check that still applies to it.
//!
//! Nothing here does I/O: the caller reads the version document and hashes the tarball.

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use serde_json::Value;

use crate::npm::{ATTESTATION_KEY_USAGE, RegistryKeys};

/// The usage of the keys that sign `dist.signatures`, in the TUF target form of `keys.json`.
pub const SIGNATURE_KEY_USAGE: &str = "npm:signatures";

/// The largest version document accepted, in bytes.
pub const MAX_VERSION_DOCUMENT_BYTES: usize = 4 << 20;

/// The most signatures read from one version.
const MAX_SIGNATURES: usize = 64;

/// One of the registry's signatures of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySignature {
    /// The key id (`SHA256:<base64>`).
    pub key_id: String,
    /// The DER ECDSA signature.
    pub signature: Vec<u8>,
}

/// What the registry says about one version: `{"name", "version", "dist": {"integrity", "signatures":
/// [{"keyid", "sig"}]}}`, as `npm view NAME@VERSION --json` and `GET /NAME/VERSION` give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSignatures {
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The Subresource Integrity string the registry signed (`sha512-<base64>`).
    pub integrity: String,
    /// The signatures.
    pub signatures: Vec<RegistrySignature>,
}

/// A registry signature check failed, or its input is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrySignatureError {
    /// The version document is malformed; `field` is its JSON path.
    #[error("invalid npm version document: field `{field}` {reason}")]
    Malformed {
        /// The JSON path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The version carries no registry signature.
    #[error("registry signature check failed: {name}@{version} has no registry signature (dist.signatures)")]
    Missing {
        /// The package.
        name: String,
        /// The version.
        version: String,
    },
    /// No signature is by a key of the registry's.
    #[error(
        "registry signature check failed: {name}@{version} is signed only by keys not among the npm keys given ({key_ids})"
    )]
    UnknownKeys {
        /// The package.
        name: String,
        /// The version.
        version: String,
        /// The key ids named, comma-separated.
        key_ids: String,
    },
    /// A signature by a registry key does not verify.
    #[error(
        "registry signature check failed: the signature of {name}@{version}:{integrity} by key {key_id} does not verify"
    )]
    Invalid {
        /// The package.
        name: String,
        /// The version.
        version: String,
        /// The integrity string signed.
        integrity: String,
        /// The key.
        key_id: String,
    },
    /// The key had expired (or was not yet valid) when the version was published.
    #[error(
        "registry signature check failed: key {key_id} was not valid when {name}@{version} was published ({published})"
    )]
    KeyNotValid {
        /// The package.
        name: String,
        /// The version.
        version: String,
        /// The key.
        key_id: String,
        /// The publication time.
        published: jiff::Timestamp,
    },
    /// The tarball is not the one the registry signed.
    #[error(
        "registry signature check failed: the tarball's sha512 is {tarball}, the registry signed {integrity}"
    )]
    IntegrityMismatch {
        /// The tarball's digest.
        tarball: Digest,
        /// The integrity string the registry signed.
        integrity: String,
    },
}

fn malformed(field: &str, reason: &str) -> RegistrySignatureError {
    RegistrySignatureError::Malformed {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

impl VersionSignatures {
    /// Reads a version document (bounded, every field named on error).
    pub fn from_json(bytes: &[u8]) -> Result<VersionSignatures, RegistrySignatureError> {
        if bytes.len() > MAX_VERSION_DOCUMENT_BYTES {
            return Err(malformed(
                "",
                &format!("is more than {MAX_VERSION_DOCUMENT_BYTES} bytes"),
            ));
        }
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| malformed("", &format!("is not JSON: {e}")))?;
        let text = |pointer: &str| -> Result<String, RegistrySignatureError> {
            let field = pointer.trim_start_matches('/').replace('/', ".");
            doc.pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| malformed(&field, "is missing or not a non-empty string"))
        };
        let name = text("/name")?;
        let version = text("/version")?;
        let integrity = text("/dist/integrity")?;
        let list = match doc.pointer("/dist/signatures") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(malformed("dist.signatures", "is not an array")),
        };
        if list.len() > MAX_SIGNATURES {
            return Err(malformed(
                "dist.signatures",
                &format!("has more than {MAX_SIGNATURES} entries"),
            ));
        }
        let mut signatures = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let field = |k: &str| format!("dist.signatures[{i}].{k}");
            let key_id = s
                .get("keyid")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&field("keyid"), "is missing or not a string"))?;
            let sig = s
                .get("sig")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&field("sig"), "is missing or not a string"))?;
            let signature = base64::engine::general_purpose::STANDARD
                .decode(sig.as_bytes())
                .map_err(|e| malformed(&field("sig"), &format!("is not base64: {e}")))?;
            signatures.push(RegistrySignature {
                key_id: key_id.to_owned(),
                signature,
            });
        }
        Ok(VersionSignatures {
            name,
            version,
            integrity,
            signatures,
        })
    }

    /// The message the registry signs: `NAME@VERSION:INTEGRITY`.
    #[must_use]
    pub fn message(&self) -> String {
        format!("{}@{}:{}", self.name, self.version, self.integrity)
    }
}

/// What a registry signature check established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRegistrySignature {
    /// The key whose signature verified.
    pub key_id: String,
}

/// Verifies `version`'s registry signatures for the tarball whose sha512 is `tarball`: the integrity
/// the registry signed is the tarball's; every signature by a key of `keys` (usage `npm:signatures`, or
/// a key of the registry's own listing) verifies, with a key valid at `published` when that is known;
/// and at least one such signature exists. Signatures by keys not given are skipped (keys rotate), but
/// do not count.
pub fn verify_registry_signatures(
    keys: &RegistryKeys,
    version: &VersionSignatures,
    tarball: &Digest,
    published: Option<jiff::Timestamp>,
) -> Result<VerifiedRegistrySignature, RegistrySignatureError> {
    if tarball.algorithm() != Algorithm::Sha512 || !integrity_names(&version.integrity, tarball) {
        return Err(RegistrySignatureError::IntegrityMismatch {
            tarball: *tarball,
            integrity: version.integrity.clone(),
        });
    }
    if version.signatures.is_empty() {
        return Err(RegistrySignatureError::Missing {
            name: version.name.clone(),
            version: version.version.clone(),
        });
    }
    let message = version.message();
    let mut verified = None;
    for s in &version.signatures {
        let Some(key) = keys.find(&s.key_id, SIGNATURE_KEY_USAGE).or_else(|| {
            keys.find(&s.key_id, ATTESTATION_KEY_USAGE)
                .filter(|k| k.from_registry_listing)
        }) else {
            continue;
        };
        if let Some(at) = published
            && (key.valid_from.is_some_and(|from| at < from)
                || key.valid_until.is_some_and(|until| at >= until))
        {
            return Err(RegistrySignatureError::KeyNotValid {
                name: version.name.clone(),
                version: version.version.clone(),
                key_id: s.key_id.clone(),
                published: at,
            });
        }
        let invalid = || RegistrySignatureError::Invalid {
            name: version.name.clone(),
            version: version.version.clone(),
            integrity: version.integrity.clone(),
            key_id: s.key_id.clone(),
        };
        let public =
            provenant_keys::PublicKey::from_spki_der(key.public_key.spki_der()).map_err(|_| invalid())?;
        public
            .verify(message.as_bytes(), &s.signature)
            .map_err(|_| invalid())?;
        verified.get_or_insert_with(|| s.key_id.clone());
    }
    match verified {
        Some(key_id) => Ok(VerifiedRegistrySignature { key_id }),
        None => Err(RegistrySignatureError::UnknownKeys {
            name: version.name.clone(),
            version: version.version.clone(),
            key_ids: version
                .signatures
                .iter()
                .map(|s| s.key_id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Whether a Subresource Integrity string names the tarball's sha512 (one of its space-separated
/// hashes).
fn integrity_names(integrity: &str, tarball: &Digest) -> bool {
    let want = base64::engine::general_purpose::STANDARD.encode(tarball.as_bytes());
    integrity
        .split_ascii_whitespace()
        .filter_map(|h| h.strip_prefix("sha512-"))
        .any(|b64| b64.split('?').next() == Some(want.as_str()))
}
