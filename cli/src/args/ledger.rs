//! The audit ledger's arguments, shared by every command that reads or writes the ledger.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use provenant_ledger_store::{LedgerStore, Location};

/// Where the ledger is.
#[derive(Debug, Args)]
pub(crate) struct LedgerArg {
    /// The ledger: sqlite:PATH or postgres://… (https://… is not available yet).
    #[arg(long, env = "PROVENANT_LEDGER", default_value = "sqlite:.provenant/ledger.db", value_parser = parse_location)]
    pub(crate) ledger: Location,
}

impl LedgerArg {
    /// Opens the ledger.
    pub(crate) fn open(&self) -> anyhow::Result<Arc<dyn LedgerStore>> {
        provenant_ledger_store::open(&self.ledger)
            .with_context(|| format!("cannot open the ledger {}", self.ledger))
    }
}

/// The checkpoint signing key.
#[derive(Debug, Args)]
pub(crate) struct NoteKeyArg {
    /// The note signer key written by `ledger init` (P.key).
    #[arg(long, env = "PROVENANT_LEDGER_NOTE_KEY", value_name = "KEY")]
    pub(crate) note_key: PathBuf,
}

/// Reads a roles file (`roles: {NAME: {keys: [...], identities: [{san, issuer}]}}`) and the keys it
/// names: the one reader for every command that takes `--roles`.
pub(crate) fn load_roles(path: &Path) -> anyhow::Result<provenant_evidence::roles::Roles> {
    Ok(provenant_evidence::roles::Roles::load(path)?)
}

fn parse_location(text: &str) -> Result<Location, String> {
    Location::parse(text).map_err(|e| e.to_string())
}
