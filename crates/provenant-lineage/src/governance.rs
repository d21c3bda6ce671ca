//! The lineage below the image: the gate decision, and for each environment of the chain up to the
//! one asked about, its approvals, its promotion record, its configuration digest, its deployments,
//! rollbacks and release baselines. Every record is read from the ledger and believed only once
//! [`verify_for_role`] says a holder of its role signed it; every broken edge is reported.

use provenant_attest::predicate::{
    PROVENANT_APPROVAL_V1, PROVENANT_DEPLOYMENT_V1, PROVENANT_GATE_DECISION_V1, PROVENANT_RELEASE_HEALTH_V1,
    PROVENANT_ROLLBACK_V1, PROVENANT_SOURCE_V1,
};
use provenant_digest::{Algorithm, Digest};
use provenant_env::promoted::{PromotionLookup, VerifiedPromotion, find_promotion};
use provenant_env::requirements::Duties;
use provenant_evidence::roles::{
    Holder, RoleError, RoleSigned, Roles, verify_commit_for_role, verify_for_role,
};
use provenant_ledger_store::{LedgerStore, Query, StoreError};
use provenant_records::Record;
use provenant_records::approval::Approval;
use provenant_records::deployment::Deployment;
use provenant_records::release::ReleaseHealth;
use provenant_records::rollback::Rollback;
use provenant_sigstore::TrustedRoot;
use serde_json::Value;

use crate::environments::EnvSpec;
use crate::reason::{FailedCheck, Reason, Rejected};
use crate::{Edge, EdgeKind};

/// The role that signs gate decisions when no environment names one.
pub const DEFAULT_GATE_ROLE: &str = "ci";

/// Whether an environment's repository holds the image (asked of the registry by the caller).
pub trait Presence {
    /// `Ok(true)` when `repository` holds `digest`.
    ///
    /// # Errors
    /// When the repository cannot be asked; the edge then says so instead of guessing.
    fn holds(&self, repository: &str, digest: &Digest) -> Result<bool, PresenceError>;
}

/// An environment's repository could not be asked whether it holds the image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// The environments file's repository is not a repository reference.
    #[error("{repository} is not a repository reference: {source}")]
    Repository {
        /// The repository as the environments file spells it.
        repository: String,
        /// Why it does not parse.
        #[source]
        source: provenant_oci::ReferenceError,
    },
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] provenant_registry::StoreError),
}

/// Why a ledger entry does not count as signed by one of the roles asked for.
#[derive(Debug)]
enum Unsigned {
    /// The entry was redacted: there is nothing to verify.
    Redacted,
    /// Each role and why its holders did not verify the entry.
    Refused(Vec<(String, RoleError)>),
}

impl std::fmt::Display for Unsigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsigned::Redacted => f.write_str("redacted"),
            Unsigned::Refused(refusals) => {
                for (i, (role, error)) in refusals.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{role}: {error}")?;
                }
                Ok(())
            }
        }
    }
}

/// What the governed lineage is checked against.
pub struct Governance<'a> {
    /// The ledger.
    pub store: &'a dyn LedgerStore,
    /// Who holds which role.
    pub roles: &'a Roles,
    /// The trusted root for keyless holders.
    pub trusted_root: Option<&'a TrustedRoot>,
    /// The environments from the first to the one asked about, in order.
    pub chain: &'a [EnvSpec],
    /// The roles whose holders sign deployment, rollback and release-health records.
    pub record_roles: &'a [String],
    /// Whether each environment's repository holds the image (unrecorded changes), when asked.
    pub presence: Option<&'a dyn Presence>,
    /// Who signs the source stage's attestations, and whether one is required.
    pub source: &'a SourceRule,
}

/// The source stage's attestation (`https://provenant.dev/attestation/source/v1`, subject the
/// commit's `gitCommit` digest): looked up in the ledger by each build's source commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRule {
    /// The roles whose holders sign it.
    pub roles: Vec<String>,
    /// Whether a missing one breaks the lineage (otherwise it is shown as absent).
    pub required: bool,
}

