//! `provenant env`: the environments an artefact is promoted through. `init` writes the platform default
//! environments file; `status` reports what each environment runs and what drifted.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Outcome;
use crate::args::{EnvironmentsArgs, GlobalArgs, LedgerArg, OutputFormat, RegistryArgs};
use crate::output::{print_json, to_stdout};

/// `provenant env`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Write the platform default environments file: dev, test, uat, prod, in promotion order.
    Init(EnvInitArgs),
    /// What each environment runs (the digest promoted there, since when, the approvals that counted,
    /// the configuration recorded) and what drifted since.
    Status(EnvStatusArgs),
}

/// `provenant env status`.
#[derive(Debug, Args)]
#[command(
    after_help = "For each environment in promotion order: the digest of the newest promotion \
record into it that verifies for a role allowed to promote there, its time, the approvals it relied on and \
the configuration digest recorded with it. Drift is a configuration whose digest now differs from the \
recorded one, and an unrecorded change: an image in the environment's repository with no promotion record \
into it.\n\nExit status: 0 nothing drifted, 1 drift or an unrecorded change found, 2 runtime error."
)]
pub(crate) struct EnvStatusArgs {
    #[command(flatten)]
    pub(crate) environments: EnvironmentsArgs,
    #[command(flatten)]
    pub(crate) ledger: LedgerArg,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `provenant env init`.
#[derive(Debug, Args)]
#[command(
    after_help = "dev is entered by build and packaging provenance signed by the ci role; test, uat \
and prod each by a passing gate decision signed by ci and a recorded promotion into the environment before; \
prod in addition by one approval of the release-manager role with separation of duties. The file's schema is \
schemas/environments-v1.schema.json."
)]
pub(crate) struct EnvInitArgs {
    /// Each environment's repository, with {env} replaced by its name.
    #[arg(long, value_name = "TEMPLATE")]
    pub(crate) repository_template: String,
    /// The roles file the environments file names, relative to it.
    #[arg(long, value_name = "FILE", default_value = "roles.yaml")]
    pub(crate) roles: String,
    /// Where to write it (default: standard output).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn run(global: &GlobalArgs, command: &EnvCommand) -> anyhow::Result<Outcome> {
    match command {
        EnvCommand::Init(args) => init(global, args),
        EnvCommand::Status(args) => status(global, args),
    }
}

fn init(global: &GlobalArgs, args: &EnvInitArgs) -> anyhow::Result<Outcome> {
    let text = provenant_env::init::default_yaml(&args.repository_template, &args.roles)?;
    // Whatever is written must read back: the writer and the reader are checked against each other.
    let file = provenant_env::EnvironmentsFile::from_yaml("the default", text.as_bytes())?;
    let mut report = serde_json::Map::new();
    report.insert("environments".to_owned(), file.names().into());
    crate::output::emit_generated(
        global.output,
        args.out.as_deref(),
        args.force,
        &text,
        report,
        &format!(": {}", file.names().join(" -> ")),
    )?;
    Ok(Outcome::Success)
}

fn status(global: &GlobalArgs, args: &EnvStatusArgs) -> anyhow::Result<Outcome> {
    let loaded = args.environments.load()?;
    let store = args.ledger.open()?;
    let inventory = provenant_env::inventory::StoreInventory {
        client: args.registry.client(None)?,
    };
    let status = provenant_env::status::status(&provenant_env::status::Sources {
        store: store.as_ref(),
        environments: &loaded.file,
        base: &loaded.base,
        roles: &loaded.roles,
        trusted_root: loaded.trusted_root.as_ref(),
        inventory: &inventory,
    })?;
    match global.output {
        OutputFormat::Json => print_json(&status)?,
        OutputFormat::Text => to_stdout(|w| render_status(w, &status))?,
    }
    Ok(if status.drifted() {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

/// One block per environment: what it runs, then each drift on its own line.
fn render_status(w: &mut impl Write, status: &provenant_env::status::Status) -> std::io::Result<()> {
    use provenant_env::status::Drift;
    let width = status
        .environments
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0);
    for e in &status.environments {
        match (&e.digest, &e.since) {
            (Some(digest), Some(since)) => {
                write!(w, "{:<width$}  {digest}  since {since}", e.name)?;
            }
            _ => {
                write!(w, "{:<width$}  nothing promoted", e.name)?;
            }
        }
        if !e.approvals.is_empty() {
            let who: Vec<String> = e
                .approvals
                .iter()
                .map(|a| format!("{} as {}", a.identity, a.role))
                .collect();
            write!(w, "  approved by {}", who.join(", "))?;
        }
        writeln!(w)?;
        if let Some(c) = &e.config_digest {
            writeln!(w, "{:<width$}  configuration {c}", "")?;
        }
        for d in &e.drift {
            match d {
                Drift::Config {
                    path,
                    recorded,
                    current,
                } => {
                    writeln!(
                        w,
                        "{:<width$}  DRIFT: configuration {} is now {}, recorded {}",
                        "",
                        path.as_deref().unwrap_or("(none named)"),
                        current.as_deref().unwrap_or("absent"),
                        recorded.as_deref().unwrap_or("none"),
                    )?;
                }
                Drift::UnrecordedChange { digest, tags } => {
                    let tags = if tags.is_empty() {
                        String::from("untagged")
                    } else {
                        format!("tagged {}", tags.join(", "))
                    };
                    writeln!(
                        w,
                        "{:<width$}  UNRECORDED CHANGE: {digest} ({tags}) is in the repository with no promotion record",
                        "",
                    )?;
                }
                _ => {}
            }
        }
    }
    if status.drifted() {
        writeln!(w, "drift found")
    } else {
        writeln!(w, "no drift")
    }
}
