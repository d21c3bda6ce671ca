//! An OCI image-layout directory as a [`Store`]: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
//! Tags are `index.json` entries annotated with `org.opencontainers.image.ref.name`; an image promoted
//! without a tag is listed by an entry without that annotation ([`Store::list_untagged`]). Writers take an
//! exclusive lock on the `oci-layout` file while they update `index.json`, and replace it atomically.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use provenant_digest::{Digest, Hasher};
use provenant_oci::manifest::{ANNOTATION_REF_NAME, MAX_MANIFEST_BYTES, to_bytes};
use provenant_oci::{Descriptor, ImageIndex, ManifestRef, Tag, media};

use crate::verify::{VerifyingReader, read_verified};
use crate::{FetchedManifest, PutManifest, Store, StoreError, check_manifest};

const LAYOUT_FILE: &str = "oci-layout";
const LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const INDEX_FILE: &str = "index.json";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An OCI image-layout directory.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Layout {
    /// Opens an existing layout.
    pub fn open(root: &Path) -> Result<Layout, StoreError> {
        let layout_file = root.join(LAYOUT_FILE);
        let text = fs::read(&layout_file).map_err(|e| StoreError::Layout {
            path: root.to_path_buf(),
            reason: format!("cannot read {LAYOUT_FILE}: {e}"),
        })?;
        let doc: serde_json::Value = serde_json::from_slice(&text).map_err(|e| StoreError::Layout {
            path: root.to_path_buf(),
            reason: format!("{LAYOUT_FILE} is not JSON: {e}"),
        })?;
        if doc.get("imageLayoutVersion").and_then(|v| v.as_str()) != Some("1.0.0") {
            return Err(StoreError::Layout {
                path: root.to_path_buf(),
                reason: "imageLayoutVersion is not 1.0.0".to_owned(),
            });
        }
        Ok(Layout {
            root: root.to_path_buf(),
        })
    }

    /// Opens a layout, creating an empty one (directory, `oci-layout`, `index.json`) if absent.
    pub fn create(root: &Path) -> Result<Layout, StoreError> {
        if root.join(LAYOUT_FILE).exists() {
            return Layout::open(root);
        }
        fs::create_dir_all(root.join("blobs/sha256")).map_err(io_err("cannot create", root))?;
        let index = root.join(INDEX_FILE);
        if !index.exists() {
            write_atomic(&index, &to_bytes(&ImageIndex::new()))?;
        }
        write_atomic(&root.join(LAYOUT_FILE), LAYOUT_CONTENT)?;
        Ok(Layout {
            root: root.to_path_buf(),
        })
    }

    /// The layout directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// Reads `index.json`.
    pub fn index(&self) -> Result<ImageIndex, StoreError> {
        let path = self.root.join(INDEX_FILE);
        let file = File::open(&path).map_err(io_err("cannot open", &path))?;
        let mut bytes = Vec::new();
        file.take(MAX_MANIFEST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err("cannot read", &path))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(StoreError::TooLarge {
                what: INDEX_FILE.to_owned(),
                location: self.location(),
                limit: MAX_MANIFEST_BYTES as u64,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Layout {
            path: self.root.clone(),
            reason: format!("{INDEX_FILE} is invalid: {e}"),
        })
    }

    /// Updates `index.json` under the layout's lock.
    fn update_index(&self, change: impl FnOnce(&mut ImageIndex)) -> Result<(), StoreError> {
        let lock_path = self.root.join(LAYOUT_FILE);
        let lock = File::open(&lock_path).map_err(io_err("cannot open", &lock_path))?;
        lock.lock().map_err(io_err("cannot lock", &lock_path))?;
        let mut index = self.index()?;
        change(&mut index);
        let result = write_atomic(&self.root.join(INDEX_FILE), &to_bytes(&index));
        drop(lock);
        result
    }

    /// Adds (or moves) a tag to a descriptor in `index.json`.
    pub fn set_tag(&self, tag: &Tag, descriptor: &Descriptor) -> Result<(), StoreError> {
        let mut entry = descriptor.clone();
        entry
            .annotations
            .get_or_insert_with(Default::default)
            .insert(ANNOTATION_REF_NAME.to_owned(), tag.to_string());
        self.update_index(|index| {
            // The tag moves here, and an untagged entry of the same manifest is now redundant.
            index
                .manifests
                .retain(|d| match d.annotation(ANNOTATION_REF_NAME) {
                    Some(name) => name != tag.as_str(),
                    None => d.digest != entry.digest,
                });
            index.manifests.push(entry);
        })
    }

    fn write_blob(&self, digest: &Digest, size: Option<u64>, data: &mut dyn Read) -> Result<(), StoreError> {
        let target = self.blob_path(digest);
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
        let temp = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut file = File::create(&temp).map_err(io_err("cannot create", &temp))?;
            let mut hasher = Hasher::new(digest.algorithm());
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = data
                    .read(&mut buf)
                    .map_err(|e| StoreError::from_io(format!("writing blob {digest}"), e))?;
                if n == 0 {
                    break;
                }
                let chunk = buf.get(..n).unwrap_or_default();
                hasher.update(chunk);
                file.write_all(chunk).map_err(io_err("cannot write", &temp))?;
                total += n as u64;
                if let Some(size) = size.filter(|s| total > *s) {
                    return Err(StoreError::SizeMismatch {
                        what: format!("blob {digest}"),
                        location: self.location(),
                        expected: size,
                        actual: total,
                    });
                }
            }
            if let Some(size) = size.filter(|s| total != *s) {
                return Err(StoreError::SizeMismatch {
                    what: format!("blob {digest}"),
                    location: self.location(),
                    expected: size,
                    actual: total,
                });
            }
            let actual = hasher.finish();
            if actual != *digest {
                return Err(StoreError::DigestMismatch {
                    what: format!("blob {digest}"),
                    location: self.location(),
                    expected: *digest,
                    actual,
                });
            }
            file.sync_all().map_err(io_err("cannot sync", &temp))?;
            fs::rename(&temp, &target).map_err(io_err("cannot rename into", &target))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let temp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::write(&temp, bytes).map_err(io_err("cannot write", &temp))?;
    fs::rename(&temp, path).map_err(io_err("cannot rename into", path))
}

impl Store for Layout {
    fn location(&self) -> String {
        format!("oci:{}", self.root.display())
    }

    fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, StoreError> {
        let path = self.blob_path(digest);
        match fs::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io {
                action: "cannot stat",
                path,
                source: e,
            }),
        }
    }

    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>, StoreError> {
        let path = self.blob_path(digest);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    what: format!("blob {digest}"),
                    location: self.location(),
                });
            }
            Err(e) => {
                return Err(StoreError::Io {
                    action: "cannot open",
                    path,
                    source: e,
                });
            }
        };
        let reader = io::BufReader::with_capacity(1 << 20, file);
        Ok(Box::new(VerifyingReader::new(
            reader,
            *digest,
            size,
            u64::MAX,
            format!("blob {digest}"),
            self.location(),
        )))
    }

    fn put_blob(&self, digest: &Digest, size: u64, data: &mut dyn Read) -> Result<(), StoreError> {
        self.write_blob(digest, Some(size), data)
    }

    fn get_manifest(&self, reference: &ManifestRef) -> Result<FetchedManifest, StoreError> {
        let (digest, size, media_type) = match reference {
            ManifestRef::Digest(d) => (*d, None, None),
            ManifestRef::Tag(tag) => {
                let index = self.index()?;
                let entry = index
                    .manifests
                    .iter()
                    .find(|d| d.annotation(ANNOTATION_REF_NAME) == Some(tag.as_str()))
                    .ok_or_else(|| StoreError::NotFound {
                        what: format!("tag {tag}"),
                        location: self.location(),
                    })?;
                (entry.digest, Some(entry.size), Some(entry.media_type.clone()))
            }
        };
        let what = format!("manifest {reference}");
        let path = self.blob_path(&digest);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    what,
                    location: self.location(),
                });
            }
            Err(e) => {
                return Err(StoreError::Io {
                    action: "cannot open",
                    path,
                    source: e,
                });
            }
        };
        let reader = VerifyingReader::new(
            file,
            digest,
            size,
            MAX_MANIFEST_BYTES as u64,
            what.clone(),
            self.location(),
        );
        let bytes = read_verified(reader, &what)?;
        check_manifest(
            bytes,
            media_type.as_deref(),
            Some(&digest),
            &self.location(),
            &what,
        )
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&Tag>,
    ) -> Result<PutManifest, StoreError> {
        let digest = crate::digest_manifest_to_put(self, bytes)?;
        if self.blob_size(&digest)?.is_none() {
            self.write_blob(&digest, Some(bytes.len() as u64), &mut &bytes[..])?;
        }
        if let Some(tag) = tag {
            let media_type = if media::is_manifest(media_type) {
                media_type
            } else {
                media::OCI_MANIFEST
            };
            self.set_tag(tag, &Descriptor::new(media_type, digest, bytes.len() as u64))?;
        }
        Ok(PutManifest {
            digest,
            subject_indexed: false,
        })
    }

    fn list_untagged(&self, descriptor: &Descriptor) -> Result<(), StoreError> {
        let mut entry = descriptor.clone();
        if let Some(a) = entry.annotations.as_mut() {
            a.remove(ANNOTATION_REF_NAME);
            if a.is_empty() {
                entry.annotations = None;
            }
        }
        self.update_index(|index| {
            if !index.manifests.iter().any(|d| d.digest == entry.digest) {
                index.manifests.push(entry);
            }
        })
    }

    fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        let mut tags: Vec<Tag> = self
            .index()?
            .manifests
            .iter()
            .filter_map(|d| d.annotation(ANNOTATION_REF_NAME))
            .filter_map(|t| t.parse().ok())
            .collect();
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    fn with_tag_lock(&self, f: &mut dyn FnMut() -> Result<(), StoreError>) -> Result<(), StoreError> {
        // `index.json` updates lock `oci-layout`; read-modify-write sequences of tags lock `blobs/`.
        let path = self.root.join("blobs");
        let dir = File::open(&path).map_err(io_err("cannot open", &path))?;
        dir.lock().map_err(io_err("cannot lock", &path))?;
        let result = f();
        drop(dir);
        result
    }

    fn tag_lock_is_exclusive(&self) -> bool {
        true
    }

    fn referrers_api(&self, _subject: &Digest) -> Result<Option<Vec<Descriptor>>, StoreError> {
        Ok(None)
    }
}
