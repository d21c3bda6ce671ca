//! The three scanners over one source tree, as `gate evaluate --source DIR` runs them: `secrets` (the
//! default rules, or the tree's `.gitleaks.toml` when the caller allows it and it is present, as `scan
//! secrets DIR` reads it), `hygiene` (the
//! caller's gate-checked globs) and `pinning`, each report written as SARIF 2.1.0 bytes.
//!
//! The bytes are deterministic: the same tree and globs give the same bytes whatever the directory is
//! called or where it is (results are relative to the tree, no absolute root URI is written, findings
//! are sorted).

use std::path::{Path, PathBuf};

use crate::finding::Problem;
use crate::hygiene::HygieneError;
use crate::secrets::{self, ScanError, detect::Detector};

/// One scanner's SARIF report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// `secrets`, `hygiene` or `pinning`.
    pub scanner: &'static str,
    /// The SARIF document, serialised.
    pub sarif: Vec<u8>,
    /// How many results it holds.
    pub results: usize,
}

/// Why the scanners could not give a complete report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The secrets scan could not run (root or configuration).
    #[error("secrets scan of {}: {source}", root.display())]
    Secrets {
        /// The tree.
        root: PathBuf,
        /// Why.
        source: ScanError,
    },
    /// A rule of the secrets configuration cannot be compiled, so the scan would be incomplete.
    #[error("secrets scan of {}: rule {rule_id} of {config} cannot be compiled ({field}); fix or remove it", root.display())]
    UnsupportedRule {
        /// The tree.
        root: PathBuf,
        /// The configuration's name (its path, or `default rules`).
        config: String,
        /// The rule.
        rule_id: String,
        /// The field that does not compile.
        field: String,
    },
    /// The hygiene scan could not run (a glob, or the root).
    #[error("hygiene scan of {}: {source}", root.display())]
    Hygiene {
        /// The tree.
        root: PathBuf,
        /// Why.
        source: HygieneError,
    },
    /// The pinning scan could not start.
    #[error("pinning scan of {}: {source}", root.display())]
    Pinning {
        /// The tree.
        root: PathBuf,
        /// Why.
        source: crate::finding::WalkError,
    },
    /// An entry of the tree could not be read: the scan would be incomplete.
    #[error("{scanner} scan of {}: cannot read {path}: {message}", root.display())]
    Unreadable {
        /// Which scanner.
        scanner: &'static str,
        /// The tree.
        root: PathBuf,
        /// The entry, relative to the tree (empty when the walk could not name it).
        path: String,
        /// Why.
        message: String,
    },
    /// A SARIF document could not be serialised.
    #[error("cannot write the {scanner} SARIF report: {message}")]
    Serialise {
        /// Which scanner.
        scanner: &'static str,
        /// Why.
        message: String,
    },
}

fn sarif_bytes(scanner: &'static str, run: &crate::sarif::Run) -> Result<SourceReport, SourceError> {
    let mut sarif =
        serde_json::to_vec_pretty(&crate::sarif::document(run)).map_err(|e| SourceError::Serialise {
            scanner,
            message: e.to_string(),
        })?;
    sarif.push(b'\n');
    Ok(SourceReport {
        scanner,
        sarif,
        results: run.results.len(),
    })
}

fn first_problem(scanner: &'static str, root: &Path, problems: &[Problem]) -> Result<(), SourceError> {
    match problems.first() {
        Some(p) => Err(SourceError::Unreadable {
            scanner,
            root: root.to_path_buf(),
            path: p.path.clone(),
            message: p.message.clone(),
        }),
        None => Ok(()),
    }
}

/// Runs `secrets` (the tree's `.gitleaks.toml` when `repository_config` is set and the tree has one, else
/// the default rules; decoding up to `max_decode_depth` passes), `hygiene` (with `include`, empty for the
/// scanner's defaults) and `pinning` over `root`, in that order, on `threads` threads for the secrets scan (0: one per CPU). Any entry that
/// cannot be read, and any secrets rule that cannot be compiled, is an error: a gate must never read an
/// incomplete scan as clean.
pub fn scan_source(
    root: &Path,
    include: &[String],
    repository_config: bool,
    max_decode_depth: usize,
    threads: usize,
) -> Result<[SourceReport; 3], SourceError> {
    let config = if repository_config {
        secrets::load_config(root, None)
    } else {
        secrets::config::Config::default_rules().map_err(ScanError::from)
    }
    .map_err(|source| SourceError::Secrets {
        root: root.to_path_buf(),
        source,
    })?;
    if let Some(u) = config.unsupported.first() {
        return Err(SourceError::UnsupportedRule {
            root: root.to_path_buf(),
            config: config.path.clone().unwrap_or_else(|| "default rules".to_owned()),
            rule_id: u.rule_id.clone(),
            field: u.field.clone(),
        });
    }
    let detector = Detector::new(config).with_max_decode_depth(max_decode_depth);
    let report = secrets::scan(root, &detector, threads).map_err(|source| SourceError::Secrets {
        root: root.to_path_buf(),
        source,
    })?;
    if let Some(p) = report.problems.first() {
        return Err(SourceError::Unreadable {
            scanner: "secrets",
            root: root.to_path_buf(),
            path: p.path.clone(),
            message: p.message.clone(),
        });
    }
    let secrets = sarif_bytes(
        "secrets",
        &secrets::sarif_run(detector.config(), &report.findings, None),
    )?;

    let report = crate::hygiene::scan(root, include).map_err(|source| SourceError::Hygiene {
        root: root.to_path_buf(),
        source,
    })?;
    first_problem("hygiene", root, &report.problems)?;
    let hygiene = sarif_bytes(
        "hygiene",
        &report.sarif_run("provenant-scan-hygiene", &crate::hygiene::RULES, None),
    )?;

    let report = crate::pinning::scan(root).map_err(|source| SourceError::Pinning {
        root: root.to_path_buf(),
        source,
    })?;
    first_problem("pinning", root, &report.problems)?;
    let pinning = sarif_bytes(
        "pinning",
        &report.sarif_run("provenant-scan-pinning", &crate::pinning::RULES, None),
    )?;
    Ok([secrets, hygiene, pinning])
}
