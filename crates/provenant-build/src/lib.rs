//! The build engine: runs a build, reads what it can prove about it, and writes SLSA v1 provenance.
//!
//! A build is prepared first ([`prepare`]): the git work tree containing the build directory is read
//! with gitoxide (HEAD's commit and ref, the dirty flag, the `origin` remote), a dirty tree is refused
//! unless allowed, the CI system is detected from the environment ([`ci::detect`]: GitHub Actions,
//! GitLab CI, or generic), and the toolchains and lockfiles are recorded. Then the command runs
//! ([`run::run`], output hashed on its way to the terminal), the outputs matching the subject globs are
//! hashed ([`subjects::collect`]), and [`Prepared::statement`] assembles an in-toto Statement v1 with a
//! SLSA Build provenance v1 predicate of build type [`provenant_slsa::BUILD_TYPE`]
//! (`docs/provenance.md`). Nothing is written for a failed build: that is the caller's rule, since it
//! alone decides what to do with the statement.
//!
//! Time comes from `SOURCE_DATE_EPOCH` when it is set, so the same build gives the same document.
//!
//! ```
//! use std::collections::BTreeMap;
//! use provenant_build::ci::{self, CiKind};
//!
//! let env: BTreeMap<String, String> = [
//!     ("GITHUB_ACTIONS", "true"),
//!     ("GITHUB_REPOSITORY", "org/repo"),
//!     ("GITHUB_REF", "refs/heads/main"),
//!     ("GITHUB_WORKFLOW_REF", "org/repo/.github/workflows/release.yml@refs/heads/main"),
//! ]
//! .into_iter()
//! .map(|(k, v)| (k.to_owned(), v.to_owned()))
//! .collect();
//! let ctx = ci::detect(&env);
//! assert_eq!(ctx.kind, CiKind::GithubActions);
//! assert_eq!(
//!     ctx.builder_id.as_deref(),
//!     Some("https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main")
//! );
//! ```
#![forbid(unsafe_code)]

pub mod ci;
pub mod git;
pub mod lockfiles;
pub mod run;
pub mod subjects;
pub mod toolchain;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provenant_digest::Digest;
use provenant_slsa::policy::{BuilderId, BuilderIdError, SourceUri, SourceUriError};
use provenant_slsa::v1::{BuildDefinition, BuildMetadata, Builder, ProvenanceV1, RunDetails};
use provenant_slsa::{DigestSet, ResourceDescriptor, Timestamp};
use serde_json::{Map, Value, json};

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where the build runs (inside a git work tree).
    pub build_dir: PathBuf,
    /// Globs of the outputs to record as subjects, relative to `build_dir`.
    pub subjects: Vec<String>,
    /// The builder id to record instead of the detected one.
    pub builder_id: Option<String>,
    /// The source repository to record instead of the detected one (`github.com/org/repo`, an
    /// `https://` URL, or `git+https://…`).
    pub source: Option<String>,
    /// Build even when tracked files differ from HEAD (recorded in the provenance).
    pub allow_dirty: bool,
    /// The environment: CI variables, `PATH`, `SOURCE_DATE_EPOCH`.
    pub env: BTreeMap<String, String>,
    /// SBOMs of the build's inputs to record as resolved dependencies.
    pub sboms: Vec<PathBuf>,
}

