//! Integration tests of `provenant-digest`: one binary, one module per concern.

// Test code: a failed unwrap is a failed test, which is what we want; casts are on small test data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod checklist;
mod parse;
mod tree;
