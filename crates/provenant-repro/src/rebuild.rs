//! The rebuilder check: re-run the build a provenance records and compare the results with its
//! subjects.
//!
//! The provenance is the SLSA v1 statement `provenant build` writes (build type
//! [`COMMAND_BUILD_TYPE`]), bare or inside a DSSE envelope or a sigstore bundle. Its signature is not
//! checked here (that is `provenant verify-provenance`'s job); what is checked is that the recorded
//! command, run on the recorded commit, gives every subject's digest again.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CheckError, CheckOptions, Report};

/// The build type of provenance written by `provenant build`: a command run in a git work tree.
pub const COMMAND_BUILD_TYPE: &str = "https://github.com/provenant-dev/provenant/buildtypes/command/v1";

/// SLSA provenance v1 (defined by `provenant-attest`).
pub use provenant_attest::predicate::SLSA_PROVENANCE_V1;

/// Largest provenance document read.
pub const MAX_PROVENANCE_BYTES: usize = 16 << 20;

/// What a provenance records about the build, as far as re-running it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedBuild {
    /// The source repository URI (`git+https://…@ref`).
    pub source_uri: Option<String>,
    /// The commit built.
    pub commit: Option<String>,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// The build directory relative to the work tree root (`.` when absent).
    pub working_directory: String,
    /// The subjects: name (relative to the build directory) and sha256 digest.
    pub subjects: Vec<(String, Digest)>,
}

/// Reading the provenance or setting up the rebuild failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// Not JSON, or not a statement in any of the accepted wrappings.
    #[error("the provenance is not an in-toto statement, DSSE envelope or sigstore bundle: {reason}")]
    Format {
        /// What was wrong.
        reason: String,
    },
    /// A statement, but not one that records a command Provenant can re-run.
    #[error("the provenance cannot be re-run: {reason}")]
    NotRerunnable {
        /// What is missing.
        reason: String,
    },
    /// The source could not be checked out at the recorded commit.
    #[error("cannot check out commit {commit} from {source_dir}: {reason}")]
    Checkout {
        /// The commit.
        commit: String,
        /// The source directory given.
        source_dir: PathBuf,
        /// What git said.
        reason: String,
    },
    /// The rebuild itself did not complete.
    #[error(transparent)]
    Build(#[from] CheckError),
    /// A file-system step failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn format_err(reason: impl Into<String>) -> RebuildError {
    RebuildError::Format {
        reason: reason.into(),
    }
}

fn not_rerunnable(reason: impl Into<String>) -> RebuildError {
    RebuildError::NotRerunnable {
        reason: reason.into(),
    }
}

/// Finds the statement in a bare statement, a DSSE envelope or a sigstore bundle.
fn statement(bytes: &[u8]) -> Result<Value, RebuildError> {
    if bytes.len() > MAX_PROVENANCE_BYTES {
        return Err(format_err(format!("larger than {MAX_PROVENANCE_BYTES} bytes")));
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format_err(e.to_string()))?;
    let envelope = doc.get("dsseEnvelope").unwrap_or(&doc);
    if let Some(payload) = envelope.get("payload").and_then(Value::as_str) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|e| format_err(format!("DSSE payload is not base64: {e}")))?;
        return serde_json::from_slice(&decoded)
            .map_err(|e| format_err(format!("DSSE payload is not JSON: {e}")));
    }
    Ok(doc)
}

/// Reads what a provenance records.
pub fn parse_provenance(bytes: &[u8]) -> Result<RecordedBuild, RebuildError> {
    let st = statement(bytes)?;
    let predicate_type = st
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if predicate_type != SLSA_PROVENANCE_V1 {
        return Err(not_rerunnable(format!(
            "predicate type {predicate_type:?} is not {SLSA_PROVENANCE_V1}"
        )));
    }
    let def = st
        .pointer("/predicate/buildDefinition")
        .ok_or_else(|| format_err("no predicate.buildDefinition"))?;
    let build_type = def.get("buildType").and_then(Value::as_str).unwrap_or_default();
    if build_type != COMMAND_BUILD_TYPE {
        return Err(not_rerunnable(format!(
            "build type {build_type:?} records no command (expected {COMMAND_BUILD_TYPE})"
        )));
    }
    let ext = def
        .get("externalParameters")
        .ok_or_else(|| format_err("no externalParameters"))?;
    let command: Vec<String> = ext
        .get("command")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            not_rerunnable("externalParameters.command is absent (a build recorded after it ran)")
        })?
        .iter()
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format_err("externalParameters.command has a non-string"))
        })
        .collect::<Result<_, _>>()?;
    if command.is_empty() {
        return Err(not_rerunnable("externalParameters.command is empty"));
    }
    let working_directory = ext
        .get("workingDirectory")
        .and_then(Value::as_str)
        .unwrap_or(".")
        .to_owned();
    if working_directory.starts_with('/') || working_directory.split('/').any(|c| c == "..") {
        return Err(format_err(format!(
            "workingDirectory {working_directory:?} leaves the work tree"
        )));
    }
    let source = ext.get("source");
    let commit = source
        .and_then(|s| s.pointer("/digest/gitCommit"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(c) = &commit
        && !(c.len() == 40 || c.len() == 64)
    {
        return Err(format_err(format!("gitCommit {c:?} is not a commit id")));
    }
    let source_uri = source
        .and_then(|s| s.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut subjects = Vec::new();
    for s in st
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| format_err("no subject list"))?
    {
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format_err("a subject has no name"))?;
        let hex = s
            .pointer("/digest/sha256")
            .and_then(Value::as_str)
            .ok_or_else(|| format_err(format!("subject {name} has no sha256")))?;
        let digest = Digest::from_hex(Algorithm::Sha256, hex)
            .map_err(|e| format_err(format!("subject {name}: {e}")))?;
        if name.starts_with('/') || name.split('/').any(|c| c == "..") {
            return Err(format_err(format!("subject {name:?} leaves the build directory")));
        }
        subjects.push((name.to_owned(), digest));
    }
    if subjects.is_empty() {
        return Err(format_err("the subject list is empty"));
    }
    Ok(RecordedBuild {
        source_uri,
        commit,
        command,
        working_directory,
        subjects,
    })
}

