//! `provenant repro`: reproducible-build checks.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_diff::{Detail, Kind};
use provenant_repro::{CheckError, CheckOptions, Report, Variation};

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json};

/// `provenant repro`.
#[derive(Debug, Args)]
pub(crate) struct ReproArgs {
    #[command(subcommand)]
    pub(crate) command: ReproCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReproCommand {
    /// Build a source tree several times under varied conditions and compare the artefacts.
    Check(Box<CheckArgs>),
    /// Re-run the build a provenance records and compare the results with its subjects.
    Verify(VerifyArgs),
}

/// `provenant repro verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "The provenance is the SLSA v1 statement `provenant build` writes, bare, in a DSSE envelope or in a sigstore bundle; its signature is not checked here (use verify-provenance). With a git source, the recorded commit is checked out into a fresh temporary directory and built there; the source directory is never written. Exit status: 0 every subject rebuilt identically, 1 a subject differs or is missing, 2 the rebuild failed or the provenance cannot be re-run."
)]
pub(crate) struct VerifyArgs {
    /// The provenance: statement, DSSE envelope or sigstore bundle.
    #[arg(long, value_name = "PROVENANCE")]
    pub(crate) bundle: PathBuf,
    /// The source: a git repository containing the recorded commit, or a directory built as it is.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) source: PathBuf,
}

/// `provenant repro check`.
#[derive(Debug, Args)]
#[command(
    after_help = "The source tree is copied into temporary build directories; the first build is the \
control, the others run under the variations. A variation that cannot be applied here is reported as not \
applied, with the reason. Exit status: 0 reproducible, 1 not reproducible, 2 the build failed or an \
artefact is missing."
)]
pub(crate) struct CheckArgs {
    /// The source tree to build (copied; never written).
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) source: PathBuf,
    /// Builds in total, the control included.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(crate) runs: u32,
    /// Variations to apply, comma-separated: time, build-path, umask, locale, timezone, env-order, home,
    /// user, hostname, cpus, file-order, or `all`; `-name` removes one (`--vary=-user,-hostname`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "all",
        allow_hyphen_values = true,
        value_name = "LIST"
    )]
    pub(crate) vary: Vec<String>,
    /// Artefacts to compare, as globs relative to the build directory (repeatable); by default every
    /// file the build created or changed.
    #[arg(long = "artifact", value_name = "GLOB")]
    pub(crate) artifacts: Vec<String>,
    /// Do not set `SOURCE_DATE_EPOCH` (by default the last commit's time) in the builds.
    #[arg(long)]
    pub(crate) no_source_date_epoch: bool,
    /// Also write diffoscope's HTML report for each differing artefact into DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) diffoscope: Option<PathBuf>,
    /// Write the reproducibility attestation (an in-toto Statement v1, predicate type
    /// `https://provenant.dev/attestation/reproducibility/v1`) to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) statement: Option<PathBuf>,
    /// Sign the attestation keylessly (DSSE in a sigstore bundle, v0.3) and write the bundle to OUT.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: crate::commands::sigstore::KeylessArgs,
    /// The build command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<OsString>,
}

/// Parses `--vary` items into the set of variations.
fn variations(items: &[String]) -> anyhow::Result<BTreeSet<Variation>> {
    let mut set = BTreeSet::new();
    let mut only_removals = true;
    let mut removed = BTreeSet::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if let Some(name) = item.strip_prefix('-') {
            if name == "all" {
                removed.extend(Variation::ALL);
            } else {
                removed.insert(name.parse::<Variation>()?);
            }
        } else {
            only_removals = false;
            let name = item.strip_prefix('+').unwrap_or(item);
            if name == "all" {
                set.extend(Variation::ALL);
            } else {
                set.insert(name.parse::<Variation>()?);
            }
        }
    }
    if only_removals {
        set.extend(Variation::ALL);
    }
    Ok(set.difference(&removed).copied().collect())
}

pub(crate) fn run(global: &GlobalArgs, args: &ReproArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        ReproCommand::Check(a) => check(global, a),
        ReproCommand::Verify(a) => verify(global, a),
    }
}

