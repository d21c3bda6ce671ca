//! Commands about the tool itself: shell completions and the manual page.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::Outcome;
use crate::args::{Cli, CompletionsArgs};

pub(crate) fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "provenant", &mut out);
    out.flush()?;
    Ok(Outcome::Success)
}

pub(crate) fn man() -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(Outcome::Success)
}
