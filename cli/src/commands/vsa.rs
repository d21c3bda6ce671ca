//! `provenant verify-vsa`: a Verification Summary Attestation signed with a known key, checked like
//! slsa-verifier's `verify-vsa` (same flag names).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::{MAX_ENVELOPE_BYTES, VsaExpectations, verify_vsa};
use provenant_sigstore::PublicKey;
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::print_json;

/// Arguments of `provenant verify-vsa`.
#[derive(Debug, Args)]
pub(crate) struct VerifyVsaArgs {
    /// The DSSE envelope of the VSA (JSON, or the first line of a `.jsonl` file).
    #[arg(long, value_name = "PATH")]
    attestation_path: PathBuf,
    /// The PEM public key the VSA must be signed with.
    #[arg(long, value_name = "PATH")]
    public_key_path: PathBuf,
    /// The key id the DSSE signature must carry.
    #[arg(long, value_name = "ID")]
    public_key_id: String,
    /// A `TYPE:VALUE` digest a subject must carry (`gce_image_id:123`, `sha256:HEX`); repeatable.
    #[arg(long = "subject-digest", value_name = "TYPE:VALUE")]
    subject_digests: Vec<String>,
    /// The verifier id the VSA must name.
    #[arg(long, value_name = "URI")]
    verifier_id: Option<String>,
    /// The resource URI the VSA must be about.
    #[arg(long, value_name = "URI")]
    resource_uri: Option<String>,
    /// A level the VSA must record as verified (`SLSA_BUILD_LEVEL_2` is also met by level 3); repeatable.
    #[arg(long = "verified-level", value_name = "LEVEL")]
    verified_levels: Vec<String>,
    /// Print the verified VSA predicate on stdout.
    #[arg(long)]
    print_attestation: bool,
}

#[derive(Serialize)]
struct Report {
    verified: bool,
    attestation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verifier_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_uri: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified_levels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `provenant verify-vsa`.
pub(crate) fn verify_vsa_command(global: &GlobalArgs, args: &VerifyVsaArgs) -> anyhow::Result<Outcome> {
    let key_pem = std::fs::read_to_string(&args.public_key_path)
        .with_context(|| format!("reading {}", args.public_key_path.display()))?;
    let key = PublicKey::from_pem(&key_pem).with_context(|| format!("{}", args.public_key_path.display()))?;
    let meta = std::fs::metadata(&args.attestation_path)
        .with_context(|| format!("reading {}", args.attestation_path.display()))?;
    if usize::try_from(meta.len()).map_or(true, |n| n > MAX_ENVELOPE_BYTES) {
        anyhow::bail!(
            "{}: {} bytes, more than the {MAX_ENVELOPE_BYTES} accepted",
            args.attestation_path.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(&args.attestation_path)
        .with_context(|| format!("reading {}", args.attestation_path.display()))?;
    let envelope = bytes
        .split(|b| *b == b'\n')
        .find(|l| !l.trim_ascii().is_empty())
        .unwrap_or(&[]);
    let mut expect = VsaExpectations::new();
    for d in &args.subject_digests {
        let (a, v) = d
            .split_once(':')
            .with_context(|| format!("--subject-digest {d:?}: expected TYPE:VALUE"))?;
        expect.subject_digests.push((a.to_owned(), v.to_owned()));
    }
    expect.verifier_id.clone_from(&args.verifier_id);
    expect.resource_uri.clone_from(&args.resource_uri);
    expect.verified_levels.clone_from(&args.verified_levels);
    let mut report = Report {
        verified: false,
        attestation: args.attestation_path.display().to_string(),
        verifier_id: None,
        resource_uri: None,
        verified_levels: Vec::new(),
        error: None,
    };
    let outcome = match verify_vsa(envelope.trim_ascii(), &key, &args.public_key_id, &expect) {
        Ok(vsa) => {
            if args.print_attestation {
                print_json(&vsa.to_json())?;
            }
            report.verified = true;
            report.verifier_id = Some(vsa.verifier.id.clone());
            report.resource_uri = Some(vsa.resource_uri.clone());
            report.verified_levels.clone_from(&vsa.verified_levels);
            Outcome::Success
        }
        Err(e) => {
            report.error = Some(e.to_string());
            Outcome::Failure
        }
    };
    match global.output {
        OutputFormat::Json if !args.print_attestation => print_json(&report)?,
        _ => match &report.error {
            None => eprintln!("PASSED: VSA {} verified", report.attestation),
            Some(e) => eprintln!("FAILED: VSA {}: {e}", report.attestation),
        },
    }
    Ok(outcome)
}
