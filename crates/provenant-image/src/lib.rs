//! Reproducible OCI images built from a directory, with no daemon: the same directory, options and
//! `SOURCE_DATE_EPOCH` always give the same manifest digest.
//!
//! The single layer is a tar with entries sorted by their byte path, every mtime set to the epoch given
//! (`SOURCE_DATE_EPOCH`, else 0), owners numeric 0:0 with no names, and a fixed modes policy
//! (directories 0755, files 0755 if any execute bit is set else 0644, symlinks 0777); hard links are
//! stored as regular files; devices, FIFOs and sockets are refused. It is compressed with a fixed gzip
//! header (no name, mtime 0, OS "unknown") at a fixed level. The configuration's `diff_ids` is the
//! digest of the uncompressed tar, as image consumers check.
//!
//! [`rootfs::read`] goes the other way: it reads any image's layers as streams into its final
//! filesystem (whiteouts applied, every blob and diff id verified), with the content of the files asked
//! for. [`provenance::statement`] describes a built image as packaging provenance: the manifest as subject,
//! every packaged file with its digest as a resolved dependency.
//!
//! ```no_run
//! use provenant_image::{ImageOptions, build};
//! use provenant_registry::layout::Layout;
//!
//! let layout = Layout::create(std::path::Path::new("out/layout"))?;
//! let built = build(std::path::Path::new("rootfs"), &ImageOptions::default(), &layout)?;
//! println!("{}", built.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// `StoreError` carries both digests of a mismatch by value (the cold path, where callers want the values);
// boxing them would only add an allocation to every error.
#![allow(clippy::result_large_err)]

pub mod provenance;
pub mod rootfs;
mod zstd;

use std::fs::{self, File};
use std::io::{self, Seek, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use provenant_digest::{Algorithm, Digest, Hasher};
use provenant_oci::config::{History, ImageConfig, RootFs, RunConfig, rfc3339};
use provenant_oci::manifest::{ANNOTATION_CREATED, to_bytes};
use provenant_oci::{Descriptor, ImageManifest, Platform, media};
use provenant_registry::{Store, StoreError};

/// Deepest directory nesting followed (the walk uses an explicit stack; this bounds its size).
const MAX_DEPTH: usize = 256;

/// What to build.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// Platform recorded in the configuration (default `linux/amd64`).
    pub platform: Platform,
    /// Entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments.
    pub cmd: Option<Vec<String>>,
    /// Environment (`NAME=value`).
    pub env: Vec<String>,
    /// Time of every entry and of the configuration, seconds since the epoch (`SOURCE_DATE_EPOCH`).
    pub epoch: u64,
    /// Whether to record `created` times (only when an epoch was given explicitly).
    pub record_created: bool,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            platform: Platform {
                architecture: "amd64".to_owned(),
                os: "linux".to_owned(),
                os_version: None,
                os_features: None,
                variant: None,
            },
            entrypoint: None,
            cmd: None,
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned()],
            epoch: 0,
            record_created: false,
        }
    }
}

impl ImageOptions {
    /// Times every entry at `epoch` (the caller's `SOURCE_DATE_EPOCH`) and records it as the image's
    /// creation time; `None` keeps the defaults (entries at 0, no creation time).
    #[must_use]
    pub fn with_epoch(mut self, epoch: Option<u64>) -> ImageOptions {
        if let Some(epoch) = epoch {
            self.epoch = epoch;
            self.record_created = true;
        }
        self
    }
}

/// Building an image failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// A file could not be read, or the layer could not be written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The directory holds a kind of file an image layer cannot carry reproducibly.
    #[error("{path} is a {kind}; only directories, regular files and symlinks go into an image")]
    UnsupportedFile {
        /// The file.
        path: PathBuf,
        /// Its kind.
        kind: &'static str,
    },
    /// The directory nests deeper than Provenant follows.
    #[error("{path} nests more than {MAX_DEPTH} directories deep")]
    TooDeep {
        /// Where the limit was hit.
        path: PathBuf,
    },
    /// A file changed size while it was being packaged.
    #[error("{path} changed while it was being packaged")]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// The root is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Writing to the destination store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`build`] produced.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// Digest of the image manifest.
    pub digest: Digest,
    /// Size of the image manifest.
    pub size: u64,
    /// The exact manifest bytes.
    pub manifest: Vec<u8>,
    /// Digest of the configuration.
    pub config: Digest,
    /// Digest of the compressed layer.
    pub layer: Digest,
    /// Size of the compressed layer.
    pub layer_size: u64,
    /// Digest of the uncompressed layer (the config's diff id).
    pub diff_id: Digest,
    /// Entries in the layer.
    pub entries: usize,
    /// Every regular file packaged, sorted by path, with the digest of its content.
    pub files: Vec<PackagedFile>,
}

