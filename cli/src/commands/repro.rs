//! `provenant repro`: reproducible-build checks.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_diff::{Detail, Kind};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::{EvidenceBundle, EvidenceError};
use provenant_repro::rebuild::RebuildReport;
use provenant_repro::{CheckError, CheckOptions, Report, Variation};
use provenant_sigstore::Artifact;
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, KeylessArgs, OutputFormat, SignerArgs, TRUSTED_ROOT_HELP, TrustArgs};
use crate::output::{print_json, to_stdout, write_skipped};
use crate::shared::write_atomic;

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
    after_help = "The provenance is the sigstore bundle `provenant build --bundle` writes (the SLSA v1 statement \
signed in a DSSE envelope). Its signature is verified first, with the same signer and trust flags as \
verify-provenance (--key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer, and \
--trusted-root); only the verified statement's subjects and build are used. An unsigned statement or envelope is \
rebuilt only with --insecure-skip-signature, and the output then says the signature was not verified. With a git \
source, the recorded commit is checked out into a fresh temporary directory and built there; the source \
directory is never written. Exit status: 0 signature verified and every subject rebuilt identically, 1 the \
signature check failed or a subject differs or is missing, 2 the rebuild failed or the provenance cannot be re-run."
)]
pub(crate) struct VerifyArgs {
    /// The provenance: a sigstore bundle (or, with --insecure-skip-signature, a bare statement or DSSE
    /// envelope).
    #[arg(long, value_name = "PROVENANCE")]
    pub(crate) bundle: PathBuf,
    /// The source: a git repository containing the recorded commit, or a directory built as it is.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) source: PathBuf,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// DANGEROUS: rebuild without verifying the provenance's signature (an unsigned statement, or a
    /// bundle whose signer is not checked); the subjects are then trusted without proof of origin.
    #[arg(long, conflicts_with = "signer")]
    pub(crate) insecure_skip_signature: bool,
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
    /// Sign the attestation (DSSE in a sigstore bundle, v0.3) and write the bundle to OUT: with --key,
    /// or keylessly.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,
    /// Sign with this key (cosign's encrypted format, password from `COSIGN_PASSWORD` or a prompt, or
    /// PKCS#8/SEC1 PEM) instead of keylessly.
    #[arg(long, value_name = "KEY", requires = "bundle")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
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
            write_atomic(path, &bytes)?;
        }
        if let Some(path) = &args.bundle {
            args.keyless
                .sign_statement(args.key.as_deref(), &bytes, Some(path), "attestation")?;
        }
    }
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| render(w, &report))?,
    }
    Ok(if report.reproducible {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Whether, and by whom, the provenance was signed.
#[derive(Debug, Serialize)]
struct SignatureCheck {
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct VerifyOutput<'a> {
    signature: &'a SignatureCheck,
    /// Checks skipped by request (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: &'a [&'static str],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    rebuild: Option<&'a RebuildReport>,
}

/// The first subject digest (sha256, else sha512) the statement names: the artefact the signature is
/// checked against (every subject is then compared with the rebuild).
fn first_subject(statement: &[u8]) -> Option<Digest> {
    let statement = provenant_attest::Statement::from_json(statement).ok()?;
    statement.subject.iter().find_map(|s| {
        let digests = s.digests();
        [Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find_map(|alg| digests.iter().find(|d| d.algorithm() == alg).copied())
    })
}

/// Verifies the provenance bundle's signature; on success returns the verified statement bytes.
fn verify_signature(args: &VerifyArgs, bytes: &[u8]) -> anyhow::Result<(SignatureCheck, Option<Vec<u8>>)> {
    let trust = args.trust.policy(&args.signer)?;
    let fail = |check: &'static str, error: String| SignatureCheck {
        verified: false,
        signer: None,
        issuer: None,
        check: Some(check),
        error: Some(error),
    };
    let bundle = match EvidenceBundle::from_json(bytes) {
        Ok(b) => b,
        Err(e) => {
            return Ok((
                fail(
                    "bundle",
                    format!(
                        "{} is not a sigstore bundle ({e}); an unsigned statement proves nothing about who \
                         made it: rebuild from it only with --insecure-skip-signature",
                        args.bundle.display()
                    ),
                ),
                None,
            ));
        }
    };
    let Some((_, payload)) = bundle.bundle.dsse_payload() else {
        return Ok((
            fail(
                "bundle",
                "the bundle holds a message signature, not a DSSE-signed provenance".into(),
            ),
            None,
        ));
    };
    let Some(subject) = first_subject(payload) else {
        return Ok((
            fail(
                "artefact",
                "the provenance names no subject with a sha256 or sha512 digest".into(),
            ),
            None,
        ));
    };
    Ok(match trust.verify_signature(Artifact::Digest(subject), &bundle) {
        Ok(signature) => {
            let v = signature.verified;
            let signer = v.identity.clone().or_else(|| {
                bundle
                    .bundle
                    .public_key_hint()
                    .map(|h| format!("public key {h}"))
                    .or_else(|| Some("public key".to_owned()))
            });
            let statement = v.dsse.map(|(_, p)| p);
            (
                SignatureCheck {
                    verified: true,
                    signer,
                    issuer: v.issuer,
                    check: None,
                    error: None,
                },
                statement,
            )
        }
        Err(EvidenceError::NoTrustedRoot) => anyhow::bail!("no trusted root: {TRUSTED_ROOT_HELP}"),
        Err(e) => (fail(e.check().name(), e.to_string()), None),
    })
}

fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let skipped = crate::output::skipped_names(&args.trust.skipped());
    let bytes =
        std::fs::read(&args.bundle).with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let (signature, statement) = if args.insecure_skip_signature {
        tracing::warn!("--insecure-skip-signature: the provenance's signature is NOT verified");
        let skipped = SignatureCheck {
            verified: false,
            signer: None,
            issuer: None,
            check: None,
            error: Some("not verified (--insecure-skip-signature)".into()),
        };
        (skipped, bytes)
    } else {
        match verify_signature(args, &bytes)? {
            (sig, Some(statement)) => (sig, statement),
            (sig, None) => {
                match global.output {
                    OutputFormat::Json => print_json(&crate::output::with_skipped(
                        serde_json::json!({
                            "ok": false,
                            "signature": sig,
                        }),
                        &skipped,
                    ))?,
                    OutputFormat::Text => to_stdout(|w| {
                        writeln!(
                            w,
                            "NOT VERIFIED: the provenance's {} check failed: {}\nnothing was rebuilt",
                            sig.check.unwrap_or("signature"),
                            sig.error.as_deref().unwrap_or_default(),
                        )?;
                        write_skipped(w, &skipped)
                    })?,
                }
                return Ok(Outcome::Failure);
            }
        }
    };
    let report = match provenant_repro::rebuild::verify(&statement, &args.source) {
        Ok(r) => r,
        Err(provenant_repro::rebuild::RebuildError::Build(e @ CheckError::BuildFailed { .. })) => {
            return Err(anyhow::Error::new(e).context("rebuild failed"));
        }
        Err(e) => return Err(e).context("rebuild did not complete"),
    };
    match global.output {
        OutputFormat::Json => print_json(&VerifyOutput {
            signature: &signature,
            skipped: &skipped,
            rebuild: Some(&report),
        })?,
        OutputFormat::Text => to_stdout(|w| {
            render_rebuild(w, &signature, &report)?;
            write_skipped(w, &skipped)
        })?,
    }
    Ok(if report.ok {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// The text report of `repro verify`.
fn render_rebuild(
    w: &mut impl Write,
    signature: &SignatureCheck,
    report: &RebuildReport,
) -> std::io::Result<()> {
    let r = &report.recorded;
    writeln!(
        w,
        "{}",
        if report.ok {
            "REBUILT: every subject matches the provenance"
        } else {
            "MISMATCH: the rebuild does not match the provenance"
        }
    )?;
    if signature.verified {
        writeln!(
            w,
            "signature: verified, signed by {}{}",
            signature.signer.as_deref().unwrap_or("(unknown)"),
            signature
                .issuer
                .as_deref()
                .map(|i| format!(" (issuer {i})"))
                .unwrap_or_default()
        )?;
    } else {
        writeln!(
            w,
            "signature: NOT VERIFIED (--insecure-skip-signature): the subjects are trusted without proof of who made them"
        )?;
    }
    writeln!(
        w,
        "source:   {}",
        r.source_uri.as_deref().unwrap_or("(not recorded)")
    )?;
    writeln!(
        w,
        "commit:   {}{}",
        r.commit.as_deref().unwrap_or("(not recorded)"),
        if report.checked_out {
            " (checked out into a fresh directory)"
        } else {
            " (NOT checked out: the source directory was built as it is)"
        }
    )?;
    writeln!(
        w,
        "command:  {} (in {})",
        r.command.join(" "),
        r.working_directory
    )?;
    for sub in &report.subjects {
        match (&sub.rebuilt, sub.matches) {
            (_, true) => {
                writeln!(w, "  ok        {}  {}", sub.name, sub.attested)?;
            }
            (Some(d), false) => {
                writeln!(
                    w,
                    "  DIFFERS   {}\n            attested: {}\n            rebuilt:  {d}",
                    sub.name, sub.attested
                )?;
            }
            (None, false) => {
                writeln!(w, "  MISSING   {} (the rebuild did not produce it)", sub.name)?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)] // Milliseconds of a build fit an f64 exactly.
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

// The report reads top to bottom as the code does; splitting it would hide the layout.
#[allow(clippy::too_many_lines)]
fn render(w: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let differing = report.differing().count();
    if report.reproducible {
        writeln!(
            w,
            "REPRODUCIBLE: {} artefact(s) identical in {} builds",
            report.artifacts.len(),
            report.runs.len()
        )?;
    } else {
        writeln!(
            w,
            "NOT REPRODUCIBLE: {differing} of {} artefact(s) differ between {} builds",
            report.artifacts.len(),
            report.runs.len()
        )?;
    }
    writeln!(
        w,
        "source:   {} {}",
        report.source.path.display(),
        report.source.digest
    )?;
    if let Some(g) = &report.source.git {
        writeln!(
            w,
            "commit:   {}{}",
            g.commit,
            if g.dirty {
                " (work tree has uncommitted changes)"
            } else {
                ""
            }
        )?;
    }
    writeln!(w, "command:  {}", report.command.join(" "))?;
    let sde = report
        .source_date_epoch
        .map_or_else(|| "not set".to_owned(), |v| v.to_string());
    writeln!(
        w,
        "SOURCE_DATE_EPOCH: {sde} ({})",
        match report.source_date_epoch_origin {
            provenant_repro::EpochOrigin::GitCommit => "last commit",
            provenant_repro::EpochOrigin::Environment => "environment",
            provenant_repro::EpochOrigin::Disabled => "disabled",
            _ => "no git commit and none in the environment",
        }
    )?;
    writeln!(w, "variations applied:")?;
    if report.applied.is_empty() {
        writeln!(w, "  (none)")?;
    }
    for a in &report.applied {
        writeln!(
            w,
            "  {:<11} control: {}; varied: {}",
            a.variation.name(),
            a.control,
            a.varied
        )?;
    }
    if !report.not_applied.is_empty() {
        writeln!(w, "variations NOT applied:")?;
        for n in &report.not_applied {
            writeln!(w, "  {:<11} {}", n.variation.name(), n.reason)?;
        }
    }
    writeln!(w, "artefacts:")?;
    for a in &report.artifacts {
        if a.reproducible {
            let d = a
                .digests
                .first()
                .copied()
                .flatten()
                .map(|d| d.to_string())
                .unwrap_or_default();
            writeln!(w, "  ok      {}  {d}", a.path)?;
        } else {
            writeln!(w, "  DIFFERS {}", a.path)?;
            for (run, d) in a.digests.iter().enumerate() {
                let role = if run == 0 { "control" } else { "varied" };
                let d = d.map_or_else(|| "(not produced)".to_owned(), |d| d.to_string());
                writeln!(w, "          run {run} ({role}): {d}")?;
            }
        }
    }
    render_explanations(w, report)?;
    for d in &report.diffoscope {
        match (&d.html, &d.error) {
            (Some(html), _) => {
                writeln!(
                    w,
                    "diffoscope: {} (run {}) -> {}",
                    d.artifact,
                    d.run,
                    html.display()
                )?;
            }
            (None, Some(e)) => {
                writeln!(w, "diffoscope: {} (run {}) not written: {e}", d.artifact, d.run)?;
            }
            (None, None) => {}
        }
    }
    writeln!(
        w,
        "time: {:.2} s in total, {:.2} s building, {:.2} s overhead",
        secs(report.timing.total_ms),
        secs(report.timing.builds_ms),
        secs(report.timing.overhead_ms)
    )
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

fn indent(w: &mut impl Write, prefix: &str, text: &str) -> std::io::Result<()> {
    for line in text.lines() {
        writeln!(w, "{prefix}{line}")?;
    }
    Ok(())
}

fn render_explanations(w: &mut impl Write, report: &Report) -> std::io::Result<()> {
    if report.explanations.is_empty() {
        return Ok(());
    }
    writeln!(w, "differences:")?;
    for e in &report.explanations {
        let Some(c) = &e.comparison else {
            writeln!(
                w,
                "  {} (run {} vs control): {}",
                e.artifact,
                e.run,
                e.error.as_deref().unwrap_or("not compared")
            )?;
            continue;
        };
        let kinds: Vec<&str> = c.kinds().iter().map(|k| k.name()).collect();
        writeln!(
            w,
            "  {} (run {} vs control, {:?}): {}",
            e.artifact,
            e.run,
            c.format,
            kinds.join(", ")
        )?;
        for d in c.differences.iter().take(SHOWN) {
            let location = if d.location.is_empty() {
                "(whole file)".to_owned()
            } else {
                d.location.join(" › ")
            };
            writeln!(w, "    [{}] {location}: {}", d.kind, d.message)?;
            match &d.detail {
                Some(Detail::Values { first, second }) => {
                    writeln!(w, "        control: {first}")?;
                    writeln!(w, "        varied:  {second}")?;
                }
                Some(Detail::Hexdump { first, second, .. }) => {
                    writeln!(w, "        control:")?;
                    indent(w, "          ", first)?;
                    writeln!(w, "        varied:")?;
                    indent(w, "          ", second)?;
                }
                Some(Detail::Text { diff, .. }) => indent(w, "        ", diff)?,
                _ => {}
            }
        }
        if c.differences.len() > SHOWN {
            writeln!(
                w,
                "    ... {} more (see --output json)",
                c.differences.len() - SHOWN
            )?;
        }
        if c.truncated {
            writeln!(w, "    (comparison stopped at a limit)")?;
        }
        for n in &c.notes {
            writeln!(w, "    note: {n}")?;
        }
        for cause in c.kinds().into_iter().filter_map(likely_cause) {
            writeln!(w, "    likely cause: {cause}")?;
        }
    }
    Ok(())
}
