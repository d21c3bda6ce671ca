//! The change record of a promotion, generated from pipeline metadata alone (the ledger): the commit
//! range since the environment's current digest (from the two build provenances' source commits), the
//! changelog of that range (given by the caller from the repository, when it has one), the artefact
//! digests, the SBOM differences, the gate decision with its exceptions and vulnerabilities, the
//! approvals, the planned deployment strategy and windows, and the rollback target (the environment's
//! current digest).
//!
//! The record is written as canonical JSON (RFC 8785, [`ChangeRecord::canonical`]); its digest is what an
//! approval's change digest names, and it is appended to the ledger as the predicate of an in-toto
//! statement ([`ChangeRecord::statement`], predicate type `change-record/v1`) about the image.

use provenant_attest::predicate::{
    CYCLONEDX, PROVENANT_APPROVAL_V1, PROVENANT_CHANGE_RECORD_V1, PROVENANT_GATE_DECISION_V1,
    SLSA_PROVENANCE_V1, SPDX,
};
use provenant_attest::{ResourceDescriptor, Statement};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::roles::{RoleSigned, Roles, verify_for_role};
use provenant_ledger_store::{LedgerStore, Query, StoreError, contents};
use provenant_records::Record as _;
use provenant_records::approval::Approval;
use provenant_records::deployment::Strategy;
use provenant_sigstore::TrustedRoot;
use serde::Serialize;
use serde_json::Value;

use crate::config::EnvironmentsFile;
use crate::exceptions::{LoggedException, Use};
use crate::status::{CountedApproval, StatusError, current_promotion};

/// The change record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    /// The environment the image is to be promoted into.
    pub environment: String,
    /// The image's digest.
    pub digest: String,
    /// The artefacts its build provenance names (name and digest), sorted.
    pub artefacts: Vec<Artefact>,
    /// What the environment runs now, which a rollback returns to; none when nothing was promoted.
    pub rollback_target: Option<RollbackTarget>,
    /// The commit range from the current digest's source commit to the image's.
    pub commits: CommitRange,
    /// The changelog of the range, from Conventional Commits (only when a repository was read).
    pub changelog: Option<provenant_source::changelog::Changelog>,
    /// Packages added, removed and upgraded since the current digest (both SBOMs in the ledger).
    pub sbom: Option<SbomChanges>,
    /// The newest gate decision for the image, signed by the gate's role.
    pub gate: Option<GateSummary>,
    /// The vulnerabilities the gate decision lists.
    pub vulnerabilities: Vec<Vulnerability>,
    /// The approvals for the image and the environment, verified for the role each claims.
    pub approvals: Vec<CountedApproval>,
    /// The planned deployment.
    pub deployment: PlannedDeployment,
}

/// An artefact by digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Artefact {
    /// Its name in the provenance.
    pub name: String,
    /// Its digest.
    pub digest: String,
}

/// The environment's current digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackTarget {
    /// The digest.
    pub digest: String,
    /// When it was promoted.
    pub since: String,
}

/// The source commits of the current digest and of the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitRange {
    /// The current digest's source commit.
    pub from: Option<String>,
    /// The image's source commit.
    pub to: Option<String>,
    /// The source repository the image's provenance names.
    pub repository: Option<String>,
}

impl CommitRange {
    /// `FROM..TO` when both ends are known.
    #[must_use]
    pub fn spec(&self) -> Option<String> {
        Some(format!("{}..{}", self.from.as_deref()?, self.to.as_deref()?))
    }
}

/// SBOM differences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SbomChanges {
    /// Packages only in the image.
    pub added: Vec<provenant_sbom::diff::Entry>,
    /// Packages only in the current digest.
    pub removed: Vec<provenant_sbom::diff::Entry>,
    /// Packages in both under another version.
    pub upgraded: Vec<provenant_sbom::diff::Change>,
}

/// The gate decision relied on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateSummary {
    /// `pass` or `block`.
    pub decision: String,
    /// The decision's digest (its ledger entry's SHA-256).
    pub digest: String,
    /// When it was made.
    pub evaluated_at: String,
    /// Who signed it.
    pub signer: String,
    /// The exceptions it used or refused.
    pub exceptions: Vec<LoggedException>,
}

