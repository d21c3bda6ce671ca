//! The OCI model of Provenant: typed image references, media types, image manifests and indexes (OCI
//! image-spec v1.1 and Docker v2 schema 2), descriptors with `artifactType`, `subject` and annotations,
//! the image configuration, and the naming of the referrers tag schema. It does no I/O: the registry
//! client and the layout store (`provenant-registry`) sit above it.
//!
//! ```
//! use provenant_oci::{Reference, referrers_tag};
//!
//! let r: Reference = "ghcr.io/acme/app:1.0@sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
//!     .parse()?;
//! let Reference::Registry(reg) = &r else { unreachable!() };
//! assert_eq!(reg.repository.registry().as_str(), "ghcr.io");
//! assert_eq!(reg.repository.name(), "acme/app");
//! let digest = r.digest().copied().unwrap();
//! assert_eq!(referrers_tag(&digest).as_str(), "sha256-5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
//!
//! let layout: Reference = "oci:./prod:v1".parse()?;
//! assert_eq!(layout.tag().map(|t| t.as_str()), Some("v1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod config;
pub mod manifest;
pub mod media;
mod reference;
mod referrers;

pub use manifest::{Annotations, Descriptor, ImageIndex, ImageManifest, Manifest, ManifestError, Platform};
pub use reference::{
    DEFAULT_REGISTRY, DEFAULT_REGISTRY_API_HOST, LayoutReference, ManifestRef, Reference, ReferenceError,
    Registry, RegistryReference, Repository, Tag,
};
pub use referrers::{CosignKind, cosign_tag, referrers_tag};
