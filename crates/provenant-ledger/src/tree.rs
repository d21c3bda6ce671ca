//! The Merkle tree over the log's entries: stored node hashes, roots, inclusion and consistency proofs.
//!
//! A store keeps, for every leaf appended, the hashes [`hashes_to_store`] returns, at consecutive stored
//! indexes from [`stored_hash_index`]`(0, leaf)`: the leaf hash and the hash of every subtree the leaf
//! completes (the layout of Go's `golang.org/x/mod/sumdb/tlog`, about two hashes per leaf). Any root and
//! any proof then needs at most `2·log₂ n` point reads through a [`HashSource`], whatever the tree's size.
//! The arithmetic is `tlog_tiles`'; proofs are RFC 6962/9162 audit paths and consistency proofs.

use std::cell::RefCell;

use crate::hash::Hash;

/// Largest tree size accepted anywhere (keeps every index computation far from overflow).
pub const MAX_TREE_SIZE: u64 = 1 << 56;

/// Longest proof accepted: a tree of [`MAX_TREE_SIZE`] leaves never needs more.
pub const MAX_PROOF_HASHES: usize = 2 * 64;

/// Where stored node hashes come from: a store's table, a tile cache, a map in a test.
pub trait HashSource {
    /// Why a read failed.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The hashes at the given stored indexes (see [`stored_hash_index`]), in the order asked. Returning
    /// fewer or more hashes than asked is reported as [`ProofError::ShortRead`].
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

/// Why a root or proof could not be computed, or why a proof does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index is not a leaf of a tree of that size.
    #[error("index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf asked for.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// A consistency proof needs `1 <= from <= to`.
    #[error("no consistency proof from size {from} to size {to}: it needs 1 <= from <= to")]
    BadSizes {
        /// The older size.
        from: u64,
        /// The newer size.
        to: u64,
    },
    /// A size beyond what the ledger supports.
    #[error("tree size {size} is larger than the largest supported, {MAX_TREE_SIZE}")]
    TooLarge {
        /// The size given.
        size: u64,
    },
    /// A proof with more hashes than any tree needs.
    #[error("proof has {found} hashes, more than any supported tree needs ({MAX_PROOF_HASHES})")]
    ProofTooLong {
        /// Hashes in the proof.
        found: usize,
    },
    /// The proof does not lead to the expected root.
    #[error("proof does not verify: the hashes do not lead to the expected root")]
    Mismatch,
    /// The hash source failed.
    #[error("cannot read the tree's stored hashes")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The hash source returned a different number of hashes than asked for.
    #[error("hash source returned {got} hashes for {asked} indexes")]
    ShortRead {
        /// Indexes asked.
        asked: usize,
        /// Hashes returned.
        got: usize,
    },
}

/// Adapts a [`HashSource`] to `tlog_tiles`' reader, keeping the source's own error.
struct Reader<'a, S: HashSource> {
    source: &'a S,
    failure: RefCell<Option<ProofError>>,
}

impl<'a, S: HashSource> Reader<'a, S> {
    fn new(source: &'a S) -> Self {
        Reader {
            source,
            failure: RefCell::new(None),
        }
    }

    /// The error to report for a `tlog_tiles` failure: the source's own when it failed.
    fn error(&self, fallback: ProofError) -> ProofError {
        self.failure.borrow_mut().take().unwrap_or(fallback)
    }
}

impl<S: HashSource> tlog_tiles::HashReader for Reader<'_, S> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        match self.source.read_hashes(indexes) {
            Ok(hashes) if hashes.len() == indexes.len() => {
                Ok(hashes.into_iter().map(Hash::to_tlog).collect())
            }
            Ok(hashes) => {
                *self.failure.borrow_mut() = Some(ProofError::ShortRead {
                    asked: indexes.len(),
                    got: hashes.len(),
                });
                Err(tlog_tiles::Error::IndexesNotInTree)
            }
            Err(e) => {
                *self.failure.borrow_mut() = Some(ProofError::Source(Box::new(e)));
                Err(tlog_tiles::Error::IndexesNotInTree)
            }
        }
    }
}

fn check_size(size: u64) -> Result<(), ProofError> {
    if size > MAX_TREE_SIZE {
        return Err(ProofError::TooLarge { size });
    }
    Ok(())
}

/// The stored index of the node at `level` (0 = leaves) and position `n` within that level.
#[must_use]
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    tlog_tiles::stored_hash_index(level, n)
}

/// How many hashes a tree of `size` leaves stores.
#[must_use]
pub fn stored_hash_count(size: u64) -> u64 {
    tlog_tiles::stored_hash_count(size)
}