/// A vulnerability the gate decision lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vulnerability {
    /// Its id (`CVE-…`, `GHSA-…`) or the rule that found it.
    pub id: String,
    /// Its severity.
    pub severity: String,
    /// The gate.
    pub gate: String,
    /// Where.
    pub location: Option<String>,
    /// What.
    pub message: String,
    /// Whether an exception or suppression let it through (`applied`, `refused`, `suppressed`).
    pub exception: Option<String>,
}

/// The planned deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDeployment {
    /// The strategy the environments file names.
    pub strategy: Option<Strategy>,
    /// The change windows (any one), as one line each.
    pub windows: Vec<String>,
}

/// Why a change record could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeRecordError {
    /// The ledger could not be read.
    #[error("cannot read the ledger: {0}")]
    Store(#[from] StoreError),
    /// The current promotion could not be looked up.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// No such environment.
    #[error("there is no environment {environment} in the environments file (it has {known})")]
    UnknownEnvironment {
        /// The name asked for.
        environment: String,
        /// The names it has.
        known: String,
    },
    /// The record could not be written as canonical JSON.
    #[error("cannot write the change record as canonical JSON: {0}")]
    Canonical(String),
}

/// What a change record is made from.
pub struct Inputs<'a> {
    /// The ledger.
    pub store: &'a dyn LedgerStore,
    /// The environments file.
    pub environments: &'a EnvironmentsFile,
    /// The environment.
    pub environment: &'a str,
    /// The image.
    pub digest: &'a Digest,
    /// Who holds which role.
    pub roles: &'a Roles,
    /// The trusted root for keyless holders.
    pub trusted_root: Option<&'a TrustedRoot>,
}

impl ChangeRecord {
    /// The record as canonical JSON (RFC 8785).
    ///
    /// # Errors
    /// When it cannot be serialised (never for the types it holds).
    pub fn canonical(&self) -> Result<Vec<u8>, ChangeRecordError> {
        serde_json_canonicalizer::to_vec(self).map_err(|e| ChangeRecordError::Canonical(e.to_string()))
    }

    /// The SHA-256 of [`ChangeRecord::canonical`].
    ///
    /// # Errors
    /// As [`ChangeRecord::canonical`].
    pub fn digest(&self) -> Result<Digest, ChangeRecordError> {
        Ok(Algorithm::Sha256.hash_bytes(&self.canonical()?))
    }

    /// The ledger entry: an in-toto statement about the image whose predicate is the record, written
    /// canonically.
    ///
    /// # Errors
    /// As [`ChangeRecord::canonical`].
    pub fn statement(&self, name: &str) -> Result<Vec<u8>, ChangeRecordError> {
        let predicate: Value = serde_json::from_slice(&self.canonical()?)
            .map_err(|e| ChangeRecordError::Canonical(e.to_string()))?;
        let digest: Digest = self
            .digest
            .parse()
            .map_err(|_| ChangeRecordError::Canonical(format!("{} is not a digest", self.digest)))?;
        let statement = Statement::new(
            vec![ResourceDescriptor::for_digest(name, &digest)],
            PROVENANT_CHANGE_RECORD_V1.to_owned(),
            predicate,
        );
        let value =
            serde_json::to_value(&statement).map_err(|e| ChangeRecordError::Canonical(e.to_string()))?;
        serde_json_canonicalizer::to_vec(&value).map_err(|e| ChangeRecordError::Canonical(e.to_string()))
    }
}

/// Verified ledger entries of `predicate_type` about `subject` signed by a holder of `role`, oldest
/// first.
fn verified(
    store: &dyn LedgerStore,
    subject: &Digest,
    predicate_type: &str,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Vec<RoleSigned>, StoreError> {
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(predicate_type.to_owned()),
        ..Query::default()
    };
    let mut out = Vec::new();
    for item in contents(store, &query)? {
        let (_, content) = item?;
        if let Ok(s) = verify_for_role(&content, subject, roles, role, trusted_root) {
            out.push(s);
        }
    }
    Ok(out)
}

