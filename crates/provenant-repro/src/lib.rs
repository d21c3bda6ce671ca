//! Reproducible-build checks.
//!
//! [`check`] copies a source tree into separate temporary build directories, runs the build once as a
//! control and then again under varied conditions ([`Variation`]: the clock, the build path, the umask,
//! the locale, the time zone, the environment order, `HOME`, the user, the host name, the CPU count and
//! the file-system order), collects the artefacts, digests them and compares the digests. A variation
//! this machine cannot apply (a missing tool, missing privilege) is reported in
//! [`Report::not_applied`] with the reason, never dropped silently. `SOURCE_DATE_EPOCH` is the last
//! commit's time unless disabled.
//!
//! A build that fails is a [`CheckError::BuildFailed`], not a verdict; a pattern that matches no
//! artefact is a [`CheckError::MissingArtifacts`]. Nothing outside the temporary directory is written:
//! the source is copied once into it before any build runs.
//!
//! ```no_run
//! use provenant_repro::{CheckOptions, check};
//!
//! let mut options = CheckOptions::new("sample".into(), vec!["./build.sh".into()]);
//! options.artifacts = vec!["out/hello".to_owned()];
//! let report = check(&options)?;
//! println!("reproducible: {}", report.reproducible);
//! # Ok::<(), provenant_repro::CheckError>(())
//! ```
#![forbid(unsafe_code)]

mod collect;
pub mod predicate;
pub mod rebuild;
mod run;
mod source;
mod variation;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use provenant_digest::{Algorithm, Digest, NoProgress};
use serde::{Deserialize, Serialize};

pub use source::{EpochOrigin, GitSource};
pub use variation::{Applied, NotApplied, UnknownVariation, Variation};

use collect::Selector;

/// Most builds one check may run.
pub const MAX_RUNS: u32 = 32;

/// What to check and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The source tree (copied, never written).
    pub source: PathBuf,
    /// The build command and its arguments, run in the copy of the source tree.
    pub command: Vec<OsString>,
    /// Builds in total, the control included (at least 2).
    pub runs: u32,
    /// The variations requested.
    pub variations: BTreeSet<Variation>,
    /// Artefact globs relative to the build directory; empty means every file the build created or
    /// changed.
    pub artifacts: Vec<String>,
    /// Set `SOURCE_DATE_EPOCH` from the last commit (or keep the caller's) in every build.
    pub source_date_epoch: bool,
    /// The digest algorithm for artefacts and the source tree.
    pub algorithm: Algorithm,
    /// A pattern matching nothing is recorded as a missing artefact, not an error (the rebuilder).
    pub(crate) allow_missing: bool,
}

impl CheckOptions {
    /// Two builds, every variation, artefacts found automatically, `SOURCE_DATE_EPOCH` from git.
    #[must_use]
    pub fn new(source: PathBuf, command: Vec<OsString>) -> CheckOptions {
        CheckOptions {
            source,
            command,
            runs: 2,
            variations: Variation::ALL.into_iter().collect(),
            artifacts: Vec::new(),
            source_date_epoch: true,
            algorithm: Algorithm::Sha256,
            allow_missing: false,
        }
    }
}

/// A check could not reach a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The options are unusable.
    #[error("invalid options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: String,
    },
    /// An artefact glob does not parse.
    #[error("invalid artefact pattern: {0}")]
    Pattern(#[from] globset::Error),
    /// The build command failed in one of the runs.
    #[error("build failed in run {run} ({role}): {status}; the end of its output:\n{log_tail}")]
    BuildFailed {
        /// 0 is the control.
        run: u32,
        /// "control" or "varied".
        role: Role,
        /// The exit status.
        status: String,
        /// The last few kilobytes of the build's combined output.
        log_tail: String,
    },
    /// The build command could not be started.
    #[error("cannot start the build command in run {run}: {source}")]
    Spawn {
        /// 0 is the control.
        run: u32,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Artefact patterns matched nothing after a build.
    #[error("no artefact matches {} after run {run} ({role}): {}", .patterns.join(", "), if .patterns.is_empty() { "the build created or changed no file" } else { "check the --artifact patterns" })]
    MissingArtifacts {
        /// 0 is the control.
        run: u32,
        /// "control" or "varied".
        role: Role,
        /// The patterns that matched nothing (empty when none were given and no file changed).
        patterns: Vec<String>,
    },
    /// A file-system step failed.
    #[error("{what} ({path}): {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Digesting the source or an artefact failed.
    #[error(transparent)]
    Digest(#[from] provenant_digest::HashError),
    /// A varied build could not be set up (for example a disorderfs mount that failed mid-check).
    #[error("cannot set up run {run}: {reason}")]
    Setup {
        /// 0 is the control.
        run: u32,
        /// What failed.
        reason: String,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CheckError + use<> {
    let path = path.to_path_buf();
    move |source| CheckError::Io { what, path, source }
}

/// Whether a run is the control or a varied one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Run 0, with fixed settings.
    Control,
    /// Runs 1.., under the applied variations.
    Varied,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Control => "control",
            Role::Varied => "varied",
        })
    }
}

