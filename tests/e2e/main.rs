//! End-to-end tests: the `provenant` binary driven as a user would, checked against real peer tools.

// Test code: a failed unwrap is a failed test, which is what we want; casts are on small test data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod admission;
mod conformance;
mod deploy;
mod digest;
mod env_commands;
mod environments;
mod evidence;
mod gate;
mod github_attestation;
mod harness;
mod init;
mod keys;
mod ledger;
mod ledger_postgres;
mod ledger_server;
mod lineage;
mod lineage_env;
mod lineage_where;
mod npm;
mod oci;
mod provenance;
mod pypi;
mod registry_client;
mod repro;
mod sbom;
mod sbom_attest;
mod sbom_convert;
mod sbom_diff;
mod sbom_exclude;
mod sbom_go_legacy;
mod sbom_hostile;
mod sbom_image;
mod scan;
mod signing;
mod slsa_image;
mod snapshots;
mod source;
mod support;
mod templates;
mod verify_image;
