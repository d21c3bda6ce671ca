//! Verifying Google Cloud Build provenance as slsa-verifier's `verify-image` does.
//!
//! The provenance summary's entries are tried in order; the first whose envelope carries a signature
//! that verifies under the key its `keyid` names is the one checked (as slsa-verifier accepts one valid
//! entry, and one valid signature, among invalid ones). A regional `builtByGCB` key signs the SHA-256
//! of the payload; the two global keys sign the DSSE pre-authentication encoding, the
//! `google-hosted-worker` one for SLSA v1.0 statements, the `provenanceSigner` one for v0.1. A `keyid`
//! naming none of them is ignored. Then the checks of [`provenant_slsa::gcb`] run in slsa-verifier's
//! order on the signed statement and the entry that carried it.
//!
//! The public keys are given by the caller ([`GcbKeys`]): Google publishes them through Cloud KMS
//! (`gcloud kms keys versions get-public-key 1 --project verified-builder --keyring attestor
//! --key builtByGCB --location REGION`); nothing is embedded here.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use provenant_digest::{Algorithm, Digest};
use provenant_keys::PublicKey;
use provenant_slsa::gcb::model::{
    GcbStatement, ProvenanceEntry, ProvenanceSummary, RawEnvelope, SummaryError,
};
use provenant_slsa::gcb::{self, GcbPolicyError, KeySelection};
use provenant_slsa::policy::BuilderId;

/// The most keys a key set holds (Cloud Build has a few dozen regions).
pub const MAX_GCB_KEYS: usize = 256;

/// The most provenance entries of a summary that are tried (Artifact Registry returns one per build).
pub const MAX_ENTRIES: usize = 64;

/// The most signatures of one envelope that are tried (Cloud Build signs with one or two keys).
pub const MAX_SIGNATURES: usize = 16;

/// The public keys of Google Cloud Build's signers, by name: a region (`us-west2`, `global`) for the
/// regional `builtByGCB` keys, `global-pae-google-hosted-worker_1` and `global-pae-provenanceSigner_1`
/// for the global ones. These are the file names (without `.key`) slsa-verifier ships them under.
#[derive(Debug, Clone, Default)]
pub struct GcbKeys {
    keys: BTreeMap<String, PublicKey>,
}

/// A key cannot join a [`GcbKeys`] set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GcbKeyError {
    /// The name is not a region or key name (letters, digits, `-` and `_`).
    #[error("GCB key name {name:?} is not a region or key name (letters, digits, '-', '_')")]
    BadName {
        /// The name.
        name: String,
    },
    /// The set already holds [`MAX_GCB_KEYS`] keys.
    #[error("more than {MAX_GCB_KEYS} GCB keys")]
    TooMany,
    /// A key of that name is already in the set.
    #[error("two GCB keys are named {name:?}")]
    Duplicate {
        /// The name.
        name: String,
    },
}

impl GcbKeys {
    /// An empty set.
    #[must_use]
    pub fn new() -> GcbKeys {
        GcbKeys::default()
    }

    /// Adds the key named `name`.
    pub fn insert(&mut self, name: &str, key: PublicKey) -> Result<(), GcbKeyError> {
        let valid = !name.is_empty()
            && name.len() <= 128
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(GcbKeyError::BadName {
                name: name.chars().take(128).collect(),
            });
        }
        if self.keys.len() >= MAX_GCB_KEYS {
            return Err(GcbKeyError::TooMany);
        }
        if self.keys.contains_key(name) {
            return Err(GcbKeyError::Duplicate {
                name: name.to_owned(),
            });
        }
        self.keys.insert(name.to_owned(), key);
        Ok(())
    }

    /// The key named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&PublicKey> {
        self.keys.get(name)
    }

    /// How many keys the set holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What the caller expects of the image's provenance (slsa-verifier's `verify-image` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcbExpectations {
    /// The image manifest's digest (SHA-256), from an immutable reference.
    pub image: Digest,
    /// The expected source, as given (`github.com/ORG/REPO`, `gs://BUCKET/OBJECT`).
    pub source_uri: String,
    /// The expected builder id: [`gcb::BUILDER_NAME`], optionally `@v0.2`/`@v0.3`. `None` accepts any
    /// GCB builder.
    pub builder_id: Option<String>,
    /// The branch, when asked (GCB provenance cannot satisfy it).
    pub branch: Option<String>,
    /// The exact tag, when asked.
    pub tag: Option<String>,
    /// The semantic-version prefix of the tag, when asked.
    pub versioned_tag: Option<String>,
}

