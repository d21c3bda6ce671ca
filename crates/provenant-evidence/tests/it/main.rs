//! provenant-evidence: the trust policy, the signer, verification of statements, the atomic writer.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod fs;
mod verify;
