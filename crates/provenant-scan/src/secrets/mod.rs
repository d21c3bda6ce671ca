//! `scan secrets`: gitleaks-compatible secret detection over a directory, in parallel.
//!
//! What is scanned follows `gitleaks dir` 8.30: every file under the root (`.gitignore` is not
//! consulted, hidden files are scanned, symbolic links are not followed), except empty files, paths
//! matched by a global allowlist, archives recognised by name, binary files recognised by signature and
//! the configuration file itself. Findings listed in a `.gitleaksignore` at the root are dropped.

pub mod config;
pub mod decode;
pub mod detect;
pub mod entropy;
pub mod report;
pub mod source;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use config::{Config, ConfigError, ExtendError, ExtendResolver};
use detect::{Detector, Fragment};

pub use crate::finding::Problem;

/// A secret found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule that matched.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// The path as gitleaks reports it (the root as given, joined with the relative path).
    #[serde(skip)]
    pub file: String,
    /// The path relative to the scanned root, `/`-separated.
    pub path: String,
    /// First line of the match (1-based; 0 for a finding on the file name).
    pub start_line: usize,
    /// Last line of the match.
    pub end_line: usize,
    /// gitleaks' start column (it counts from the previous newline character).
    #[serde(skip)]
    pub start_column: usize,
    /// gitleaks' end column.
    #[serde(skip)]
    pub end_column: usize,
    /// Start column (1-based, Unicode scalar values).
    #[serde(rename = "startColumn")]
    pub column: usize,
    /// End column, exclusive (1-based, Unicode scalar values).
    #[serde(rename = "endColumn")]
    pub end_column_exclusive: usize,
    /// The text the rule matched (never written out unredacted).
    #[serde(skip)]
    pub matched: String,
    /// The secret (never written out unredacted).
    #[serde(skip)]
    pub secret: String,
    /// Shannon entropy of the secret.
    pub entropy: f32,
    /// The rule's tags.
    pub tags: Vec<String>,
}

/// The placeholder every output writes instead of a secret.
pub const REDACTED: &str = "REDACTED";

impl Finding {
    /// The match with every occurrence of the secret replaced by [`REDACTED`].
    #[must_use]
    pub fn redacted_match(&self) -> String {
        if self.secret.is_empty() {
            self.matched.clone()
        } else {
            self.matched.replace(&self.secret, REDACTED)
        }
    }

    /// gitleaks' fingerprint for a directory scan: `file:rule:line`.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        format!("{}:{}:{}", self.file, self.rule_id, self.start_line)
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Recognised as binary by its first bytes.
    Binary,
    /// Recognised as an archive by its name.
    Archive,
}

