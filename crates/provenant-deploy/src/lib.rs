//! Deployment records, rollback and release health: what happens around a deployment once the signed
//! record is in the ledger.
//!
//! - [`cdevents`]: `CDEvents` 0.5.1 `service.deployed` and `service.rolledback` events, and the `CloudEvents`
//!   attributes of binary content mode; [`sink`] sends them.
//! - [`notify`]: the rollback notification and its post-incident review task.
//! - [`prometheus`]: SLIs read through Prometheus' HTTP API (instant queries); [`health`] reads a
//!   baseline over a window and decides whether a release is complete.
//! - [`ledger`]: the records read back from the ledger, each verified for its role; [`plan`], the
//!   rollback plan of an environment and the admissibility of a rollback target.
//!
//! Every network call has deadlines ([`http::Deadlines`]) and a non-2xx answer is an error.
#![forbid(unsafe_code)]

pub mod cdevents;
pub mod health;
pub mod http;
pub mod ledger;
pub mod notify;
pub mod plan;
pub mod prometheus;
pub mod sink;
