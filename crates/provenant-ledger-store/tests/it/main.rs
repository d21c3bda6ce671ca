//! Integration tests of `provenant-ledger-store`: the conformance suite every store passes, run here
//! against `SQLite` and `PostgreSQL`, and each store's own durability and concurrency checks.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[macro_use]
pub(crate) mod conformance;
mod postgres;
mod sqlite;
