//! Decisions cached per (digest, environment), positive and negative, with one lookup per key at a
//! time (single flight).
//!
//! - A positive (a verified promotion) stays: the ledger is append-only, so the record stays.
//! - A negative remembers the ledger's size when it was looked up. The ledger's size is read at most
//!   once per [`SIZE_INTERVAL`]; once it has grown, the next decision of that key looks it up again,
//!   so a promotion appended after a denial takes effect within about a second.
//! - Every decision first reads the ledger's size (through the same interval): a ledger that cannot be
//!   read or has shrunk denies everything, cached positives included (fail closed).
//! - Errors are never cached. Concurrent misses of one key wait for the one lookup in flight.
//! - At most [`MAX_ENTRIES`] keys are kept; beyond that the cache starts again empty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use provenant_digest::Digest;

use crate::decision::{PromotionSource, SourceError, Verdict};

/// How often the ledger's size is read at most.
pub const SIZE_INTERVAL: Duration = Duration::from_secs(1);
/// The most keys kept.
pub const MAX_ENTRIES: usize = 65_536;

#[derive(Debug, Clone)]
enum Slot {
    Empty,
    Positive(Verdict),
    Negative { verdict: Verdict, ledger_size: u64 },
}

type Key = (Digest, String);

/// The outcome of a cached lookup.
#[derive(Debug, Clone)]
pub struct CacheOutcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Whether it came from the cache.
    pub cached: bool,
}

#[derive(Debug, Default)]
struct SizeState {
    read_at: Option<Instant>,
    size: u64,
    high_water: u64,
}

/// The cache in front of a [`PromotionSource`].
pub struct Cache {
    source: Arc<dyn PromotionSource>,
    slots: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Slot>>>>,
    size: tokio::sync::Mutex<SizeState>,
    hits: AtomicU64,
    misses: AtomicU64,
    lookups: AtomicU64,
}

impl Cache {
    /// An empty cache.
    #[must_use]
    pub fn new(source: Arc<dyn PromotionSource>) -> Cache {
        Cache {
            source,
            slots: Mutex::new(HashMap::new()),
            size: tokio::sync::Mutex::new(SizeState::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            lookups: AtomicU64::new(0),
        }
    }

    /// Answers served from the cache.
    #[must_use]
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Answers that needed a lookup.
    #[must_use]
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// Lookups run against the source.
    #[must_use]
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// The ledger's size, read at most once per [`SIZE_INTERVAL`] (concurrent callers share one read).
    /// A ledger that cannot be read or has shrunk is an error.
    pub async fn ledger_size(&self) -> Result<u64, SourceError> {
        let mut state = self.size.lock().await;
        if let Some(at) = state.read_at
            && at.elapsed() < SIZE_INTERVAL
        {
            return Ok(state.size);
        }
        let source = Arc::clone(&self.source);
        let size = tokio::task::spawn_blocking(move || source.ledger_size())
            .await
            .map_err(|_| SourceError::Aborted)??;
        if size < state.high_water {
            return Err(SourceError::Shrunk {
                size,
                seen: state.high_water,
            });
        }
        state.read_at = Some(Instant::now());
        state.size = size;
        state.high_water = size;
        Ok(size)
    }

    fn slot(&self, key: Key) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() >= MAX_ENTRIES && !slots.contains_key(&key) {
            slots.clear();
        }
        Arc::clone(
            slots
                .entry(key)
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot::Empty))),
        )
    }

    /// Was `digest` promoted into `environment`: from the cache, or looked up once for every caller
    /// waiting on the same key.
    pub async fn lookup(&self, digest: &Digest, environment: &str) -> Result<CacheOutcome, SourceError> {
        let size = self.ledger_size().await?;
        let slot = self.slot((*digest, environment.to_owned()));
        let mut slot = slot.lock().await;
        match &*slot {
            Slot::Positive(verdict) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(CacheOutcome {
                    verdict: verdict.clone(),
                    cached: true,
                });
            }
            Slot::Negative { verdict, ledger_size } if *ledger_size >= size => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(CacheOutcome {
                    verdict: verdict.clone(),
                    cached: true,
                });
            }
            Slot::Negative { .. } | Slot::Empty => {}
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let source = Arc::clone(&self.source);
        let (d, env) = (*digest, environment.to_owned());
        let verdict = tokio::task::spawn_blocking(move || source.lookup(&d, &env))
            .await
            .map_err(|_| SourceError::Aborted)??;
        *slot = match &verdict {
            Verdict::Promoted { .. } => Slot::Positive(verdict.clone()),
            Verdict::NotPromoted { .. } => Slot::Negative {
                verdict: verdict.clone(),
                ledger_size: size,
            },
        };
        Ok(CacheOutcome {
            verdict,
            cached: false,
        })
    }
}