/// GCB provenance that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct GcbVerified {
    /// The signed payload (the in-toto statement) exactly as signed.
    pub payload: Vec<u8>,
    /// The verified statement.
    pub statement: GcbStatement,
    /// The provenance's builder id.
    pub builder_id: BuilderId,
    /// The name of the key that verified (a region or a global key name).
    pub key: String,
    /// Which entry of the summary verified (from 0).
    pub entry: usize,
}

/// Why one signature, or one entry, did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFailure {
    /// The entry (from 0).
    pub entry: usize,
    /// The signature within it, when the failure is one signature's.
    pub signature: Option<usize>,
    /// What failed.
    pub reason: String,
}

/// Why GCB provenance did not verify. Each variant names the failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GcbError {
    /// The summary could not be read.
    #[error("provenance summary: {0}")]
    Summary(#[from] SummaryError),
    /// The summary holds no provenance entry.
    #[error("provenance summary: no provenance entry")]
    NoProvenance,
    /// The summary holds more entries than are tried.
    #[error("provenance summary: {entries} provenance entries, more than the {MAX_ENTRIES} tried")]
    TooManyEntries {
        /// Entries in the summary.
        entries: usize,
    },
    /// No entry carries a signature that verifies under the key its key id names.
    #[error("signature: no valid signature in {entries} provenance entr{}{}", if *entries == 1 { "y" } else { "ies" }, describe(failures))]
    NoValidSignature {
        /// Entries tried.
        entries: usize,
        /// What failed, signature by signature (signatures whose key id names no GCB key are not listed).
        failures: Vec<SignatureFailure>,
    },
    /// A check after the signature failed.
    #[error(transparent)]
    Policy(#[from] GcbPolicyError),
}

fn describe(failures: &[SignatureFailure]) -> String {
    if failures.is_empty() {
        return " (no signature names a GCB key)".to_owned();
    }
    let parts: Vec<String> = failures
        .iter()
        .take(8)
        .map(|f| match f.signature {
            Some(s) => format!("entry {} signature {s}: {}", f.entry, f.reason),
            None => format!("entry {}: {}", f.entry, f.reason),
        })
        .collect();
    format!(": {}", parts.join("; "))
}

impl GcbError {
    /// The name of the check that failed: `summary`, `signature`, `builder`, `subject`, `source`,
    /// `metadata`, `image-summary`, `text`, `branch`, `tag`, `versioned-tag`.
    #[must_use]
    pub fn check(&self) -> &'static str {
        match self {
            GcbError::Summary(_) | GcbError::NoProvenance | GcbError::TooManyEntries { .. } => "summary",
            GcbError::NoValidSignature { .. } => "signature",
            GcbError::Policy(p) => match p {
                GcbPolicyError::SubjectMismatch { .. } => "subject",
                GcbPolicyError::EmptySourceUri { .. }
                | GcbPolicyError::SourceWithoutRef { .. }
                | GcbPolicyError::SourceMismatch { .. } => "source",
                GcbPolicyError::WrongKind { .. } | GcbPolicyError::ResourceUriMismatch { .. } => "metadata",
                GcbPolicyError::SummaryDigestMismatch { .. }
                | GcbPolicyError::SummaryQualifiedDigestMismatch { .. } => "image-summary",
                GcbPolicyError::TextMismatch { .. } => "text",
                GcbPolicyError::BranchNotSupported => "branch",
                GcbPolicyError::NoTag { check: "tag", .. } | GcbPolicyError::TagMismatch { .. } => "tag",
                GcbPolicyError::NoTag { .. } | GcbPolicyError::VersionedTag(_) => "versioned-tag",
                GcbPolicyError::InvalidField { field, .. } if field.starts_with("subject") => "subject",
                GcbPolicyError::InvalidField { field, .. } if field.contains("materials") => "source",
                _ => "builder",
            },
        }
    }
}

/// Standard base64 as Go's `StdEncoding` decodes it: padding required, line breaks ignored, trailing
/// bits tolerated.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// URL-safe base64 as Go's `URLEncoding` decodes it.
const GO_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn strip_newlines(s: &str) -> String {
    s.chars().filter(|c| *c != '\n' && *c != '\r').collect()
}

