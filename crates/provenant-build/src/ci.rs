//! CI environment detection: GitHub Actions, GitLab CI, or a generic build described by flags.

use std::collections::BTreeMap;

/// Which CI system a build runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CiKind {
    /// GitHub Actions (`GITHUB_ACTIONS=true`).
    GithubActions,
    /// GitLab CI (`GITLAB_CI=true`).
    GitlabCi,
    /// Anything else: a developer's machine or an unrecognised CI; facts come from flags and git.
    Generic,
}

impl CiKind {
    /// The name recorded in provenance.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CiKind::GithubActions => "github-actions",
            CiKind::GitlabCi => "gitlab-ci",
            CiKind::Generic => "generic",
        }
    }
}

/// What the CI environment says about a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiContext {
    /// The CI system.
    pub kind: CiKind,
    /// The builder id the CI system implies (GitHub: the workflow file at its ref).
    pub builder_id: Option<String>,
    /// The source repository as an `https://` URL.
    pub repository: Option<String>,
    /// The full git ref built (`refs/heads/main`, `refs/tags/v1.0.0`).
    pub git_ref: Option<String>,
    /// The commit built, as the CI system names it.
    pub commit: Option<String>,
    /// Identifies this run (a URL to the run or job).
    pub invocation_id: Option<String>,
    /// The CI configuration file that ran the build (workflow path, `.gitlab-ci.yml`).
    pub entry_point: Option<String>,
    /// Further facts recorded as internal parameters, by variable name.
    pub facts: BTreeMap<String, String>,
}

/// GitHub Actions variables recorded verbatim (none of them is secret).
const GITHUB_FACTS: &[&str] = &[
    "GITHUB_EVENT_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER_ID",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_NUMBER",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_WORKFLOW_SHA",
    "GITHUB_BASE_REF",
    "RUNNER_ENVIRONMENT",
    "RUNNER_OS",
    "RUNNER_ARCH",
];

/// GitLab CI variables recorded verbatim (none of them is secret).
const GITLAB_FACTS: &[&str] = &[
    "CI_PIPELINE_ID",
    "CI_PIPELINE_SOURCE",
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_PROJECT_ID",
    "CI_CONFIG_PATH",
    "CI_RUNNER_ID",
    "CI_RUNNER_EXECUTABLE_ARCH",
    "CI_SERVER_VERSION",
    "CI_COMMIT_REF_PROTECTED",
];

fn get<'a>(env: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    env.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

fn facts(env: &BTreeMap<String, String>, keys: &[&str]) -> BTreeMap<String, String> {
    keys.iter()
        .filter_map(|k| get(env, k).map(|v| ((*k).to_owned(), v.to_owned())))
        .collect()
}

/// Detects the CI system from environment variables and reads what it says about the build.
#[must_use]
pub fn detect(env: &BTreeMap<String, String>) -> CiContext {
    if get(env, "GITHUB_ACTIONS") == Some("true") {
        github(env)
    } else if get(env, "GITLAB_CI") == Some("true") {
        gitlab(env)
    } else {
        CiContext {
            kind: CiKind::Generic,
            builder_id: None,
            repository: None,
            git_ref: None,
            commit: None,
            invocation_id: None,
            entry_point: None,
            facts: BTreeMap::new(),
        }
    }
}

fn github(env: &BTreeMap<String, String>) -> CiContext {
    let server = get(env, "GITHUB_SERVER_URL")
        .unwrap_or("https://github.com")
        .trim_end_matches('/');
    let repository = get(env, "GITHUB_REPOSITORY").map(|r| format!("{server}/{r}"));
    let invocation_id = match (&repository, get(env, "GITHUB_RUN_ID")) {
        (Some(repo), Some(run)) => Some(format!(
            "{repo}/actions/runs/{run}/attempts/{}",
            get(env, "GITHUB_RUN_ATTEMPT").unwrap_or("1")
        )),
        _ => None,
    };
    // GITHUB_WORKFLOW_REF is `owner/repo/.github/workflows/file.yml@refs/heads/main`.
    let workflow_ref = get(env, "GITHUB_WORKFLOW_REF");
    CiContext {
        kind: CiKind::GithubActions,
        builder_id: workflow_ref.map(|w| format!("{server}/{w}")),
        repository,
        git_ref: get(env, "GITHUB_REF").map(str::to_owned),
        commit: get(env, "GITHUB_SHA").map(str::to_owned),
        invocation_id,
        entry_point: workflow_ref.and_then(|w| {
            let path = w.split_once('@').map_or(w, |(p, _)| p);
            path.splitn(3, '/').nth(2).map(str::to_owned)
        }),
        facts: facts(env, GITHUB_FACTS),
    }
}

fn gitlab(env: &BTreeMap<String, String>) -> CiContext {
    let git_ref = get(env, "CI_COMMIT_TAG")
        .map(|t| format!("refs/tags/{t}"))
        .or_else(|| {
            get(env, "CI_COMMIT_BRANCH")
                .or_else(|| get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"))
                .map(|b| format!("refs/heads/{b}"))
        });
    let server = get(env, "CI_SERVER_URL").map(|s| s.trim_end_matches('/').to_owned());
    let builder_id = match (&server, get(env, "CI_RUNNER_ID")) {
        (Some(s), Some(id)) => Some(format!("{s}/-/runners/{id}")),
        (Some(s), None) => Some(format!("{s}/-/runners")),
        _ => None,
    };
    let invocation_id = get(env, "CI_JOB_URL").map(str::to_owned).or_else(|| {
        match (get(env, "CI_PROJECT_URL"), get(env, "CI_JOB_ID")) {
            (Some(p), Some(j)) => Some(format!("{p}/-/jobs/{j}")),
            _ => None,
        }
    });
    CiContext {
        kind: CiKind::GitlabCi,
        builder_id,
        repository: get(env, "CI_PROJECT_URL").map(str::to_owned),
        git_ref,
        commit: get(env, "CI_COMMIT_SHA").map(str::to_owned),
        invocation_id,
        entry_point: Some(get(env, "CI_CONFIG_PATH").unwrap_or(".gitlab-ci.yml").to_owned()),
        facts: facts(env, GITLAB_FACTS),
    }
}
