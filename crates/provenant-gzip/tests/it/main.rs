//! Integration tests of provenant-gzip: real compressors, real files.

// Test code: a failed unwrap is a failed test, which is what we want; casts are on small test data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::cast_possible_truncation)]

mod gnu;
mod streaming;
