//! Integration tests of `provenant-source`: one binary, one module per concern.
// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod allowed_signers;
mod check;
mod codeowners;
mod conventional;
mod openpgp;
mod release;
mod signature;
mod support;
