//! Environments and approvals: the promotion path through DEV, TEST, UAT and PROD as signed, enforced
//! state. The environments file (promotion order, repositories, triggers, requirements), the platform
//! default `provenant env init` writes, requirement evaluation, and the configuration digest recorded with
//! each promotion.
//!
//! [`promoted`] answers the one question every later stage asks (admission, `verify-deploy`, rollback,
//! lineage): was this digest promoted into this environment, by a verified promotion record in the
//! ledger signed by a holder of a role allowed to promote there?

#![forbid(unsafe_code)]

pub mod attached;
pub mod change_record;
pub mod config;
pub mod config_digest;
pub mod duration;
pub mod exceptions;
pub mod gather;
pub mod init;
pub mod inventory;
pub mod promoted;
pub mod requirements;
pub mod status;

pub use config::{ConfigError, Environment, EnvironmentsFile, Requires, Trigger};
pub use duration::{Duration, DurationError};
