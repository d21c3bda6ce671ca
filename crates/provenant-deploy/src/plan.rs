//! The rollback plan of an environment: what runs now, what it would roll back to, and whether that
//! rollback path was exercised.
//!
//! - **current**: the subject of the newest verified deployment record in the environment;
//! - **previous**: the newest verified deployment record before it with another digest; when the ledger
//!   holds none, the newest digest other than the current one with a verified `promoted` promotion record
//!   in the environment. Either way the target must itself have been promoted into the environment
//!   (`provenant_env::promoted::find_promotion`), or it is reported as not admissible;
//! - **exercised**: a verified rollback record from the current digest to the previous one in another
//!   (pre-production) environment (`same-pair`), or a verified rollback record in this environment for an
//!   earlier release (`earlier-release`).

use provenant_digest::Digest;
use provenant_env::promoted::{PromotionLookup, find_promotion};
use provenant_evidence::roles::Roles;
use provenant_ledger_store::{LedgerStore, Query};
use provenant_records::Record as _;
use provenant_records::deployment::Deployment;
use provenant_records::promotion::{Outcome, Promotion};
use provenant_records::rollback::Rollback;
use provenant_sigstore::TrustedRoot;
use serde::Serialize;

use crate::ledger::{ReadError, Rejected, read_verified};

/// Who may sign what.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// The roles file.
    pub roles: &'a Roles,
    /// Roles whose holders sign deployment and rollback records.
    pub deployer_roles: &'a [String],
    /// Roles whose holders sign promotion records.
    pub promoter_roles: &'a [String],
    /// Trusted root for keyless signatures.
    pub trusted_root: Option<&'a TrustedRoot>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The environment.
    pub environment: String,
    /// What runs now.
    pub current: Option<Deployed>,
    /// What a rollback would go back to.
    pub previous: Option<Target>,
    /// Whether the rollback path from current to previous was exercised.
    pub exercised: bool,
    /// The rollback records that exercised it.
    #[serde(rename = "exercisedBy")]
    pub exercised_by: Vec<Exercise>,
    /// Entries that matched and were not believed (unsigned by the role, another environment, …).
    pub rejected: Vec<RejectedEntry>,
}

/// A deployed digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployed {
    /// The digest.
    pub digest: String,
    /// The image repository (the record's subject name).
    pub repository: Option<String>,
    /// The deployment record's ledger index.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: u64,
    /// The record's time.
    pub timestamp: String,
    /// Who signed it.
    pub signer: String,
}

/// The rollback target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The digest.
    pub digest: String,
    /// The image repository.
    pub repository: Option<String>,
    /// Where it was found: `deployment` or `promotion`.
    pub source: &'static str,
    /// The ledger index of that record.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: u64,
    /// Whether a verified promotion record admits it in this environment.
    pub admissible: bool,
    /// Why it is not admissible, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inadmissible: Option<String>,
}

/// A rollback record that exercised the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exercise {
    /// The rollback record's ledger index.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: u64,
    /// Its environment.
    pub environment: String,
    /// `same-pair` or `earlier-release`.
    pub kind: &'static str,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
}

/// An entry not believed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedEntry {
    /// The ledger index.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: u64,
    /// Why.
    pub reason: String,
}

