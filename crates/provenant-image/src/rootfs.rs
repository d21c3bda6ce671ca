//! The final filesystem of an image, read from its layers as streams: every regular file's digest and
//! the layer that put it there, and the content of the files the caller asks to keep. Whiteouts apply
//! as container runtimes apply them; nothing is written to disk.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use provenant_digest::{Algorithm, Digest, Hasher, Progress};
use provenant_gzip::Split;
use provenant_oci::{ImageManifest, media};
use provenant_registry::{Store, StoreError};

/// Most entries read from all the layers of one image together.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Most bytes a compressed layer may inflate to, per compressed byte (beyond [`MIN_INFLATED_LIMIT`]): a
/// layer that inflates further is refused as a decompression bomb.
pub const MAX_INFLATION_RATIO: u64 = 1024;

/// The inflated size every compressed layer may reach whatever its compressed size.
pub const MIN_INFLATED_LIMIT: u64 = 1 << 30;

/// The smallest compressed gzip layer inflated on two threads (when there are two cores).
pub const SPLIT_FROM: u64 = 8 << 20;

/// Most bytes of file content kept in memory for one image (see [`Keep`]).
pub const MAX_KEPT_BYTES: u64 = 1 << 30;

/// Which files' content to keep, decided on the path and the first bytes of the content (at most
/// [`HEAD_BYTES`]): a cataloger wants lockfiles by name and binaries by their magic number.
pub trait Keep {
    /// Whether to keep the file at `path`, `size` bytes long, whose content starts with `head`.
    fn keep(&self, path: &str, size: u64, head: &[u8]) -> bool;

    /// Whether every regular file's content digest is taken (see [`Node::File`]). A caller that only
    /// reads kept content says no, and saves one SHA-256 pass over the image's files; the layers are
    /// verified against their digests and diff ids either way.
    fn digest_files(&self) -> bool {
        true
    }

    /// Called with the whole content of a file [`Keep::keep`] asked for: whether to keep it after all.
    /// A caller that can only tell from the whole content (an executable that records how it was built)
    /// decides here, so that the files it declines take no memory beyond one reused buffer.
    fn keep_content(&self, _path: &str, _content: &[u8]) -> bool {
        true
    }
}

/// Keeps nothing: digests only.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeepNothing;

impl Keep for KeepNothing {
    fn keep(&self, _: &str, _: u64, _: &[u8]) -> bool {
        false
    }
}

/// How much of a file's start [`Keep::keep`] sees.
pub const HEAD_BYTES: usize = 512;

/// Why an image's layers could not be read into a filesystem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// The store failed, or the blob did not match its digest.
    #[error("layer {index} ({digest}): {source}")]
    Store {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// What the store said.
        #[source]
        source: StoreError,
    },
    /// The layer is not a tar archive Provenant reads.
    #[error("layer {index} ({digest}) has media type {media_type:?}, which Provenant does not read")]
    UnsupportedMediaType {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// The media type.
        media_type: String,
    },
    /// The layer's archive is malformed.
    #[error("layer {index} ({digest}) is not a readable tar archive: {source}")]
    Archive {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// The read error.
        #[source]
        source: io::Error,
    },
    /// An entry's path leaves the root.
    #[error("layer {index} ({digest}) has an entry {path:?} that escapes the root")]
    UnsafePath {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// The entry's path.
        path: String,
    },
    /// The uncompressed layer does not match the configuration's diff id.
    #[error("layer {index} ({digest}) uncompresses to {actual}, but the image configuration says {expected}")]
    DiffId {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// The configuration's diff id.
        expected: Digest,
        /// The digest of the uncompressed layer.
        actual: Digest,
    },
    /// The configuration lists a different number of diff ids than the manifest has layers.
    #[error("the image configuration lists {diff_ids} diff ids for {layers} layers")]
    DiffIdCount {
        /// Diff ids in the configuration.
        diff_ids: usize,
        /// Layers in the manifest.
        layers: usize,
    },
    /// The configuration is not an image configuration.
    #[error("the image configuration {digest} does not parse: {reason}")]
    Config {
        /// Its digest.
        digest: Digest,
        /// Why.
        reason: String,
    },
    /// A compressed layer inflates beyond its bound.
    #[error(
        "layer {index} ({digest}) inflates to more than {limit} bytes ({MAX_INFLATION_RATIO} times its \
compressed size, and at least {MIN_INFLATED_LIMIT}): refused as a decompression bomb"
    )]
    Inflation {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's digest.
        digest: Digest,
        /// The bound it crossed.
        limit: u64,
    },
    /// Too many entries.
    #[error("the image has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// The files asked for hold more than can be kept in memory.
    #[error("the files to keep hold more than {MAX_KEPT_BYTES} bytes")]
    TooMuchKept,
}

