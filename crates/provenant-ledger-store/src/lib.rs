//! The audit ledger's stores.
//!
//! [`LedgerStore`] is the one interface every backend implements and every caller (the CLI, later the
//! HTTP server) uses: append a batch atomically (indexes assigned in order, without gaps, acknowledged
//! only once durable), read an entry, read the tree's stored node hashes for roots and proofs, look
//! entries up by their index keys, keep content-addressed blobs, keep the signed checkpoints handed out,
//! and redact an entry's content by a logged redaction entry that keeps its leaf hash. Nothing else
//! changes or removes an entry.
//!
//! [`sqlite::SqliteStore`] is the embedded default. The tree arithmetic, checkpoints and entry index keys
//! are `provenant-ledger`'s.
#![forbid(unsafe_code)]

mod error;
mod location;
pub mod redaction;
pub mod sqlite;
mod store;

pub use error::StoreError;
pub use location::{DEFAULT_SQLITE_PATH, Location};
pub use store::{Appended, Entry, LedgerStore, Query, StoreHashes, TreeHead};
