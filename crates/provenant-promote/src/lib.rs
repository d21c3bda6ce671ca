//! Promotion by digest: copy an image (a manifest, or an index with every platform manifest), every blob
//! and every referrer — recursively — from one [`Store`] to another, so that every digest is preserved.
//!
//! - Blobs are copied concurrently; a blob the destination has is skipped; within one registry a blob
//!   is mounted from the source repository instead of transferred (falling back to an upload when the
//!   registry declines); across stores it streams from source to destination without touching disk.
//! - Every byte read from the source is verified against its digest while it streams.
//! - Manifests are written children first, by digest, byte for byte; tags are written last, and only
//!   when everything else succeeded, so an interrupted promotion leaves no tag on an incomplete image.
//! - A [`Verifier`] runs on the source before anything is copied, and on the destination before
//!   tagging; a failure copies nothing (or tags nothing).
//! - Promoting again copies nothing.
//!
//! ```
//! use provenant_promote::{NoVerification, PromoteOptions, promote};
//! use provenant_registry::{Store, layout::Layout};
//! use provenant_oci::{ImageManifest, Descriptor, media, manifest::to_bytes};
//!
//! let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
//! let (src, dst) = (Layout::create(a.path())?, Layout::create(b.path())?);
//! src.put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])?;
//! let manifest = ImageManifest { schema_version: 2, media_type: Some(media::OCI_MANIFEST.into()),
//!     artifact_type: Some("application/example".into()), config: Descriptor::empty(), layers: vec![Descriptor::empty()],
//!     subject: None, annotations: None };
//! let digest = src.put_manifest(&to_bytes(&manifest), media::OCI_MANIFEST, None)?.digest;
//! let report = promote(&src, &digest, &dst, &PromoteOptions::default(), &NoVerification)?;
//! assert_eq!(report.digest, digest);
//! assert_eq!(report.blobs_copied, 1);
//! let again = promote(&src, &digest, &dst, &PromoteOptions::default(), &NoVerification)?;
//! assert_eq!((again.blobs_copied, again.manifests_copied), (0, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// `StoreError` carries both digests of a mismatch by value (the cold path, where callers want the values);
// boxing them would only add an allocation to every error.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use provenant_digest::Digest;
use provenant_evidence::SkippedCheck;
use provenant_oci::{Descriptor, ManifestRef, Tag, media};
use provenant_registry::referrers::{self, Scheme};
use provenant_registry::{FetchedManifest, Store, StoreError};
use serde::{Serialize, Serializer};

mod verify;

pub use verify::{
    EvidenceVerifier, NoVerification, RejectedEvidence, Required, VerificationFailed, Verifier,
};

/// Retries of a whole blob copy after a transient failure.
const BLOB_COPY_RETRIES: u32 = 2;

/// Most manifests (images, platform manifests, referrers) one promotion walks.
pub const MAX_MANIFESTS: usize = 10_000;

/// How to promote.
#[derive(Debug, Clone)]
pub struct PromoteOptions {
    /// Tags to write at the destination, last.
    pub tags: Vec<Tag>,
    /// Concurrent blob copies.
    pub concurrency: usize,
    /// Whether to carry referrers (signatures, attestations, SBOMs) along.
    pub referrers: bool,
}

impl Default for PromoteOptions {
    fn default() -> Self {
        PromoteOptions {
            tags: Vec::new(),
            concurrency: 4,
            referrers: true,
        }
    }
}

/// Promotion failed; nothing was tagged at the destination.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PromoteError {
    /// The trust policy refused the source; nothing was copied.
    #[error("source {location}@{digest} failed verification, nothing was copied: {source}")]
    SourceVerification {
        /// The source store.
        location: String,
        /// The subject.
        digest: Digest,
        /// Why.
        #[source]
        source: VerificationFailed,
    },
    /// The trust policy refused the copy at the destination; no tag was written.
    #[error("destination {location}@{digest} failed verification, no tag was written: {source}")]
    DestinationVerification {
        /// The destination store.
        location: String,
        /// The subject.
        digest: Digest,
        /// Why.
        #[source]
        source: VerificationFailed,
    },
    /// Reading, writing or verifying content failed.
    #[error("promotion failed, no tag was written")]
    Store(#[from] StoreError),
    /// The image graph is larger than [`MAX_MANIFESTS`].
    #[error("the image and its referrers hold more than {MAX_MANIFESTS} manifests")]
    TooManyManifests,
}

