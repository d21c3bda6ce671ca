//! What a decision needs from the environments file (`environments.yaml`): each environment's name
//! and the roles whose holders may promote into it, and the roles file it names. The file is read and
//! checked by `provenant_env::config`, the one reader of it; an invalid file refuses to start the webhook.

use std::collections::BTreeMap;

use provenant_env::config::{ConfigError, EnvironmentsFile};

/// Largest environments file read.
pub const MAX_ENVIRONMENTS_BYTES: usize = 1 << 20;

/// The roles that may promote into each environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromoteRoles {
    /// The roles file the environments file names (relative to it).
    pub roles_file: Option<String>,
    /// Environment name to the roles whose holders may sign its promotion records.
    pub environments: BTreeMap<String, Vec<String>>,
}

impl PromoteRoles {
    /// The roles that may promote into `environment`, if the file names it.
    #[must_use]
    pub fn roles(&self, environment: &str) -> Option<&[String]> {
        self.environments.get(environment).map(Vec::as_slice)
    }

    /// The promote roles of a checked environments file.
    #[must_use]
    pub fn from_file(file: &EnvironmentsFile) -> PromoteRoles {
        PromoteRoles {
            roles_file: Some(file.roles.clone()),
            environments: file
                .environments
                .iter()
                .map(|e| {
                    (
                        e.name.as_str().to_owned(),
                        e.promote_roles.iter().map(|r| r.as_str().to_owned()).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// Reads and checks an environments file (`file` names it in errors).
pub fn read(file: &str, yaml: &[u8]) -> Result<PromoteRoles, ConfigError> {
    EnvironmentsFile::from_yaml(file, yaml).map(|f| PromoteRoles::from_file(&f))
}
