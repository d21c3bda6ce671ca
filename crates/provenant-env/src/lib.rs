//! Environments: the promotion path through DEV, TEST, UAT and PROD as signed, enforced state.
//!
//! [`promoted`] answers the one question every later stage asks (admission, `verify-deploy`, rollback,
//! lineage): was this digest promoted into this environment, by a verified promotion record in the
//! ledger signed by a holder of a role allowed to promote there?

#![forbid(unsafe_code)]

pub mod promoted;
