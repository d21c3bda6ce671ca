//! Release health: the SLIs read before and after a release, and whether the release is complete.

use std::time::Duration;

use provenant_digest::Digest;
use provenant_ledger_store::{LedgerStore, Query};
use provenant_records::Record as _;
use provenant_records::release::{ReleaseHealth, Sli};
use serde::Serialize;

use crate::http::Deadlines;
use crate::ledger::{ReadError, read_verified};
use crate::plan::{RejectedEntry, Trust};
use crate::prometheus::{QueryError, query_at};

/// One SLI to read: its name and `PromQL` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliQuery {
    /// The SLI's name.
    pub name: String,
    /// The `PromQL` expression.
    pub query: String,
}

/// Why an SLI could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("SLI {name}: {source}")]
pub struct BaselineError {
    /// The SLI.
    pub name: String,
    /// The failure.
    #[source]
    pub source: QueryError,
}

/// Reads each SLI at `start` (before) and at `start + window` (after) through the Prometheus at
/// `prometheus`; an end in the future (after `now`) leaves `after` missing, to be read by a later run.
/// The SLIs are sorted by name.
pub fn read_slis(
    prometheus: &str,
    queries: &[SliQuery],
    start: u64,
    window: Duration,
    now: u64,
    deadlines: Deadlines,
) -> Result<Vec<Sli>, BaselineError> {
    let end = start.saturating_add(window.as_secs());
    let mut slis = Vec::with_capacity(queries.len());
    for q in queries {
        let read = |at: u64| {
            query_at(prometheus, &q.query, at, deadlines).map_err(|source| BaselineError {
                name: q.name.clone(),
                source,
            })
        };
        let before = read(start)?;
        let after = if end <= now { read(end)? } else { None };
        slis.push(Sli {
            name: q.name.clone(),
            query: q.query.clone(),
            before,
            after,
        });
    }
    slis.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(slis)
}

/// Whether a release is complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    /// The image digest.
    pub digest: String,
    /// The environment.
    pub environment: String,
    /// Complete: a verified release-health record whose every SLI has both values.
    pub complete: bool,
    /// The newest verified release-health record's ledger index.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: Option<u64>,
    /// What is missing, one line each (`no baseline`, `SLI NAME: no after value`, …).
    pub missing: Vec<String>,
    /// The SLIs of that record.
    pub slis: Vec<SliReport>,
    /// Entries not believed.
    pub rejected: Vec<RejectedEntry>,
}

/// One SLI as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliReport {
    /// Name.
    pub name: String,
    /// Before.
    pub before: Option<f64>,
    /// After.
    pub after: Option<f64>,
}

/// Checks the newest verified release-health record of `digest` in `environment`.
pub fn completeness(
    store: &dyn LedgerStore,
    digest: &Digest,
    environment: &str,
    trust: Trust<'_>,
) -> Result<Completeness, ReadError> {
    let (records, rejected) = read_verified(
        store,
        &Query {
            subject: Some(digest.to_string()),
            predicate_type: Some(provenant_attest::predicate::PROVENANT_RELEASE_HEALTH_V1.to_owned()),
            environment: Some(environment.to_owned()),
            ..Query::default()
        },
        Some(environment),
        trust.roles,
        trust.deployer_roles,
        trust.trusted_root,
        ReleaseHealth::from_statement,
        |r: &ReleaseHealth| r.environment.as_str(),
    )?;
    let newest = records.iter().rev().find(|r| r.subject == *digest);
    let mut missing = Vec::new();
    let slis = match newest {
        None => {
            missing.push(format!(
                "no verified release baseline for {digest} in {environment}"
            ));
            Vec::new()
        }
        Some(r) => {
            if r.record.slis.is_empty() {
                missing.push("the baseline records no SLI".to_owned());
            }
            for sli in &r.record.slis {
                match (sli.before, sli.after) {
                    (None, None) => missing.push(format!("SLI {}: no before and no after value", sli.name)),
                    (None, Some(_)) => missing.push(format!("SLI {}: no before value", sli.name)),
                    (Some(_), None) => missing.push(format!("SLI {}: no after value", sli.name)),
                    (Some(_), Some(_)) => {}
                }
            }
            r.record
                .slis
                .iter()
                .map(|s| SliReport {
                    name: s.name.clone(),
                    before: s.before,
                    after: s.after,
                })
                .collect()
        }
    };
    Ok(Completeness {
        digest: digest.to_string(),
        environment: environment.to_owned(),
        complete: missing.is_empty(),
        ledger_index: newest.map(|r| r.index),
        missing,
        slis,
        rejected: rejected.into_iter().map(Into::into).collect(),
    })
}
