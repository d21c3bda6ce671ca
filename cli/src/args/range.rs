//! The git range and repository of the source-stage commands (`source check`, `version next`,
//! `changelog`).

use std::path::PathBuf;

use clap::Args;

/// A range of commits in a repository.
#[derive(Debug, Clone, Args)]
pub(crate) struct RangeArgs {
    /// The commits to consider: A..B, those reachable from B and not from A, as git counts them (an empty
    /// side is HEAD).
    #[arg(long, value_name = "A..B")]
    pub(crate) range: String,
    /// The repository (any directory inside it).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) repo: PathBuf,
}

impl RangeArgs {
    /// Opens the repository and reads the range.
    pub(crate) fn read(
        &self,
    ) -> anyhow::Result<(
        provenant_source::git::Repository,
        provenant_source::git::RangeRead,
    )> {
        let repo = provenant_source::git::open(&self.repo)?;
        let range = provenant_source::git::read_range(&repo, &self.range)?;
        Ok((repo, range))
    }
}
