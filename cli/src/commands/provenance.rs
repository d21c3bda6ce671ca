//! `provenant build`, `provenant provenance generate` and `provenant verify-provenance`: SLSA provenance
//! written for a build and checked with slsa-verifier's semantics.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_build::{Invocation, Options, Prepared};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{KeylessArgs, SignerArgs, SourceRefArgs, TrustArgs};
use crate::output::{print_json, to_stdout, write_json, write_skipped};
use crate::shared::{source_date_epoch_timestamp as source_date_epoch, write_atomic};

/// Options shared by the commands that record provenance.
#[derive(Debug, Args, Clone)]
pub(crate) struct RecordArgs {
    /// Output files to record as subjects, as globs relative to the build directory (`out/*`,
    /// `dist/**/*.tar.gz`); repeatable, each must match at least one file.
    #[arg(long = "subject", value_name = "GLOB", required = true)]
    pub(crate) subjects: Vec<String>,
    /// The builder id to record (a URI), instead of the one the CI implies or Provenant's local builder.
    #[arg(long, value_name = "URI")]
    pub(crate) builder_id: Option<String>,
    /// The source repository to record (`github.com/ORG/REPO` or a URL), instead of the CI's or the
    /// `origin` remote.
    #[arg(long, value_name = "URI")]
    pub(crate) source: Option<String>,
    /// Record provenance even when tracked files differ from HEAD; the provenance then says so.
    #[arg(long)]
    pub(crate) allow_dirty: bool,
    /// An SBOM of the build's inputs to record among the resolved dependencies (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) sbom: Vec<PathBuf>,
    /// The build directory (inside a git work tree).
    #[arg(short = 'C', long = "directory", value_name = "DIR", default_value = ".")]
    pub(crate) directory: PathBuf,
    /// Write the (unsigned) in-toto statement here.
    #[arg(long, value_name = "FILE", required_unless_present = "bundle")]
    pub(crate) statement: Option<PathBuf>,
    /// Sign the statement (DSSE in a sigstore bundle) and write the bundle here: with --key, or
    /// keylessly.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,
    /// Sign with this key (cosign's encrypted format or PKCS#8/SEC1 PEM) instead of keylessly.
    #[arg(long, value_name = "KEY", requires = "bundle")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
}

/// `provenant build`.
#[derive(Debug, Args)]
#[command(
    after_help = "Runs the build command in the build directory, passing its output through and \
exiting with its exit code. Only when it succeeds is provenance written: an in-toto Statement v1 with a \
SLSA Build provenance v1 predicate (docs/provenance.md) whose subjects are the outputs matching --subject."
)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    pub(crate) record: RecordArgs,
    /// The build command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<OsString>,
}

/// `provenant provenance`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProvenanceCommand {
    /// Record provenance for a build that already ran, from the CI environment (GitHub Actions,
    /// GitLab CI) or from flags.
    Generate(GenerateArgs),
}

/// `provenant provenance generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    #[command(flatten)]
    pub(crate) record: RecordArgs,
}

fn environment() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn prepare(record: &RecordArgs) -> anyhow::Result<Prepared> {
    let options = Options {
        build_dir: record.directory.clone(),
        subjects: record.subjects.clone(),
        builder_id: record.builder_id.clone(),
        source: record.source.clone(),
        allow_dirty: record.allow_dirty,
        env: environment(),
        sboms: record.sbom.clone(),
    };
    Ok(provenant_build::prepare(&options)?)
}

#[derive(Serialize)]
struct RecordReport<'a> {
    builder_id: String,
    source: &'a str,
    subjects: Vec<SubjectReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle: Option<String>,
}

#[derive(Serialize)]
struct SubjectReport {
    name: String,
    digest: String,
}

