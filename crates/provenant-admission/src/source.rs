//! The promotion source over the ledger: `provenant_env::promoted::find_promotion`, with the promote
//! roles of each environment from the environments file and the holders of those roles from the roles
//! file.

use std::fmt::Write as _;
use std::sync::Arc;

use provenant_digest::Digest;
use provenant_env::promoted::{LookupError, PromotionLookup, find_promotion};
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
        let signer_roles =
            self.promote
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
        .map_err(|e| match e {
            LookupError::Store(e) => store_error(e),
            other => SourceError::Lookup(Box::new(other)),
        })?;
        Ok(match found {
            PromotionLookup::Promoted(p) => Verdict::Promoted {
                index: p.index,
                signer: p.signed.signer,
            },
            PromotionLookup::NotPromoted { uncounted } => {
                let mut detail = String::new();
                if uncounted.is_empty() {
                    detail.push_str(
                        "the ledger holds no promotion record for it; promote it into this environment first",
                    );
                }
                for u in uncounted.iter().take(MAX_NAMED) {
                    let _ = write!(detail, "{}{u}", sep(&detail));
                }
                if uncounted.len() > MAX_NAMED {
                    let _ = write!(detail, "; and {} more", uncounted.len() - MAX_NAMED);
                }
                Verdict::NotPromoted { detail }
            }
            // A lookup outcome this version does not know cannot allow.
            _ => return Err(SourceError::Lookup("an unknown promotion lookup outcome".into())),
        })
    }

    fn ledger_size(&self) -> Result<u64, SourceError> {
        self.store.size().map_err(store_error)
    }
}

fn sep(detail: &str) -> &'static str {
    if detail.is_empty() { "" } else { "; " }
}
