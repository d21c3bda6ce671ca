use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::algorithm::Algorithm;
use crate::digest::Digest;
use crate::tree::{self, TreeError};

/// Read buffer for streaming: large enough that syscall overhead vanishes next to hashing.
pub(crate) const STREAM_BUFFER: usize = 1 << 20;

/// Receives progress while hashing. The CLI renders it; libraries never do.
pub trait Progress: Sync {
    /// `bytes` more bytes of content were hashed.
    fn bytes(&self, bytes: u64);
    /// One more file (or other tree entry) was finished.
    fn entry(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn bytes(&self, _bytes: u64) {}
}

/// An incremental hasher for one [`Algorithm`]; implements [`io::Write`] so it can be the target of
/// `io::copy`.
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A fresh hasher.
    #[must_use]
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher(match algorithm {
            Algorithm::Sha256 => Inner::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Inner::Sha512(sha2::Sha512::new()),
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Sha256(h) => h.update(data),
            Inner::Sha512(h) => h.update(data),
        }
    }

    /// Finishes and returns the digest.
    #[must_use]
    pub fn finish(self) -> Digest {
        let (algorithm, out): (Algorithm, Vec<u8>) = match self.0 {
            Inner::Sha256(h) => (Algorithm::Sha256, h.finalize().to_vec()),
            Inner::Sha512(h) => (Algorithm::Sha512, h.finalize().to_vec()),
        };
        // The output length always matches the algorithm, so this cannot fail; fall back to an
        // all-zero digest rather than panic if sha2 ever broke that contract.
        Digest::from_bytes(algorithm, &out).unwrap_or_else(|_| Digest::zero(algorithm))
    }
}

impl io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashing a file or tree failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// Reading the named file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file being read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// Reading a stream (such as standard input) failed.
    #[error("cannot read input stream: {0}")]
    Stream(#[source] io::Error),
    /// Digesting a directory tree failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

impl Algorithm {
    /// Digest of an in-memory byte slice.
    #[must_use]
    pub fn hash_bytes(self, data: &[u8]) -> Digest {
        let mut h = Hasher::new(self);
        h.update(data);
        h.finish()
    }

    /// Streams a reader to its end and returns the digest of everything read.
    pub fn hash_reader<R: Read>(self, reader: R, progress: &dyn Progress) -> Result<Digest, HashError> {
        let mut buf = vec![0u8; STREAM_BUFFER];
        hash_stream(self, reader, &mut buf, progress).map_err(HashError::Stream)
    }

    /// Digest of a file's content (following symlinks, as `sha256sum` does).
    ///
    /// Files larger than a few megabytes are read on a second thread while this one hashes, so that
    /// the kernel's copying overlaps with hashing.
    pub fn hash_file(self, path: &Path, progress: &dyn Progress) -> Result<Digest, HashError> {
        let read_err = |source| HashError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        let large = file
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() >= PIPELINE_THRESHOLD);
        if large {
            hash_pipelined(self, file, progress).map_err(read_err)
        } else {
            let mut buf = vec![0u8; STREAM_BUFFER];
            hash_stream(self, file, &mut buf, progress).map_err(read_err)
        }
    }
}

/// Files at least this large are hashed with a reader thread.
const PIPELINE_THRESHOLD: u64 = 8 << 20;
/// Buffers in flight between the reader and the hasher.
const PIPELINE_BUFFERS: usize = 3;

/// Reads `reader` on a scoped thread into a small ring of buffers and hashes them here.
fn hash_pipelined<R: Read + Send>(
    algorithm: Algorithm,
    mut reader: R,
    progress: &dyn Progress,
) -> io::Result<Digest> {
    use std::sync::mpsc;
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(PIPELINE_BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(PIPELINE_BUFFERS);
    for _ in 0..PIPELINE_BUFFERS {
        let _ = empty_tx.send(vec![0u8; STREAM_BUFFER * 4]);
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let result = loop {
                    match reader.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other,
                    }
                };
                let done = !matches!(result, Ok(n) if n > 0);
                if full_tx.send(result.map(|n| (buf, n))).is_err() || done {
                    break;
                }
            }
        });
        let mut h = Hasher::new(algorithm);
        let mut outcome = Ok(());
        while let Ok(message) = full_rx.recv() {
            match message {
                Ok((_, 0)) => break,
                Ok((buf, n)) => {
                    if let Some(chunk) = buf.get(..n) {
                        h.update(chunk);
                    }
                    progress.bytes(n as u64);
                    // The reader may already have finished; a closed channel just ends the recycling.
                    let _ = empty_tx.send(buf);
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // Closing both channels unblocks the reader whatever state it is in, so the scope can end.
        drop(full_rx);
        drop(empty_tx);
        outcome.map(|()| h.finish())
    })
}

/// Hashes a regular file whose size `expected_len` was just read from its metadata. It saves the
/// final zero-length read that normally detects end of file when a read came back short *and* the
/// bytes read equal the expected size: on a regular file a short read means end of file, and the size
/// agreeing confirms it. Anything else (growth, shrinking, short reads on odd file systems) falls back
/// to reading until a zero-length read.
pub(crate) fn hash_regular_file(
    algorithm: Algorithm,
    path: &Path,
    expected_len: u64,
    buf: &mut [u8],
    progress: &dyn Progress,
) -> io::Result<Digest> {
    let file = File::open(path)?;
    hash_until(algorithm, file, buf, progress, Some(expected_len))
}

fn hash_stream<R: Read>(
    algorithm: Algorithm,
    reader: R,
    buf: &mut [u8],
    progress: &dyn Progress,
) -> io::Result<Digest> {
    hash_until(algorithm, reader, buf, progress, None)
}

/// Hashes what `reader` yields until its end, or, when `expected_len` is given, until a short read
/// completes that many bytes (which saves the final zero-length read of a regular file).
fn hash_until<R: Read>(
    algorithm: Algorithm,
    mut reader: R,
    buf: &mut [u8],
    progress: &dyn Progress,
    expected_len: Option<u64>,
) -> io::Result<Digest> {
    let mut h = Hasher::new(algorithm);
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(chunk) = buf.get(..n) {
            h.update(chunk);
        }
        progress.bytes(n as u64);
        total += n as u64;
        if n < buf.len() && Some(total) == expected_len {
            break;
        }
    }
    Ok(h.finish())
}

/// What [`digest_path`] found at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PathKind {
    /// A file: the digest is of its content, as `sha256sum` computes it.
    File,
    /// A directory: the digest is the tree digest of `docs/tree-digest.md`.
    Tree,
}

/// The result of [`digest_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestedPath {
    /// The digest.
    pub digest: Digest,
    /// Whether it is a file or a tree digest.
    pub kind: PathKind,
}

/// Digest of whatever is at `path`: file content for anything that is not a directory (following a
/// symlink given directly), the tree digest for a directory.
pub fn digest_path(
    algorithm: Algorithm,
    path: &Path,
    progress: &dyn Progress,
) -> Result<DigestedPath, HashError> {
    let meta = std::fs::metadata(path).map_err(|source| HashError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        let digest = tree::digest_tree(algorithm, path, progress)?.digest;
        Ok(DigestedPath {
            digest,
            kind: PathKind::Tree,
        })
    } else {
        let digest = algorithm.hash_file(path, progress)?;
        progress.entry();
        Ok(DigestedPath {
            digest,
            kind: PathKind::File,
        })
    }
}
