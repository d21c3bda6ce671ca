//! Promotion requirement evaluation: given the verified evidence about a digest, which of an
//! environment's requirements hold. Every failing requirement is reported, never only the first, and
//! every approval is reported with whether it counts and, when not, why.
//!
//! This module decides; it does not fetch or verify. The caller verifies each piece of evidence (the
//! signer holds the role, through the roles file) and hands over what verified, and the reasons of what
//! did not.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use provenant_digest::Digest;
use serde::Serialize;

use crate::config::{Environment, EnvironmentsFile};
use crate::duration::Duration;

/// One requirement of a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "requirement", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Requirement {
    /// The entry environment: build and packaging provenance for the digest signed by `role`.
    Entry {
        /// The role.
        role: String,
    },
    /// The digest recorded as promoted into the previous environment.
    PreviousEnvironment {
        /// The previous environment.
        environment: String,
    },
    /// A passing gate decision for the digest signed by `role`, no older than `max_age`.
    GateDecision {
        /// The role.
        role: String,
        /// The oldest accepted.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_age: Option<Duration>,
    },
    /// `count` approvals from distinct identities holding one of `roles`.
    Approvals {
        /// The roles.
        roles: Vec<String>,
        /// How many.
        count: u32,
    },
    /// The promotion happens inside a change window.
    ChangeWindow {
        /// The windows, described.
        windows: Vec<String>,
    },
    /// A recorded rollback into the environment.
    RollbackTested,
}

impl Requirement {
    /// The requirement's name as promotion records spell it.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Requirement::Entry { .. } => "entry",
            Requirement::PreviousEnvironment { .. } => "previous-environment",
            Requirement::GateDecision { .. } => "gate-decision",
            Requirement::Approvals { .. } => "approvals",
            Requirement::ChangeWindow { .. } => "change-window",
            Requirement::RollbackTested => "rollback-tested",
        }
    }
}

/// Why a requirement does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// No build and packaging provenance for the digest signed by the role.
    #[error(
        "no build and packaging provenance for the digest signed by the {role} role: an image enters {environment} by being built and pushed there"
    )]
    NoEntryProvenance {
        /// The entry environment.
        environment: String,
        /// The role.
        role: String,
    },
    /// The digest is not recorded as promoted into the previous environment.
    #[error("{}", not_in_previous(environment, *refused, *unverified))]
    NotInPrevious {
        /// The previous environment.
        environment: String,
        /// Refused promotion attempts recorded for it.
        refused: usize,
        /// Promotion records that did not verify.
        unverified: usize,
    },
    /// No gate decision for the digest signed by the role.
    #[error("no gate decision for the digest signed by the {role} role")]
    NoGateDecision {
        /// The role.
        role: String,
        /// Gate decisions found that did not verify.
        unverified: usize,
    },
    /// The newest gate decision blocks.
    #[error("the newest gate decision for the digest ({evaluated_at}) blocks")]
    GateDecisionFailed {
        /// When it was made.
        evaluated_at: String,
    },
    /// The newest passing gate decision is older than allowed.
    #[error("the gate decision of {evaluated_at} is {age} old, more than the {max_age} allowed")]
    GateDecisionTooOld {
        /// When it was made.
        evaluated_at: String,
        /// Its age.
        age: Duration,
        /// The most allowed.
        max_age: Duration,
    },
    /// Fewer approvals count than required.
    #[error(
        "{counted} of the {required} approvals required by the role{} {} ({not_counted} more found that do not count)",
        if roles.len() == 1 { "" } else { "s" },
        roles.join(", ")
    )]
    NotEnoughApprovals {
        /// Approvals that count.
        counted: u32,
        /// Approvals required.
        required: u32,
        /// The roles.
        roles: Vec<String>,
        /// Approvals found that do not count.
        not_counted: usize,
    },
    /// The promotion is outside every change window.
    #[error("{at} is outside the change windows: {}", windows.join("; "))]
    OutsideChangeWindow {
        /// The time of the attempt (RFC 3339).
        at: String,
        /// The windows.
        windows: Vec<String>,
    },
    /// No recorded rollback into the environment.
    #[error("no recorded rollback into {environment}: the rollback path has not been tested")]
    NoTestedRollback {
        /// The environment.
        environment: String,
    },
}

