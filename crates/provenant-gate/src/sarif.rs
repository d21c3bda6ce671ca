//! The decision as SARIF 2.1.0: one run per gate, every listed finding a result (`error` when it
//! blocks, `note` when an exception or suppression lets it through), backlog findings as `warning`.

use serde_json::{Value, json};

use crate::evaluate::{DecisionFinding, Status};
use crate::{Decision, Status as GateStatus};

fn level_of(f: &DecisionFinding<'_>) -> &'static str {
    if f.blocks { "error" } else { "note" }
}

fn location(loc: Option<&str>) -> Vec<Value> {
    let Some(loc) = loc else { return Vec::new() };
    let (path, line) = match loc.rsplit_once(':') {
        Some((p, l)) if l.parse::<u64>().is_ok_and(|l| l > 0) => (p, l.parse::<u64>().ok()),
        _ => (loc, None),
    };
    let mut physical = json!({"artifactLocation": {"uri": path}});
    if let (Some(line), Value::Object(map)) = (line, &mut physical) {
        map.insert("region".to_owned(), json!({"startLine": line}));
    }
    vec![json!({"physicalLocation": physical})]
}

fn status_word(s: Status) -> &'static str {
    match s {
        GateStatus::Pass => "pass",
        GateStatus::Block => "block",
        GateStatus::NotApplicable => "not-applicable",
    }
}

/// The SARIF document.
#[must_use]
pub fn to_sarif(decision: &Decision<'_>, version: &str) -> Value {
    let runs: Vec<Value> = decision
        .gates
        .iter()
        .map(|gate| {
            let mut rules: Vec<&str> = gate.findings.iter().map(|f| f.rule.as_ref()).collect();
            let backlog: Vec<_> = decision.backlog.iter().filter(|b| b.gate == gate.id).collect();
            rules.extend(backlog.iter().map(|b| b.rule.as_ref()));
            rules.sort_unstable();
            rules.dedup();
            let mut results: Vec<Value> = gate
                .findings
                .iter()
                .map(|f| {
                    let mut r = json!({
                        "ruleId": f.rule,
                        "level": level_of(f),
                        "message": {"text": f.message},
                        "locations": location(f.location.as_deref()),
                        "partialFingerprints": {"provenantFindingId/v1": f.id},
                        "properties": {"severity": f.severity.as_str()},
                    });
                    if let (Some(e), Value::Object(map)) = (&f.exception, &mut r)
                        && e.status != "refused"
                    {
                        let justification = e.reason.clone().unwrap_or_else(|| {
                            format!("exception owned by {}", e.owner.clone().unwrap_or_default())
                        });
                        map.insert(
                            "suppressions".to_owned(),
                            json!([{"kind": "external", "status": "accepted", "justification": justification}]),
                        );
                    }
                    r
                })
                .collect();
            results.extend(backlog.iter().map(|b| {
                json!({
                    "ruleId": b.rule,
                    "level": "warning",
                    "message": {"text": b.message},
                    "locations": location(b.location.as_deref()),
                    "partialFingerprints": {"provenantFindingId/v1": b.id},
                    "properties": {"severity": b.severity.as_str(), "backlog": true},
                })
            }));
            json!({
                "tool": {"driver": {
                    "name": format!("provenant-gate/{}", gate.id),
                    "semanticVersion": version,
                    "informationUri": "https://provenant.dev/docs/gates",
                    "rules": rules.iter().map(|r| json!({"id": r})).collect::<Vec<_>>(),
                }},
                "results": results,
                "properties": {
                    "gate": gate.id,
                    "status": status_word(gate.status),
                    "value": gate.value,
                    "threshold": gate.threshold,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    })
}
