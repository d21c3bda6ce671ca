//! End-to-end tests: the `provenant` binary driven as a user would, checked against real peer tools.

mod conformance;
mod digest;
mod oci;
mod signing;
