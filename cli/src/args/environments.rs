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

/// The environments file a governance report reads, with the roles file it names and the trusted root
/// for keyless holders (`env status`, `change-record`).
#[derive(Debug, Args, Clone)]
pub(crate) struct EnvironmentsArgs {
    /// The environments file.
    #[arg(long, value_name = "FILE", default_value = "environments.yaml")]
    pub(crate) environments: PathBuf,
    /// The `trusted_root.json` keyless signers of the ledger's records are verified against.
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
}

/// The largest environments file read.
const MAX_ENVIRONMENTS_BYTES: u64 = 1 << 20;

/// An environments file as loaded: the file, the directory its relative paths are resolved against,
/// the roles file it names, and the trusted root.
pub(crate) struct LoadedEnvironments {
    pub(crate) file: provenant_env::EnvironmentsFile,
    pub(crate) base: PathBuf,
    pub(crate) roles: provenant_evidence::roles::Roles,
    pub(crate) trusted_root: Option<provenant_sigstore::TrustedRoot>,
}

impl EnvironmentsArgs {
    /// Reads the environments file, its roles file and the trusted root.
    pub(crate) fn load(&self) -> anyhow::Result<LoadedEnvironments> {
        use anyhow::Context as _;
        let path = &self.environments;
        let bytes = crate::shared::read_bounded(path, MAX_ENVIRONMENTS_BYTES, "environments file")?;
        let file = provenant_env::EnvironmentsFile::from_yaml(&path.display().to_string(), &bytes)?;
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
        let roles_path = base.join(&file.roles);
        let roles = super::load_roles(&roles_path)
            .with_context(|| format!("cannot load the roles file {}", roles_path.display()))?;
        let trusted_root = crate::shared::trusted_root(self.trusted_root.as_deref())?;
        Ok(LoadedEnvironments {
            file,
            base,
            roles,
            trusted_root,
        })
    }
}
