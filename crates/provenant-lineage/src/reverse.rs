//! The reverse questions: which artefacts and images contain a commit, a package, a vulnerability or a
//! file, and which environments run them now and since when. Answered from the ledger's indexes
//! (subjects, commits, environments and terms), never by crawling registries.
//!
//! - `--commit SHA`: entries indexed by that commit (build provenances, source and promotion records);
//!   their subjects are the artefacts built from it.
//! - `--purl PURL`: SBOM statements listing a matching package URL (an exact version, none, or a range:
//!   see [`crate::version`]); their subjects are the artefacts that contain it.
//! - `--cve ID`: vulnerability statements and gate decisions naming it; their subjects.
//! - `--file DIGEST`: the file itself (a subject) and the provenances that record it as a material.
//!
//! Each artefact is then followed to the images whose packaging provenance records it as a material,
//! and each artefact and image to its deployment and rollback records, by environment: the newest
//! deployment or rollback of an environment says what runs there now.
//!
//! The answer is what the ledger's signed records say, found by index; whether each record's signer
//! held its role is for `lineage verify` of the image, which the answer names.

use std::collections::{BTreeMap, BTreeSet};

use provenant_attest::predicate::{PROVENANT_DEPLOYMENT_V1, PROVENANT_PROMOTION_V1, PROVENANT_ROLLBACK_V1};
use provenant_digest::Digest;
use provenant_ledger::entry::{EntryKeys, TermKind};
use provenant_ledger_store::{LedgerStore, Query, StoreError};
use serde::Serialize;

use crate::version::{PurlQuery, VersionSpec};

/// Most artefacts an answer follows (beyond it the answer says it was cut).
pub const MAX_ARTEFACTS: usize = 10_000;

/// What is asked about.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Needle {
    /// A source commit.
    Commit(String),
    /// A package URL, with an optional version range.
    Purl(PurlQuery),
    /// A vulnerability id.
    Cve(String),
    /// A file's digest.
    File(Digest),
}

/// A reverse query failed to run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WhereError {
    /// The ledger failed.
    #[error("reading the ledger: {0}")]
    Store(#[from] StoreError),
}

/// A ledger entry through which something was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Via {
    /// The entry's index.
    pub index: u64,
    /// Its predicate type.
    pub predicate_type: String,
    /// What matched (the package URL, the vulnerability id, the commit, the digest).
    pub matched: String,
}

/// An environment running an artefact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Running {
    /// The environment.
    pub environment: String,
    /// Whether it runs there now (the environment's newest deployment or rollback is to it).
    pub now: bool,
    /// Since when (the ledger's integration time of that record, seconds since the epoch).
    pub since: u64,
    /// The record's index.
    pub index: u64,
}

/// An environment an artefact was promoted into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Promoted {
    /// The environment.
    pub environment: String,
    /// When (the ledger's integration time).
    pub time: u64,
    /// The record's index.
    pub index: u64,
}

/// One artefact found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Artefact {
    /// Its digest, `algorithm:value`.
    pub digest: String,
    /// The names the statements give it.
    pub names: Vec<String>,
    /// The entries through which it was found.
    pub via: Vec<Via>,
    /// Images whose packaging provenance records it.
    pub contained_in: Vec<String>,
    /// Environments it was promoted into.
    pub promoted: Vec<Promoted>,
    /// Environments it was deployed to, and whether it runs there now.
    pub deployed: Vec<Running>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhereReport {
    /// The question, as asked.
    pub query: String,
    /// The artefacts found (files and images), by digest.
    pub artefacts: Vec<Artefact>,
    /// Whether the answer was cut at [`MAX_ARTEFACTS`].
    pub truncated: bool,
}

fn keys_of(store: &dyn LedgerStore, index: u64) -> Result<Option<(EntryKeys, u64)>, StoreError> {
    let entry = store.entry(index)?;
    Ok(entry
        .content
        .as_deref()
        .and_then(|c| EntryKeys::from_entry(c).ok())
        .map(|k| (k, entry.time)))
}