fn record(
    global: &GlobalArgs,
    record: &RecordArgs,
    prepared: &Prepared,
    invocation: &Invocation<'_>,
) -> anyhow::Result<Outcome> {
    let outputs = provenant_build::subjects::collect(&prepared.build_dir, &record.subjects)?;
    let statement = prepared.statement(&outputs, invocation)?;
    let mut bytes = serde_json::to_vec_pretty(&statement)?;
    bytes.push(b'\n');
    if let Some(path) = &record.statement {
        write_atomic(path, &bytes)?;
    }
    if let Some(path) = &record.bundle {
        record
            .keyless
            .sign_statement(record.key.as_deref(), &bytes, Some(path), "provenance")?;
    }
    let report = RecordReport {
        builder_id: prepared.builder_id.to_string(),
        source: &prepared.source_uri,
        subjects: outputs
            .iter()
            .map(|o| SubjectReport {
                name: o.name.clone(),
                digest: o.digest.to_string(),
            })
            .collect(),
        statement: record.statement.as_ref().map(|p| p.display().to_string()),
        bundle: record.bundle.as_ref().map(|p| p.display().to_string()),
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "provenance: builder {} from {}",
                report.builder_id, report.source
            )?;
            for s in &report.subjects {
                writeln!(err, "  subject {} {}", s.digest, s.name)?;
            }
            if let Some(p) = &report.statement {
                writeln!(err, "  statement written to {p}")?;
            }
            if let Some(p) = &report.bundle {
                writeln!(err, "  signed provenance written to {p}")?;
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) fn build(global: &GlobalArgs, args: &BuildArgs) -> anyhow::Result<Outcome> {
    // Everything that can refuse the build (dirty tree, unknown source) is checked before it runs.
    let prepared = prepare(&args.record)?;
    let started = prepared.now();
    let outcome = provenant_build::run::run(
        &args.command,
        &prepared.build_dir,
        std::io::stdout(),
        std::io::stderr(),
    )?;
    let finished = prepared.now();
    if !outcome.status.success() {
        let code = outcome.exit_code();
        eprintln!("error: build command failed with exit code {code}; no provenance written");
        // The build's own exit code is the answer, whatever it is.
        std::process::exit(code);
    }
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let invocation = Invocation {
        command: Some(&command),
        started_on: Some(started),
        finished_on: finished,
        logs: Some((outcome.stdout, outcome.stderr)),
    };
    record(global, &args.record, &prepared, &invocation)
}

pub(crate) fn provenance(global: &GlobalArgs, command: &ProvenanceCommand) -> anyhow::Result<Outcome> {
    match command {
        ProvenanceCommand::Generate(args) => {
            let prepared = prepare(&args.record)?;
            let invocation = Invocation {
                command: None,
                started_on: None,
                finished_on: prepared.now(),
                logs: None,
            };
            record(global, &args.record, &prepared, &invocation)
        }
    }
}

/// `provenant verify-provenance`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks, in order, each with its own failure: the bundle's signature (certificate \
identity or key, transparency log) under the trusted root; that the payload is an in-toto statement; that a \
subject has the artefact's digest; that the predicate is SLSA provenance v1 or v0.2; the builder id; the \
source repository; the branch, tag or versioned tag; the build level. With several --bundle, one passing \
every check is enough. Exit status 0 verified, 1 a check failed (reported on stdout), 2 usage or runtime error."
)]
#[allow(clippy::struct_excessive_bools)] // Independent switches, as cosign has them.
pub(crate) struct VerifyProvenanceArgs {
    /// The artefact: a file, or its digest (`sha256:<hex>`, `sha512:<hex>`).
    #[arg(value_name = "ARTEFACT")]
    pub(crate) artefact: String,
    /// A sigstore bundle carrying the provenance; repeatable.
    #[arg(long = "bundle", value_name = "FILE", required = true)]
    pub(crate) bundles: Vec<PathBuf>,
    /// The expected source repository (`github.com/ORG/REPO`, or a URL).
    #[arg(long, value_name = "URI")]
    pub(crate) source_uri: provenant_slsa::policy::SourceUri,
    #[command(flatten)]
    pub(crate) source_ref: SourceRefArgs,
    /// A `workflow_dispatch` input the provenance must record with this value, as NAME=VALUE
    /// (slsa-verifier's flag); repeatable.
    #[arg(long = "build-workflow-input", value_name = "NAME=VALUE")]
    pub(crate) workflow_inputs: Vec<String>,
    /// The trusted builder (`URI`, or `URI@version` to pin the version).
    #[arg(long, value_name = "URI")]
    pub(crate) builder_id: provenant_slsa::policy::BuilderId,
    /// The minimum SLSA build level the evidence must support (0-3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub(crate) build_level: Option<u8>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Print the verified provenance statement on stdout.
    #[arg(long)]
    pub(crate) print_provenance: bool,
    /// On success, write a Verification Summary Attestation (VSA v1 statement) here.
    #[arg(long, value_name = "FILE")]
    pub(crate) vsa: Option<PathBuf>,
    /// On success, sign the VSA (with --vsa-key, or keylessly) and write its sigstore bundle here.
    #[arg(long, value_name = "OUT")]
    pub(crate) vsa_bundle: Option<PathBuf>,
    /// Sign the VSA with this key instead of keylessly.
    #[arg(long, value_name = "KEY", requires = "vsa_bundle")]
    pub(crate) vsa_key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
}

