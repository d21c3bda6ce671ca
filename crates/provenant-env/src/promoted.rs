//! Whether a digest was promoted into an environment: the newest verified `promoted` promotion record
//! in the ledger.

use provenant_attest::predicate::PROVENANT_PROMOTION_V1;
use provenant_digest::Digest;
use provenant_evidence::roles::{RoleError, RoleSigned, Roles, verify_for_role};
use provenant_ledger_store::{LedgerStore, Query, StoreError};
use provenant_records::promotion::{Outcome, Promotion, Reason};
use provenant_records::{Record, RecordError};
use provenant_sigstore::TrustedRoot;

/// A verified promotion record.
#[derive(Debug, Clone)]
pub struct VerifiedPromotion {
    /// Its ledger index.
    pub index: u64,
    /// When the ledger integrated it (seconds since the epoch).
    pub integrated: u64,
    /// The record.
    pub record: Promotion,
    /// Who signed it, and as which role.
    pub signed: RoleSigned,
}

/// A ledger entry about the digest and environment that does not count as a promotion into it.
#[derive(Debug)]
pub struct Uncounted {
    /// Its ledger index.
    pub index: u64,
    /// Why it does not count.
    pub reason: UncountedReason,
}

/// Why a promotion entry does not count.
#[derive(Debug)]
#[non_exhaustive]
pub enum UncountedReason {
    /// A verified record of a refused promotion, with its reasons.
    Refused(Vec<Reason>),
    /// Its signature did not verify for any of the roles allowed to promote (one error per role).
    Unverified(Vec<RoleError>),
    /// It verified but is not a well-formed promotion record.
    Record(RecordError),
    /// Its record names another environment than the ledger indexed it under.
    OtherEnvironment(String),
    /// Its content was redacted.
    Redacted,
}

impl std::fmt::Display for Uncounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ledger entry {}: ", self.index)?;
        match &self.reason {
            UncountedReason::Refused(reasons) => {
                f.write_str("a refused promotion (")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", r.requirement, r.message)?;
                }
                f.write_str(")")
            }
            UncountedReason::Unverified(errors) => {
                f.write_str("its signature is not by a role allowed to promote: ")?;
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            UncountedReason::Record(e) => write!(f, "not a promotion record: {e}"),
            UncountedReason::OtherEnvironment(env) => {
                write!(f, "its record is for the environment {env}")
            }
            UncountedReason::Redacted => f.write_str("its content was redacted"),
        }
    }
}

/// The answer to "was this digest promoted into this environment".
#[derive(Debug)]
#[non_exhaustive]
pub enum PromotionLookup {
    /// The newest verified record of a promotion into the environment.
    Promoted(Box<VerifiedPromotion>),
    /// No such record; every entry that was considered and why it does not count.
    NotPromoted {
        /// Entries about the digest and environment that do not count.
        uncounted: Vec<Uncounted>,
    },
}

/// Why the ledger could not be asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The ledger failed.
    #[error("cannot read the ledger: {0}")]
    Store(#[from] StoreError),
    /// No role is allowed to promote into the environment.
    #[error("no role may promote into {environment}: the environments file names none")]
    NoSignerRoles {
        /// The environment.
        environment: String,
    },
}

/// Whether `subject` was promoted into `environment`: reads every promotion entry the ledger indexes
/// under that subject and environment, newest first, and returns the first whose signature verifies
/// for a holder of one of `signer_roles` and whose record says `promoted` for that environment. Keyed
/// holders verify offline; keyless holders need `trusted_root`.
pub fn find_promotion(
    store: &dyn LedgerStore,
    subject: &Digest,
    environment: &str,
    roles: &Roles,
    signer_roles: &[String],
    trusted_root: Option<&TrustedRoot>,
) -> Result<PromotionLookup, LookupError> {
    if signer_roles.is_empty() {
        return Err(LookupError::NoSignerRoles {
            environment: environment.to_owned(),
        });
    }
    let mut indexes = store.query(&Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(PROVENANT_PROMOTION_V1.to_owned()),
        environment: Some(environment.to_owned()),
        ..Query::default()
    })?;
    indexes.sort_unstable();
    let mut uncounted = Vec::new();
    for index in indexes.into_iter().rev() {
        let entry = store.entry(index)?;
        let Some(content) = entry.content else {
            uncounted.push(Uncounted {
                index,
                reason: UncountedReason::Redacted,
            });
            continue;
        };
        let mut errors = Vec::new();
        let mut signed = None;
        for role in signer_roles {
            match verify_for_role(&content, subject, roles, role, trusted_root) {
                Ok(s) => {
                    signed = Some(s);
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
        let Some(signed) = signed else {
            uncounted.push(Uncounted {
                index,
                reason: UncountedReason::Unverified(errors),
            });
            continue;
        };
        let record = match Promotion::from_statement(&signed.statement) {
            Ok(r) => r,
            Err(e) => {
                uncounted.push(Uncounted {
                    index,
                    reason: UncountedReason::Record(e),
                });
                continue;
            }
        };
        if record.environment != environment {
            uncounted.push(Uncounted {
                index,
                reason: UncountedReason::OtherEnvironment(record.environment),
            });
            continue;
        }
        if record.outcome == Outcome::Refused {
            uncounted.push(Uncounted {
                index,
                reason: UncountedReason::Refused(record.reasons),
            });
            continue;
        }
        return Ok(PromotionLookup::Promoted(Box::new(VerifiedPromotion {
            index,
            integrated: entry.time,
            record,
            signed,
        })));
    }
    Ok(PromotionLookup::NotPromoted { uncounted })
}
