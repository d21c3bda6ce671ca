//! Integration tests of `provenant-deploy`: `CDEvents` against the 0.5.1 schemas and received by a
//! loopback sink, rollback notices, and SLIs read from a real Prometheus.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cdevents;
mod notify;
mod prometheus;
mod schemas;
mod sink;
