//! Drift: a pipeline or policy file that no longer matches what its template renders.
//!
//! The pipeline file's stamp names the template and version, and its parameter lines the values it was
//! rendered with; [`check`] renders the template again with them and compares every file.

use std::collections::BTreeMap;

use crate::params::{self, ParameterError, Values};
use crate::{Ci, PARAMETER_PREFIX, RenderedFile, STAMP_PREFIX, TEMPLATE_VERSION, TemplateError, Workload};

/// What a pipeline file's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The workload of the template.
    pub workload: Workload,
    /// The CI system of the template.
    pub ci: Ci,
    /// The template version it was rendered from.
    pub version: String,
    /// The parameters it was rendered with, as recorded.
    pub settings: Vec<(String, String)>,
}

/// Why a file's stamp could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StampError {
    /// The first line is not a stamp.
    #[error(
        "{path}: the first line is not `{STAMP_PREFIX}NAME@VERSION`, so no template is known for it (write one with provenant init)"
    )]
    Missing {
        /// The file.
        path: String,
    },
    /// The stamp names no known template.
    #[error("{path}: the stamp names `{name}`, which is no template (WORKLOAD-CI, such as container-github)")]
    UnknownTemplate {
        /// The file.
        path: String,
        /// The name given.
        name: String,
    },
    /// A recorded parameter is malformed, unknown or out of range.
    #[error("{path}, line {line}: {source}")]
    Parameter {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// Why.
        source: ParameterError,
    },
}

/// Reads the stamp and parameter lines at the top of a pipeline file.
///
/// # Errors
/// A [`StampError`] naming the file and what is wrong.
pub fn read_stamp(path: &str, content: &str) -> Result<Stamp, StampError> {
    let mut lines = content.lines();
    let first = lines.next().unwrap_or_default();
    let stamp = first
        .strip_prefix(STAMP_PREFIX)
        .ok_or_else(|| StampError::Missing {
            path: path.to_owned(),
        })?;
    let (name, version) = stamp.split_once('@').ok_or_else(|| StampError::Missing {
        path: path.to_owned(),
    })?;
    let unknown = || StampError::UnknownTemplate {
        path: path.to_owned(),
        name: name.to_owned(),
    };
    let (w, c) = name.rsplit_once('-').ok_or_else(unknown)?;
    let workload: Workload = w.parse().map_err(|_| unknown())?;
    let ci: Ci = c.parse().map_err(|_| unknown())?;
    let mut settings = Vec::new();
    for (i, line) in lines.enumerate() {
        let Some(assignment) = line.strip_prefix(PARAMETER_PREFIX) else {
            break;
        };
        let pair = params::split_assignment(assignment).map_err(|source| StampError::Parameter {
            path: path.to_owned(),
            line: i + 2,
            source,
        })?;
        settings.push(pair);
    }
    Ok(Stamp {
        workload,
        ci,
        version: version.to_owned(),
        settings,
    })
}

/// How one file drifted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftKind {
    /// The template writes it; it is not there.
    Missing,
    /// It differs: a unified diff from the template's rendering (`a/PATH`) to the file (`b/PATH`).
    Changed {
        /// The unified diff.
        diff: String,
    },
}

/// One file that no longer matches its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The file, relative to the repository root.
    pub path: String,
    /// How.
    pub kind: DriftKind,
}

/// The result of a drift check of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The stamp read from the pipeline file.
    pub stamp: Stamp,
    /// The values the template was rendered with again.
    pub values: Values,
    /// The files compared, sorted.
    pub checked: Vec<String>,
    /// The files that drifted, sorted.
    pub drifted: Vec<Drift>,
}

/// Why a drift check could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The pipeline's stamp is unreadable.
    #[error(transparent)]
    Stamp(#[from] StampError),
    /// The recorded parameters cannot be rendered.
    #[error("{path}: {source}")]
    Template {
        /// The pipeline file.
        path: String,
        /// Why.
        source: TemplateError,
    },
}

/// The unified diff between the rendering and a file, with three lines of context.
#[must_use]
pub fn unified_diff(path: &str, expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Renders the template named by `pipeline`'s stamp again and compares every file it writes with
/// `read(path)` (the file's content, or `None` when it does not exist).
///
/// # Errors
/// A [`CheckError`] when the stamp cannot be read or its parameters are refused.
pub fn check(
    pipeline_path: &str,
    pipeline: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Report, CheckError> {
    let stamp = read_stamp(pipeline_path, pipeline)?;
    let template_error = |source| CheckError::Template {
        path: pipeline_path.to_owned(),
        source,
    };
    let values = params::resolve(stamp.workload, stamp.ci, &stamp.settings)
        .map_err(|e| template_error(TemplateError::Parameter(e)))?;
    let files = crate::render(stamp.workload, stamp.ci, &values).map_err(template_error)?;
    Ok(compare(stamp, values, &files, read))
}

fn compare(
    stamp: Stamp,
    values: Values,
    files: &[RenderedFile],
    read: &dyn Fn(&str) -> Option<String>,
) -> Report {
    let mut drifted = Vec::new();
    let mut checked = Vec::new();
    for file in files {
        checked.push(file.path.clone());
        match read(&file.path) {
            None => drifted.push(Drift {
                path: file.path.clone(),
                kind: DriftKind::Missing,
            }),
            Some(actual) if actual != file.content => drifted.push(Drift {
                path: file.path.clone(),
                kind: DriftKind::Changed {
                    diff: unified_diff(&file.path, &file.content, &actual),
                },
            }),
            Some(_) => {}
        }
    }
    Report {
        stamp,
        values,
        checked,
        drifted,
    }
}

/// Whether the stamp's version is the current template version.
#[must_use]
pub fn is_current(stamp: &Stamp) -> bool {
    stamp.version == TEMPLATE_VERSION
}

/// The recorded settings as a map, for reports.
#[must_use]
pub fn settings_map(stamp: &Stamp) -> BTreeMap<String, String> {
    stamp.settings.iter().cloned().collect()
}