/// The governed lineage could not be read (as opposed to an edge not holding).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GovernanceError {
    /// The ledger failed.
    #[error("reading the ledger: {0}")]
    Store(#[from] StoreError),
    /// An environment names no role that may promote into it.
    #[error(
        "{environment} names no role that may promote into it: the environments file must list promote_roles"
    )]
    NoPromoteRoles {
        /// The environment.
        environment: String,
    },
}

/// A ledger entry verified for one of `roles`, or why not (one line per role).
fn verify_entry(
    g: &Governance<'_>,
    content: &[u8],
    subject: &Digest,
    roles: &[String],
) -> Result<RoleSigned, Unsigned> {
    let mut errors = Vec::new();
    for role in roles {
        match verify_for_role(content, subject, g.roles, role, g.trusted_root) {
            Ok(signed) => return Ok(signed),
            Err(e) => errors.push((role.clone(), e)),
        }
    }
    Err(Unsigned::Refused(errors))
}

/// A ledger entry's index and content (`None` once redacted).
type Found = (u64, Option<Vec<u8>>);

/// The entries about `subject` of `predicate_type` (in `environment` when given), newest first, with
/// their content (redacted ones are reported as unreadable).
fn entries(
    g: &Governance<'_>,
    subject: &Digest,
    predicate_type: &str,
    environment: Option<&str>,
) -> Result<Vec<Found>, StoreError> {
    let mut indexes = g.store.query(&Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(predicate_type.to_owned()),
        environment: environment.map(str::to_owned),
        ..Query::default()
    })?;
    indexes.sort_unstable();
    let mut out = Vec::with_capacity(indexes.len());
    for index in indexes.into_iter().rev() {
        out.push((index, g.store.entry(index)?.content));
    }
    Ok(out)
}

/// Who had a part in one build of the artefact: its commit, and the commit's author and committer
/// (from the source-stage attestation of that commit, only once it verified for a source role) and
/// the signers of its build and packaging provenance (each labelled as the roles file names the
/// holder, so that an approval's signer compares with them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    /// The build's source commit, when recorded.
    pub commit: Option<String>,
    /// The identities and the part each had.
    pub duties: Duties,
}

/// The edges below the image: the gate, then one environment edge per environment of the chain.
/// Where an environment requires separation of duties, an approval by one of `parties` breaks.
pub fn edges(g: &Governance<'_>, image: &Digest, parties: &[Parties]) -> Result<Vec<Edge>, GovernanceError> {
    let mut out = vec![gate_edge(g, image)?];
    let mut previous: Option<(&EnvSpec, Option<u64>)> = None;
    for env in g.chain {
        let (edge, promoted_at) = environment_edge(g, image, env, previous, parties)?;
        out.push(edge);
        previous = Some((env, promoted_at));
    }
    Ok(out)
}

