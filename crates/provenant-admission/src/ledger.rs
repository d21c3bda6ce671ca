//! Opening the ledger for reading decisions: never creating one, and noticing when an embedded
//! ledger's file is removed or replaced under a running webhook (an open `SQLite` connection would go
//! on reading the removed file).

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use provenant_digest::Digest;
use provenant_ledger::{Checkpoint, Hash};
use provenant_ledger_store::{Appended, Entry, LedgerStore, Location, Query, StoreError};
use zeroize::Zeroizing;

/// Why the ledger cannot be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// An embedded ledger's file does not exist (a decision never creates a ledger).
    #[error("the ledger {path} does not exist: create it with `provenant ledger init`, or pass --ledger")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The store refused to open.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the ledger at `location` for decisions; a ledger server (`https://…`) is sent `token` as its
/// bearer token.
pub fn open(
    location: &Location,
    token: Option<Zeroizing<String>>,
) -> Result<Arc<dyn LedgerStore>, OpenError> {
    match location {
        Location::Sqlite(path) => {
            let identity = identity(path).map_err(|_| OpenError::Missing { path: path.clone() })?;
            let store = provenant_ledger_store::open(location)?;
            Ok(Arc::new(FileGuard {
                inner: store,
                path: path.clone(),
                identity,
            }))
        }
        _ => Ok(provenant_ledger_store::open_with_token(location, token)?),
    }
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// A store whose every call first checks that its file is still the one opened.
struct FileGuard {
    inner: Arc<dyn LedgerStore>,
    path: PathBuf,
    identity: (u64, u64),
}

/// The file was removed or replaced since it was opened.
#[derive(Debug, thiserror::Error)]
#[error("the ledger file {} was removed or replaced since the webhook opened it", path.display())]
struct Replaced {
    path: PathBuf,
}

impl FileGuard {
    fn check(&self) -> Result<(), StoreError> {
        match identity(&self.path) {
            Ok(id) if id == self.identity => Ok(()),
            _ => Err(StoreError::Backend {
                operation: "checking the ledger file",
                source: Box::new(Replaced {
                    path: self.path.clone(),
                }),
            }),
        }
    }
}

impl LedgerStore for FileGuard {
    fn init(&self, origin: &str, verifier_key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.inner.init(origin, verifier_key)
    }
    fn origin(&self) -> Result<String, StoreError> {
        self.check()?;
        self.inner.origin()
    }
    fn verifier_key(&self) -> Result<String, StoreError> {
        self.check()?;
        self.inner.verifier_key()
    }
    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError> {
        self.check()?;
        self.inner.append(entries, time)
    }
    fn size(&self) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.size()
    }
    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        self.check()?;
        self.inner.entry(index)
    }
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        self.check()?;
        self.inner.entries(start, end)
    }
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.check()?;
        self.inner.read_hashes(indexes)
    }
    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        self.check()?;
        self.inner.query(query)
    }
    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError> {
        self.check()?;
        self.inner.put_blob(content)
    }
    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        self.inner.blob(digest)
    }
    fn save_checkpoint(&self, checkpoint: &Checkpoint, signed: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.save_checkpoint(checkpoint, signed)
    }
    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.check()?;
        self.inner.checkpoints()
    }
    fn redact(&self, index: u64, redaction: &[u8], time: u64) -> Result<Appended, StoreError> {
        self.check()?;
        self.inner.redact(index, redaction, time)
    }
}
