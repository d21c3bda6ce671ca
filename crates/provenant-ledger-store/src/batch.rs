//! What every store does the same way when it writes a batch: the tree's new node hashes computed in
//! memory from the few stored hashes the batch needs, read once before it.

use std::cell::RefCell;
use std::collections::BTreeMap;

use provenant_ledger::Hash;
use provenant_ledger::tree::{self, HashSource};

use crate::error::StoreError;

/// Stored hashes held for one batch: those read before it ([`needed_before`]), and those it writes.
pub(crate) struct Overlay(RefCell<BTreeMap<u64, Hash>>);

impl Overlay {
    /// An overlay over the stored hashes `before` the batch.
    pub(crate) fn new(before: BTreeMap<u64, Hash>) -> Overlay {
        Overlay(RefCell::new(before))
    }

    /// Adds leaf `index` (the batch's next one) and returns the node hashes to store for it, with
    /// their stored indexes.
    pub(crate) fn add(&self, index: u64, leaf: Hash) -> Result<Vec<(u64, Hash)>, StoreError> {
        let new = tree::hashes_to_store(index, leaf, self)?;
        let first = tree::stored_hash_index(0, index);
        let out: Vec<(u64, Hash)> = (first..).zip(new).collect();
        self.0.borrow_mut().extend(out.iter().copied());
        Ok(out)
    }
}

impl HashSource for Overlay {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let map = self.0.borrow();
        indexes
            .iter()
            .map(|i| {
                map.get(i).copied().ok_or_else(|| StoreError::Corrupt {
                    check: format!("tree hash {i} is missing"),
                })
            })
            .collect()
    }
}

/// The stored hashes from before `size` that appending `count` leaves reads.
pub(crate) fn needed_before(size: u64, count: u64) -> Vec<u64> {
    let first_new = tree::stored_hash_index(0, size);
    let mut ids = Vec::new();
    for n in size..size.saturating_add(count) {
        for i in 0..n.saturating_add(1).trailing_zeros() {
            let id = tree::stored_hash_index(i as u8, (n >> i).saturating_sub(1));
            if id < first_new {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}