/// What a promotion did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The promoted digest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Tags written at the destination.
    pub tags: Vec<String>,
    /// Manifests written.
    pub manifests_copied: u64,
    /// Manifests the destination already had.
    pub manifests_skipped: u64,
    /// Blobs streamed from source to destination.
    pub blobs_copied: u64,
    /// Their bytes.
    pub bytes_copied: u64,
    /// Blobs mounted from the source repository (no transfer).
    pub blobs_mounted: u64,
    /// Their bytes.
    pub bytes_mounted: u64,
    /// Blobs the destination already had.
    pub blobs_skipped: u64,
    /// Referrers carried (digests).
    pub referrers: Vec<Digest>,
    /// The checks the verifier skipped by request (`transparency-log`, `sct`), on both sides.
    #[serde(serialize_with = "skipped_names", skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedCheck>,
}

fn skipped_names<S: Serializer>(skipped: &[SkippedCheck], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(skipped.iter().map(|c| c.name()))
}

struct Node {
    fetched: FetchedManifest,
    /// Legacy cosign tag to recreate, for referrers found that way.
    cosign_tag: Option<Tag>,
    /// Subject, for referrers to add to the destination's tag index.
    subject: Option<Digest>,
}

/// Manifests in write order, unique blobs with their sizes, and the referrers found.
type Graph = (Vec<Node>, BTreeMap<Digest, u64>, Vec<Digest>);
/// A manifest to visit: digest, cosign tag, subject, and the fetched manifest once its children are queued.
type StackItem = (Digest, Option<Tag>, Option<Digest>, Option<FetchedManifest>);

/// What the source holds under one manifest digest: the manifest, and what is attached to it (when
/// referrers are carried).
#[derive(Default)]
struct Found {
    manifest: Option<FetchedManifest>,
    referrers: Vec<referrers::Referrer>,
}

/// One question to the source.
#[derive(Clone, Copy)]
enum Question {
    Manifest(Digest),
    Referrers(Digest),
}

/// Runs `f` over `items` on up to `workers` threads; the answers in the order of `items`.
fn parallel<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 || workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicU64::new(0);
    let answers: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers.min(items.len()) {
            scope.spawn(|| {
                loop {
                    let i = usize::try_from(next.fetch_add(1, Ordering::Relaxed)).unwrap_or(usize::MAX);
                    let Some(item) = items.get(i) else { break };
                    let answer = f(item);
                    if let Ok(mut a) = answers.lock() {
                        a.push((i, answer));
                    }
                }
            });
        }
    });
    let mut answers = answers.into_inner().unwrap_or_default();
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

/// Asks the source everything below `root`, breadth first, each level's questions (manifests and
/// their referrers) at once on `workers` threads rather than one round trip after another.
fn ask_source(
    src: &dyn Store,
    root: &Digest,
    tags: Option<&[Tag]>,
    root_referrers: Option<&[referrers::Referrer]>,
    workers: usize,
) -> Result<BTreeMap<Digest, Found>, PromoteError> {
    let mut found: BTreeMap<Digest, Found> = BTreeMap::new();
    let mut level = vec![*root];
    found.insert(*root, Found::default());
    while !level.is_empty() {
        let mut questions = Vec::with_capacity(level.len() * 2);
        for d in &level {
            questions.push(Question::Manifest(*d));
            if tags.is_some() {
                match root_referrers {
                    Some(known) if d == root => {
                        if let Some(f) = found.get_mut(d) {
                            f.referrers = known.to_vec();
                        }
                    }
                    _ => questions.push(Question::Referrers(*d)),
                }
            }
        }
        let answers = parallel(&questions, workers, |q| match q {
            Question::Manifest(d) => src
                .get_manifest(&ManifestRef::Digest(*d))
                .map(|m| (Some(m), Vec::new())),
            Question::Referrers(d) => referrers::discover(src, d, tags).map(|r| (None, r)),
        });
        for (question, answer) in questions.iter().zip(answers) {
            let (manifest, list) = answer?;
            match question {
                Question::Manifest(d) => {
                    if let Some(f) = found.get_mut(d) {
                        f.manifest = manifest;
                    }
                }
                Question::Referrers(d) => {
                    if let Some(f) = found.get_mut(d) {
                        f.referrers = list;
                    }
                }
            }
        }
        let mut next = Vec::new();
        for d in &level {
            let Some(f) = found.get(d) else { continue };
            let children = f
                .manifest
                .iter()
                .flat_map(|m| m.manifest.children().iter().map(|c| c.digest));
            let attached = f.referrers.iter().map(|r| r.descriptor.digest);
            next.extend(children.chain(attached));
        }
        next.sort();
        next.dedup();
        next.retain(|d| !found.contains_key(d));
        for d in &next {
            found.insert(*d, Found::default());
        }
        if found.len() > MAX_MANIFESTS {
            return Err(PromoteError::TooManyManifests);
        }
        level = next;
    }
    Ok(found)
}

