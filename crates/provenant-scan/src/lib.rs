//! Provenant's built-in scanners: `secrets` (gitleaks-compatible rules and reports), `hygiene` (debug
//! statements and TODO/FIXME comments in gate-checked files) and `pinning` (floating inputs), each
//! writing findings that `sarif` turns into SARIF 2.1.0.
//!
//! This is an engine crate: it walks directories and reads files, and writes nothing.

pub mod finding;
pub mod gore2;
pub mod hygiene;
pub mod pinning;
pub mod sarif;
pub mod secrets;
pub mod source;