/// What sits at a path of the final filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file: its content digest and size.
    File {
        /// SHA-256 of the content; `None` when the [`Keep`] in use did not ask for digests.
        digest: Option<Digest>,
        /// Size in bytes.
        size: u64,
    },
    /// A symbolic link, with its target.
    Symlink(String),
    /// A directory.
    Directory,
}

/// One path of the final filesystem and the layer that put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// What is there.
    pub node: Node,
    /// The position of the layer that last wrote it.
    pub layer: usize,
}

/// The final filesystem of an image: paths relative to the root, `/`-separated.
#[derive(Debug, Clone, Default)]
pub struct Filesystem {
    /// Every path, sorted.
    pub entries: BTreeMap<String, Placed>,
    /// The layer digests, in order.
    pub layers: Vec<Digest>,
    /// The layers' diff ids (digests of the uncompressed layers), in order.
    pub diff_ids: Vec<Digest>,
    /// The content of the regular files kept (see [`Keep`]), by path.
    pub kept: BTreeMap<String, Vec<u8>>,
    kept_bytes: u64,
}

impl Filesystem {
    /// The regular files whose digest was taken (all of them unless [`Keep::digest_files`] said no),
    /// sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Digest, usize)> {
        self.entries.iter().filter_map(|(p, e)| match &e.node {
            Node::File {
                digest: Some(digest), ..
            } => Some((p.as_str(), digest, e.layer)),
            _ => None,
        })
    }
}

/// Normalises a tar path: no leading `./` or `/`, no trailing `/`, and refused when a component is `..`.
fn normalise(raw: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Removes `path` and everything below it that a lower layer put there.
fn remove_below(fs: &mut Filesystem, path: &str, current: usize, include_self: bool) {
    let prefix = format!("{path}/");
    let doomed: Vec<String> = fs
        .entries
        .range(path.to_owned()..)
        .take_while(|(p, _)| p.as_str() == path || p.starts_with(&prefix) || path.is_empty())
        .filter(|(p, e)| e.layer < current && (include_self || p.as_str() != path))
        .map(|(p, _)| p.clone())
        .collect();
    for p in doomed {
        fs.entries.remove(&p);
        if let Some(gone) = fs.kept.remove(&p) {
            fs.kept_bytes -= gone.len() as u64;
        }
    }
}

/// A reader that hashes what passes through it (when it has a hasher).
struct HashingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// The reading end of [`decompress_ahead`]: chunks arrive in order, then an error or the end.
struct ChunkReader {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.at = 0;
                }
                // The sender is gone: the stream ended.
                Err(_) => return Ok(0),
            }
        }
        let rest = self.current.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.at += n;
        Ok(n)
    }
}

/// Bytes handed from the decompressing thread to the reading one at a time.
const CHUNK: usize = 256 << 10;

/// Runs `produce` (which reads a blob and decompresses it into the writer it is given) on its own
/// thread while `consume` reads the result on this one, so that inflating and verifying one layer
/// overlap with parsing and hashing it. An error of `produce` reaches `consume` as a read error in
/// stream order; when `consume` stops early, `produce` stops at its next write.
fn decompress_ahead<T>(
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send,
    consume: impl FnOnce(&mut dyn Read) -> T,
) -> T {
    /// Sends what is written in chunks of [`CHUNK`] bytes.
    struct ChunkWriter {
        chunks: mpsc::SyncSender<io::Result<Vec<u8>>>,
        pending: Vec<u8>,
    }
    impl ChunkWriter {
        fn send(&mut self) -> io::Result<()> {
            let full = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
            self.chunks
                .send(Ok(full))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the layer reader stopped"))
        }
    }
    impl Write for ChunkWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(CHUNK - self.pending.len());
            self.pending.extend_from_slice(buf.get(..n).unwrap_or_default());
            if self.pending.len() == CHUNK {
                self.send()?;
            }
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            if self.pending.is_empty() {
                Ok(())
            } else {
                self.send()
            }
        }
    }
    let (tx, rx) = mpsc::sync_channel(8);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut writer = ChunkWriter {
                chunks: tx,
                pending: Vec::with_capacity(CHUNK),
            };
            let result = produce(&mut writer).and_then(|()| writer.flush());
            if let Err(e) = result {
                // Nobody may be listening any more; then there is no one to tell.
                let _ = writer.chunks.send(Err(e));
            }
        });
        let mut reader = ChunkReader {
            chunks: rx,
            current: Vec::new(),
            at: 0,
        };
        let out = consume(&mut reader);
        // Dropping the reader lets a producer still writing stop.
        drop(reader);
        out
    })
}