/// Upper bound on a bundle read into memory.
const MAX_BUNDLE_BYTES: u64 = provenant_sigstore::MAX_BUNDLE_BYTES as u64;

#[derive(Serialize)]
struct VerifyReport {
    verified: bool,
    artefact: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicate_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    build_level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<provenant_provenance::Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vsa: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vsa_bundle: Option<String>,
    /// Checks the trust policy skipped (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<&'static str>,
}

/// `--build-workflow-input NAME=VALUE` flags as a map.
fn parse_workflow_inputs(flags: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    flags
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--build-workflow-input {kv:?} is not of the form NAME=VALUE"))
        })
        .collect()
}

pub(crate) fn verify_provenance(global: &GlobalArgs, args: &VerifyProvenanceArgs) -> anyhow::Result<Outcome> {
    use provenant_provenance::Expectations;

    // Validate everything before any verification work.
    let expectations = Expectations {
        builder_id: args.builder_id.clone(),
        source: args.source_uri.clone(),
        git_ref: args.source_ref.expectation(),
        build_level: args.build_level,
        workflow_inputs: parse_workflow_inputs(&args.workflow_inputs)?,
    };
    let trust = args.trust.policy(&args.signer)?;
    let (verifier, policy) = (trust.verifier(), trust.signer_policy());
    let (artefact, resource_uri) = read_artefact(&args.artefact)?;
    let mut bundles = Vec::with_capacity(args.bundles.len());
    for path in &args.bundles {
        let bytes = super::read_bounded(path, MAX_BUNDLE_BYTES, "bundle")?;
        let bundle = provenant_sigstore::Bundle::from_json(&bytes)
            .with_context(|| format!("cannot read bundle {}", path.display()))?;
        bundles.push((
            bundle,
            provenant_digest::Algorithm::Sha256.hash_bytes(&bytes),
            path.display().to_string(),
        ));
    }
    let inputs = crate::shared::verification_inputs(&bundles);

    let mut report = VerifyReport {
        verified: false,
        artefact: artefact.to_string(),
        subject: None,
        bundle: None,
        predicate_type: None,
        builder_id: None,
        build_level: None,
        signer: None,
        failed_check: None,
        error: None,
        vsa: None,
        vsa_bundle: None,
        skipped: trust
            .skipped()
            .into_iter()
            .map(provenant_evidence::SkippedCheck::name)
            .collect(),
    };
    let outcome = match missing_log_evidence(&trust, &bundles) {
        // No bundle has the transparency-log evidence the policy requires: say so, by name.
        Some(e) => {
            report.failed_check = Some(provenant_provenance::Check::Signature);
            report.error = Some(e.to_string());
            Outcome::Failure
        }
        None => match provenant_provenance::verify(verifier, policy, &inputs, &artefact, &expectations) {
            Ok(passed) => {
                if let Some(input) = inputs.get(passed.bundle_index)
                    && (args.vsa.is_some() || args.vsa_bundle.is_some())
                {
                    let now = provenant_build::now(source_date_epoch()?);
                    let vsa = provenant_provenance::vsa_statement(
                        &passed,
                        &artefact,
                        &expectations,
                        input,
                        now,
                        &resource_uri,
                    );
                    let mut bytes = serde_json::to_vec_pretty(&vsa)?;
                    bytes.push(b'\n');
                    if let Some(out) = &args.vsa {
                        write_atomic(out, &bytes)?;
                        report.vsa = Some(out.display().to_string());
                    }
                    if let Some(out) = &args.vsa_bundle {
                        args.keyless
                            .sign_statement(args.vsa_key.as_deref(), &bytes, Some(out), "VSA")?;
                        report.vsa_bundle = Some(out.display().to_string());
                    }
                }
                if args.print_provenance {
                    print_json(&passed.statement)?;
                }
                report.verified = true;
                report.subject = Some(passed.subject.name.clone());
                report.bundle = inputs.get(passed.bundle_index).map(|i| i.name.clone());
                report.predicate_type = Some(passed.provenance.version().predicate_type().to_owned());
                report.builder_id = Some(passed.builder_id.to_string());
                report.build_level = Some(passed.build_level);
                report.signer = passed
                    .signer
                    .identity
                    .clone()
                    .or_else(|| Some("public key".to_owned()));
                Outcome::Success
            }
            Err(e) => {
                report.failed_check = Some(e.check());
                report.error = Some(format!("{e}"));
                Outcome::Failure
            }
        },
    };
    to_stdout(|w| render_verify(w, global.output, &report, &expectations))?;
    Ok(outcome)
}

