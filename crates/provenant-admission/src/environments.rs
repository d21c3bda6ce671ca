//! What a decision needs from the environments file (`environments.yaml`): each environment's name
//! and the roles whose holders may promote into it, and the roles file it names. The rest of the file
//! (repositories, triggers, requirements) is the promotion engine's and is not read here.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The largest environments file read.
pub const MAX_ENVIRONMENTS_BYTES: usize = 1 << 20;

/// The environments and who may promote into each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromoteRoles {
    /// The roles file named by the environments file, relative to it.
    pub roles_file: Option<String>,
    /// Environment name → the roles that may sign its promotion records.
    pub environments: BTreeMap<String, Vec<String>>,
}

impl PromoteRoles {
    /// The roles that may promote into `environment`, when it is in the file.
    #[must_use]
    pub fn roles(&self, environment: &str) -> Option<&[String]> {
        self.environments.get(environment).map(Vec::as_slice)
    }
}

/// Why the environments file cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvironmentsError {
    /// Larger than [`MAX_ENVIRONMENTS_BYTES`].
    #[error("the environments file has {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not the expected YAML (the message gives the line and column).
    #[error("the environments file cannot be read: {0}")]
    Yaml(#[source] yaml_serde::Error),
    /// An environment is named twice.
    #[error("environment {name} is defined twice in the environments file")]
    Duplicate {
        /// Its name.
        name: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    roles: Option<String>,
    environments: Vec<Env>,
}

#[derive(Deserialize)]
struct Env {
    name: String,
    #[serde(default)]
    promote_roles: Vec<String>,
}

/// Reads the environment names and promote roles of an environments file.
pub fn read(yaml: &[u8]) -> Result<PromoteRoles, EnvironmentsError> {
    if yaml.len() > MAX_ENVIRONMENTS_BYTES {
        return Err(EnvironmentsError::TooLarge {
            len: yaml.len(),
            max: MAX_ENVIRONMENTS_BYTES,
        });
    }
    let file: File = yaml_serde::from_slice(yaml).map_err(EnvironmentsError::Yaml)?;
    let mut environments = BTreeMap::new();
    for env in file.environments {
        if environments.insert(env.name.clone(), env.promote_roles).is_some() {
            return Err(EnvironmentsError::Duplicate { name: env.name });
        }
    }
    Ok(PromoteRoles {
        roles_file: file.roles,
        environments,
    })
}
