//! Content digests for Provenant.
//!
//! Every piece of evidence Provenant produces or checks speaks about an artefact by its digest, so this
//! crate is the bottom of the dependency graph. It owns:
//!
//! - [`Digest`]: an algorithm and its output, with exactly one wire spelling, the OCI form
//!   `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`. Parsing rejects anything else with a
//!   typed [`ParseError`]; equality is constant-time; [`Digest::verify`] returns a [`Mismatch`] that
//!   carries both values.
//! - Streaming hashing of byte slices, readers and files ([`Algorithm::hash_reader`],
//!   [`Algorithm::hash_file`]), using the CPU's SHA extensions where it has them.
//! - A reproducible digest of a directory tree ([`tree::digest_tree`]) that depends only on relative
//!   paths, file types, executable bits, symlink targets and contents. The algorithm is specified in
//!   `docs/tree-digest.md` so that any other tool can recompute it.
//!
//! This crate does file-system reads only where a function's name says so (`hash_file`, `digest_tree`,
//! `digest_path`); it never writes.
//!
//! ```
//! use provenant_digest::{Algorithm, Digest};
//!
//! let digest = Algorithm::Sha256.hash_bytes(b"hello\n");
//! assert_eq!(
//!     digest.to_string(),
//!     "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
//! );
//! let parsed: Digest = digest.to_string().parse()?;
//! parsed.verify(&digest)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod algorithm;
pub mod checklist;
mod digest;
mod hash;
pub mod tree;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use digest::{Digest, Mismatch, ParseError};
pub use hash::{DigestedPath, HashError, Hasher, NoProgress, PathKind, Progress, digest_path};
