//! Reading deployment, rollback and release-health records back from the ledger: each entry is a
//! sigstore bundle, verified against the roles file (`provenant_evidence::roles::verify_for_role`) before
//! its statement is believed, and a record for another environment than the one asked about is refused.

use provenant_attest::Statement;
use provenant_digest::Digest;
use provenant_evidence::roles::Roles;
use provenant_ledger_store::{LedgerStore, Query};
use provenant_records::RecordError;
use provenant_sigstore::TrustedRoot;

/// A record that verified: where it is, what it is about, who signed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<T> {
    /// The ledger index.
    pub index: u64,
    /// The statement's first subject digest.
    pub subject: Digest,
    /// The subject's name.
    pub subject_name: Option<String>,
    /// The record.
    pub record: T,
    /// Who signed it (key label, or `SAN (issuer)`).
    pub signer: String,
}

/// An entry that matched the query and was not believed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The ledger index.
    pub index: u64,
    /// Why (the failed check).
    pub reason: String,
}

/// Why the ledger could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The store failed.
    #[error("cannot read the ledger: {0}")]
    Store(#[from] provenant_ledger_store::StoreError),
}

/// Reads every entry `query` finds, verifies it for one of `signer_roles`, parses it with `parse`, and
/// keeps those whose environment (`environment_of`) is `environment`; everything else is [`Rejected`] with
/// its reason. Results are in ledger order.
#[allow(clippy::too_many_arguments)] // one reading path: the query, the trust and the parser
pub fn read_verified<T>(
    store: &dyn LedgerStore,
    query: &Query,
    environment: Option<&str>,
    roles: &Roles,
    signer_roles: &[String],
    trusted_root: Option<&TrustedRoot>,
    parse: impl Fn(&Statement) -> Result<T, RecordError>,
    environment_of: impl Fn(&T) -> &str,
) -> Result<(Vec<Verified<T>>, Vec<Rejected>), ReadError> {
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    for index in store.query(query)? {
        let Some(content) = store.entry(index)?.content else {
            rejected.push(Rejected {
                index,
                reason: "the entry was redacted".to_owned(),
            });
            continue;
        };
        // The subject the entry claims (read unverified), which the signature must then cover.
        let claimed = provenant_ledger::entry::EntryKeys::from_entry(&content)
            .ok()
            .and_then(|keys| {
                keys.statement
                    .subject
                    .iter()
                    .find_map(|s| s.digests().into_iter().next().map(|d| (d, s.name.clone())))
            });
        let Some((subject, subject_name)) = claimed else {
            rejected.push(Rejected {
                index,
                reason: "the entry is not a statement about a digest".to_owned(),
            });
            continue;
        };
        let mut errors = Vec::new();
        let mut signed = None;
        for role in signer_roles {
            match provenant_evidence::roles::verify_for_role(&content, &subject, roles, role, trusted_root) {
                Ok(s) => {
                    signed = Some(s);
                    break;
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let Some(signed) = signed else {
            rejected.push(Rejected {
                index,
                reason: if errors.is_empty() {
                    "no role to verify it against".to_owned()
                } else {
                    errors.join("; ")
                },
            });
            continue;
        };
        let record = match parse(&signed.statement) {
            Ok(r) => r,
            Err(e) => {
                rejected.push(Rejected {
                    index,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if let Some(expected) = environment
            && environment_of(&record) != expected
        {
            rejected.push(Rejected {
                index,
                reason: format!(
                    "the record is for environment {}, not {expected}",
                    environment_of(&record)
                ),
            });
            continue;
        }
        verified.push(Verified {
            index,
            subject,
            subject_name,
            record,
            signer: signed.signer,
        });
    }
    Ok((verified, rejected))
}
