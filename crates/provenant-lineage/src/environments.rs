//! A minimal reader of the environments file (`environments.yaml`): the order of the environments and,
//! for each, its repository, the roles that may promote into it, the gate and approval requirements and
//! its configuration. Lineage reads only these fields and ignores the rest (triggers, change windows),
//! which `provenant-env` owns; when `provenant_env::config` is on the main line, lineage reads the file
//! through it instead.

use serde::Deserialize;

/// Largest environments file read.
pub const MAX_ENVIRONMENTS_BYTES: usize = 1 << 20;

/// The environments, in promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Environments {
    /// The roles file, relative to the environments file.
    #[serde(default)]
    pub roles: Option<String>,
    /// The environments in promotion order.
    pub environments: Vec<EnvSpec>,
}

/// One environment, as lineage reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvSpec {
    /// Its name.
    pub name: String,
    /// The repository images are promoted into.
    pub repository: String,
    /// The roles whose holders may sign its promotion records.
    #[serde(default)]
    pub promote_roles: Vec<String>,
    /// What a promotion into it requires.
    #[serde(default)]
    pub requires: Requires,
    /// Its configuration file or directory.
    #[serde(default)]
    pub config: Option<String>,
}

/// The requirements lineage checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Requires {
    /// A passing gate decision signed by a role.
    #[serde(default)]
    pub gate_decision: Option<GateRule>,
    /// Approvals.
    #[serde(default)]
    pub approvals: Option<ApprovalRule>,
}

/// The gate requirement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GateRule {
    /// The role that signs gate decisions.
    pub role: String,
}

/// The approval requirement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApprovalRule {
    /// Roles whose holders' approvals count.
    pub roles: Vec<String>,
    /// How many distinct identities must approve.
    #[serde(default = "one")]
    pub count: u32,
    /// Whether one identity may count only once.
    #[serde(default = "yes")]
    pub separation_of_duties: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// The environments file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvironmentsError {
    /// Not YAML of the expected shape.
    #[error("{file}:{line}:{column}: {reason}")]
    Syntax {
        /// The file.
        file: String,
        /// Line (1-based; 0 when unknown).
        line: usize,
        /// Column (1-based; 0 when unknown).
        column: usize,
        /// What is wrong.
        reason: String,
    },
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
    /// Parses an environments file; `file` names it in errors.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<Environments, EnvironmentsError> {
        if bytes.len() > MAX_ENVIRONMENTS_BYTES {
            return Err(EnvironmentsError::TooLarge {
                file: file.to_owned(),
                size: bytes.len(),
            });
        }
        yaml_serde::from_slice(bytes).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            EnvironmentsError::Syntax {
                file: file.to_owned(),
                line,
                column,
                reason: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
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