/// Walks the graph below `root`: manifests in write order (children before parents, subjects before
/// their referrers) and the unique blobs. The source is asked everything first ([`ask_source`]);
/// the walk itself asks nothing.
/// `tags` is the source's tag list when referrers are carried (`None`: they are not).
/// `root_referrers`, when given, are the root's referrers already discovered (for the verifier): they are
/// not asked for again.
fn walk(
    src: &dyn Store,
    root: &Digest,
    tags: Option<&[Tag]>,
    root_referrers: Option<&[referrers::Referrer]>,
    workers: usize,
) -> Result<Graph, PromoteError> {
    let mut found = ask_source(src, root, tags, root_referrers, workers)?;
    let mut order: Vec<Node> = Vec::new();
    let mut seen: BTreeSet<Digest> = BTreeSet::new();
    let mut blobs: BTreeMap<Digest, u64> = BTreeMap::new();
    let mut referrer_digests = Vec::new();
    // Explicit stack of (digest, cosign tag, subject, expanded?): post-order for children.
    let mut stack: Vec<StackItem> = vec![(*root, None, None, None)];
    while let Some((digest, cosign_tag, subject, fetched)) = stack.pop() {
        if let Some(fetched) = fetched {
            // Children are written; now this manifest, then its referrers.
            let this = fetched.digest;
            order.push(Node {
                fetched,
                cosign_tag,
                subject,
            });
            if tags.is_some() {
                let attached = found
                    .get_mut(&this)
                    .map(|f| std::mem::take(&mut f.referrers))
                    .unwrap_or_default();
                for r in attached {
                    if seen.contains(&r.descriptor.digest) {
                        continue;
                    }
                    referrer_digests.push(r.descriptor.digest);
                    let cosign = if r.schemes.contains(&Scheme::CosignTag) {
                        r.cosign_tag.as_deref().and_then(|t| t.parse().ok())
                    } else {
                        None
                    };
                    let tag_index = r.schemes.iter().any(|s| *s != Scheme::CosignTag);
                    stack.push((r.descriptor.digest, cosign, tag_index.then_some(this), None));
                }
            }
        } else {
            if !seen.insert(digest) {
                continue;
            }
            if seen.len() > MAX_MANIFESTS {
                return Err(PromoteError::TooManyManifests);
            }
            // Every manifest reachable was asked for; one missing here would be a bug, asked again.
            let fetched = match found.get_mut(&digest).and_then(|f| f.manifest.take()) {
                Some(m) => m,
                None => src.get_manifest(&ManifestRef::Digest(digest))?,
            };
            for b in fetched.manifest.blobs() {
                if b.urls.is_none() || !is_foreign(b) {
                    blobs.insert(b.digest, b.size);
                }
            }
            let children: Vec<Descriptor> = fetched.manifest.children().to_vec();
            stack.push((digest, cosign_tag, subject, Some(fetched)));
            for c in children.iter().rev() {
                if !seen.contains(&c.digest) {
                    stack.push((c.digest, None, None, None));
                }
            }
        }
    }
    Ok((order, blobs, referrer_digests))
}

fn is_foreign(d: &Descriptor) -> bool {
    d.media_type.contains("foreign") || d.media_type.contains(".nondistributable.")
}

#[derive(Default)]
struct Counters {
    copied: AtomicU64,
    bytes_copied: AtomicU64,
    mounted: AtomicU64,
    bytes_mounted: AtomicU64,
    skipped: AtomicU64,
}

/// Copies one blob unless the destination has it; whether it lacked it.
fn copy_blob(
    src: &dyn Store,
    dst: &dyn Store,
    digest: &Digest,
    size: u64,
    c: &Counters,
) -> Result<bool, StoreError> {
    if dst.blob_size(digest)?.is_some() {
        c.skipped.fetch_add(1, Ordering::Relaxed);
        return Ok(false);
    }
    if let Some(from) = src.repository()
        && dst.mount_blob(digest, from)?
    {
        c.mounted.fetch_add(1, Ordering::Relaxed);
        c.bytes_mounted.fetch_add(size, Ordering::Relaxed);
        return Ok(true);
    }
    let mut reader = src.open_blob(digest, Some(size))?;
    dst.put_blob(digest, size, &mut reader)?;
    c.copied.fetch_add(1, Ordering::Relaxed);
    c.bytes_copied.fetch_add(size, Ordering::Relaxed);
    Ok(true)
}

