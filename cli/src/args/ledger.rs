//! The audit ledger's arguments, shared by every command that reads or writes the ledger.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use provenant_ledger_store::{LedgerStore, Location};
use zeroize::Zeroizing;

/// Where the ledger is.
#[derive(Debug, Args)]
pub(crate) struct LedgerArg {
    /// The ledger: sqlite:PATH, postgres://… or a ledger server's https://… (http:// on loopback only).
    #[arg(long, env = "PROVENANT_LEDGER", default_value = "sqlite:.provenant/ledger.db", value_parser = parse_location)]
    pub(crate) ledger: Location,
    /// A file holding the bearer token for an https://… ledger (default: `PROVENANT_LEDGER_TOKEN`).
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger_token_file: Option<PathBuf>,
}

/// Largest ledger token file read.
const MAX_TOKEN_FILE: u64 = 64 << 10;

impl LedgerArg {
    /// Whether the ledger is a server (`https://…`).
    pub(crate) fn is_remote(&self) -> bool {
        matches!(self.ledger, Location::Remote(_))
    }

    /// The bearer token for a remote ledger: `--ledger-token-file`, else `PROVENANT_LEDGER_TOKEN`.
    pub(crate) fn token(&self) -> anyhow::Result<Option<Zeroizing<String>>> {
        if !self.is_remote() {
            return Ok(None);
        }
        if let Some(path) = &self.ledger_token_file {
            let bytes = Zeroizing::new(crate::shared::read_bounded(
                path,
                MAX_TOKEN_FILE,
                "ledger token file",
            )?);
            let text = std::str::from_utf8(&bytes)
                .with_context(|| format!("the ledger token file {} is not UTF-8 text", path.display()))?;
            return Ok(Some(Zeroizing::new(text.trim().to_owned())));
        }
        Ok(std::env::var("PROVENANT_LEDGER_TOKEN").ok().map(Zeroizing::new))
    }

    /// Opens the ledger (a server with its bearer token).
    pub(crate) fn open(&self) -> anyhow::Result<Arc<dyn LedgerStore>> {
        provenant_ledger_store::open_with_token(&self.ledger, self.token()?)
            .with_context(|| format!("cannot open the ledger {}", self.ledger))
    }
}

/// The checkpoint signing key.
#[derive(Debug, Args)]
pub(crate) struct NoteKeyArg {
    /// The note signer key written by `ledger init` (P.key); not needed for an https://… ledger, whose
    /// server signs.
    #[arg(long, env = "PROVENANT_LEDGER_NOTE_KEY", value_name = "KEY")]
    pub(crate) note_key: Option<PathBuf>,
}

impl NoteKeyArg {
    /// The note key, required for a `sqlite:` or `postgres://` ledger.
    pub(crate) fn required(&self) -> anyhow::Result<&Path> {
        self.note_key.as_deref().context(
            "--note-key (or PROVENANT_LEDGER_NOTE_KEY) is required: the checkpoint is signed with the ledger's note key",
        )
    }
}

/// Reads a roles file (`roles: {NAME: {keys: [...], identities: [{san, issuer}]}}`) and the keys it
/// names: the one reader for every command that takes `--roles`.
pub(crate) fn load_roles(path: &Path) -> anyhow::Result<provenant_evidence::roles::Roles> {
    Ok(provenant_evidence::roles::Roles::load(path)?)
}

fn parse_location(text: &str) -> Result<Location, String> {
    Location::parse(text).map_err(|e| e.to_string())
}