/// Preparing or recording a build failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The work tree could not be read.
    #[error(transparent)]
    Git(#[from] git::GitError),
    /// Tracked files differ from HEAD and `--allow-dirty` was not given.
    #[error("the work tree {} has uncommitted changes to tracked files: commit them, or pass --allow-dirty (which is recorded in the provenance)", root.display())]
    Dirty {
        /// The work tree.
        root: PathBuf,
    },
    /// No source repository is known.
    #[error("no source repository: the work tree {} has no 'origin' remote and no CI variables name one; pass --source", root.display())]
    NoSource {
        /// The work tree.
        root: PathBuf,
    },
    /// The source given is not usable.
    #[error(transparent)]
    Source(#[from] SourceUriError),
    /// The builder id given or detected is not usable.
    #[error(transparent)]
    BuilderId(#[from] BuilderIdError),
    /// `SOURCE_DATE_EPOCH` is not a number of seconds.
    #[error("SOURCE_DATE_EPOCH={value:?} is not a non-negative whole number of seconds")]
    SourceDateEpoch {
        /// Its value.
        value: String,
    },
    /// Matching the subjects failed.
    #[error(transparent)]
    Subject(#[from] subjects::SubjectError),
    /// Hashing an SBOM failed.
    #[error("cannot hash an SBOM: {0}")]
    Sbom(provenant_digest::HashError),
    /// Hashing a lockfile failed.
    #[error("cannot hash a lockfile: {0}")]
    Lockfile(provenant_digest::HashError),
    /// The provenance assembled does not pass the strict parser (a bug, or an unusable input).
    #[error("the provenance is invalid: {0}")]
    Invalid(provenant_slsa::FieldError),
    /// No subject was given.
    #[error("no subject: give at least one --subject GLOB naming the build's outputs")]
    NoSubjects,
}

/// A build whose context has been read and checked, ready to run and record.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The CI context.
    pub ci: ci::CiContext,
    /// The work tree.
    pub work_tree: git::WorkTree,
    /// `git+https://host/org/repo@ref`.
    pub source_uri: String,
    /// The builder id recorded.
    pub builder_id: BuilderId,
    /// Detected toolchains.
    pub toolchains: BTreeMap<String, String>,
    /// Lockfiles and their digests.
    pub lockfiles: Vec<lockfiles::Lockfile>,
    /// SBOMs given, as resolved dependencies (name, digest, media type).
    pub sboms: Vec<ResourceDescriptor>,
    /// The build directory relative to the work tree root (`.` at the root).
    pub build_dir_relative: String,
    /// The canonical build directory.
    pub build_dir: PathBuf,
    /// Whether `--allow-dirty` was given.
    pub allow_dirty: bool,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<Timestamp>,
}

/// The time to record: `SOURCE_DATE_EPOCH` when set, else the clock.
#[must_use]
pub fn now(source_date_epoch: Option<Timestamp>) -> Timestamp {
    source_date_epoch.unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        Timestamp::from_unix(secs).unwrap_or(Timestamp::EPOCH)
    })
}

fn source_date_epoch(env: &BTreeMap<String, String>) -> Result<Option<Timestamp>, BuildError> {
    match env.get("SOURCE_DATE_EPOCH") {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .and_then(|s| Timestamp::from_unix(i64::from(s)))
            .map(Some)
            .ok_or_else(|| BuildError::SourceDateEpoch {
                value: v.chars().take(40).collect(),
            }),
    }
}

/// Reads and checks the build's context. Fails on a dirty tree unless allowed, and when no source
/// repository can be named.
pub fn prepare(options: &Options) -> Result<Prepared, BuildError> {
    let sde = source_date_epoch(&options.env)?;
    let build_dir = options
        .build_dir
        .canonicalize()
        .unwrap_or_else(|_| options.build_dir.clone());
    let work_tree = git::inspect(&build_dir)?;
    if work_tree.dirty && !options.allow_dirty {
        return Err(BuildError::Dirty {
            root: work_tree.root.clone(),
        });
    }
    let ci = ci::detect(&options.env);
    let repository = match &options.source {
        Some(s) => {
            let normalised: SourceUri = s.parse()?;
            normalised.as_str().trim_start_matches("git+").to_owned()
        }
        None => ci
            .repository
            .clone()
            .or_else(|| work_tree.origin.clone())
            .ok_or_else(|| BuildError::NoSource {
                root: work_tree.root.clone(),
            })?,
    };
    if ci.commit.as_ref().is_some_and(|c| *c != work_tree.commit) {
        tracing::warn!(ci = ?ci.commit, work_tree = %work_tree.commit, "the CI's commit differs from HEAD: recording HEAD");
    }
    let git_ref = ci
        .git_ref
        .clone()
        .or_else(|| work_tree.head_ref.clone())
        .unwrap_or_else(|| work_tree.commit.clone());
    let source_uri = format!("git+{repository}@{git_ref}");
    let builder_id: BuilderId = options
        .builder_id
        .clone()
        .or_else(|| ci.builder_id.clone())
        .unwrap_or_else(|| provenant_slsa::LOCAL_BUILDER_ID.to_owned())
        .parse()?;
    let root = work_tree
        .root
        .canonicalize()
        .unwrap_or_else(|_| work_tree.root.clone());
    let build_dir_relative = relative(&root, &build_dir);
    let path = options.env.get("PATH").map(std::ffi::OsStr::new);
    let toolchains = toolchain::detect(&build_dir, path);
    let lockfiles = lockfiles::find(&root, &build_dir).map_err(BuildError::Lockfile)?;
    let mut sboms = Vec::with_capacity(options.sboms.len());
    for path in &options.sboms {
        let digest = provenant_digest::Algorithm::Sha256
            .hash_file(path, &provenant_digest::NoProgress)
            .map_err(BuildError::Sbom)?;
        let absolute = path.canonicalize().unwrap_or_else(|_| path.clone());
        let name = match absolute.strip_prefix(&root) {
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        };
        sboms.push(ResourceDescriptor {
            media_type: sbom_media_type(&name).map(str::to_owned),
            name: Some(name),
            digest: digest_set(&digest),
            ..ResourceDescriptor::default()
        });
    }
    Ok(Prepared {
        sboms,
        ci,
        work_tree,
        source_uri,
        builder_id,
        toolchains,
        lockfiles,
        build_dir_relative,
        build_dir,
        allow_dirty: options.allow_dirty,
        source_date_epoch: sde,
    })
}

