//! `provenant version next`: the next semantic version of a range, as semantic-release computes it.

use clap::{Args, Subcommand};

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat, RangeArgs};
use crate::output::{print_bytes, print_json};

/// `provenant version`.
#[derive(Debug, Subcommand)]
pub(crate) enum VersionCommand {
    /// Print the next version: the last vX.Y.Z tag reachable from B, bumped by the commits of A..B
    /// (breaking: major, feat: minor, fix and perf: patch).
    Next(NextArgs),
}

/// `provenant version next`.
#[derive(Debug, Args)]
#[command(
    after_help = "The rules are semantic-release's defaults: a breaking change (`!` or a BREAKING CHANGE \
footer) is a major release, feat a minor one, fix and perf a patch; other types and messages that are not \
Conventional Commits release nothing. Without a vX.Y.Z tag the first release is 1.0.0, and 0.x versions follow \
the same rules (a breaking change on 0.3.1 gives 1.0.0), as semantic-release does. When nothing calls for a \
release, the text output says so and the JSON output's `next` is null. Exit status: 0, or 2 on error."
)]
pub(crate) struct NextArgs {
    #[command(flatten)]
    range: RangeArgs,
}

/// Runs `provenant version …`.
pub(crate) fn run(global: &GlobalArgs, command: &VersionCommand) -> anyhow::Result<Outcome> {
    let VersionCommand::Next(args) = command;
    let (repo, range) = args.range.read()?;
    let plan = provenant_source::release::plan(&repo, &range)?;
    match global.output {
        OutputFormat::Json => print_json(&plan)?,
        OutputFormat::Text => {
            let line = match &plan.next {
                Some(next) => format!("{next}\n"),
                None => format!(
                    "no release: no feat, fix, perf or breaking change in {} (last release {})\n",
                    plan.range,
                    plan.last_version.as_deref().unwrap_or("none")
                ),
            };
            print_bytes(line.as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}
