//! Sigstore bundles and their offline verification, behind Provenant's own types.
//!
//! This crate owns everything Provenant knows about sigstore:
//!
//! - [`Bundle`]: reads bundles v0.1, v0.2 and v0.3 (`application/vnd.dev.sigstore.bundle+json;version=0.1|0.2`,
//!   `application/vnd.dev.sigstore.bundle.v0.3+json`) and writes v0.3 ([`Bundle::to_json_v0_3`]).
//!   A malformed bundle gives a [`ParseError`] that names the JSON path of the field.
//! - [`TrustedRoot`]: `trusted_root.json` (Fulcio CAs, Rekor logs, CT logs, timestamp authorities and their
//!   validity windows). None is embedded: the caller chooses what to trust.
//! - [`Verifier`]: offline verification of a bundle for an artefact (bytes or digest) under a [`Policy`]
//!   (an identity for keyless bundles, a public key for keyed ones), returning [`Verified`] or the
//!   [`VerifyError`] that names the failed check.
//! - [`Bundle::from_cosign_intoto_v001`]: a DSSE envelope that cosign (before v2) logged as a Rekor
//!   `intoto/0.0.1` entry, which the bundle format's readers do not take; [`Verifier`] checks its SET,
//!   entry body, certificate chain and SCT at the integrated time, and signature itself.
//!
//! The cryptographic checks are done by the sigstore-rust crates (`sigstore-verify` and its siblings),
//! pinned to exact versions; their types and errors never appear in this crate's API, so a breaking
//! release of theirs changes only this crate. The `intoto/0.0.1` checks use their primitives
//! (sigstore-crypto's keys and signatures) with rustls-webpki for the chain and x509-cert for the
//! SCT's precertificate. The `sigstore` crate (sigstore-rs) is not used.
//!
//! ```
//! use provenant_sigstore::{Bundle, ParseError};
//!
//! let err = Bundle::from_json(br#"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}"#)
//!     .unwrap_err();
//! assert!(matches!(err, ParseError::Field { .. }));
//! assert!(err.to_string().contains("verificationMaterial"), "{err}");
//! ```
#![forbid(unsafe_code)]

mod bundle;
mod error;
mod intoto_v001;
mod strict_json;
mod trust_root;
mod verify;

pub use bundle::{
    Bundle, BundleVersion, ContentKind, EntryKind, IN_TOTO_PAYLOAD_TYPE, LogEntry, MAX_BUNDLE_BYTES,
    MEDIA_TYPE_V0_3, MaterialKind, pem_encode,
};
pub use error::{ParseError, TimeSource, VerifyError};
pub use intoto_v001::RekorV1Entry;
pub use strict_json::check_unique_keys;
pub use trust_root::{
    CLIENT_TRUST_CONFIG_MEDIA_TYPE, MAX_TRUSTED_ROOT_BYTES, TRUSTED_ROOT_MEDIA_TYPES, TrustedRoot,
    TrustedRootSummary,
};
pub use verify::{
    Artifact, FulcioExtension, IdentityPolicy, Policy, PublicKey, SanMatcher, Verified, Verifier,
    extension_or_older, sha256,
};
