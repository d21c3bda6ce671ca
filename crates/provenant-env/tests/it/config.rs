use provenant_env::config::{ChangeWindow, ConfigError, EnvironmentsFile, Trigger};
use provenant_env::init::{InitError, default_yaml};

const TEMPLATE: &str = "registry.example.com/{env}/app";

fn default_file() -> EnvironmentsFile {
    let yaml = default_yaml(TEMPLATE, "roles.yaml").unwrap();
    EnvironmentsFile::from_yaml("environments.yaml", yaml.as_bytes()).unwrap()
}

fn schema_errors(yaml: &str) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(provenant_testkit::repo_root().join("schemas/environments-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value: serde_json::Value = yaml_value(yaml);
    validator.iter_errors(&value).map(|e| e.to_string()).collect()
}

fn yaml_value(yaml: &str) -> serde_json::Value {
    // The file as JSON, to validate it against the schema.
    let parsed = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    serde_json::to_value(parsed).unwrap()
}

#[test]
fn the_default_has_dev_test_uat_prod_in_order_with_the_issues_requirements() {
    let file = default_file();
    assert_eq!(file.names(), ["dev", "test", "uat", "prod"]);
    assert_eq!(file.roles, "roles.yaml");
    let repos: Vec<&str> = file.environments.iter().map(|e| e.repository.as_str()).collect();
    assert_eq!(
        repos,
        [
            "registry.example.com/dev/app",
            "registry.example.com/test/app",
            "registry.example.com/uat/app",
            "registry.example.com/prod/app"
        ]
    );
    let triggers: Vec<Trigger> = file.environments.iter().map(|e| e.trigger).collect();
    assert_eq!(
        triggers,
        [
            Trigger::OnCommit,
            Trigger::OnMerge,
            Trigger::OnReleaseCandidate,
            Trigger::OnApproval
        ]
    );
    let dev = &file.environments[0];
    assert_eq!(dev.requires.provenance.as_ref().unwrap().role.as_str(), "ci");
    assert!(dev.requires.gate_decision.is_none());
    for env in &file.environments[1..] {
        assert_eq!(
            env.requires.gate_decision.as_ref().unwrap().role.as_str(),
            "ci",
            "{}",
            env.name
        );
        assert!(env.requires.provenance.is_none());
    }
    for env in &file.environments[..3] {
        assert!(env.requires.approvals.is_none(), "{}", env.name);
    }
    let prod = file.environments[3].requires.approvals.as_ref().unwrap();
    assert_eq!(prod.roles[0].as_str(), "release-manager");
    assert_eq!(prod.roles.len(), 1);
    assert_eq!(prod.count, 1);
    assert!(prod.separation_of_duties);
    assert!(file.environments.iter().all(|e| {
        e.promote_roles
            .iter()
            .map(provenant_env::config::Name::as_str)
            .eq(["ci"])
    }));
}

#[test]
fn the_default_matches_its_schema_and_is_deterministic() {
    let yaml = default_yaml(TEMPLATE, "roles.yaml").unwrap();
    assert_eq!(yaml, default_yaml(TEMPLATE, "roles.yaml").unwrap());
    assert!(schema_errors(&yaml).is_empty(), "{:?}", schema_errors(&yaml));
    let roles = default_yaml(TEMPLATE, "policy/roles.yaml").unwrap();
    let file = EnvironmentsFile::from_yaml("f", roles.as_bytes()).unwrap();
    assert_eq!(file.roles, "policy/roles.yaml");
}

#[test]
fn every_option_parses_and_matches_the_schema() {
    let yaml = r#"version: 1
roles: roles.yaml
environments:
  - name: dev
    repository: oci:layouts/dev
    promote_roles: [ci]
    trigger: on-commit
    requires:
      provenance: {role: ci}
    config: config/dev
  - name: prod
    repository: localhost:5000/prod/app
    promote_roles: [ci, deployer]
    trigger: on-approval
    requires:
      gate_decision: {role: ci, max_age: 7d}
      approvals:
        roles: [release-manager, security]
        count: 2
        separation_of_duties: true
      change_windows:
        - days: [mon, tue]
          start: "09:00"
          end: "17:00"
        - from: 2026-12-01T09:00:00Z
          until: 2026-12-01T12:00:00Z
      rollback_tested: true
    config: config/prod.yaml
"#;
    let file = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let prod = &file.environments[1];
    assert_eq!(
        prod.requires
            .gate_decision
            .as_ref()
            .unwrap()
            .max_age
            .unwrap()
            .as_secs(),
        604_800
    );
    assert_eq!(prod.requires.approvals.as_ref().unwrap().count, 2);
    assert_eq!(prod.requires.change_windows.len(), 2);
    assert!(prod.requires.rollback_tested);
    assert_eq!(prod.config.as_deref(), Some("config/prod.yaml"));
    assert!(schema_errors(yaml).is_empty(), "{:?}", schema_errors(yaml));
}

fn error(yaml: &str) -> ConfigError {
    EnvironmentsFile::from_yaml("environments.yaml", yaml.as_bytes()).unwrap_err()
}

fn two(first_requires: &str, second_requires: &str) -> String {
    format!(
        "version: 1
roles: roles.yaml
environments:
  - name: dev
    repository: r/dev
    promote_roles: [ci]
    trigger: on-commit
    requires:
{first_requires}
  - name: prod
    repository: r/prod
    promote_roles: [ci]
    trigger: on-approval
    requires:
{second_requires}
"
    )
}

const DEV: &str = "      provenance: {role: ci}";
const GATE: &str = "      gate_decision: {role: ci}";

#[test]
fn unknown_fields_and_bad_values_are_refused_with_line_and_column() {
    let cases = [
        (
            two(DEV, "      gate_decision: {role: ci}\n      bypass: true"),
            16,
            "bypass",
        ),
        (
            two(DEV, "      gate_decision: {role: ci, max_age: soon}"),
            15,
            "not a duration",
        ),
        (
            two(DEV, "      gate_decision: {role: CI}"),
            15,
            "not a valid name",
        ),
        (
            two(
                DEV,
                &format!("{GATE}\n      change_windows: [{{days: [mon], start: '25:00', end: '26:00'}}]"),
            ),
            16,
            "time of day",
        ),
        (
            two(
                DEV,
                &format!("{GATE}\n      change_windows: [{{from: yesterday, until: tomorrow}}]"),
            ),
            16,
            "RFC 3339",
        ),
        (
            two(DEV, GATE).replace("on-approval", "on-friday"),
            13,
            "unknown variant",
        ),
    ];
    for (yaml, line, words) in cases {
        match error(&yaml) {
            ConfigError::Syntax {
                line: l,
                column,
                reason,
                ..
            } => {
                assert_eq!(l, line, "{reason}\n{yaml}");
                assert!(column > 0, "{reason}");
                assert!(reason.contains(words), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    let message = error(&two(DEV, "      gate_decision: {role: ci}\n      bypass: true")).to_string();
    assert!(
        message.starts_with("environments.yaml: line 16, column 7: "),
        "{message}"
    );
}

#[test]
fn a_promotion_path_that_could_be_skipped_or_bypassed_is_refused_naming_the_environment() {
    let cases = [
        // The entry must be entered by provenance.
        (two("      {}", GATE), "environments[0].requires.provenance", 4),
        // A later environment without a gate decision.
        (two(DEV, "      {}"), "environments[1].requires.gate_decision", 10),
        // A later environment entered by provenance (skipping the order).
        (
            two(DEV, &format!("{GATE}\n{DEV}")),
            "environments[1].requires.provenance",
            10,
        ),
        (
            two(DEV, &format!("{GATE}\n      approvals: {{roles: [], count: 1}}")),
            "environments[1].requires.approvals.roles",
            10,
        ),
        (
            two(
                DEV,
                &format!("{GATE}\n      approvals: {{roles: [rm], count: 0}}"),
            ),
            "environments[1].requires.approvals.count",
            10,
        ),
        (
            two(
                DEV,
                &format!("{GATE}\n      change_windows: [{{days: [mon], start: '09:00'}}]"),
            ),
            "environments[1].requires.change_windows[0]",
            10,
        ),
        (
            two(
                DEV,
                &format!(
                    "{GATE}\n      change_windows: [{{days: [mon], start: '09:00', end: '10:00', from: 2026-01-01T00:00:00Z, until: 2026-01-02T00:00:00Z}}]"
                ),
            ),
            "environments[1].requires.change_windows[0]",
            10,
        ),
        (
            two(
                DEV,
                &format!(
                    "{GATE}\n      change_windows: [{{from: 2026-01-02T00:00:00Z, until: 2026-01-01T00:00:00Z}}]"
                ),
            ),
            "environments[1].requires.change_windows[0]",
            10,
        ),
        (
            two(DEV, GATE).replace("r/prod", "r/dev"),
            "environments[1].repository",
            10,
        ),
        (
            two(DEV, GATE).replace("r/prod", "r/prod:latest"),
            "environments[1].repository",
            10,
        ),
        (
            two(DEV, GATE).replace("r/prod", "r/prod@sha256:00"),
            "environments[1].repository",
            10,
        ),
        (
            two(DEV, GATE).replace("name: prod", "name: dev"),
            "environments[1].name",
            10,
        ),
        (
            two(DEV, GATE).replace(
                "promote_roles: [ci]\n    trigger: on-approval",
                "promote_roles: []\n    trigger: on-approval",
            ),
            "environments[1].promote_roles",
            10,
        ),
    ];
    for (yaml, key, line) in cases {
        match error(&yaml) {
            ConfigError::Invalid {
                key: k,
                line: l,
                column,
                reason,
                ..
            } => {
                assert_eq!(k, key, "{reason}\n{yaml}");
                assert_eq!(l, line, "{key}: {reason}");
                assert_eq!(column, 5, "{key}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    let message = error(&two(DEV, "      {}")).to_string();
    assert!(message.contains("line 10, column 5"), "{message}");
    assert!(
        message.contains("'prod'") && message.contains("gate decision"),
        "{message}"
    );
    assert!(
        matches!(error("version: 2\nroles: r\nenvironments: []\n"), ConfigError::Invalid { key, .. } if key == "version")
    );
    assert!(
        matches!(error("version: 1\nroles: r\nenvironments: []\n"), ConfigError::Invalid { key, .. } if key == "environments")
    );
    assert!(
        matches!(error("version: 1\nenvironments: []\n"), ConfigError::Syntax { reason, .. } if reason.contains("roles"))
    );
}

#[test]
fn hostile_input_is_refused_without_panic() {
    for bytes in [
        &b"\xff\xfe"[..],
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"a: &a [*a, *a]\nb: *a\n",
        b"version: 1\nroles: r\nenvironments: {}\n",
        b"",
    ] {
        assert!(EnvironmentsFile::from_yaml("f", bytes).is_err());
    }
    let big = vec![b' '; (1 << 20) + 1];
    assert!(matches!(
        EnvironmentsFile::from_yaml("f", &big),
        Err(ConfigError::Syntax { reason, .. }) if reason.contains("bytes")
    ));
}

#[test]
fn init_refuses_a_template_without_env_or_with_a_tag() {
    assert!(matches!(
        default_yaml("registry.example.com/app", "roles.yaml"),
        Err(InitError::NoPlaceholder { .. })
    ));
    assert!(matches!(
        default_yaml("r/{env}/app@sha256:00", "roles.yaml"),
        Err(InitError::Unusable { .. })
    ));
    assert!(matches!(
        default_yaml("r/{env}/app", "my roles.yaml"),
        Err(InitError::Unusable { .. })
    ));
    let bad = default_yaml("r/{env}/app:v1", "roles.yaml").unwrap();
    assert!(EnvironmentsFile::from_yaml("f", bad.as_bytes()).is_err());
}

fn window(yaml: &str) -> ChangeWindow {
    yaml_serde::from_str(yaml).unwrap()
}

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

#[test]
fn change_windows_contain_their_instants_only() {
    // 2026-12-07 is a Monday.
    let weekly = window("{days: [mon], start: '09:00', end: '17:00'}");
    assert!(weekly.contains(at("2026-12-07T09:00:00Z")));
    assert!(weekly.contains(at("2026-12-07T16:59:59Z")));
    assert!(!weekly.contains(at("2026-12-07T17:00:00Z")));
    assert!(!weekly.contains(at("2026-12-07T08:59:59Z")));
    assert!(!weekly.contains(at("2026-12-08T10:00:00Z")));
    let overnight = window("{days: [fri], start: '22:00', end: '02:00'}");
    assert!(overnight.contains(at("2026-12-11T23:00:00Z")));
    assert!(overnight.contains(at("2026-12-12T01:00:00Z")));
    assert!(!overnight.contains(at("2026-12-12T03:00:00Z")));
    assert!(!overnight.contains(at("2026-12-11T01:00:00Z")));
    let fixed = window("{from: 2026-12-01T09:00:00Z, until: 2026-12-01T12:00:00Z}");
    assert!(fixed.contains(at("2026-12-01T09:00:00Z")));
    assert!(!fixed.contains(at("2026-12-01T12:00:00Z")));
    assert_eq!(fixed.describe(), "2026-12-01T09:00:00Z..2026-12-01T12:00:00Z");
    assert_eq!(weekly.describe(), "mon 09:00-17:00 UTC");
}

#[test]
fn the_configuration_digest_is_the_file_or_tree_digest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("conf/app.yaml"), b"replicas: 3\n").unwrap();
    std::fs::write(dir.path().join("prod.yaml"), b"replicas: 3\n").unwrap();
    let yaml = "version: 1\nroles: r\nenvironments:\n  - {name: dev, repository: r/dev, promote_roles: [ci], trigger: on-commit, requires: {provenance: {role: ci}}, config: conf}\n  - {name: prod, repository: r/prod, promote_roles: [ci], trigger: on-merge, requires: {gate_decision: {role: ci}}, config: prod.yaml}\n";
    let file = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let dev = provenant_env::config_digest::config_digest(dir.path(), &file.environments[0])
        .unwrap()
        .unwrap();
    let prod = provenant_env::config_digest::config_digest(dir.path(), &file.environments[1])
        .unwrap()
        .unwrap();
    // The file's digest is sha256sum's.
    assert_eq!(
        prod.to_string(),
        format!("sha256:{}", sha256sum(&dir.path().join("prod.yaml")))
    );
    assert_ne!(dev, prod);
    std::fs::write(dir.path().join("conf/app.yaml"), b"replicas: 4\n").unwrap();
    let changed = provenant_env::config_digest::config_digest(dir.path(), &file.environments[0])
        .unwrap()
        .unwrap();
    assert_ne!(dev, changed);
    std::fs::remove_file(dir.path().join("prod.yaml")).unwrap();
    assert!(provenant_env::config_digest::config_digest(dir.path(), &file.environments[1]).is_err());
}

fn sha256sum(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}
