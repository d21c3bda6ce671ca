//! Integration tests of `provenant-registry`.
// Test helpers outside #[test] functions fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::many_single_char_names
)]

mod auth;
mod layout;
mod memory;
mod sigstore_oci;
mod timeouts;
mod uploads;