/// Blobs at most this large (configs, signatures, attestations, SBOM documents) are copied on extra
/// workers of their own: each costs a few round trips and no bandwidth, so they need not queue behind
/// the layers that fill the `concurrency` workers.
const SMALL_BLOB: u64 = 1 << 20;

/// Most extra workers for small blobs (and never more than twice the `concurrency` workers).
const SMALL_BLOB_WORKERS: usize = 8;

/// Workers for manifest reads and writes: like small blobs, each is a round trip of a few KiB, so they
/// get the `concurrency` workers and the small blobs' extra ones (a subject's six referrers are written
/// in one round, not two); `--jobs 1` still means at most three requests at once.
fn manifest_workers(concurrency: usize) -> usize {
    let general = concurrency.clamp(1, 32);
    general + general.saturating_mul(2).min(SMALL_BLOB_WORKERS)
}

/// Copies the blobs the destination lacks; the digests of those it lacked.
fn copy_blobs(
    src: &dyn Store,
    dst: &dyn Store,
    blobs: &BTreeMap<Digest, u64>,
    concurrency: usize,
    c: &Counters,
) -> Result<BTreeSet<Digest>, StoreError> {
    // Largest first (taken from the back): the long copies start at once and the small ones fill the
    // other workers meanwhile, rather than a large blob starting last and running alone. The small
    // blobs' own workers take them from the front.
    let mut order: Vec<(Digest, u64)> = blobs.iter().map(|(d, s)| (*d, *s)).collect();
    order.sort_by_key(|(d, s)| (*s, std::cmp::Reverse(*d)));
    let small = order.iter().filter(|(_, s)| *s <= SMALL_BLOB).count();
    let queue: Mutex<std::collections::VecDeque<(Digest, u64)>> = Mutex::new(order.into());
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<StoreError>> = Mutex::new(None);
    let lacked: Mutex<BTreeSet<Digest>> = Mutex::new(BTreeSet::new());
    let general = concurrency.clamp(1, 32).min(blobs.len().max(1));
    // As many again as `concurrency` (twice), at most SMALL_BLOB_WORKERS: `--jobs 1` stays gentle on a
    // registry that asks for it.
    let extra = if blobs.len() > general {
        small.min(SMALL_BLOB_WORKERS).min(2 * general)
    } else {
        0
    };
    std::thread::scope(|scope| {
        for worker in 0..general + extra {
            let small_only = worker >= general;
            let (queue, failed, first_error, lacked) = (&queue, &failed, &first_error, &lacked);
            scope.spawn(move || {
                while !failed.load(Ordering::Acquire) {
                    let next = queue.lock().ok().and_then(|mut q| {
                        if small_only {
                            q.front()
                                .is_some_and(|(_, s)| *s <= SMALL_BLOB)
                                .then(|| q.pop_front())
                                .flatten()
                        } else {
                            q.pop_back()
                        }
                    });
                    let Some((digest, size)) = next else { break };
                    // A streamed upload cannot be replayed request by request: retry the whole copy of
                    // a blob on transient failures (never on integrity failures).
                    let mut result = copy_blob(src, dst, &digest, size, c);
                    for attempt in 1..=BLOB_COPY_RETRIES {
                        match &result {
                            Err(e) if e.is_transient() && !failed.load(Ordering::Acquire) => {
                                tracing::info!("copying blob {digest} failed ({e}); retry {attempt}");
                                std::thread::sleep(std::time::Duration::from_millis(200 << attempt));
                                result = copy_blob(src, dst, &digest, size, c);
                            }
                            _ => break,
                        }
                    }
                    match result {
                        Ok(true) => {
                            if let Ok(mut set) = lacked.lock() {
                                set.insert(digest);
                            }
                        }
                        Ok(false) => {}
                        Err(e) => {
                            failed.store(true, Ordering::Release);
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                        }
                    }
                }
            });
        }
    });
    match first_error.into_inner().ok().flatten() {
        Some(e) => Err(e),
        None => Ok(lacked.into_inner().unwrap_or_default()),
    }
}

