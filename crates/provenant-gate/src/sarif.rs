//! The decision as SARIF 2.1.0: one run per gate, every listed finding a result (`error` when it
//! blocks, `note` when an exception or suppression lets it through), backlog findings as `warning`.
//!
//! The log is written straight from the decision (types that borrow its strings, their fields in the
//! order of their names, as a JSON object's keys are written): no `Value` tree of 100,000 results.

use std::borrow::Cow;

use serde::Serialize;

use crate::evaluate::{BacklogItem, DecisionFinding, Spot, Status};
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
    uri: Cow<'d, str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
}

fn level_of(f: &DecisionFinding<'_>) -> &'static str {
    if f.blocks { "error" } else { "note" }
}

/// A finding's location as a SARIF location: its path and line; a location written as one string
/// (`PATH:0`, or a custom rule's) is read as [`Spot::parse`] reads it.
fn location<'d>(loc: Option<&'d Spot<'d>>) -> Vec<Location<'d>> {
    let Some(loc) = loc else { return Vec::new() };
    let (path, line) = match loc.line {
        Some(line) if line > 0 => (Cow::Borrowed(&*loc.path), Some(line)),
        Some(_) => (Cow::Owned(loc.to_string()), None),
        None => {
            let spot = Spot::parse(&loc.path);
            (spot.path, spot.line)
        }
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

/// What a result says of one listed finding or backlog item.
#[derive(Clone, Copy)]
struct Listed<'d> {
    level: &'static str,
    location: Option<&'d Spot<'d>>,
    message: &'d str,
    id: &'d str,
    rule: &'d str,
    severity: &'static str,
    backlog: bool,
}

fn result(listed: Listed<'_>, suppressions: Vec<Suppression>) -> SarifResult<'_> {
    SarifResult {
        level: listed.level,
        locations: location(listed.location),
        message: Message { text: listed.message },
        partial_fingerprints: Fingerprints { id: listed.id },
        properties: ResultProperties {
            backlog: listed.backlog,
            severity: listed.severity,
        },
        rule_id: listed.rule,
        suppressions,
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
    let listed = Listed {
        level: level_of(f),
        location: f.location.as_ref(),
        message: &f.message,
        id: &f.id,
        rule: &f.rule,
        severity: f.severity.as_str(),
        backlog: false,
    };
    result(listed, suppressions)
}

fn backlog_result<'d>(b: &'d BacklogItem<'_>) -> SarifResult<'d> {
    let listed = Listed {
        level: "warning",
        location: b.location.as_ref(),
        message: &b.message,
        id: &b.id,
        rule: &b.rule,
        severity: b.severity.as_str(),
        backlog: true,
    };
    result(listed, Vec::new())
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use provenant_findings::Severity;
    use serde_json::json;

    use super::*;
    use crate::evaluate::{ExceptionRef, GateResult, Verdict};

    fn finding(
        id: &'static str,
        location: Option<&'static str>,
        exception: Option<ExceptionRef>,
    ) -> DecisionFinding<'static> {
        DecisionFinding {
            id: Cow::Borrowed(id),
            severity: Severity::High,
            rule: Cow::Borrowed("r1"),
            location: location.map(Spot::parse),
            message: Cow::Borrowed("bad \"thing\""),
            // As the evaluation sets it: a refused exception lets nothing through.
            blocks: exception.as_ref().is_none_or(|e| e.status == "refused"),
            exception: exception.map(Box::new),
        }
    }

    /// The log has the shape and the key order the SARIF writer had when it built a `Value` (keys sorted):
    /// exceptions applied become accepted suppressions, refused ones none, backlog items warnings.
    #[test]
    fn sarif_log_is_written_with_sorted_keys_suppressions_and_backlog() {
        let applied = ExceptionRef {
            source: "exception".to_owned(),
            status: "applied".to_owned(),
            file: Some("ex.json".to_owned()),
            owner: Some("a@example.com".to_owned()),
            expires: Some("2030-01-01".to_owned()),
            reason: None,
        };
        let refused = ExceptionRef {
            status: "refused".to_owned(),
            reason: Some("expired".to_owned()),
            ..applied.clone()
        };
        let decision = Decision {
            decision: Verdict::Block,
            gates: vec![GateResult {
                id: "sast".to_owned(),
                status: Status::Block,
                value: Some(1.0),
                threshold: Some(0.0),
                findings: vec![
                    finding("a", Some("src/a.py:3"), None),
                    finding("b", Some("src/b.py"), Some(applied)),
                    finding("c", None, Some(refused)),
                ],
                exceptions: Vec::new(),
            }],
            backlog: vec![BacklogItem {
                id: Cow::Borrowed("d"),
                gate: Cow::Borrowed("sast"),
                severity: Severity::Low,
                rule: Cow::Borrowed("r0"),
                // Line 0 is no line: the SARIF location is the text.
                location: Some(Spot {
                    path: Cow::Borrowed("x"),
                    line: Some(0),
                }),
                message: Cow::Borrowed("low"),
            }],
            evidence: Vec::new(),
            notices: Vec::new(),
        };
        let result = |id: &str, level: &str, locations: serde_json::Value| {
            json!({"level": level, "locations": locations, "message": {"text": "bad \"thing\""},
                   "partialFingerprints": {"provenantFindingId/v1": id},
                   "properties": {"severity": "high"}, "ruleId": "r1"})
        };
        let mut suppressed = result(
            "b",
            "note",
            json!([{"physicalLocation": {"artifactLocation": {"uri": "src/b.py"}}}]),
        );
        suppressed["suppressions"] = json!([{"justification": "exception owned by a@example.com",
                                             "kind": "external", "status": "accepted"}]);
        let expected = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{
                "properties": {"gate": "sast", "status": "block", "threshold": 0.0, "value": 1.0},
                "results": [
                    result("a", "error", json!([{"physicalLocation": {"artifactLocation": {"uri": "src/a.py"},
                                                                      "region": {"startLine": 3}}}])),
                    suppressed,
                    result("c", "error", json!([])),
                    {"level": "warning",
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "x:0"}}}],
                     "message": {"text": "low"}, "partialFingerprints": {"provenantFindingId/v1": "d"},
                     "properties": {"backlog": true, "severity": "low"}, "ruleId": "r0"},
                ],
                "tool": {"driver": {"informationUri": "https://provenant.dev/docs/gates",
                                    "name": "provenant-gate/sast",
                                    "rules": [{"id": "r0"}, {"id": "r1"}], "semanticVersion": "9.9.9"}},
            }],
            "version": "2.1.0",
        });
        let log = to_sarif(&decision, "9.9.9");
        assert_eq!(
            serde_json::to_string_pretty(&log).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }
}
