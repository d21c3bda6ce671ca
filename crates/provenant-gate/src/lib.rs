//! Quality and security gates.
//!
//! The platform's [`Policy`] (YAML, `schemas/gate-policy-v1.schema.json`) sets each gate's values and
//! the range a team may choose them from; a [`TeamConfig`] chooses within the ranges and adds custom
//! rules in Rego ([`rego`]). [`evaluate`] holds the normalised evidence of `provenant-findings` against
//! the effective policy, applies signed [`exception`]s and VEX suppressions, and returns a
//! [`Decision`]; [`predicate`] turns a decision into the gate-decision in-toto statement (and the
//! in-toto test-result statement), and [`sarif`] into SARIF, one run per gate.
//!
//! This crate reads no files and makes no network calls: the caller reads the evidence, policy, roles,
//! keys and exception bundles, and passes their bytes.

pub mod base;
pub mod evaluate;
pub mod exception;
pub mod policy;
pub mod predicate;
pub mod rego;
pub mod sarif;

pub use evaluate::{Context, Decision, Status, Subject, Verdict, evaluate};
pub use policy::{DEFAULT_POLICY, Policy, PolicyError, TeamConfig};
