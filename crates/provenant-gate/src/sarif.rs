//! The decision as SARIF 2.1.0: one run per gate, every listed finding a result (`error` when it
//! blocks, `note` when an exception or suppression lets it through), backlog findings as `warning`.
//!
//! The log is written straight from the decision (types that borrow its strings, their fields in the
//! order of their names, as a JSON object's keys are written): no `Value` tree of 100,000 results.

use serde::Serialize;

use crate::evaluate::{BacklogItem, DecisionFinding, Status};
use crate::{Decision, Status as GateStatus};

/// A SARIF log.
#[derive(Debug, Serialize)]
pub struct Log<'d> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: Vec<Run<'d>>,
    version: &'static str,
}

#[derive(Debug, Serialize)]
struct Run<'d> {
    properties: RunProperties<'d>,
    results: Vec<SarifResult<'d>>,
    tool: Tool<'d>,
}

#[derive(Debug, Serialize)]
struct RunProperties<'d> {
    gate: &'d str,
    status: &'static str,
    threshold: Option<f64>,
    value: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Tool<'d> {
    driver: Driver<'d>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'d> {
    information_uri: &'static str,
    name: String,
    rules: Vec<Rule<'d>>,
    semantic_version: &'d str,
}

#[derive(Debug, Serialize)]
struct Rule<'d> {
    id: &'d str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'d> {
    level: &'static str,
    locations: Vec<Location<'d>>,
    message: Message<'d>,
    partial_fingerprints: Fingerprints<'d>,
    properties: ResultProperties,
    rule_id: &'d str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Debug, Serialize)]
struct Message<'d> {
    text: &'d str,
}

#[derive(Debug, Serialize)]
struct Fingerprints<'d> {
    #[serde(rename = "provenantFindingId/v1")]
    id: &'d str,
}

#[derive(Debug, Serialize)]
struct ResultProperties {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    backlog: bool,
    severity: &'static str,
}

#[derive(Debug, Serialize)]
struct Suppression {
    justification: String,
    kind: &'static str,
    status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'d> {
    physical_location: PhysicalLocation<'d>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'d> {
    artifact_location: ArtifactLocation<'d>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Debug, Serialize)]
struct ArtifactLocation<'d> {
    uri: &'d str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
}

fn level_of(f: &DecisionFinding<'_>) -> &'static str {
    if f.blocks { "error" } else { "note" }
}

fn location(loc: Option<&str>) -> Vec<Location<'_>> {
    let Some(loc) = loc else { return Vec::new() };
    let (path, line) = match loc.rsplit_once(':') {
        Some((p, l)) if l.parse::<u64>().is_ok_and(|l| l > 0) => (p, l.parse::<u64>().ok()),
        _ => (loc, None),
    };
    vec![Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: path },
            region: line.map(|start_line| Region { start_line }),
        },
    }]
}

fn status_word(s: Status) -> &'static str {
    match s {
        GateStatus::Pass => "pass",
        GateStatus::Block => "block",
        GateStatus::NotApplicable => "not-applicable",
    }
}

fn finding_result<'d>(f: &'d DecisionFinding<'_>) -> SarifResult<'d> {
    let suppressions = match &f.exception {
        Some(e) if e.status != "refused" => vec![Suppression {
            justification: e
                .reason
                .clone()
                .unwrap_or_else(|| format!("exception owned by {}", e.owner.clone().unwrap_or_default())),
            kind: "external",
            status: "accepted",
        }],
        _ => Vec::new(),
    };
    SarifResult {
        level: level_of(f),
        locations: location(f.location.as_deref()),
        message: Message { text: &f.message },
        partial_fingerprints: Fingerprints { id: &f.id },
        properties: ResultProperties {
            backlog: false,
            severity: f.severity.as_str(),
        },
        rule_id: &f.rule,
        suppressions,
    }
}

fn backlog_result<'d>(b: &'d BacklogItem<'_>) -> SarifResult<'d> {
    SarifResult {
        level: "warning",
        locations: location(b.location.as_deref()),
        message: Message { text: &b.message },
        partial_fingerprints: Fingerprints { id: &b.id },
        properties: ResultProperties {
            backlog: true,
            severity: b.severity.as_str(),
        },
        rule_id: &b.rule,
        suppressions: Vec::new(),
    }
}

/// The SARIF log of `decision`, borrowing from it.
#[must_use]
pub fn to_sarif<'d>(decision: &'d Decision<'_>, version: &'d str) -> Log<'d> {
    let runs = decision
        .gates
        .iter()
        .map(|gate| {
            let backlog: Vec<&BacklogItem<'_>> =
                decision.backlog.iter().filter(|b| b.gate == gate.id).collect();
            let mut rules: Vec<&str> = gate.findings.iter().map(|f| f.rule.as_ref()).collect();
            rules.extend(backlog.iter().map(|b| b.rule.as_ref()));
            rules.sort_unstable();
            rules.dedup();
            let mut results: Vec<SarifResult<'_>> = Vec::with_capacity(gate.findings.len() + backlog.len());
            results.extend(gate.findings.iter().map(finding_result));
            results.extend(backlog.into_iter().map(backlog_result));
            Run {
                properties: RunProperties {
                    gate: &gate.id,
                    status: status_word(gate.status),
                    threshold: gate.threshold,
                    value: gate.value,
                },
                results,
                tool: Tool {
                    driver: Driver {
                        information_uri: "https://provenant.dev/docs/gates",
                        name: format!("provenant-gate/{}", gate.id),
                        rules: rules.into_iter().map(|id| Rule { id }).collect(),
                        semantic_version: version,
                    },
                },
            }
        })
        .collect();
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs,
        version: "2.1.0",
    }
}