fn not_in_previous(environment: &str, refused: usize, unverified: usize) -> String {
    let mut text =
        format!("the digest is not recorded as promoted into {environment}: environments cannot be skipped");
    if refused > 0 {
        let _ = write!(text, " ({refused} refused attempt(s) recorded)");
    }
    if unverified > 0 {
        let _ = write!(text, " ({unverified} promotion record(s) did not verify)");
    }
    text
}

/// Why an approval does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rejection {
    /// The signature or the signer's role did not verify.
    #[error("it does not verify: {error}")]
    Unverified {
        /// Why.
        error: String,
    },
    /// It approves another digest.
    #[error("it approves another digest")]
    OtherDigest,
    /// It approves the digest for another environment.
    #[error("it is for environment {environment}")]
    OtherEnvironment {
        /// The environment it names.
        environment: String,
    },
    /// The role it claims does not approve promotions into this environment.
    #[error("the role {role} it claims does not approve this environment (required: {})", required.join(", "))]
    RoleNotAccepted {
        /// The role claimed.
        role: String,
        /// The roles that do.
        required: Vec<String>,
    },
    /// Its signer does not hold the role it claims.
    #[error("its signer {signer} does not hold the role {role} in the roles file")]
    RoleNotHeld {
        /// The signer.
        signer: String,
        /// The role claimed.
        role: String,
    },
    /// Its signer already approved: one approval per identity counts.
    #[error("{signer} already approved: an identity counts once")]
    AlreadyCounted {
        /// The signer.
        signer: String,
    },
    /// Separation of duties: the approver had another part in the artefact.
    #[error("separation of duties: the approver {signer} is {}", duty.describe())]
    SeparationOfDuties {
        /// The signer.
        signer: String,
        /// The part it had.
        duty: Duty,
    },
}

/// A part an identity had in producing the artefact, which bars it from approving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Duty {
    /// The commit's author.
    Author,
    /// The commit's committer.
    Committer,
    /// The signer of the build provenance.
    BuildSigner,
    /// The signer of the packaging provenance.
    PackagingSigner,
}

impl Duty {
    const fn describe(self) -> &'static str {
        match self {
            Duty::Author => "the commit's author",
            Duty::Committer => "the commit's committer",
            Duty::BuildSigner => "the signer of the build provenance",
            Duty::PackagingSigner => "the signer of the packaging provenance",
        }
    }
}

/// The identities that had a part in the artefact (emails for the commit, signer labels for provenance).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duties {
    /// The commit author's email.
    pub author: Option<String>,
    /// The committer's email.
    pub committer: Option<String>,
    /// Who signed the build provenance (`SAN (issuer)` or a key label).
    pub build_signer: Option<String>,
    /// Who signed the packaging provenance.
    pub packaging_signer: Option<String>,
}

impl Duties {
    /// Takes the author's and committer's emails of `commit` from a source-stage statement's
    /// predicate (`https://provenant.dev/attestation/source/v1`: the `commits` entry whose `id` is
    /// `commit`), keeping what is already known where it records none. Returns whether the
    /// predicate records `commit` at all. The caller decides whether the statement is to be believed.
    pub fn record_commit(&mut self, source_predicate: &serde_json::Value, commit: &str) -> bool {
        let recorded = source_predicate
            .get("commits")
            .and_then(serde_json::Value::as_array)
            .and_then(|commits| {
                commits.iter().find(|c| {
                    c.get("id")
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|id| !id.is_empty() && id.eq_ignore_ascii_case(commit))
                })
            });
        let Some(recorded) = recorded else {
            return false;
        };
        let email = |key: &str| {
            recorded
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
        };
        self.author = email("author").or(self.author.take());
        self.committer = email("committer").or(self.committer.take());
        true
    }

    /// The part `signer` had, if any. A certificate identity `SAN (issuer)` matches the commit's emails
    /// by its SAN, and the provenance signers exactly.
    #[must_use]
    pub fn of(&self, signer: &str) -> Option<Duty> {
        let san = signer
            .rsplit_once(" (")
            .filter(|(_, issuer)| issuer.ends_with(')'))
            .map_or(signer, |(san, _)| san);
        let same = |who: &Option<String>, text: &str| {
            who.as_deref()
                .is_some_and(|w| !w.is_empty() && w.eq_ignore_ascii_case(text))
        };
        if same(&self.author, san) {
            Some(Duty::Author)
        } else if same(&self.committer, san) {
            Some(Duty::Committer)
        } else if same(&self.build_signer, signer) {
            Some(Duty::BuildSigner)
        } else if same(&self.packaging_signer, signer) {
            Some(Duty::PackagingSigner)
        } else {
            None
        }
    }
}

