//! The parameters a product team may set, each with its allowed range. Everything a template writes
//! that is not one of these comes from the platform (the template itself, the gate policy, the
//! environments and roles files).
//!
//! Values end up inside YAML block scalars and shell scripts, so every kind of value is restricted to
//! characters that mean nothing to either: no quotes, `$`, backquotes, `;`, `&`, `|`, `<`, `>`, `#`,
//! braces, newlines or control characters.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Ci, Workload};

/// What values a parameter accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Allowed {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A name: lowercase ASCII letters, digits and `-`, starting with a letter, at most 40 characters.
    Name,
    /// A repository slug `OWNER/NAME` (ASCII letters, digits, `.`, `_`, `-`; GitLab groups may nest).
    Repository,
    /// A registry and path prefix (`registry.example.com/team`, or `oci:DIR` for an OCI layout
    /// directory): ASCII letters, digits, `.`, `_`, `-`, `/`, `:`, at most 200 characters.
    Registry,
    /// A relative path inside the repository: ASCII letters, digits, `.`, `_`, `-`, `/`; no `..`
    /// segment, not absolute, at most 200 characters.
    Path,
    /// A command line: ASCII letters, digits, spaces and `.`, `_`, `-`, `/`, `:`, `=`, `@`, `+`, `,`;
    /// at most 200 characters. No shell metacharacters, so it runs as written.
    Command,
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::OneOf(words) => write!(f, "one of {}", words.join(", ")),
            Allowed::Integer { min, max } => write!(f, "an integer from {min} to {max}"),
            Allowed::Name => f.write_str(
                "lowercase letters, digits and '-', starting with a letter, at most 40 characters",
            ),
            Allowed::Repository => {
                f.write_str("OWNER/NAME (letters, digits, '.', '_', '-'; nested groups allowed)")
            }
            Allowed::Registry => f.write_str(
                "a registry and path prefix, or oci:DIR (letters, digits, '.', '_', '-', '/', ':'), at most 200 characters",
            ),
            Allowed::Path => f.write_str(
                "a relative path (letters, digits, '.', '_', '-', '/'; no '..'), at most 200 characters",
            ),
            Allowed::Command => f.write_str(
                "a command without shell metacharacters (letters, digits, spaces, '.', '_', '-', '/', ':', '=', '@', '+', ','), at most 200 characters",
            ),
        }
    }
}

/// Longest value of the free-form kinds.
const MAX_VALUE: usize = 200;

impl Allowed {
    /// Whether `value` is allowed.
    #[must_use]
    pub fn accepts(&self, value: &str) -> bool {
        let chars_in = |extra: &str| {
            !value.is_empty()
                && value.len() <= MAX_VALUE
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        match self {
            Allowed::OneOf(words) => words.contains(&value),
            Allowed::Integer { min, max } => {
                let leading_zero = value.len() > 1 && value.starts_with('0');
                !leading_zero
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u64>().is_ok_and(|n| (*min..=*max).contains(&n))
            }
            Allowed::Name => {
                value.len() <= 40
                    && value.starts_with(|c: char| c.is_ascii_lowercase())
                    && value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            }
            Allowed::Repository => {
                chars_in("._-/")
                    && value.split('/').count() >= 2
                    && value
                        .split('/')
                        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.starts_with('-'))
            }
            Allowed::Registry => {
                chars_in("._-/:")
                    && !value.starts_with('-')
                    && !value.ends_with('/')
                    && !value.split('/').any(|s| s == "..")
            }
            Allowed::Path => {
                chars_in("._-/")
                    && !value.starts_with('/')
                    && !value.starts_with('-')
                    && value.split('/').all(|s| !s.is_empty() && s != "..")
            }
            Allowed::Command => {
                chars_in(" ._-/:=@+,") && !value.starts_with(['-', ' ']) && !value.ends_with(' ')
            }
        }
    }
}

/// One parameter a team may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name, as `--set NAME=VALUE` spells it.
    pub name: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// Its allowed range.
    pub allowed: Allowed,
    /// The value used when the team sets none.
    pub default: &'static str,
}

const fn param(
    name: &'static str,
    description: &'static str,
    allowed: Allowed,
    default: &'static str,
) -> Parameter {
    Parameter {
        name,
        description,
        allowed,
        default,
    }
}

