//! Gathers, from the ledger, the verified evidence a promotion's requirements are evaluated on: entry
//! provenance, the promotion into the previous environment, gate decisions and approvals, each checked
//! with `verify_for_role` against the roles file before it is handed to [`crate::requirements`].

use provenant_attest::gate_decision::GateDecision;
use provenant_attest::predicate::{
    PROVENANT_APPROVAL_V1, PROVENANT_GATE_DECISION_V1, PROVENANT_ROLLBACK_V1, PROVENANT_SOURCE_V1,
    SLSA_PROVENANCE_V1,
};
use provenant_digest::Digest;
use provenant_evidence::roles::{
    HolderReason, RoleError, RoleSigned, Roles, verify_commit_for_role, verify_for_role,
};
use provenant_ledger_store::{LedgerStore, Query, StoreError, contents};
use provenant_records::Record as _;
use provenant_records::approval::Approval;
use provenant_sigstore::TrustedRoot;

use crate::config::EnvironmentsFile;
use crate::promoted::{LookupError, PromotionLookup, UncountedReason, find_promotion};
use crate::requirements::{
    ApprovalClaim, ApprovalEvidence, Duties, GateEvidence, Inputs, NoRoleSigned, Previous, SourceAttestation,
    SourceUse,
};

/// The evidence could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatherError {
    /// The ledger could not be read.
    #[error("cannot read the ledger: {0}")]
    Store(#[from] StoreError),
    /// The previous environment's promotion could not be looked up.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// No such environment in the file.
    #[error("there is no environment {environment} in the environments file (it has {known})")]
    UnknownEnvironment {
        /// The name asked for.
        environment: String,
        /// The names it has.
        known: String,
    },
}

/// Verified ledger entries of one predicate type about `subject`, oldest first, with the number that
/// did not verify for `role`.
fn verified(
    store: &dyn LedgerStore,
    subject: &Digest,
    predicate_type: &str,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<(Vec<RoleSigned>, usize), GatherError> {
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(predicate_type.to_owned()),
        ..Query::default()
    };
    let mut good = Vec::new();
    let mut bad = 0;
    for item in contents(store, &query)? {
        let (_, content) = item?;
        match verify_for_role(&content, subject, roles, role, trusted_root) {
            Ok(s) => good.push(s),
            Err(_) => bad += 1,
        }
    }
    Ok((good, bad))
}

/// The evidence for promoting `subject` into `environment`, read from `store` and verified against
/// `roles` (and `trusted_root` for keyless signatures). `now` is the time of the attempt.
pub fn gather(
    store: &dyn LedgerStore,
    environments: &EnvironmentsFile,
    environment: &str,
    subject: &Digest,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
    now: i64,
) -> Result<(usize, Inputs), GatherError> {
    let Some((index, env)) = environments.find(environment) else {
        return Err(GatherError::UnknownEnvironment {
            environment: environment.to_owned(),
            known: environments.names().join(", "),
        });
    };
    let req = &env.requires;
    // Build and packaging provenance: the entry evidence, and who signed it (separation of duties).
    let mut duties = Duties::default();
    let mut source_attestations = Vec::new();
    let entry_role = environments
        .environments
        .first()
        .and_then(|e| e.requires.provenance.as_ref())
        .map(|p| p.role.to_string());
    let mut entry = Vec::new();
    if let Some(role) = &entry_role {
        let (provenance, _) = verified(store, subject, SLSA_PROVENANCE_V1, roles, role, trusted_root)?;
        if let Some(first) = provenance.first() {
            duties.packaging_signer = Some(first.signer.clone());
            duties.build_signer = Some(first.signer.clone());
            source_attestations = build_duties(store, &first.statement, roles, trusted_root, &mut duties)?;
        }
        if index == 0 {
            entry = provenance.iter().map(|s| s.bundle_digest).collect();
        }
    }
    let previous = match environments.previous(index) {
        None => Previous::NotPromoted {
            refused: 0,
            unverified: 0,
        },
        Some(prev) => {
            let signer_roles: Vec<String> = prev.promote_roles.iter().map(ToString::to_string).collect();
            match find_promotion(
                store,
                subject,
                prev.name.as_str(),
                roles,
                &signer_roles,
                trusted_root,
            )? {
                PromotionLookup::Promoted(p) => Previous::Promoted(p.signed.bundle_digest),
                PromotionLookup::NotPromoted { uncounted } => Previous::NotPromoted {
                    refused: uncounted
                        .iter()
                        .filter(|u| matches!(u.reason, UncountedReason::Refused(_)))
                        .count(),
                    unverified: uncounted
                        .iter()
                        .filter(|u| matches!(u.reason, UncountedReason::Unverified(_)))
                        .count(),
                },
            }
        }
    };
    let (gate_decisions, gate_unverified) = match &req.gate_decision {
        Some(rule) => gate(store, subject, roles, rule.role.as_str(), trusted_root)?,
        None => (Vec::new(), 0),
    };
    let approvals = if req.approvals.is_some() {
        approvals(store, subject, roles, trusted_root)?
    } else {
        Vec::new()
    };
    // A tested rollback path: a rollback record about this digest into the environment, verified for
    // one of the roles that may promote into it (an unverified record never counts).
    let mut rollback_recorded = false;
    if req.rollback_tested {
        for role in &env.promote_roles {
            let (rollbacks, _) = verified(
                store,
                subject,
                PROVENANT_ROLLBACK_V1,
                roles,
                role.as_str(),
                trusted_root,
            )?;
            rollback_recorded |= rollbacks.iter().any(|r| {
                r.statement
                    .predicate
                    .get("environment")
                    .and_then(serde_json::Value::as_str)
                    == Some(environment)
            });
        }
    }
    Ok((
        index,
        Inputs {
            entry,
            previous,
            gate_decisions,
            gate_unverified,
            approvals,
            duties,
            rollback_recorded,
            now,
            source_attestations,
        },
    ))
}