/// Why one signature did not verify (its text is a [`SignatureFailure`]'s reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SignatureProblem {
    /// The signature text is not base64.
    #[error("signature is neither standard nor URL-safe base64")]
    NotBase64,
    /// A key-named signature does not verify over the payload.
    #[error("the signature over the payload does not verify with key {key:?}")]
    Payload {
        /// The key's name.
        key: String,
    },
    /// No signature with a global key's id verifies over the DSSE PAE.
    #[error("no signature over the DSSE PAE verifies with the global key")]
    Pae,
}

/// A signature: standard base64, else URL-safe (DSSE allows either).
fn decode_signature(sig: &str) -> Result<Vec<u8>, SignatureProblem> {
    let s = strip_newlines(sig);
    GO_STD
        .decode(&s)
        .or_else(|_| GO_URL.decode(&s))
        .map_err(|_| SignatureProblem::NotBase64)
}

/// Verifies one entry's signatures; on success returns the statement and the key's name.
fn verify_entry(
    index: usize,
    envelope: &RawEnvelope,
    keys: &GcbKeys,
    failures: &mut Vec<SignatureFailure>,
) -> Option<(Vec<u8>, GcbStatement, String)> {
    let mut fail = |signature, reason: String| {
        failures.push(SignatureFailure {
            entry: index,
            signature,
            reason,
        });
    };
    if envelope.payload_type != gcb::PAYLOAD_TYPE {
        fail(
            None,
            format!(
                "payload type is {:?}, expected {:?}",
                envelope.payload_type.chars().take(100).collect::<String>(),
                gcb::PAYLOAD_TYPE
            ),
        );
        return None;
    }
    let payload = match GO_STD.decode(strip_newlines(&envelope.payload)) {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => {
            fail(None, "the payload is empty".to_owned());
            return None;
        }
        Err(_) => {
            fail(None, "the payload is not standard base64".to_owned());
            return None;
        }
    };
    if envelope.signatures.is_empty() {
        fail(None, "the envelope has no signatures".to_owned());
        return None;
    }
    if envelope.signatures.len() > MAX_SIGNATURES {
        fail(
            None,
            format!(
                "the envelope has {} signatures, more than the {MAX_SIGNATURES} tried",
                envelope.signatures.len()
            ),
        );
        return None;
    }
    // A global key's PAE check covers every signature with its key id, so it runs once per key id.
    let mut pae_checked: BTreeMap<&str, Result<(), SignatureProblem>> = BTreeMap::new();
    for (i, signature) in envelope.signatures.iter().enumerate() {
        let Some(selection) = KeySelection::from_key_id(&signature.keyid) else {
            continue;
        };
        let name = selection.key_name().to_owned();
        let Some(key) = keys.get(&name) else {
            fail(
                Some(i),
                format!(
                    "no GCB public key named {:?} was given",
                    name.chars().take(128).collect::<String>()
                ),
            );
            continue;
        };
        let verified = match &selection {
            KeySelection::GlobalPae { .. } => pae_checked
                .entry(signature.keyid.as_str())
                .or_insert_with(|| verify_pae(envelope, &signature.keyid, &payload, key))
                .clone(),
            _ => decode_signature(&signature.sig).and_then(|sig| {
                key.verify(&payload, &sig)
                    .map_err(|_| SignatureProblem::Payload { key: name.clone() })
            }),
        };
        if let Err(problem) = verified {
            fail(Some(i), problem.to_string());
            continue;
        }
        let parsed = match selection {
            KeySelection::GlobalPae { v1: true, .. } => GcbStatement::parse_v1(&payload),
            _ => GcbStatement::parse_v01(&payload),
        };
        match parsed {
            Ok(statement) => return Some((payload, statement, name)),
            Err(e) => fail(Some(i), format!("signed with key {name:?}, but {e}")),
        }
    }
    None
}

/// A global key signs the PAE. As a DSSE verifier does, every signature with this key id or none is
/// tried; one that is not base64 fails the key.
fn verify_pae(
    envelope: &RawEnvelope,
    keyid: &str,
    payload: &[u8],
    key: &PublicKey,
) -> Result<(), SignatureProblem> {
    let pae = provenant_attest::pae(&envelope.payload_type, payload);
    for candidate in envelope
        .signatures
        .iter()
        .filter(|s| s.keyid.is_empty() || s.keyid == keyid)
    {
        let sig = decode_signature(&candidate.sig)?;
        if key.verify(&pae, &sig).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureProblem::Pae)
}