/// The deployment strategies `provenant deploy record --strategy` knows.
pub const STRATEGIES: &[&str] = &["rolling", "blue-green", "canary", "feature-flag"];

/// The parameters of one template, sorted by name.
#[must_use]
// One table, read best in one piece.
#[allow(clippy::too_many_lines)]
pub fn parameters(workload: Workload, ci: Ci) -> Vec<Parameter> {
    let mut out = vec![
        param(
            "name",
            "the application's name (image and package names)",
            Allowed::Name,
            "app",
        ),
        param(
            "repository",
            "the source repository, OWNER/NAME (the CI identity the roles file trusts)",
            Allowed::Repository,
            "example-org/app",
        ),
        param(
            "registry",
            "registry and path prefix of the environments' repositories ({registry}/{env}/{name})",
            Allowed::Registry,
            "registry.example.com",
        ),
        param(
            "branch",
            "the branch whose commits enter the pipeline",
            Allowed::Path,
            "main",
        ),
        param(
            "timeout_minutes",
            "time limit of each stage job, in minutes",
            Allowed::Integer { min: 5, max: 120 },
            "30",
        ),
        param(
            "build_command",
            "the build (runs under provenant build, which records its provenance)",
            Allowed::Command,
            match workload {
                Workload::Container => "make rootfs",
                Workload::Serverless => "make bundle",
                Workload::Mobile => "./gradlew assembleRelease",
                Workload::Infra => "make module",
                Workload::Data => "make package",
            },
        ),
        param(
            "test_command",
            "the tests; must write JUnit XML and coverage under evidence/tests/",
            Allowed::Command,
            match workload {
                Workload::Data => "./ci/data-contract-tests.sh",
                _ => "./ci/test.sh",
            },
        ),
        param(
            "lint_command",
            "the linters; must write SARIF or checkstyle under evidence/scans/ (infra: tflint, fixed)",
            Allowed::Command,
            "./ci/lint.sh",
        ),
        param(
            "sast_rules",
            "the semgrep rules file SAST runs (infra: the plan policy check, fixed)",
            Allowed::Path,
            ".semgrep.yml",
        ),
        param(
            "deploy_command",
            "deploys the image or artefact given as its last argument (IMAGE@DIGEST or FILE)",
            Allowed::Command,
            "./ci/deploy.sh",
        ),
        param(
            "health_command",
            "health check after deployment (exit 0 healthy)",
            Allowed::Command,
            "./ci/health.sh",
        ),
        param(
            "smoke_command",
            "smoke test after deployment (exit 0 passed)",
            Allowed::Command,
            "./ci/smoke.sh",
        ),
        param(
            "strategy",
            "deployment strategy recorded with each deployment",
            Allowed::OneOf(STRATEGIES),
            match workload {
                Workload::Serverless => "canary",
                Workload::Mobile => "feature-flag",
                Workload::Data => "blue-green",
                Workload::Container | Workload::Infra => "rolling",
            },
        ),
        param(
            "approval_wait_minutes",
            "how long the approval stage waits for the production approval, in minutes (a GitHub-hosted job lasts at most 6 hours)",
            Allowed::Integer { min: 1, max: 300 },
            "60",
        ),
        param(
            "prod_approvals",
            "approvals by distinct release managers production needs",
            Allowed::Integer { min: 1, max: 5 },
            "1",
        ),
        param(
            "gate_max_age_hours",
            "oldest gate decision a promotion accepts, in hours",
            Allowed::Integer { min: 1, max: 168 },
            "24",
        ),
    ];
    match workload {
        Workload::Container => out.push(param(
            "rootfs",
            "the directory the build leaves the image's root filesystem in",
            Allowed::Path,
            "dist/rootfs",
        )),
        Workload::Serverless => out.push(param(
            "bundle",
            "the function bundle the build writes",
            Allowed::Path,
            "dist/function.zip",
        )),
        Workload::Mobile => {
            out.push(param(
                "platform",
                "the mobile platform",
                Allowed::OneOf(&["android", "ios"]),
                "android",
            ));
            out.push(param(
                "app_sign_command",
                "app-store signing: takes the unsigned app and the signed app to write",
                Allowed::Command,
                "./ci/sign-app.sh",
            ));
            out.push(param(
                "app_artifact",
                "the unsigned APK or IPA the build writes",
                Allowed::Path,
                "dist/app-release-unsigned.apk",
            ));
        }
        Workload::Infra => {
            out.push(param(
                "iac_tool",
                "the infrastructure-as-code tool",
                Allowed::OneOf(&["tofu", "terraform"]),
                "tofu",
            ));
            out.push(param(
                "module",
                "the Terraform/OpenTofu module directory",
                Allowed::Path,
                "infra",
            ));
        }
        Workload::Data => out.push(param(
            "pipeline_package",
            "the data pipeline package the build writes",
            Allowed::Path,
            "dist/pipeline.tar.gz",
        )),
    }
    if ci == Ci::Github {
        out.push(param(
            "runner",
            "the GitHub-hosted runner label",
            Allowed::OneOf(&["ubuntu-24.04", "ubuntu-22.04"]),
            "ubuntu-24.04",
        ));
    }
    if workload == Workload::Infra {
        out.retain(|p| p.name != "lint_command" && p.name != "sast_rules");
    }
    out.sort_by_key(|p| p.name);
    out
}

