//! `provenant source check`: the source stage's checks over a git range (Conventional Commits, signed
//! commits, code owners and their approvals), reported as text, JSON or SARIF, and recorded in a signed
//! source-stage attestation.
//!
//! The report's `--output` goes beyond the global one (it writes SARIF), so `provenant source` hands its
//! arguments to a parser of its own, as `provenant scan` does.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use provenant_ledger_store::Location;
use provenant_source::allowed_signers::AllowedSigners;
use provenant_source::attestation::{self, InputFile};
use provenant_source::check::{self, Inputs, Report, Requirement, Status};
use provenant_source::codeowners::CodeOwners;
use provenant_source::openpgp::Keyring;
use provenant_source::reviews::{self, Members};

use crate::Outcome;
use crate::args::{GlobalArgs, KeylessArgs, LedgerArg, NoteKeyArg, OutputFormat, RangeArgs};
use crate::output::{print_json, to_stdout};

/// The largest input file read (allowed signers, keyring, CODEOWNERS, reviews, teams).
const MAX_INPUT_BYTES: u64 = 16 << 20;

/// `provenant source`.
#[derive(Debug, Args)]
#[command(
    disable_help_flag = true,
    after_help = "Commands:\n  check --range A..B [--repo DIR] [--allowed-signers FILE] [--gpg-keyring FILE] \
[--codeowners FILE] [--reviews FILE --pr-author LOGIN [--teams FILE]] [--require conventional,signed,owned] \
[--output text|json|sarif] [--attestation-output FILE] [--ledger L [--note-key KEY]] [--key K]\n\n`provenant source check --help` describes \
it. Exit status: 0 passed, 1 a check failed, 2 error."
)]
pub(crate) struct SourceArgs {
    /// The command and its arguments: `check`, then its options.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "COMMAND [ARGS]")]
    args: Vec<OsString>,
}

#[derive(Debug, Parser)]
#[command(name = "provenant source", max_term_width = 100)]
#[command(after_help = "Exit status: 0 passed, 1 a check failed, 2 usage or runtime error.")]
struct SourceCli {
    #[command(subcommand)]
    command: SourceCommand,
}

#[derive(Debug, Subcommand)]
enum SourceCommand {
    /// Check every commit and changed file of a range; exit 1 naming each one that fails.
    Check(Box<CheckArgs>),
}

/// Report formats of `source check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckOutput {
    /// Lines for people.
    Text,
    /// The report as one JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// `provenant source check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks: conventional (each commit's message is a Conventional Commits 1.0 message; merge \
commits are exempt), signed (each commit carries an SSH signature that verifies and whose key the allowed-signers \
file allows for the committer's email in the namespace git at the commit's time, or an OpenPGP signature by a \
key of --gpg-keyring with a user id of the committer's email; X.509 signatures such as gitsign's are reported \
as unsupported, never passed), owned (each file changed between the merge base of A and B and B has a code owner \
under CODEOWNERS: --codeowners, else the base commit's .github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS, as \
GitHub reads the base branch's). With --reviews, each changed file also needs an approval of the head commit by \
one of its owners other than --pr-author (teams and email owners resolved through --teams). Exit status: 0 \
passed, 1 a check failed (each failing commit or file is named on stdout), 2 usage or runtime error."
)]
struct CheckArgs {
    #[command(flatten)]
    range: RangeArgs,
    /// git's allowed-signers file (gpg.ssh.allowedSignersFile) for SSH signatures.
    #[arg(long, value_name = "FILE")]
    allowed_signers: Option<PathBuf>,
    /// Public keys (armoured or binary, as `gpg --export` writes them) for `OpenPGP` signatures.
    #[arg(long, value_name = "FILE")]
    gpg_keyring: Option<PathBuf>,
    /// The CODEOWNERS file (default: the base commit's, where GitHub looks).
    #[arg(long, value_name = "FILE")]
    codeowners: Option<PathBuf>,
    /// The pull request's reviews, as GitHub's REST API returns them (pulls/N/reviews).
    #[arg(long, value_name = "FILE", requires = "pr_author")]
    reviews: Option<PathBuf>,
    /// The pull request's author, whose own approval never counts.
    #[arg(long, value_name = "LOGIN", requires = "reviews")]
    pr_author: Option<String>,
    /// Members of team and email owners: a JSON object from owner (`@org/team`, `a@example.com`) to logins.
    #[arg(long, value_name = "FILE", requires = "reviews")]
    teams: Option<PathBuf>,
    /// The checks required (comma-separated).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "conventional,signed,owned"
    )]
    require: Vec<String>,
    /// Report format (default: the global --output).
    #[arg(long, value_enum)]
    output: Option<CheckOutput>,
    /// The repository's web address, for the attestation and SARIF (default: the origin remote's).
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// Write the signed source-stage attestation (in-toto statement in a sigstore bundle) here.
    #[arg(long, value_name = "FILE")]
    attestation_output: Option<PathBuf>,
    /// Append the signed attestation (its sigstore bundle) to this audit ledger: sqlite:PATH,
    /// postgres://… (then --note-key signs a checkpoint covering it) or a ledger server's https://… (its
    /// token from `PROVENANT_LEDGER_TOKEN`; the server signs).
    #[arg(long, value_name = "L", value_parser = parse_location)]
    ledger: Option<Location>,
    #[command(flatten)]
    note_key: NoteKeyArg,
    /// Sign the attestation with this key instead of keylessly.
    #[arg(long, value_name = "K")]
    key: Option<PathBuf>,
    #[command(flatten)]
    keyless: KeylessArgs,
}