/// The source that was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The directory given.
    pub path: PathBuf,
    /// Tree digest (docs/tree-digest.md) of the source tree without its `.git` directory.
    pub digest: Digest,
    /// The git state, when the source is a git work tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitSource>,
}

/// One artefact of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunArtifact {
    /// Path relative to the build directory.
    pub path: String,
    /// Content digest (tree digest for a directory).
    pub digest: Digest,
}

/// One build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// 0 is the control.
    pub index: u32,
    /// Control or varied.
    pub role: Role,
    /// The directory the build ran in (removed afterwards).
    pub build_dir: PathBuf,
    /// Wall time of the build command alone, in milliseconds.
    pub build_ms: u64,
    /// What was collected, sorted by path.
    pub artifacts: Vec<RunArtifact>,
}

/// The verdict on one artefact path across all runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactVerdict {
    /// Path relative to the build directory.
    pub path: String,
    /// True when every run produced it with the same digest.
    pub reproducible: bool,
    /// Its digest in each run, by run index (`None`: that run did not produce it).
    pub digests: Vec<Option<Digest>>,
}

/// How one artefact of a varied run differs from the control's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Path relative to the build directory.
    pub artifact: String,
    /// The varied run compared with the control (run 0).
    pub run: u32,
    /// The comparison, when both files could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<provenant_diff::Comparison>,
    /// Why there is no comparison (the artefact is missing in one run, or unreadable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A diffoscope HTML report for one differing artefact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffoscopeReport {
    /// Path relative to the build directory.
    pub artifact: String,
    /// The varied run compared with the control.
    pub run: u32,
    /// The HTML file written, when diffoscope ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<PathBuf>,
    /// Why no report was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Most explanations computed in one check.
const MAX_EXPLANATIONS: usize = 64;

/// Where the time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// The whole check, in milliseconds.
    pub total_ms: u64,
    /// The build commands alone.
    pub builds_ms: u64,
    /// Everything else: copying, probing, mounting, collecting, digesting, comparing.
    pub overhead_ms: u64,
}

/// The result of [`check`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// True when every artefact has the same digest in every run.
    pub reproducible: bool,
    /// The source that was built.
    pub source: SourceInfo,
    /// The build command.
    pub command: Vec<String>,
    /// `SOURCE_DATE_EPOCH` given to every build, if any.
    pub source_date_epoch: Option<i64>,
    /// Where it came from.
    pub source_date_epoch_origin: EpochOrigin,
    /// Variations applied, with the control and varied settings.
    pub applied: Vec<Applied>,
    /// Variations requested but not applied, with the reason.
    pub not_applied: Vec<NotApplied>,
    /// Every build.
    pub runs: Vec<RunReport>,
    /// Every artefact path, sorted.
    pub artifacts: Vec<ArtifactVerdict>,
    /// How each differing artefact differs from the control, run by run.
    pub explanations: Vec<Explanation>,
    /// diffoscope HTML reports written by [`Report::run_diffoscope`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffoscope: Vec<DiffoscopeReport>,
    /// Time spent.
    pub timing: Timing,
    /// Where the artefacts of each run are kept until the [`Report`] is dropped (by run index);
    /// used to explain differences.
    #[serde(skip)]
    pub kept: Vec<PathBuf>,
    /// Hints for explaining differences: what was varied, control value and varied value.
    #[serde(skip)]
    pub hints: Vec<Hint>,
    #[serde(skip)]
    _scratch: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// A value the check knows it varied, used to explain a difference (for example the build path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The variation.
    pub variation: Variation,
    /// Run index of the varied value.
    pub run: u32,
    /// The value in the control.
    pub control: Vec<u8>,
    /// The value in run `run`.
    pub varied: Vec<u8>,
}

