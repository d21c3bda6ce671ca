//! Custom rules in Rego over the normalised evidence.

use provenant_gate::policy::RuleConfig;
use provenant_gate::rego::{Rule, run_rules};
use provenant_gate::{Policy, Verdict};

use crate::{clean_files, decide, normalised};

const RULE: &str = r#"package team.licences

import rego.v1

deny contains msg if {
    some f in input.findings
    f.category == "dependencies"
    f.package.name == "minimist"
    msg := sprintf("%s is banned by the team", [f.package.name])
}

deny contains {"msg": "coverage is under 85%", "severity": "medium"} if {
    input.coverage.line_rate < 85
}
"#;

#[test]
fn a_rego_rule_reads_the_normalised_evidence_and_blocks() {
    let mut files = clean_files();
    files.push((
        "npm-audit.json".into(),
        std::fs::read(crate::findings_fixture("npm-audit.json")).unwrap(),
    ));
    let n = normalised(&files);
    let config = RuleConfig {
        id: "banned-packages".into(),
        rego: "banned.rego".into(),
        query: None,
        description: None,
    };
    let input = serde_json::to_value(&n).unwrap();
    let results = run_rules(
        &[Rule {
            config: &config,
            file: "banned.rego",
            source: RULE,
        }],
        &input,
    )
    .unwrap();
    assert_eq!(results.len(), 1);
    let messages: Vec<&str> = results[0].findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["minimist is banned by the team", "coverage is under 85%"]
    );
    let p = Policy::platform_default().unwrap();
    let d = decide(&n, &p, &[], &results);
    assert_eq!(d.decision, Verdict::Block);
    let g = d.gates.last().unwrap();
    assert_eq!((g.id.as_str(), g.findings.len()), ("banned-packages", 1));
    assert!(
        d.backlog
            .iter()
            .any(|b| b.gate == "banned-packages" && b.message == "coverage is under 85%")
    );
}

#[test]
fn a_broken_rule_names_the_rule_and_file() {
    let config = RuleConfig {
        id: "r".into(),
        rego: "r.rego".into(),
        query: None,
        description: None,
    };
    let err = run_rules(
        &[Rule {
            config: &config,
            file: "r.rego",
            source: "package x\ndeny contains if {",
        }],
        &serde_json::json!({}),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("rule r (r.rego): "), "{err}");
    let err = run_rules(
        &[Rule {
            config: &config,
            file: "r.rego",
            source: "package x\nimport rego.v1\ndeny := 3\n",
        }],
        &serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule r (r.rego): query data.x.deny: the result is not a set or an array"
    );
}
