//! Lineage verification: from an image (or OCI artifact) digest back to the commit it was built from,
//! through the evidence attached to it, one edge at a time.
//!
//! [`verify`] starts at an image or artifact manifest (by digest) in any [`Store`], collects everything
//! attached to it under every referrer scheme ([`evidence::collect`]), reads what it packages (an image's
//! final filesystem from its layers with `provenant_image::rootfs`; an artifact's layers by their
//! `org.opencontainers.image.title`, pinned by the manifest digest, no blob read), and walks:
//!
//! 1. **image → packaging provenance**: a SLSA v1 provenance whose subject is the manifest digest,
//!    signed by the packager, of build type [`provenant_slsa::IMAGE_BUILD_TYPE`] for an image and
//!    [`provenant_slsa::ARTIFACT_BUILD_TYPE`] for an artifact (never the other);
//! 2. **packaging provenance → file**: each packaged file it records is in the image, at that path,
//!    with that digest, or is the artifact's layer of that title with that digest (and the image holds
//!    no file, the artifact no layer, it does not record);
//! 3. **file → build provenance**: a SLSA v1 provenance whose subject is that file's digest, signed by
//!    a trusted builder, naming a trusted builder id;
//! 4. **build provenance → source**: the source commit it records matches the expected commit and
//!    repository, and, given a local clone, is on the expected branch.
//!
//! SBOMs attached to the image must describe the image digest; reproducibility attestations of a file
//! and signatures of the image are shown. Every edge carries its [`Verdict`] and the reason; the image
//! verifies when no edge is [`Verdict::Broken`]. `docs/lineage.md` specifies the evidence model.
//!
//! [`Store`]: provenant_registry::Store
//!
//! ```
//! use provenant_lineage::{Edge, EdgeKind, Verdict};
//!
//! // A broken edge anywhere breaks the lineage, and names itself.
//! use provenant_lineage::reason::{Check, Reason};
//!
//! let image_digest = provenant_digest::Algorithm::Sha256.hash_bytes(b"image");
//! let mut image = Edge::new(EdgeKind::Image, "oci:prod@sha256:…");
//! image.push(Edge::new(EdgeKind::PackagingProvenance, "")
//!     .broken(Reason::NoPackagingProvenance { image: image_digest }));
//! assert_eq!(image.broken_edges().len(), 1);
//! assert_eq!(image.broken_edges()[0].verdict, Verdict::Broken);
//! assert_eq!(image.broken_edges()[0].check, Some(Check::PackagingProvenance));
//! ```
#![forbid(unsafe_code)]
// `StoreError` carries both digests of a mismatch by value (the cold path, where callers want the values);
// boxing them would only add an allocation to every error.
#![allow(clippy::result_large_err)]

pub mod environments;
pub mod evidence;
pub mod governance;
pub mod graph;
pub mod html;
pub mod reason;
pub mod reverse;
pub mod version;

mod model;
mod walk;

pub use model::{Edge, EdgeKind, Expectations, LineageError, Rejection, Report, Trust, Verdict};
pub use walk::verify;
