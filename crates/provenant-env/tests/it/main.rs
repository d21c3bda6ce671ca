//! provenant-env: the environments file (default, schema, errors with line and column), durations,
//! change windows and configuration digests.
// Test helpers fail the test loudly like the tests themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::too_many_lines
)]

mod attached;
mod change_record;
mod config;
mod duration;
mod gather;
mod promoted;
mod requirements;
mod status;
