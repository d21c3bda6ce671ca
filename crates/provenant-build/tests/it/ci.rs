//! CI detection from environment variables, and remote URL normalisation.

use std::collections::BTreeMap;

use provenant_build::ci::{CiKind, detect};
use provenant_build::git::normalise_remote;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn github_actions() {
    let ctx = detect(&env(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "org/repo"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_REF", "refs/tags/v1.2.3"),
        ("GITHUB_REF_TYPE", "tag"),
        ("GITHUB_RUN_ID", "42"),
        ("GITHUB_RUN_ATTEMPT", "2"),
        ("GITHUB_EVENT_NAME", "push"),
        (
            "GITHUB_WORKFLOW_REF",
            "org/repo/.github/workflows/release.yml@refs/tags/v1.2.3",
        ),
        ("GITHUB_TOKEN", "ghs_secret"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "secret"),
    ]));
    assert_eq!(ctx.kind, CiKind::GithubActions);
    assert_eq!(
        ctx.builder_id.as_deref(),
        Some("https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3")
    );
    assert_eq!(ctx.repository.as_deref(), Some("https://github.com/org/repo"));
    assert_eq!(ctx.git_ref.as_deref(), Some("refs/tags/v1.2.3"));
    assert_eq!(
        ctx.invocation_id.as_deref(),
        Some("https://github.com/org/repo/actions/runs/42/attempts/2")
    );
    assert_eq!(ctx.entry_point.as_deref(), Some(".github/workflows/release.yml"));
    assert_eq!(
        ctx.facts.get("GITHUB_EVENT_NAME").map(String::as_str),
        Some("push")
    );
    // Secrets in the environment are never recorded.
    assert!(!format!("{ctx:?}").contains("secret"));
}

#[test]
fn github_enterprise_server() {
    let ctx = detect(&env(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
        ("GITHUB_REPOSITORY", "org/repo"),
        (
            "GITHUB_WORKFLOW_REF",
            "org/repo/.github/workflows/ci.yml@refs/heads/main",
        ),
    ]));
    assert_eq!(
        ctx.repository.as_deref(),
        Some("https://ghe.example.com/org/repo")
    );
    assert_eq!(
        ctx.builder_id.as_deref(),
        Some("https://ghe.example.com/org/repo/.github/workflows/ci.yml@refs/heads/main")
    );
}

#[test]
fn gitlab_ci() {
    let ctx = detect(&env(&[
        ("GITLAB_CI", "true"),
        ("CI_SERVER_URL", "https://gitlab.com"),
        ("CI_PROJECT_URL", "https://gitlab.com/group/sub/project"),
        ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_JOB_URL", "https://gitlab.com/group/sub/project/-/jobs/7"),
        ("CI_RUNNER_ID", "12"),
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_JOB_TOKEN", "secret"),
    ]));
    assert_eq!(ctx.kind, CiKind::GitlabCi);
    assert_eq!(
        ctx.repository.as_deref(),
        Some("https://gitlab.com/group/sub/project")
    );
    assert_eq!(ctx.git_ref.as_deref(), Some("refs/heads/main"));
    assert_eq!(ctx.builder_id.as_deref(), Some("https://gitlab.com/-/runners/12"));
    assert_eq!(
        ctx.invocation_id.as_deref(),
        Some("https://gitlab.com/group/sub/project/-/jobs/7")
    );
    assert_eq!(ctx.entry_point.as_deref(), Some(".gitlab-ci.yml"));
    assert!(!format!("{ctx:?}").contains("secret"));
    let tag = detect(&env(&[
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_TAG", "v2.0.0"),
        ("CI_COMMIT_BRANCH", ""),
    ]));
    assert_eq!(tag.git_ref.as_deref(), Some("refs/tags/v2.0.0"));
}

#[test]
fn generic_when_no_ci() {
    let ctx = detect(&env(&[("GITHUB_ACTIONS", "false"), ("CI", "true")]));
    assert_eq!(ctx.kind, CiKind::Generic);
    assert!(ctx.builder_id.is_none() && ctx.repository.is_none() && ctx.invocation_id.is_none());
}

#[test]
fn remotes_normalise_without_credentials() {
    let cases = [
        ("git@github.com:org/repo.git", Some("https://github.com/org/repo")),
        (
            "https://github.com/org/repo.git",
            Some("https://github.com/org/repo"),
        ),
        (
            "https://user:token@github.com/org/repo",
            Some("https://github.com/org/repo"),
        ),
        (
            "ssh://git@gitlab.com:2222/group/sub/repo.git",
            Some("https://gitlab.com/group/sub/repo"),
        ),
        (
            "https://gitlab.example.com:8443/g/r/",
            Some("https://gitlab.example.com:8443/g/r"),
        ),
        ("file:///srv/git/repo.git", None),
        ("/srv/git/repo.git", None),
        ("../repo", None),
    ];
    for (url, want) in cases {
        assert_eq!(normalise_remote(url).as_deref(), want, "{url}");
    }
}
