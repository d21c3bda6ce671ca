//! Integration tests of `provenant-lineage`: whole chains in image layouts, each edge broken in turn,
//! and the layer filesystem (whiteouts, hostile paths, tampered blobs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines
)]

mod artifact;
mod chain;
mod fixture;
mod governed;
mod report;
mod reverse;
