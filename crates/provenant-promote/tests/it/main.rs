//! Integration tests of `provenant-promote` (against layouts and real registries).
// Test helpers outside #[test] functions fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::many_single_char_names
)]

mod registry;
mod tag_index;