/// One subject after the rebuild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectCheck {
    /// Its name.
    pub name: String,
    /// The digest the provenance attests.
    pub attested: Digest,
    /// The digest of the rebuilt file (`None`: the rebuild did not produce it).
    pub rebuilt: Option<Digest>,
    /// Whether they are equal.
    pub matches: bool,
}

/// The result of [`verify`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RebuildReport {
    /// True when every subject was rebuilt with its attested digest.
    pub ok: bool,
    /// What the provenance records.
    pub recorded: RecordedBuild,
    /// Whether the recorded commit was checked out into a fresh directory (false: the source directory
    /// was used as it is, because it is not a git repository or no commit is recorded).
    pub checked_out: bool,
    /// Each subject.
    pub subjects: Vec<SubjectCheck>,
    /// The rebuild's own report (one build, no variations).
    pub build: Report,
}

/// Re-runs the recorded build from `source` and compares the results with the subjects.
pub fn verify(provenance: &[u8], source: &Path) -> Result<RebuildReport, RebuildError> {
    let recorded = parse_provenance(provenance)?;
    let scratch = tempfile::Builder::new()
        .prefix("provenant-rebuild.")
        .tempdir()
        .map_err(|source| RebuildError::Io {
            what: "cannot create a temporary directory".to_owned(),
            source,
        })?;
    let is_git = source.join(".git").exists();
    let (tree, checked_out) = match (&recorded.commit, is_git) {
        (Some(commit), true) => (checkout(source, commit, scratch.path())?, true),
        _ => (source.to_path_buf(), false),
    };
    let build_dir = tree.join(&recorded.working_directory);
    let mut options = CheckOptions::new(build_dir, recorded.command.iter().map(OsString::from).collect());
    options.variations.clear();
    options.artifacts = recorded
        .subjects
        .iter()
        .map(|(n, _)| globset::escape(n))
        .collect();
    options.runs = 1;
    options.allow_missing = true;
    let build = crate::build(&options, 1)?;
    let subjects: Vec<SubjectCheck> = recorded
        .subjects
        .iter()
        .map(|(name, attested)| {
            let rebuilt = build
                .runs
                .first()
                .and_then(|r| r.artifacts.iter().find(|a| &a.path == name))
                .map(|a| a.digest);
            SubjectCheck {
                name: name.clone(),
                attested: *attested,
                rebuilt,
                matches: rebuilt.as_ref() == Some(attested),
            }
        })
        .collect();
    Ok(RebuildReport {
        ok: subjects.iter().all(|s| s.matches),
        recorded,
        checked_out,
        subjects,
        build,
    })
}

/// Clones `source` into `dir` and checks out `commit` there (detached), without touching `source`.
fn checkout(source: &Path, commit: &str, dir: &Path) -> Result<PathBuf, RebuildError> {
    let fail = |reason: String| RebuildError::Checkout {
        commit: commit.to_owned(),
        source_dir: source.to_path_buf(),
        reason,
    };
    let tree = dir.join("source");
    let run = |args: &[&std::ffi::OsStr]| -> Result<(), RebuildError> {
        let out = Command::new("git")
            .args(args)
            .stdin(Stdio::null())
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()))
        }
    };
    run(&[
        "clone".as_ref(),
        "-q".as_ref(),
        "--no-checkout".as_ref(),
        source.as_os_str(),
        tree.as_os_str(),
    ])?;
    run(&[
        "-C".as_ref(),
        tree.as_os_str(),
        "-c".as_ref(),
        "advice.detachedHead=false".as_ref(),
        "checkout".as_ref(),
        "-q".as_ref(),
        "--detach".as_ref(),
        commit.as_ref(),
        "--".as_ref(),
    ])?;
    Ok(tree)
}
