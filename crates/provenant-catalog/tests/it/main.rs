//! Integration tests of provenant-catalog.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod accuracy;
mod auditable;
mod elfnote;
mod exclude;
mod formats;
mod go_legacy;
mod golang;
mod hostile;
mod java;
mod js;
mod os;
mod pydist;
mod pylock;
mod ruby_php;
mod support;
