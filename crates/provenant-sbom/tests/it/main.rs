//! Integration tests of provenant-sbom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod described;
mod oracles;
mod purl;
mod read;
mod vectors;
mod writers;
