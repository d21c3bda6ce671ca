//! `provenant env`: the environments an artefact is promoted through. `init` writes the platform default
//! environments file.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json};

/// `provenant env`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Write the platform default environments file: dev, test, uat, prod, in promotion order.
    Init(EnvInitArgs),
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
    }
}

fn init(global: &GlobalArgs, args: &EnvInitArgs) -> anyhow::Result<Outcome> {
    let text = provenant_env::init::default_yaml(&args.repository_template, &args.roles)?;
    // Whatever is written must read back: the writer and the reader are checked against each other.
    let file = provenant_env::EnvironmentsFile::from_yaml("the default", text.as_bytes())?;
    let Some(path) = &args.out else {
        print_bytes(text.as_bytes())?;
        return Ok(Outcome::Success);
    };
    anyhow::ensure!(
        args.force || !path.exists(),
        "{} exists: give --force to overwrite it",
        path.display()
    );
    crate::shared::write_atomic(path, text.as_bytes())?;
    match global.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "environments": file.names(),
            "file": path.display().to_string(),
        }))?,
        OutputFormat::Text => {
            print_bytes(format!("wrote {}: {}\n", path.display(), file.names().join(" -> ")).as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}
