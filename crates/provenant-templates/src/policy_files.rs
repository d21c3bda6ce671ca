//! The policy files a pipeline uses besides the gate policy: the environments (promotion order,
//! repositories, triggers and requirements) and the roles (who may sign what).

use std::fmt::Write as _;

use crate::params::Values;
use crate::{Ci, Workload, pipeline_path};

/// The environments, in promotion order, with their triggers.
pub const ENVIRONMENTS: [(&str, &str); 4] = [
    ("dev", "on-commit"),
    ("test", "on-merge"),
    ("uat", "on-release-candidate"),
    ("prod", "on-approval"),
];

fn value<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).map_or("", String::as_str)
}

/// `environments.yaml` in the format `provenant env init` writes: dev, test, uat and prod in that order;
/// dev entered by build and packaging provenance signed by `ci`; every later one needing a passing gate
/// decision signed by `ci` (no older than `gate_max_age_hours`) and the digest promoted into the one
/// before (the order of the list); prod also needing `prod_approvals` approvals by distinct
/// `release-manager` holders, with separation of duties.
#[must_use]
pub fn environments(values: &Values) -> String {
    let registry = value(values, "registry");
    let name = value(values, "name");
    let max_age = value(values, "gate_max_age_hours");
    let approvals = value(values, "prod_approvals");
    let mut out = String::from(
        "# Environments, in promotion order (docs/environments.md): one artefact, built once, promoted by\n\
         # digest; each environment after dev is reached only by a recorded promotion from the one before.\n\
         # The requirements are the platform's: a team sets only the template's parameters.\n\
         version: 1\n\
         roles: roles.yaml\n\
         environments:\n",
    );
    for (i, (env, trigger)) in ENVIRONMENTS.into_iter().enumerate() {
        let _ = writeln!(out, "  - name: {env}");
        let _ = writeln!(out, "    repository: {registry}/{env}/{name}");
        out.push_str("    promote_roles: [ci]\n");
        let _ = writeln!(out, "    trigger: {trigger}");
        out.push_str("    requires:\n");
        if i == 0 {
            out.push_str("      provenance:\n        role: ci\n");
        } else {
            out.push_str("      gate_decision:\n        role: ci\n");
            let _ = writeln!(out, "        max_age: {max_age}h");
        }
        if env == "prod" {
            out.push_str("      approvals:\n");
            out.push_str("        roles: [release-manager]\n");
            let _ = writeln!(out, "        count: {approvals}");
            out.push_str("        separation_of_duties: true\n");
        }
    }
    out
}

/// `roles.yaml` in the roles file format: `ci` is the pipeline's own keyless identity; the human roles
/// start empty and are filled by governance (public key files relative to this file, or identities).
#[must_use]
pub fn roles(ci: Ci, workload: Workload, values: &Values) -> String {
    let repository = value(values, "repository");
    let branch = value(values, "branch");
    let pipeline = pipeline_path(workload, ci);
    let (san, issuer) = match ci {
        Ci::Github => (
            format!("https://github.com/{repository}/{pipeline}@refs/heads/{branch}"),
            "https://token.actions.githubusercontent.com",
        ),
        Ci::Gitlab => (
            format!("https://gitlab.com/{repository}//{pipeline}@refs/heads/{branch}"),
            "https://gitlab.com",
        ),
    };
    format!(
        "# Who may sign what (docs/environments.md, docs/gates.md). Holders are public key files (paths\n\
         # relative to this file) or keyless identities. Governance fills in the human roles.\n\
         roles:\n\
         \x20 ci:\n\
         \x20   keys: []\n\
         \x20   identities:\n\
         \x20     - san: {san}\n\
         \x20       issuer: {issuer}\n\
         \x20 release-manager:\n\
         \x20   keys: []\n\
         \x20   identities: []\n\
         \x20 security-lead:\n\
         \x20   keys: []\n\
         \x20   identities: []\n"
    )
}
