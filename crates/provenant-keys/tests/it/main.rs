//! Integration tests of `provenant-keys`.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cosign;
mod dsse;
mod keys;
mod verify;