/// A reader that reports the bytes it passes on.
struct Reporting<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Reporting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes(n as u64);
        Ok(n)
    }
}

fn diff_ids(store: &dyn Store, manifest: &ImageManifest) -> Result<Vec<Digest>, LayerError> {
    let digest = manifest.config.digest;
    let bytes =
        provenant_registry::read_small_blob(store, &digest, Some(manifest.config.size)).map_err(|e| {
            LayerError::Config {
                digest,
                reason: e.to_string(),
            }
        })?;
    let config: provenant_oci::config::ImageConfig =
        serde_json::from_slice(&bytes).map_err(|e| LayerError::Config {
            digest,
            reason: e.to_string(),
        })?;
    Ok(config.rootfs.diff_ids)
}

/// Why a regular file could not be read.
enum FileError {
    Io(io::Error),
    TooMuchKept,
}

impl FileError {
    fn into_layer_error(self, index: usize, digest: Digest) -> LayerError {
        match self {
            FileError::Io(source) => LayerError::Archive {
                index,
                digest,
                source,
            },
            FileError::TooMuchKept => LayerError::TooMuchKept,
        }
    }
}

/// Reads `reader` to its end, or to `limit` bytes, into `buf` from `start` on, growing it as needed;
/// returns where the content ends. The buffer is reused from file to file, so its memory is touched (and
/// zeroed) only when it grows. It grows by doubling, but no further than the `expected` length (the
/// size the archive declares) and one byte to see the end: it grows only once it is full, so a false
/// declaration costs no more than doubling would.
fn read_into(
    reader: &mut impl Read,
    buf: &mut Vec<u8>,
    start: usize,
    expected: u64,
    limit: u64,
) -> io::Result<usize> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let expected = usize::try_from(expected).unwrap_or(usize::MAX).saturating_add(1);
    let mut filled = start;
    while filled < limit {
        if filled == buf.len() {
            let mut grown = buf.len().saturating_mul(2).clamp(1 << 16, limit.max(1 << 16));
            if filled < expected {
                grown = grown.min(expected);
            }
            buf.resize(grown, 0);
        }
        let end = buf.len().min(limit);
        let n = match reader.read(buf.get_mut(filled..end).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
    }
    Ok(filled)
}

/// Hashes a regular file's content, keeping it when `keep` asks for it and the budget allows. `scratch`
/// is the buffer a candidate for keeping is read into.
fn regular_file(
    entry: &mut impl Read,
    path: &str,
    declared: u64,
    keep: &dyn Keep,
    kept_bytes: u64,
    scratch: &mut Vec<u8>,
) -> Result<(Node, Option<Vec<u8>>), FileError> {
    let mut hasher = HashingReader {
        inner: entry,
        hasher: keep.digest_files().then(|| Hasher::new(Algorithm::Sha256)),
    };
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut hasher)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(FileError::Io)?;
    let (size, content) = if keep.keep(path, declared, &head) {
        if scratch.len() < head.len() {
            scratch.resize(head.len(), 0);
        }
        scratch
            .get_mut(..head.len())
            .unwrap_or_default()
            .copy_from_slice(&head);
        let budget = MAX_KEPT_BYTES.saturating_sub(kept_bytes);
        let end = read_into(&mut hasher, scratch, head.len(), declared, budget + 1).map_err(FileError::Io)?;
        if end as u64 > budget {
            return Err(FileError::TooMuchKept);
        }
        let all = scratch.get(..end).unwrap_or_default();
        (end as u64, keep.keep_content(path, all).then(|| all.to_vec()))
    } else {
        let rest = io::copy(&mut hasher, &mut io::sink()).map_err(FileError::Io)?;
        (head.len() as u64 + rest, None)
    };
    let node = Node::File {
        digest: hasher.hasher.map(Hasher::finish),
        size,
    };
    Ok((node, content))
}