/// The source commit and repository a provenance names: the first resolved dependency (SLSA v1) with a
/// `gitCommit` or `sha1` digest.
fn source_of(statement: &Statement) -> Option<(String, Option<String>)> {
    let deps = statement
        .predicate
        .pointer("/buildDefinition/resolvedDependencies")
        .and_then(Value::as_array)?;
    deps.iter().find_map(|d| {
        let digest = d.get("digest")?;
        let commit = digest
            .get("gitCommit")
            .or_else(|| digest.get("sha1"))
            .and_then(Value::as_str)?;
        let uri = d.get("uri").and_then(Value::as_str).map(str::to_owned);
        Some((commit.to_owned(), uri))
    })
}

/// The newest verified SBOM of `subject` in the ledger.
fn sbom_of(
    store: &dyn LedgerStore,
    subject: &Digest,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Option<provenant_sbom::Sbom>, StoreError> {
    let mut found = verified(store, subject, CYCLONEDX, roles, role, trusted_root)?;
    found.extend(verified(store, subject, SPDX, roles, role, trusted_root)?);
    Ok(found
        .iter()
        .rev()
        .find_map(|s| provenant_sbom::read::read(&s.statement.predicate, 0).ok())
        .map(|r| r.sbom))
}

/// The roles that sign build provenance (the entry environment's) and gate decisions (the
/// environment's gate rule, else the first environment's that has one), `ci` when none is named.
fn signing_roles(environments: &EnvironmentsFile, env: &crate::config::Environment) -> (String, String) {
    let entry_role = environments
        .environments
        .first()
        .and_then(|e| e.requires.provenance.as_ref())
        .map_or_else(|| "ci".to_owned(), |p| p.role.to_string());
    let gate_role = env
        .requires
        .gate_decision
        .as_ref()
        .or_else(|| {
            environments
                .environments
                .iter()
                .find_map(|e| e.requires.gate_decision.as_ref())
        })
        .map_or_else(|| "ci".to_owned(), |g| g.role.to_string());
    (entry_role, gate_role)
}

/// The change record for promoting `inputs.digest` into `inputs.environment` (without a changelog:
/// the caller adds one from the repository, for [`CommitRange::spec`]).
pub fn generate(inputs: &Inputs<'_>) -> Result<ChangeRecord, ChangeRecordError> {
    let Some((_, env)) = inputs.environments.find(inputs.environment) else {
        return Err(ChangeRecordError::UnknownEnvironment {
            environment: inputs.environment.to_owned(),
            known: inputs.environments.names().join(", "),
        });
    };
    let (store, roles, root) = (inputs.store, inputs.roles, inputs.trusted_root);
    let (entry_role, gate_role) = signing_roles(inputs.environments, env);

    let current = current_promotion(store, env, roles, root)?;
    let provenance = verified(store, inputs.digest, SLSA_PROVENANCE_V1, roles, &entry_role, root)?;
    let mut artefacts: Vec<Artefact> = provenance
        .iter()
        .flat_map(|p| p.statement.subject.iter())
        .flat_map(|s| {
            s.digests().into_iter().map(|d| Artefact {
                name: s.name.clone().unwrap_or_default(),
                digest: d.to_string(),
            })
        })
        .collect();
    artefacts.sort();
    artefacts.dedup();

    let to = provenance.iter().find_map(|p| source_of(&p.statement));
    let mut commits = CommitRange {
        to: to.as_ref().map(|(c, _)| c.clone()),
        repository: to.and_then(|(_, uri)| uri),
        from: None,
    };
    let mut sbom = None;
    if let Some((current_digest, _)) = &current {
        let before = verified(
            store,
            current_digest,
            SLSA_PROVENANCE_V1,
            roles,
            &entry_role,
            root,
        )?;
        commits.from = before
            .iter()
            .find_map(|p| source_of(&p.statement))
            .map(|(c, _)| c);
        if let (Some(old), Some(new)) = (
            sbom_of(store, current_digest, roles, &entry_role, root)?,
            sbom_of(store, inputs.digest, roles, &entry_role, root)?,
        ) {
            let d = provenant_sbom::diff::diff(&old, &new);
            sbom = Some(SbomChanges {
                added: d.added,
                removed: d.removed,
                upgraded: d.changed.into_iter().filter(|c| c.version_changed).collect(),
            });
        }
    }

    let decisions = verified(
        store,
        inputs.digest,
        PROVENANT_GATE_DECISION_V1,
        roles,
        &gate_role,
        root,
    )?;
    // The newest decision that reads as one (decision, gates and time), as promotion judges it.
    let readable = decisions
        .iter()
        .rev()
        .find(|d| provenant_attest::gate_decision::GateDecision::read(&d.statement.predicate).is_ok());
    let (gate, vulnerabilities) = match readable {
        Some(d) => gate_summary(d),
        None => (None, Vec::new()),
    };

    Ok(ChangeRecord {
        environment: inputs.environment.to_owned(),
        digest: inputs.digest.to_string(),
        artefacts,
        rollback_target: current.map(|(d, p)| RollbackTarget {
            digest: d.to_string(),
            since: p.record.timestamp,
        }),
        commits,
        changelog: None,
        sbom,
        gate,
        vulnerabilities,
        approvals: approvals(store, inputs.digest, inputs.environment, roles, root)?,
        deployment: PlannedDeployment {
            strategy: env.strategy,
            windows: env
                .requires
                .change_windows
                .iter()
                .map(crate::config::ChangeWindow::describe)
                .collect(),
        },
    })
}

/// The gate decision's summary and the vulnerabilities it lists (findings of the dependency and
/// container gates, and any finding whose rule is a vulnerability id).
fn gate_summary(d: &RoleSigned) -> (Option<GateSummary>, Vec<Vulnerability>) {
    let p = &d.statement.predicate;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut exceptions = Vec::new();
    let mut vulnerabilities = Vec::new();
    let subject = d
        .statement
        .subject
        .iter()
        .find_map(|s| s.digests().into_iter().next())
        .map(|x| x.to_string())
        .unwrap_or_default();
    for gate in p.get("gates").and_then(Value::as_array).into_iter().flatten() {
        let id = text(gate, "id");
        for e in gate
            .get("exceptions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            exceptions.push(LoggedException {
                owner: text(e, "owner"),
                rationale: text(e, "rationale"),
                expires: text(e, "expires"),
                approver: e.get("approver").and_then(Value::as_str).map(str::to_owned),
                role: text(e, "role"),
                finding: text(e, "finding"),
                file: text(e, "file"),
                gate: id.clone(),
                status: if text(e, "status") == "applied" {
                    Use::Used
                } else {
                    Use::Refused
                },
                reason: e.get("reason").and_then(Value::as_str).map(str::to_owned),
                active: true,
                decision: d.bundle_digest.to_string(),
                subject: subject.clone(),
                evaluated_at: text(p, "evaluatedAt"),
                ledger_index: 0,
            });
        }
        for f in gate
            .get("findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let rule = text(f, "rule");
            if id == "dependencies"
                || id == "container"
                || provenant_ledger::entry::is_vulnerability_id(&rule)
            {
                vulnerabilities.push(Vulnerability {
                    id: rule,
                    severity: text(f, "severity"),
                    gate: id.clone(),
                    location: f.get("location").and_then(Value::as_str).map(str::to_owned),
                    message: text(f, "message"),
                    exception: f
                        .pointer("/exception/status")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                });
            }
        }
    }
    (
        Some(GateSummary {
            decision: text(p, "decision"),
            digest: d.bundle_digest.to_string(),
            evaluated_at: text(p, "evaluatedAt"),
            signer: d.signer.clone(),
            exceptions,
        }),
        vulnerabilities,
    )
}

/// The approvals of `subject` for `environment` in the ledger, oldest first, each verified for the
/// role it claims (one that does not verify is left out).
pub fn approvals(
    store: &dyn LedgerStore,
    subject: &Digest,
    environment: &str,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Vec<CountedApproval>, StoreError> {
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(PROVENANT_APPROVAL_V1.to_owned()),
        ..Query::default()
    };
    let mut out = Vec::new();
    for item in contents(store, &query)? {
        let (_, content) = item?;
        let Ok(keys) = provenant_ledger::entry::EntryKeys::from_entry(&content) else {
            continue;
        };
        let Ok(claimed) = Approval::from_statement(&keys.statement) else {
            continue;
        };
        if claimed.environment != environment {
            continue;
        }
        if let Ok(signed) = verify_for_role(&content, subject, roles, &claimed.role, trusted_root)
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
