//! The audit ledger's model: an append-only transparency log in the Certificate Transparency tradition.
//!
//! - [`hash`]: RFC 6962/9162 hashing (leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right)).
//! - [`tree`]: the tree's stored node hashes (one per completed subtree, laid out as Go's `tlog` does), the
//!   root of any size, inclusion and consistency proofs generated from a [`tree::HashSource`] and verified
//!   against a root. The proof arithmetic is the `tlog_tiles` crate's, which agrees with the
//!   transparency-dev/merkle vectors; this crate adds typed errors and bounds on its inputs.
//! - [`checkpoint`]: the C2SP tlog-checkpoint body (origin, size, root hash, extension lines).
//! - [`note`]: C2SP signed notes with Ed25519 (`signed_note`): the signer (`PRIVATE+KEY+name+hash+key`), the
//!   verifier key (`name+hash+key`), signing and opening checkpoints, and reading a note's text or checkpoint
//!   without verifying it (the one place a signed note is split from its signatures).
//! - [`tiles`]: C2SP tlog-tiles paths (`tile/L/N[.p/W]`, `tile/entries/N[.p/W]`), hash tiles and entry bundles
//!   (2-byte big-endian length-prefixed entries).
//! - [`entry`]: what a ledger entry is indexed by (subject digests, predicate type, commit, environment,
//!   pipeline run, actor, time), read from its in-toto statement.
//!
//! Nothing here does I/O, reads the clock or draws random numbers: key generation takes its seed from the
//! caller.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod entry;
pub mod hash;
pub mod note;
pub mod tiles;
pub mod tree;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use hash::{HASH_SIZE, Hash, leaf_hash, node_hash};
pub use note::{NoteError, NoteSigner, NoteVerifier};
pub use tree::{HashSource, ProofError};