impl Report {
    /// The artefacts that differ between runs.
    pub fn differing(&self) -> impl Iterator<Item = &ArtifactVerdict> {
        self.artifacts.iter().filter(|a| !a.reproducible)
    }

    /// Where run `run` kept artefact `path`, while the report lives.
    #[must_use]
    pub fn kept_path(&self, run: u32, path: &str) -> Option<PathBuf> {
        let p = self.kept.get(run as usize)?.join(path);
        p.symlink_metadata().is_ok().then_some(p)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn validate(options: &CheckOptions, min_runs: u32) -> Result<Selector, CheckError> {
    let invalid = |reason: String| Err(CheckError::InvalidOptions { reason });
    if options.command.is_empty() {
        return invalid("no build command given".to_owned());
    }
    if options.runs < min_runs || options.runs > MAX_RUNS {
        return invalid(format!(
            "--runs must be between 2 and {MAX_RUNS} (the control and at least one varied build), got {}",
            options.runs
        ));
    }
    if !options.source.is_dir() {
        return invalid(format!("source {} is not a directory", options.source.display()));
    }
    if options
        .artifacts
        .iter()
        .any(|p| p.starts_with('/') || p.split('/').any(|c| c == ".."))
    {
        return invalid("artefact patterns must be relative to the build directory, without '..'".to_owned());
    }
    if options.artifacts.is_empty() {
        Ok(Selector::Changed)
    } else {
        Ok(Selector::globs(&options.artifacts)?)
    }
}

/// Builds `options.source` `options.runs` times under the requested variations and compares the
/// artefacts.
pub fn check(options: &CheckOptions) -> Result<Report, CheckError> {
    build(options, 2)
}

/// [`check`] with a lower bound on the number of runs (1 for a plain rebuild).
// The check reads best as one sequence of steps: snapshot, plan, runs, verdicts.
#[allow(clippy::too_many_lines)]
pub(crate) fn build(options: &CheckOptions, min_runs: u32) -> Result<Report, CheckError> {
    let started = Instant::now();
    let selector = validate(options, min_runs)?;
    let source_path = std::fs::canonicalize(&options.source)
        .map_err(io_err("cannot resolve the source directory", &options.source))?;
    let scratch = tempfile::Builder::new()
        .prefix("provenant-repro.")
        .tempdir()
        .map_err(io_err(
            "cannot create a temporary directory",
            &std::env::temp_dir(),
        ))?;
    let root = scratch.path().to_path_buf();

    // Snapshot the source once: every run copies this, so the source is read once and never written.
    let snapshot = root.join("source");
    let git_snapshot = root.join("source.git");
    run::copy_tree(&options.source, &snapshot, &[".git"])
        .map_err(io_err("cannot copy the source tree", &options.source))?;
    let has_git = options.source.join(".git").exists();
    if has_git {
        let dot_git = options.source.join(".git");
        if dot_git.is_dir() {
            run::copy_tree(&dot_git, &git_snapshot, &[])
                .map_err(io_err("cannot copy the git directory", &dot_git))?;
        }
    }
    let digest = provenant_digest::tree::digest_tree(options.algorithm, &snapshot, &NoProgress)
        .map_err(provenant_digest::HashError::from)?
        .digest;
    let git = source::git_source(&options.source);

    let (source_date_epoch, origin) = if !options.source_date_epoch {
        (None, EpochOrigin::Disabled)
    } else if let Some(g) = &git {
        (Some(g.commit_time), EpochOrigin::GitCommit)
    } else if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        (Some(v), EpochOrigin::Environment)
    } else {
        (None, EpochOrigin::Unavailable)
    };
    let mut base_env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| k != "SOURCE_DATE_EPOCH")
        .collect();
    if let Some(sde) = source_date_epoch {
        base_env.push(("SOURCE_DATE_EPOCH".into(), sde.to_string().into()));
    }

