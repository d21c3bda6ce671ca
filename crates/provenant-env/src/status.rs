//! `env status`: for each environment in promotion order, the digest currently promoted there (the
//! newest verified `promoted` promotion record in the ledger), since when, the approvals that counted,
//! the configuration digest recorded with the promotion, and what drifted since: a configuration whose
//! digest now differs from the recorded one, and images found in the environment's repository without a
//! promotion record (unrecorded changes).

use std::collections::BTreeSet;
use std::path::Path;

use provenant_attest::predicate::{PROVENANT_APPROVAL_V1, PROVENANT_PROMOTION_V1};
use provenant_digest::Digest;
use provenant_evidence::roles::{Roles, verify_for_role};
use provenant_ledger_store::{LedgerStore, Query, StoreError, contents};
use provenant_records::Record as _;
use provenant_records::approval::Approval;
use provenant_sigstore::TrustedRoot;
use serde::Serialize;

use crate::config::{Environment, EnvironmentsFile};
use crate::config_digest::{ConfigDigestError, config_digest};
use crate::inventory::{Inventory, InventoryError, Listed};
use crate::promoted::{LookupError, PromotionLookup, VerifiedPromotion, find_promotion};

/// The state of every environment, in promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// One per environment of the file, in its order.
    pub environments: Vec<EnvironmentStatus>,
}

impl Status {
    /// Whether any environment drifted (a configuration changed, or an unrecorded change).
    #[must_use]
    pub fn drifted(&self) -> bool {
        self.environments.iter().any(|e| !e.drift.is_empty())
    }
}

/// One environment's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentStatus {
    /// The environment.
    pub name: String,
    /// The digest currently promoted there; none when nothing was.
    pub digest: Option<String>,
    /// When it was promoted (the promotion record's timestamp, RFC 3339).
    pub since: Option<String>,
    /// The approvals the promotion relied on, verified.
    pub approvals: Vec<CountedApproval>,
    /// The configuration digest recorded with the promotion.
    pub config_digest: Option<String>,
    /// What changed since, sorted: configuration first, then unrecorded images by digest.
    pub drift: Vec<Drift>,
}

/// An approval the current promotion relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedApproval {
    /// The approver's identity (a key's fingerprint, or a certificate's SAN).
    pub identity: String,
    /// The role it was given in.
    pub role: String,
    /// When (RFC 3339).
    pub timestamp: String,
}

/// Something in an environment that no promotion record accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Drift {
    /// The environment's configuration now has another digest than the one recorded with the
    /// promotion (or is named where none was recorded, or no longer named).
    Config {
        /// The configuration file or directory the environments file names now, if any.
        path: Option<String>,
        /// The digest recorded with the promotion.
        recorded: Option<String>,
        /// Its digest now.
        current: Option<String>,
    },
    /// An image in the environment's repository with no promotion record into the environment.
    UnrecordedChange {
        /// Its digest.
        digest: String,
        /// The tags that point to it.
        tags: Vec<String>,
    },
}

/// Why the status could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The ledger could not be read.
    #[error("cannot read the ledger: {0}")]
    Store(#[from] StoreError),
    /// A promotion could not be looked up.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// A configuration could not be digested.
    #[error(transparent)]
    Config(#[from] ConfigDigestError),
    /// An environment's repository could not be listed.
    #[error("cannot list the images in {environment}'s repository {repository}: {source}")]
    Inventory {
        /// The environment.
        environment: String,
        /// Its repository.
        repository: String,
        /// Why.
        #[source]
        source: InventoryError,
    },
}

/// What the status is read from.
pub struct Sources<'a> {
    /// The ledger.
    pub store: &'a dyn LedgerStore,
    /// The environments file, and the directory its relative paths are resolved against.
    pub environments: &'a EnvironmentsFile,
    /// The environments file's directory.
    pub base: &'a Path,
    /// Who holds which role.
    pub roles: &'a Roles,
    /// The trusted root for keyless holders.
    pub trusted_root: Option<&'a TrustedRoot>,
    /// Lists the images in a repository.
    pub inventory: &'a dyn Inventory,
}

/// The status of every environment.
pub fn status(s: &Sources<'_>) -> Result<Status, StatusError> {
    let mut out = Vec::with_capacity(s.environments.environments.len());
    for env in &s.environments.environments {
        out.push(environment_status(s, env)?);
    }
    Ok(Status { environments: out })
}

fn signer_roles(env: &Environment) -> Vec<String> {
    env.promote_roles.iter().map(ToString::to_string).collect()
}