/// Applies one layer's entries to `fs`; returns the digest of the whole uncompressed stream.
/// How a layer's tar archive is compressed.
#[derive(Clone, Copy)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// A decompressor's output, refused past `limit` bytes (the read fails and `exceeded` is set).
struct Bounded<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more than allowed tells a stream that ends exactly at the limit from a bomb.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(io::Error::other("decompressed past the layer's bound"));
        }
        let max = usize::try_from(self.left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(buf.get_mut(..max).unwrap_or_default())?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn apply_layer(
    reader: &mut dyn Read,
    keep: &dyn Keep,
    fs: &mut Filesystem,
    count: &mut usize,
    index: usize,
    digest: Digest,
    scratch: &mut Vec<u8>,
) -> Result<Digest, LayerError> {
    let archive_err = |source| LayerError::Archive {
        index,
        digest,
        source,
    };
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Some(Hasher::new(Algorithm::Sha256)),
    };
    let finish = |h: Option<Hasher>| h.unwrap_or_else(|| Hasher::new(Algorithm::Sha256)).finish();
    {
        let mut archive = tar::Archive::new(&mut hashing);
        for entry in archive.entries().map_err(archive_err)? {
            let mut entry = entry.map_err(archive_err)?;
            *count += 1;
            if *count > MAX_ENTRIES {
                return Err(LayerError::TooManyEntries);
            }
            let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(path) = normalise(&raw_path) else {
                return Err(LayerError::UnsafePath {
                    index,
                    digest,
                    path: raw_path,
                });
            };
            let (parent, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            if name == ".wh..wh..opq" {
                remove_below(fs, parent, index, false);
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let target = if parent.is_empty() {
                    hidden.to_owned()
                } else {
                    format!("{parent}/{hidden}")
                };
                remove_below(fs, &target, index, true);
                continue;
            }
            let kind = entry.header().entry_type();
            let mut content = None;
            let node = if kind.is_file() || kind == tar::EntryType::Continuous {
                let declared = entry.header().size().unwrap_or(0);
                let (node, kept) = regular_file(&mut entry, &path, declared, keep, fs.kept_bytes, scratch)
                    .map_err(|e| e.into_layer_error(index, digest))?;
                content = kept;
                node
            } else if kind.is_dir() {
                Node::Directory
            } else if kind.is_symlink() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                Node::Symlink(target)
            } else if kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let Some(target) = normalise(&target) else {
                    return Err(LayerError::UnsafePath {
                        index,
                        digest,
                        path: target,
                    });
                };
                let Some(placed) = fs.entries.get(&target) else {
                    continue;
                };
                if let (Node::File { size, .. }, Some(c)) = (&placed.node, fs.kept.get(&target))
                    && keep.keep(&path, *size, c.get(..HEAD_BYTES).unwrap_or(c))
                {
                    if fs.kept_bytes + size > MAX_KEPT_BYTES {
                        return Err(LayerError::TooMuchKept);
                    }
                    content = Some(c.clone());
                }
                placed.node.clone()
            } else {
                // Devices, FIFOs and tar extensions carry no content a provenance could name.
                continue;
            };
            if node != Node::Directory {
                // A file replacing a directory of a lower layer hides what was below it.
                remove_below(fs, &path, index, false);
            }
            if !path.is_empty() {
                if let Some(old) = fs.kept.remove(&path) {
                    fs.kept_bytes -= old.len() as u64;
                }
                if let Some(c) = content {
                    fs.kept_bytes += c.len() as u64;
                    fs.kept.insert(path.clone(), c);
                }
                fs.entries.insert(path, Placed { node, layer: index });
            }
        }
    }
    // Read to the end: the uncompressed digest covers the whole stream.
    io::copy(&mut hashing, &mut io::sink()).map_err(archive_err)?;
    Ok(finish(hashing.hasher))
}

/// Reads every layer of `manifest` from `store`, in order, verifying each blob against its digest and
/// each uncompressed layer against the configuration's diff id, keeping the content `keep` asks for.
/// `progress` hears of every compressed byte read.
///
/// A gzip layer of [`SPLIT_FROM`] bytes or more is inflated on two threads, in bounded memory
/// (`provenant-gzip`); should a split fail to join up (a crafted stream can make it), the image is read
/// again with every layer inflated in one piece.
pub fn read(
    store: &dyn Store,
    manifest: &ImageManifest,
    keep: &dyn Keep,
    progress: &dyn Progress,
) -> Result<Filesystem, LayerError> {
    let split = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let split_failed = AtomicBool::new(false);
    match read_layers(store, manifest, keep, progress, split, &split_failed) {
        Err(_) if split_failed.load(Ordering::Relaxed) => {
            read_layers(store, manifest, keep, progress, false, &split_failed)
        }
        done => done,
    }
}

