//! SLSA provenance for Provenant: the predicate model, strict parsing and slsa-verifier-style policy.
//!
//! - [`v1::ProvenanceV1`] (SLSA Build provenance v1), [`v02::ProvenanceV02`] (SLSA provenance v0.2) and
//!   [`vsa::VsaV1`] (Verification Summary Attestation v1), with serde forms that match the
//!   specifications. Parsing is strict: a missing or mistyped field, an empty identifier, an unknown
//!   digest algorithm or a malformed timestamp is a [`PredicateError`] naming the field's path.
//! - [`Provenance`], either version, with the facts a verifier reads (builder id, source, ref).
//! - [`policy`]: subject digest, builder id, source URI, branch, tag, versioned tag and build level
//!   checks, each with its own error, following slsa-verifier's semantics.
//!
//! The in-toto Statement and the DSSE envelope around a predicate belong to the attestation crate; this
//! crate reads only the statement's subject list ([`parse_subjects`]). It does no I/O.
//!
//! ```
//! use provenant_slsa::policy::{self, BuilderId, SourceUri};
//! use provenant_slsa::{Provenance, v1};
//!
//! let predicate = serde_json::json!({
//!     "buildDefinition": {
//!         "buildType": "https://example.com/buildtypes/make/v1",
//!         "externalParameters": {
//!             "source": { "uri": "git+https://github.com/org/repo@refs/heads/main" }
//!         },
//!         "resolvedDependencies": [
//!             { "uri": "git+https://github.com/org/repo@refs/heads/main",
//!               "digest": { "gitCommit": "0123456789abcdef0123456789abcdef01234567" } }
//!         ]
//!     },
//!     "runDetails": { "builder": { "id": "https://ci.example.com/builders/linux@v2" } }
//! });
//! let provenance = Provenance::parse(v1::PREDICATE_TYPE, &predicate)?;
//! policy::check_builder_id(&provenance, &"https://ci.example.com/builders/linux".parse::<BuilderId>()?)?;
//! policy::check_source(&provenance, &"github.com/org/repo".parse::<SourceUri>()?)?;
//! policy::check_branch(&provenance, "main")?;
//! assert!(policy::check_branch(&provenance, "release").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod common;
mod error;
pub mod gcb;
pub mod policy;
mod provenance;
pub mod v02;
pub mod v1;
pub mod vsa;
pub mod vsa_policy;
pub mod workflow_inputs;

pub use common::{DigestSet, KNOWN_DIGEST_ALGORITHMS, ResourceDescriptor, Timestamp, TimestampError};
pub use error::{FieldError, PredicateError};
pub use provenance::{
    MAX_SUBJECTS, PROVENANCE_PREDICATE_TYPES, Provenance, ProvenanceVersion, Subject, parse_subjects,
};

/// The build type of provenance Provenant writes for a command it ran (`provenant build`,
/// `provenant provenance generate`); its parameters are specified in `docs/provenance.md`.
pub const BUILD_TYPE: &str = "https://github.com/provenant-dev/provenant/buildtypes/command/v1";

/// The build type of provenance Provenant writes when it packages an image (`provenant oci image`):
/// the subject is the image manifest, the resolved dependencies are the files packaged
/// (`docs/lineage.md`).
pub const IMAGE_BUILD_TYPE: &str = "https://github.com/provenant-dev/provenant/buildtypes/oci-image/v1";

/// The build type of provenance Provenant writes when it packages files as an OCI artifact (`provenant
/// oci push` with a signer): the subject is the artifact manifest, the resolved dependencies are the files
/// pushed.
pub const ARTIFACT_BUILD_TYPE: &str = "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1";

/// The builder id Provenant records for a build on a developer's machine, when no other is given.
pub const LOCAL_BUILDER_ID: &str = "https://github.com/provenant-dev/provenant/builders/local";