/// A verified gate decision for the digest, signed by the gate role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateEvidence {
    /// The bundle's digest (the evidence relied on).
    pub bundle_digest: Digest,
    /// Whether it passes.
    pub passed: bool,
    /// When it was made (RFC 3339, as recorded).
    pub evaluated_at: String,
    /// The same, in seconds since the epoch.
    pub evaluated_unix: i64,
}

/// An approval found for the digest, verified or with the reason it did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalEvidence {
    /// The bundle's digest.
    pub bundle_digest: Digest,
    /// The verified content, or why it did not verify.
    pub content: Result<ApprovalClaim, ApprovalUnverified>,
}

/// Why a bundle is signed by no holder of any role of the roles file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoRoleSigned {
    /// The roles file names no roles to verify it for.
    #[error("the roles file names no roles")]
    NoRoles,
    /// It verified for none of the roles.
    #[error("signed by no holder of any role ({})", reasons.join("; "))]
    NoHolder {
        /// Why, for each role in the roles file's order.
        reasons: Vec<String>,
    },
}

/// Why an approval found for the digest does not count as verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalUnverified {
    /// No holder of any role signed it.
    #[error(transparent)]
    NotSigned(#[from] NoRoleSigned),
    /// It is signed, but its statement is not an approval record.
    #[error(transparent)]
    NotAnApproval(#[from] provenant_records::RecordError),
}

/// What a verified approval says, and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalClaim {
    /// Whether its subjects include the digest being promoted.
    pub for_digest: bool,
    /// The environment it approves.
    pub environment: String,
    /// The role it claims.
    pub role: String,
    /// The verified signer.
    pub signer: String,
    /// Whether the signer holds `role` in the roles file.
    pub signer_holds_role: bool,
    /// When (RFC 3339).
    pub timestamp: String,
}

/// The state of the previous environment for the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// Recorded as promoted: the promotion record's bundle digest.
    Promoted(Digest),
    /// Not promoted: the refused and unverified records found.
    NotPromoted {
        /// Refused attempts.
        refused: usize,
        /// Records that did not verify.
        unverified: usize,
    },
}

/// Everything the evaluation needs, gathered and verified by the caller.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The build and packaging provenance bundles verified for the entry role (empty: none).
    pub entry: Vec<Digest>,
    /// The previous environment's state (ignored for the entry environment).
    pub previous: Previous,
    /// Gate decisions verified for the role.
    pub gate_decisions: Vec<GateEvidence>,
    /// Gate decision bundles found that did not verify.
    pub gate_unverified: usize,
    /// Approvals found for the digest.
    pub approvals: Vec<ApprovalEvidence>,
    /// Who had a part in the artefact.
    pub duties: Duties,
    /// A recorded rollback into the environment.
    pub rollback_recorded: bool,
    /// The time of the attempt, seconds since the epoch.
    pub now: i64,
    /// The source-stage attestations of the commit read for the author and committer: relied on
    /// when verified, refused (with the check that failed) otherwise.
    pub source_attestations: Vec<SourceAttestation>,
}

/// What was done with a source-stage attestation (`source/v1`, subject the commit) read for
/// separation of duties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceUse {
    /// Verified for a holder of a role: its author and committer bar them from approving.
    ReliedOn,
    /// It did not verify: its emails are not used.
    Refused,
}

/// A source-stage attestation of the commit the image was built from, as read for separation of
/// duties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceAttestation {
    /// Its ledger index.
    pub ledger_index: u64,
    /// The commit it is about.
    pub commit: String,
    /// SHA-256 of the bundle.
    pub bundle_digest: String,
    /// Whether it was relied on.
    #[serde(rename = "use")]
    pub used: SourceUse,
    /// Who signed it and the role they hold (when relied on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The check that failed (`signature`, `statement`, `bundle`, …), when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One requirement with its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// The requirement.
    #[serde(flatten)]
    pub requirement: Requirement,
    /// Why it does not hold; none when it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Reason>,
}

