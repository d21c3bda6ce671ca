//! Referrers: attaching a manifest that names a `subject`, and discovering everything attached to a
//! subject under every scheme — the OCI 1.1 referrers API, the `sha256-<hex>` referrers tag index, and
//! cosign's legacy `sha256-<hex>.sig|.att|.sbom` tags.
//!
//! Where the store has no referrers API, [`attach`] maintains the tag index: it merges its entry into
//! the current index, writes it, then reads it back; if a concurrent writer replaced it without the
//! entry, it merges and writes again, so that concurrent attaches lose no entry.

use std::time::Duration;

use provenant_digest::Digest;
use provenant_oci::manifest::{MAX_MANIFEST_BYTES, to_bytes};
use provenant_oci::{
    CosignKind, Descriptor, ImageIndex, Manifest, ManifestRef, cosign_tag, media, referrers_tag,
};
use serde::Serialize;

use crate::{Store, StoreError};

/// Attempts at writing the referrers tag index before giving up.
const TAG_INDEX_ATTEMPTS: u32 = 20;

/// How a referrer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// The OCI 1.1 referrers API.
    ReferrersApi,
    /// The `sha256-<hex>` referrers tag index.
    TagIndex,
    /// A cosign legacy tag.
    CosignTag,
}

/// One referrer of a subject.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Referrer {
    /// Its descriptor (with `artifactType` and annotations when known).
    pub descriptor: Descriptor,
    /// Every scheme it was found by.
    pub schemes: Vec<Scheme>,
    /// For cosign legacy tags: which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosign_tag: Option<String>,
}

/// What [`attach`] did.
#[derive(Debug, Clone, Copy)]
pub struct Attached {
    /// Digest of the referrer manifest.
    pub digest: Digest,
    /// Whether the store indexed it itself (referrers API); otherwise the tag index was updated.
    pub via_api: bool,
}

/// Pushes a referrer manifest (whose `subject` is `subject`) and makes it discoverable.
pub fn attach(
    store: &dyn Store,
    subject: &Digest,
    bytes: &[u8],
    media_type: &str,
) -> Result<Attached, StoreError> {
    let manifest = Manifest::parse(bytes, Some(media_type)).map_err(|source| StoreError::Manifest {
        what: "referrer".to_owned(),
        location: store.location(),
        source,
    })?;
    let put = store.put_manifest(bytes, media_type, None)?;
    if put.subject_indexed {
        return Ok(Attached {
            digest: put.digest,
            via_api: true,
        });
    }
    // The registry did not say it indexed the subject. If it nonetheless has the API (and lists the new
    // referrer), nothing else is needed.
    if let Some(list) = store.referrers_api(subject)?
        && list.iter().any(|d| d.digest == put.digest)
    {
        return Ok(Attached {
            digest: put.digest,
            via_api: true,
        });
    }
    let mut entry = Descriptor::new(media_type, put.digest, bytes.len() as u64);
    entry.artifact_type = manifest.artifact_type().map(str::to_owned);
    entry.annotations = manifest.annotations().cloned();
    add_to_tag_index(store, subject, &entry)?;
    Ok(Attached {
        digest: put.digest,
        via_api: false,
    })
}

