//! What `admission serve` and `verify-deploy` share: where the ledger, the roles and the trusted root
//! are, and the per-decision deadline.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Where promotions are looked up and whom they must be signed by.
#[derive(Debug, Args)]
pub(crate) struct DecisionArgs {
    #[command(flatten)]
    pub(crate) ledger: super::LedgerArg,
    /// The roles file (default: the one the environments file names, relative to it).
    #[arg(long, value_name = "FILE")]
    pub(crate) roles: Option<PathBuf>,
    /// The sigstore trusted root, for promotion records signed keyless (key-signed ones need none).
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// The most one decision may take; past it the request is denied.
    #[arg(long, value_name = "MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=30_000))]
    pub(crate) decision_timeout_ms: u64,
}

impl DecisionArgs {
    /// The per-decision deadline.
    pub(crate) fn deadline(&self) -> Duration {
        Duration::from_millis(self.decision_timeout_ms)
    }
}
