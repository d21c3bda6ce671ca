//! Integration tests of provenant-scan.
// Tests fail loudly by design; generated fixtures index small fixed tables.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod compat;
mod config;
mod defaults;
mod encoded;