    let plan = variation::plan(&options.variations, &root);
    for na in &plan.not_applied {
        tracing::warn!("variation {} not applied: {}", na.variation, na.reason);
    }

    let mut runs = Vec::new();
    let mut kept = Vec::new();
    let mut hints = Vec::new();
    let mut control_spec: Option<run::RunSpec> = None;
    for index in 0..options.runs {
        let role = if index == 0 { Role::Control } else { Role::Varied };
        let spec = run::spec(&plan, &root, index, &base_env);
        tracing::info!(
            "build {}/{} ({role}) in {}",
            index + 1,
            options.runs,
            spec.build_dir.display()
        );
        let (report, keep) = one_run(
            options,
            &plan,
            &root,
            &spec,
            role,
            &snapshot,
            has_git.then_some(&git_snapshot),
            &selector,
        )?;
        if let Some(control) = &control_spec {
            hints.extend(run_hints(&plan, control, &spec));
        } else {
            control_spec = Some(spec.clone());
        }
        runs.push(report);
        kept.push(keep);
    }

    let artifacts = verdicts(&runs);
    let reproducible = artifacts.iter().all(|a| a.reproducible);
    let explanations = explain(&artifacts, &kept, &hints);
    let total = started.elapsed();
    let builds_ms: u64 = runs.iter().map(|r| r.build_ms).sum();
    let total_ms = millis(total);
    Ok(Report {
        reproducible,
        source: SourceInfo {
            path: source_path,
            digest,
            git,
        },
        command: run::display_command(&options.command),
        source_date_epoch,
        source_date_epoch_origin: origin,
        applied: plan.applied.clone(),
        not_applied: plan.not_applied.clone(),
        runs,
        artifacts,
        explanations,
        diffoscope: Vec::new(),
        timing: Timing {
            total_ms,
            builds_ms,
            overhead_ms: total_ms.saturating_sub(builds_ms),
        },
        kept,
        hints,
        _scratch: Some(std::sync::Arc::new(scratch)),
    })
}

/// Explains every differing artefact of every varied run against the control.
fn explain(artifacts: &[ArtifactVerdict], kept: &[PathBuf], hints: &[Hint]) -> Vec<Explanation> {
    let mut out = Vec::new();
    for a in artifacts.iter().filter(|a| !a.reproducible) {
        let control = a.digests.first().copied().flatten();
        for (run, digest) in a.digests.iter().enumerate().skip(1) {
            if *digest == control || out.len() >= MAX_EXPLANATIONS {
                continue;
            }
            let run = u32::try_from(run).unwrap_or(u32::MAX);
            let (Some(_), Some(_)) = (control, digest) else {
                let which = if control.is_none() {
                    "the control"
                } else {
                    "this run"
                };
                out.push(Explanation {
                    artifact: a.path.clone(),
                    run,
                    comparison: None,
                    error: Some(format!("not produced by {which}")),
                });
                continue;
            };
            let (Some(first), Some(second)) = (
                kept.first().map(|k| k.join(&a.path)),
                kept.get(run as usize).map(|k| k.join(&a.path)),
            ) else {
                continue;
            };
            let mut options = provenant_diff::Options::default();
            options.hints = hints
                .iter()
                .filter(|h| h.run == run)
                .map(|h| provenant_diff::Hint {
                    kind: match h.variation {
                        Variation::Hostname => provenant_diff::Kind::Hostname,
                        Variation::User => provenant_diff::Kind::User,
                        _ => provenant_diff::Kind::EmbeddedPath,
                    },
                    first: h.control.clone(),
                    second: h.varied.clone(),
                })
                .collect();
            let (comparison, error) = match provenant_diff::compare_paths(&first, &second, &options) {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e.to_string())),
            };
            out.push(Explanation {
                artifact: a.path.clone(),
                run,
                comparison,
                error,
            });
        }
    }
    out
}