/// The media type of an SBOM by its file name's conventional suffix.
fn sbom_media_type(name: &str) -> Option<&'static str> {
    if name.ends_with(".spdx.json") {
        Some("application/spdx+json")
    } else if name.ends_with(".cdx.json") || name.ends_with(".bom.json") || name.ends_with("bom.json") {
        Some("application/vnd.cyclonedx+json")
    } else {
        None
    }
}

fn relative(root: &Path, dir: &Path) -> String {
    match dir.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => ".".to_owned(),
    }
}

/// What ran, for [`Prepared::statement`].
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// The command, when Provenant ran it (`provenant build`); `None` for a build recorded afterwards.
    pub command: Option<&'a [String]>,
    /// When it started.
    pub started_on: Option<Timestamp>,
    /// When it finished.
    pub finished_on: Timestamp,
    /// Digests of its standard output and error.
    pub logs: Option<(Digest, Digest)>,
}

fn digest_set(d: &Digest) -> DigestSet {
    DigestSet::from([(d.algorithm().name().to_owned(), d.hex())])
}

impl Prepared {
    /// The provenance as an in-toto Statement v1 with a SLSA v1 predicate, as JSON.
    pub fn statement(
        &self,
        outputs: &[subjects::Output],
        invocation: &Invocation<'_>,
    ) -> Result<Value, BuildError> {
        if outputs.is_empty() {
            return Err(BuildError::NoSubjects);
        }
        let source = ResourceDescriptor::uri_with_digest(
            self.source_uri.clone(),
            DigestSet::from([("gitCommit".to_owned(), self.work_tree.commit.clone())]),
        );
        let mut external = Map::new();
        external.insert(
            "source".into(),
            serde_json::to_value(&source).unwrap_or(Value::Null),
        );
        if let Some(command) = invocation.command {
            external.insert("command".into(), json!(command));
        }
        if self.build_dir_relative != "." {
            external.insert("workingDirectory".into(), json!(self.build_dir_relative));
        }
        if let Some(entry) = &self.ci.entry_point {
            external.insert("entryPoint".into(), json!(entry));
        }
        if self.allow_dirty {
            external.insert("allowDirty".into(), json!(true));
        }
        let mut internal = Map::new();
        internal.insert("ci".into(), json!(self.ci.kind.as_str()));
        internal.insert("workTreeDirty".into(), json!(self.work_tree.dirty));
        if !self.toolchains.is_empty() {
            internal.insert("toolchains".into(), json!(self.toolchains));
        }
        if !self.ci.facts.is_empty() {
            internal.insert("environment".into(), json!(self.ci.facts));
        }
        let mut dependencies = vec![source];
        for lock in &self.lockfiles {
            dependencies.push(ResourceDescriptor {
                name: Some(lock.name.clone()),
                digest: digest_set(&lock.digest),
                ..ResourceDescriptor::default()
            });
        }
        dependencies.extend(self.sboms.iter().cloned());
        let byproducts = invocation
            .logs
            .iter()
            .flat_map(|(out, err)| {
                [("build.stdout", out), ("build.stderr", err)].map(|(name, d)| ResourceDescriptor {
                    name: Some(name.to_owned()),
                    digest: digest_set(d),
                    media_type: Some("text/plain".to_owned()),
                    ..ResourceDescriptor::default()
                })
            })
            .collect();
        let predicate = ProvenanceV1 {
            build_definition: BuildDefinition {
                build_type: provenant_slsa::BUILD_TYPE.to_owned(),
                external_parameters: external,
                internal_parameters: Some(internal),
                resolved_dependencies: dependencies,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: self.builder_id.to_string(),
                    version: BTreeMap::from([("provenant".to_owned(), env!("CARGO_PKG_VERSION").to_owned())]),
                    builder_dependencies: Vec::new(),
                },
                metadata: Some(BuildMetadata {
                    invocation_id: self.ci.invocation_id.clone(),
                    started_on: invocation.started_on,
                    finished_on: Some(invocation.finished_on),
                }),
                byproducts,
            },
        };
        // What we write must read back under our own strict parser.
        predicate.validate().map_err(BuildError::Invalid)?;
        let subject: Vec<Value> = outputs
            .iter()
            .map(|o| json!({ "name": o.name, "digest": digest_set(&o.digest) }))
            .collect();
        Ok(json!({
            "_type": provenant_attest::STATEMENT_V1,
            "subject": subject,
            "predicateType": provenant_slsa::v1::PREDICATE_TYPE,
            "predicate": predicate.to_json(),
        }))
    }

    /// The time to record now.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        now(self.source_date_epoch)
    }
}
