//! Reproducible digests of directory trees.
//!
//! The digest depends on exactly these properties of each entry below the root: its path relative to
//! the root, its type, for regular files the executable bit and the content, and for symlinks the
//! target. It does not depend on modification times, owners, groups, other permission bits, inode
//! numbers or the order in which the file system lists entries. Symlinks inside the tree are recorded,
//! never followed, so a tree with a symlink loop still has a digest.
//!
//! The algorithm (version 1), which `docs/tree-digest.md` specifies for other implementations:
//!
//! 1. List every entry below the root (not the root itself), recursively, without following symlinks.
//!    Its path is the sequence of names from the root joined with `/`, as raw bytes.
//! 2. Sort the entries by path, byte-wise.
//! 3. For each entry write one line `<type> <value> <path>\n`, where `<type>` and `<value>` are
//!    - `d -` for a directory,
//!    - `f <hex>` for a regular file without any execute bit, `x <hex>` for one with any execute bit,
//!      `<hex>` being the lowercase hex digest of its content,
//!    - `l <hex>` for a symlink, `<hex>` being the digest of its target's bytes,
//!    - `p -`, `s -`, `b -`, `c -` for a FIFO, socket, block device or character device.
//! 4. The tree digest is the digest of `provenant-tree-v1\n` followed by all lines, with the same
//!    algorithm as the entries.
//!
//! A path containing a newline cannot be written as a line and is refused with
//! [`TreeError::UnrepresentablePath`].

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::algorithm::Algorithm;
use crate::digest::Digest;
use crate::hash::{Hasher, Progress, STREAM_BUFFER, hash_file_with};

/// The first line hashed, which names the algorithm version.
pub const FORMAT_HEADER: &[u8] = b"provenant-tree-v1\n";

/// Per-worker read buffer for tree hashing: most files in a tree are small.
const TREE_BUFFER: usize = STREAM_BUFFER / 4;

/// The digest of a tree and what went into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeDigest {
    /// The tree digest.
    pub digest: Digest,
    /// Entries (files, directories, symlinks, others) below the root.
    pub entries: u64,
    /// Bytes of regular-file content hashed.
    pub bytes: u64,
}

/// Digesting a tree failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// Listing a directory or reading an entry's metadata failed.
    #[error("cannot list {path}: {source}")]
    Walk {
        /// The directory or entry.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Reading a symlink's target failed.
    #[error("cannot read symlink {path}: {source}")]
    ReadLink {
        /// The symlink.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Reading a file's content failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The root is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path given as root.
        path: PathBuf,
    },
    /// A path contains a newline, which the line-based format cannot represent.
    #[error("{path:?} contains a newline, which a tree digest cannot represent")]
    UnrepresentablePath {
        /// The offending path.
        path: PathBuf,
    },
}

/// The type of a tree entry, with what the digest needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Directory,
    File { executable: bool, len: u64 },
    Symlink { target: Vec<u8> },
    Fifo,
    Socket,
    BlockDevice,
    CharDevice,
}

#[derive(Debug)]
struct Entry {
    relative: Vec<u8>,
    absolute: PathBuf,
    kind: Kind,
}

/// Computes the tree digest of the directory `root` (following `root` itself if it is a symlink).
///
/// Regular files are hashed in parallel on rayon's global pool.
pub fn digest_tree(
    algorithm: Algorithm,
    root: &Path,
    progress: &dyn Progress,
) -> Result<TreeDigest, TreeError> {
    let meta = fs::metadata(root).map_err(|source| TreeError::Walk {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(TreeError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let mut entries = walk(root)?;
    entries.sort_unstable_by(|a, b| a.relative.cmp(&b.relative));

    let file_digests: Vec<Option<Digest>> = entries
        .par_iter()
        .map_init(
            || vec![0u8; TREE_BUFFER],
            |buf, entry| {
                let digest = if let Kind::File { .. } = entry.kind {
                    Some(
                        hash_file_with(algorithm, &entry.absolute, buf, progress).map_err(|source| {
                            TreeError::Read {
                                path: entry.absolute.clone(),
                                source,
                            }
                        })?,
                    )
                } else {
                    None
                };
                progress.entry();
                Ok(digest)
            },
        )
        .collect::<Result<_, TreeError>>()?;

    let mut hasher = Hasher::new(algorithm);
    hasher.update(FORMAT_HEADER);
    let mut bytes = 0u64;
    for (entry, file_digest) in entries.iter().zip(&file_digests) {
        let (tag, value) = match (&entry.kind, file_digest) {
            (Kind::Directory, _) => ("d", None),
            (Kind::File { executable, .. }, Some(d)) => (if *executable { "x" } else { "f" }, Some(d.hex())),
            (Kind::File { .. }, None) => ("f", None),
            (Kind::Symlink { target }, _) => ("l", Some(algorithm.hash_bytes(target).hex())),
            (Kind::Fifo, _) => ("p", None),
            (Kind::Socket, _) => ("s", None),
            (Kind::BlockDevice, _) => ("b", None),
            (Kind::CharDevice, _) => ("c", None),
        };
        if let Kind::File { len, .. } = entry.kind {
            bytes += len;
        }
        hasher.update(tag.as_bytes());
        hasher.update(b" ");
        hasher.update(value.as_deref().unwrap_or("-").as_bytes());
        hasher.update(b" ");
        hasher.update(&entry.relative);
        hasher.update(b"\n");
    }
    Ok(TreeDigest {
        digest: hasher.finish(),
        entries: entries.len() as u64,
        bytes,
    })
}

/// Lists every entry below `root` with an explicit stack, so that deep trees cannot exhaust the
/// thread's stack.
fn walk(root: &Path) -> Result<Vec<Entry>, TreeError> {
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, Vec<u8>)> = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let listing = fs::read_dir(&dir).map_err(|source| TreeError::Walk {
            path: dir.clone(),
            source,
        })?;
        for item in listing {
            let item = item.map_err(|source| TreeError::Walk {
                path: dir.clone(),
                source,
            })?;
            let absolute = item.path();
            let name = item.file_name();
            let mut relative = prefix.clone();
            if !relative.is_empty() {
                relative.push(b'/');
            }
            relative.extend_from_slice(name.as_bytes());
            if relative.contains(&b'\n') {
                return Err(TreeError::UnrepresentablePath { path: absolute });
            }
            let file_type = item.file_type().map_err(|source| TreeError::Walk {
                path: absolute.clone(),
                source,
            })?;
            let kind = if file_type.is_dir() {
                stack.push((absolute.clone(), relative.clone()));
                Kind::Directory
            } else if file_type.is_file() {
                // DirEntry::metadata does not follow symlinks.
                let meta = item.metadata().map_err(|source| TreeError::Walk {
                    path: absolute.clone(),
                    source,
                })?;
                Kind::File {
                    executable: meta.permissions().mode() & 0o111 != 0,
                    len: meta.len(),
                }
            } else if file_type.is_symlink() {
                let target = fs::read_link(&absolute).map_err(|source| TreeError::ReadLink {
                    path: absolute.clone(),
                    source,
                })?;
                Kind::Symlink {
                    target: target.as_os_str().as_bytes().to_vec(),
                }
            } else if file_type.is_fifo() {
                Kind::Fifo
            } else if file_type.is_socket() {
                Kind::Socket
            } else if file_type.is_block_device() {
                Kind::BlockDevice
            } else {
                Kind::CharDevice
            };
            out.push(Entry {
                relative,
                absolute,
                kind,
            });
        }
    }
    Ok(out)
}
