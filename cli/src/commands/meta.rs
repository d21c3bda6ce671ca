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

/// One roff page: the top-level page, then a section per subcommand with its synopsis, description and
/// options, so that `man provenant` documents every command.
pub(crate) fn man() -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("provenant {}", sub.get_name());
        writeln!(buf, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().bin_name(&name).display_name(&name));
        page.render_synopsis_section(&mut buf)?;
        page.render_description_section(&mut buf)?;
        page.render_options_section(&mut buf)?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(Outcome::Success)
}
