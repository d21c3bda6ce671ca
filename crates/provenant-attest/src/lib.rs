//! in-toto attestations: the Statement v1 that every piece of Provenant evidence is.
//!
//! A [`Statement`] says something ([`Statement::predicate`], of type [`Statement::predicate_type`]) about
//! one or more subjects, each a [`ResourceDescriptor`] naming an artefact by its digests. Parsing is
//! strict, as the in-toto specification's validators are, and stricter where the specification leaves
//! room for mistakes: unknown top-level fields, a wrong `_type`, an empty subject list, a subject
//! without digests and a malformed digest of a known algorithm are errors that name the field.
//! Writing is deterministic (object keys sorted, digests sorted by algorithm). A subject's digests are
//! a [`DigestSet`], typed: values of the hash algorithms the specification names are lowercase hex of
//! the right length, and it matches and yields [`provenant_digest::Digest`]s.
//!
//! A statement travels as the payload of a DSSE [`Envelope`] (payload type [`IN_TOTO_PAYLOAD_TYPE`]),
//! whose signatures cover the pre-authentication encoding [`pae`]. This crate owns the envelope's
//! model, its bounded parsing (standard or URL-safe base64, padded or not, as DSSE asks of consumers;
//! errors name the field) and its deterministic writing; it does no cryptography and no I/O. Signing
//! and threshold verification of envelopes with local keys are in `provenant-keys`; envelopes inside
//! sigstore bundles are verified by `provenant-sigstore`.
//!
//! ```
//! use provenant_attest::{Statement, predicate};
//! use provenant_digest::Algorithm;
//!
//! let digest = Algorithm::Sha256.hash_bytes(b"hello\n");
//! let statement = Statement::new(
//!     vec![provenant_attest::ResourceDescriptor::for_digest("hello.txt", &digest)],
//!     predicate::SLSA_PROVENANCE_V1,
//!     serde_json::json!({"buildDefinition": {}}),
//! );
//! let bytes = statement.to_json();
//! let parsed = Statement::from_json(&bytes)?;
//! assert!(parsed.subject_matching(&digest).is_some());
//!
//! let envelope = provenant_attest::Envelope::for_statement(&parsed);
//! assert!(envelope.pae().starts_with(b"DSSEv1 28 application/vnd.in-toto+json "));
//! # Ok::<(), provenant_attest::StatementError>(())
//! ```
#![forbid(unsafe_code)]

mod digest_set;
mod envelope;
pub mod gate_decision;
pub mod predicate;
mod statement;

pub use digest_set::{DigestSet, DigestSetError, KNOWN_ALGORITHMS};
pub use envelope::{
    Envelope, EnvelopeError, IN_TOTO_PAYLOAD_TYPE, MAX_ENVELOPE_BYTES, MAX_SIGNATURES, Signature, pae,
};
pub use statement::{
    MAX_STATEMENT_BYTES, ResourceDescriptor, STATEMENT_TYPES, STATEMENT_V0_1, STATEMENT_V1, Statement,
    StatementError, is_statement_type,
};