fn parse_location(text: &str) -> Result<Location, String> {
    Location::parse(text).map_err(|e| e.to_string())
}

/// Runs `provenant source …`.
pub(crate) fn run(global: &GlobalArgs, args: &SourceArgs) -> anyhow::Result<Outcome> {
    let cli: SourceCli = match crate::args::parse_nested("provenant source", &args.args) {
        Ok(cli) => cli,
        Err(outcome) => return Ok(outcome),
    };
    match cli.command {
        SourceCommand::Check(a) => {
            let output = a.output.unwrap_or(match global.output {
                OutputFormat::Json => CheckOutput::Json,
                OutputFormat::Text => CheckOutput::Text,
            });
            check_command(&a, output)
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    provenant_digest::Algorithm::Sha256.hash_bytes(bytes).hex()
}

fn read_input(path: &Path, role: &str, what: &str, inputs: &mut Vec<InputFile>) -> anyhow::Result<Vec<u8>> {
    let bytes = crate::shared::read_bounded(path, MAX_INPUT_BYTES, what)?;
    inputs.push(InputFile {
        role: role.to_owned(),
        name: path.display().to_string(),
        sha256: sha256_hex(&bytes),
    });
    Ok(bytes)
}

fn text(bytes: Vec<u8>, path: &Path, what: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{what} {} is not UTF-8 text", path.display()))
}

fn check_command(args: &CheckArgs, output: CheckOutput) -> anyhow::Result<Outcome> {
    let mut required = BTreeSet::new();
    for name in &args.require {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        required.insert(Requirement::parse(name).with_context(|| {
            format!("--require: unknown check {name:?} (the checks are conventional, signed and owned)")
        })?);
    }
    anyhow::ensure!(
        !required.is_empty(),
        "--require names no check (the checks are conventional, signed and owned)"
    );
    anyhow::ensure!(
        !required.contains(&Requirement::Signed)
            || args.allowed_signers.is_some()
            || args.gpg_keyring.is_some(),
        "the signed check needs --allowed-signers FILE (SSH signatures) or --gpg-keyring FILE (OpenPGP), or leave \
it out of --require"
    );
    let mut input_files = Vec::new();
    let allowed_signers = match &args.allowed_signers {
        Some(path) => {
            let bytes = read_input(path, "allowed-signers", "allowed-signers file", &mut input_files)?;
            let text = text(bytes, path, "allowed-signers file")?;
            Some(
                AllowedSigners::parse(&text)
                    .with_context(|| format!("allowed-signers file {}", path.display()))?,
            )
        }
        None => None,
    };
    let keyring = match &args.gpg_keyring {
        Some(path) => {
            let bytes = read_input(path, "gpg-keyring", "OpenPGP keyring", &mut input_files)?;
            Some(Keyring::parse(&bytes).with_context(|| format!("OpenPGP keyring {}", path.display()))?)
        }
        None => None,
    };

    let (repo, range) = args.range.read()?;
    let needs_owners = required.contains(&Requirement::Owned) || args.reviews.is_some();
    let codeowners = if needs_owners {
        Some(load_codeowners(args, &repo, &range, &mut input_files)?)
    } else {
        None
    };
    let approvals = load_approvals(args, &range, &mut input_files)?;
    let report = check::run(
        &range,
        &Inputs {
            required,
            allowed_signers: allowed_signers.as_ref(),
            keyring: keyring.as_ref(),
            codeowners: codeowners.as_ref(),
            approvals: approvals.as_ref().map(|(a, m)| (a, m)),
            judged_at: Some(provenant_source::openpgp::Instant(crate::shared::now_unix()?)),
        },
    );
    let repository = args
        .repo_url
        .clone()
        .or_else(|| provenant_source::git::origin_web_url(&repo));

    let appended = if args.attestation_output.is_some() || args.ledger.is_some() {
        record(args, &report, repository.as_deref(), &input_files)?
    } else {
        None
    };

    print_report(output, &report, &repo, repository.as_deref(), appended.as_ref())?;
    Ok(if report.passed {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Writes the report in `output`'s format, with where the attestation went in the ledger.
fn print_report(
    output: CheckOutput,
    report: &Report,
    repo: &provenant_source::git::Repository,
    repository: Option<&str>,
    appended: Option<&Appended>,
) -> anyhow::Result<()> {
    match output {
        CheckOutput::Json => match appended {
            None => print_json(report)?,
            Some(a) => {
                let mut json = serde_json::to_value(report)?;
                if let Some(object) = json.as_object_mut() {
                    object.insert(
                        "ledger".to_owned(),
                        serde_json::json!({
                            "index": a.index,
                            "checkpoint": String::from_utf8_lossy(&a.checkpoint),
                        }),
                    );
                }
                print_json(&json)?;
            }
        },
        CheckOutput::Sarif => {
            let root = repo
                .workdir()
                .and_then(|d| std::path::absolute(d).ok())
                .map(|d| format!("file://{}/", d.display()));
            print_json(&provenant_source::sarif::document(
                report,
                root.as_deref(),
                repository,
                env!("CARGO_PKG_VERSION"),
            ))?;
        }
        CheckOutput::Text => to_stdout(|w| {
            render_text(w, report)?;
            if let Some(a) = appended {
                writeln!(
                    w,
                    "attestation appended to the ledger at index {}, covered by the checkpoint:\n{}",
                    a.index,
                    String::from_utf8_lossy(&a.checkpoint).trim_end()
                )?;
            }
            Ok(())
        })?,
    }
    Ok(())
}

/// Where the attestation went in the ledger.
struct Appended {
    /// Its ledger index.
    index: u64,
    /// The signed checkpoint made after the append (C2SP signed note), which covers it.
    checkpoint: Vec<u8>,
}

/// Signs the source-stage attestation, writes it to `--attestation-output`, appends it to `--ledger` and
/// signs a checkpoint covering it (a ledger server signs its own).
fn record(
    args: &CheckArgs,
    report: &Report,
    repository: Option<&str>,
    input_files: &[InputFile],
) -> anyhow::Result<Option<Appended>> {
    // The ledger and its note key are checked before anything is signed or appended.
    let ledger = match &args.ledger {
        Some(location) => {
            let store = LedgerArg {
                ledger: location.clone(),
                ledger_token_file: None,
            }
            .open()?;
            let signer = args.note_key.signer_for(location, store.as_ref())?;
            Some((location, store, signer))
        }
        None => None,
    };
    let checked_at = checked_at()?;
    let statement = attestation::statement(
        report,
        repository,
        input_files,
        &checked_at,
        env!("CARGO_PKG_VERSION"),
    );
    statement.validate()?;
    let bundle = args.keyless.sign_statement(
        args.key.as_deref(),
        &statement.to_json(),
        args.attestation_output.as_deref(),
        "source-stage attestation",
    )?;
    let Some((location, store, signer)) = ledger else {
        return Ok(None);
    };
    let index = store
        .append(&[bundle.to_json_v0_3()?], crate::shared::now_unix()?)
        .with_context(|| format!("cannot append the source-stage attestation to the ledger {location}"))?
        .first()
        .map(|a| a.index)
        .context("the ledger acknowledged no entry")?;
    let checkpoint = NoteKeyArg::checkpoint_after_append(signer.as_ref(), store.as_ref())
        .with_context(|| format!("appended at index {index}, but no checkpoint covers it in {location}"))?;
    Ok(Some(Appended { index, checkpoint }))
}

/// CODEOWNERS: `--codeowners`, else the base commit's (where GitHub looks), so that a change cannot edit
/// its own ownership.
fn load_codeowners(
    args: &CheckArgs,
    repo: &provenant_source::git::Repository,
    range: &provenant_source::git::RangeRead,
    input_files: &mut Vec<InputFile>,
) -> anyhow::Result<CodeOwners> {
    let (name, bytes) = if let Some(path) = &args.codeowners {
        (
            path.display().to_string(),
            read_input(path, "codeowners", "CODEOWNERS file", input_files)?,
        )
    } else {
        let base = range.merge_base.as_deref().unwrap_or(&range.base);
        let (path, bytes) = provenant_source::git::codeowners_at(repo, base)?.with_context(|| {
            format!(
                "the owned check needs CODEOWNERS: give --codeowners FILE, or commit one at the base ({}) in \
.github/, the root or docs/",
                &base[..base.len().min(12)]
            )
        })?;
        let name = format!("{base}:{path}");
        input_files.push(InputFile {
            role: "codeowners".into(),
            name: name.clone(),
            sha256: sha256_hex(&bytes),
        });
        (name, bytes)
    };
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("CODEOWNERS {name} is not UTF-8 text"))?;
    CodeOwners::parse(&text).with_context(|| format!("CODEOWNERS {name}"))
}

/// The approvals of `--reviews` by anyone but `--pr-author`, with the members of `--teams`.
fn load_approvals(
    args: &CheckArgs,
    range: &provenant_source::git::RangeRead,
    input_files: &mut Vec<InputFile>,
) -> anyhow::Result<Option<(reviews::Approvals, Members)>> {
    let (Some(path), Some(author)) = (&args.reviews, &args.pr_author) else {
        return Ok(None);
    };
    let bytes = read_input(path, "reviews", "reviews file", input_files)?;
    let parsed =
        reviews::parse_reviews(&bytes).with_context(|| format!("reviews file {}", path.display()))?;
    let members = match &args.teams {
        Some(path) => {
            let bytes = read_input(path, "teams", "teams file", input_files)?;
            Members::parse(&bytes).with_context(|| format!("teams file {}", path.display()))?
        }
        None => Members::default(),
    };
    Ok(Some((reviews::approvals(&parsed, author, &range.head), members)))
}

fn checked_at() -> anyhow::Result<String> {
    Ok(provenant_sbom::rfc3339(crate::shared::now_unix()?))
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Unsupported => "UNSUPPORTED",
    }
}

fn render_text(w: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let required: Vec<&str> = report.required.iter().map(|r| r.name()).collect();
    writeln!(
        w,
        "source check {}: {} commits{}; required: {}{}",
        report.range,
        report.commits.len(),
        // Files are examined only when ownership or approvals are checked: say nothing otherwise.
        if report.files.is_empty() && !required.contains(&"owned") && !report.reviews_checked {
            String::new()
        } else {
            format!(", {} changed files", report.files.len())
        },
        if required.is_empty() {
            "nothing".to_owned()
        } else {
            required.join(", ")
        },
        if report.reviews_checked {
            "; reviews checked"
        } else {
            ""
        }
    )?;
    let failures = report.failures();
    for (what, result) in &failures {
        writeln!(
            w,
            "{} {what}: {}: {}",
            status_word(result.status),
            result.check,
            result.detail
        )?;
    }
    let total: usize = report.commits.iter().map(|c| c.checks.len()).sum::<usize>()
        + report.files.iter().map(|f| f.checks.len()).sum::<usize>();
    if report.passed {
        writeln!(w, "passed: {total} checks")?;
    } else {
        writeln!(w, "failed: {} of {total} checks", failures.len())?;
    }
    Ok(())
}