/// Why a parameter value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterError {
    /// `--set` without `=`.
    #[error("`{given}` is not NAME=VALUE")]
    Syntax {
        /// What was given.
        given: String,
    },
    /// A name the template has no parameter for.
    #[error(
        "the {template} template has no parameter `{name}` (its parameters: {known}); everything else comes from the platform policy"
    )]
    Unknown {
        /// The parameter named.
        name: String,
        /// The template.
        template: String,
        /// The parameters it has.
        known: String,
    },
    /// A value outside the allowed range.
    #[error("parameter `{name}`: `{value}` is outside its allowed range ({allowed})")]
    OutOfRange {
        /// The parameter.
        name: String,
        /// The value refused.
        value: String,
        /// What it allows.
        allowed: String,
    },
    /// The same parameter set twice.
    #[error("parameter `{name}` is set twice")]
    Duplicate {
        /// The parameter.
        name: String,
    },
}

/// Every parameter's value for one rendering, by name (sorted).
pub type Values = BTreeMap<String, String>;

/// Splits `NAME=VALUE`.
///
/// # Errors
/// [`ParameterError::Syntax`] when there is no `=`.
pub fn split_assignment(given: &str) -> Result<(String, String), ParameterError> {
    given
        .split_once('=')
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| ParameterError::Syntax {
            given: given.to_owned(),
        })
}

/// The values for a rendering: each parameter's default, replaced by the team's settings, each checked
/// against its range.
///
/// # Errors
/// A [`ParameterError`] naming the first unknown, duplicated or out-of-range setting.
pub fn resolve(workload: Workload, ci: Ci, settings: &[(String, String)]) -> Result<Values, ParameterError> {
    let params = parameters(workload, ci);
    let mut values: Values = params
        .iter()
        .map(|p| (p.name.to_owned(), p.default.to_owned()))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in settings {
        let Some(p) = params.iter().find(|p| p.name == name) else {
            return Err(ParameterError::Unknown {
                name: name.clone(),
                template: crate::template_name(workload, ci),
                known: params.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
            });
        };
        if !seen.insert(name.clone()) {
            return Err(ParameterError::Duplicate { name: name.clone() });
        }
        if !p.allowed.accepts(value) {
            return Err(ParameterError::OutOfRange {
                name: name.clone(),
                value: value.clone(),
                allowed: p.allowed.to_string(),
            });
        }
        values.insert(name.clone(), value.clone());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(Allowed::Integer { min: 5, max: 120 }.accepts("5"));
        assert!(!Allowed::Integer { min: 5, max: 120 }.accepts("121"));
        assert!(!Allowed::Integer { min: 5, max: 120 }.accepts("007"));
        assert!(Allowed::Command.accepts("make rootfs"));
        assert!(!Allowed::Command.accepts("make; curl x"));
        assert!(!Allowed::Command.accepts("echo $HOME"));
        assert!(!Allowed::Path.accepts("../etc"));
        assert!(!Allowed::Path.accepts("/etc"));
        assert!(Allowed::Registry.accepts("oci:relative/dir"));
        assert!(!Allowed::Registry.accepts("reg/\"x"));
        assert!(Allowed::Repository.accepts("group/sub/project"));
        assert!(!Allowed::Repository.accepts("project"));
        assert!(!Allowed::Name.accepts("App"));
    }
}
