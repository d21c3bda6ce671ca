//! `provenant exceptions list`: every gate exception used or refused, from the gate decisions in the
//! ledger.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_env::exceptions::{ExceptionLog, Filter, Use, Verification};

use crate::Outcome;
use crate::args::{GlobalArgs, LedgerArg, OutputFormat};
use crate::output::{print_json, to_stdout};

/// `provenant exceptions`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExceptionsCommand {
    /// Every gate exception used or refused (owner, rationale, expiry, approver, finding, the decision's
    /// digest and subject), read from the gate decisions in the ledger.
    List(ExceptionsListArgs),
}

/// `provenant exceptions list`.
#[derive(Debug, Args)]
#[command(
    after_help = "An exception is active while unexpired: through the whole of its expiry day \
(UTC), at SOURCE_DATE_EPOCH when set, else now. With --roles, only gate decisions signed by a holder of \
--role are read; the others are counted as unverified."
)]
pub(crate) struct ExceptionsListArgs {
    /// Only exceptions still in force.
    #[arg(long, conflicts_with = "expired")]
    pub(crate) active: bool,
    /// Only expired exceptions.
    #[arg(long)]
    pub(crate) expired: bool,
    /// Read only gate decisions signed by a holder of --role in this roles file.
    #[arg(long, value_name = "FILE")]
    pub(crate) roles: Option<PathBuf>,
    /// The role that signs gate decisions.
    #[arg(long, value_name = "ROLE", default_value = "ci", requires = "roles")]
    pub(crate) role: String,
    /// The `trusted_root.json` keyless signers are verified against.
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT", requires = "roles")]
    pub(crate) trusted_root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) ledger: LedgerArg,
}

pub(crate) fn run(global: &GlobalArgs, command: &ExceptionsCommand) -> anyhow::Result<Outcome> {
    match command {
        ExceptionsCommand::List(args) => list(global, args),
    }
}

fn list(global: &GlobalArgs, args: &ExceptionsListArgs) -> anyhow::Result<Outcome> {
    let filter = if args.active {
        Filter::Active
    } else if args.expired {
        Filter::Expired
    } else {
        Filter::All
    };
    let roles = match &args.roles {
        Some(path) => Some(
            crate::args::load_roles(path)
                .with_context(|| format!("cannot load the roles file {}", path.display()))?,
        ),
        None => None,
    };
    let trusted_root = crate::shared::trusted_root(args.trusted_root.as_deref())?;
    let verification = roles.as_ref().map(|roles| Verification {
        roles,
        role: &args.role,
        trusted_root: trusted_root.as_ref(),
    });
    let store = args.ledger.open()?;
    let log = provenant_env::exceptions::list(
        store.as_ref(),
        filter,
        crate::shared::now_unix_i64()?,
        verification.as_ref(),
    )?;
    match global.output {
        OutputFormat::Json => print_json(&log)?,
        OutputFormat::Text => to_stdout(|w| render(w, &log))?,
    }
    Ok(Outcome::Success)
}

fn render(w: &mut impl Write, log: &ExceptionLog) -> std::io::Result<()> {
    for e in &log.exceptions {
        let status = match e.status {
            Use::Used => "used",
            _ => "REFUSED",
        };
        writeln!(
            w,
            "{status:<7}  {}  {} (gate {}), owner {}, expires {}{}",
            e.file,
            e.finding,
            e.gate,
            e.owner,
            e.expires,
            if e.active { "" } else { " (expired)" }
        )?;
        writeln!(w, "         rationale: {}", e.rationale)?;
        writeln!(
            w,
            "         approved by {} as {}",
            e.approver.as_deref().unwrap_or("nobody verified"),
            e.role
        )?;
        if let Some(reason) = &e.reason {
            writeln!(w, "         refused: {reason}")?;
        }
        writeln!(
            w,
            "         decision {} about {} at {}, ledger entry {}",
            e.decision, e.subject, e.evaluated_at, e.ledger_index
        )?;
    }
    write!(w, "{} exception(s)", log.exceptions.len())?;
    if log.verified {
        write!(
            w,
            "; {} gate decision(s) not signed by the role were left out",
            log.unverified_decisions
        )?;
    }
    writeln!(w)
}
