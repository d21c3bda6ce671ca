//! Environments and approvals: `env init` (the platform default, refused templates, errors with line and
//! column), and the governed promotion path through the environments.

use std::fs;
use std::path::Path;

use crate::support::{provenant, run, stderr, stdout};

fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000") // 2026-05-28
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .env_remove("PROVENANT_LEDGER")
        .args(args))
}

#[test]
fn env_init_writes_the_platform_default_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "registry.example.com/{env}/app",
            "--roles",
            "policy/roles.yaml",
            "-o",
            "environments.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "wrote environments.yaml: dev -> test -> uat -> prod\n"
    );
    let text = fs::read_to_string(dir.path().join("environments.yaml")).unwrap();
    for line in [
        "roles: policy/roles.yaml",
        "repository: registry.example.com/dev/app",
        "repository: registry.example.com/prod/app",
        "trigger: on-commit",
        "trigger: on-merge",
        "trigger: on-release-candidate",
        "trigger: on-approval",
        "roles: [release-manager]",
        "separation_of_duties: true",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // The same as standard output, byte for byte, and refused over an existing file without --force.
    let again = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "registry.example.com/{env}/app",
            "--roles",
            "policy/roles.yaml",
        ],
    );
    assert_eq!(stdout(&again), text);
    let exists = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "r/{env}/app",
            "-o",
            "environments.yaml",
        ],
    );
    assert_eq!(exists.status.code(), Some(2));
    assert!(stderr(&exists).contains("--force"), "{}", stderr(&exists));
    // JSON names the environments in order.
    let json = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "r/{env}/app",
            "-o",
            "environments.yaml",
            "--force",
            "--output",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        v["environments"],
        serde_json::json!(["dev", "test", "uat", "prod"])
    );
}

#[test]
fn env_init_refuses_a_template_without_env() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(
        dir.path(),
        &["env", "init", "--repository-template", "registry.example.com/app"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no {env}"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}