fn read_tag_index(store: &dyn Store, subject: &Digest) -> Result<Option<ImageIndex>, StoreError> {
    match store.get_manifest(&ManifestRef::Tag(referrers_tag(subject))) {
        Ok(fetched) => match fetched.manifest {
            Manifest::Index(index) => Ok(Some(index)),
            Manifest::Image(_) => Err(StoreError::Protocol {
                registry: store.location(),
                reason: format!(
                    "referrers tag {} is an image manifest, not an index",
                    referrers_tag(subject)
                ),
            }),
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds `entry` to the referrers tag index of `subject`.
///
/// Where the store can lock its tags (layouts) the read-modify-write runs under the lock. Registries
/// offer no compare-and-swap on tags, so there the index is written, re-read after a pause, and
/// rewritten until the entry has survived two consecutive checks.
pub fn add_to_tag_index(store: &dyn Store, subject: &Digest, entry: &Descriptor) -> Result<(), StoreError> {
    let tag = referrers_tag(subject);
    let write = |present_ok: bool| -> Result<bool, StoreError> {
        let mut index = read_tag_index(store, subject)?.unwrap_or_default();
        if index.manifests.iter().any(|d| d.digest == entry.digest) {
            return Ok(present_ok);
        }
        index.manifests.push(entry.clone());
        let bytes = to_bytes(&index);
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(StoreError::TooLarge {
                what: format!("referrers tag index {tag}"),
                location: store.location(),
                limit: MAX_MANIFEST_BYTES as u64,
            });
        }
        store.put_manifest(&bytes, media::OCI_INDEX, Some(&tag))?;
        Ok(false)
    };
    if store.tag_lock_is_exclusive() {
        return store.with_tag_lock(&mut || write(true).map(|_| ()));
    }
    let mut confirmations = 0;
    for attempt in 0..TAG_INDEX_ATTEMPTS {
        let present = write(true)?;
        if present && attempt == 0 {
            // Already listed before we wrote anything (an earlier attach or promotion).
            return Ok(());
        }
        confirmations = if present { confirmations + 1 } else { 0 };
        if confirmations >= 2 {
            return Ok(());
        }
        // Give concurrent writers time to land, then check again that our entry survived.
        let jitter = u64::from(entry.digest.as_bytes().first().copied().unwrap_or(0) % 32);
        std::thread::sleep(Duration::from_millis(30 + u64::from(attempt) * 20 + jitter));
    }
    Err(StoreError::Protocol {
        registry: store.location(),
        reason: format!("referrers tag index {tag} kept losing entries to concurrent writers"),
    })
}

fn merge(out: &mut Vec<Referrer>, descriptor: Descriptor, scheme: Scheme, cosign: Option<String>) {
    if let Some(existing) = out.iter_mut().find(|r| r.descriptor.digest == descriptor.digest) {
        if !existing.schemes.contains(&scheme) {
            existing.schemes.push(scheme);
            existing.schemes.sort();
        }
        if existing.descriptor.artifact_type.is_none() {
            existing.descriptor.artifact_type = descriptor.artifact_type;
        }
        if existing.cosign_tag.is_none() {
            existing.cosign_tag = cosign;
        }
        return;
    }
    out.push(Referrer {
        descriptor,
        schemes: vec![scheme],
        cosign_tag: cosign,
    });
}

/// Everything attached directly to `subject`, from every scheme, sorted by digest. `tags` is the
/// repository's tag list when already known (it is needed for cosign's legacy tags).
pub fn discover(
    store: &dyn Store,
    subject: &Digest,
    tags: Option<&[provenant_oci::Tag]>,
) -> Result<Vec<Referrer>, StoreError> {
    let mut out = Vec::new();
    if let Some(list) = store.referrers_api(subject)? {
        for d in list {
            merge(&mut out, d, Scheme::ReferrersApi, None);
        }
    }
    if let Some(index) = read_tag_index(store, subject)? {
        for d in index.manifests {
            merge(&mut out, d, Scheme::TagIndex, None);
        }
    }
    let owned;
    let tags = if let Some(t) = tags {
        t
    } else {
        owned = store.tags()?;
        &owned
    };
    for kind in CosignKind::ALL {
        let tag = cosign_tag(subject, kind);
        if !tags.contains(&tag) {
            continue;
        }
        let fetched = store.get_manifest(&ManifestRef::Tag(tag.clone()))?;
        let mut d = fetched.descriptor();
        d.artifact_type = fetched.manifest.artifact_type().map(str::to_owned);
        d.annotations = fetched.manifest.annotations().cloned();
        merge(&mut out, d, Scheme::CosignTag, Some(tag.to_string()));
    }
    out.sort_by_key(|a| a.descriptor.digest);
    Ok(out)
}

/// Keeps only referrers of an artifact type.
#[must_use]
pub fn filter_artifact_type(referrers: Vec<Referrer>, artifact_type: Option<&str>) -> Vec<Referrer> {
    match artifact_type {
        None => referrers,
        Some(t) => referrers
            .into_iter()
            .filter(|r| r.descriptor.artifact_type.as_deref() == Some(t))
            .collect(),
    }
}

/// Media type prefix of a sigstore bundle (`application/vnd.dev.sigstore.bundle[.v0.3]+json`…).
pub const SIGSTORE_BUNDLE_MEDIA_PREFIX: &str = "application/vnd.dev.sigstore.bundle";

/// Whether a media or artifact type names a sigstore bundle.
#[must_use]
pub fn is_sigstore_bundle(media_type: &str) -> bool {
    media_type.starts_with(SIGSTORE_BUNDLE_MEDIA_PREFIX)
}

/// One layer of a referrer manifest, read.
#[derive(Debug, Clone)]
pub struct AttachedLayer {
    /// The layer's media type.
    pub media_type: String,
    /// Its bytes, verified against its digest and bounded by [`crate::MAX_SMALL_BLOB_BYTES`].
    pub bytes: Vec<u8>,
}

/// Reads the first layer of referrer manifest `referrer` whose media type `accept` takes (a bundle,
/// an SBOM…). `Ok(None)` when the referrer is an index or has no such layer; the manifest and the
/// layer are verified against their digests and the layer's size is bounded.
pub fn read_layer(
    store: &dyn Store,
    referrer: &Digest,
    accept: impl Fn(&str) -> bool,
) -> Result<Option<AttachedLayer>, StoreError> {
    let fetched = store.get_manifest(&ManifestRef::Digest(*referrer))?;
    let Manifest::Image(manifest) = &fetched.manifest else {
        return Ok(None);
    };
    let Some(layer) = manifest.layers.iter().find(|l| accept(&l.media_type)) else {
        return Ok(None);
    };
    let bytes = crate::read_small_blob(store, &layer.digest, Some(layer.size))?;
    Ok(Some(AttachedLayer {
        media_type: layer.media_type.clone(),
        bytes,
    }))
}
