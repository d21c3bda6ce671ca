//! `provenant build`, `provenant provenance generate` and `provenant verify-provenance` end to end, on a
//! fixture project in a real git repository.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A small C project, committed on `main`, whose `build.sh` writes `out/hello`.
pub(crate) fn fixture_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/main.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        root.join("build.sh"),
        "#!/bin/sh\nset -eu\nmkdir -p out\ncc -O2 -o out/hello src/main.c\necho built\n",
    )
    .unwrap();
    std::fs::write(root.join(".gitignore"), "out/\n*.json\n").unwrap();
    std::fs::set_permissions(root.join("build.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(root, &["init", "-q", "-b", "main", "."]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "fixture"]);
    dir
}

pub(crate) fn provenant(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provenant"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    for k in ["GITHUB_ACTIONS", "GITLAB_CI"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn validate(statement: &Path) {
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let script: PathBuf = provenant_testkit::repo_root().join("tests/harness/validate_statement.py");
    let out = Command::new(python).arg(script).arg(statement).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn build_records_valid_provenance() {
    let project = fixture_project();
    let dir = project.path();
    let out = provenant(
        dir,
        &[
            "build",
            "--subject",
            "out/hello",
            "--source",
            "github.com/org/hello",
            "--statement",
            "st.json",
            "--output",
            "json",
            "--",
            "./build.sh",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The build's own output passes through.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("built\n"));
    let st = json(&dir.join("st.json"));
    assert_eq!(st["subject"][0]["name"], "out/hello");
    let digest =
        provenant_digest::Algorithm::Sha256.hash_bytes(&std::fs::read(dir.join("out/hello")).unwrap());
    assert_eq!(st["subject"][0]["digest"]["sha256"], digest.hex());
    validate(&dir.join("st.json"));
}

#[test]
fn failed_build_passes_its_exit_code_and_writes_nothing() {
    let project = fixture_project();
    let dir = project.path();
    let out = provenant(
        dir,
        &[
            "build",
            "--subject",
            "out/*",
            "--source",
            "github.com/org/hello",
            "--statement",
            "st.json",
            "--",
            "sh",
            "-c",
            "echo failing; exit 7",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no provenance written"));
    assert!(!dir.join("st.json").exists());
}

#[test]
fn dirty_tree_is_refused_before_the_build_runs() {
    let project = fixture_project();
    let dir = project.path();
    std::fs::write(dir.join("src/main.c"), "int main(void) { return 1; }\n").unwrap();
    let out = provenant(
        dir,
        &[
            "build",
            "--subject",
            "out/*",
            "--source",
            "github.com/org/hello",
            "--statement",
            "st.json",
            "--",
            "./build.sh",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-dirty"));
    assert!(!dir.join("out").exists(), "the build ran on a dirty tree");
}

#[test]
fn generate_in_github_actions() {
    let project = fixture_project();
    let dir = project.path();
    assert!(
        Command::new("sh")
            .arg("build.sh")
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    );
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "org/hello"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_RUN_ID", "1234"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        (
            "GITHUB_WORKFLOW_REF",
            "org/hello/.github/workflows/release.yml@refs/heads/main",
        ),
    ];
    let out = provenant(
        dir,
        &[
            "provenance",
            "generate",
            "--subject",
            "out/hello",
            "--statement",
            "st.json",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = json(&dir.join("st.json"));
    let p = &st["predicate"];
    assert_eq!(
        p["runDetails"]["builder"]["id"],
        "https://github.com/org/hello/.github/workflows/release.yml@refs/heads/main"
    );
    assert_eq!(
        p["runDetails"]["metadata"]["invocationId"],
        "https://github.com/org/hello/actions/runs/1234/attempts/1"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["source"]["uri"],
        "git+https://github.com/org/hello@refs/heads/main"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["entryPoint"],
        ".github/workflows/release.yml"
    );
    assert_eq!(p["buildDefinition"]["internalParameters"]["ci"], "github-actions");
    validate(&dir.join("st.json"));
}

#[test]
fn generate_in_gitlab_ci() {
    let project = fixture_project();
    let dir = project.path();
    assert!(
        Command::new("sh")
            .arg("build.sh")
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    );
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_SERVER_URL", "https://gitlab.com"),
        ("CI_PROJECT_URL", "https://gitlab.com/group/hello"),
        ("CI_COMMIT_TAG", "v1.0.0"),
        ("CI_JOB_ID", "99"),
        ("CI_RUNNER_ID", "5"),
    ];
    let out = provenant(
        dir,
        &[
            "provenance",
            "generate",
            "--subject",
            "out/hello",
            "--statement",
            "st.json",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = json(&dir.join("st.json"));
    let p = &st["predicate"];
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["source"]["uri"],
        "git+https://gitlab.com/group/hello@refs/tags/v1.0.0"
    );
    assert_eq!(
        p["runDetails"]["metadata"]["invocationId"],
        "https://gitlab.com/group/hello/-/jobs/99"
    );
    assert_eq!(p["runDetails"]["builder"]["id"], "https://gitlab.com/-/runners/5");
    validate(&dir.join("st.json"));
}
