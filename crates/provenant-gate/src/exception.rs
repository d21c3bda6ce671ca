//! Exceptions: signed statements that a finding may pass until a date, and the roles file that says
//! who may sign them.
//!
//! An exception is an in-toto statement (predicate type [`EXCEPTION_PREDICATE`]) whose subject is the
//! finding id (named `finding:<id>`, digest the SHA-256 of the id), signed into a sigstore bundle with a
//! key or keylessly. [`verify_exception`] is the one place that checks the signature against the holders
//! of the role the exception claims.

use provenant_attest::{ResourceDescriptor, Statement};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::roles::{RoleError, verify_for_role};
use provenant_sigstore::{Bundle, TrustedRoot};
use serde::{Deserialize, Serialize};

/// The predicate type of an exception.
pub const EXCEPTION_PREDICATE: &str = "https://provenant.dev/attestation/gate-exception/v1";

/// What an exception may be limited to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionScope {
    /// Only for this repository (an image repository, `registry/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Only for this artefact digest (`sha256:<hex>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// An exception's content (the predicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The finding id it applies to.
    pub finding: String,
    /// Who owns the risk (an email address).
    pub owner: String,
    /// Why.
    pub rationale: String,
    /// Last day it applies (`YYYY-MM-DD`, UTC, inclusive).
    pub expires: String,
    /// The role its approver signs as.
    pub role: String,
    /// Optional limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ExceptionScope>,
}

/// An exception that cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExceptionError {
    /// A field with a bad value.
    #[error("exception {field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The bundle or its statement cannot be read.
    #[error("not a signed exception: {0}")]
    NotAnException(String),
    /// No holder of the role signed it.
    #[error("not signed by a holder of role {role}: {reason}")]
    NotSignedByRole {
        /// The role the exception claims.
        role: String,
        /// Why each holder did not verify (joined).
        reason: String,
    },
    /// The roles file names no such role.
    #[error("the roles file has no role {0}")]
    UnknownRole(String),
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
#[must_use]
pub fn parse_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > *month_days.get(usize::try_from(m - 1).ok()?)? {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn finding_digest(finding: &str) -> Digest {
    Algorithm::Sha256.hash_bytes(finding.as_bytes())
}

impl Exception {
    /// Checks the fields: a finding id, an email owner, a rationale, a valid date and a role.
    pub fn validate(&self) -> Result<(), ExceptionError> {
        let field = |field, reason: &str| {
            Err(ExceptionError::Field {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.finding.trim().is_empty() {
            return field("finding", "is empty");
        }
        if !self.owner.contains('@') || self.owner.chars().any(char::is_whitespace) {
            return field("owner", "must be an email address");
        }
        if self.rationale.trim().is_empty() {
            return field("rationale", "is empty");
        }
        if parse_date(&self.expires).is_none() {
            return field("expires", "must be a date YYYY-MM-DD");
        }
        if self.role.trim().is_empty() {
            return field("role", "is empty");
        }
        if let Some(d) = self.scope.as_ref().and_then(|s| s.digest.as_deref())
            && d.parse::<Digest>().is_err()
        {
            return field("scope.digest", "must be sha256:<hex>");
        }
        Ok(())
    }

    /// The statement to sign.
    pub fn statement(&self) -> Result<Statement, ExceptionError> {
        self.validate()?;
        let predicate =
            serde_json::to_value(self).map_err(|e| ExceptionError::NotAnException(e.to_string()))?;
        Ok(Statement::new(
            vec![ResourceDescriptor::for_digest(
                format!("finding:{}", self.finding),
                &finding_digest(&self.finding),
            )],
            EXCEPTION_PREDICATE.to_owned(),
            predicate,
        ))
    }
}

pub use provenant_evidence::roles::{Holder, IdentitySpec, RoleSpec, Roles, RolesFile};

/// An exception whose signature verified for a holder of the role it claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedException {
    /// Its content.
    pub exception: Exception,
    /// Who signed: the key's label, or `SAN (issuer)`.
    pub approver: String,
}

/// Reads an exception bundle without verifying it (to say which exception was refused).
pub fn read_unverified(bundle: &[u8]) -> Result<Exception, ExceptionError> {
    let bundle = Bundle::from_json(bundle).map_err(|e| ExceptionError::NotAnException(e.to_string()))?;
    exception_of(&bundle)
}

fn exception_of(bundle: &Bundle) -> Result<Exception, ExceptionError> {
    let (_, payload) = bundle
        .dsse_payload()
        .ok_or_else(|| ExceptionError::NotAnException("the bundle holds no DSSE statement".into()))?;
    let statement =
        Statement::from_json(payload).map_err(|e| ExceptionError::NotAnException(e.to_string()))?;
    if statement.predicate_type != EXCEPTION_PREDICATE {
        return Err(ExceptionError::NotAnException(format!(
            "predicate type {} is not {EXCEPTION_PREDICATE}",
            statement.predicate_type
        )));
    }
    let exception: Exception = serde_json::from_value(statement.predicate)
        .map_err(|e| ExceptionError::NotAnException(format!("predicate: {e}")))?;
    exception.validate()?;
    Ok(exception)
}

/// Verifies an exception bundle: its signature must verify, over a statement about its finding id, for
/// one holder of the role it claims (a key: offline, no log; an identity: against `trusted_root`),
/// through `provenant_evidence::roles::verify_for_role`.
pub fn verify_exception(
    bundle: &[u8],
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<SignedException, ExceptionError> {
    let parsed = Bundle::from_json(bundle).map_err(|e| ExceptionError::NotAnException(e.to_string()))?;
    let claimed = exception_of(&parsed)?;
    let digest = finding_digest(&claimed.finding);
    match verify_for_role(bundle, &digest, roles, &claimed.role, trusted_root) {
        Ok(signed) => Ok(SignedException {
            exception: claimed,
            approver: signed.signer,
        }),
        Err(RoleError::UnknownRole { role }) => Err(ExceptionError::UnknownRole(role)),
        Err(RoleError::Bundle(e)) => Err(ExceptionError::NotAnException(e.to_string())),
        Err(e) => Err(ExceptionError::NotSignedByRole {
            role: claimed.role,
            reason: match e {
                RoleError::NotSigned { refusals, .. } => refusals
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            },
        }),
    }
}