fn read_layers(
    store: &dyn Store,
    manifest: &ImageManifest,
    keep: &dyn Keep,
    progress: &dyn Progress,
    split: bool,
    split_failed: &AtomicBool,
) -> Result<Filesystem, LayerError> {
    let diff_ids = diff_ids(store, manifest)?;
    if diff_ids.len() != manifest.layers.len() {
        return Err(LayerError::DiffIdCount {
            diff_ids: diff_ids.len(),
            layers: manifest.layers.len(),
        });
    }
    let mut fs = Filesystem::default();
    let mut count = 0usize;
    let mut scratch = Vec::new();
    for (index, (layer, expected)) in manifest.layers.iter().zip(&diff_ids).enumerate() {
        let digest = layer.digest;
        let compression = match layer.media_type.as_str() {
            media::OCI_LAYER_GZIP | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Compression::Gzip,
            media::OCI_LAYER_ZSTD => Compression::Zstd,
            media::OCI_LAYER_TAR | "application/vnd.docker.image.rootfs.diff.tar" => Compression::None,
            other => {
                return Err(LayerError::UnsupportedMediaType {
                    index,
                    digest,
                    media_type: other.to_owned(),
                });
            }
        };
        let raw = store
            .open_blob(&digest, Some(layer.size))
            .map_err(|source| LayerError::Store {
                index,
                digest,
                source,
            })?;
        let limit = layer
            .size
            .saturating_mul(MAX_INFLATION_RATIO)
            .max(MIN_INFLATED_LIMIT);
        let exceeded = AtomicBool::new(false);
        // One thread reads the blob (the store verifies its digest once all of it is read) and
        // inflates it, bounded; this one parses the tar stream and hashes it against the diff id.
        let produce = |out: &mut dyn Write| -> io::Result<()> {
            let mut reporting = Reporting { inner: raw, progress };
            if matches!(compression, Compression::Gzip) && split && layer.size >= SPLIT_FROM {
                return provenant_gzip::inflate(
                    &mut reporting,
                    layer.size,
                    Some(Split::default()),
                    limit,
                    out,
                )
                .map(|_stats| ())
                .inspect_err(|e| {
                    exceeded.store(
                        provenant_gzip::is::<provenant_gzip::Exceeded>(e),
                        Ordering::Relaxed,
                    );
                    split_failed.store(
                        provenant_gzip::is::<provenant_gzip::SplitFailed>(e),
                        Ordering::Relaxed,
                    );
                });
            }
            let mut buffered = BufReader::with_capacity(1 << 16, reporting);
            let copied = match compression {
                Compression::Gzip => {
                    let mut inflated =
                        Bounded::new(flate2::bufread::MultiGzDecoder::new(&mut buffered), limit);
                    let r = io::copy(&mut inflated, out);
                    exceeded.store(inflated.exceeded, Ordering::Relaxed);
                    r
                }
                Compression::Zstd => {
                    let mut inflated = Bounded::new(crate::zstd::Decoder::new(&mut buffered), limit);
                    let r = io::copy(&mut inflated, out);
                    exceeded.store(inflated.exceeded, Ordering::Relaxed);
                    r
                }
                Compression::None => io::copy(&mut buffered, out),
            };
            copied?;
            // Past the end of the compressed stream: read the rest of the blob, so that its digest
            // is checked.
            io::copy(&mut buffered, &mut io::sink())?;
            Ok(())
        };
        let applied = decompress_ahead(produce, |reader| {
            apply_layer(reader, keep, &mut fs, &mut count, index, digest, &mut scratch)
        });
        if exceeded.load(Ordering::Relaxed) {
            return Err(LayerError::Inflation { index, digest, limit });
        }
        let actual = applied?;
        if actual != *expected {
            return Err(LayerError::DiffId {
                index,
                digest,
                expected: *expected,
                actual,
            });
        }
        fs.layers.push(digest);
        fs.diff_ids.push(actual);
    }
    Ok(fs)
}
