//! `provenant verify-github-attestation`: a GitHub artifact attestation (a sigstore bundle from
//! `actions/attest-build-provenance`) for an artefact, like slsa-verifier's `verify-github-attestation`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::github_attestation::{
    AttestationCheck, AttestationExpectations, verify_github_attestation,
};
use provenant_sigstore::{Bundle, MAX_BUNDLE_BYTES};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{SourceRefArgs, TrustArgs};
use crate::output::{print_json, skipped_names, to_stdout, write_skipped};

/// `provenant verify-github-attestation`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks, in slsa-verifier's order, each with its own failure: the bundle under the \
trusted root (certificate chain, SCT, transparency log); the signing workflow (GitHub's OIDC issuer; it must be \
the --builder-id given, at a vX.Y.Z release tag); the certificate's repository; that the statement is SLSA \
provenance v1 of GitHub's build type recording exactly that builder; the source; the artefact's digest; the \
branch, tag or versioned tag. Exit status 0 verified, 1 a check failed (reported on stdout), 2 usage or runtime \
error."
)]
pub(crate) struct VerifyGithubAttestationArgs {
    /// The artefact: a file, or its digest (`sha256:<hex>`, `sha512:<hex>`).
    #[arg(value_name = "ARTEFACT")]
    pub(crate) artefact: String,
    /// The attestation: a sigstore bundle (as `gh attestation download` writes, one per line, or a
    /// single bundle).
    #[arg(long, value_name = "FILE")]
    pub(crate) attestation_path: PathBuf,
    /// The expected source repository (`github.com/ORG/REPO`, or a URL).
    #[arg(long, value_name = "URI")]
    pub(crate) source_uri: provenant_slsa::policy::SourceUri,
    /// The trusted builder: the reusable workflow that signs (`https://github.com/ORG/REPO/.github/workflows/F.yml`,
    /// optionally `@vX.Y.Z`). Without it no workflow is trusted.
    #[arg(long, value_name = "URI")]
    pub(crate) builder_id: Option<String>,
    #[command(flatten)]
    pub(crate) source_ref: SourceRefArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Print the verified attestation's statement on stdout.
    #[arg(long, alias = "print-provenance")]
    pub(crate) print_attestation: bool,
}

#[derive(Serialize)]
struct Report {
    artefact: String,
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_commit: Option<String>,
    /// The older GitHub certificate extensions the signer's claims were read from (early-2023
    /// certificates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    older_certificate_extensions: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<AttestationCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Checks skipped by request (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: Vec<&'static str>,
}

/// The bundles of the attestation file: one JSON document, or one per line (`.jsonl`).
fn read_bundles(path: &Path) -> anyhow::Result<Vec<Bundle>> {
    let bytes = super::read_bounded(path, MAX_BUNDLE_BYTES as u64, "attestation")?;
    if let Ok(bundle) = Bundle::from_json(&bytes) {
        return Ok(vec![bundle]);
    }
    let mut bundles = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        bundles.push(
            Bundle::from_json(line)
                .with_context(|| format!("{} line {}: not a sigstore bundle", path.display(), i + 1))?,
        );
    }
    anyhow::ensure!(!bundles.is_empty(), "{} holds no bundle", path.display());
    Ok(bundles)
}

fn read_artefact(arg: &str) -> anyhow::Result<provenant_digest::Digest> {
    if arg.starts_with("sha256:") || arg.starts_with("sha512:") {
        return Ok(arg.parse()?);
    }
    provenant_digest::Algorithm::Sha256
        .hash_file(Path::new(arg), &provenant_digest::NoProgress)
        .with_context(|| format!("cannot hash the artefact {arg}"))
}

pub(crate) fn verify_github_attestation_command(
    global: &GlobalArgs,
    args: &VerifyGithubAttestationArgs,
) -> anyhow::Result<Outcome> {
    let expectations = AttestationExpectations {
        source: args.source_uri.clone(),
        builder_id: args.builder_id.clone(),
        git_ref: args.source_ref.expectation(),
    };
    let bundles = read_bundles(&args.attestation_path)?;
    // The identity is checked by the attestation verification itself.
    let trust = args.trust.keyless_policy()?;
    let verifier = trust.verifier();
    let artefact = read_artefact(&args.artefact)?;

    // One attestation that passes is enough; otherwise the first one's failure is reported.
    let mut first_error = None;
    let mut passed = None;
    for bundle in &bundles {
        match verify_github_attestation(verifier, bundle, &artefact, &expectations) {
            Ok(v) => {
                passed = Some(v);
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let mut report = Report {
        artefact: artefact.to_string(),
        verified: passed.is_some(),
        builder_id: None,
        source_commit: None,
        older_certificate_extensions: Vec::new(),
        failed_check: None,
        error: None,
        skipped: skipped_names(&trust.skipped()),
    };
    let outcome = if let Some(v) = passed {
        if args.print_attestation {
            print_json(&v.statement)?;
        }
        report.builder_id = Some(v.builder_id);
        report.source_commit = v.source_commit;
        report.older_certificate_extensions = v.older_extensions.iter().map(|e| e.name()).collect();
        Outcome::Success
    } else {
        report.failed_check = first_error
            .as_ref()
            .map(provenant_provenance::github_attestation::AttestationError::check);
        report.error = first_error.map(|e| e.to_string());
        Outcome::Failure
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| {
            if report.verified {
                writeln!(
                    w,
                    "Verified {} ({}): built by {} from {} at {}",
                    args.artefact,
                    report.artefact,
                    report.builder_id.as_deref().unwrap_or(""),
                    expectations.source,
                    report.source_commit.as_deref().unwrap_or("an unrecorded commit"),
                )?;
                if !report.older_certificate_extensions.is_empty() {
                    writeln!(
                        w,
                        "  the signing certificate predates Fulcio's source repository extensions: read from {}",
                        report.older_certificate_extensions.join(", ")
                    )?;
                }
            } else {
                writeln!(w, "FAILED {}", report.error.as_deref().unwrap_or(""))?;
            }
            write_skipped(w, &report.skipped)
        })?,
    }
    Ok(outcome)
}