fn gate_edge(g: &Governance<'_>, image: &Digest) -> Result<Edge, GovernanceError> {
    let role = g
        .chain
        .iter()
        .find_map(|e| e.requires.gate_decision.as_ref().map(|r| r.role.clone()))
        .unwrap_or_else(|| DEFAULT_GATE_ROLE.to_owned());
    let edge = Edge::new(EdgeKind::Gate, format!("signed by role {role}"));
    let found = entries(g, image, PROVENANT_GATE_DECISION_V1, None)?;
    if found.is_empty() {
        return Ok(edge.broken(Reason::NoGateDecision { image: *image }));
    }
    let mut candidates = Vec::new();
    for (index, content) in found {
        let Some(content) = content else {
            candidates.push(Rejected {
                evidence: format!("ledger entry {index}"),
                why: "redacted".to_owned(),
            });
            continue;
        };
        let signed = match verify_entry(g, &content, image, std::slice::from_ref(&role)) {
            Ok(s) => s,
            Err(why) => {
                candidates.push(Rejected {
                    evidence: format!("ledger entry {index}"),
                    why: why.to_string(),
                });
                continue;
            }
        };
        // The newest decision signed by the role is the one that counts.
        let edge = edge
            .with_evidence(signed.bundle_digest)
            .signed_by(signed.signer.clone());
        let p = &signed.statement.predicate;
        let decision = match provenant_attest::gate_decision::GateDecision::read(p) {
            Ok(d) => d,
            Err(why) => {
                return Ok(edge.broken(Reason::GateMalformed {
                    evidence: signed.bundle_digest,
                    why: why.to_string(),
                }));
            }
        };
        let gates = decision.gates;
        if !decision.passed() {
            return Ok(edge.broken(Reason::GateBlocked {
                evidence: signed.bundle_digest,
                gates: decision.blocking().into_iter().map(str::to_owned).collect(),
            }));
        }
        let policies: Vec<&str> = p
            .get("policy")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.get("digest").and_then(Value::as_str))
            .collect();
        let evidence = p.get("evidence").and_then(Value::as_array).map_or(0, Vec::len);
        let exceptions = gates
            .iter()
            .filter_map(|gate| gate.get("exceptions").and_then(Value::as_array))
            .flatten()
            .filter(|e| e.get("status").and_then(Value::as_str) == Some("applied"))
            .count();
        return Ok(edge.holds(format!(
            "pass ({} gate(s)), signed by {}, policy {}, {evidence} evidence file(s), {exceptions} exception(s) used, ledger entry {index}",
            gates.len(),
            signed.signer,
            if policies.is_empty() {
                "none recorded".to_owned()
            } else {
                policies.join(", ")
            },
        )));
    }
    Ok(edge.broken(Reason::GateUnsigned { role, candidates }))
}

#[allow(clippy::too_many_lines)] // one environment's records, in the order the report shows them
fn environment_edge(
    g: &Governance<'_>,
    image: &Digest,
    env: &EnvSpec,
    previous: Option<(&EnvSpec, Option<u64>)>,
    parties: &[Parties],
) -> Result<(Edge, Option<u64>), GovernanceError> {
    let mut edge = Edge::new(EdgeKind::Environment, env.name.clone()).holds(env.repository.clone());
    if env.promote_roles.is_empty() {
        return Err(GovernanceError::NoPromoteRoles {
            environment: env.name.clone(),
        });
    }
    // Approvals come first: they are what allows the promotion.
    if let Some(rule) = &env.requires.approvals {
        for e in approval_edges(g, image, env, rule, parties)? {
            edge.push(e);
        }
    }
    let lookup = find_promotion(
        g.store,
        image,
        &env.name,
        g.roles,
        &env.promote_roles,
        g.trusted_root,
    )
    .map_err(|e| match e {
        provenant_env::promoted::LookupError::Store(s) => GovernanceError::Store(s),
        _ => GovernanceError::NoPromoteRoles {
            environment: env.name.clone(),
        },
    })?;
    let promotion = Edge::new(EdgeKind::Promotion, env.name.clone());
    let promoted: Option<Box<VerifiedPromotion>> = match lookup {
        PromotionLookup::Promoted(p) => Some(p),
        PromotionLookup::NotPromoted { uncounted } => {
            let candidates = uncounted
                .iter()
                .map(|u| Rejected {
                    evidence: format!("ledger entry {}", u.index),
                    why: u.to_string(),
                })
                .collect();
            edge.push(promotion.clone().broken(Reason::NotPromoted {
                environment: env.name.clone(),
                previous: previous.map(|(p, _)| p.name.clone()),
                candidates,
            }));
            None
        }
        _ => None,
    };
    let promoted_at = promoted.as_ref().map(|p| p.index);
    if let Some(p) = &promoted {
        let mut e = promotion
            .with_evidence(p.signed.bundle_digest)
            .signed_by(p.signed.signer.clone());
        let recorded_previous = p.record.previous_environment.clone();
        e = match previous {
            Some((prev, _)) if recorded_previous.as_deref().is_some_and(|r| r != prev.name) => {
                e.broken(Reason::WrongPrevious {
                    environment: env.name.clone(),
                    expected: prev.name.clone(),
                    recorded: recorded_previous,
                })
            }
            Some((prev, Some(prev_at))) if prev_at > p.index => e.broken(Reason::OutOfOrder {
                environment: env.name.clone(),
                previous: prev.name.clone(),
            }),
            _ => e.holds(format!(
                "promoted into {} at {}, signed by {} (role {}), ledger entry {}",
                p.record.repository, p.record.timestamp, p.signed.signer, p.signed.role, p.index
            )),
        };
        edge.push(e);
        let config = Edge::new(EdgeKind::Config, env.name.clone()).with_evidence(p.signed.bundle_digest);
        edge.push(match &p.record.config_digest {
            Some(d) => config.holds(format!("configuration {d}, recorded by the promotion")),
            None if env.config.is_some() => config.broken(Reason::ConfigMismatch {
                environment: env.name.clone(),
                expected: format!("the digest of {}", env.config.as_deref().unwrap_or_default()),
                recorded: None,
            }),
            None => config.shown("no configuration for this environment"),
        });
    } else if let Some(presence) = g.presence {
        // The image is there, yet nothing records how it got there.
        let unrecorded = Edge::new(EdgeKind::Promotion, format!("{} repository", env.name));
        match presence.holds(&env.repository, image) {
            Ok(true) => edge.push(unrecorded.broken(Reason::UnrecordedChange {
                environment: env.name.clone(),
                repository: env.repository.clone(),
            })),
            Ok(false) => {}
            Err(why) => edge.push(unrecorded.shown(format!("could not ask {}: {why}", env.repository))),
        }
    }
    for e in deployment_edges(g, image, env, promoted.is_some())? {
        edge.push(e);
    }
    for e in record_edges::<Rollback>(
        g,
        image,
        env,
        EdgeKind::Rollback,
        PROVENANT_ROLLBACK_V1,
        "rollback",
        |r| format!("from {} to {}: {} ({})", r.from, r.to, r.reason, r.timestamp),
    )? {
        edge.push(e);
    }
    for e in record_edges::<ReleaseHealth>(
        g,
        image,
        env,
        EdgeKind::ReleaseHealth,
        PROVENANT_RELEASE_HEALTH_V1,
        "release-health",
        |r| format!("window {}, {} SLI(s) ({})", r.window, r.slis.len(), r.timestamp),
    )? {
        edge.push(e);
    }
    if edge.broken_edges().is_empty() {
        edge = edge.holds(env.repository.clone());
    }
    Ok((edge, promoted_at))
}

