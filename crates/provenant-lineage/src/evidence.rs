//! The evidence attached to an image, fetched and sorted by what it claims to be. Nothing here is
//! trusted: the claims only route each document to the check that verifies it.

use provenant_digest::{Algorithm, Digest};
use provenant_registry::referrers::{self, Referrer};
use provenant_registry::{Store, StoreError};
use provenant_sigstore::Bundle;
use serde_json::Value;

/// Most referrers of one image read: beyond it, the image is refused rather than read without bound.
pub const MAX_REFERRERS: usize = 4096;

/// Collecting the evidence failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The image has more referrers than are read.
    #[error("{subject} has {found} referrers; at most {MAX_REFERRERS} are read")]
    TooMany {
        /// The image.
        subject: Digest,
        /// How many the store listed.
        found: usize,
    },
}

/// What a DSSE statement claims before it is verified.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Its predicate type.
    pub predicate_type: String,
    /// Its subjects' SHA-256 digests.
    pub subjects: Vec<Digest>,
    /// Its build type, for provenance.
    pub build_type: Option<String>,
}

/// One document attached to the image.
#[derive(Debug)]
pub enum Document {
    /// A sigstore bundle, with what its statement claims when it carries one.
    Bundle {
        /// The bundle.
        bundle: Box<Bundle>,
        /// The claim of its DSSE statement, if any.
        claim: Option<Claim>,
    },
    /// An SBOM (`CycloneDX` or SPDX JSON).
    Sbom {
        /// Its media type.
        media_type: String,
        /// The document.
        document: Value,
    },
    /// Something else (kept for the report).
    Other,
    /// A referrer that could not be read as what it says it is.
    Unreadable {
        /// Why.
        reason: String,
    },
}

/// One referrer and its document.
#[derive(Debug)]
pub struct Evidence {
    /// How it was found.
    pub referrer: Referrer,
    /// What it holds.
    pub document: Document,
}

impl Evidence {
    /// The referrer manifest's digest.
    #[must_use]
    pub fn digest(&self) -> Digest {
        self.referrer.descriptor.digest
    }

    /// The artifact type the referrer declares.
    #[must_use]
    pub fn artifact_type(&self) -> &str {
        self.referrer
            .descriptor
            .artifact_type
            .as_deref()
            .unwrap_or("(no artifact type)")
    }
}

/// What a bundle's statement claims (read by the one statement parser; it only routes the bundle to
/// a check, nothing here is believed).
fn claim(bundle: &Bundle) -> Option<Claim> {
    let (_, payload) = bundle.dsse_payload()?;
    let statement = provenant_attest::Statement::from_json(payload).ok()?;
    let subjects = statement
        .subject
        .iter()
        .flat_map(provenant_attest::ResourceDescriptor::digests)
        .filter(|d| d.algorithm() == Algorithm::Sha256)
        .collect();
    let build_type = statement
        .predicate
        .pointer("/buildDefinition/buildType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Claim {
        predicate_type: statement.predicate_type,
        subjects,
        build_type,
    })
}

fn is_sbom(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.cyclonedx+json")
        || media_type.starts_with("application/spdx+json")
}

fn read_document(store: &dyn Store, referrer: &Referrer) -> Result<Document, StoreError> {
    let layer = referrers::read_layer(store, &referrer.descriptor.digest, |m| {
        referrers::is_sigstore_bundle(m) || is_sbom(m)
    })?;
    let Some(layer) = layer else {
        return Ok(Document::Other);
    };
    if referrers::is_sigstore_bundle(&layer.media_type) {
        return Ok(match Bundle::from_json(&layer.bytes) {
            Ok(bundle) => Document::Bundle {
                claim: claim(&bundle),
                bundle: Box::new(bundle),
            },
            Err(e) => Document::Unreadable {
                reason: format!("the bundle does not parse: {e}"),
            },
        });
    }
    Ok(match serde_json::from_slice(&layer.bytes) {
        Ok(document) => Document::Sbom {
            media_type: layer.media_type,
            document,
        },
        Err(e) => Document::Unreadable {
            reason: format!("the SBOM is not JSON: {e}"),
        },
    })
}

/// Everything attached to `subject`, by every referrer scheme, with its document read (verified
/// against its digest by the store).
pub fn collect(store: &dyn Store, subject: &Digest) -> Result<Vec<Evidence>, EvidenceError> {
    let tags = store.tags()?;
    let found = referrers::discover(store, subject, Some(&tags))?;
    if found.len() > MAX_REFERRERS {
        return Err(EvidenceError::TooMany {
            subject: *subject,
            found: found.len(),
        });
    }
    let mut out = Vec::with_capacity(found.len());
    for referrer in found {
        let document = read_document(store, &referrer)?;
        out.push(Evidence { referrer, document });
    }
    Ok(out)
}
