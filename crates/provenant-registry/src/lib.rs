//! OCI content stores for Provenant, behind one trait ([`Store`]): a repository of a registry spoken to
//! through the distribution API ([`remote::Remote`]), or an OCI image-layout directory ([`layout::Layout`]).
//! Everything read is verified against the digest it was requested by while it streams; a mismatch is a
//! hard error. On top of the trait, [`referrers`] attaches and discovers referrers under every scheme
//! (the OCI 1.1 referrers API, the `sha256-<hex>` referrers tag index and cosign's legacy tags).
//!
//! ```
//! use provenant_registry::{Store, layout::Layout};
//!
//! let dir = tempfile::tempdir()?;
//! let layout = Layout::create(dir.path())?;
//! let digest = provenant_digest::Algorithm::Sha256.hash_bytes(b"hello");
//! layout.put_blob(&digest, 5, &mut &b"hello"[..])?;
//! assert_eq!(layout.blob_size(&digest)?, Some(5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// `StoreError` carries both digests of a mismatch by value (the cold path, where callers want the values);
// boxing them would only add an allocation to every error.
#![allow(clippy::result_large_err)]

pub mod auth;
mod error;
pub mod layout;
pub mod referrers;
pub mod remote;
pub mod verify;

use std::io::Read;

use provenant_digest::Digest;
use provenant_oci::{Descriptor, Manifest, ManifestRef, Repository, Tag};

pub use error::{Deadline, StoreError, TransportError};

/// Largest blob read into memory by [`read_small_blob`] (configs, attached documents).
pub const MAX_SMALL_BLOB_BYTES: u64 = 64 << 20;

/// A manifest as fetched: the exact bytes, their digest (verified), and their media type.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// Digest of `bytes` (checked against the digest requested, or the registry's header for tags).
    pub digest: Digest,
    /// The media type it was served with (or its `mediaType` field).
    pub media_type: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The parsed manifest.
    pub manifest: Manifest,
}

impl FetchedManifest {
    /// A descriptor of this manifest.
    #[must_use]
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(&self.media_type, self.digest, self.bytes.len() as u64)
    }
}

/// What a manifest upload reported.
#[derive(Debug, Clone, Copy)]
pub struct PutManifest {
    /// The digest of the bytes stored.
    pub digest: Digest,
    /// Whether the store indexed the manifest's subject itself (the registry answered with an
    /// `OCI-Subject` header): then no referrers tag index needs to be maintained.
    pub subject_indexed: bool,
}

/// One repository of content: blobs, manifests and tags. Implementations verify every byte they
/// return against the digest it was requested by.
pub trait Store: Send + Sync {
    /// Where this store is, for messages (`registry/repo` or `oci:PATH`).
    fn location(&self) -> String;

    /// The registry repository, when this store is one (used to decide cross-repository mounts).
    fn repository(&self) -> Option<&Repository> {
        None
    }

    /// The size of a blob, or `None` if the store does not have it.
    fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, StoreError>;

    /// Opens a blob for reading. The reader fails at its end (or as soon as it exceeds `size`) unless
    /// the content matches `digest` and `size`.
    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>, StoreError>;

    /// Stores a blob from a stream. The store verifies the content against `digest` and `size`.
    fn put_blob(&self, digest: &Digest, size: u64, data: &mut dyn Read) -> Result<(), StoreError>;

    /// Mounts a blob from another repository of the same registry without transferring it. Returns
    /// `false` when the store cannot or the registry declined (the caller then uploads).
    fn mount_blob(&self, _digest: &Digest, _from: &Repository) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// Fetches a manifest by tag or digest.
    fn get_manifest(&self, reference: &ManifestRef) -> Result<FetchedManifest, StoreError>;

    /// Whether the store has a manifest (by digest).
    fn has_manifest(&self, digest: &Digest) -> Result<bool, StoreError> {
        match self.get_manifest(&ManifestRef::Digest(*digest)) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores manifest bytes exactly as given, under their digest and, when given, a tag.
    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&Tag>,
    ) -> Result<PutManifest, StoreError>;

    /// Lists a manifest that has no tag where the store keeps a listing of what it holds: an image
    /// layout records it in `index.json` as an entry without `org.opencontainers.image.ref.name`
    /// (unless already listed), so that the layout describes itself; registries keep no such
    /// listing, and do nothing.
    fn list_untagged(&self, descriptor: &Descriptor) -> Result<(), StoreError> {
        let _ = descriptor;
        Ok(())
    }

    /// Every tag of the repository, sorted.
    fn tags(&self) -> Result<Vec<Tag>, StoreError>;

    /// Runs `f` with exclusive access to the repository's tags when the store can give it (layouts
    /// lock the directory; registries have no such operation, so `f` runs as is and callers re-read).
    fn with_tag_lock(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        f()
    }

    /// Whether [`Store::with_tag_lock`] really excludes concurrent writers.
    fn tag_lock_is_exclusive(&self) -> bool {
        false
    }

    /// The OCI 1.1 referrers API: the referrers of `subject`, or `None` when the store has no such API.
    fn referrers_api(&self, subject: &Digest) -> Result<Option<Vec<Descriptor>>, StoreError>;
}

