//! The platform policy and the team level.

use provenant_gate::policy::{Scope, TeamConfig};
use provenant_gate::{DEFAULT_POLICY, Policy, PolicyError};

#[test]
fn the_default_policy_has_the_platform_values_and_matches_its_schema() {
    let p = Policy::platform_default().unwrap();
    assert_eq!(p.gates.tests.min_pass_rate.unwrap().value, 100.0);
    assert_eq!(p.gates.tests.min_tests.unwrap().value, 1.0);
    assert_eq!(p.gates.coverage.min_line_rate.unwrap().value, 80.0);
    assert_eq!(p.gates.coverage.min_line_rate.unwrap().range, [80.0, 100.0]);
    assert_eq!(p.gates.dependencies.scope.as_ref().unwrap().value, Scope::Direct);
    assert!(p.gates.all().iter().all(|(_, g)| g.required));
    assert!(!p.exceptions.allow_secrets && !p.exceptions.allow_critical);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(provenant_testkit::repo_root().join("schemas/gate-policy-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let doc: serde_json::Value = yaml_to_json(DEFAULT_POLICY);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    let p: Policy = Policy::from_yaml("p", text.as_bytes()).unwrap();
    serde_json::to_value(p).unwrap()
}

#[test]
fn policy_errors_name_line_and_column() {
    let text = DEFAULT_POLICY.replace(
        "    required: true\n    evidence: [junit]",
        "    required: yes please\n    evidence: [junit]",
    );
    let err = Policy::from_yaml("gate-policy.yaml", text.as_bytes()).unwrap_err();
    let PolicyError::Syntax { line, column, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!((*line, *column), (7, 15), "{err}");
    assert!(
        err.to_string()
            .starts_with("gate-policy.yaml: line 7, column 15: "),
        "{err}"
    );
    let text = DEFAULT_POLICY.replace("min_tests:", "min_testz:");
    let err = Policy::from_yaml("p.yaml", text.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("unknown field `min_testz`"), "{err}");
    let text = DEFAULT_POLICY.replace("{value: 80, range: [80, 100]}", "{value: 70, range: [80, 100]}");
    let err = Policy::from_yaml("p.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "p.yaml: gates.coverage.min_line_rate: the value 70 is outside its own range 80–100"
    );
}

#[test]
fn a_team_chooses_within_the_platform_range() {
    let p = Policy::platform_default().unwrap();
    let team = TeamConfig::from_yaml(
        "team.yaml",
        b"version: 1\ngates:\n  coverage:\n    min_line_rate: 90\n  sast:\n    block_at: medium\n",
    )
    .unwrap();
    let eff = p.with_team("team.yaml", &team).unwrap();
    assert_eq!(eff.gates.coverage.min_line_rate.unwrap().value, 90.0);
    assert_eq!(
        eff.gates.sast.block_at.unwrap().value,
        provenant_findings::Severity::Medium
    );
}

#[test]
fn a_team_value_outside_the_range_names_key_and_range() {
    let p = Policy::platform_default().unwrap();
    let team = TeamConfig::from_yaml(
        "team.yaml",
        b"version: 1\ngates:\n  coverage:\n    min_line_rate: 70\n",
    )
    .unwrap();
    let err = p.with_team("team.yaml", &team).unwrap_err();
    assert_eq!(
        err.to_string(),
        "team.yaml: gates.coverage.min_line_rate = 70 is outside the platform's allowed range 80–100"
    );
    let team = TeamConfig::from_yaml(
        "team.yaml",
        b"version: 1\ngates:\n  secrets:\n    block_at: high\n",
    )
    .unwrap();
    let err = p.with_team("team.yaml", &team).unwrap_err();
    assert_eq!(
        err.to_string(),
        "team.yaml: gates.secrets.block_at = high is outside the platform's allowed range info"
    );
    let team = TeamConfig::from_yaml(
        "team.yaml",
        b"version: 1\ngates:\n  tests:\n    min_line_rate: 90\n",
    )
    .unwrap();
    let err = p.with_team("team.yaml", &team).unwrap_err();
    assert_eq!(
        err.to_string(),
        "team.yaml: gates.tests.min_line_rate: gate tests has no such setting"
    );
    let team =
        TeamConfig::from_yaml("team.yaml", b"version: 1\nrules:\n  - {id: sast, rego: x.rego}\n").unwrap();
    assert!(p.with_team("team.yaml", &team).is_err());
}
