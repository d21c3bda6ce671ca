//! `provenant keys`: cosign-compatible key pairs; and loading signing keys for `--key` everywhere.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use provenant_keys::{KeyKind, SigningKey, cosign};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json};
use crate::shared::password;

/// `provenant keys`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a key pair: NAME.key (encrypted, cosign's format) and NAME.pub.
    #[command(
        after_help = "The password comes from COSIGN_PASSWORD, or is asked for on the terminal. \
The private key file is cosign's ENCRYPTED SIGSTORE PRIVATE KEY (scrypt + NaCl secretbox): cosign opens it."
    )]
    Generate(GenerateArgs),
    /// Print the public key (PEM) of a private key file.
    PublicKey(PublicKeyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Key algorithm.
    #[arg(long, value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519"], default_value = "ecdsa-p256")]
    pub(crate) kind: String,
    /// Prefix of the files written (NAME.key, NAME.pub).
    #[arg(long, value_name = "NAME", default_value = "cosign")]
    pub(crate) output_key_prefix: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PublicKeyArgs {
    /// The private key: cosign's encrypted format, or an unencrypted PKCS#8/SEC1 PEM.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,
    /// Write the PEM here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) outfile: Option<PathBuf>,
}

pub(crate) fn run(global: &GlobalArgs, command: &KeysCommand) -> anyhow::Result<Outcome> {
    match command {
        KeysCommand::Generate(args) => generate(global, args),
        KeysCommand::PublicKey(args) => public_key(args),
    }
}

#[derive(Serialize)]
struct GenerateReport {
    kind: String,
    private_key: String,
    public_key: String,
}

fn generate(global: &GlobalArgs, args: &GenerateArgs) -> anyhow::Result<Outcome> {
    let kind: KeyKind = args.kind.parse()?;
    let (key_path, pub_path) = crate::shared::key_pair_paths(&args.output_key_prefix, args.force)?;
    let pw = password(true)?;
    let key = SigningKey::generate(kind)?;
    let encrypted = cosign::encrypt(&key, pw.as_bytes(), &cosign::KdfParams::COSIGN)?;
    crate::shared::write_private(&key_path, encrypted.as_bytes())?;
    crate::shared::write_atomic(&pub_path, key.public_key_pem()?.as_bytes())?;
    let report = GenerateReport {
        kind: kind.name().to_owned(),
        private_key: key_path.display().to_string(),
        public_key: pub_path.display().to_string(),
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_bytes(
            format!(
                "Private key written to {} ({}, encrypted)\nPublic key written to {}\n",
                report.private_key, report.kind, report.public_key
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

fn public_key(args: &PublicKeyArgs) -> anyhow::Result<Outcome> {
    let key =
        provenant_evidence::load_signing_key(&args.key, || password(false).map_err(|e| format!("{e:#}")))?;
    let pem = key.public_key_pem()?;
    match &args.outfile {
        Some(path) => {
            crate::shared::write_atomic(path, pem.as_bytes())?;
        }
        None => print_bytes(pem.as_bytes())?,
    }
    Ok(Outcome::Success)
}