/// Reads a whole blob of at most [`MAX_SMALL_BLOB_BYTES`] into memory, verified.
pub fn read_small_blob(store: &dyn Store, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, StoreError> {
    if let Some(size) = size.filter(|s| *s > MAX_SMALL_BLOB_BYTES) {
        return Err(StoreError::TooLarge {
            what: format!("blob {digest} ({size} bytes)"),
            location: store.location(),
            limit: MAX_SMALL_BLOB_BYTES,
        });
    }
    let mut reader = store.open_blob(digest, size)?;
    let mut out = Vec::new();
    reader
        .by_ref()
        .take(MAX_SMALL_BLOB_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::from_io(format!("reading blob {digest}"), e))?;
    if out.len() as u64 > MAX_SMALL_BLOB_BYTES {
        return Err(StoreError::TooLarge {
            what: format!("blob {digest}"),
            location: store.location(),
            limit: MAX_SMALL_BLOB_BYTES,
        });
    }
    Ok(out)
}

/// The first step of every store's [`Store::put_manifest`]: a manifest larger than
/// [`provenant_oci::manifest::MAX_MANIFEST_BYTES`] is refused, and the digest it will be stored under is
/// returned.
pub(crate) fn digest_manifest_to_put(
    store: &(impl Store + ?Sized),
    bytes: &[u8],
) -> Result<Digest, StoreError> {
    use provenant_oci::manifest::MAX_MANIFEST_BYTES;
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(StoreError::TooLarge {
            what: "manifest".to_owned(),
            location: store.location(),
            limit: MAX_MANIFEST_BYTES as u64,
        });
    }
    Ok(provenant_digest::Algorithm::Sha256.hash_bytes(bytes))
}

/// Checks manifest bytes against the digest they were requested by and parses them.
pub(crate) fn check_manifest(
    bytes: Vec<u8>,
    media_type: Option<&str>,
    expected: Option<&Digest>,
    location: &str,
    what: &str,
) -> Result<FetchedManifest, StoreError> {
    let algorithm = expected.map_or(provenant_digest::Algorithm::Sha256, Digest::algorithm);
    let digest = algorithm.hash_bytes(&bytes);
    if let Some(expected) = expected
        && digest != *expected
    {
        return Err(StoreError::DigestMismatch {
            what: what.to_owned(),
            location: location.to_owned(),
            expected: *expected,
            actual: digest,
        });
    }
    let manifest = Manifest::parse(&bytes, media_type).map_err(|source| StoreError::Manifest {
        what: what.to_owned(),
        location: location.to_owned(),
        source,
    })?;
    let media_type = media_type
        .map(|m| m.split(';').next().unwrap_or(m).trim())
        .filter(|m| provenant_oci::media::is_manifest(m))
        .unwrap_or(manifest.media_type())
        .to_owned();
    Ok(FetchedManifest {
        digest,
        media_type,
        bytes,
        manifest,
    })
}

/// Opens the store a reference names: an OCI layout (created when `create` and absent) or a registry
/// repository spoken to with `client`.
pub fn open_store(
    reference: &provenant_oci::Reference,
    client: &std::sync::Arc<remote::Client>,
    create: bool,
) -> Result<Box<dyn Store>, StoreError> {
    match reference {
        provenant_oci::Reference::Layout(l) => Ok(Box::new(if create {
            layout::Layout::create(&l.path)?
        } else {
            layout::Layout::open(&l.path)?
        })),
        provenant_oci::Reference::Registry(r) => Ok(Box::new(remote::Remote::new(
            std::sync::Arc::clone(client),
            r.repository.clone(),
        ))),
    }
}

/// Whether a reference given by tag may be resolved: "by digest, never by tag" means a tag is
/// resolved once, explicitly, and the digest is what the caller records and uses from then on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagPolicy {
    /// A tag is refused: the reference must name a digest.
    Refuse,
    /// A tag is resolved once (the caller asked for it, e.g. with `--resolve-tag`).
    ResolveOnce,
    /// A tag of an OCI layout (a local directory the caller controls) is resolved once; a registry's
    /// tag is refused.
    ResolveLayoutOnly,
}

/// Why a reference yields no digest to use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The reference names a tag and the policy refuses tags.
    #[error(
        "{reference} names a tag: use it by digest (…@sha256:…), or pass --resolve-tag to resolve the tag once and use that digest"
    )]
    Tag {
        /// The reference.
        reference: String,
    },
    /// The reference names neither a tag nor a digest.
    #[error("{reference} names neither a tag nor a digest")]
    Nothing {
        /// The reference.
        reference: String,
    },
    /// Resolving the tag failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The one place the tag/digest rule is applied: the digest `reference` names, or, where `tags`
/// allows it, the digest its tag points to in `store` now, resolved once and logged.
pub fn resolve_digest(
    store: &dyn Store,
    reference: &provenant_oci::Reference,
    tags: TagPolicy,
) -> Result<Digest, ResolveError> {
    if let Some(d) = reference.digest() {
        return Ok(*d);
    }
    let Some(tag) = reference.tag() else {
        return Err(ResolveError::Nothing {
            reference: reference.to_string(),
        });
    };
    let allowed = match tags {
        TagPolicy::Refuse => false,
        TagPolicy::ResolveOnce => true,
        TagPolicy::ResolveLayoutOnly => matches!(reference, provenant_oci::Reference::Layout(_)),
    };
    if !allowed {
        return Err(ResolveError::Tag {
            reference: reference.to_string(),
        });
    }
    let fetched = store.get_manifest(&ManifestRef::Tag(tag.clone()))?;
    tracing::info!(%tag, digest = %fetched.digest, "resolved the tag once; the digest is used from here on");
    Ok(fetched.digest)
}
