//! Environments and approvals: the environments file (promotion order, repositories, triggers,
//! requirements), the platform default `provenant env init` writes, and the configuration digest recorded
//! with each promotion.

pub mod config;
pub mod config_digest;
pub mod duration;
pub mod init;
pub mod requirements;

pub use config::{ConfigError, Environment, EnvironmentsFile, Requires, Trigger};
pub use duration::{Duration, DurationError};
