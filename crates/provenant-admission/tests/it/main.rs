//! Integration tests of `provenant-admission`.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

mod cache;
mod decision;
mod fail_closed;
mod fixture;
mod manifests;
mod probe;
mod review;
mod reviews;
mod tls;
mod webhook;
