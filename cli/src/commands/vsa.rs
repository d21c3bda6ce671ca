//! `provenant verify-vsa`: verify a key-signed Verification Summary Attestation with slsa-verifier's
//! `verify-vsa` semantics and flags.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::print_json;

/// The largest VSA envelope read.
const MAX_VSA_BYTES: u64 = 16 * 1024 * 1024;

/// Arguments of `provenant verify-vsa`.
#[derive(Debug, Args)]
pub(crate) struct VerifyVsaArgs {
    /// The VSA: one DSSE envelope (JSON).
    #[arg(long, value_name = "PATH")]
    attestation_path: PathBuf,
    /// A digest the VSA's subjects must include, as `algorithm:value`; repeatable.
    #[arg(
        long = "subject-digest",
        value_name = "ALG:VALUE",
        required = true,
        value_parser = provenant_slsa::vsa_policy::parse_subject_digest
    )]
    subject_digests: Vec<(String, String)>,
    /// The resource URI the VSA must name.
    #[arg(long, value_name = "URI")]
    resource_uri: String,
    /// The verifier id the VSA must name.
    #[arg(long, value_name = "URI")]
    verifier_id: String,
    /// A level the VSA must verify (`SLSA_BUILD_LEVEL_N` is met by any level >= N); repeatable.
    #[arg(long = "verified-level", value_name = "LEVEL")]
    verified_levels: Vec<String>,
    /// The PEM public key that signed the VSA.
    #[arg(long, value_name = "PATH")]
    public_key_path: PathBuf,
    /// The key id the signature must carry.
    #[arg(long, value_name = "ID")]
    public_key_id: String,
    /// Print the verified VSA statement's predicate as JSON on stdout.
    #[arg(long)]
    print_attestation: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    verified: bool,
    verified_levels: Vec<String>,
    error: Option<String>,
}

pub(crate) fn verify_vsa(global: &GlobalArgs, args: &VerifyVsaArgs) -> anyhow::Result<Outcome> {
    use provenant_slsa::vsa_policy::VsaExpectations;
    let expected = VsaExpectations {
        subject_digests: args.subject_digests.clone(),
        verifier_id: args.verifier_id.clone(),
        resource_uri: args.resource_uri.clone(),
        verified_levels: args.verified_levels.clone(),
    };
    let key_text = std::fs::read_to_string(&args.public_key_path)
        .with_context(|| format!("cannot read public key {}", args.public_key_path.display()))?;
    let key = provenant_keys::PublicKey::from_pem(&key_text)
        .with_context(|| format!("cannot parse public key {}", args.public_key_path.display()))?;
    let file = std::fs::File::open(&args.attestation_path)
        .with_context(|| format!("cannot open {}", args.attestation_path.display()))?;
    let mut envelope = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_VSA_BYTES + 1), &mut envelope)
        .with_context(|| format!("cannot read {}", args.attestation_path.display()))?;
    anyhow::ensure!(
        envelope.len() as u64 <= MAX_VSA_BYTES,
        "{} is larger than {MAX_VSA_BYTES} bytes",
        args.attestation_path.display()
    );
    let (report, outcome) =
        match provenant_provenance::verify_vsa(&envelope, &key, &args.public_key_id, &expected) {
            Ok(vsa) => {
                if args.print_attestation {
                    print_json(&vsa.to_json())?;
                }
                (
                    Report {
                        verified: true,
                        verified_levels: vsa.verified_levels,
                        error: None,
                    },
                    Outcome::Success,
                )
            }
            Err(e) => (
                Report {
                    verified: false,
                    verified_levels: Vec::new(),
                    error: Some(e.to_string()),
                },
                Outcome::Failure,
            ),
        };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => match &report.error {
            None => println!(
                "PASSED: VSA verified (levels: {})",
                report.verified_levels.join(", ")
            ),
            Some(e) => println!("FAILED: {e}"),
        },
    }
    Ok(outcome)
}
