//! Evidence attached to an image as OCI referrers: attached under the store's best scheme (the
//! referrers API, else the referrers tag index), discovered under every scheme (referrers API, tag
//! index, cosign's tags), and verified under a [`TrustPolicy`].

// `StoreError` is provenant-registry's, large by design (it names the location and digests of what
// failed); that crate allows this lint for the same reason, and boxing it here alone would differ from
// every other caller of the store.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use provenant_digest::{Algorithm, Digest};
use provenant_oci::manifest::{ANNOTATION_TITLE, to_bytes};
use provenant_oci::{Descriptor, ImageManifest, media};
use provenant_registry::referrers::{self, Referrer, Scheme};
use provenant_registry::{FetchedManifest, Store, StoreError};
use provenant_sigstore::Artifact;

use crate::trust::TrustPolicy;
use crate::verify::{Check, EvidenceBundle, EvidenceError, VerifiedSignature, VerifiedStatement};

/// Annotation saying what a sigstore bundle holds (`dsse-envelope` or `message-signature`).
pub const ANNOTATION_BUNDLE_CONTENT: &str = "dev.sigstore.bundle.content";
/// Annotation giving a DSSE bundle's predicate type.
pub const ANNOTATION_PREDICATE_TYPE: &str = "dev.sigstore.bundle.predicateType";

/// Whether a referrer may hold a sigstore bundle: typed as one, or untyped (cosign's legacy tags and
/// some tools leave the artifact type out; its layers then decide).
#[must_use]
pub fn may_hold_bundle(referrer: &Referrer) -> bool {
    referrer
        .descriptor
        .artifact_type
        .as_deref()
        .is_none_or(referrers::is_sigstore_bundle)
}

/// The referrers of `subject`, under every scheme, that may hold a sigstore bundle.
pub fn discover_bundles(store: &dyn Store, subject: &Digest) -> Result<Vec<Referrer>, StoreError> {
    let mut found = referrers::discover(store, subject, None)?;
    found.retain(may_hold_bundle);
    Ok(found)
}

/// Why an attached referrer yields no bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadBundleError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The referrer has no sigstore bundle layer.
    #[error("no sigstore bundle layer")]
    NoBundleLayer,
    /// The layer is not a bundle.
    #[error(transparent)]
    Bundle(#[from] EvidenceError),
}

/// The sigstore bundle a referrer manifest holds (the manifest's and the layer's digests are
/// verified by the store).
pub fn read_bundle(store: &dyn Store, referrer: &Digest) -> Result<EvidenceBundle, ReadBundleError> {
    let layer = referrers::read_layer(store, referrer, referrers::is_sigstore_bundle)?
        .ok_or(ReadBundleError::NoBundleLayer)?;
    Ok(EvidenceBundle::from_json(&layer.bytes)?)
}

/// The names of the schemes a referrer was found under: `referrers-api`, `tag-index`, `cosign-tag`.
#[must_use]
pub fn scheme_names(referrer: &Referrer) -> Vec<&'static str> {
    referrer
        .schemes
        .iter()
        .map(|s| match s {
            Scheme::ReferrersApi => "referrers-api",
            Scheme::TagIndex => "tag-index",
            Scheme::CosignTag => "cosign-tag",
        })
        .collect()
}

/// Pushes `bytes` as the single layer of an artifact of type `media_type` whose subject is
/// `subject`, and makes it discoverable under the store's best scheme. `annotations` go on the
/// manifest (the caller adds the creation time it has, from `SOURCE_DATE_EPOCH`).
pub fn attach_document(
    store: &dyn Store,
    subject: &FetchedManifest,
    bytes: &[u8],
    media_type: &str,
    title: &str,
    annotations: BTreeMap<String, String>,
) -> Result<referrers::Attached, StoreError> {
    let digest = put_small_blob(store, bytes)?;
    put_small_blob(store, media::EMPTY_JSON)?;
    let mut layer = Descriptor::new(media_type, digest, bytes.len() as u64);
    layer.annotations = Some(BTreeMap::from([(ANNOTATION_TITLE.to_owned(), title.to_owned())]));
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(media_type.to_owned()),
        config: Descriptor::empty(),
        layers: vec![layer],
        subject: Some(subject.descriptor()),
        annotations: (!annotations.is_empty()).then_some(annotations),
    };
    referrers::attach(store, &subject.digest, &to_bytes(&manifest), media::OCI_MANIFEST)
}