/// Collects artefacts found.
#[derive(Default)]
struct Found {
    by_digest: BTreeMap<String, (BTreeSet<String>, BTreeSet<Via>)>,
    truncated: bool,
}

impl Found {
    fn add_subjects(&mut self, keys: &EntryKeys, index: u64, matched: &str) {
        for subject in &keys.statement.subject {
            for (alg, value) in &subject.digest {
                if alg == "gitCommit" || alg == "sha1" {
                    continue;
                }
                let digest = format!("{alg}:{value}");
                if !self.by_digest.contains_key(&digest) && self.by_digest.len() >= MAX_ARTEFACTS {
                    self.truncated = true;
                    continue;
                }
                let (names, via) = self.by_digest.entry(digest).or_default();
                if let Some(n) = &subject.name {
                    names.insert(n.clone());
                }
                via.insert(Via {
                    index,
                    predicate_type: keys.predicate_type.clone(),
                    matched: matched.to_owned(),
                });
            }
        }
    }
}

/// Answers a reverse question from the ledger's indexes.
pub fn find(store: &dyn LedgerStore, needle: &Needle) -> Result<WhereReport, WhereError> {
    let mut found = Found::default();
    let query = match needle {
        Needle::Commit(sha) => {
            let sha = sha.to_ascii_lowercase();
            for index in store.query(&Query {
                commit: Some(sha.clone()),
                ..Query::default()
            })? {
                if let Some((keys, _)) = keys_of(store, index)? {
                    found.add_subjects(&keys, index, &sha);
                }
            }
            format!("commit {sha}")
        }
        Needle::Purl(q) => {
            for (purl, index) in purl_terms(store, q)? {
                if !q.matches(&purl) {
                    continue;
                }
                if let Some((keys, _)) = keys_of(store, index)? {
                    found.add_subjects(&keys, index, &purl);
                }
            }
            format!("package {}", q.package)
        }
        Needle::Cve(id) => {
            for (value, index) in store.terms(TermKind::Vulnerability, id)? {
                if value != *id {
                    continue;
                }
                if let Some((keys, _)) = keys_of(store, index)? {
                    found.add_subjects(&keys, index, id);
                }
            }
            format!("vulnerability {id}")
        }
        Needle::File(digest) => {
            let d = digest.to_string();
            for index in store.query(&Query {
                subject: Some(d.clone()),
                ..Query::default()
            })? {
                if let Some((keys, _)) = keys_of(store, index)? {
                    if keys.predicate_type == PROVENANT_DEPLOYMENT_V1
                        || keys.predicate_type == PROVENANT_PROMOTION_V1
                    {
                        continue;
                    }
                    found.add_subjects(&keys, index, &d);
                }
            }
            found.by_digest.entry(d.clone()).or_default();
            format!("file {d}")
        }
    };
    // Follow each artefact to the images that package it (one level: an image is not a material of
    // another image here).
    let mut images: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let artefact_digests: Vec<String> = found.by_digest.keys().cloned().collect();
    for digest in &artefact_digests {
        for (_, index) in store.terms(TermKind::Material, digest)? {
            let Some((keys, _)) = keys_of(store, index)? else {
                continue;
            };
            for s in &keys.subjects {
                if s.starts_with("sha256:") && s != digest {
                    images.entry(digest.clone()).or_default().insert(s.clone());
                }
            }
            found.add_subjects(&keys, index, digest);
        }
    }
    let mut artefacts = Vec::new();
    let mut env_cache = BTreeMap::new();
    for (digest, (names, via)) in found.by_digest {
        let (promoted, deployed) = environments(store, &digest, &mut env_cache)?;
        artefacts.push(Artefact {
            contained_in: images
                .remove(&digest)
                .map(|s| s.into_iter().collect())
                .unwrap_or_default(),
            names: names.into_iter().collect(),
            via: via.into_iter().collect(),
            promoted,
            deployed,
            digest,
        });
    }
    Ok(WhereReport {
        query,
        artefacts,
        truncated: found.truncated,
    })
}

