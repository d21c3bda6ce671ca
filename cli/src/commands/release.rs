//! `provenant release baseline|complete`: SLIs read from Prometheus before and after a release, recorded
//! in a signed release-health statement in the ledger; a release is complete only when every SLI of its
//! newest verified baseline has both values.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_deploy::health::{SliQuery, completeness, read_slis};
use provenant_deploy::http::Deadlines;
use provenant_records::Record as _;
use provenant_records::release::ReleaseHealth;
use serde_json::json;

use crate::Outcome;
use crate::args::{
    GlobalArgs, ImageByDigest, LedgerArg, OutputFormat, RecordSignerArgs, RecordTrustArgs,
    parse_image_by_digest, record_time,
};
use crate::output::{print_json, to_stdout};

/// `provenant release`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Read each SLI before and after the release window and record them in a signed release-health
    /// statement in the ledger.
    #[command(
        after_help = "Each --query NAME=PROMQL is read with Prometheus' instant query at the start \
of the window (before) and at its end (after). The window starts at --start (RFC 3339 or seconds), else \
--window before now; an end still in the future leaves the after value missing, so run the command again \
once the window is over. A query must give one number (aggregate several series with sum(...)); no \
sample or NaN is a missing value."
    )]
    Baseline(BaselineArgs),
    /// Exit 1 while the release's newest verified baseline lacks an SLI value (or there is none).
    Complete(CompleteArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// The image released, by digest.
    #[arg(value_name = "IMAGE@DIGEST", value_parser = parse_image_by_digest)]
    image: ImageByDigest,
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    environment: String,
    /// The Prometheus server (`http://host:9090`).
    #[arg(long, value_name = "URL")]
    prometheus: String,
    /// An SLI: NAME=PROMQL. Repeatable.
    #[arg(long = "query", value_name = "NAME=PROMQL", required = true, value_parser = parse_sli)]
    queries: Vec<SliQuery>,
    /// The window between the before and after readings (s, m, h: 30s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_window)]
    window: Duration,
    /// The window's start (RFC 3339 or seconds since the epoch); default: --window before now.
    #[arg(long, value_name = "TIME", value_parser = crate::args::parse_time)]
    start: Option<u64>,
    /// Seconds each Prometheus request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    prometheus_timeout: u64,
    #[command(flatten)]
    signer: RecordSignerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompleteArgs {
    /// The image released, by digest.
    #[arg(value_name = "IMAGE@DIGEST", value_parser = parse_image_by_digest)]
    image: ImageByDigest,
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    environment: String,
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    trust: RecordTrustArgs,
}

fn parse_sli(text: &str) -> Result<SliQuery, String> {
    let (name, query) = text
        .split_once('=')
        .ok_or_else(|| format!("{text} is not NAME=PROMQL"))?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!("{name:?} is not an SLI name (letters, digits, _ - .)"));
    }
    if query.trim().is_empty() {
        return Err(format!("SLI {name} has an empty query"));
    }
    Ok(SliQuery {
        name: name.to_owned(),
        query: query.to_owned(),
    })
}

fn parse_window(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text} is not a duration such as 30s, 10m or 1h"))?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => None,
    }
    .filter(|s| *s > 0)
    .ok_or_else(|| format!("{text} is not a positive duration such as 30s, 10m or 1h"))?;
    Ok(Duration::from_secs(seconds))
}

/// The window as the record spells it (`600s` → `10m`).
fn window_text(window: Duration) -> String {
    let s = window.as_secs();
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

pub(crate) fn run(global: &GlobalArgs, command: &ReleaseCommand) -> anyhow::Result<Outcome> {
    match command {
        ReleaseCommand::Baseline(args) => baseline(global, args),
        ReleaseCommand::Complete(args) => complete(global, args),
    }
}

fn baseline(global: &GlobalArgs, args: &BaselineArgs) -> anyhow::Result<Outcome> {
    let (now, timestamp) = record_time()?;
    let start = args
        .start
        .unwrap_or_else(|| now.saturating_sub(args.window.as_secs()));
    let deadlines = Deadlines {
        connect: Duration::from_secs(args.prometheus_timeout.min(5)),
        total: Duration::from_secs(args.prometheus_timeout),
    };
    let slis = read_slis(
        &args.prometheus,
        &args.queries,
        start,
        args.window,
        now,
        deadlines,
    )
    .with_context(|| format!("cannot read the SLIs from {}", args.prometheus))?;
    let record = ReleaseHealth {
        environment: args.environment.clone(),
        window: window_text(args.window),
        slis,
        timestamp,
    };
    let statement = record.to_statement(&args.image.repository, &args.image.digest);
    let store = args.signer.ledger.open()?;
    let index = args
        .signer
        .sign_and_append(&statement, store.as_ref(), now, "release-health record")?
        .index;
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "subject": format!("{}@{}", args.image.repository, args.image.digest),
            "environment": args.environment,
            "window": record.window,
            "start": provenant_sbom::rfc3339(start),
            "ledgerIndex": index,
            "slis": record.slis,
        }))?,
        OutputFormat::Text => to_stdout(|w| {
            writeln!(
                w,
                "Release baseline of {}@{} in {} recorded: ledger entry {index}",
                args.image.repository, args.image.digest, args.environment
            )?;
            for s in &record.slis {
                writeln!(
                    w,
                    "  {:<24} before {:<14} after {}",
                    s.name,
                    value(s.before),
                    value(s.after)
                )?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Success)
}

fn value(v: Option<f64>) -> String {
    v.map_or_else(|| "missing".to_owned(), |v| v.to_string())
}

fn complete(global: &GlobalArgs, args: &CompleteArgs) -> anyhow::Result<Outcome> {
    let loaded = args.trust.load()?;
    let store = args.ledger.open()?;
    let trust = loaded.trust();
    let report = completeness(store.as_ref(), &args.image.digest, &args.environment, trust)?;
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| {
            if report.complete {
                writeln!(
                    w,
                    "Release of {} in {} is complete: every SLI has before and after values",
                    report.digest, report.environment
                )?;
            }
            for s in &report.slis {
                writeln!(
                    w,
                    "  {:<24} before {:<14} after {}",
                    s.name,
                    value(s.before),
                    value(s.after)
                )?;
            }
            for m in &report.missing {
                writeln!(w, "FAIL {m}")?;
            }
            for r in &report.rejected {
                writeln!(w, "Not believed: ledger entry {}: {}", r.ledger_index, r.reason)?;
            }
            Ok(())
        })?,
    }
    Ok(if report.complete {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