/// One approval with whether it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalVerdict {
    /// The approval's bundle digest.
    pub bundle_digest: String,
    /// Its signer (empty when it did not verify).
    pub identity: String,
    /// The role it claims (empty when it did not verify).
    pub role: String,
    /// When.
    pub timestamp: String,
    /// Whether it counts.
    pub counts: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
}

/// The evaluation of a promotion into one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The environment.
    pub environment: String,
    /// The previous environment, none for the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_environment: Option<String>,
    /// Every requirement, in a fixed order, with its result.
    pub requirements: Vec<Checked>,
    /// Every approval found, counted or not.
    pub approvals: Vec<ApprovalVerdict>,
    /// The evidence relied on: (kind, bundle digest), in the order above.
    pub evidence: Vec<(EvidenceKind, Digest)>,
    /// The source-stage attestations read for separation of duties, relied on or refused.
    pub source_attestations: Vec<SourceAttestation>,
}

/// What a piece of evidence relied on is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EvidenceKind {
    /// Build or packaging provenance.
    Provenance,
    /// The promotion into the previous environment.
    Promotion,
    /// The gate decision.
    GateDecision,
    /// An approval that counts.
    Approval,
}

impl Evaluation {
    /// Whether every requirement holds.
    #[must_use]
    pub fn holds(&self) -> bool {
        self.requirements.iter().all(|c| c.failure.is_none())
    }

    /// The requirements that do not hold, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&Requirement, &Reason)> {
        self.requirements
            .iter()
            .filter_map(|c| c.failure.as_ref().map(|f| (&c.requirement, f)))
    }
}

fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(|_| unix.to_string(), |t| t.to_string())
}

/// Evaluates a promotion of `digest`'s evidence into `environments`' environment number `index`.
#[must_use]
pub fn evaluate(environments: &EnvironmentsFile, index: usize, inputs: &Inputs) -> Option<Evaluation> {
    let env = environments.environments.get(index)?;
    let previous = environments.previous(index);
    let mut requirements = Vec::new();
    let mut evidence = Vec::new();
    let req = &env.requires;
    if let Some(rule) = &req.provenance {
        let failure = if inputs.entry.is_empty() {
            Some(Reason::NoEntryProvenance {
                environment: env.name.to_string(),
                role: rule.role.to_string(),
            })
        } else {
            evidence.extend(inputs.entry.iter().map(|d| (EvidenceKind::Provenance, *d)));
            None
        };
        requirements.push(Checked {
            requirement: Requirement::Entry {
                role: rule.role.to_string(),
            },
            failure,
        });
    }
    if let Some(previous) = previous {
        let failure = match &inputs.previous {
            Previous::Promoted(d) => {
                evidence.push((EvidenceKind::Promotion, *d));
                None
            }
            Previous::NotPromoted { refused, unverified } => Some(Reason::NotInPrevious {
                environment: previous.name.to_string(),
                refused: *refused,
                unverified: *unverified,
            }),
        };
        requirements.push(Checked {
            requirement: Requirement::PreviousEnvironment {
                environment: previous.name.to_string(),
            },
            failure,
        });
    }
    if let Some(rule) = &req.gate_decision {
        requirements.push(check_gate(rule, inputs, &mut evidence));
    }
    let approvals = judge_approvals(env, inputs);
    if let Some(rule) = &req.approvals {
        let counted = u32::try_from(approvals.iter().filter(|a| a.counts).count()).unwrap_or(u32::MAX);
        let roles: Vec<String> = rule.roles.iter().map(ToString::to_string).collect();
        for (a, e) in approvals.iter().zip(&inputs.approvals) {
            if a.counts {
                evidence.push((EvidenceKind::Approval, e.bundle_digest));
            }
        }
        let failure = (counted < rule.count).then(|| Reason::NotEnoughApprovals {
            counted,
            required: rule.count,
            roles: roles.clone(),
            not_counted: approvals.iter().filter(|a| !a.counts).count(),
        });
        requirements.push(Checked {
            requirement: Requirement::Approvals {
                roles,
                count: rule.count,
            },
            failure,
        });
    }
    if !req.change_windows.is_empty() {
        let windows: Vec<String> = req
            .change_windows
            .iter()
            .map(crate::config::ChangeWindow::describe)
            .collect();
        let inside = req.change_windows.iter().any(|w| w.contains(inputs.now));
        requirements.push(Checked {
            requirement: Requirement::ChangeWindow {
                windows: windows.clone(),
            },
            failure: (!inside).then(|| Reason::OutsideChangeWindow {
                at: rfc3339(inputs.now),
                windows,
            }),
        });
    }
    if req.rollback_tested {
        requirements.push(Checked {
            requirement: Requirement::RollbackTested,
            failure: (!inputs.rollback_recorded).then(|| Reason::NoTestedRollback {
                environment: env.name.to_string(),
            }),
        });
    }
    Some(Evaluation {
        environment: env.name.to_string(),
        previous_environment: previous.map(|p| p.name.to_string()),
        requirements,
        approvals,
        evidence,
        source_attestations: inputs.source_attestations.clone(),
    })
}