impl Report {
    /// Runs diffoscope on each differing artefact (control against each varied run), writing HTML
    /// reports into `out_dir`; the results are recorded in [`Report::diffoscope`].
    pub fn run_diffoscope(&mut self, out_dir: &Path) -> Result<(), CheckError> {
        std::fs::create_dir_all(out_dir)
            .map_err(io_err("cannot create the diffoscope directory", out_dir))?;
        let program = variation::which("diffoscope");
        let mut results = Vec::new();
        for e in &self.explanations {
            let name = format!("{}.run0-vs-run{}.html", e.artifact.replace('/', "_"), e.run);
            let html = out_dir.join(name);
            let (first, second) = (self.kept_path(0, &e.artifact), self.kept_path(e.run, &e.artifact));
            let result = match (&program, first, second) {
                (None, _, _) => Err("diffoscope is not installed (apt-get install diffoscope)".to_owned()),
                (_, None, _) | (_, _, None) => Err("the artefact is missing in one of the runs".to_owned()),
                (Some(p), Some(a), Some(b)) => std::process::Command::new(p)
                    .arg("--html")
                    .arg(&html)
                    .arg(&a)
                    .arg(&b)
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| e.to_string())
                    .and_then(|o| match o.status.code() {
                        // diffoscope exits 1 when it found differences, which it reports.
                        Some(0 | 1) if html.is_file() => Ok(()),
                        _ => Err(format!(
                            "diffoscope failed ({}): {}",
                            o.status,
                            String::from_utf8_lossy(&o.stderr)
                                .lines()
                                .last()
                                .unwrap_or_default()
                        )),
                    }),
            };
            results.push(match result {
                Ok(()) => DiffoscopeReport {
                    artifact: e.artifact.clone(),
                    run: e.run,
                    html: Some(html),
                    error: None,
                },
                Err(error) => DiffoscopeReport {
                    artifact: e.artifact.clone(),
                    run: e.run,
                    html: None,
                    error: Some(error),
                },
            });
        }
        self.diffoscope = results;
        Ok(())
    }
}

fn run_hints(plan: &variation::Plan, control: &run::RunSpec, varied: &run::RunSpec) -> Vec<Hint> {
    use std::os::unix::ffi::OsStrExt as _;
    let mut hints = Vec::new();
    let run = varied.index;
    if control.build_dir != varied.build_dir {
        hints.push(Hint {
            variation: Variation::BuildPath,
            run,
            control: control.build_dir.as_os_str().as_bytes().to_vec(),
            varied: varied.build_dir.as_os_str().as_bytes().to_vec(),
        });
    }
    if let Some(host) = &varied.hostname {
        hints.push(Hint {
            variation: Variation::Hostname,
            run,
            control: plan.tools.hostname.clone().into_bytes(),
            varied: host.clone().into_bytes(),
        });
    }
    if varied.other_user {
        hints.push(Hint {
            variation: Variation::User,
            run,
            control: plan.tools.user_name.clone().into_bytes(),
            varied: variation::OTHER_USER.as_bytes().to_vec(),
        });
    }
    if let (Some(a), Some(b)) = (&control.home, &varied.home) {
        hints.push(Hint {
            variation: Variation::Home,
            run,
            control: a.as_os_str().as_bytes().to_vec(),
            varied: b.as_os_str().as_bytes().to_vec(),
        });
    }
    hints
}