/// What a scan found.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Findings sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Files skipped, with why, sorted.
    pub skipped: Vec<(String, SkipReason)>,
    /// Files or directories that could not be read.
    pub problems: Vec<Problem>,
}

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The root does not exist or cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Root {
        /// The root.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A configuration file could not be read.
    #[error("cannot read the configuration {}: {source}", path.display())]
    ConfigFile {
        /// Its path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads `[extend] path` relative to the extending file's directory.
struct FileResolver {
    base: PathBuf,
}

impl ExtendResolver for FileResolver {
    fn read(&self, path: &str) -> Result<String, ExtendError> {
        let p = self.base.join(path);
        read_bounded(&p).map_err(ExtendError::Read)
    }
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = File::open(path)?;
    let mut text = String::new();
    file.take(config::MAX_CONFIG_BYTES as u64 + 1)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Loads the configuration for a scan of `root`: `explicit` when given, else `.gitleaks.toml` in the
/// root when present, else Provenant's default rules. `explicit` as written is remembered (gitleaks
/// does not scan its own configuration file).
pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Config, ScanError> {
    let (path, shown) = if let Some(p) = explicit {
        (p.to_path_buf(), p.to_string_lossy().into_owned())
    } else {
        let candidate = root.join(".gitleaks.toml");
        if !candidate.is_file() {
            return Ok(Config::default_rules()?);
        }
        let shown = std::path::absolute(&candidate)
            .unwrap_or(candidate.clone())
            .to_string_lossy()
            .into_owned();
        (candidate, shown)
    };
    let text = read_bounded(&path).map_err(|source| ScanError::ConfigFile {
        path: path.clone(),
        source,
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut config = Config::parse(&text, &shown, &FileResolver { base })?;
    config.path = Some(shown);
    Ok(config)
}

/// Go's `filepath.Clean` for `/`-separated paths.
#[must_use]
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

fn display_path(clean_root: &str, rel: &str) -> String {
    match clean_root {
        "." => rel.to_owned(),
        "/" => format!("/{rel}"),
        root => format!("{root}/{rel}"),
    }
}

fn read_ignore_file(root: &Path) -> BTreeSet<String> {
    let Ok(text) = read_bounded(&root.join(".gitleaksignore")) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.replace('\\', "/"))
        .collect()
}

#[derive(Default)]
struct Shared {
    findings: Vec<Finding>,
    files: u64,
    bytes: u64,
    skipped: Vec<(String, SkipReason)>,
    problems: Vec<Problem>,
}

/// Scans `root` (a directory or a single file) with `detector`, on `threads` threads (0: one per CPU).
#[allow(clippy::too_many_lines)] // the walk's set-up and its visitor read best together
pub fn scan(root: &Path, detector: &Detector, threads: usize) -> Result<Report, ScanError> {
    let meta = std::fs::metadata(root).map_err(|source| ScanError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let root_str = root.to_string_lossy().replace('\\', "/");
    let clean_root = go_clean(&root_str);
    let ignored = if meta.is_dir() {
        read_ignore_file(root)
    } else {
        BTreeSet::new()
    };
    let shared = Mutex::new(Shared::default());

    if !meta.is_dir() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if meta.len() > 0 && !detector.walk_skips(&clean_root) {
            scan_file(root, &clean_root, &name, detector, &shared);
        }
    } else if !detector.walk_skips(&clean_root) {
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .hidden(false)
            .parents(false)
            .ignore(false)
            .git_ignore(false)
            .git_global(false)
            .git_exclude(false)
            .follow_links(false)
            .threads(threads);
        // The walk's filter must own what it uses: the global allowlists' path patterns, so that an
        // allowlisted directory is never entered (gitleaks' SkipDir).
        let root_buf = root.to_path_buf();
        let skip_root = clean_root.clone();
        let skip_paths: Vec<regex::bytes::Regex> = detector
            .config()
            .allowlists
            .iter()
            .filter_map(|a| a.paths.clone())
            .collect();
        builder.filter_entry(move |entry| {
            let rel = relative(&root_buf, entry.path());
            if rel.is_empty() {
                return true;
            }
            let file = display_path(&skip_root, &rel);
            !skip_paths.iter().any(|re| re.is_match(file.as_bytes()))
        });
        builder.build_parallel().run(|| {
            let shared = &shared;
            let clean_root = clean_root.clone();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let Some(ft) = entry.file_type() else {
                            return ignore::WalkState::Continue;
                        };
                        if ft.is_file() {
                            let rel = relative(root, entry.path());
                            let file = display_path(&clean_root, &rel);
                            if detector.walk_skips(&file) {
                                return ignore::WalkState::Continue;
                            }
                            match entry.metadata() {
                                Ok(m) if m.len() == 0 => {}
                                Ok(_) => scan_file(entry.path(), &file, &rel, detector, shared),
                                Err(e) => push_problem(shared, &rel, &e.to_string()),
                            }
                        }
                    }
                    Err(e) => {
                        let path = e.to_string();
                        push_problem(shared, "", &path);
                    }
                }
                ignore::WalkState::Continue
            })
        });
    }

    let shared = shared
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut findings: Vec<Finding> = shared
        .findings
        .into_iter()
        .filter(|f| !ignored.contains(&f.fingerprint()))
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, a.start_line, a.column, &a.rule_id, &a.secret).cmp(&(
            &b.path,
            b.start_line,
            b.column,
            &b.rule_id,
            &b.secret,
        ))
    });
    let mut skipped = shared.skipped;
    skipped.sort();
    let mut problems = shared.problems;
    problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    Ok(Report {
        findings,
        files_scanned: shared.files,
        bytes_scanned: shared.bytes,
        skipped,
        problems,
    })
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&c.as_os_str().to_string_lossy());
    }
    out
}

