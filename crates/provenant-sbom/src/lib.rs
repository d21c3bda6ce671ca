//! The SBOM model of Provenant and its deterministic writers.
//!
//! A [`Sbom`] is a root (the target, with its digest) and the [`Component`]s cataloged inside it, each with
//! a name, version, [`Purl`], [`Ecosystem`], hashes, an SPDX licence expression, supplier, evidence (the file
//! it was found in and how) and whether it is a direct or a transitive dependency, plus the dependency graph.
//! [`cyclonedx::write`] renders CycloneDX 1.5, 1.6 or 1.7 JSON and [`spdx23::write`] SPDX 2.3 JSON. Output is
//! deterministic: components and dependencies are sorted, the serial number and document namespace are
//! derived from the content and the only timestamp is the one the caller passes (`SOURCE_DATE_EPOCH`).
//!
//! This crate does no I/O.
//!
//! ```
//! use provenant_digest::Algorithm;
//! use provenant_sbom::{Component, Ecosystem, Root, Sbom, Scope, cyclonedx};
//!
//! let mut sbom = Sbom::new(Root::new("app", Algorithm::Sha256.hash_bytes(b"app")), 0);
//! let mut serde = Component::new(Ecosystem::Cargo, "serde", "1.0.0")?;
//! serde.scope = Scope::Direct;
//! sbom.add(serde);
//! let json = cyclonedx::write(&sbom, cyclonedx::SpecVersion::V1_6);
//! assert!(json.contains("pkg:cargo/serde@1.0.0"));
//! # Ok::<(), provenant_sbom::InvalidPurl>(())
//! ```
#![forbid(unsafe_code)]
// Format names (CycloneDX, SPDX) are prose here, not code.
#![allow(clippy::doc_markdown)]

pub mod cyclonedx;
mod described;
pub mod diff;
mod model;
mod purl;
pub mod read;
pub mod spdx23;
pub mod spdx_validate;
mod time;
pub mod validate;

pub use described::described_digests;
pub use model::{
    Component, Ecosystem, Evidence, HashAlg, HashValue, InvalidHash, InvalidLicense, Root, Sbom, Scope,
    license_refs, normalize_pypi, parse_license, parse_license_with_refs, purl_for,
};
pub use purl::{InvalidPurl, Purl};
pub use time::{parse_rfc3339, rfc3339};

/// Lowercase hex SHA-256 of `bytes`, for content-derived identifiers.
fn content_hash(bytes: &[u8]) -> String {
    provenant_digest::Algorithm::Sha256.hash_bytes(bytes).hex()
}
