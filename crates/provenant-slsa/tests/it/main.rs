//! Integration tests of `provenant-slsa`: one binary, one module per concern.
// Test helpers index JSON fixtures they built or vectors they just checked, and fail loudly.
#![allow(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity
)]

mod gcb;
mod gha_image;
mod model;
mod policy;
mod slsa_verifier;