fn check(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<Outcome> {
    let mut options = CheckOptions::new(args.source.clone(), args.command.clone());
    options.runs = args.runs;
    options.variations = variations(&args.vary)?;
    options.artifacts.clone_from(&args.artifacts);
    options.source_date_epoch = !args.no_source_date_epoch;
    let mut report = match provenant_repro::check(&options) {
        Ok(r) => r,
        Err(e @ CheckError::BuildFailed { run: 0, .. }) => {
            return Err(anyhow::Error::new(e).context("build failed"));
        }
        Err(e @ CheckError::BuildFailed { .. }) => {
            return Err(anyhow::Error::new(e).context(
                "build failed under the variations although the control build succeeded (a variation broke \
                 it: narrow it down with --vary)",
            ));
        }
        Err(e) => return Err(e).context("reproducibility check did not complete"),
    };
    if let Some(dir) = &args.diffoscope {
        report.run_diffoscope(dir)?;
        for d in &report.diffoscope {
            if let Some(e) = &d.error {
                tracing::warn!(
                    "diffoscope report for {} (run {}) not written: {e}",
                    d.artifact,
                    d.run
                );
            }
        }
    }
    if args.statement.is_some() || args.bundle.is_some() {
        let statement = provenant_repro::predicate::Statement::from_report(&report);
        let mut bytes = serde_json::to_vec_pretty(&statement)?;
        bytes.push(b'\n');
        if let Some(path) = &args.statement {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let Some(path) = &args.bundle {
            let bundle = sign_statement(&args.keyless, &bytes).context("cannot sign the attestation")?;
            std::fs::write(path, bundle.to_json_v0_3()?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_bytes(render(&report).as_bytes())?,
    }
    Ok(if report.reproducible {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Signs the statement keylessly: a Fulcio certificate for a fresh key, logged in Rekor.
fn sign_statement(
    keyless: &crate::commands::sigstore::KeylessArgs,
    statement: &[u8],
) -> anyhow::Result<provenant_sigstore::Bundle> {
    let services = crate::commands::sigstore::services(keyless, false)?;
    let bundle = crate::commands::sigstore::runtime()?.block_on(async {
        let token =
            provenant_sigstore_sign::IdentityToken::resolve(keyless.identity_token.as_deref()).await?;
        provenant_sigstore_sign::KeylessSigner::new(services, &token)
            .sign_statement(statement)
            .await
    })?;
    Ok(bundle)
}

fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let bytes =
        std::fs::read(&args.bundle).with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let report = match provenant_repro::rebuild::verify(&bytes, &args.source) {
        Ok(r) => r,
        Err(provenant_repro::rebuild::RebuildError::Build(e @ CheckError::BuildFailed { .. })) => {
            return Err(anyhow::Error::new(e).context("rebuild failed"));
        }
        Err(e) => return Err(e).context("rebuild did not complete"),
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let mut t = String::new();
            let r = &report.recorded;
            let _ = writeln!(
                t,
                "{}",
                if report.ok {
                    "REBUILT: every subject matches the provenance"
                } else {
                    "MISMATCH: the rebuild does not match the provenance"
                }
            );
            let _ = writeln!(
                t,
                "source:   {}",
                r.source_uri.as_deref().unwrap_or("(not recorded)")
            );
            let _ = writeln!(
                t,
                "commit:   {}{}",
                r.commit.as_deref().unwrap_or("(not recorded)"),
                if report.checked_out {
                    " (checked out into a fresh directory)"
                } else {
                    " (NOT checked out: the source directory was built as it is)"
                }
            );
            let _ = writeln!(
                t,
                "command:  {} (in {})",
                r.command.join(" "),
                r.working_directory
            );
            for sub in &report.subjects {
                match (&sub.rebuilt, sub.matches) {
                    (_, true) => {
                        let _ = writeln!(t, "  ok        {}  {}", sub.name, sub.attested);
                    }
                    (Some(d), false) => {
                        let _ = writeln!(
                            t,
                            "  DIFFERS   {}\n            attested: {}\n            rebuilt:  {d}",
                            sub.name, sub.attested
                        );
                    }
                    (None, false) => {
                        let _ = writeln!(t, "  MISSING   {} (the rebuild did not produce it)", sub.name);
                    }
                }
            }
            print_bytes(t.as_bytes())?;
        }
    }
    Ok(if report.ok {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

#[allow(clippy::cast_precision_loss)] // Milliseconds of a build fit an f64 exactly.
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

// The report reads top to bottom as the code does; splitting it would hide the layout.
#[allow(clippy::too_many_lines)]
fn render(report: &Report) -> String {
    let mut t = String::new();
    let differing = report.differing().count();
    if report.reproducible {
        let _ = writeln!(
            t,
            "REPRODUCIBLE: {} artefact(s) identical in {} builds",
            report.artifacts.len(),
            report.runs.len()
        );
    } else {
        let _ = writeln!(
            t,
            "NOT REPRODUCIBLE: {differing} of {} artefact(s) differ between {} builds",
            report.artifacts.len(),
            report.runs.len()
        );
    }
    let _ = writeln!(
        t,
        "source:   {} {}",
        report.source.path.display(),
        report.source.digest
    );
    if let Some(g) = &report.source.git {
        let _ = writeln!(
            t,
            "commit:   {}{}",
            g.commit,
            if g.dirty {
                " (work tree has uncommitted changes)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(t, "command:  {}", report.command.join(" "));
    let sde = report
        .source_date_epoch
        .map_or_else(|| "not set".to_owned(), |v| v.to_string());
    let _ = writeln!(
        t,
        "SOURCE_DATE_EPOCH: {sde} ({})",
        match report.source_date_epoch_origin {
            provenant_repro::EpochOrigin::GitCommit => "last commit",
            provenant_repro::EpochOrigin::Environment => "environment",
            provenant_repro::EpochOrigin::Disabled => "disabled",
            _ => "no git commit and none in the environment",
        }
    );
    let _ = writeln!(t, "variations applied:");
    if report.applied.is_empty() {
        let _ = writeln!(t, "  (none)");
    }
    for a in &report.applied {
        let _ = writeln!(
            t,
            "  {:<11} control: {}; varied: {}",
            a.variation.name(),
            a.control,
            a.varied
        );
    }
    if !report.not_applied.is_empty() {
        let _ = writeln!(t, "variations NOT applied:");
        for n in &report.not_applied {
            let _ = writeln!(t, "  {:<11} {}", n.variation.name(), n.reason);
        }
    }
    let _ = writeln!(t, "artefacts:");
    for a in &report.artifacts {
        if a.reproducible {
            let d = a
                .digests
                .first()
                .copied()
                .flatten()
                .map(|d| d.to_string())
                .unwrap_or_default();
            let _ = writeln!(t, "  ok      {}  {d}", a.path);
        } else {
            let _ = writeln!(t, "  DIFFERS {}", a.path);
            for (run, d) in a.digests.iter().enumerate() {
                let role = if run == 0 { "control" } else { "varied" };
                let d = d.map_or_else(|| "(not produced)".to_owned(), |d| d.to_string());
                let _ = writeln!(t, "          run {run} ({role}): {d}");
            }
        }
    }
    render_explanations(&mut t, report);
    for d in &report.diffoscope {
        match (&d.html, &d.error) {
            (Some(html), _) => {
                let _ = writeln!(
                    t,
                    "diffoscope: {} (run {}) -> {}",
                    d.artifact,
                    d.run,
                    html.display()
                );
            }
            (None, Some(e)) => {
                let _ = writeln!(t, "diffoscope: {} (run {}) not written: {e}", d.artifact, d.run);
            }
            (None, None) => {}
        }
    }
    let _ = writeln!(
        t,
        "time: {:.2} s in total, {:.2} s building, {:.2} s overhead",
        secs(report.timing.total_ms),
        secs(report.timing.builds_ms),
        secs(report.timing.overhead_ms)
    );
    t
}

/// Differences shown per artefact in text; the JSON report has all of them.
const SHOWN: usize = 12;

/// The variation that usually causes a kind of difference.
fn likely_cause(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Timestamp => "the build embeds the clock (time); honour SOURCE_DATE_EPOCH",
        Kind::Permissions => "file modes follow the umask (umask); normalise modes when archiving",
        Kind::Owner => "ownership follows the building user (user); archive with fixed owners",
        Kind::EntryOrder => "entries follow directory order (file-order); sort them",
        Kind::Order => {
            "output order follows the locale or directory order (locale, file-order); sort with LC_ALL=C"
        }
        Kind::EmbeddedPath => "the build directory is embedded (build-path, home); map or strip paths",
        Kind::Hostname => "the host name is embedded (hostname)",
        Kind::User => "the user name is embedded (user)",
        _ => return None,
    })
}

fn indent(t: &mut String, prefix: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(t, "{prefix}{line}");
    }
}

fn render_explanations(t: &mut String, report: &Report) {
    if report.explanations.is_empty() {
        return;
    }
    let _ = writeln!(t, "differences:");
    for e in &report.explanations {
        let Some(c) = &e.comparison else {
            let _ = writeln!(
                t,
                "  {} (run {} vs control): {}",
                e.artifact,
                e.run,
                e.error.as_deref().unwrap_or("not compared")
            );
            continue;
        };
        let kinds: Vec<&str> = c.kinds().iter().map(|k| k.name()).collect();
        let _ = writeln!(
            t,
            "  {} (run {} vs control, {:?}): {}",
            e.artifact,
            e.run,
            c.format,
            kinds.join(", ")
        );
        for d in c.differences.iter().take(SHOWN) {
            let location = if d.location.is_empty() {
                "(whole file)".to_owned()
            } else {
                d.location.join(" › ")
            };
            let _ = writeln!(t, "    [{}] {location}: {}", d.kind, d.message);
            match &d.detail {
                Some(Detail::Values { first, second }) => {
                    let _ = writeln!(t, "        control: {first}");
                    let _ = writeln!(t, "        varied:  {second}");
                }
                Some(Detail::Hexdump { first, second, .. }) => {
                    let _ = writeln!(t, "        control:");
                    indent(t, "          ", first);
                    let _ = writeln!(t, "        varied:");
                    indent(t, "          ", second);
                }
                Some(Detail::Text { diff, .. }) => indent(t, "        ", diff),
                _ => {}
            }
        }
        if c.differences.len() > SHOWN {
            let _ = writeln!(
                t,
                "    ... {} more (see --output json)",
                c.differences.len() - SHOWN
            );
        }
        if c.truncated {
            let _ = writeln!(t, "    (comparison stopped at a limit)");
        }
        for n in &c.notes {
            let _ = writeln!(t, "    note: {n}");
        }
        for cause in c.kinds().into_iter().filter_map(likely_cause) {
            let _ = writeln!(t, "    likely cause: {cause}");
        }
    }
}
