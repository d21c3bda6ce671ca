//! Integration tests of `provenant-ledger`.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod entry;
mod merkle;
mod note;
mod tiles;

use std::path::{Path, PathBuf};

pub(crate) fn vectors(rel: &str) -> PathBuf {
    provenant_testkit::vectors_dir().join(rel)
}

pub(crate) fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap()
}
