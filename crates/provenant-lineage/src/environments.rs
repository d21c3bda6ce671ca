//! The environments lineage walks: their order and, for each, its repository, the roles that may promote
//! into it, the gate and approval requirements and its configuration, taken from the environments file
//! as `provenant_env::config` (its one reader) reads and checks it.

use provenant_env::config::{ConfigError, EnvironmentsFile};

/// Largest environments file read.
pub const MAX_ENVIRONMENTS_BYTES: usize = 1 << 20;

/// The environments, in promotion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environments {
    /// The roles file, relative to the environments file.
    pub roles: Option<String>,
    /// The environments in promotion order.
    pub environments: Vec<EnvSpec>,
}

/// One environment, as lineage reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSpec {
    /// Its name.
    pub name: String,
    /// The repository images are promoted into.
    pub repository: String,
    /// The roles whose holders may sign its promotion records.
    pub promote_roles: Vec<String>,
    /// What a promotion into it requires.
    pub requires: Requires,
    /// Its configuration file or directory.
    pub config: Option<String>,
}

/// The requirements lineage checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requires {
    /// A passing gate decision signed by a role.
    pub gate_decision: Option<GateRule>,
    /// Approvals.
    pub approvals: Option<ApprovalRule>,
}

/// The gate requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRule {
    /// The role that signs gate decisions.
    pub role: String,
}

/// The approval requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    /// Roles whose holders' approvals count.
    pub roles: Vec<String>,
    /// How many distinct identities must approve.
    pub count: u32,
    /// Whether one identity may count only once.
    pub separation_of_duties: bool,
}

/// The environments file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvironmentsError {
    /// Not a valid environments file.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// Too large.
    #[error("{file} has {size} bytes, more than an environments file may have ({MAX_ENVIRONMENTS_BYTES})")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: usize,
    },
    /// No environment of that name.
    #[error("{file} names no environment {name} (it names {known})")]
    UnknownEnvironment {
        /// The file.
        file: String,
        /// The name asked for.
        name: String,
        /// The names it has.
        known: String,
    },
}

impl Environments {
    /// Reads and checks an environments file (`file` names it in errors).
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<Environments, EnvironmentsError> {
        if bytes.len() > MAX_ENVIRONMENTS_BYTES {
            return Err(EnvironmentsError::TooLarge {
                file: file.to_owned(),
                size: bytes.len(),
            });
        }
        Ok(Environments::from_file(&EnvironmentsFile::from_yaml(
            file, bytes,
        )?))
    }

    /// What lineage reads of a checked environments file.
    #[must_use]
    pub fn from_file(file: &EnvironmentsFile) -> Environments {
        let names = |roles: &[provenant_env::config::Name]| -> Vec<String> {
            roles.iter().map(|r| r.as_str().to_owned()).collect()
        };
        Environments {
            roles: Some(file.roles.clone()),
            environments: file
                .environments
                .iter()
                .map(|e| EnvSpec {
                    name: e.name.as_str().to_owned(),
                    repository: e.repository.clone(),
                    promote_roles: names(&e.promote_roles),
                    requires: Requires {
                        gate_decision: e.requires.gate_decision.as_ref().map(|g| GateRule {
                            role: g.role.as_str().to_owned(),
                        }),
                        approvals: e.requires.approvals.as_ref().map(|a| ApprovalRule {
                            roles: names(&a.roles),
                            count: a.count,
                            separation_of_duties: a.separation_of_duties,
                        }),
                    },
                    config: e.config.clone(),
                })
                .collect(),
        }
    }

    /// The chain from the first environment up to and including `name`.
    pub fn chain_to(&self, file: &str, name: &str) -> Result<&[EnvSpec], EnvironmentsError> {
        let position = self
            .environments
            .iter()
            .position(|e| e.name == name)
            .ok_or_else(|| EnvironmentsError::UnknownEnvironment {
                file: file.to_owned(),
                name: name.to_owned(),
                known: self
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(self.environments.get(..=position).unwrap_or_default())
    }
}