/// The hashes to store when leaf `index` (with hash `leaf`) is appended to a tree of `index` leaves: the
/// leaf hash first, then those of the subtrees it completes, for stored indexes starting at
/// [`stored_hash_index`]`(0, index)`. Reads up to `log₂ index` earlier hashes.
pub fn hashes_to_store<S: HashSource>(index: u64, leaf: Hash, source: &S) -> Result<Vec<Hash>, ProofError> {
    check_size(index.saturating_add(1))?;
    let reader = Reader::new(source);
    tlog_tiles::stored_hashes_for_record_hash(index, leaf.to_tlog(), &reader)
        .map(|v| v.into_iter().map(Hash::from_tlog).collect())
        .map_err(|_| reader.error(ProofError::Mismatch))
}

/// The root hash of the tree of the first `size` leaves.
pub fn root<S: HashSource>(size: u64, source: &S) -> Result<Hash, ProofError> {
    check_size(size)?;
    let reader = Reader::new(source);
    tlog_tiles::tree_hash(size, &reader)
        .map(Hash::from_tlog)
        .map_err(|_| reader.error(ProofError::Mismatch))
}

/// The inclusion proof (audit path, leaf to root) of leaf `index` in the tree of `size` leaves.
pub fn prove_inclusion<S: HashSource>(index: u64, size: u64, source: &S) -> Result<Vec<Hash>, ProofError> {
    check_size(size)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let reader = Reader::new(source);
    tlog_tiles::prove_record(size, index, &reader)
        .map(|v| v.into_iter().map(Hash::from_tlog).collect())
        .map_err(|_| reader.error(ProofError::Mismatch))
}

/// The consistency proof that the tree of `to` leaves extends the tree of `from` leaves.
pub fn prove_consistency<S: HashSource>(from: u64, to: u64, source: &S) -> Result<Vec<Hash>, ProofError> {
    check_size(to)?;
    if from == 0 || from > to {
        return Err(ProofError::BadSizes { from, to });
    }
    if from == to {
        return Ok(Vec::new());
    }
    let reader = Reader::new(source);
    tlog_tiles::prove_tree(to, from, &reader)
        .map(|v| v.into_iter().map(Hash::from_tlog).collect())
        .map_err(|_| reader.error(ProofError::Mismatch))
}

fn check_proof_len(proof: &[Hash]) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_HASHES {
        return Err(ProofError::ProofTooLong { found: proof.len() });
    }
    Ok(())
}

/// Verifies that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    proof: &[Hash],
    index: u64,
    size: u64,
    leaf: &Hash,
    root: &Hash,
) -> Result<(), ProofError> {
    check_size(size)?;
    check_proof_len(proof)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let p: Vec<tlog_tiles::Hash> = proof.iter().map(|h| h.to_tlog()).collect();
    tlog_tiles::check_record(&p, size, root.to_tlog(), index, leaf.to_tlog())
        .map_err(|_| ProofError::Mismatch)
}

/// Verifies that the tree of `to` leaves with root `to_root` extends the tree of `from` leaves with root
/// `from_root`. Equal sizes need an empty proof and equal roots.
pub fn verify_consistency(
    proof: &[Hash],
    from: u64,
    from_root: &Hash,
    to: u64,
    to_root: &Hash,
) -> Result<(), ProofError> {
    check_size(to)?;
    check_proof_len(proof)?;
    if from == 0 || from > to {
        return Err(ProofError::BadSizes { from, to });
    }
    let p: Vec<tlog_tiles::Hash> = proof.iter().map(|h| h.to_tlog()).collect();
    tlog_tiles::check_tree(&p, to, to_root.to_tlog(), from, from_root.to_tlog())
        .map_err(|_| ProofError::Mismatch)
}

/// Hashes held in memory: the stored hashes of a whole tree (tests, bundles, recomputing a log from its
/// entries).
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    stored: Vec<Hash>,
    size: u64,
}

/// A read past the end of a [`MemoryTree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored hash {index} is not in the tree")]
pub struct NotStored {
    /// The stored index asked for.
    pub index: u64,
}

impl HashSource for MemoryTree {
    type Error = NotStored;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, NotStored> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|u| self.stored.get(u))
                    .copied()
                    .ok_or(NotStored { index: i })
            })
            .collect()
    }
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Appends a leaf by its hash; returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> Result<u64, ProofError> {
        let index = self.size;
        let new = hashes_to_store(index, leaf, self)?;
        self.stored.extend(new);
        self.size += 1;
        Ok(index)
    }

    /// Appends an entry; returns its index.
    pub fn push(&mut self, entry: &[u8]) -> Result<u64, ProofError> {
        self.push_leaf_hash(crate::hash::leaf_hash(entry))
    }

    /// Leaves in the tree.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, ProofError> {
        root(self.size, self)
    }
}

/// The level and position of the node stored at `index` (the inverse of [`stored_hash_index`]).
#[must_use]
pub fn split_stored_hash_index(index: u64) -> (u8, u64) {
    tlog_tiles::split_stored_hash_index(index)
}
