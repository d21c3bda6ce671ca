//! `provenant init`: writes the pipeline and its policy files byte-identically, refuses to overwrite
//! without --force, lists parameters with their ranges, refuses values outside them, and `--check`
//! reports drift as a unified diff (exit 1).

use std::fs;
use std::path::Path;

use crate::support::{provenant_in, stderr, stdout, succeeded};

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn init_writes_the_pipeline_and_policy_files_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--workload",
        "container",
        "--ci",
        "github",
        "-o",
        "a",
        "--set",
        "name=shop",
    ];
    let out = succeeded(&provenant_in(dir.path(), &args), &args);
    assert!(
        out.contains("wrote a/.github/workflows/provenant-container.yml\n"),
        "{out}"
    );
    let args_b = [
        "init",
        "--workload",
        "container",
        "--ci",
        "github",
        "-o",
        "b",
        "--set",
        "name=shop",
    ];
    succeeded(&provenant_in(dir.path(), &args_b), &args_b);
    let a = tree(&dir.path().join("a"));
    assert_eq!(a, tree(&dir.path().join("b")));
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            ".github/workflows/provenant-container.yml",
            "provenant/environments.yaml",
            "provenant/gate-policy.yaml",
            "provenant/roles.yaml"
        ]
    );
    for (name, bytes) in &a {
        assert!(
            bytes.starts_with(b"# provenant-template: container-github@1.0.0\n"),
            "{name}"
        );
    }
    // The gate policy is the platform default `gate policy init` writes, stamped.
    let policy = succeeded(&provenant_in(dir.path(), &["gate", "policy", "init"]), &["gate"]);
    let written = String::from_utf8(a[2].1.clone()).unwrap();
    assert_eq!(written.split_once('\n').unwrap().1, policy);
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["init", "--workload", "data", "--ci", "gitlab"];
    succeeded(&provenant_in(dir.path(), &args), &args);
    fs::write(dir.path().join(".gitlab-ci.yml"), "edited\n").unwrap();
    let o = provenant_in(dir.path(), &args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(".gitlab-ci.yml"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"));
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitlab-ci.yml")).unwrap(),
        "edited\n"
    );
    let forced = ["init", "--workload", "data", "--ci", "gitlab", "--force"];
    succeeded(&provenant_in(dir.path(), &forced), &forced);
    assert!(
        fs::read_to_string(dir.path().join(".gitlab-ci.yml"))
            .unwrap()
            .starts_with("# provenant-template: data-gitlab@")
    );
}

#[test]
fn init_lists_parameters_and_refuses_values_outside_their_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--list-parameters",
        "--workload",
        "infra",
        "--output",
        "json",
    ];
    let out = succeeded(&provenant_in(dir.path(), &args), &args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tool = v["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "iac_tool")
        .unwrap();
    assert_eq!(tool["allowed"], "one of tofu, terraform");
    assert_eq!(tool["default"], "tofu");
    for (set, message) in [
        (
            "timeout_minutes=500",
            "parameter `timeout_minutes`: `500` is outside its allowed range (an integer from 5 to 120)",
        ),
        (
            "iac_tool=pulumi",
            "`pulumi` is outside its allowed range (one of tofu, terraform)",
        ),
        ("gate_policy=lenient.yaml", "has no parameter `gate_policy`"),
        ("build_command=make && curl x", "is outside its allowed range"),
    ] {
        let o = provenant_in(
            dir.path(),
            &["init", "--workload", "infra", "--ci", "github", "--set", set],
        );
        assert_eq!(o.status.code(), Some(2), "{set}");
        assert!(stderr(&o).contains(message), "{set}: {}", stderr(&o));
        assert!(
            !dir.path().join(".github").exists(),
            "{set}: something was written"
        );
    }
}

#[test]
fn init_check_reports_drift_as_a_unified_diff() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--workload",
        "serverless",
        "--ci",
        "github",
        "--set",
        "strategy=rolling",
    ];
    succeeded(&provenant_in(dir.path(), &args), &args);
    let check = ["init", "--check"];
    let out = succeeded(&provenant_in(dir.path(), &check), &check);
    assert_eq!(
        out,
        ".github/workflows/provenant-serverless.yml: 4 files match the serverless-github@1.0.0 template\n"
    );

    // A team skips verify-deploy and drops the prod approval count.
    let wf = dir.path().join(".github/workflows/provenant-serverless.yml");
    let text = fs::read_to_string(&wf).unwrap();
    fs::write(
        &wf,
        text.replace("          provenant verify-deploy \"$ref\" --env prod\n", ""),
    )
    .unwrap();
    fs::remove_file(dir.path().join("provenant/roles.yaml")).unwrap();
    let o = provenant_in(dir.path(), &check);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(".github/workflows/provenant-serverless.yml: drifted from the serverless-github template\n--- a/.github/workflows/provenant-serverless.yml\n+++ b/.github/workflows/provenant-serverless.yml\n@@ -"), "{out}");
    assert!(
        out.contains("\n-          provenant verify-deploy \"$ref\" --env prod\n"),
        "{out}"
    );
    assert!(
        out.contains("provenant/roles.yaml: missing (the serverless-github template writes it)\n"),
        "{out}"
    );

    let o = provenant_in(dir.path(), &["init", "--check", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["drift"], true);
    let drifted = v["pipelines"][0]["drifted"].as_array().unwrap();
    assert_eq!(drifted[0]["path"], ".github/workflows/provenant-serverless.yml");
    assert_eq!(drifted[0]["kind"], "changed");
    assert_eq!(drifted[1]["kind"], "missing");
}

#[test]
fn init_check_without_a_pipeline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = provenant_in(dir.path(), &["init", "--check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no pipeline written by provenant init"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_generated_github_workflow_passes_the_pinning_scan() {
    // The build stage stops at any floating input, so the pipeline itself must pin every action to a
    // commit SHA.
    for workload in ["container", "serverless", "mobile", "infra", "data"] {
        let dir = tempfile::tempdir().unwrap();
        let args = ["init", "--workload", workload, "--ci", "github"];
        succeeded(&provenant_in(dir.path(), &args), &args);
        let scan = ["scan", "pinning", "."];
        let o = provenant_in(dir.path(), &scan);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{workload}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        // And the scan does look at workflows: an action by tag is a finding.
        let wf = dir
            .path()
            .join(format!(".github/workflows/provenant-{workload}.yml"));
        let text = fs::read_to_string(&wf).unwrap();
        fs::write(
            &wf,
            text.replace(
                "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
                "actions/checkout@v4",
            ),
        )
        .unwrap();
        let o = provenant_in(dir.path(), &scan);
        assert_eq!(o.status.code(), Some(1), "{workload}: {}", stdout(&o));
    }
}