fn approval_edges(
    g: &Governance<'_>,
    image: &Digest,
    env: &EnvSpec,
    rule: &crate::environments::ApprovalRule,
    parties: &[Parties],
) -> Result<Vec<Edge>, GovernanceError> {
    let mut out = Vec::new();
    let mut identities: Vec<String> = Vec::new();
    let mut candidates = Vec::new();
    for (index, content) in entries(g, image, PROVENANT_APPROVAL_V1, Some(&env.name))?
        .into_iter()
        .rev()
    {
        let evidence = format!("ledger entry {index}");
        let Some(content) = content else {
            candidates.push(Rejected {
                evidence,
                why: "redacted".to_owned(),
            });
            continue;
        };
        let signed = match verify_entry(g, &content, image, &rule.roles) {
            Ok(s) => s,
            Err(why) => {
                candidates.push(Rejected {
                    evidence,
                    why: why.to_string(),
                });
                continue;
            }
        };
        let record = match Approval::from_statement(&signed.statement) {
            Ok(r) if r.environment == env.name => r,
            Ok(r) => {
                candidates.push(Rejected {
                    evidence,
                    why: format!("it approves {}", r.environment),
                });
                continue;
            }
            Err(e) => {
                candidates.push(Rejected {
                    evidence,
                    why: e.to_string(),
                });
                continue;
            }
        };
        let edge = Edge::new(
            EdgeKind::Approval,
            format!("{} by {}", signed.role, record.identity),
        )
        .with_evidence(signed.bundle_digest)
        .signed_by(signed.signer.clone());
        // The approver had no other part in the artefact (promotion's own check, re-run here on
        // the recorded approval).
        if rule.separation_of_duties
            && let Some((part, p)) = parties
                .iter()
                .find_map(|p| p.duties.of(&signed.signer).map(|part| (part, p)))
        {
            out.push(edge.broken(Reason::ApproverHadPart {
                environment: env.name.clone(),
                approver: signed.signer.clone(),
                part,
                commit: p.commit.clone().filter(|_| {
                    matches!(
                        part,
                        provenant_env::requirements::Duty::Author
                            | provenant_env::requirements::Duty::Committer
                    )
                }),
            }));
            continue;
        }
        // One identity counts once: the signer's key or certificate, and the identity it states.
        let who = [signed.signer.clone(), record.identity.clone()];
        if rule.separation_of_duties && who.iter().any(|w| identities.contains(w)) {
            out.push(edge.broken(Reason::SameIdentity {
                environment: env.name.clone(),
                identity: record.identity.clone(),
            }));
            continue;
        }
        identities.extend(who);
        out.push(edge.holds(format!(
            "approved {} at {}, signed by {} (role {}), ledger entry {index}",
            env.name, record.timestamp, signed.signer, signed.role
        )));
    }
    let counted = out.iter().filter(|e| e.verdict == crate::Verdict::Holds).count();
    let required = usize::try_from(rule.count).unwrap_or(usize::MAX);
    if counted < required {
        out.push(
            Edge::new(
                EdgeKind::Approval,
                format!("{} required", rule.roles.join(" or ")),
            )
            .broken(Reason::MissingApproval {
                environment: env.name.clone(),
                role: rule.roles.join(" or "),
                required,
                found: counted,
                candidates,
            }),
        );
    }
    Ok(out)
}

