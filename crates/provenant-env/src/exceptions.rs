//! The exception log: every gate exception used or refused, read from the gate decisions in the ledger
//! (each gate-decision/v1 predicate lists, per gate, the exceptions it used or refused with their
//! owner, rationale, expiry and approver).

use provenant_attest::predicate::PROVENANT_GATE_DECISION_V1;
use provenant_evidence::roles::{Roles, verify_for_role};
use provenant_ledger_store::{LedgerStore, Query, StoreError, contents};
use provenant_sigstore::TrustedRoot;
use serde::{Deserialize, Serialize};

/// Whether an exception was used or refused by the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Use {
    /// The gate let the finding through under it.
    Used,
    /// The gate refused it (the reason says why).
    Refused,
}

/// One exception as a gate decision logged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedException {
    /// Who owns it.
    pub owner: String,
    /// Why it was granted.
    pub rationale: String,
    /// Its expiry (`YYYY-MM-DD`, as written).
    pub expires: String,
    /// Who signed it, when its signature verified.
    pub approver: Option<String>,
    /// The role it claims.
    pub role: String,
    /// The finding it names.
    pub finding: String,
    /// The exception file, as the gate was given it.
    pub file: String,
    /// The gate that logged it.
    pub gate: String,
    /// Used or refused.
    pub status: Use,
    /// Why it was refused.
    pub reason: Option<String>,
    /// Whether it is unexpired at the time asked about.
    pub active: bool,
    /// The gate decision's digest (SHA-256 of the ledger entry, as promotion records name evidence).
    pub decision: String,
    /// The decision's subject (its first digest).
    pub subject: String,
    /// When the decision was made.
    pub evaluated_at: String,
    /// The decision's ledger index.
    pub ledger_index: u64,
}

/// Which exceptions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Filter {
    /// Every one.
    All,
    /// Those unexpired at the time asked about.
    Active,
    /// Those expired then.
    Expired,
}

/// The exception log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionLog {
    /// The exceptions, in ledger order, then gate and log order.
    pub exceptions: Vec<LoggedException>,
    /// Whether the decisions' signatures were verified for a role.
    pub verified: bool,
    /// Gate decisions left out because their signature did not verify for the role (or that could not
    /// be read).
    pub unverified_decisions: usize,
}

/// Whose signature a gate decision must carry to be read.
pub struct Verification<'a> {
    /// Who holds which role.
    pub roles: &'a Roles,
    /// The role that signs gate decisions (`ci`).
    pub role: &'a str,
    /// The trusted root for keyless holders.
    pub trusted_root: Option<&'a TrustedRoot>,
}

#[derive(Deserialize)]
struct DecisionPredicate {
    #[serde(default)]
    gates: Vec<Gate>,
    #[serde(default, rename = "evaluatedAt")]
    evaluated_at: String,
}

#[derive(Deserialize)]
struct Gate {
    #[serde(default)]
    id: String,
    #[serde(default)]
    exceptions: Vec<Logged>,
}

#[derive(Deserialize)]
struct Logged {
    #[serde(default)]
    file: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    approver: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Whether an exception expiring on `expires` (`YYYY-MM-DD`) is still in force on `today`
/// (`YYYY-MM-DD`): through the whole of its expiry day, as the gate applies it. An unreadable expiry
/// is expired.
#[must_use]
pub fn unexpired(expires: &str, today: jiff::civil::Date) -> bool {
    expires.len() == 10 && expires.parse::<jiff::civil::Date>().is_ok_and(|day| day >= today)
}

/// Every exception the gate decisions in `store` used or refused, filtered by whether it is in force
/// at `now` (seconds since the epoch, UTC). With `verification`, only decisions signed by a holder of
/// its role are read.
pub fn list(
    store: &dyn LedgerStore,
    filter: Filter,
    now: i64,
    verification: Option<&Verification<'_>>,
) -> Result<ExceptionLog, StoreError> {
    let today = jiff::Timestamp::from_second(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let query = Query {
        predicate_type: Some(PROVENANT_GATE_DECISION_V1.to_owned()),
        ..Query::default()
    };
    let mut out = ExceptionLog {
        exceptions: Vec::new(),
        verified: verification.is_some(),
        unverified_decisions: 0,
    };
    for item in contents(store, &query)? {
        let (index, content) = item?;
        let Ok(keys) = provenant_ledger::entry::EntryKeys::from_entry(&content) else {
            out.unverified_decisions += 1;
            continue;
        };
        let Some(subject) = keys
            .statement
            .subject
            .iter()
            .find_map(|s| s.digests().into_iter().next())
        else {
            out.unverified_decisions += 1;
            continue;
        };
        let statement = match verification {
            None => keys.statement,
            Some(v) => {
                let Ok(signed) = verify_for_role(&content, &subject, v.roles, v.role, v.trusted_root) else {
                    out.unverified_decisions += 1;
                    continue;
                };
                signed.statement
            }
        };
        let Ok(predicate) = serde_json::from_value::<DecisionPredicate>(statement.predicate) else {
            out.unverified_decisions += 1;
            continue;
        };
        let decision = provenant_digest::Algorithm::Sha256
            .hash_bytes(&content)
            .to_string();
        for gate in predicate.gates {
            for e in gate.exceptions {
                let active = unexpired(&e.expires, today);
                let keep = match filter {
                    Filter::All => true,
                    Filter::Active => active,
                    Filter::Expired => !active,
                };
                if !keep {
                    continue;
                }
                out.exceptions.push(LoggedException {
                    owner: e.owner,
                    rationale: e.rationale,
                    expires: e.expires,
                    approver: e.approver,
                    role: e.role,
                    finding: e.finding,
                    file: e.file,
                    gate: gate.id.clone(),
                    status: if e.status == "applied" {
                        Use::Used
                    } else {
                        Use::Refused
                    },
                    reason: e.reason,
                    active,
                    decision: decision.clone(),
                    subject: subject.to_string(),
                    evaluated_at: predicate.evaluated_at.clone(),
                    ledger_index: index,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::unexpired;

    #[test]
    fn an_exception_is_in_force_through_its_expiry_day_and_an_unreadable_expiry_is_expired() {
        let today: jiff::civil::Date = "2026-05-28".parse().unwrap_or_default();
        assert!(unexpired("2026-05-28", today));
        assert!(unexpired("2026-06-30", today));
        assert!(!unexpired("2026-05-27", today));
        assert!(!unexpired("next year", today));
        assert!(!unexpired("2026-5-28", today));
        assert!(!unexpired("", today));
    }
}
