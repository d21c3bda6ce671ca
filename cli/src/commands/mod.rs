//! One module per command: each turns validated arguments into library calls and renders the result.

pub(crate) mod admission;
pub(crate) mod approve;
pub(crate) mod attest;
pub(crate) mod change_record;
pub(crate) mod changelog;
pub(crate) mod deploy;
pub(crate) mod digest;
pub(crate) mod env;
pub(crate) mod exceptions;
pub(crate) mod gate;
pub(crate) mod github_attestation;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod ledger;
pub(crate) mod lineage;
pub(crate) mod meta;
pub(crate) mod npm;
pub(crate) mod oci;
pub(crate) mod promote_env;
pub(crate) mod provenance;
pub(crate) mod pypi;
pub(crate) mod release;
pub(crate) mod repro;
pub(crate) mod rollback;
pub(crate) mod sbom;
pub(crate) mod scan;
pub(crate) mod sigstore;
pub(crate) mod source;
pub(crate) mod verify_image;
pub(crate) mod version;
pub(crate) mod vsa;

pub(crate) use crate::shared::{read_bounded, source_date_epoch};
