//! `provenant scan`: the built-in scanners (secrets, hygiene, pinning).
//!
//! The scanners take their own `--output` (they write SARIF and, for secrets, gitleaks' report format),
//! so `provenant scan` hands its arguments to a parser of its own.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use provenant_scan::sarif;
use provenant_scan::secrets::{self, REDACTED, detect::Detector};
use serde_json::json;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json, to_stdout};

/// `provenant scan`.
#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    after_help = "Scanners:\n  secrets PATH [--config FILE] [--output text|json|sarif|gitleaks]\n  \
hygiene PATH [--output text|json|sarif] [--include GLOB...]\n  pinning PATH [--output text|json|sarif]\n\n\
`provenant scan SCANNER --help` describes each. Exit status: 0 nothing found, 1 findings, 2 error."
)]
pub(crate) struct ScanArgs {
    /// The scanner and its arguments: `secrets`, `hygiene` or `pinning`, then PATH and options.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "SCANNER [ARGS]")]
    args: Vec<OsString>,
}

#[derive(Debug, Parser)]
#[command(name = "provenant scan", max_term_width = 100)]
#[command(after_help = "Exit status: 0 nothing found, 1 findings, 2 usage or runtime error.")]
struct ScanCli {
    #[command(subcommand)]
    scanner: Scanner,
}

#[derive(Debug, Subcommand)]
enum Scanner {
    /// Find secrets with gitleaks-compatible rules (gitleaks' configuration format and report).
    Secrets(SecretsArgs),
    /// Debug statements (outside tests) and TODO/FIXME comments in gate-checked files.
    Hygiene(HygieneArgs),
    /// Floating inputs: manifests without lockfiles, unpinned requirements, lockfile entries without
    /// integrity, Dockerfile FROM without digest, GitHub Actions not pinned to a commit SHA.
    Pinning(PinningArgs),
}

/// Report formats of `hygiene` and `pinning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FindingsOutput {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// `provenant scan hygiene`.
#[derive(Debug, Args)]
#[command(
    after_help = "Gate-checked files: the --include globs (relative to PATH; a glob without '/' matches at any \
depth), by default the source files of Rust, Python, JavaScript/TypeScript, Go, Java/Kotlin, Ruby, PHP and shell. \
Debug statements in tests (tests/, test/, __tests__/, spec/, *_test.go, test_*.py, *.test.*, *.spec.*, Rust \
#[cfg(test)] modules, …) are allowed; TODO and FIXME comments are reported everywhere. .gitignore is honoured; \
node_modules, vendor, target, dist, build and virtualenvs are not entered. Exit status: 0 clean, 1 findings, 2 error."
)]
struct HygieneArgs {
    /// The directory to scan.
    path: PathBuf,
    /// Report format.
    #[arg(long, value_enum)]
    output: Option<FindingsOutput>,
    /// Gate-checked files (globs; repeatable, or several after one --include). Replaces the defaults.
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    include: Vec<String>,
}

