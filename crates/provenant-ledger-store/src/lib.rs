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

pub mod audit;
mod batch;
mod error;
mod location;
pub mod postgres;
pub mod redaction;
pub mod remote;
pub mod sqlite;
mod store;

pub use error::StoreError;
pub use location::{DEFAULT_SQLITE_PATH, Location};
pub use store::{Appended, Entry, LedgerStore, Query, StoreHashes, TreeHead};

use std::sync::Arc;

use provenant_ledger::{NoteError, NoteSigner};
use zeroize::Zeroizing;

/// The entries matching `query` with their content, oldest first (in index order), each read as the
/// iterator reaches it (a caller that stops early reads no more); redacted entries, which have no
/// content, are left out.
///
/// # Errors
/// When the query fails; each item, when its entry cannot be read.
pub fn contents<'a>(
    store: &'a dyn LedgerStore,
    query: &Query,
) -> Result<impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + 'a, StoreError> {
    let mut indexes = store.query(query)?;
    indexes.sort_unstable();
    Ok(indexes
        .into_iter()
        .filter_map(move |index| match store.entry(index) {
            Ok(entry) => entry.content.map(|content| Ok((index, content))),
            Err(e) => Some(Err(e)),
        }))
}

/// Opens the store at `location` (an embedded `SQLite` file is created when absent); a remote ledger
/// without a token.
pub fn open(location: &Location) -> Result<Arc<dyn LedgerStore>, StoreError> {
    open_with_token(location, None)
}

/// Opens the store at `location`; a remote ledger is sent `token` as its bearer token.
pub fn open_with_token(
    location: &Location,
    token: Option<Zeroizing<String>>,
) -> Result<Arc<dyn LedgerStore>, StoreError> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open(path)?)),
        Location::Postgres(url) => Ok(Arc::new(postgres::PostgresStore::connect(url)?)),
        Location::Remote(url) => Ok(Arc::new(remote::RemoteStore::connect(
            url,
            token,
            remote::RemoteOptions::default(),
        )?)),
    }
}

/// Opens the store at `location` for `audit::verify_ledger`, which checks every invariant itself and
/// names the one that fails (where [`open`] refuses an inconsistent store outright); a remote ledger is
/// sent `token`.
pub fn open_for_audit(
    location: &Location,
    token: Option<Zeroizing<String>>,
) -> Result<Arc<dyn LedgerStore>, StoreError> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open_for_audit(path)?)),
        _ => open_with_token(location, token),
    }
}

/// Why a note key could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyGenError {
    /// The system's random source failed.
    #[error("the system random number generator failed")]
    Random,
    /// The name cannot name a note key.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A new Ed25519 note key named `name`, its seed drawn from the system's random source.
pub fn generate_note_key(name: &str) -> Result<NoteSigner, KeyGenError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|_| KeyGenError::Random)?;
    Ok(NoteSigner::from_seed(name, &seed)?)
}