/// The reason none of `bundles` can verify before any signature is checked (no transparency-log entry
/// where the policy requires one), when that holds for every one of them.
fn missing_log_evidence(
    trust: &provenant_evidence::TrustPolicy,
    bundles: &[(provenant_sigstore::Bundle, provenant_digest::Digest, String)],
) -> Option<provenant_evidence::EvidenceError> {
    let mut first = None;
    for (bundle, _, _) in bundles {
        match trust.evidence_present(bundle) {
            Ok(()) => return None,
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    first
}

fn render_verify(
    w: &mut impl Write,
    output: OutputFormat,
    report: &VerifyReport,
    expectations: &provenant_provenance::Expectations,
) -> std::io::Result<()> {
    if output == OutputFormat::Json {
        return write_json(w, report);
    }
    if report.verified {
        writeln!(
            w,
            "Verified {} ({}): built by {} from {}, SLSA build level {}, signed by {}",
            report.artefact,
            report.subject.as_deref().unwrap_or(""),
            report.builder_id.as_deref().unwrap_or(""),
            expectations.source,
            report.build_level.unwrap_or(0),
            report.signer.as_deref().unwrap_or("")
        )?;
        if let Some(v) = &report.vsa {
            writeln!(w, "VSA written to {v}")?;
        }
        if let Some(v) = &report.vsa_bundle {
            writeln!(w, "signed VSA written to {v}")?;
        }
    } else {
        writeln!(w, "FAILED {}", report.error.as_deref().unwrap_or(""))?;
    }
    write_skipped(w, &report.skipped)
}

/// The artefact's digest and a name for it: a digest given as such, or the sha256 of a file.
fn read_artefact(arg: &str) -> anyhow::Result<(provenant_digest::Digest, String)> {
    if arg.starts_with("sha256:") || arg.starts_with("sha512:") {
        let digest: provenant_digest::Digest = arg.parse()?;
        return Ok((digest, digest.to_string()));
    }
    let path = Path::new(arg);
    let digest = provenant_digest::Algorithm::Sha256
        .hash_file(path, &provenant_digest::NoProgress)
        .with_context(|| format!("cannot hash the artefact {}", path.display()))?;
    let name = path
        .file_name()
        .map_or_else(|| arg.to_owned(), |n| n.to_string_lossy().into_owned());
    Ok((digest, name))
}