fn environment_status(s: &Sources<'_>, env: &Environment) -> Result<EnvironmentStatus, StatusError> {
    let name = env.name.as_str();
    let current = current_promotion(s.store, env, s.roles, s.trusted_root)?;
    let mut drift = Vec::new();
    let mut out = EnvironmentStatus {
        name: name.to_owned(),
        digest: None,
        since: None,
        approvals: Vec::new(),
        config_digest: None,
        drift: Vec::new(),
    };
    if let Some((subject, p)) = &current {
        out.digest = Some(subject.to_string());
        out.since = Some(p.record.timestamp.clone());
        out.config_digest.clone_from(&p.record.config_digest);
        out.approvals = counted_approvals(s, p, subject)?;
        let now = config_digest(s.base, env)?.map(|d| d.to_string());
        if now != p.record.config_digest {
            drift.push(Drift::Config {
                path: env.config.clone(),
                recorded: p.record.config_digest.clone(),
                current: now,
            });
        }
    }
    let listed = s
        .inventory
        .images(env.repository.trim())
        .map_err(|source| StatusError::Inventory {
            environment: name.to_owned(),
            repository: env.repository.clone(),
            source,
        })?;
    for Listed { digest, tags } in listed {
        if let PromotionLookup::NotPromoted { .. } = find_promotion(
            s.store,
            &digest,
            name,
            s.roles,
            &signer_roles(env),
            s.trusted_root,
        )? {
            drift.push(Drift::UnrecordedChange {
                digest: digest.to_string(),
                tags,
            });
        }
    }
    out.drift = drift;
    Ok(out)
}

/// The newest verified `promoted` record into `env`, whatever its digest, with that digest: every digest the ledger has
/// promotion entries for in the environment is looked up with [`find_promotion`] and the newest
/// verified promotion among them wins.
pub fn current_promotion(
    store: &dyn LedgerStore,
    env: &Environment,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Option<(Digest, VerifiedPromotion)>, StatusError> {
    let name = env.name.as_str();
    let query = Query {
        predicate_type: Some(PROVENANT_PROMOTION_V1.to_owned()),
        environment: Some(name.to_owned()),
        ..Query::default()
    };
    let mut subjects = BTreeSet::new();
    for item in contents(store, &query)? {
        let (_, content) = item?;
        // Unverified keys, only to know which digests to look up; each lookup verifies.
        if let Ok(keys) = provenant_ledger::entry::EntryKeys::from_entry(&content) {
            subjects.extend(keys.subjects.iter().filter_map(|s| s.parse::<Digest>().ok()));
        }
    }
    let mut newest: Option<(Digest, VerifiedPromotion)> = None;
    for subject in subjects {
        if let PromotionLookup::Promoted(p) =
            find_promotion(store, &subject, name, roles, &signer_roles(env), trusted_root)?
            && newest.as_ref().is_none_or(|(_, n)| p.index > n.index)
        {
            newest = Some((subject, *p));
        }
    }
    Ok(newest)
}

/// The approvals the promotion record lists as evidence, found in the ledger by their bundle digest
/// and verified for the role each claims; one that no longer verifies is left out.
fn counted_approvals(
    s: &Sources<'_>,
    p: &VerifiedPromotion,
    subject: &Digest,
) -> Result<Vec<CountedApproval>, StatusError> {
    let relied: BTreeSet<&str> = p
        .record
        .evidence
        .iter()
        .filter(|e| e.predicate_type == PROVENANT_APPROVAL_V1)
        .map(|e| e.digest.as_str())
        .collect();
    if relied.is_empty() {
        return Ok(Vec::new());
    }
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(PROVENANT_APPROVAL_V1.to_owned()),
        ..Query::default()
    };
    let mut out = Vec::new();
    for item in contents(s.store, &query)? {
        let (_, content) = item?;
        let bundle_digest = provenant_digest::Algorithm::Sha256
            .hash_bytes(&content)
            .to_string();
        if !relied.contains(bundle_digest.as_str()) {
            continue;
        }
        let Ok(keys) = provenant_ledger::entry::EntryKeys::from_entry(&content) else {
            continue;
        };
        let Ok(claimed) = Approval::from_statement(&keys.statement) else {
            continue;
        };
        if let Ok(signed) = verify_for_role(&content, subject, s.roles, &claimed.role, s.trusted_root)
            && let Ok(a) = Approval::from_statement(&signed.statement)
        {
            out.push(CountedApproval {
                identity: a.identity,
                role: a.role,
                timestamp: a.timestamp,
            });
        }
    }
    Ok(out)
}
