//! Pipeline templates: one governed eight-stage pipeline per workload type (container, serverless,
//! mobile, infra, data) and CI system (GitHub Actions, GitLab CI), with the policy files it uses.
//!
//! The templates are embedded ([`catalog`]); [`render`] fills them from [`params::Values`] that a team
//! chose within the platform's ranges ([`params::parameters`]). Every file written carries the stamp
//! `# provenant-template: NAME@VERSION`, and the pipeline file also records the parameters it was
//! rendered with, so that [`drift::check`] can render it again and report, as a unified diff, any file
//! that no longer matches its template.
//!
//! This crate does no I/O: the caller writes the rendered files and passes the files it read back.

pub mod catalog;
pub mod drift;
pub mod params;
pub mod policy_files;
pub mod render;

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

pub use drift::{Drift, DriftKind, Stamp, StampError};
pub use params::{Allowed, Parameter, ParameterError, Values};

/// The version of the template set, stamped into every file it writes.
pub const TEMPLATE_VERSION: &str = "1.0.0";

/// The prefix of the stamp line every rendered file starts with.
pub const STAMP_PREFIX: &str = "# provenant-template: ";

/// The prefix of the lines recording the parameters, in the pipeline file.
pub const PARAMETER_PREFIX: &str = "# provenant-parameter: ";

/// The eight stages, in the order every pipeline runs them; each stage's job is named after it.
pub const STAGES: [&str; 8] = [
    "source",
    "build",
    "quality-security",
    "package",
    "promote",
    "approve",
    "deploy",
    "observe",
];

/// The workload types a template exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Workload {
    /// A container image.
    Container,
    /// A function bundle.
    Serverless,
    /// An Android APK or iOS IPA.
    Mobile,
    /// A Terraform/OpenTofu module.
    Infra,
    /// A data pipeline package.
    Data,
}

impl Workload {
    /// Every workload, in a fixed order.
    pub const ALL: [Workload; 5] = [
        Workload::Container,
        Workload::Serverless,
        Workload::Mobile,
        Workload::Infra,
        Workload::Data,
    ];

    /// Its spelling on the command line and in template names.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Container => "container",
            Workload::Serverless => "serverless",
            Workload::Mobile => "mobile",
            Workload::Infra => "infra",
            Workload::Data => "data",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no workload or CI system.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{given}` is not a {what} (one of {allowed})")]
pub struct UnknownName {
    /// What was given.
    pub given: String,
    /// What it should have named.
    pub what: &'static str,
    /// The known names.
    pub allowed: String,
}

impl FromStr for Workload {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_owned(),
                what: "workload",
                allowed: Workload::ALL.map(Workload::as_str).join(", "),
            })
    }
}

/// The CI systems a template exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Ci {
    /// GitHub Actions: `.github/workflows/provenant-WORKLOAD.yml`.
    Github,
    /// GitLab CI: `.gitlab-ci.yml`.
    Gitlab,
}

impl Ci {
    /// Both CI systems.
    pub const ALL: [Ci; 2] = [Ci::Github, Ci::Gitlab];

    /// Its spelling on the command line and in template names.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Ci::Github => "github",
            Ci::Gitlab => "gitlab",
        }
    }
}

impl fmt::Display for Ci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ci {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ci::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_owned(),
                what: "CI system",
                allowed: Ci::ALL.map(Ci::as_str).join(", "),
            })
    }
}

/// A template's name, `WORKLOAD-CI` (`container-github`), as the stamp spells it.
#[must_use]
pub fn template_name(workload: Workload, ci: Ci) -> String {
    format!("{workload}-{ci}")
}

/// The pipeline file a template writes, relative to the repository root.
#[must_use]
pub fn pipeline_path(workload: Workload, ci: Ci) -> String {
    match ci {
        Ci::Github => format!(".github/workflows/provenant-{workload}.yml"),
        Ci::Gitlab => ".gitlab-ci.yml".to_owned(),
    }
}

/// Every path a pipeline of some template may live at, with its template.
#[must_use]
pub fn pipeline_paths() -> Vec<(String, Workload, Ci)> {
    let mut out = Vec::new();
    for ci in Ci::ALL {
        for workload in Workload::ALL {
            out.push((pipeline_path(workload, ci), workload, ci));
        }
    }
    out
}

/// The directory, relative to the repository root, of the policy files a pipeline uses.
pub const POLICY_DIR: &str = "provenant";

/// One file a template writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    /// Its content (UTF-8, `\n` line ends, ending in a newline).
    pub content: String,
}

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A value was refused.
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    /// An embedded template names a placeholder it has no value or part for (a defect of the template).
    #[error(transparent)]
    Render(#[from] render::RenderError),
}

/// Renders a template's files with `values` (from [`params::resolve`]), sorted by path: the pipeline,
/// `provenant/gate-policy.yaml`, `provenant/environments.yaml` and `provenant/roles.yaml`.
///
/// # Errors
/// [`TemplateError::Parameter`] when a value is outside its range (values are checked again here, so
/// that hand-built maps cannot bypass [`params::resolve`]).
pub fn render(workload: Workload, ci: Ci, values: &Values) -> Result<Vec<RenderedFile>, TemplateError> {
    let settings: Vec<(String, String)> = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let values = params::resolve(workload, ci, &settings)?;
    let name = template_name(workload, ci);
    let stamp = format!("{STAMP_PREFIX}{name}@{TEMPLATE_VERSION}\n");

    let mut pipeline = stamp.clone();
    for (k, v) in &values {
        let _ = writeln!(pipeline, "{PARAMETER_PREFIX}{k}={v}");
    }
    pipeline.push_str(&catalog::pipeline(workload, ci, &values)?);

    let mut files = vec![
        RenderedFile {
            path: pipeline_path(workload, ci),
            content: pipeline,
        },
        RenderedFile {
            path: format!("{POLICY_DIR}/gate-policy.yaml"),
            content: format!("{stamp}{}", provenant_gate::DEFAULT_POLICY),
        },
        RenderedFile {
            path: format!("{POLICY_DIR}/environments.yaml"),
            content: format!("{stamp}{}", policy_files::environments(&values)),
        },
        RenderedFile {
            path: format!("{POLICY_DIR}/roles.yaml"),
            content: format!("{stamp}{}", policy_files::roles(ci, workload, &values)),
        },
    ];
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