fn push_problem(shared: &Mutex<Shared>, path: &str, message: &str) {
    if let Ok(mut s) = shared.lock() {
        s.problems.push(Problem {
            path: path.to_owned(),
            message: message.to_owned(),
        });
    }
}

fn scan_file(path: &Path, file: &str, rel: &str, detector: &Detector, shared: &Mutex<Shared>) {
    if detector.file_allowed(file) {
        return;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if source::is_archive_name(name) {
        if let Ok(mut s) = shared.lock() {
            s.skipped.push((rel.to_owned(), SkipReason::Archive));
        }
        return;
    }
    let handle = match File::open(path) {
        Ok(h) => h,
        Err(e) => return push_problem(shared, rel, &e.to_string()),
    };
    let mut findings = Vec::new();
    let mut bytes = 0u64;
    let outcome = source::pieces(handle, |raw, start_line| {
        bytes += raw.len() as u64;
        findings.extend(detector.detect(&Fragment {
            raw,
            file,
            path: rel,
            start_line,
        }));
    });
    let Ok(mut s) = shared.lock() else { return };
    match outcome {
        Ok(source::Read2::Done) => {
            s.files += 1;
            s.bytes += bytes;
            s.findings.append(&mut findings);
        }
        Ok(source::Read2::Binary) => s.skipped.push((rel.to_owned(), SkipReason::Binary)),
        Err(e) => s.problems.push(Problem {
            path: rel.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// The SARIF run of a secrets scan: every rule of the configuration (sorted by id), one result per
/// finding at its region (a finding on a file name has no region), secrets redacted.
#[must_use]
pub fn sarif_run(config: &Config, findings: &[Finding], root_uri: Option<String>) -> crate::sarif::Run {
    use crate::sarif::{Level, Region, Result as SarifResult, Rule as SarifRule, Run};
    let mut rules: Vec<SarifRule> = config
        .rules
        .iter()
        .map(|r| SarifRule {
            id: r.id.clone(),
            description: r.description.clone(),
            level: Level::Error,
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    let results = findings
        .iter()
        .map(|f| SarifResult {
            rule_id: f.rule_id.clone(),
            level: Level::Error,
            message: if f.start_line == 0 {
                format!("{} ({}): the file name matches", f.description, f.rule_id)
            } else {
                format!("{} ({}): {}", f.description, f.rule_id, f.redacted_match())
            },
            path: f.path.clone(),
            region: (f.start_line > 0).then_some(Region {
                start_line: f.start_line,
                start_column: f.column,
                end_line: f.end_line,
                end_column: f.end_column_exclusive,
            }),
            fingerprint: format!("{}:{}:{}", f.rule_id, f.path, f.start_line),
        })
        .collect();
    Run {
        tool: "provenant-scan-secrets".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        rules,
        results,
        root_uri,
    }
}

#[cfg(test)]
mod tests {
    use super::go_clean;

    #[test]
    fn clean_like_go() {
        assert_eq!(go_clean("./a/b/"), "a/b");
        assert_eq!(go_clean("."), ".");
        assert_eq!(go_clean("/tmp//x/../y"), "/tmp/y");
        assert_eq!(go_clean("../a"), "../a");
    }
}
