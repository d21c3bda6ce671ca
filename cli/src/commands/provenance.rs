//! `provenant build`, `provenant provenance generate` and `provenant verify-provenance`: SLSA provenance
//! written for a build and checked with slsa-verifier's semantics.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_build::{Invocation, Options, Prepared};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::print_json;

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
    /// The build directory (inside a git work tree).
    #[arg(short = 'C', long = "directory", value_name = "DIR", default_value = ".")]
    pub(crate) directory: PathBuf,
    /// Write the (unsigned) in-toto statement here.
    #[arg(long, value_name = "FILE")]
    pub(crate) statement: Option<PathBuf>,
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
    };
    Ok(provenant_build::prepare(&options)?)
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, then a rename).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[derive(Serialize)]
struct RecordReport<'a> {
    builder_id: String,
    source: &'a str,
    subjects: Vec<SubjectReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<String>,
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
