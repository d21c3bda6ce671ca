//! The digest of an environment's configuration file or directory, recorded with each promotion so that
//! `env status` can report a configuration that changed since (config drift).

use std::path::{Path, PathBuf};

use provenant_digest::{Algorithm, Digest, NoProgress};

use crate::config::Environment;

/// A configuration that cannot be digested.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigDigestError {
    /// The file or directory could not be read.
    #[error("the configuration of environment '{environment}' ({path}) cannot be read: {source}")]
    Read {
        /// The environment.
        environment: String,
        /// The path, resolved against the environments file's directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: provenant_digest::HashError,
    },
}

/// The digest of `env`'s configuration (a file's SHA-256, or a directory's tree digest), `config`
/// resolved against `base` (the environments file's directory); none when it names no configuration.
pub fn config_digest(base: &Path, env: &Environment) -> Result<Option<Digest>, ConfigDigestError> {
    let Some(config) = &env.config else {
        return Ok(None);
    };
    let path = base.join(config);
    provenant_digest::digest_path(Algorithm::Sha256, &path, &NoProgress)
        .map(|d| Some(d.digest))
        .map_err(|source| ConfigDigestError::Read {
            environment: env.name.to_string(),
            path,
            source,
        })
}