/// Copies the blobs, then says which manifests the destination already has: one answer per node.
///
/// A manifest one of whose blobs or child manifests the destination lacked is not there (a registry
/// refuses a manifest whose blobs it lacks), so only the others are asked about, at once (a few at a
/// time). Where a registry nonetheless holds such a manifest, writing it again changes nothing. Whether
/// the destination has the referrers API is learnt while the blobs are copied: a registry without it
/// (404) is not asked again once the referrers are written.
fn copy_blobs_asking_manifests(
    src: &dyn Store,
    dst: &dyn Store,
    nodes: &[Node],
    blobs: &BTreeMap<Digest, u64>,
    concurrency: usize,
    counters: &Counters,
) -> Result<Vec<bool>, StoreError> {
    let lacked = std::thread::scope(|scope| {
        if let Some(subject) = nodes.iter().find_map(|n| n.subject) {
            // The answer itself is not used here: the listing is asked for after the writes, and any
            // error reported then.
            scope.spawn(move || drop(dst.referrers_api(&subject)));
        }
        copy_blobs(src, dst, blobs, concurrency, counters)
    })?;
    // `nodes` is in write order: a manifest's children come before it.
    let mut absent: BTreeSet<Digest> = BTreeSet::new();
    let mut ask = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let m = &n.fetched.manifest;
        let lacks = m.blobs().iter().any(|b| lacked.contains(&b.digest))
            || m.children().iter().any(|c| absent.contains(&c.digest));
        if lacks {
            absent.insert(n.fetched.digest);
        } else {
            ask.push(i);
        }
    }
    let answers = parallel(&ask, concurrency.clamp(1, 8), |&i| match nodes.get(i) {
        Some(n) => dst.has_manifest(&n.fetched.digest),
        None => Ok(false),
    });
    let mut present = vec![false; nodes.len()];
    for (&i, answer) in ask.iter().zip(answers) {
        if let Some(slot) = present.get_mut(i) {
            *slot = answer?;
        }
    }
    Ok(present)
}

/// Writes the manifests the destination lacks, children before parents and subjects before their
/// referrers: in waves, each wave's manifests naming only manifests of earlier waves, written at once.
/// Recreates cosign's legacy tags alongside. One answer per node (`None` where it was present).
fn write_manifests(
    dst: &dyn Store,
    nodes: &[Node],
    present: &[bool],
    workers: usize,
) -> Result<Vec<Option<provenant_registry::PutManifest>>, StoreError> {
    let position: BTreeMap<Digest, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.fetched.digest, i))
        .collect();
    // `nodes` is in write order, so every dependency's wave is known before its dependants'.
    let mut wave = vec![0usize; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let deps = n
            .fetched
            .manifest
            .children()
            .iter()
            .map(|c| c.digest)
            .chain(n.subject);
        let w = deps
            .filter_map(|d| position.get(&d))
            .filter(|&&j| j < i)
            .filter_map(|&j| wave.get(j).map(|w| w + 1))
            .max()
            .unwrap_or(0);
        if let Some(slot) = wave.get_mut(i) {
            *slot = w;
        }
    }
    let mut puts: Vec<Option<provenant_registry::PutManifest>> = vec![None; nodes.len()];
    let last = wave.iter().copied().max().unwrap_or(0);
    for current in 0..=last {
        let members: Vec<usize> = (0..nodes.len())
            .filter(|&i| wave.get(i) == Some(&current))
            .collect();
        let answers = parallel(&members, workers, |&i| {
            let (Some(node), Some(&present)) = (nodes.get(i), present.get(i)) else {
                return Ok(None);
            };
            let f = &node.fetched;
            let put = if present {
                None
            } else {
                Some(dst.put_manifest(&f.bytes, &f.media_type, None)?)
            };
            if let Some(tag) = &node.cosign_tag {
                // cosign's legacy attachments live under digest-derived tags: recreate them.
                dst.put_manifest(&f.bytes, &f.media_type, Some(tag))?;
            }
            Ok(put)
        });
        for (&i, answer) in members.iter().zip(answers) {
            if let Some(slot) = puts.get_mut(i) {
                *slot = answer?;
            }
        }
    }
    Ok(puts)
}