fn deployment_edges(
    g: &Governance<'_>,
    image: &Digest,
    env: &EnvSpec,
    promoted: bool,
) -> Result<Vec<Edge>, GovernanceError> {
    let mut out = Vec::new();
    for (index, content) in entries(g, image, PROVENANT_DEPLOYMENT_V1, Some(&env.name))?
        .into_iter()
        .rev()
    {
        let edge = Edge::new(EdgeKind::Deployment, env.name.clone());
        if !promoted {
            out.push(edge.broken(Reason::DeployedUnpromoted {
                environment: env.name.clone(),
                index,
            }));
            continue;
        }
        let signed = content
            .ok_or(Unsigned::Redacted)
            .and_then(|c| verify_entry(g, &c, image, g.record_roles));
        let signed = match signed {
            Ok(s) => s,
            Err(why) => {
                out.push(edge.broken(Reason::RecordUnsigned {
                    kind: "deployment".to_owned(),
                    role: g.record_roles.join(" or "),
                    index,
                    why: why.to_string(),
                }));
                continue;
            }
        };
        let edge = edge
            .with_evidence(signed.bundle_digest)
            .signed_by(signed.signer.clone());
        let record = match Deployment::from_statement(&signed.statement) {
            Ok(r) => r,
            Err(e) => {
                out.push(edge.broken(Reason::LedgerEntryUnreadable {
                    index,
                    why: e.to_string(),
                }));
                continue;
            }
        };
        let failed = [
            (record.health, FailedCheck::Health),
            (record.smoke, FailedCheck::Smoke),
            (record.readiness, FailedCheck::Readiness),
        ]
        .into_iter()
        .find(|(c, _)| *c == Some(provenant_records::Check::Fail));
        if let Some((_, check)) = failed {
            out.push(edge.broken(Reason::DeploymentCheckFailed {
                environment: env.name.clone(),
                check,
            }));
            continue;
        }
        let show = |c: Option<provenant_records::Check>| match c {
            Some(provenant_records::Check::Pass) => "pass",
            Some(provenant_records::Check::Fail) => "fail",
            None => "not recorded",
        };
        let strategy = serde_json::to_value(record.strategy)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.push(edge.holds(format!(
            "{strategy} at {}, health {}, smoke {}, signed by {}, ledger entry {index}",
            record.timestamp,
            show(record.health),
            show(record.smoke),
            signed.signer
        )));
    }
    Ok(out)
}

