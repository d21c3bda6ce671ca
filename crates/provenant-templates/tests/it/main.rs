//! Integration tests of the pipeline templates.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod drift;
mod oracles;
mod render;
mod structure;
