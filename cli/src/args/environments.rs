//! The arguments of a governed promotion (`promote --env`): the environment, its file, waiting, tags and
//! the key that signs the promotion record.

use std::path::PathBuf;

use clap::Args;

/// `promote --env NAME --environments FILE [--wait DURATION] [--tag T]`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GovernedArgs {
    /// Promote into this environment of --environments: to its repository, only when every requirement
    /// holds (no destination is given then).
    #[arg(long = "env", value_name = "NAME", requires = "environments")]
    pub(crate) environment: Option<String>,
    /// The environments file.
    #[arg(long, value_name = "FILE", requires = "environment")]
    pub(crate) environments: Option<PathBuf>,
    /// Wait this long (90s, 15m, 1h) for the requirements to hold, polling the ledger and the image's
    /// referrers with backoff.
    #[arg(long, value_name = "DURATION", requires = "environment", value_parser = parse_duration)]
    pub(crate) wait: Option<provenant_env::Duration>,
    /// Tags to write in the environment's repository (repeatable).
    #[arg(long = "tag", value_name = "T", requires = "environment")]
    pub(crate) tags: Vec<String>,
    /// Sign the promotion record with this key (else keylessly).
    #[arg(long, value_name = "K", requires = "environment")]
    pub(crate) record_key: Option<PathBuf>,
}

fn parse_duration(text: &str) -> Result<provenant_env::Duration, String> {
    provenant_env::Duration::parse(text).map_err(|e| e.to_string())
}