fn record_edges<R: Record>(
    g: &Governance<'_>,
    image: &Digest,
    env: &EnvSpec,
    kind: EdgeKind,
    predicate_type: &str,
    name: &str,
    describe: impl Fn(&R) -> String,
) -> Result<Vec<Edge>, GovernanceError> {
    let mut out = Vec::new();
    for (index, content) in entries(g, image, predicate_type, Some(&env.name))?
        .into_iter()
        .rev()
    {
        let edge = Edge::new(kind, env.name.clone());
        let signed = content
            .ok_or(Unsigned::Redacted)
            .and_then(|c| verify_entry(g, &c, image, g.record_roles));
        out.push(match signed {
            Ok(s) => {
                let edge = edge.with_evidence(s.bundle_digest).signed_by(s.signer.clone());
                match R::from_statement(&s.statement) {
                    Ok(r) => edge.holds(format!(
                        "{}, signed by {}, ledger entry {index}",
                        describe(&r),
                        s.signer
                    )),
                    Err(e) => edge.broken(Reason::LedgerEntryUnreadable {
                        index,
                        why: e.to_string(),
                    }),
                }
            }
            Err(why) => edge.broken(Reason::RecordUnsigned {
                kind: name.to_owned(),
                role: g.record_roles.join(" or "),
                index,
                why: why.to_string(),
            }),
        });
    }
    Ok(out)
}

/// Adds the governed lineage below the image of `report` and recomputes its verdict.
pub fn extend(report: &mut crate::Report, g: &Governance<'_>) -> Result<(), GovernanceError> {
    let mut seen = std::collections::BTreeMap::new();
    source_attestations(&mut report.lineage, g, &mut seen)?;
    let mut parties = Vec::new();
    collect_parties(&report.lineage, g.roles, &seen, None, &mut parties);
    for edge in edges(g, &report.digest, &parties)? {
        report.lineage.push(edge);
    }
    report.verified = report.lineage.broken_edges().is_empty();
    Ok(())
}

/// Below each build's source edge (`URI @ COMMIT`), the source stage's attestation of that commit
/// from the ledger; `seen` keeps each commit's edge so that it is looked up once.
fn source_attestations(edge: &mut Edge, g: &Governance<'_>, seen: &mut Seen) -> Result<(), GovernanceError> {
    // The lineage tree is ours and a few levels deep (image, files, builds, sources): no
    // attacker-controlled depth.
    if edge.kind == EdgeKind::Source {
        if let Some((_, commit)) = edge.target.rsplit_once(" @ ") {
            let commit = commit.to_ascii_lowercase();
            if !seen.contains_key(&commit) {
                let found = source_attestation_edge(g, &commit)?;
                seen.insert(commit.clone(), found);
            }
            if let Some((child, _)) = seen.get(&commit) {
                edge.push(child.clone());
            }
        }
        return Ok(());
    }
    for child in &mut edge.edges {
        source_attestations(child, g, seen)?;
    }
    Ok(())
}

/// Each commit's source-attestation edge, with the predicate of the attestation it rests on when
/// one verified for a source role.
type Seen = std::collections::BTreeMap<String, (Edge, Option<Value>)>;

/// The parties of each build below `edge`: a holding build provenance's signer and source commit
/// (with the author and committer the verified source attestation of that commit records), under
/// the holding packaging provenance's signer.
fn collect_parties(
    edge: &Edge,
    roles: &Roles,
    seen: &Seen,
    packaging_signer: Option<&str>,
    out: &mut Vec<Parties>,
) {
    // The lineage tree is ours and a few levels deep: no attacker-controlled depth.
    let holds = edge.verdict == crate::Verdict::Holds;
    let signer = edge.signer.as_deref().filter(|_| holds);
    if edge.kind == EdgeKind::BuildProvenance {
        let mut parties = Parties {
            duties: Duties {
                build_signer: signer.map(|s| role_label(s, roles)),
                packaging_signer: packaging_signer.map(|s| role_label(s, roles)),
                ..Duties::default()
            },
            ..Parties::default()
        };
        let commits = edge.edges.iter().filter(|e| e.kind == EdgeKind::Source);
        for commit in commits
            .filter_map(|e| e.target.rsplit_once(" @ "))
            .map(|(_, c)| c)
        {
            let commit = commit.to_ascii_lowercase();
            if let Some((_, Some(predicate))) = seen.get(&commit) {
                parties.duties.record_commit(predicate, &commit);
            }
            parties.commit = Some(commit);
        }
        out.push(parties);
        return;
    }
    let packaging_signer = if edge.kind == EdgeKind::PackagingProvenance {
        signer
    } else {
        packaging_signer
    };
    let before = out.len();
    for child in &edge.edges {
        collect_parties(child, roles, seen, packaging_signer, out);
    }
    if edge.kind == EdgeKind::PackagingProvenance && out.len() == before {
        // A packaging provenance with no build below it still bars its signer.
        out.push(Parties {
            duties: Duties {
                packaging_signer: signer.map(|s| role_label(s, roles)),
                ..Duties::default()
            },
            ..Parties::default()
        });
    }
}