/// The first role of `roles` whose holder signed `bundle` about `subject`, or every role's error.
pub(crate) fn verify_any(
    bundle: &[u8],
    subject: &Digest,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<RoleSigned, NoRoleSigned> {
    let mut errors = Vec::new();
    for role in roles.names() {
        match verify_for_role(bundle, subject, roles, role, trusted_root) {
            Ok(s) => return Ok(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(no_role_signed(errors))
}

/// Why a bundle verified for no role, from each role's error.
fn no_role_signed(reasons: Vec<String>) -> NoRoleSigned {
    if reasons.is_empty() {
        NoRoleSigned::NoRoles
    } else {
        NoRoleSigned::NoHolder { reasons }
    }
}

/// Most packaged files looked up for their build provenance.
const MAX_MATERIALS: usize = 4096;

/// Who built what the image packages, and who wrote the commit it was built from: the build
/// provenance about a file the packaging provenance names (verified for a holder of any role) gives
/// the build signer and the commit; the source-stage statements about that commit
/// (`https://provenant.dev/attestation/source/v1`, subject its `gitCommit`), each verified for a
/// holder of any role before its emails are read, give its author and committer. One that does not
/// verify is refused, with the check that failed, and its emails are not used.
fn build_duties(
    store: &dyn LedgerStore,
    packaging: &provenant_attest::Statement,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
    duties: &mut Duties,
) -> Result<Vec<SourceAttestation>, GatherError> {
    let mut sources = Vec::new();
    let mut commit = None;
    'files: for file in crate::attached::materials(packaging).iter().take(MAX_MATERIALS) {
        let query = Query {
            subject: Some(file.to_string()),
            predicate_type: Some(SLSA_PROVENANCE_V1.to_owned()),
            ..Query::default()
        };
        for item in contents(store, &query)? {
            let (_, content) = item?;
            if let Ok(signed) = verify_any(&content, file, roles, trusted_root) {
                duties.build_signer = Some(signed.signer.clone());
                commit = crate::attached::source_commit(&signed.statement);
                break 'files;
            }
        }
    }
    let Some(commit) = commit else {
        return Ok(sources);
    };
    let query = Query {
        subject: Some(format!("gitCommit:{commit}")),
        predicate_type: Some(PROVENANT_SOURCE_V1.to_owned()),
        ..Query::default()
    };
    for item in contents(store, &query)? {
        let (index, content) = item?;
        let mut seen = SourceAttestation {
            ledger_index: index,
            commit: commit.clone(),
            bundle_digest: provenant_digest::Algorithm::Sha256
                .hash_bytes(&content)
                .to_string(),
            used: SourceUse::Refused,
            signer: None,
            check: None,
            reason: None,
        };
        let signed = match verify_commit_any(&content, &commit, roles, trusted_root) {
            Ok(signed) => signed,
            Err((check, reason)) => {
                seen.check = Some(check.to_owned());
                seen.reason = Some(reason);
                sources.push(seen);
                continue;
            }
        };
        seen.used = SourceUse::ReliedOn;
        seen.signer = Some(format!("{} ({})", signed.signer, signed.role));
        sources.push(seen);
        if !duties.record_commit(&signed.statement.predicate, &commit) {
            continue;
        }
        if duties.author.is_some() && duties.committer.is_some() {
            break;
        }
    }
    Ok(sources)
}

/// The first role of `roles` whose holder signed `bundle` about the git commit `commit`, or the name
/// of the check that failed (the first named by a holder, else `bundle`) with every role's error.
fn verify_commit_any(
    bundle: &[u8],
    commit: &str,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<RoleSigned, (&'static str, String)> {
    let mut errors = Vec::new();
    let mut check = None;
    for role in roles.names() {
        match verify_commit_for_role(bundle, commit, roles, role, trusted_root) {
            Ok(s) => return Ok(s),
            Err(e) => {
                check = check.or_else(|| failed_check(&e));
                errors.push(e.to_string());
            }
        }
    }
    Err(if errors.is_empty() {
        ("roles", "the roles file names no roles".to_owned())
    } else {
        (
            check.unwrap_or("bundle"),
            format!("signed by no holder of any role ({})", errors.join("; ")),
        )
    })
}

/// The name of the evidence check a role verification failed, when it names one.
fn failed_check(e: &RoleError) -> Option<&'static str> {
    match e {
        RoleError::Bundle(e) => Some(e.check().name()),
        RoleError::NotSigned { refusals, .. } => refusals.iter().find_map(|r| match &r.reason {
            HolderReason::Evidence(e) => Some(e.check().name()),
            _ => None,
        }),
        _ => None,
    }
}

/// Gate decisions for `subject` verified for `role`, with the number that did not verify or cannot be
/// read as a decision ([`GateDecision::read`]: no `decision`, `gates` or readable `evaluatedAt`).
fn gate(
    store: &dyn LedgerStore,
    subject: &Digest,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<(Vec<GateEvidence>, usize), GatherError> {
    let (decisions, mut unverified) = verified(
        store,
        subject,
        PROVENANT_GATE_DECISION_V1,
        roles,
        role,
        trusted_root,
    )?;
    let mut out = Vec::new();
    for d in decisions {
        // The one reading of a decision lineage shares: a decision without its gates or its time is
        // not one, whatever it claims.
        let Ok(decision) = GateDecision::read(&d.statement.predicate) else {
            unverified += 1;
            continue;
        };
        let Ok(ts) = decision.evaluated_at.parse::<jiff::Timestamp>() else {
            unverified += 1;
            continue;
        };
        out.push(GateEvidence {
            bundle_digest: d.bundle_digest,
            passed: decision.passed(),
            evaluated_at: decision.evaluated_at.to_owned(),
            evaluated_unix: ts.as_second(),
        });
    }
    Ok((out, unverified))
}

/// Every approval of `subject` in the ledger, oldest first: verified against every role of the roles
/// file, so that the roles its signer holds are known, or with why it verified for none.
fn approvals(
    store: &dyn LedgerStore,
    subject: &Digest,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Vec<ApprovalEvidence>, GatherError> {
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(PROVENANT_APPROVAL_V1.to_owned()),
        ..Query::default()
    };
    let mut out = Vec::new();
    for item in contents(store, &query)? {
        let (_, content) = item?;
        out.push(approval_evidence(&content, subject, roles, trusted_root, true));
    }
    Ok(out)
}

/// One approval bundle verified against every role of the roles file for `subject` (so that the roles
/// its signer holds are known), or with why it verified for none. `for_digest` says whether `subject`
/// is the digest being promoted.
pub(crate) fn approval_evidence(
    content: &[u8],
    subject: &Digest,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
    for_digest: bool,
) -> ApprovalEvidence {
    let bundle_digest = provenant_digest::Algorithm::Sha256.hash_bytes(content);
    let mut held = Vec::new();
    let mut signed = None;
    let mut errors = Vec::new();
    for role in roles.names() {
        match verify_for_role(content, subject, roles, role, trusted_root) {
            Ok(s) => {
                held.push(role.to_owned());
                signed.get_or_insert(s);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    let content = match signed {
        None => Err(no_role_signed(errors).into()),
        Some(s) => match Approval::from_statement(&s.statement) {
            Err(e) => Err(e.into()),
            Ok(a) => Ok(ApprovalClaim {
                for_digest,
                signer_holds_role: held.contains(&a.role),
                environment: a.environment,
                role: a.role,
                signer: s.signer,
                timestamp: a.timestamp,
            }),
        },
    };
    ApprovalEvidence {
        bundle_digest,
        content,
    }
}
