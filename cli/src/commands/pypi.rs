//! `provenant verify-pypi-package`: a PyPI distribution against its PEP 740 attestations (the
//! provenance object PyPI's integrity API serves, or a single attestation), with the Trusted Publisher
//! checked against the signing certificate.
// "PyPI" is the index's name, not an identifier to put in backticks.
#![allow(clippy::doc_markdown)]

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::pypi::{
    Attestation, MAX_DOCUMENT_BYTES, ProvenanceObject, Publisher, verify_attestation,
};
use serde::Serialize;

use crate::Outcome;
use crate::args::TrustArgs;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{skipped_names, to_stdout, write_json, write_skipped};

/// `provenant verify-pypi-package`.
#[derive(Debug, Args)]
#[command(
    after_help = "Verifies a distribution (wheel or sdist) against its PEP 740 attestations: each \
attestation's signature, certificate and transparency-log entry under the trusted root; its statement's \
single subject, which must be the distribution's file name and sha256; its predicate type (PyPI's \
publish/v1 or SLSA provenance v1); and the Trusted Publisher from the certificate: the repository \
(--repository https://github.com/ORG/REPO or https://gitlab.com/GROUP/PROJECT), the workflow file \
(--workflow) and the deployment environment (--environment). The provenance object is what \
https://pypi.org/integrity/PROJECT/VERSION/FILE/provenance serves. Exit status 0 verified, 1 a check \
failed (reported on stdout), 2 usage or runtime error."
)]
pub(crate) struct VerifyPypiPackageArgs {
    /// The distribution file (its name is the subject the attestations must name).
    #[arg(value_name = "DIST")]
    pub(crate) dist: PathBuf,
    /// The provenance object (`{"version": 1, "attestation_bundles": [...]}`).
    #[arg(long, value_name = "FILE", required_unless_present = "attestation")]
    pub(crate) provenance: Option<PathBuf>,
    /// A single attestation object, instead of a provenance object.
    #[arg(long, value_name = "FILE", conflicts_with = "provenance")]
    pub(crate) attestation: Option<PathBuf>,
    /// The publisher's repository: `https://github.com/ORG/REPO` or `https://gitlab.com/GROUP/PROJECT`.
    #[arg(long, value_name = "URL")]
    pub(crate) repository: String,
    /// The workflow file that must have published (GitHub: the name under `.github/workflows/`; GitLab:
    /// the CI configuration path).
    #[arg(long, value_name = "NAME")]
    pub(crate) workflow: Option<String>,
    /// The deployment environment the certificate must name.
    #[arg(long, value_name = "NAME")]
    pub(crate) environment: Option<String>,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
}

#[derive(Serialize)]
struct AttestationReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    predicate_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Report {
    dist: String,
    sha256: String,
    verified: bool,
    attestations: Vec<AttestationReport>,
    /// Checks skipped by request (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: Vec<&'static str>,
}

/// The publisher a `--repository` URL names.
fn publisher(args: &VerifyPypiPackageArgs) -> anyhow::Result<Publisher> {
    let url = args.repository.trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let workflow = args.workflow.clone();
    if let Some(repository) = url.strip_prefix("https://github.com/") {
        return Ok(Publisher::GitHub {
            repository: repository.to_owned(),
            workflow,
        });
    }
    if let Some(repository) = url.strip_prefix("https://gitlab.com/") {
        return Ok(Publisher::GitLab {
            repository: repository.to_owned(),
            workflow,
        });
    }
    anyhow::bail!(
        "--repository {} names neither a GitHub nor a GitLab repository (https://github.com/ORG/REPO, https://gitlab.com/GROUP/PROJECT)",
        args.repository
    )
}

pub(crate) fn verify_pypi_package(
    global: &GlobalArgs,
    args: &VerifyPypiPackageArgs,
) -> anyhow::Result<Outcome> {
    let publisher = publisher(args)?;
    let filename = args
        .dist
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} has no file name", args.dist.display()))?
        .to_owned();
    let attestations = match (&args.provenance, &args.attestation) {
        (Some(path), _) => {
            let object = ProvenanceObject::from_json(&super::read_bounded(
                path,
                MAX_DOCUMENT_BYTES as u64,
                "provenance object",
            )?)
            .with_context(|| format!("cannot read the provenance object {}", path.display()))?;
            object
                .bundles
                .into_iter()
                .flat_map(|(_, a)| a)
                .collect::<Vec<_>>()
        }
        (None, Some(path)) => vec![
            Attestation::from_json(&super::read_bounded(
                path,
                MAX_DOCUMENT_BYTES as u64,
                "attestation",
            )?)
            .with_context(|| format!("cannot read the attestation {}", path.display()))?,
        ],
        (None, None) => anyhow::bail!("give --provenance FILE or --attestation FILE"),
    };
    let trust = args.trust.keyless_policy()?;
    let verifier = trust.verifier();
    let sha256 = provenant_digest::Algorithm::Sha256
        .hash_file(&args.dist, &provenant_digest::NoProgress)
        .with_context(|| format!("cannot hash {}", args.dist.display()))?;
    let mut report = Report {
        dist: args.dist.display().to_string(),
        sha256: sha256.to_string(),
        verified: !attestations.is_empty(),
        attestations: Vec::new(),
        skipped: skipped_names(&trust.skipped()),
    };
    for a in &attestations {
        match verify_attestation(
            verifier,
            a,
            &filename,
            &sha256,
            &publisher,
            args.environment.as_deref(),
        ) {
            Ok(v) => report.attestations.push(AttestationReport {
                predicate_type: Some(v.predicate_type),
                signer: Some(v.signer),
                failed_check: None,
                error: None,
            }),
            Err(e) => {
                report.verified = false;
                report.attestations.push(AttestationReport {
                    predicate_type: None,
                    signer: None,
                    failed_check: Some(e.check()),
                    error: Some(e.to_string()),
                });
            }
        }
    }
    to_stdout(|w| render(w, global.output, &report))?;
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// The report as text or JSON.
fn render(w: &mut impl Write, output: OutputFormat, report: &Report) -> std::io::Result<()> {
    match output {
        OutputFormat::Json => write_json(w, report),
        OutputFormat::Text => {
            for a in &report.attestations {
                match (&a.error, &a.predicate_type) {
                    (Some(e), _) => writeln!(w, "FAILED {}: {e}", report.dist)?,
                    (None, Some(p)) => writeln!(
                        w,
                        "Verified {} ({}): {p}, published by {}",
                        report.dist,
                        report.sha256,
                        a.signer.as_deref().unwrap_or("")
                    )?,
                    (None, None) => {}
                }
            }
            if report.attestations.is_empty() {
                writeln!(
                    w,
                    "FAILED {}: the provenance object holds no attestation",
                    report.dist
                )?;
            }
            write_skipped(w, &report.skipped)
        }
    }
}