// One call site; a struct would only rename the same values, and the steps read best in sequence.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
fn one_run(
    options: &CheckOptions,
    plan: &variation::Plan,
    root: &Path,
    spec: &run::RunSpec,
    role: Role,
    snapshot: &Path,
    git_snapshot: Option<&PathBuf>,
    selector: &Selector,
) -> Result<(RunReport, PathBuf), CheckError> {
    let index = spec.index;
    let copy_to = spec.raw_dir.as_deref().unwrap_or(&spec.build_dir);
    if let Some(parent) = spec.build_dir.parent() {
        std::fs::create_dir_all(parent).map_err(io_err("cannot create the build directory", parent))?;
    }
    run::copy_tree(snapshot, copy_to, &[])
        .map_err(io_err("cannot copy the source into the build directory", copy_to))?;
    if let Some(g) = git_snapshot {
        run::copy_tree(g, &copy_to.join(".git"), &[])
            .map_err(io_err("cannot copy the git directory", copy_to))?;
    }
    if let Some(home) = &spec.home {
        std::fs::create_dir_all(home).map_err(io_err("cannot create HOME", home))?;
        if spec.other_user {
            run::chown_tree(home).map_err(io_err("cannot hand HOME to the build user", home))?;
            run::open_path(root, home).map_err(io_err("cannot open HOME's path", home))?;
        }
    }
    if spec.other_user {
        run::chown_tree(copy_to).map_err(io_err(
            "cannot hand the build directory to the build user",
            copy_to,
        ))?;
        run::open_path(root, copy_to).map_err(io_err("cannot open the build directory's path", copy_to))?;
    }
    let mut mount = None;
    if let Some(raw) = &spec.raw_dir {
        std::fs::create_dir_all(&spec.build_dir)
            .map_err(io_err("cannot create the mount point", &spec.build_dir))?;
        if spec.other_user {
            run::open_path(root, &spec.build_dir)
                .map_err(io_err("cannot open the mount point's path", &spec.build_dir))?;
        }
        let (Some(d), Some(f)) = (&plan.tools.disorderfs, &plan.tools.fusermount) else {
            return Err(CheckError::Setup {
                run: index,
                reason: "disorderfs vanished after probing".to_owned(),
            });
        };
        mount = Some(
            run::Mount::disorderfs(d, f, raw, &spec.build_dir, index).map_err(|reason| {
                CheckError::Setup {
                    run: index,
                    reason: format!("disorderfs: {reason}"),
                }
            })?,
        );
    }

    let argv = run::argv(plan, spec, &options.command);
    let log = root.join(format!("run-{index}.log"));
    let finished = run::execute(&argv, &spec.build_dir, &log)
        .map_err(|source| CheckError::Spawn { run: index, source })?;
    if !finished.success {
        return Err(CheckError::BuildFailed {
            run: index,
            role,
            status: finished.status,
            log_tail: finished.log_tail,
        });
    }

    let found = collect::collect(&spec.build_dir, copy_to_source(snapshot), selector)
        .map_err(io_err("cannot list the build directory", &spec.build_dir))?;
    let unmatched = selector.unmatched(&found);
    if !options.allow_missing && (found.is_empty() || !unmatched.is_empty()) {
        return Err(CheckError::MissingArtifacts {
            run: index,
            role,
            patterns: unmatched,
        });
    }
    let keep = root.join("artifacts").join(format!("run-{index}"));
    let mut artifacts = Vec::new();
    for (rel, path) in &found {
        let dest = keep.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err("cannot keep an artefact", parent))?;
        }
        let meta = std::fs::symlink_metadata(path).map_err(io_err("cannot read an artefact", path))?;
        if meta.is_dir() {
            run::copy_tree(path, &dest, &[]).map_err(io_err("cannot keep an artefact", path))?;
        } else {
            std::fs::copy(path, &dest).map_err(io_err("cannot keep an artefact", path))?;
        }
        let digest = provenant_digest::digest_path(options.algorithm, &dest, &NoProgress)?.digest;
        artifacts.push(RunArtifact {
            path: rel.clone(),
            digest,
        });
    }
    if let Some(mut m) = mount.take() {
        m.unmount().map_err(|reason| CheckError::Setup {
            run: index,
            reason: format!("cannot unmount disorderfs: {reason}"),
        })?;
    }
    // The next run may reuse this path: remove the build.
    let _ = std::fs::remove_dir_all(copy_to);
    if spec.raw_dir.is_some() {
        let _ = std::fs::remove_dir_all(&spec.build_dir);
    }
    Ok((
        RunReport {
            index,
            role,
            build_dir: spec.build_dir.clone(),
            build_ms: millis(finished.duration),
            artifacts,
        },
        keep,
    ))
}

fn copy_to_source(snapshot: &Path) -> &Path {
    snapshot
}

fn verdicts(runs: &[RunReport]) -> Vec<ArtifactVerdict> {
    let mut by_path: BTreeMap<&str, Vec<Option<Digest>>> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        for a in &run.artifacts {
            let slot = by_path
                .entry(a.path.as_str())
                .or_insert_with(|| vec![None; runs.len()]);
            if let Some(s) = slot.get_mut(i) {
                *s = Some(a.digest);
            }
        }
    }
    by_path
        .into_iter()
        .map(|(path, digests)| {
            let first = digests.first().copied().flatten();
            let reproducible = first.is_some() && digests.iter().all(|d| *d == first);
            ArtifactVerdict {
                path: path.to_owned(),
                reproducible,
                digests,
            }
        })
        .collect()
}