/// A provenance signer as the roles file names the holder: a key (`key sha256:FINGERPRINT`) by
/// the label of the holder with that key, a certificate (`SAN (issuer ISSUER)`) as `SAN (ISSUER)`;
/// otherwise as given.
fn role_label(signer: &str, roles: &Roles) -> String {
    if let Some(fingerprint) = signer.strip_prefix("key sha256:") {
        for role in roles.names() {
            for holder in roles.holders(role).unwrap_or_default() {
                if let Holder::Key { label, key } = holder
                    && Algorithm::Sha256.hash_bytes(key.spki_der()).hex() == fingerprint
                {
                    return label.clone();
                }
            }
        }
    }
    if let Some((san, issuer)) = signer.rsplit_once(" (issuer ")
        && let Some(issuer) = issuer.strip_suffix(')')
    {
        return format!("{san} ({issuer})");
    }
    signer.to_owned()
}

/// The newest source-stage attestation of `commit` signed by a holder of one of the source roles,
/// with its predicate when one verified.
fn source_attestation_edge(
    g: &Governance<'_>,
    commit: &str,
) -> Result<(Edge, Option<Value>), GovernanceError> {
    let edge = Edge::new(EdgeKind::Source, format!("source attestation of {commit}"));
    let mut indexes = g.store.query(&Query {
        commit: Some(commit.to_owned()),
        predicate_type: Some(PROVENANT_SOURCE_V1.to_owned()),
        ..Query::default()
    })?;
    indexes.sort_unstable();
    let mut candidates = Vec::new();
    for index in indexes.into_iter().rev() {
        let evidence = format!("ledger entry {index}");
        let Some(content) = g.store.entry(index)?.content else {
            candidates.push(Rejected {
                evidence,
                why: "redacted".to_owned(),
            });
            continue;
        };
        let mut errors = Vec::new();
        let mut signed = None;
        for role in &g.source.roles {
            match verify_commit_for_role(&content, commit, g.roles, role, g.trusted_root) {
                Ok(s) => {
                    signed = Some(s);
                    break;
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let Some(signed) = signed else {
            candidates.push(Rejected {
                evidence,
                why: errors.join("; "),
            });
            continue;
        };
        let edge = edge
            .with_evidence(signed.bundle_digest)
            .signed_by(signed.signer.clone());
        let result = signed
            .statement
            .predicate
            .get("result")
            .and_then(Value::as_str)
            .unwrap_or("none recorded");
        let edge = if result == "pass" {
            edge.holds(format!(
                "source checks passed, signed by {} (role {}), ledger entry {index}",
                signed.signer, signed.role
            ))
        } else {
            edge.broken(Reason::SourceCheckFailed {
                commit: commit.to_owned(),
                evidence: signed.bundle_digest,
                result: result.to_owned(),
            })
        };
        return Ok((edge, Some(signed.statement.predicate)));
    }
    let reason = Reason::NoSourceAttestation {
        commit: commit.to_owned(),
        roles: g.source.roles.clone(),
        candidates,
    };
    let edge = if g.source.required {
        edge.broken(reason)
    } else {
        edge.shown(format!("absent (not required): {reason}"))
    };
    Ok((edge, None))
}
