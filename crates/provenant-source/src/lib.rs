//! The source stage's checks over a git range: each commit's message follows Conventional Commits 1.0
//! ([`conventional`]), each commit is signed by a key its committer may sign with ([`signature`],
//! [`allowed_signers`]), and each changed file has a code owner who approved the change; from the same
//! range, the next semantic version ([`version`]) and the changelog, and the source-stage attestation that
//! records what was checked.
//!
//! [`conventional`], [`allowed_signers`] and [`version`] are model code (no I/O); [`git`] reads the
//! repository with gitoxide, never by running git.

pub mod allowed_signers;
pub mod attestation;
pub mod changelog;
pub mod check;
pub mod codeowners;
pub mod conventional;
pub mod git;
pub mod openpgp;
pub mod release;
pub mod reviews;
pub mod sarif;
pub mod signature;
pub mod version;
