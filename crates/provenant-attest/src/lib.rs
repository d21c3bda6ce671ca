//! in-toto attestations: the Statement v1 that every piece of Provenant evidence is.
//!
//! A [`Statement`] says something ([`Statement::predicate`], of type [`Statement::predicate_type`]) about
//! one or more subjects, each a [`ResourceDescriptor`] naming an artefact by its digests. Parsing is
//! strict, as the in-toto specification's validators are, and stricter where the specification leaves
//! room for mistakes: unknown top-level fields, a wrong `_type`, an empty subject list, a subject
//! without digests and a malformed digest of a known algorithm are errors that name the field.
//! Writing is deterministic (object keys sorted, digests sorted by algorithm).
//!
//! The DSSE envelope that carries a statement is signed and verified by the sigstore crates; this crate
//! owns only the statement. It does no I/O.
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
//! # Ok::<(), provenant_attest::StatementError>(())
//! ```
#![forbid(unsafe_code)]

pub mod predicate;
mod statement;

pub use statement::{
    DigestSet, MAX_STATEMENT_BYTES, ResourceDescriptor, STATEMENT_V1, Statement, StatementError,
};