/// Promotes `digest` from `src` to `dst`.
pub fn promote(
    src: &dyn Store,
    digest: &Digest,
    dst: &dyn Store,
    options: &PromoteOptions,
    verifier: &dyn Verifier,
) -> Result<Report, PromoteError> {
    // The verifier always sees the referrers, even when they are not carried; one that does not read
    // them is not made to wait for them. The source's tag list is read once, for both.
    let tags = if verifier.needs_referrers() || options.referrers {
        Some(src.tags()?)
    } else {
        None
    };
    let src_referrers = match (&tags, verifier.needs_referrers()) {
        (Some(tags), true) => referrers::discover(src, digest, Some(tags))?,
        _ => Vec::new(),
    };
    verifier
        .verify(src, digest, &src_referrers)
        .map_err(|source| PromoteError::SourceVerification {
            location: src.location(),
            digest: *digest,
            source,
        })?;
    let known = verifier.needs_referrers().then_some(src_referrers.as_slice());
    let workers = manifest_workers(options.concurrency);
    let carried = tags.as_deref().filter(|_| options.referrers);
    let (nodes, blobs, referrer_digests) = walk(src, digest, carried, known, workers)?;
    let counters = Counters::default();
    let present = copy_blobs_asking_manifests(src, dst, &nodes, &blobs, options.concurrency, &counters)?;

    let mut report = Report {
        digest: *digest,
        media_type: String::new(),
        tags: Vec::new(),
        manifests_copied: 0,
        manifests_skipped: 0,
        blobs_copied: 0,
        bytes_copied: 0,
        blobs_mounted: 0,
        bytes_mounted: 0,
        blobs_skipped: 0,
        referrers: referrer_digests,
        skipped: verifier.skipped(),
    };
    let mut root_manifest = None;
    // Referrers to make discoverable at the destination, by subject: each subject's listing (referrers
    // API) is consulted once, and its tag index written once, with all its new entries.
    let mut unindexed: BTreeMap<Digest, Vec<Descriptor>> = BTreeMap::new();
    let puts = write_manifests(dst, &nodes, &present, workers)?;
    for ((node, present), put) in nodes.iter().zip(present).zip(puts) {
        let f = &node.fetched;
        if f.digest == *digest {
            report.media_type.clone_from(&f.media_type);
            root_manifest = Some((f.bytes.clone(), f.media_type.clone()));
        }
        if present {
            report.manifests_skipped += 1;
        } else {
            report.manifests_copied += 1;
        }
        if let Some(subject) = node.subject
            && !put.is_some_and(|p| p.subject_indexed)
        {
            // A referrer the destination did not index itself: make it discoverable there as it was
            // at the source.
            let mut entry = f.descriptor();
            entry.artifact_type = f.manifest.artifact_type().map(str::to_owned);
            entry.annotations = f.manifest.annotations().cloned();
            unindexed.entry(subject).or_default().push(entry);
        }
    }
    for (subject, entries) in &mut unindexed {
        if let Some(listed) = dst.referrers_api(subject)? {
            entries.retain(|e| !listed.iter().any(|d| d.digest == e.digest));
        }
    }
    unindexed.retain(|_, entries| !entries.is_empty());
    referrers::add_to_tag_indexes(dst, &unindexed)?;
    report.blobs_copied = counters.copied.load(Ordering::Relaxed);
    report.bytes_copied = counters.bytes_copied.load(Ordering::Relaxed);
    report.blobs_mounted = counters.mounted.load(Ordering::Relaxed);
    report.bytes_mounted = counters.bytes_mounted.load(Ordering::Relaxed);
    report.blobs_skipped = counters.skipped.load(Ordering::Relaxed);

    let dst_referrers = if verifier.needs_referrers() {
        referrers::discover(dst, digest, None)?
    } else {
        Vec::new()
    };
    verifier
        .verify(dst, digest, &dst_referrers)
        .map_err(|source| PromoteError::DestinationVerification {
            location: dst.location(),
            digest: *digest,
            source,
        })?;
    if let Some((bytes, media_type)) = root_manifest {
        let media_type = if media::is_manifest(&media_type) {
            media_type
        } else {
            media::OCI_MANIFEST.to_owned()
        };
        for tag in &options.tags {
            dst.put_manifest(&bytes, &media_type, Some(tag))?;
            report.tags.push(tag.to_string());
        }
        if options.tags.is_empty() {
            // Untagged, it stays listed where the store keeps a listing (a layout's index.json).
            dst.list_untagged(&Descriptor::new(&media_type, *digest, bytes.len() as u64))?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::manifest_workers;

    #[test]
    fn manifest_requests_get_the_small_blobs_extra_workers_and_jobs_one_stays_gentle() {
        assert_eq!(manifest_workers(0), 3);
        assert_eq!(manifest_workers(1), 3);
        assert_eq!(manifest_workers(4), 12);
        assert_eq!(manifest_workers(32), 40);
        assert_eq!(manifest_workers(usize::MAX), 40);
    }
}
