//! The source stage's checks over a git range: each commit's message follows Conventional Commits 1.0
//! ([`conventional`]), each commit is signed by a key its committer may sign with, and each changed file has
//! a code owner who approved the change; from the same range, the next semantic version and the changelog,
//! and the source-stage attestation that records what was checked.
//!
//! [`conventional`] is model code (no I/O); the repository is read with gitoxide, never by running git.

pub mod conventional;
