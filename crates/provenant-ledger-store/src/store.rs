//! The one interface of every ledger store.

use provenant_digest::Digest;
use provenant_ledger::entry::TermKind;
use provenant_ledger::tree::{self, HashSource};
use provenant_ledger::{Checkpoint, Hash};

use crate::error::StoreError;

/// An entry's position and leaf hash, as acknowledged by an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Its index in the log.
    pub index: u64,
    /// SHA-256(0x00 ‖ entry).
    pub leaf_hash: Hash,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its index.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// When the ledger integrated it, seconds since the Unix epoch.
    pub time: u64,
    /// Its bytes exactly as appended; `None` once redacted.
    pub content: Option<Vec<u8>>,
    /// The redaction entry that removed its content.
    pub redacted_by: Option<u64>,
}

/// The tree's current size and root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// Entries in the tree.
    pub size: u64,
    /// Its root hash.
    pub root: Hash,
}

/// An index lookup: every given key must match (an entry matches a subject when any of its subject
/// digests is that `algorithm:value`). Results are indexes in ascending order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// A subject digest, `algorithm:value`.
    pub subject: Option<String>,
    /// A predicate type URI.
    pub predicate_type: Option<String>,
    /// A source commit.
    pub commit: Option<String>,
    /// An environment.
    pub environment: Option<String>,
    /// A pipeline run.
    pub pipeline_run: Option<String>,
    /// An actor.
    pub actor: Option<String>,
    /// Integrated at or after this time (seconds since the Unix epoch).
    pub since: Option<u64>,
    /// Integrated before this time.
    pub until: Option<u64>,
    /// At most this many results (the lowest indexes).
    pub limit: Option<u64>,
}

/// A ledger store. Every implementation passes the same conformance suite.
///
/// Appends are atomic per batch and acknowledged only after they are durable; indexes are assigned in
/// order without gaps or duplicates, whatever the number of concurrent writers. No method changes or
/// removes an entry except [`LedgerStore::redact`], which removes content and keeps the leaf hash.
pub trait LedgerStore: Send + Sync {
    /// Records the log's origin and its checkpoints' verifier key (`name+hash+base64`) in a new, empty
    /// store.
    fn init(&self, origin: &str, verifier_key: &str) -> Result<(), StoreError>;

    /// The log's origin, or [`StoreError::NotInitialised`].
    fn origin(&self) -> Result<String, StoreError>;

    /// The verifier key recorded at init (informational: auditors bring their own copy).
    fn verifier_key(&self) -> Result<String, StoreError>;

    /// Appends a batch of in-toto statements (or DSSE envelopes of one) atomically, integrated at `time`:
    /// indexes in the batch's order, acknowledged once committed. An entry that is not a statement
    /// refuses the whole batch.
    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError>;

    /// Entries in the log.
    fn size(&self) -> Result<u64, StoreError>;

    /// The entry at `index`.
    fn entry(&self, index: u64) -> Result<Entry, StoreError>;

    /// The entries `start..end` (at most the ledger's size), in order.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError>;

    /// Stored node hashes by stored index (see `provenant_ledger::tree::stored_hash_index`).
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;

    /// Indexes of the entries matching `query`, ascending.
    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError>;

    /// The entries indexed by a term of `kind` whose value starts with `prefix` (an exact value is its
    /// own prefix), as `(value, index)` sorted by value then index; redacted entries have none. The
    /// default reads every entry; a store with an index of terms overrides it.
    fn terms(&self, kind: TermKind, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let size = self.size()?;
        let mut out = Vec::new();
        let mut start = 0;
        while start < size {
            let end = size.min(start.saturating_add(1024));
            for entry in self.entries(start, end)? {
                let Some(content) = &entry.content else { continue };
                let Ok(keys) = provenant_ledger::entry::EntryKeys::from_entry(content) else {
                    continue;
                };
                out.extend(
                    keys.terms
                        .into_iter()
                        .filter(|t| t.kind == kind && t.value.starts_with(prefix))
                        .map(|t| (t.value, entry.index)),
                );
            }
            start = end;
        }
        out.sort();
        Ok(out)
    }

    /// The highest index matching `query` (its `limit` ignored), if any. The default runs the whole
    /// query; a store that can ask for the last match alone overrides it.
    fn newest(&self, query: &Query) -> Result<Option<u64>, StoreError> {
        let all = Query {
            limit: None,
            ..query.clone()
        };
        Ok(self.query(&all)?.pop())
    }

    /// Stores a blob by its SHA-256 digest (idempotent) and returns the digest.
    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError>;

    /// A blob by digest.
    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError>;

    /// Keeps a signed checkpoint handed out (its body's size must be within the tree).
    fn save_checkpoint(&self, checkpoint: &Checkpoint, signed: &[u8]) -> Result<(), StoreError>;

    /// Every signed checkpoint kept, by ascending size.
    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;

    /// Appends `redaction` (a statement of predicate type
    /// [`crate::redaction::REDACTION_PREDICATE_TYPE`] naming `index` and its leaf hash) and removes the
    /// content of entry `index`, keeping its leaf hash, in one transaction.
    fn redact(&self, index: u64, redaction: &[u8], time: u64) -> Result<Appended, StoreError>;

    /// The tree's size and root.
    fn tree_head(&self) -> Result<TreeHead, StoreError> {
        let size = self.size()?;
        let root = tree::root(size, &StoreHashes(self))?;
        Ok(TreeHead { size, root })
    }

    /// The latest signed checkpoint kept.
    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.checkpoints()?.pop().map(|(_, note)| note))
    }

    /// Inclusion proof of `index` in the tree of `size` entries.
    fn prove_inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(size)?;
        Ok(tree::prove_inclusion(index, size, &StoreHashes(self))?)
    }

    /// Consistency proof from `from` to `to` entries.
    fn prove_consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(to)?;
        Ok(tree::prove_consistency(from, to, &StoreHashes(self))?)
    }

    /// The root of the tree of the first `size` entries.
    fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        self.check_size(size)?;
        Ok(tree::root(size, &StoreHashes(self))?)
    }

    /// An error unless the tree has at least `size` entries.
    fn check_size(&self, size: u64) -> Result<(), StoreError> {
        let ledger_size = self.size()?;
        if size > ledger_size {
            return Err(StoreError::NoEntry {
                index: size.saturating_sub(1),
                size: ledger_size,
            });
        }
        Ok(())
    }
}

/// A store's stored hashes as a [`HashSource`].
pub struct StoreHashes<'a, S: LedgerStore + ?Sized>(pub &'a S);

impl<S: LedgerStore + ?Sized> HashSource for StoreHashes<'_, S> {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.0.read_hashes(indexes)
    }
}

/// The index keys of every entry of a batch, in order: an empty batch, or an entry that is not a
/// statement, refuses the whole batch (naming the entry's position). Every store appends through it.
pub(crate) fn parse_batch(
    entries: &[Vec<u8>],
) -> Result<Vec<provenant_ledger::entry::EntryKeys>, StoreError> {
    if entries.is_empty() {
        return Err(StoreError::EmptyBatch);
    }
    entries
        .iter()
        .enumerate()
        .map(|(position, e)| {
            provenant_ledger::entry::EntryKeys::from_entry(e)
                .map_err(|source| StoreError::BadEntry { position, source })
        })
        .collect()
}
