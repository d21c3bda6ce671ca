//! A `LedgerStore` wrapped to count lookups, fail, stall or report a shrunk size: the store the cache and
//! fail-closed tests put between the decider and a real `SQLite` ledger.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provenant_digest::Digest;
use provenant_ledger::{Checkpoint, Hash};
use provenant_ledger_store::{Appended, Entry, LedgerStore, Query, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    /// Every call fails.
    Fail,
    /// Every call sleeps this long first.
    Stall(Duration),
    /// `size` reports this many entries fewer.
    Shrink(u64),
}

pub(crate) struct Probe {
    inner: Arc<dyn LedgerStore>,
    pub(crate) queries: AtomicU64,
    mode: Mutex<Mode>,
}

#[derive(Debug, thiserror::Error)]
#[error("the test store refuses")]
struct Refused;

impl Probe {
    pub(crate) fn new(inner: Arc<dyn LedgerStore>) -> Arc<Probe> {
        Arc::new(Probe {
            inner,
            queries: AtomicU64::new(0),
            mode: Mutex::new(Mode::Normal),
        })
    }

    pub(crate) fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub(crate) fn queries(&self) -> u64 {
        self.queries.load(Ordering::SeqCst)
    }

    fn gate(&self) -> Result<(), StoreError> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Fail => Err(StoreError::Backend {
                operation: "reading",
                source: Box::new(Refused),
            }),
            Mode::Stall(d) => {
                std::thread::sleep(d);
                Ok(())
            }
            Mode::Normal | Mode::Shrink(_) => Ok(()),
        }
    }
}

impl LedgerStore for Probe {
    fn init(&self, origin: &str, verifier_key: &str) -> Result<(), StoreError> {
        self.gate()?;
        self.inner.init(origin, verifier_key)
    }
    fn origin(&self) -> Result<String, StoreError> {
        self.gate()?;
        self.inner.origin()
    }
    fn verifier_key(&self) -> Result<String, StoreError> {
        self.gate()?;
        self.inner.verifier_key()
    }
    fn append(&self, entries: &[Vec<u8>], time: u64) -> Result<Vec<Appended>, StoreError> {
        self.gate()?;
        self.inner.append(entries, time)
    }
    fn size(&self) -> Result<u64, StoreError> {
        self.gate()?;
        let size = self.inner.size()?;
        match *self.mode.lock().unwrap() {
            Mode::Shrink(n) => Ok(size.saturating_sub(n)),
            _ => Ok(size),
        }
    }
    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        self.gate()?;
        self.inner.entry(index)
    }
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        self.gate()?;
        self.inner.entries(start, end)
    }
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.gate()?;
        self.inner.read_hashes(indexes)
    }
    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.gate()?;
        self.inner.query(query)
    }
    fn put_blob(&self, content: &[u8]) -> Result<Digest, StoreError> {
        self.gate()?;
        self.inner.put_blob(content)
    }
    fn blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        self.gate()?;
        self.inner.blob(digest)
    }
    fn save_checkpoint(&self, checkpoint: &Checkpoint, signed: &[u8]) -> Result<(), StoreError> {
        self.gate()?;
        self.inner.save_checkpoint(checkpoint, signed)
    }
    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.gate()?;
        self.inner.checkpoints()
    }
    fn redact(&self, index: u64, redaction: &[u8], time: u64) -> Result<Appended, StoreError> {
        self.gate()?;
        self.inner.redact(index, redaction, time)
    }
}