/// A regular file as it went into the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedFile {
    /// Its path inside the image, relative to the root, `/`-separated (`usr/local/bin/hello`).
    pub path: String,
    /// The SHA-256 digest of its content.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
}

struct Entry {
    rel: PathBuf,
    abs: PathBuf,
    meta: fs::Metadata,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ImageError + 'a {
    move |source| ImageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Every entry below `root`, sorted by relative byte path (a directory precedes its content).
fn walk(root: &Path) -> Result<Vec<Entry>, ImageError> {
    let meta = fs::symlink_metadata(root).map_err(io_err("cannot stat", root))?;
    if !meta.is_dir() {
        return Err(ImageError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let mut out = Vec::new();
    let mut stack = vec![(PathBuf::new(), 0usize)];
    while let Some((rel, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(ImageError::TooDeep { path: root.join(rel) });
        }
        let dir = root.join(&rel);
        for item in fs::read_dir(&dir).map_err(io_err("cannot read directory", &dir))? {
            let item = item.map_err(io_err("cannot read directory", &dir))?;
            let abs = item.path();
            let meta = fs::symlink_metadata(&abs).map_err(io_err("cannot stat", &abs))?;
            let ft = meta.file_type();
            let child = rel.join(item.file_name());
            if ft.is_dir() {
                stack.push((child.clone(), depth + 1));
            } else if !ft.is_file() && !ft.is_symlink() {
                use std::os::unix::fs::FileTypeExt as _;
                let kind = if ft.is_fifo() {
                    "FIFO"
                } else if ft.is_socket() {
                    "socket"
                } else {
                    "device"
                };
                return Err(ImageError::UnsupportedFile { path: abs, kind });
            }
            out.push(Entry {
                rel: child,
                abs,
                meta,
            });
        }
    }
    out.sort_by(|a, b| a.rel.as_os_str().as_bytes().cmp(b.rel.as_os_str().as_bytes()));
    Ok(out)
}

/// A writer that hashes and counts what passes through it.
struct Tee<W> {
    inner: W,
    hasher: Hasher,
    count: u64,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or_default();
        self.hasher.update(written);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn mode_for(meta: &fs::Metadata) -> u32 {
    let ft = meta.file_type();
    if ft.is_dir() {
        0o755
    } else if ft.is_symlink() {
        0o777
    } else if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

fn header_for(meta: &fs::Metadata, epoch: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_mode(mode_for(meta));
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(epoch);
    let _ = h.set_username("");
    let _ = h.set_groupname("");
    h.set_size(0);
    h
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
    count: u64,
}

impl<R: io::Read> io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        self.count += n as u64;
        Ok(n)
    }
}

/// Writes the layer tar of `entries` into `out`; returns it with the regular files written.
fn write_tar<W: Write>(entries: &[Entry], epoch: u64, out: W) -> Result<(W, Vec<PackagedFile>), ImageError> {
    let mut files = Vec::new();
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Deterministic);
    for e in entries {
        let ft = e.meta.file_type();
        let mut h = header_for(&e.meta, epoch);
        let write_err = |source| ImageError::Io {
            action: "cannot write layer entry for",
            path: e.abs.clone(),
            source,
        };
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            let mut name = e.rel.clone().into_os_string();
            name.push("/");
            builder
                .append_data(&mut h, Path::new(&name), io::empty())
                .map_err(write_err)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&e.abs).map_err(io_err("cannot read link", &e.abs))?;
            h.set_entry_type(tar::EntryType::Symlink);
            builder.append_link(&mut h, &e.rel, &target).map_err(write_err)?;
        } else {
            let file = File::open(&e.abs).map_err(io_err("cannot open", &e.abs))?;
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(e.meta.size());
            let mut reader = HashingReader {
                inner: file,
                hasher: Hasher::new(Algorithm::Sha256),
                count: 0,
            };
            builder
                .append_data(&mut h, &e.rel, &mut reader)
                .map_err(write_err)?;
            // The tar header promised the size taken from the metadata: a file that changed while it
            // was read would make the record lie.
            if reader.count != e.meta.size() {
                return Err(ImageError::Changed { path: e.abs.clone() });
            }
            files.push(PackagedFile {
                path: e
                    .rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
                digest: reader.hasher.finish(),
                size: reader.count,
            });
        }
    }
    let out = builder.into_inner().map_err(|source| ImageError::Io {
        action: "cannot finish layer of",
        path: PathBuf::new(),
        source,
    })?;
    Ok((out, files))
}

