//! `provenant rollback plan|record`: the environment's rollback path from the ledger, and the signed
//! rollback record (`rollback/v1`) with its notification and `CDEvents` `service.rolledback` event.

use std::io::Write;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_deploy::cdevents::{Event, EventInput};
use provenant_deploy::http::Deadlines;
use provenant_deploy::notify::{ReviewTask, RollbackNotice, due_date, send_notice};
use provenant_deploy::plan::{Plan, admissible, rollback_plan};
use provenant_digest::Digest;
use provenant_records::Record as _;
use provenant_records::rollback::Rollback;
use serde_json::json;

use crate::Outcome;
use crate::args::{
    CdeventsArgs, GlobalArgs, LedgerArg, OutputFormat, RecordSignerArgs, RecordTrustArgs, parse_digest,
    record_time,
};
use crate::output::{print_json, to_stdout};

/// `provenant rollback`.
#[derive(Debug, Subcommand)]
pub(crate) enum RollbackCommand {
    /// The current digest, the previous verified one, and whether that rollback path was exercised.
    #[command(
        after_help = "Exit status: 0 when there is an admissible previous digest and the rollback \
path was exercised (a rollback from the current to the previous digest in another environment, or an \
earlier rollback in this one); 1 otherwise, with the reason."
    )]
    Plan(PlanArgs),
    /// Record a rollback: a signed rollback/v1 statement appended to the ledger.
    #[command(
        after_help = "The target (--to) must have a verified promotion into the environment, else \
nothing is recorded and the exit status is 1. --notify POSTs a JSON notice naming both digests, the \
reason and a post-incident review task: title (--review-title, default \"Post-incident review: rollback \
of ENV\"), owner (--review-owner, default \"on-call\") and due date (--review-due-days after the rollback, \
default 5). Notice and event are sent after the record is in the ledger; if either fails, the record \
stays and the exit status is 2."
    )]
    Record(Box<RecordArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    environment: String,
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    trust: RecordTrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// The environment rolled back.
    #[arg(long = "env", value_name = "NAME")]
    environment: String,
    /// The digest rolled back from.
    #[arg(long, value_name = "DIGEST", value_parser = parse_digest)]
    from: Digest,
    /// The digest rolled back to: it must have been promoted into the environment.
    #[arg(long, value_name = "DIGEST", value_parser = parse_digest)]
    to: Digest,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    signer: RecordSignerArgs,
    #[command(flatten)]
    trust: RecordTrustArgs,
    /// POST a JSON notice (Slack-compatible `text`, both digests, the reason, the review task) here.
    #[arg(long, value_name = "URL")]
    notify: Option<String>,
    /// The review task's title.
    #[arg(long, value_name = "TEXT", requires = "notify")]
    review_title: Option<String>,
    /// The review task's owner.
    #[arg(long, value_name = "WHO", default_value = "on-call", requires = "notify")]
    review_owner: String,
    /// Days after the rollback the review is due.
    #[arg(long, value_name = "DAYS", default_value_t = 5, requires = "notify")]
    review_due_days: u32,
    #[command(flatten)]
    cdevents: CdeventsArgs,
}

pub(crate) fn run(global: &GlobalArgs, command: &RollbackCommand) -> anyhow::Result<Outcome> {
    match command {
        RollbackCommand::Plan(args) => plan(global, args),
        RollbackCommand::Record(args) => record(global, args),
    }
}

