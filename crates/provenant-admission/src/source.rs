//! The promotion source over the ledger: `provenant_env::promoted::find_promotion`, with the promote
//! roles of each environment from the environments file and the holders of those roles from the roles
//! file.

use std::fmt::Write as _;
use std::sync::Arc;

use provenant_digest::Digest;
use provenant_env::promoted::{PromotionLookup, find_promotion};
use provenant_evidence::roles::Roles;
use provenant_ledger_store::{LedgerStore, StoreError};
use provenant_sigstore::TrustedRoot;

use crate::decision::{PromotionSource, SourceError, Verdict};
use crate::environments::PromoteRoles;

/// How many refused or unverified records a denial names at most.
const MAX_NAMED: usize = 5;

/// Promotions looked up in a ledger.
pub struct LedgerPromotions {
    store: Arc<dyn LedgerStore>,
    roles: Roles,
    promote: PromoteRoles,
    trusted_root: Option<TrustedRoot>,
}

impl LedgerPromotions {
    /// A source over `store`.
    #[must_use]
    pub fn new(
        store: Arc<dyn LedgerStore>,
        roles: Roles,
        promote: PromoteRoles,
        trusted_root: Option<TrustedRoot>,
    ) -> LedgerPromotions {
        LedgerPromotions {
            store,
            roles,
            promote,
            trusted_root,
        }
    }
}

fn store_error(e: StoreError) -> SourceError {
    match e {
        StoreError::Corrupt { .. } => SourceError::Inconsistent(Box::new(e)),
        other => SourceError::Unavailable(Box::new(other)),
    }
}

impl PromotionSource for LedgerPromotions {
    fn lookup(&self, digest: &Digest, environment: &str) -> Result<Verdict, SourceError> {
        let signer_roles = self
            .promote
            .roles(environment)
            .ok_or_else(|| SourceError::UnknownEnvironment {
                environment: environment.to_owned(),
            })?;
        if signer_roles.is_empty() {
            return Err(SourceError::NoPromoteRole {
                environment: environment.to_owned(),
            });
        }
        let found = find_promotion(
            self.store.as_ref(),
            digest,
            environment,
            &self.roles,
            signer_roles,
            self.trusted_root.as_ref(),
        )
        .map_err(|e| SourceError::Lookup(Box::new(e)))?;
        Ok(match found {
            PromotionLookup::Promoted { index, signer, .. } => Verdict::Promoted { index, signer },
            PromotionLookup::NotPromoted { refused, unverified } => {
                let mut detail = String::new();
                if refused.is_empty() && unverified.is_empty() {
                    detail.push_str("the ledger holds no promotion record for it; promote it into this environment first");
                }
                for (index, reasons) in refused.iter().rev().take(MAX_NAMED) {
                    let why: Vec<String> = reasons.iter().map(|r| r.message.clone()).collect();
                    let _ = write!(detail, "{}promotion refused (ledger entry {index}): {}", sep(&detail), why.join(", "));
                }
                for (index, error) in unverified.iter().rev().take(MAX_NAMED) {
                    let _ = write!(
                        detail,
                        "{}record at ledger entry {index} does not verify as signed by a holder of {}: {error}",
                        sep(&detail),
                        signer_roles.join(" or ")
                    );
                }
                Verdict::NotPromoted { detail }
            }
        })
    }

    fn ledger_size(&self) -> Result<u64, SourceError> {
        self.store.size().map_err(store_error)
    }
}

fn sep(detail: &str) -> &'static str {
    if detail.is_empty() { "" } else { "; " }
}
