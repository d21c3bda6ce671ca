//! What `hygiene` and `pinning` report, and the walk they share.

use std::path::{Path, PathBuf};

use crate::sarif::{self, Level};

/// Files larger than this are not read by `hygiene` and `pinning` (they are reported as problems).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// One finding of `hygiene` or `pinning`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The path relative to the scanned root, `/`-separated.
    pub path: String,
    /// Line (1-based; 0 when the finding is about the whole file).
    pub line: usize,
    /// Column (1-based, Unicode scalar values; 0 with line 0).
    pub column: usize,
    /// Column after the flagged text.
    pub end_column: usize,
    /// The rule.
    pub rule_id: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// A rule of `hygiene` or `pinning`.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Its id.
    pub id: &'static str,
    /// One sentence.
    pub description: &'static str,
    /// Its SARIF level.
    pub level: Level,
}

/// A file or directory that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The path relative to the root.
    pub path: String,
    /// Why.
    pub message: String,
}

/// Findings and problems of one scan, sorted.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Findings sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files examined.
    pub files_scanned: u64,
    /// Entries that could not be read: the scan is incomplete.
    pub problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn finish(mut self) -> Report {
        self.findings.sort();
        self.findings.dedup();
        self.problems
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        self
    }

    /// The SARIF run: `rules` in order, one result per finding.
    #[must_use]
    pub fn sarif_run(&self, tool: &str, rules: &[RuleInfo], root_uri: Option<String>) -> sarif::Run {
        let results = self
            .findings
            .iter()
            .map(|f| sarif::Result {
                rule_id: f.rule_id.clone(),
                level: rules
                    .iter()
                    .find(|r| r.id == f.rule_id)
                    .map_or(Level::Warning, |r| r.level),
                message: f.message.clone(),
                path: f.path.clone(),
                region: (f.line > 0).then_some(sarif::Region {
                    start_line: f.line,
                    start_column: f.column,
                    end_line: f.line,
                    end_column: f.end_column,
                }),
                fingerprint: format!("{}:{}:{}", f.rule_id, f.path, f.line),
            })
            .collect();
        sarif::Run {
            tool: tool.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            rules: rules
                .iter()
                .map(|r| sarif::Rule {
                    id: r.id.to_owned(),
                    description: r.description.to_owned(),
                    level: r.level,
                })
                .collect(),
            results,
            root_uri,
        }
    }
}

/// Why a walk could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The root is not a readable directory.
    #[error("cannot read the directory {}: {source}", path.display())]
    Root {
        /// The root.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Directories never entered: dependencies and build output, not the project's own files.
const SKIPPED_DIRS: [&str; 9] = [
    ".git",
    "node_modules",
    "vendor",
    "target",
    "dist",
    "build",
    ".venv",
    "venv",
    "__pycache__",
];

/// Every regular file under `root` (not following symbolic links, honouring `.gitignore` as git
/// would for a checkout, never entering [`SKIPPED_DIRS`]), as (relative path, absolute path), sorted.
pub fn walk(root: &Path, problems: &mut Vec<Problem>) -> Result<Vec<(String, PathBuf)>, WalkError> {
    let meta = std::fs::metadata(root).map_err(|source| WalkError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(WalkError::Root {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .ignore(false)
        .parents(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((rel, e.path().to_path_buf()));
            }
            Ok(_) => {}
            Err(e) => problems.push(Problem {
                path: String::new(),
                message: e.to_string(),
            }),
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a file of at most [`MAX_FILE_BYTES`] as text (invalid UTF-8 replaced); `None` with a problem
/// recorded when it cannot be read.
pub(crate) fn read_text(rel: &str, path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    use std::io::Read as _;
    let result = std::fs::File::open(path).and_then(|f| {
        let mut bytes = Vec::new();
        f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    match result {
        Ok(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => {
            problems.push(Problem {
                path: rel.to_owned(),
                message: format!("larger than {MAX_FILE_BYTES} bytes"),
            });
            None
        }
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            problems.push(Problem {
                path: rel.to_owned(),
                message: e.to_string(),
            });
            None
        }
    }
}

/// Column (1-based, in Unicode scalar values) of byte `offset` in `line`.
pub(crate) fn column(line: &str, offset: usize) -> usize {
    line.get(..offset).map_or(1, |s| s.chars().count() + 1)
}
