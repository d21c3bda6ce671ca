//! Errors of every store operation.

use std::path::PathBuf;

use provenant_ledger::entry::EntryError;
use provenant_ledger::tree::ProofError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open the ledger at {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A database operation failed.
    #[error("ledger database error while {operation}")]
    Backend {
        /// What was being done.
        operation: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The ledger has not been initialised.
    #[error("the ledger is not initialised: run `provenant ledger init` first")]
    NotInitialised,
    /// The ledger was initialised already (with this origin).
    #[error("the ledger is already initialised with origin {origin}")]
    AlreadyInitialised {
        /// The existing origin.
        origin: String,
    },
    /// An entry of a batch is not a valid ledger entry; nothing of the batch was appended.
    #[error("entry {position} of the batch was refused (nothing was appended)")]
    BadEntry {
        /// Position in the batch, from 0.
        position: usize,
        /// Why.
        #[source]
        source: EntryError,
    },
    /// An empty batch.
    #[error("nothing to append: the batch is empty")]
    EmptyBatch,
    /// No entry at this index.
    #[error("no entry {index}: the ledger has {size} entries")]
    NoEntry {
        /// The index asked for.
        index: u64,
        /// The ledger's size.
        size: u64,
    },
    /// A root or proof could not be computed.
    #[error("cannot compute the tree")]
    Tree(#[from] ProofError),
    /// The stored data breaks an invariant (a torn or tampered database).
    #[error("the ledger database is inconsistent: {check}")]
    Corrupt {
        /// The invariant that does not hold.
        check: String,
    },
    /// A redaction entry that does not name the entry it redacts correctly.
    #[error("redaction refused: {reason}")]
    BadRedaction {
        /// Why.
        reason: &'static str,
    },
    /// The entry was redacted: its content is gone, its leaf hash remains.
    #[error("entry {index} was redacted by entry {by}")]
    Redacted {
        /// The redacted entry.
        index: u64,
        /// The redaction entry.
        by: u64,
    },
    /// A checkpoint for a size the tree does not have.
    #[error("checkpoint size {size} is larger than the ledger ({ledger_size} entries)")]
    CheckpointBeyondTree {
        /// The checkpoint's size.
        size: u64,
        /// The ledger's size.
        ledger_size: u64,
    },
    /// A blob too large to store.
    #[error("blob of {size} bytes is larger than the {max} a blob may have")]
    BlobTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The database or ledger server did not answer within the deadline (a stalled or unreachable
    /// server, or a lock another session holds): nothing was acknowledged, and a transaction cut short is
    /// rolled back.
    #[error("the ledger did not finish {operation} within its {}s deadline: its database or server is stalled, unreachable or waiting on a lock another session holds; check it and retry", deadline.as_secs_f64())]
    Deadline {
        /// What was being done.
        operation: &'static str,
        /// The deadline that passed.
        deadline: std::time::Duration,
    },
    /// A ledger location this build cannot open.
    #[error("unsupported ledger location {location}: {reason}")]
    Unsupported {
        /// The location as given.
        location: String,
        /// Why.
        reason: &'static str,
    },
}

impl StoreError {
    pub(crate) fn backend(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |e| StoreError::Backend {
            operation,
            source: Box::new(e),
        }
    }
}