/// The package URL terms that can match `q`. With a version or a range only `PACKAGE@…` can (a
/// package URL without a version matches neither), so other packages whose names merely start with
/// this one (`pkg:npm/p1` and `pkg:npm/p10`…`p1999`) are not read; any version reads every term with
/// the package as prefix, for the package URL without a version, qualifiers or subpath.
fn purl_terms(store: &dyn LedgerStore, q: &PurlQuery) -> Result<Vec<(String, u64)>, StoreError> {
    match q.version {
        VersionSpec::Any => store.terms(TermKind::Purl, &q.package),
        _ => store.terms(TermKind::Purl, &format!("{}@", q.package)),
    }
}

/// What an environment runs now: the digest and the index and time of the record that put it there.
type Current = Option<(String, u64, u64)>;

/// The newest deployment or rollback of `environment`: what runs there now.
fn current(store: &dyn LedgerStore, environment: &str) -> Result<Current, StoreError> {
    let mut newest: Option<u64> = None;
    for predicate_type in [PROVENANT_DEPLOYMENT_V1, PROVENANT_ROLLBACK_V1] {
        let last = store.newest(&Query {
            environment: Some(environment.to_owned()),
            predicate_type: Some(predicate_type.to_owned()),
            ..Query::default()
        })?;
        newest = newest.max(last);
    }
    let Some(index) = newest else { return Ok(None) };
    let Some((keys, time)) = keys_of(store, index)? else {
        return Ok(None);
    };
    let digest = if keys.predicate_type == PROVENANT_ROLLBACK_V1 {
        keys.statement
            .predicate
            .get("to")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    } else {
        keys.subjects.iter().find(|s| s.starts_with("sha256:")).cloned()
    };
    Ok(digest.map(|d| (d, index, time)))
}

fn environments(
    store: &dyn LedgerStore,
    digest: &str,
    cache: &mut BTreeMap<String, Current>,
) -> Result<(Vec<Promoted>, Vec<Running>), StoreError> {
    let mut promoted = Vec::new();
    let mut deployed: BTreeMap<String, Running> = BTreeMap::new();
    // Only promotion and deployment records are read (by index), not every statement about the digest.
    let mut indexes = Vec::new();
    for predicate_type in [PROVENANT_PROMOTION_V1, PROVENANT_DEPLOYMENT_V1] {
        indexes.extend(store.query(&Query {
            subject: Some(digest.to_owned()),
            predicate_type: Some(predicate_type.to_owned()),
            ..Query::default()
        })?);
    }
    indexes.sort_unstable();
    for index in indexes {
        let Some((keys, time)) = keys_of(store, index)? else {
            continue;
        };
        let Some(environment) = keys.environment.clone() else {
            continue;
        };
        if keys.predicate_type == PROVENANT_PROMOTION_V1 {
            if keys
                .statement
                .predicate
                .get("outcome")
                .and_then(serde_json::Value::as_str)
                == Some("promoted")
            {
                promoted.push(Promoted {
                    environment,
                    time,
                    index,
                });
            }
        } else if keys.predicate_type == PROVENANT_DEPLOYMENT_V1 {
            if !cache.contains_key(&environment) {
                let now = current(store, &environment)?;
                cache.insert(environment.clone(), now);
            }
            let now = cache
                .get(&environment)
                .and_then(Option::as_ref)
                .is_some_and(|(d, _, _)| d == digest);
            // The newest deployment of this artefact per environment; "since" is when the record that
            // put it there now was integrated (a rollback to it counts).
            let since = match cache.get(&environment).and_then(Option::as_ref) {
                Some((d, _, t)) if d == digest => (*t).max(time),
                _ => time,
            };
            deployed.insert(
                environment.clone(),
                Running {
                    environment,
                    now,
                    since,
                    index,
                },
            );
        }
    }
    Ok((promoted, deployed.into_values().collect()))
}