impl From<Rejected> for RejectedEntry {
    fn from(r: Rejected) -> Self {
        RejectedEntry {
            ledger_index: r.index,
            reason: r.reason,
        }
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The ledger could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The promotion lookup failed.
    #[error("cannot look up promotions: {0}")]
    Lookup(String),
}

/// Makes the rollback plan of `environment` from the ledger.
#[allow(clippy::too_many_lines)] // one pass in reading order: deployments, the target, the rollbacks
pub fn rollback_plan(
    store: &dyn LedgerStore,
    environment: &str,
    trust: Trust<'_>,
) -> Result<Plan, PlanError> {
    let mut rejected: Vec<RejectedEntry> = Vec::new();
    let (deployments, bad) = read_verified(
        store,
        &Query {
            predicate_type: Some(provenant_attest::predicate::PROVENANT_DEPLOYMENT_V1.to_owned()),
            environment: Some(environment.to_owned()),
            ..Query::default()
        },
        Some(environment),
        trust.roles,
        trust.deployer_roles,
        trust.trusted_root,
        Deployment::from_statement,
        |d: &Deployment| d.environment.as_str(),
    )?;
    rejected.extend(bad.into_iter().map(Into::into));
    let Some(newest) = deployments.last() else {
        return Ok(Plan {
            environment: environment.to_owned(),
            current: None,
            previous: None,
            exercised: false,
            exercised_by: Vec::new(),
            rejected,
        });
    };
    let current = Deployed {
        digest: newest.subject.to_string(),
        repository: newest.subject_name.clone(),
        ledger_index: newest.index,
        timestamp: newest.record.timestamp.clone(),
        signer: newest.signer.clone(),
    };
    let mut previous = deployments
        .iter()
        .rev()
        .find(|d| d.subject != newest.subject)
        .map(|d| (d.subject, d.subject_name.clone(), "deployment", d.index));
    if previous.is_none() {
        let (promotions, bad) = read_verified(
            store,
            &Query {
                predicate_type: Some(provenant_attest::predicate::PROVENANT_PROMOTION_V1.to_owned()),
                environment: Some(environment.to_owned()),
                ..Query::default()
            },
            Some(environment),
            trust.roles,
            trust.promoter_roles,
            trust.trusted_root,
            Promotion::from_statement,
            |p: &Promotion| p.environment.as_str(),
        )?;
        rejected.extend(bad.into_iter().map(Into::into));
        previous = promotions
            .iter()
            .rev()
            .find(|p| p.subject != newest.subject && p.record.outcome == Outcome::Promoted)
            .map(|p| (p.subject, Some(p.record.repository.clone()), "promotion", p.index));
    }
    let previous = match previous {
        None => None,
        Some((digest, repository, source, ledger_index)) => {
            let verdict = admissible(store, &digest, environment, trust)?;
            Some(Target {
                digest: digest.to_string(),
                repository,
                source,
                ledger_index,
                admissible: verdict.is_ok(),
                inadmissible: verdict.err().map(|e| e.to_string()),
            })
        }
    };
    let mut exercised_by = Vec::new();
    if let Some(target) = &previous {
        let (rollbacks, bad) = read_verified(
            store,
            &Query {
                predicate_type: Some(provenant_attest::predicate::PROVENANT_ROLLBACK_V1.to_owned()),
                ..Query::default()
            },
            None,
            trust.roles,
            trust.deployer_roles,
            trust.trusted_root,
            Rollback::from_statement,
            |r: &Rollback| r.environment.as_str(),
        )?;
        rejected.extend(bad.into_iter().map(Into::into));
        for r in rollbacks {
            let same_pair = r.record.from == current.digest && r.record.to == target.digest;
            let kind = if r.record.environment != environment && same_pair {
                "same-pair"
            } else if r.record.environment == environment && !same_pair {
                "earlier-release"
            } else {
                continue;
            };
            exercised_by.push(Exercise {
                ledger_index: r.index,
                environment: r.record.environment.clone(),
                kind,
                from: r.record.from.clone(),
                to: r.record.to.clone(),
            });
        }
    }
    rejected.sort_by_key(|r| r.ledger_index);
    rejected.dedup();
    Ok(Plan {
        environment: environment.to_owned(),
        current: Some(current),
        previous,
        exercised: !exercised_by.is_empty(),
        exercised_by,
        rejected,
    })
}

/// Why a digest may not be rolled back to in an environment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotAdmissible {
    /// The ledger holds no verified promotion of the digest into the environment.
    #[error(
        "{digest} has no verified promotion into {environment}{}",
        uncounted_list(uncounted)
    )]
    NotPromoted {
        /// The digest.
        digest: Digest,
        /// The environment.
        environment: String,
        /// Every entry that was considered and why it does not count.
        uncounted: Vec<provenant_env::promoted::Uncounted>,
    },
    /// The promotion lookup gave an answer this version does not know (fail closed).
    #[error("{digest}: the promotion lookup gave an answer this version does not know")]
    UnknownAnswer {
        /// The digest.
        digest: Digest,
    },
}

fn uncounted_list(uncounted: &[provenant_env::promoted::Uncounted]) -> String {
    use std::fmt::Write as _;
    uncounted.iter().fold(String::new(), |mut list, u| {
        let _ = write!(list, "; {u}");
        list
    })
}

/// Whether `digest` has a verified `promoted` promotion record in `environment`: `Ok(Ok(repository))`
/// with the repository the promotion names, or `Ok(Err(why))` saying why not.
pub fn admissible(
    store: &dyn LedgerStore,
    digest: &Digest,
    environment: &str,
    trust: Trust<'_>,
) -> Result<Result<String, NotAdmissible>, PlanError> {
    match find_promotion(
        store,
        digest,
        environment,
        trust.roles,
        trust.promoter_roles,
        trust.trusted_root,
    )
    .map_err(|e| PlanError::Lookup(e.to_string()))?
    {
        PromotionLookup::Promoted(found) => Ok(Ok(found.record.repository.clone())),
        PromotionLookup::NotPromoted { uncounted } => Ok(Err(NotAdmissible::NotPromoted {
            digest: *digest,
            environment: environment.to_owned(),
            uncounted,
        })),
        _ => Ok(Err(NotAdmissible::UnknownAnswer { digest: *digest })),
    }
}