/// Verifies the signature of the first entry that has a valid one, and returns the entry's index, the
/// payload, the statement and the key's name.
pub fn verify_signatures(
    summary: &ProvenanceSummary,
    keys: &GcbKeys,
) -> Result<(usize, Vec<u8>, GcbStatement, String), GcbError> {
    let entries = &summary.provenance_summary.provenance;
    if entries.is_empty() {
        return Err(GcbError::NoProvenance);
    }
    if entries.len() > MAX_ENTRIES {
        return Err(GcbError::TooManyEntries {
            entries: entries.len(),
        });
    }
    let mut failures = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Some((payload, statement, key)) = verify_entry(i, &entry.envelope, keys, &mut failures) {
            return Ok((i, payload, statement, key));
        }
    }
    Err(GcbError::NoValidSignature {
        entries: entries.len(),
        failures,
    })
}

/// Verifies a provenance summary (`summary_json`) for an image, in slsa-verifier's order: the builder
/// id asked for is a GCB one; the summary parses; a signature verifies; then builder, subject, source,
/// entry metadata, image summary, readable statement, branch, tag and versioned tag.
pub fn verify_gcb(
    summary_json: &[u8],
    keys: &GcbKeys,
    expected: &GcbExpectations,
) -> Result<GcbVerified, GcbError> {
    if let Some(builder) = &expected.builder_id {
        gcb::check_gcb_builder_expected(builder)?;
    }
    if expected.image.algorithm() != Algorithm::Sha256 {
        return Err(GcbError::Policy(GcbPolicyError::InvalidField {
            field: "subject[].digest.sha256",
            reason: "GCB provenance names images by SHA-256 only",
        }));
    }
    let summary = ProvenanceSummary::from_json(summary_json)?;
    let (index, payload, statement, key) = verify_signatures(&summary, keys)?;
    let entry: &ProvenanceEntry = summary
        .provenance_summary
        .provenance
        .get(index)
        .ok_or(GcbError::NoProvenance)?;
    let builder_id = gcb::verify_builder(&statement, expected.builder_id.as_deref())?;
    gcb::verify_subject(&statement, &expected.image)?;
    gcb::verify_source(&statement, &builder_id, &expected.source_uri)?;
    gcb::verify_metadata(entry, &expected.image)?;
    gcb::verify_image_summary(&summary, &expected.image)?;
    gcb::verify_text(entry, &statement)?;
    if let Some(branch) = &expected.branch {
        gcb::verify_branch(&statement, branch)?;
    }
    if let Some(tag) = &expected.tag {
        gcb::verify_tag(&statement, tag)?;
    }
    if let Some(versioned) = &expected.versioned_tag {
        gcb::verify_versioned_tag(&statement, versioned)?;
    }
    Ok(GcbVerified {
        payload,
        statement,
        builder_id,
        key,
        entry: index,
    })
}

/// Why an image reference cannot name the image to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageReferenceError {
    /// The reference does not parse.
    #[error("invalid image reference {reference:?}: {reason}")]
    Malformed {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// The reference has no digest: a tag can be moved, so provenance is verified by digest only.
    #[error("image reference {reference:?} is mutable: give it by digest (IMAGE@sha256:HEX)")]
    Mutable {
        /// The reference.
        reference: String,
    },
    /// The digest is not a SHA-256.
    #[error("image reference {reference:?} has a {algorithm} digest; GCB provenance names images by sha256")]
    NotSha256 {
        /// The reference.
        reference: String,
        /// The algorithm given.
        algorithm: String,
    },
}

/// The image digest of an immutable reference (`[registry/]repository[:tag]@sha256:HEX`), as
/// slsa-verifier's `verify-image` requires before anything else.
pub fn immutable_image_digest(reference: &str) -> Result<Digest, ImageReferenceError> {
    let shown = || reference.chars().take(300).collect::<String>();
    let parsed: provenant_oci::Reference = reference.parse().map_err(
        |e: provenant_oci::ReferenceError| ImageReferenceError::Malformed {
            reference: shown(),
            reason: e.to_string(),
        },
    )?;
    let digest = *parsed
        .digest()
        .ok_or_else(|| ImageReferenceError::Mutable { reference: shown() })?;
    if digest.algorithm() != Algorithm::Sha256 {
        return Err(ImageReferenceError::NotSha256 {
            reference: shown(),
            algorithm: digest.algorithm().name().to_owned(),
        });
    }
    Ok(digest)
}