fn plan(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<Outcome> {
    let loaded = args.trust.load()?;
    let store = args.ledger.open()?;
    let trust = loaded.trust();
    let plan = rollback_plan(store.as_ref(), &args.environment, trust)
        .with_context(|| format!("cannot plan a rollback in {}", args.environment))?;
    let problems = plan_problems(&plan);
    match global.output {
        OutputFormat::Json => {
            print_json(&json!({"plan": plan, "ready": problems.is_empty(), "problems": problems}))?;
        }
        OutputFormat::Text => to_stdout(|w| render_plan(w, &plan, &problems))?,
    }
    Ok(if problems.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// What keeps the plan from being a tested rollback path.
fn plan_problems(plan: &Plan) -> Vec<String> {
    let mut problems = Vec::new();
    match (&plan.current, &plan.previous) {
        (None, _) => problems.push(format!("no verified deployment record in {}", plan.environment)),
        (Some(current), None) => problems.push(format!(
            "nothing to roll back to: no verified earlier deployment or promotion in {} other than {}",
            plan.environment, current.digest
        )),
        (Some(_), Some(previous)) => {
            if let Some(why) = &previous.inadmissible {
                problems.push(format!("the rollback target is not admissible: {why}"));
            }
            if !plan.exercised {
                problems.push(
                    "the rollback path was never exercised: no rollback record for this pair in another \
                     environment, nor an earlier rollback in this one"
                        .to_owned(),
                );
            }
        }
    }
    problems
}

fn render_plan(w: &mut impl Write, plan: &Plan, problems: &[String]) -> std::io::Result<()> {
    writeln!(w, "Environment: {}", plan.environment)?;
    match &plan.current {
        Some(c) => {
            writeln!(
                w,
                "Current:     {} (ledger entry {}, {})",
                c.digest, c.ledger_index, c.timestamp
            )?;
        }
        None => {
            writeln!(w, "Current:     none")?;
        }
    }
    match &plan.previous {
        Some(p) => {
            writeln!(
                w,
                "Previous:    {} (from the {} record at ledger entry {}; {})",
                p.digest,
                p.source,
                p.ledger_index,
                if p.admissible {
                    "admissible"
                } else {
                    "NOT admissible"
                }
            )?;
        }
        None => {
            writeln!(w, "Previous:    none")?;
        }
    }
    writeln!(w, "Exercised:   {}", if plan.exercised { "yes" } else { "no" })?;
    for e in &plan.exercised_by {
        writeln!(
            w,
            "  {} in {} (ledger entry {}): {} -> {}",
            e.kind, e.environment, e.ledger_index, e.from, e.to
        )?;
    }
    for r in &plan.rejected {
        writeln!(w, "Not believed: ledger entry {}: {}", r.ledger_index, r.reason)?;
    }
    for p in problems {
        writeln!(w, "FAIL {p}")?;
    }
    Ok(())
}

#[allow(clippy::too_many_lines)] // one pass: admissibility, record, notice, event, report
fn record(global: &GlobalArgs, args: &RecordArgs) -> anyhow::Result<Outcome> {
    let loaded = args.trust.load()?;
    let store = args.signer.ledger.open()?;
    let trust = loaded.trust();
    let repository = match admissible(store.as_ref(), &args.to, &args.environment, trust)
        .context("cannot look up the rollback target's promotion")?
    {
        Ok(repository) => repository,
        Err(why) => {
            let why = why.to_string();
            match global.output {
                OutputFormat::Json => print_json(&json!({"recorded": false, "reason": why}))?,
                OutputFormat::Text => to_stdout(|w| writeln!(w, "FAIL rollback target refused: {why}"))?,
            }
            return Ok(Outcome::Failure);
        }
    };
    let (now, timestamp) = record_time()?;
    let rollback = Rollback {
        environment: args.environment.clone(),
        from: args.from.to_string(),
        to: args.to.to_string(),
        reason: args.reason.clone(),
        timestamp: timestamp.clone(),
    };
    let statement = rollback.to_statement(&repository, &args.to);
    let crate::args::AppendedRecord {
        index,
        digest: bundle_digest,
        ..
    } = args
        .signer
        .sign_and_append(&statement, store.as_ref(), now, "rollback record")?;

    let mut failures = Vec::new();
    let notice = args.notify.as_deref().map(|url| {
        let task = ReviewTask {
            title: args
                .review_title
                .clone()
                .unwrap_or_else(|| format!("Post-incident review: rollback of {}", args.environment)),
            owner: args.review_owner.clone(),
            due: due_date(&timestamp, args.review_due_days).unwrap_or_default(),
        };
        let notice = RollbackNotice::new(
            &args.environment,
            &rollback.from,
            &rollback.to,
            &args.reason,
            index,
            task,
        );
        let result = send_notice(url, &notice, Deadlines::default());
        if let Err(e) = &result {
            failures.push(format!("the notice could not be sent: {e}"));
        }
        (url, notice, result)
    });
    let event = args.cdevents.cdevents_sink.as_deref().map(|sink| {
        let event = Event::service_rolledback(&EventInput {
            source: &args.cdevents.cdevents_source,
            id: &bundle_digest.to_string(),
            environment: &args.environment,
            repository: &repository,
            digest: &args.to,
            timestamp: &timestamp,
        });
        let result = provenant_deploy::sink::send_event(sink, &event, Deadlines::default());
        if let Err(e) = &result {
            failures.push(format!("the event could not be sent: {e}"));
        }
        (sink, result)
    });
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "recorded": true,
            "environment": args.environment,
            "from": rollback.from,
            "to": rollback.to,
            "repository": repository,
            "ledgerIndex": index,
            "bundleDigest": bundle_digest.to_string(),
            "notice": notice.as_ref().map(|(url, n, r)| json!({
                "url": url, "reviewTask": n.review_task,
                "status": r.as_ref().ok(), "error": r.as_ref().err().map(ToString::to_string),
            })),
            "event": event.as_ref().map(|(sink, r)| json!({
                "sink": sink, "status": r.as_ref().ok(), "error": r.as_ref().err().map(ToString::to_string),
            })),
        }))?,
        OutputFormat::Text => to_stdout(|w| {
            writeln!(
                w,
                "Rollback in {} from {} to {} recorded: ledger entry {index}",
                args.environment, rollback.from, rollback.to
            )?;
            if let Some((url, n, Ok(_))) = &notice {
                writeln!(
                    w,
                    "Notice sent to {url}: review \"{}\" owned by {}, due {}",
                    n.review_task.title, n.review_task.owner, n.review_task.due
                )?;
            }
            if let Some((sink, Ok(status))) = &event {
                writeln!(w, "service.rolledback sent to {sink} (HTTP {status})")?;
            }
            Ok(())
        })?,
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "the rollback is recorded (ledger entry {index}) but {}",
            failures.join("; and ")
        );
    }
    Ok(Outcome::Success)
}
