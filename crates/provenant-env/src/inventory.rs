//! The images an environment's repository holds, for `env status`'s unrecorded changes: an OCI layout's
//! `index.json` (tagged and untagged entries) or a registry repository's tags, each resolved to its
//! digest. Referrers are not images of the environment: the `sha256-<hex>` referrers tag indexes and
//! cosign's `sha256-<hex>.sig|.att|.sbom` tags are skipped, and so is every manifest with a `subject`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use provenant_digest::Digest;
use provenant_oci::{ManifestRef, Reference};
use provenant_registry::layout::Layout;
use provenant_registry::remote::{Client, Remote};
use provenant_registry::{Store, StoreError};

/// The most images listed from one repository; a larger repository is an error rather than a partial
/// answer.
pub const MAX_IMAGES: usize = 10_000;

/// An image in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its manifest's digest.
    pub digest: Digest,
    /// The tags that point to it, sorted (none for an untagged layout entry).
    pub tags: Vec<String>,
}

/// Why a repository could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// The repository is not an image reference.
    #[error("it is not a repository reference: {0}")]
    Reference(#[from] provenant_oci::ReferenceError),
    /// The store failed (boxed: a store error carries both digests of a mismatch by value).
    #[error(transparent)]
    Store(Box<StoreError>),
    /// It holds more images than are listed.
    #[error("it holds more than {MAX_IMAGES} images")]
    TooMany,
}

impl From<StoreError> for InventoryError {
    fn from(e: StoreError) -> Self {
        InventoryError::Store(Box::new(e))
    }
}

/// Lists the images in a repository.
pub trait Inventory {
    /// The images `repository` (`registry/path` or `oci:DIR`) holds, by digest, sorted.
    ///
    /// # Errors
    /// When the repository cannot be read.
    fn images(&self, repository: &str) -> Result<Vec<Listed>, InventoryError>;
}

/// Lists OCI layouts from the file system and registry repositories through `client`. A layout
/// directory that does not exist holds nothing.
pub struct StoreInventory {
    /// The registry client.
    pub client: Arc<Client>,
}

impl Inventory for StoreInventory {
    fn images(&self, repository: &str) -> Result<Vec<Listed>, InventoryError> {
        let reference: Reference = repository.parse()?;
        let mut found: BTreeMap<Digest, BTreeSet<String>> = BTreeMap::new();
        let store: Box<dyn Store> = match &reference {
            Reference::Layout(l) => {
                if !l.path.join("index.json").exists() {
                    return Ok(Vec::new());
                }
                let layout = Layout::open(&l.path)?;
                for d in layout.index()?.manifests {
                    match d.annotation(provenant_oci::manifest::ANNOTATION_REF_NAME) {
                        Some(tag) if referrer_tag(tag) => continue,
                        Some(tag) => {
                            found.entry(d.digest).or_default().insert(tag.to_owned());
                        }
                        None => {
                            found.entry(d.digest).or_default();
                        }
                    }
                    if found.len() > MAX_IMAGES {
                        return Err(InventoryError::TooMany);
                    }
                }
                Box::new(layout)
            }
            Reference::Registry(r) => {
                let remote = Remote::new(Arc::clone(&self.client), r.repository.clone());
                for tag in remote.tags()? {
                    if referrer_tag(tag.as_str()) {
                        continue;
                    }
                    let fetched = remote.get_manifest(&ManifestRef::Tag(tag.clone()))?;
                    found.entry(fetched.digest).or_default().insert(tag.to_string());
                    if found.len() > MAX_IMAGES {
                        return Err(InventoryError::TooMany);
                    }
                }
                Box::new(remote)
            }
        };
        let mut out = Vec::new();
        for (digest, tags) in found {
            let fetched = store.get_manifest(&ManifestRef::Digest(digest))?;
            if fetched.manifest.subject().is_some() {
                continue;
            }
            out.push(Listed {
                digest,
                tags: tags.into_iter().collect(),
            });
        }
        Ok(out)
    }
}

/// A tag of a referrers scheme rather than of an image: `sha256-<hex>` (the referrers tag index) and
/// cosign's `sha256-<hex>.sig|.att|.sbom`.
#[must_use]
pub fn referrer_tag(tag: &str) -> bool {
    let Some(rest) = tag
        .strip_prefix("sha256-")
        .or_else(|| tag.strip_prefix("sha512-"))
    else {
        return false;
    };
    let hex = rest.split_once('.').map_or(rest, |(h, _)| h);
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::referrer_tag;

    #[test]
    fn referrer_tags_are_told_from_image_tags() {
        let hex = "a".repeat(64);
        assert!(referrer_tag(&format!("sha256-{hex}")));
        assert!(referrer_tag(&format!("sha256-{hex}.sig")));
        assert!(referrer_tag(&format!("sha256-{hex}.att")));
        assert!(!referrer_tag("1.0"));
        assert!(!referrer_tag("sha256-latest"));
        assert!(!referrer_tag("sha256-"));
    }
}
