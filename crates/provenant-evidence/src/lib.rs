//! Evidence: signed in-toto statements about a digest, produced, attached, found and verified along
//! one code path whatever their predicate type.
//!
//! - [`TrustPolicy`] says whom to believe: a [`Role`] (a set of signers, each a public key or a
//!   certificate identity), the trusted root, and which checks are skipped ([`SkippedCheck`], loudly
//!   named and reported with every result).
//! - [`Signer`] is the one signing entry point: a key file (PKCS#8/SEC1 PEM or cosign's encrypted
//!   format) or keyless signing with an identity token given as a value, a file, `SIGSTORE_ID_TOKEN`
//!   or GitHub Actions' ambient endpoint. It signs a statement (DSSE) or a blob into a sigstore bundle.
//! - [`attached`] attaches a bundle to an image as a referrer (under the store's best scheme) and
//!   discovers bundles under every scheme.
//! - [`TrustPolicy::verify_statement`] verifies a bundle for a digest and returns a
//!   [`VerifiedStatement`]: the parsed statement, who signed it, the bundle's digest and the checks
//!   that were skipped; a failure is an [`EvidenceError`] naming the failed [`Check`].
//!
//! Adding a new kind of evidence needs a predicate-type constant in `provenant_attest::predicate`
//! and the policy check that accepts it; signing, attaching, discovering and verifying are shared.
#![forbid(unsafe_code)]

pub mod attached;
pub mod fs;
pub mod roles;
mod sign;
mod trust;
mod verify;

pub use sign::{SignError, Signed, SignedBy, Signer, SigningMethod, TokenSource, load_signing_key};
pub use trust::{Role, SkippedCheck, TrustError, TrustPolicy};
pub use verify::{
    Check, EvidenceBundle, EvidenceError, SignerIdentity, VerifiedSignature, VerifiedStatement,
};

/// Largest key, trusted root, token or bundle file read.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;