fn check_gate(
    rule: &crate::config::GateRule,
    inputs: &Inputs,
    evidence: &mut Vec<(EvidenceKind, Digest)>,
) -> Checked {
    let newest = inputs.gate_decisions.iter().max_by(|a, b| {
        a.evaluated_unix
            .cmp(&b.evaluated_unix)
            .then(a.bundle_digest.to_string().cmp(&b.bundle_digest.to_string()))
    });
    let failure = match newest {
        None => Some(Reason::NoGateDecision {
            role: rule.role.to_string(),
            unverified: inputs.gate_unverified,
        }),
        Some(d) if !d.passed => Some(Reason::GateDecisionFailed {
            evaluated_at: d.evaluated_at.clone(),
        }),
        Some(d) => {
            let age = u64::try_from(inputs.now.saturating_sub(d.evaluated_unix)).unwrap_or(0);
            match rule.max_age {
                Some(max) if age > max.as_secs() => Some(Reason::GateDecisionTooOld {
                    evaluated_at: d.evaluated_at.clone(),
                    age: Duration::from_secs(age),
                    max_age: max,
                }),
                _ => {
                    evidence.push((EvidenceKind::GateDecision, d.bundle_digest));
                    None
                }
            }
        }
    };
    Checked {
        requirement: Requirement::GateDecision {
            role: rule.role.to_string(),
            max_age: rule.max_age,
        },
        failure,
    }
}

/// Each approval with whether it counts, in the order given (the caller orders them oldest first, so
/// that an identity's first approval is the one that counts).
fn judge_approvals(env: &Environment, inputs: &Inputs) -> Vec<ApprovalVerdict> {
    let Some(rule) = &env.requires.approvals else {
        return Vec::new();
    };
    let required: Vec<String> = rule.roles.iter().map(ToString::to_string).collect();
    let mut seen = BTreeSet::new();
    inputs
        .approvals
        .iter()
        .map(|a| {
            let claim = match &a.content {
                Ok(claim) => claim,
                Err(error) => {
                    return ApprovalVerdict {
                        bundle_digest: a.bundle_digest.to_string(),
                        identity: String::new(),
                        role: String::new(),
                        timestamp: String::new(),
                        counts: false,
                        rejection: Some(Rejection::Unverified {
                            error: error.to_string(),
                        }),
                    };
                }
            };
            let rejection = if !claim.for_digest {
                Some(Rejection::OtherDigest)
            } else if claim.environment != env.name.as_str() {
                Some(Rejection::OtherEnvironment {
                    environment: claim.environment.clone(),
                })
            } else if !required.contains(&claim.role) {
                Some(Rejection::RoleNotAccepted {
                    role: claim.role.clone(),
                    required: required.clone(),
                })
            } else if !claim.signer_holds_role {
                Some(Rejection::RoleNotHeld {
                    signer: claim.signer.clone(),
                    role: claim.role.clone(),
                })
            } else if let Some(duty) = rule
                .separation_of_duties
                .then(|| inputs.duties.of(&claim.signer))
                .flatten()
            {
                Some(Rejection::SeparationOfDuties {
                    signer: claim.signer.clone(),
                    duty,
                })
            } else if !seen.insert(claim.signer.to_ascii_lowercase()) {
                Some(Rejection::AlreadyCounted {
                    signer: claim.signer.clone(),
                })
            } else {
                None
            };
            ApprovalVerdict {
                bundle_digest: a.bundle_digest.to_string(),
                identity: claim.signer.clone(),
                role: claim.role.clone(),
                timestamp: claim.timestamp.clone(),
                counts: rejection.is_none(),
                rejection,
            }
        })
        .collect()
}