/// `provenant scan pinning`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks package.json, Cargo.toml (binaries and workspaces), pyproject.toml, Pipfile, Gemfile, \
composer.json and go.mod for their lockfile (in the same directory or above); requirements*.txt for ==; \
package-lock.json, yarn.lock and Cargo.lock for integrity hashes; Dockerfile/Containerfile FROM for @sha256 \
digests; .github/workflows/*.yml and action.yml for uses: pinned to a 40-hex commit. Exit status: 0 clean, \
1 findings, 2 error."
)]
struct PinningArgs {
    /// The directory to scan.
    path: PathBuf,
    /// Report format.
    #[arg(long, value_enum)]
    output: Option<FindingsOutput>,
}

/// How a scanner's report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SecretsOutput {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// gitleaks' JSON report (secrets redacted).
    Gitleaks,
}

/// `provenant scan secrets`.
#[derive(Debug, Args)]
#[command(
    after_help = "Rules: --config FILE (gitleaks' format), else PATH/.gitleaks.toml, else Provenant's own \
default rules (docs/scan.md). Files are walked as `gitleaks dir` walks them: .gitignore is not consulted, \
symbolic links are not followed, empty, binary and archive files and allowlisted paths are skipped. Every \
output redacts secrets. Exit status: 0 nothing found, 1 secrets found, 2 an error (unreadable file or \
configuration, or a rule that cannot be compiled)."
)]
struct SecretsArgs {
    /// The directory (or file) to scan.
    path: PathBuf,
    /// A gitleaks configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum)]
    output: Option<SecretsOutput>,
    /// Scan even when some rule's regular expression cannot be compiled (it is still reported).
    #[arg(long)]
    allow_unsupported_rules: bool,
    /// Worker threads (0: one per CPU).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Decode base64, hex, percent-encoded and Unicode-escaped text up to this many nested passes and
    /// scan the decoded text too, as gitleaks does (0: no decoding; at most 64).
    #[arg(long, value_name = "N", default_value = "5", value_parser = clap::value_parser!(u8).range(0..=64))]
    max_decode_depth: u8,
}

/// Runs `provenant scan …`.
pub(crate) fn run(global: &GlobalArgs, args: &ScanArgs) -> anyhow::Result<Outcome> {
    let cli: ScanCli = match crate::args::parse_nested("provenant scan", &args.args) {
        Ok(cli) => cli,
        Err(outcome) => return Ok(outcome),
    };
    match cli.scanner {
        Scanner::Secrets(a) => {
            let output = a.output.unwrap_or(match global.output {
                OutputFormat::Json => SecretsOutput::Json,
                OutputFormat::Text => SecretsOutput::Text,
            });
            scan_secrets(&a, output)
        }
        Scanner::Hygiene(a) => {
            let report = provenant_scan::hygiene::scan(&a.path, &a.include)
                .with_context(|| format!("scanning {} for hygiene", a.path.display()))?;
            let output = findings_output(a.output, global);
            render_findings(
                "hygiene",
                &a.path,
                &report,
                &provenant_scan::hygiene::RULES,
                output,
            )
        }
        Scanner::Pinning(a) => {
            let report = provenant_scan::pinning::scan(&a.path)
                .with_context(|| format!("scanning {} for pinning", a.path.display()))?;
            let output = findings_output(a.output, global);
            render_findings(
                "pinning",
                &a.path,
                &report,
                &provenant_scan::pinning::RULES,
                output,
            )
        }
    }
}

fn root_uri(path: &Path) -> Option<String> {
    let abs = std::path::absolute(path).ok()?;
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    Some(sarif::dir_uri(&dir.to_string_lossy()))
}

fn print_sarif(run: &sarif::Run) -> anyhow::Result<()> {
    print_json(&sarif::document(run))
}

fn scan_secrets(args: &SecretsArgs, output: SecretsOutput) -> anyhow::Result<Outcome> {
    let config = secrets::load_config(&args.path, args.config.as_deref())?;
    let config_name = config.path.clone().unwrap_or_else(|| "default rules".to_owned());
    for u in &config.unsupported {
        eprintln!(
            "warning: {config_name}: rule {} ({}) cannot be compiled and does not run: {}",
            u.rule_id,
            u.field,
            u.reason.lines().last().unwrap_or_default()
        );
    }
    let unsupported = config.unsupported.clone();
    let detector = Detector::new(config).with_max_decode_depth(usize::from(args.max_decode_depth));
    let report = secrets::scan(&args.path, &detector, args.threads)
        .with_context(|| format!("scanning {} for secrets", args.path.display()))?;

    match output {
        SecretsOutput::Gitleaks => print_bytes(secrets::report::gitleaks_json(&report.findings).as_bytes())?,
        SecretsOutput::Sarif => print_sarif(&secrets::sarif_run(
            detector.config(),
            &report.findings,
            root_uri(&args.path),
        ))?,
        SecretsOutput::Json => {
            let findings: Vec<serde_json::Value> = report
                .findings
                .iter()
                .map(|f| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("match".into(), json!(f.redacted_match()));
                        obj.insert(
                            "secret".into(),
                            json!(if f.secret.is_empty() { "" } else { REDACTED }),
                        );
                        obj.insert("fingerprint".into(), json!(f.fingerprint()));
                        // The entropy as gitleaks prints its float32, not widened.
                        let entropy: f64 = f.entropy.to_string().parse().unwrap_or_default();
                        obj.insert("entropy".into(), json!(entropy));
                    }
                    v
                })
                .collect();
            let skipped: Vec<serde_json::Value> = report
                .skipped
                .iter()
                .map(|(p, r)| json!({"path": p, "reason": r}))
                .collect();
            print_json(&json!({
                "scanner": "secrets",
                "path": args.path.to_string_lossy(),
                "config": config_name,
                "findings": findings,
                "filesScanned": report.files_scanned,
                "bytesScanned": report.bytes_scanned,
                "skipped": skipped,
                "unsupportedRules": unsupported,
                "problems": report.problems,
            }))?;
        }
        SecretsOutput::Text => to_stdout(|w| secrets_text(w, &report, &config_name))?,
    }
    if incomplete(&report.problems) {
        return Ok(Outcome::Error);
    }
    if !unsupported.is_empty() && !args.allow_unsupported_rules {
        eprintln!(
            "error: {} rule(s) of {config_name} could not be compiled and did not run (--allow-unsupported-rules to accept)",
            unsupported.len()
        );
        return Ok(Outcome::Error);
    }
    Ok(if report.findings.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn secrets_text(w: &mut impl Write, report: &secrets::Report, config_name: &str) -> std::io::Result<()> {
    for f in &report.findings {
        if f.start_line == 0 {
            writeln!(w, "{}: {}: {} (file name)", f.path, f.rule_id, f.description)?;
        } else {
            writeln!(
                w,
                "{}:{}:{}: {}: {}: {}",
                f.path,
                f.start_line,
                f.column,
                f.rule_id,
                f.description,
                f.redacted_match()
            )?;
        }
    }
    let files: std::collections::BTreeSet<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    writeln!(
        w,
        "{} secret(s) in {} file(s); {} file(s) scanned, {} skipped (binary or archive); rules: {}",
        report.findings.len(),
        files.len(),
        report.files_scanned,
        report.skipped.len(),
        config_name
    )
}

fn findings_text(w: &mut impl Write, report: &provenant_scan::finding::Report) -> std::io::Result<()> {
    for f in &report.findings {
        if f.line == 0 {
            writeln!(w, "{}: {}: {}", f.path, f.rule_id, f.message)?;
        } else {
            writeln!(
                w,
                "{}:{}:{}: {}: {}",
                f.path, f.line, f.column, f.rule_id, f.message
            )?;
        }
    }
    writeln!(
        w,
        "{} finding(s); {} file(s) examined",
        report.findings.len(),
        report.files_scanned
    )
}

fn findings_output(given: Option<FindingsOutput>, global: &GlobalArgs) -> FindingsOutput {
    given.unwrap_or(match global.output {
        OutputFormat::Json => FindingsOutput::Json,
        OutputFormat::Text => FindingsOutput::Text,
    })
}

fn render_findings(
    scanner: &str,
    path: &Path,
    report: &provenant_scan::finding::Report,
    rules: &[provenant_scan::finding::RuleInfo],
    output: FindingsOutput,
) -> anyhow::Result<Outcome> {
    match output {
        FindingsOutput::Sarif => {
            print_sarif(&report.sarif_run(&format!("provenant-scan-{scanner}"), rules, root_uri(path)))?;
        }
        FindingsOutput::Json => print_json(&json!({
            "scanner": scanner,
            "path": path.to_string_lossy(),
            "findings": report.findings,
            "filesScanned": report.files_scanned,
            "problems": report.problems,
        }))?,
        FindingsOutput::Text => to_stdout(|w| findings_text(w, report))?,
    }
    if incomplete(&report.problems) {
        return Ok(Outcome::Error);
    }
    Ok(if report.findings.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Says on stderr what could not be read; whether anything could not (the scan is then incomplete).
fn incomplete(problems: &[provenant_scan::finding::Problem]) -> bool {
    for p in problems {
        eprintln!(
            "error: cannot read {}: {}",
            if p.path.is_empty() { "an entry" } else { &p.path },
            p.message
        );
    }
    if !problems.is_empty() {
        eprintln!(
            "error: the scan is incomplete ({} unreadable entries)",
            problems.len()
        );
    }
    !problems.is_empty()
}
