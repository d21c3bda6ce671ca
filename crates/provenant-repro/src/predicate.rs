//! The reproducibility attestation: an in-toto Statement v1 whose predicate records what was built, how,
//! under which variations, and every artefact digest of every run. Its JSON Schema is
//! `schemas/reproducibility-v1.schema.json`.

use provenant_digest::Digest;
use serde::{Deserialize, Serialize};

use crate::{Applied, EpochOrigin, NotApplied, Report, Role};

/// The predicate type URI (defined by `provenant-attest`).
pub use provenant_attest::predicate::PROVENANT_REPRODUCIBILITY_V1 as PREDICATE_TYPE;

use provenant_attest::{DigestSet, STATEMENT_V1};

fn digest_set(d: &Digest) -> DigestSet {
    DigestSet::from_digest(d)
}

/// An in-toto `ResourceDescriptor` with a name and a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Path of the artefact relative to the build directory.
    pub name: String,
    /// Its digest in the control build.
    pub digest: DigestSet,
}

/// An in-toto Statement v1 carrying a [`Predicate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_V1`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// Every artefact the control build produced, with its digest.
    pub subject: Vec<Subject>,
    /// Always [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The check.
    pub predicate: Predicate,
}

/// What was checked and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Predicate {
    /// `reproducible` or `not-reproducible`.
    pub verdict: Verdict,
    /// The source tree that was built.
    pub source: Source,
    /// The build command and its arguments.
    pub command: Vec<String>,
    /// `SOURCE_DATE_EPOCH` given to every build, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_date_epoch: Option<i64>,
    /// Where it came from.
    pub source_date_epoch_origin: EpochOrigin,
    /// Variations applied and not applied.
    pub variations: Variations,
    /// Every build, with every artefact digest.
    pub runs: Vec<Run>,
    /// Artefacts whose digest is not the same in every run, sorted.
    pub differing: Vec<String>,
    /// The tool that ran the check.
    pub checker: Checker,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every artefact identical in every run.
    Reproducible,
    /// At least one artefact differs (or is missing) in some run.
    NotReproducible,
}

/// The source tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Source {
    /// Tree digest (`provenant-tree-v1`, docs/tree-digest.md) of the tree without `.git`.
    pub digest: DigestSet,
    /// The git commit checked out, if the source is a git work tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether that work tree had uncommitted changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty: Option<bool>,
}

/// Variations applied and not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Variations {
    /// Applied, with the control and varied settings.
    pub applied: Vec<Applied>,
    /// Requested but not applied, with the reason.
    pub not_applied: Vec<NotApplied>,
}

/// One build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// 0 is the control.
    pub index: u32,
    /// Control or varied.
    pub role: Role,
    /// Its artefacts, sorted by name.
    pub artifacts: Vec<Subject>,
}

/// The checking tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checker {
    /// A URI naming the tool.
    pub id: String,
    /// Its version.
    pub version: String,
}

impl Statement {
    /// The statement for a finished check. It holds no time, path of this machine or other value that
    /// would make two identical checks give different documents.
    #[must_use]
    pub fn from_report(report: &Report) -> Statement {
        let subject = report
            .runs
            .first()
            .map(|r| {
                r.artifacts
                    .iter()
                    .map(|a| Subject {
                        name: a.path.clone(),
                        digest: digest_set(&a.digest),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let runs = report
            .runs
            .iter()
            .map(|r| Run {
                index: r.index,
                role: r.role,
                artifacts: r
                    .artifacts
                    .iter()
                    .map(|a| Subject {
                        name: a.path.clone(),
                        digest: digest_set(&a.digest),
                    })
                    .collect(),
            })
            .collect();
        Statement {
            statement_type: STATEMENT_V1.to_owned(),
            subject,
            predicate_type: PREDICATE_TYPE.to_owned(),
            predicate: Predicate {
                verdict: if report.reproducible {
                    Verdict::Reproducible
                } else {
                    Verdict::NotReproducible
                },
                source: Source {
                    digest: digest_set(&report.source.digest),
                    commit: report.source.git.as_ref().map(|g| g.commit.clone()),
                    dirty: report.source.git.as_ref().map(|g| g.dirty),
                },
                command: report.command.clone(),
                source_date_epoch: report.source_date_epoch,
                source_date_epoch_origin: report.source_date_epoch_origin,
                variations: Variations {
                    applied: report.applied.clone(),
                    not_applied: report.not_applied.clone(),
                },
                runs,
                differing: report.differing().map(|a| a.path.clone()).collect(),
                checker: Checker {
                    id: "https://provenant.dev/repro".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                },
            },
        }
    }
}
