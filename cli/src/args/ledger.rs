//! The audit ledger's arguments, shared by every command that reads or writes the ledger.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use provenant_keys::cosign;
use provenant_ledger::{Checkpoint, NoteSigner};
use provenant_ledger_store::{LedgerStore, Location};
use zeroize::Zeroizing;

/// PEM label of a password-encrypted note key (cosign's scrypt + secretbox format around the
/// `PRIVATE+KEY+…` text).
pub(crate) const NOTE_KEY_PEM_LABEL: &str = "ENCRYPTED PROVENANT NOTE KEY";
/// Largest note key file read.
const MAX_NOTE_KEY_FILE: u64 = 64 << 10;

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
    /// The note key for a local ledger, read and checked to be `store`'s before anything is appended;
    /// `None` for a ledger server, which signs its own checkpoints.
    pub(crate) fn signer_for(
        &self,
        ledger: &Location,
        store: &dyn LedgerStore,
    ) -> anyhow::Result<Option<NoteSigner>> {
        if matches!(ledger, Location::Remote(_)) {
            return Ok(None);
        }
        let signer = load_note_key(self.required()?)?;
        check_key_is_the_ledgers(store, &signer)?;
        Ok(Some(signer))
    }

    /// The checkpoint after an append: signed with `signer` (a local ledger), else the server's latest.
    pub(crate) fn checkpoint_after_append(
        signer: Option<&NoteSigner>,
        store: &dyn LedgerStore,
    ) -> anyhow::Result<Vec<u8>> {
        match signer {
            Some(signer) => sign_checkpoint(store, signer),
            None => store
                .latest_checkpoint()?
                .context("the ledger server handed out no checkpoint after the append"),
        }
    }

    /// The note key, required for a `sqlite:` or `postgres://` ledger.
    pub(crate) fn required(&self) -> anyhow::Result<&Path> {
        self.note_key.as_deref().context(
            "--note-key (or PROVENANT_LEDGER_NOTE_KEY) is required: the checkpoint is signed with the ledger's note key",
        )
    }
}

/// The password protecting a note key: `PROVENANT_PASSWORD`, else `COSIGN_PASSWORD` (either may be
/// empty), else asked on the terminal; `None` without any of them.
pub(crate) fn note_key_password(confirm: bool) -> anyhow::Result<Option<Zeroizing<String>>> {
    for var in ["PROVENANT_PASSWORD", "COSIGN_PASSWORD"] {
        if let Ok(p) = std::env::var(var) {
            return Ok(Some(Zeroizing::new(p)));
        }
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let first = Zeroizing::new(rpassword::prompt_password("Enter password for the note key: ")?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password(
            "Enter password for the note key again: ",
        )?);
        anyhow::ensure!(*first == *again, "passwords do not match");
    }
    Ok(Some(first))
}

/// Reads a note key file, plain or encrypted (its password from `note_key_password`).
pub(crate) fn load_note_key(path: &Path) -> anyhow::Result<NoteSigner> {
    let bytes = Zeroizing::new(crate::shared::read_bounded(path, MAX_NOTE_KEY_FILE, "note key")?);
    let text = Zeroizing::new(
        String::from_utf8(bytes.to_vec())
            .with_context(|| format!("note key {} is not UTF-8 text", path.display()))?,
    );
    let plain = if text.contains(NOTE_KEY_PEM_LABEL) {
        let pw = note_key_password(false)?.context(
            "the note key is encrypted: set PROVENANT_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked",
        )?;
        let secret = cosign::decrypt_secret(&text, NOTE_KEY_PEM_LABEL, pw.as_bytes())
            .with_context(|| format!("cannot open the note key {}", path.display()))?;
        Zeroizing::new(String::from_utf8(secret.to_vec()).context("the decrypted note key is not text")?)
    } else {
        text
    };
    NoteSigner::from_text(&plain).with_context(|| format!("cannot read the note key {}", path.display()))
}

/// The note key must be the ledger's: its name the origin, its verifier key the one recorded at init.
pub(crate) fn check_key_is_the_ledgers(store: &dyn LedgerStore, signer: &NoteSigner) -> anyhow::Result<()> {
    let origin = store.origin()?;
    anyhow::ensure!(
        signer.name() == origin && store.verifier_key()? == signer.verifier_key(),
        "the note key {} is not this ledger's key (origin {origin})",
        signer.name()
    );
    Ok(())
}

/// Signs, keeps and returns a checkpoint of the current tree: after an append, it covers the entries
/// appended.
pub(crate) fn sign_checkpoint(store: &dyn LedgerStore, signer: &NoteSigner) -> anyhow::Result<Vec<u8>> {
    let head = store.tree_head()?;
    let cp = Checkpoint::new(signer.name(), head.size, &head.root);
    let note = signer.sign_checkpoint(&cp)?;
    store.save_checkpoint(&cp, &note)?;
    Ok(note)
}

/// Reads a roles file (`roles: {NAME: {keys: [...], identities: [{san, issuer}]}}`) and the keys it
/// names: the one reader for every command that takes `--roles`.
pub(crate) fn load_roles(path: &Path) -> anyhow::Result<provenant_evidence::roles::Roles> {
    Ok(provenant_evidence::roles::Roles::load(path)?)
}

fn parse_location(text: &str) -> Result<Location, String> {
    Location::parse(text).map_err(|e| e.to_string())
}
