//! `provenant changelog`: a range's Conventional Commits as Markdown, grouped by type, breaking changes first.

use clap::Args;
use serde_json::json;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat, RangeArgs};
use crate::output::{print_bytes, print_json};

/// `provenant changelog`.
#[derive(Debug, Args)]
#[command(
    after_help = "Sections: breaking changes first, then Features, Bug Fixes, Performance Improvements, \
Reverts, Documentation, Styles, Code Refactoring, Tests, Build System, Continuous Integration, Miscellaneous \
Chores, other types alphabetically, and last the commits whose messages are not Conventional Commits; merge \
commits are left out. Entries keep the range's order, oldest first. Commits are linked as URL/commit/ID when the \
repository's web address is known (--repo-url, else the origin remote). The heading is --title, else the next \
version (as `provenant version next` computes it), else the range. The same range gives the same bytes. \
--output json gives the sections and the Markdown."
)]
pub(crate) struct ChangelogArgs {
    #[command(flatten)]
    range: RangeArgs,
    /// The repository's web address for commit links (default: the origin remote's, when it has one).
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// The heading.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
}

/// Runs `provenant changelog`.
pub(crate) fn run(global: &GlobalArgs, args: &ChangelogArgs) -> anyhow::Result<Outcome> {
    let (repo, range) = args.range.read()?;
    let title = match &args.title {
        Some(t) => t.clone(),
        None => provenant_source::release::plan(&repo, &range)?
            .next
            .unwrap_or_else(|| range.spec.clone()),
    };
    let repo_url = args
        .repo_url
        .clone()
        .or_else(|| provenant_source::git::origin_web_url(&repo));
    let changelog = provenant_source::changelog::of_range(&range);
    let markdown = changelog.to_markdown(&title, repo_url.as_deref());
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "range": range.spec,
            "title": title,
            "repositoryUrl": repo_url,
            "breaking": changelog.breaking,
            "sections": changelog.sections,
            "markdown": markdown,
        }))?,
        OutputFormat::Text => print_bytes(markdown.as_bytes())?,
    }
    Ok(Outcome::Success)
}
