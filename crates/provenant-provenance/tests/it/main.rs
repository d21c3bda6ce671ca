//! Integration tests of `provenant-provenance`: slsa-verifier's real signed provenance, verified
//! offline against the production trusted root snapshot, and each check failing on its own.
// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod gcb;
mod github_attestation;
mod npm;
mod slsa_verifier;
mod vsa;
