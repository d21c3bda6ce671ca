//! Referrers: attaching a manifest that names a `subject`, and discovering everything attached to a
//! subject under every scheme — the OCI 1.1 referrers API, the `sha256-<hex>` referrers tag index, and
//! cosign's legacy `sha256-<hex>.sig|.att|.sbom` tags.
//!
//! Where the store has no referrers API, [`attach`] maintains the tag index: it merges its entry into
//! the current index, writes it, then reads it back; if a concurrent writer replaced it without the
//! entry, it merges and writes again, so that concurrent attaches lose no entry. [`add_to_tag_indexes`]
//! does the same for many entries of many subjects at once (promotion): one write per subject, one
//! round of confirmations for all.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

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

/// Adds `entry` to the referrers tag index of `subject` (see [`add_to_tag_indexes`]).
pub fn add_to_tag_index(store: &dyn Store, subject: &Digest, entry: &Descriptor) -> Result<(), StoreError> {
    let entries: BTreeMap<Digest, Vec<Descriptor>> = [(*subject, vec![entry.clone()])].into_iter().collect();
    add_to_tag_indexes(store, &entries)
}

/// Shortest wait between writing a referrers tag index and checking that it kept its entries.
const MIN_CONFIRMATION_PAUSE: Duration = Duration::from_millis(12);
/// Longest such wait.
const MAX_CONFIRMATION_PAUSE: Duration = Duration::from_secs(2);
/// How many times the duration of our own read-and-write of an index the wait lasts: a concurrent writer
/// that read the index before our write landed has written its version well within that.
const CONFIRMATION_PAUSE_FACTOR: u32 = 2;

/// Adds entries to the referrers tag index of each subject: every index is read, merged and written once
/// with all its new entries, then all are confirmed together.
///
/// Where the store can lock its tags (layouts) each read-modify-write runs under the lock and needs no
/// confirmation. Registries offer no compare-and-swap on tags, so there each index is re-read after a
/// pause (of at least [`CONFIRMATION_PAUSE_FACTOR`] times the time our own read and write of it took,
/// since a concurrent writer's read-modify-write takes about as long) and rewritten with whatever it lost,
/// until every entry has survived a check that follows its last write by that pause. Only a writer that
/// read the index before our write can drop our entry, and its write lands within its own
/// read-modify-write time after ours, so one check after the pause sees it; a second check would only
/// lengthen the window the factor already sets. An entry that was already listed before anything was
/// written needs no confirmation (whoever wrote it confirmed it).
pub fn add_to_tag_indexes(
    store: &dyn Store,
    entries: &BTreeMap<Digest, Vec<Descriptor>>,
) -> Result<(), StoreError> {
    if store.tag_lock_is_exclusive() {
        for (subject, list) in entries {
            store.with_tag_lock(&mut || merge_into_tag_index(store, subject, list).map(|_| ()))?;
        }
        return Ok(());
    }
    // Subjects written and not yet confirmed.
    let mut pending: BTreeSet<Digest> = BTreeSet::new();
    let mut slowest = Duration::ZERO;
    for (subject, list) in entries {
        let started = Instant::now();
        if merge_into_tag_index(store, subject, list)? {
            pending.insert(*subject);
        }
        slowest = slowest.max(started.elapsed());
    }
    let mut jitter = Jitter::new();
    for attempt in 0..TAG_INDEX_ATTEMPTS {
        if pending.is_empty() {
            return Ok(());
        }
        // Give concurrent writers time to land (longer as contention shows), then check again that
        // our entries survived. The pause alone is what makes the check safe; the random extra only
        // keeps writers that lost entries from rewriting in lockstep, so it is added once a rewrite
        // has shown contention, not to the first check of an uncontended write.
        let pause = (slowest * CONFIRMATION_PAUSE_FACTOR * (1 + attempt / 2))
            .clamp(MIN_CONFIRMATION_PAUSE, MAX_CONFIRMATION_PAUSE);
        let extra = if attempt == 0 {
            Duration::ZERO
        } else {
            jitter.next(pause / 2)
        };
        std::thread::sleep(pause + extra);
        let subjects: Vec<Digest> = pending.iter().copied().collect();
        for subject in subjects {
            let list = entries.get(&subject).map_or(&[][..], Vec::as_slice);
            let started = Instant::now();
            let wrote = merge_into_tag_index(store, &subject, list)?;
            slowest = slowest.max(started.elapsed());
            // Rewritten: what it lost is back, and is confirmed after the next pause.
            if !wrote {
                pending.remove(&subject);
            }
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let tags: Vec<String> = pending.iter().map(|s| referrers_tag(s).to_string()).collect();
    Err(StoreError::Protocol {
        registry: store.location(),
        reason: format!(
            "referrers tag index {} kept losing entries to concurrent writers",
            tags.join(", ")
        ),
    })
}

/// Reads the tag index of `subject` and, when some of `entries` are missing from it, writes it back with
/// them added (in the order given). Returns whether it wrote.
fn merge_into_tag_index(
    store: &dyn Store,
    subject: &Digest,
    entries: &[Descriptor],
) -> Result<bool, StoreError> {
    let tag = referrers_tag(subject);
    let mut index = read_tag_index(store, subject)?.unwrap_or_default();
    let mut added = false;
    for entry in entries {
        if !index.manifests.iter().any(|d| d.digest == entry.digest) {
            index.manifests.push(entry.clone());
            added = true;
        }
    }
    if !added {
        return Ok(false);
    }
    let bytes = to_bytes(&index);
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(StoreError::TooLarge {
            what: format!("referrers tag index {tag}"),
            location: store.location(),
            limit: MAX_MANIFEST_BYTES as u64,
        });
    }
    store.put_manifest(&bytes, media::OCI_INDEX, Some(&tag))?;
    Ok(true)
}

/// Small random extra waits, so that concurrent writers do not check in lockstep.
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        use std::hash::{BuildHasher as _, Hasher as _};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(u64::from(std::process::id()));
        Jitter(hasher.finish() | 1)
    }

    /// A duration between zero and `max`.
    fn next(&mut self, max: Duration) -> Duration {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let micros = u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(1);
        Duration::from_micros(self.0 % micros)
    }
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
/// repository's tag list when already known (it names cosign's legacy tags and the referrers tag
/// index: neither is read unless listed).
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
    let owned;
    let tags = if let Some(t) = tags {
        t
    } else {
        owned = store.tags()?;
        &owned
    };
    // The tag list says whether there is a tag index to read: no round trip for the usual 404.
    if tags.contains(&referrers_tag(subject))
        && let Some(index) = read_tag_index(store, subject)?
    {
        for d in index.manifests {
            merge(&mut out, d, Scheme::TagIndex, None);
        }
    }
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