/// The annotations a sigstore bundle's referrer carries: what it holds and, for a DSSE bundle whose
/// payload is a statement, its predicate type (read from the payload; an annotation routes, it is
/// never trusted).
#[must_use]
pub fn bundle_annotations(bundle: &provenant_sigstore::Bundle) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    match bundle.dsse_payload() {
        Some((_, payload)) => {
            annotations.insert(ANNOTATION_BUNDLE_CONTENT.to_owned(), "dsse-envelope".to_owned());
            if let Ok(statement) = provenant_attest::Statement::from_json(payload) {
                annotations.insert(ANNOTATION_PREDICATE_TYPE.to_owned(), statement.predicate_type);
            }
        }
        None => {
            annotations.insert(
                ANNOTATION_BUNDLE_CONTENT.to_owned(),
                "message-signature".to_owned(),
            );
        }
    }
    annotations
}

fn put_small_blob(store: &dyn Store, bytes: &[u8]) -> Result<Digest, StoreError> {
    let digest = Algorithm::Sha256.hash_bytes(bytes);
    if store.blob_size(&digest)?.is_none() {
        store.put_blob(&digest, bytes.len() as u64, &mut &bytes[..])?;
    }
    Ok(digest)
}

/// What an attached bundle must be.
#[derive(Debug, Clone, Copy)]
pub enum Want<'a> {
    /// Any signature over the image digest (message signature or DSSE).
    Signature,
    /// A DSSE in-toto attestation, of this predicate type when given.
    Attestation(Option<&'a str>),
}

/// The attached bundle that verified.
#[derive(Debug)]
pub struct Found {
    /// The referrer holding it.
    pub referrer: Referrer,
    /// Its signature.
    pub signature: VerifiedSignature,
    /// Its statement, for [`Want::Attestation`].
    pub statement: Option<VerifiedStatement>,
}

/// An attached bundle that did not verify, and why.
#[derive(Debug)]
pub struct Rejected {
    /// The referrer.
    pub referrer: Referrer,
    /// The check that failed.
    pub check: Check,
    /// Why.
    pub error: String,
}

/// Tries the bundles attached to `subject` in discovery order; the first that verifies under
/// `policy` (and is what `want` asks for) wins. `Err` lists every candidate's reason (empty when none
/// is attached).
pub fn verify_attached(
    policy: &TrustPolicy,
    store: &dyn Store,
    subject: &Digest,
    want: Want<'_>,
) -> Result<Result<Found, Vec<Rejected>>, StoreError> {
    let candidates = discover_bundles(store, subject)?;
    Ok(verify_referrers(policy, store, subject, &candidates, want))
}

/// [`verify_attached`] over referrers already discovered (promotion's verifier hook is handed them);
/// those that cannot hold a bundle are passed over.
pub fn verify_referrers(
    policy: &TrustPolicy,
    store: &dyn Store,
    subject: &Digest,
    candidates: &[Referrer],
    want: Want<'_>,
) -> Result<Found, Vec<Rejected>> {
    let mut rejected = Vec::new();
    for referrer in candidates.iter().filter(|r| may_hold_bundle(r)) {
        match check_one(policy, store, subject, referrer, want) {
            Ok((signature, statement)) => {
                return Ok(Found {
                    referrer: referrer.clone(),
                    signature,
                    statement,
                });
            }
            Err((check, error)) => rejected.push(Rejected {
                referrer: referrer.clone(),
                check,
                error,
            }),
        }
    }
    Err(rejected)
}

type Checked = (VerifiedSignature, Option<VerifiedStatement>);

fn check_one(
    policy: &TrustPolicy,
    store: &dyn Store,
    subject: &Digest,
    referrer: &Referrer,
    want: Want<'_>,
) -> Result<Checked, (Check, String)> {
    let bundle =
        read_bundle(store, &referrer.descriptor.digest).map_err(|e| (Check::Bundle, e.to_string()))?;
    let fail = |e: EvidenceError| (e.check(), e.to_string());
    match want {
        Want::Signature => Ok((
            policy
                .verify_signature(Artifact::Digest(*subject), &bundle)
                .map_err(fail)?,
            None,
        )),
        Want::Attestation(predicate_type) => {
            let statement = policy
                .verify_statement(subject, &bundle, predicate_type)
                .map_err(fail)?;
            Ok((statement.signature.clone(), Some(statement)))
        }
    }
}