/// Builds an image from the directory `root` and stores its blobs and manifest in `store` (without a
/// tag: the caller tags it).
pub fn build(root: &Path, options: &ImageOptions, store: &dyn Store) -> Result<BuiltImage, ImageError> {
    let entries = walk(root)?;
    let temp = tempfile::tempfile().map_err(io_err("cannot create a temporary file for", root))?;
    // tar → hash (diff id) → gzip → hash (layer digest) → temporary file.
    let compressed = Tee {
        inner: io::BufWriter::with_capacity(1 << 20, temp),
        hasher: Hasher::new(Algorithm::Sha256),
        count: 0,
    };
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(compressed, flate2::Compression::new(6));
    let uncompressed = Tee {
        inner: gz,
        hasher: Hasher::new(Algorithm::Sha256),
        count: 0,
    };
    let (uncompressed, files) = write_tar(&entries, options.epoch, uncompressed)?;
    let diff_id = uncompressed.hasher.finish();
    let compressed = uncompressed.inner.finish().map_err(|source| ImageError::Io {
        action: "cannot compress layer of",
        path: root.to_path_buf(),
        source,
    })?;
    let layer = compressed.hasher.finish();
    let layer_size = compressed.count;
    let mut temp = compressed.inner.into_inner().map_err(|e| ImageError::Io {
        action: "cannot flush layer of",
        path: root.to_path_buf(),
        source: e.into_error(),
    })?;
    temp.seek(io::SeekFrom::Start(0))
        .map_err(io_err("cannot rewind layer of", root))?;
    if store.blob_size(&layer)?.is_none() {
        store.put_blob(&layer, layer_size, &mut temp)?;
    }

    let created = options.record_created.then(|| rfc3339(options.epoch));
    let config = ImageConfig {
        created: created.clone(),
        architecture: options.platform.architecture.clone(),
        os: options.platform.os.clone(),
        variant: options.platform.variant.clone(),
        config: Some(RunConfig {
            env: (!options.env.is_empty()).then(|| options.env.clone()),
            entrypoint: options.entrypoint.clone(),
            cmd: options.cmd.clone(),
            working_dir: Some("/".to_owned()),
            labels: None,
        }),
        rootfs: RootFs {
            kind: "layers".to_owned(),
            diff_ids: vec![diff_id],
        },
        history: Some(vec![History {
            created: created.clone(),
            created_by: Some("provenant oci image".to_owned()),
        }]),
    };
    let config_bytes = to_bytes(&config);
    let config_digest = Algorithm::Sha256.hash_bytes(&config_bytes);
    if store.blob_size(&config_digest)?.is_none() {
        store.put_blob(&config_digest, config_bytes.len() as u64, &mut &config_bytes[..])?;
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::new(media::OCI_CONFIG, config_digest, config_bytes.len() as u64),
        layers: vec![Descriptor::new(media::OCI_LAYER_GZIP, layer, layer_size)],
        subject: None,
        annotations: created.map(|c| [(ANNOTATION_CREATED.to_owned(), c)].into_iter().collect()),
    };
    let bytes = to_bytes(&manifest);
    let put = store.put_manifest(&bytes, media::OCI_MANIFEST, None)?;
    Ok(BuiltImage {
        digest: put.digest,
        size: bytes.len() as u64,
        manifest: bytes,
        config: config_digest,
        layer,
        layer_size,
        diff_id,
        entries: entries.len(),
        files,
    })
}
