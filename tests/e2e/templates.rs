//! The container/GitHub template run locally, end to end: a harness reads the workflow `provenant init`
//! writes, and runs every job's `run:` steps in stage order (each job after the jobs it needs), as
//! GitHub's `shell: bash` runs them, on a fixture project: signed conventional commits, a Makefile
//! that builds a root filesystem, real tests (pytest with coverage), a real linter (shellcheck), semgrep
//! rules, real trivy, the registry an OCI layout directory (`REGISTRY=oci:DIR`), the ledger an `SQLite`
//! file, the keys in files, and a real Prometheus scraping the service's metrics.
//!
//! Trivy's vulnerability scans run offline against a database the harness builds
//! (`tests/harness/trivy-db`, a bbolt file in trivy-db's schema 2 layout) holding one critical fixture
//! advisory for a dependency of the project: the gate blocks the run that depends on the vulnerable
//! version, and passes the run after the dependency is upgraded.
//!
//! `uses:` steps (checkout, artifact transfer) cannot run here: the harness says, in the test's output,
//! which step it replaced and with what. Before running anything, it checks that every `provenant`
//! command and flag the steps call exists in the binary under test; a missing one fails the test, naming
//! it.

// The harness reports in the test's output which steps it replaced and with what, and how each ran.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use crate::support::{provenant, run, stderr, stdout};

const STAGES: [&str; 8] = [
    "source",
    "build",
    "quality-security",
    "package",
    "promote",
    "approve",
    "deploy",
    "observe",
];

/// The dependency the fixture advisory is about, its vulnerable version and the fixed one.
const FIXTURE_PACKAGE: &str = "fixturelib";
const VULNERABLE_VERSION: &str = "1.2.0";
const FIXED_VERSION: &str = "1.2.1";
/// The fixture advisory (a made-up id in the CVE form: no real vulnerability has it).
const FIXTURE_CVE: &str = "CVE-2026-40001";
/// The npm package the image carries (`app/node_modules`), its vulnerable and fixed versions, and its
/// fixture advisory: trivy finds it in the image, not in the repository.
const FIXTURE_NPM_PACKAGE: &str = "fixture-widget";
const NPM_VULNERABLE_VERSION: &str = "2.0.0";
const NPM_FIXED_VERSION: &str = "2.0.1";
const FIXTURE_NPM_CVE: &str = "CVE-2026-40002";

/// The Go module the project requires (`go.mod`, with its `go.sum`), its vulnerable and fixed versions,
/// and its fixture advisory: trivy finds it in the repository.
const FIXTURE_GO_MODULE: &str = "example.org/fixturemod";
const GO_VULNERABLE_VERSION: &str = "v1.0.0";
const GO_FIXED_VERSION: &str = "v1.0.1";
const FIXTURE_GO_CVE: &str = "CVE-2026-40003";

/// `go.mod` and `go.sum` requiring the fixture module at `version`.
fn go_files(version: &str) -> [(&'static str, String); 2] {
    let hash = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    [
        (
            "go.mod",
            format!("module example.org/shop\n\ngo 1.22\n\nrequire {FIXTURE_GO_MODULE} {version}\n"),
        ),
        (
            "go.sum",
            format!("{FIXTURE_GO_MODULE} {version} {hash}\n{FIXTURE_GO_MODULE} {version}/go.mod {hash}\n"),
        ),
    ]
}

/// The package.json of the npm package the image carries, at `version`.
fn npm_package_json(version: &str) -> String {
    format!("{{\"name\": \"{FIXTURE_NPM_PACKAGE}\", \"version\": \"{version}\"}}\n")
}

/// `provenant SUB [SUBSUB] --flags…` invocations in the scripts (continuation lines joined): the words
/// after the program (skipping the global `--output FORMAT` before them) that look like subcommands, and
/// every `--flag` of the command.
fn invocations(scripts: &[String]) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut out = Vec::new();
    for script in scripts {
        // The signing arguments a script collects in `key` (`--key FILE`, or `--record-key FILE` where
        // `--key` means the verification key).
        let key_flag = if script.contains("key=(--record-key") {
            "--record-key"
        } else {
            "--key"
        };
        let joined = script.replace("\\\n", " ");
        for line in joined.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            for (i, _) in words.iter().enumerate().filter(|(_, w)| **w == "provenant") {
                let mut rest = &words[i + 1..];
                if rest.first() == Some(&"--output") {
                    rest = &rest[rest.len().min(2)..];
                }
                let sub: Vec<String> = rest
                    .iter()
                    .take(2)
                    .take_while(|w| {
                        !w.is_empty()
                            && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                            && !w.starts_with('-')
                    })
                    .map(|w| (*w).to_owned())
                    .collect();
                let args: Vec<&str> = rest
                    .iter()
                    .take_while(|w| **w != "provenant" && **w != "|" && **w != ">")
                    .copied()
                    .collect();
                let mut flags: BTreeSet<String> = args
                    .iter()
                    .filter(|w| w.starts_with("--") && w.len() > 2)
                    .map(|w| w.split('=').next().unwrap().to_owned())
                    .collect();
                // The signing arguments (`--key FILE` when PROVENANT_KEY is set).
                if args
                    .iter()
                    .any(|w| w.contains("${key[@]}") || w.contains("${sign[@]}"))
                {
                    flags.insert(key_flag.to_owned());
                }
                if !sub.is_empty() {
                    out.push((sub, flags));
                }
            }
        }
    }
    out
}

/// The commands and flags the binary under test lacks, as `provenant SUB …` and `provenant SUB --flag`.
fn missing_commands(calls: &[(Vec<String>, BTreeSet<String>)]) -> BTreeSet<String> {
    let mut missing = BTreeSet::new();
    for (sub, flags) in calls {
        // The second word may be an argument rather than a subcommand: fall back to the first alone.
        let help = [sub.len(), 1].into_iter().find_map(|n| {
            let o = run(provenant().args(&sub[..n]).arg("--help"));
            o.status.success().then(|| (n, stdout(&o)))
        });
        match help {
            None => {
                missing.insert(format!("provenant {}", sub.join(" ")));
            }
            Some((n, help)) => {
                let name = format!("provenant {}", sub[..n].join(" "));
                for flag in flags {
                    let known = help
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '<' || c == '[')
                        .any(|w| w == flag);
                    if !known {
                        missing.insert(format!("{name} {flag}"));
                    }
                }
            }
        }
    }
    missing
}

fn sh(dir: &Path, program: &str, args: &[&str]) -> String {
    let o = run(Command::new(program).current_dir(dir).args(args));
    assert!(
        o.status.success(),
        "{program} {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// The fixture project: a Python module with its tests, a Makefile building a root filesystem, the
/// team's scripts, semgrep rules, CODEOWNERS and allowed signers, committed with an SSH signature and a
/// conventional message.
fn fixture(project: &Path, keys: &Path, dependency_version: &str) {
    let w = |p: &str, text: &str| {
        let path = project.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    };
    let x = |p: &str| {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(project.join(p), fs::Permissions::from_mode(0o755)).unwrap();
    };
    w("calc.py", "def add(a, b):\n    return a + b\n");
    w(
        "test_calc.py",
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    );
    w(
        "requirements.txt",
        &format!("pytest==9.2.0\n{FIXTURE_PACKAGE}=={dependency_version}\n"),
    );
    // The npm package the image carries, vulnerable when the Python dependency is.
    let npm_version = if dependency_version == VULNERABLE_VERSION {
        NPM_VULNERABLE_VERSION
    } else {
        NPM_FIXED_VERSION
    };
    w(
        &format!("web/{FIXTURE_NPM_PACKAGE}/package.json"),
        &npm_package_json(npm_version),
    );
    // The Go module the project requires, vulnerable when the Python dependency is.
    let go_version = if dependency_version == VULNERABLE_VERSION {
        GO_VULNERABLE_VERSION
    } else {
        GO_FIXED_VERSION
    };
    for (file, text) in go_files(go_version) {
        w(file, &text);
    }
    w(
        "Makefile",
        "rootfs:\n\tmkdir -p dist/rootfs/app/node_modules\n\tcp calc.py dist/rootfs/app/calc.py\n\
         \tcp -r web/fixture-widget dist/rootfs/app/node_modules/\n\n\
         bundle:\n\tmkdir -p dist\n\tpython3 ci/bundle.py dist/function.zip calc.py\n",
    );
    // The serverless template's function bundle: a zip with fixed entry times, so that the same sources
    // give the same bundle.
    w(
        "ci/bundle.py",
        "import sys\nimport zipfile\n\nwith zipfile.ZipFile(sys.argv[1], \"w\") as z:\n    for name in sys.argv[2:]:\n        with open(name, \"rb\") as f:\n            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), f.read())\n",
    );
    w(
        "ci/test.sh",
        "#!/bin/bash\nset -euo pipefail\nmkdir -p evidence/tests\ncoverage run -m pytest -q --junitxml=evidence/tests/junit.xml test_calc.py\ncoverage xml -o evidence/tests/coverage.xml\n",
    );
    w(
        "ci/lint.sh",
        "#!/bin/bash\nset -euo pipefail\nmkdir -p evidence/scans\nshellcheck -f checkstyle ci/*.sh > evidence/scans/lint.checkstyle.xml\n",
    );
    w(
        "ci/deploy.sh",
        "#!/bin/bash\nset -euo pipefail\nmkdir -p evidence/deploy\necho \"$1\" > evidence/deploy/deployed\n",
    );
    w(
        "ci/health.sh",
        "#!/bin/bash\nset -euo pipefail\ntest \"$(cat evidence/deploy/deployed)\" = \"$1\"\n",
    );
    w(
        "ci/smoke.sh",
        "#!/bin/bash\nset -euo pipefail\ndir=${1#oci:}\ngrep -q \"${1##*@}\" \"${dir%@*}/index.json\"\n",
    );
    for s in [
        "ci/test.sh",
        "ci/lint.sh",
        "ci/deploy.sh",
        "ci/health.sh",
        "ci/smoke.sh",
    ] {
        x(s);
    }
    w(
        ".semgrep.yml",
        "rules:\n  - id: no-eval\n    pattern: eval(...)\n    message: eval of dynamic input\n    languages: [python]\n    severity: ERROR\n",
    );
    w(".github/CODEOWNERS", "* @example-org/shop-team\n");
    w(
        ".gitignore",
        "evidence/\ndist/\n.coverage\n.pytest_cache/\n__pycache__/\n",
    );
    let public = fs::read_to_string(keys.join("signer.pub")).unwrap();
    w(
        "provenant/allowed_signers",
        &format!("dev@example.org namespaces=\"git\" {}", public.trim()),
    );
    let git = |args: &[&str]| {
        let mut all = vec![
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@example.org",
            "-c",
            "gpg.format=ssh",
        ];
        let key = keys.join("signer");
        let key = format!("user.signingkey={}", key.display());
        all.extend(["-c", key.as_str()]);
        all.extend(args);
        sh(project, "git", &all);
    };
    git(&["init", "-q", "-b", "main", "."]);
    git(&["remote", "add", "origin", "https://github.com/example-org/shop"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-S", "-m", "chore: start the shop service"]);
    git(&["tag", "v0.1.0"]);
    w(
        "calc.py",
        "def add(a, b):\n    \"\"\"Adds two numbers.\"\"\"\n    return a + b\n",
    );
    git(&["commit", "-q", "-S", "-am", "feat(calc): document add"]);
}

/// Builds trivy's database for the tests in `cache` (`db/trivy.db`, `db/metadata.json`): the fixture
/// advisories in trivy-db's GitHub Security Advisory pip, Go and npm buckets, the way trivy reads a
/// Python dependency's and a Go module's advisories (in the repository) and an installed npm package's
/// (in the image). The writer is `tests/harness/trivy-db` (Go, with Debian's go.etcd.io/bbolt source).
fn trivy_database(tmp: &Path) -> PathBuf {
    let go = provenant_testkit::require_on_path("go");
    let gopath = Path::new("/usr/share/gocode");
    assert!(
        gopath.join("src/go.etcd.io/bbolt/db.go").is_file(),
        "go.etcd.io/bbolt is not under {}: install it with `apt-get install golang-github-coreos-bbolt-dev` \
         (tests/harness/setup.sh does)",
        gopath.display()
    );
    let source = provenant_testkit::repo_root().join("tests/harness/trivy-db/main.go");
    let writer = tmp.join("trivy-db");
    let built = run(Command::new(go)
        .args(["build", "-o"])
        .arg(&writer)
        .arg(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOCACHE", tmp.join("gocache")));
    assert!(
        built.status.success(),
        "go build {}: {}",
        source.display(),
        stderr(&built)
    );
    let bucket = "pip::GitHub Security Advisory pip";
    let npm = "npm::GitHub Security Advisory npm";
    let go = "go::GitHub Security Advisory Go";
    let spec = serde_json::json!({
        "dataSources": {
            bucket: {
                "ID": "ghsa",
                "Name": "GitHub Security Advisory pip",
                "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip"
            },
            npm: {
                "ID": "ghsa",
                "Name": "GitHub Security Advisory npm",
                "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm"
            },
            go: {
                "ID": "ghsa",
                "Name": "GitHub Security Advisory Go",
                "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Ago"
            }
        },
        "advisories": {
            bucket: {FIXTURE_PACKAGE: {FIXTURE_CVE: {
                "PatchedVersions": [FIXED_VERSION],
                "VulnerableVersions": [format!("<{FIXED_VERSION}")]
            }}},
            npm: {FIXTURE_NPM_PACKAGE: {FIXTURE_NPM_CVE: {
                "PatchedVersions": [NPM_FIXED_VERSION],
                "VulnerableVersions": [format!("<{NPM_FIXED_VERSION}")]
            }}},
            go: {FIXTURE_GO_MODULE: {FIXTURE_GO_CVE: {
                "PatchedVersions": [GO_FIXED_VERSION.trim_start_matches('v')],
                "VulnerableVersions": [format!("<{}", GO_FIXED_VERSION.trim_start_matches('v'))]
            }}}
        },
        "vulnerabilities": {
            FIXTURE_CVE: {
                "Title": format!("{FIXTURE_PACKAGE}: remote code execution (test fixture)"),
                "Description": "A fixture advisory for the pipeline template's local run.",
                "Severity": "CRITICAL",
                "VendorSeverity": {"ghsa": 4}
            },
            FIXTURE_GO_CVE: {
                "Title": format!("{FIXTURE_GO_MODULE}: path traversal (test fixture)"),
                "Description": "A fixture advisory for the Go module the project requires.",
                "Severity": "CRITICAL",
                "VendorSeverity": {"ghsa": 4}
            },
            FIXTURE_NPM_CVE: {
                "Title": format!("{FIXTURE_NPM_PACKAGE}: prototype pollution (test fixture)"),
                "Description": "A fixture advisory for the image scan of the pipeline template's local run.",
                "Severity": "HIGH",
                "VendorSeverity": {"ghsa": 3}
            }
        },
        "updatedAt": "2026-05-28T00:00:00Z"
    });
    let spec_file = tmp.join("trivy-db.json");
    fs::write(&spec_file, spec.to_string()).unwrap();
    let cache = tmp.join("trivy-cache");
    let written = run(Command::new(&writer).arg(&spec_file).arg(&cache));
    assert!(written.status.success(), "trivy-db: {}", stderr(&written));
    cache
}

/// The service's metrics, as the template's release baseline queries them, for Prometheus to scrape.
fn serve_metrics() -> (String, Arc<tiny_http::Server>) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let s = server.clone();
    std::thread::spawn(move || {
        for r in s.incoming_requests() {
            let body = "# TYPE http_requests_total counter\n\
                http_requests_total{app=\"shop\",code=\"200\"} 990\n\
                http_requests_total{app=\"shop\",code=\"500\"} 10\n\
                # TYPE http_request_duration_seconds histogram\n\
                http_request_duration_seconds_bucket{app=\"shop\",le=\"0.1\"} 900\n\
                http_request_duration_seconds_bucket{app=\"shop\",le=\"0.5\"} 1000\n\
                http_request_duration_seconds_bucket{app=\"shop\",le=\"+Inf\"} 1000\n\
                http_request_duration_seconds_sum{app=\"shop\"} 80\n\
                http_request_duration_seconds_count{app=\"shop\"} 1000\n";
            let _ = r.respond(tiny_http::Response::from_string(body));
        }
    });
    (addr, server)
}

/// A git command as the developer, who signs with the SSH key `keys/signer`.
fn dev_git(project: &Path, keys: &Path, args: &[&str]) {
    let key = format!("user.signingkey={}", keys.join("signer").display());
    let mut all = vec![
        "-c",
        "user.name=Dev",
        "-c",
        "user.email=dev@example.org",
        "-c",
        "gpg.format=ssh",
        "-c",
        key.as_str(),
    ];
    all.extend(args);
    sh(project, "git", &all);
}

/// One job of the workflow: its `needs`, and its steps (`run:` scripts, `uses:` actions).
enum Step {
    Run { name: String, script: String },
    Uses { action: String },
}

fn steps_of(workflow: &serde_json::Value, job: &str) -> Vec<Step> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            match (
                s.get("run").and_then(|r| r.as_str()),
                s.get("uses").and_then(|u| u.as_str()),
            ) {
                (Some(script), _) => Step::Run {
                    name: s.get("name").and_then(|n| n.as_str()).unwrap_or("run").to_owned(),
                    script: script.to_owned(),
                },
                (None, Some(action)) => Step::Uses {
                    action: action.to_owned(),
                },
                _ => panic!("a step of {job} has neither run: nor uses:"),
            }
        })
        .collect()
}

/// What the harness does in place of an action that needs GitHub.
fn replacement(action: &str) -> &'static str {
    let name = action.split('@').next().unwrap_or(action);
    match name {
        "actions/checkout" => {
            "the steps run in the fixture project's clone itself (full history, no credentials), as a fresh \
             checkout would give them"
        }
        "actions/upload-artifact" => {
            "nothing to upload: evidence/ stays in the project directory, where the next job's steps read it"
        }
        "actions/download-artifact" => {
            "nothing to download: the previous jobs' evidence/ is already in the project directory"
        }
        other => panic!(
            "the template uses the action {other}, which the local harness has no replacement for: add one \
             that does locally what it does"
        ),
    }
}

/// Preflight: every command and flag the steps call exists in the binary under test, and every peer is
/// installed; returns the directories the steps' `PATH` starts with.
fn preflight(workload: &str, workflow: &serde_json::Value) -> Vec<PathBuf> {
    let scripts: Vec<String> = STAGES
        .iter()
        .flat_map(|j| steps_of(workflow, j))
        .filter_map(|s| match s {
            Step::Run { script, .. } => Some(script),
            Step::Uses { .. } => None,
        })
        .collect();
    let mut calls = invocations(&scripts);
    calls.push((
        vec!["approve".to_owned()],
        ["--env", "--role", "--key"].map(str::to_owned).into(),
    ));
    let missing = missing_commands(&calls);
    assert!(
        missing.is_empty(),
        "the {workload}/GitHub template calls commands this provenant lacks, so its steps cannot run:\n  {}",
        missing.into_iter().collect::<Vec<_>>().join("\n  ")
    );
    let venv_bin = |venv: &str, tool: &str| {
        provenant_testkit::require_venv_tool(venv, tool)
            .parent()
            .unwrap()
            .to_path_buf()
    };
    let path_dirs: Vec<PathBuf> = vec![
        PathBuf::from(env!("CARGO_BIN_EXE_provenant"))
            .parent()
            .unwrap()
            .to_path_buf(),
        venv_bin("gates", "pytest"),
        venv_bin("semgrep", "semgrep"),
        venv_bin("trivy", "trivy"),
    ];
    let _ = provenant_testkit::require_on_path("shellcheck");
    let _ = provenant_testkit::require_on_path("ssh-keygen");
    path_dirs
}

/// The environment of every step: the workflow's `env`, and for what it reads from the repository's
/// variables and secrets (`${{ … }}`) the local values: the `SQLite` ledger, Prometheus, the ci key.
fn step_environment(
    workflow: &serde_json::Value,
    ledger: &str,
    note_key: &Path,
    ci_key: &Path,
    prometheus_url: &str,
    trivy_cache: &Path,
) -> Vec<(String, String)> {
    workflow["env"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| !v.as_str().unwrap_or_default().contains("${{"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .chain([
            // The repository variables the workflow reads (`${{ vars.… }}`).
            ("PROVENANT_LEDGER".to_owned(), ledger.to_owned()),
            // A local ledger's checkpoints are signed with its note key, where the platform's
            // runners would append to a ledger server, which signs its own.
            (
                "PROVENANT_LEDGER_NOTE_KEY".to_owned(),
                note_key.display().to_string(),
            ),
            ("PROMETHEUS_URL".to_owned(), prometheus_url.to_owned()),
            // The signing key the platform's runners hold.
            ("PROVENANT_KEY".to_owned(), ci_key.display().to_string()),
            ("COSIGN_PASSWORD".to_owned(), "s3cret".to_owned()),
            ("SOURCE_DATE_EPOCH".to_owned(), "1780000000".to_owned()),
            // Trivy offline, against the fixture database.
            ("TRIVY_CACHE_DIR".to_owned(), trivy_cache.display().to_string()),
            ("TRIVY_SKIP_DB_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_SKIP_JAVA_DB_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_SKIP_CHECK_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_OFFLINE_SCAN".to_owned(), "true".to_owned()),
            ("TRIVY_DISABLE_TELEMETRY".to_owned(), "true".to_owned()),
            ("TRIVY_NO_PROGRESS".to_owned(), "true".to_owned()),
            ("SEMGREP_ENABLE_VERSION_CHECK".to_owned(), "0".to_owned()),
            ("SEMGREP_SEND_METRICS".to_owned(), "off".to_owned()),
        ])
        .collect()
}

/// The keys (the ci role signs with a key file, a release manager approves with another, the developer
/// SSH-signs commits) and the committed fixture project, its roles file holding the two public keys.
fn keys_and_project(project: &Path, keys: &Path, dependency_version: &str) {
    sh(
        keys,
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "dev@example.org",
            "-f",
            "signer",
        ],
    );
    for who in ["ci", "release-manager"] {
        let o = run(provenant()
            .current_dir(keys)
            .env("COSIGN_PASSWORD", "s3cret")
            .args(["keys", "generate", "--output-key-prefix", who]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    fixture(project, keys, dependency_version);
    let roles = project.join("provenant/roles.yaml");
    let text = fs::read_to_string(&roles)
        .unwrap()
        .replacen(
            "  ci:\n    keys: []\n",
            &format!("  ci:\n    keys: [{}]\n", keys.join("ci.pub").display()),
            1,
        )
        .replacen(
            "  release-manager:\n    keys: []\n",
            &format!(
                "  release-manager:\n    keys: [{}]\n",
                keys.join("release-manager.pub").display()
            ),
            1,
        );
    fs::write(&roles, text).unwrap();
    dev_git(
        project,
        keys,
        &[
            "commit",
            "-q",
            "-S",
            "-am",
            "ci: trust the ci and release-manager keys",
        ],
    );
}

/// The pipeline's fixture: the project, keys, registry, ledger, trivy's database and Prometheus.
struct Pipeline {
    tmp: tempfile::TempDir,
    project: PathBuf,
    keys: PathBuf,
    registry: PathBuf,
    registry_value: String,
    ledger: String,
    workflow: serde_json::Value,
    env: Vec<(String, String)>,
    path: std::ffi::OsString,
    _prometheus: provenant_testkit::Service,
    _metrics: Arc<tiny_http::Server>,
}

impl Pipeline {
    /// The container template's pipeline, its project depending on the vulnerable version.
    fn new() -> Self {
        Self::for_workload("container", VULNERABLE_VERSION)
    }

    /// The `workload`/GitHub template's pipeline, its project depending on `dependency_version` of the
    /// fixture package.
    fn for_workload(workload: &str, dependency_version: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("shop");
        let keys = tmp.path().join("keys");
        let registry = tmp.path().join("registry");
        for d in [&project, &keys, &registry] {
            fs::create_dir_all(d).unwrap();
        }
        // The workflow, from the template, with the registry an OCI layout directory.
        let registry_value = format!("oci:{}", registry.display());
        let o = run(provenant().current_dir(&project).args([
            "init",
            "--workload",
            workload,
            "--ci",
            "github",
            "--set",
            "name=shop",
            "--set",
            "repository=example-org/shop",
            "--set",
            &format!("registry={registry_value}"),
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let text =
            fs::read_to_string(project.join(format!(".github/workflows/provenant-{workload}.yml"))).unwrap();
        let workflow: serde_json::Value = yaml_serde::from_str(&text).unwrap();

        let path_dirs = preflight(workload, &workflow);
        let trivy_cache = trivy_database(tmp.path());

        keys_and_project(&project, &keys, dependency_version);

        let ledger = format!("sqlite:{}", tmp.path().join("ledger.db").display());
        let o = run(provenant().current_dir(tmp.path()).args([
            "ledger",
            "init",
            "--ledger",
            &ledger,
            "--origin",
            "example.org/ledger",
            "--output-key-prefix",
            "ledger",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));

        let mut all = path_dirs.clone();
        if let Some(system) = std::env::var_os("PATH") {
            all.extend(std::env::split_paths(&system));
        }
        let path = std::env::join_paths(all).unwrap();
        let (target, metrics) = serve_metrics();
        let prometheus = provenant_testkit::prometheus::start_prometheus(&[target]);
        let env = step_environment(
            &workflow,
            &ledger,
            &tmp.path().join("ledger.key"),
            &keys.join("ci.key"),
            &prometheus.base_url(),
            &trivy_cache,
        );
        assert_eq!(
            env.iter().find(|(k, _)| k == "REGISTRY").unwrap().1,
            registry_value
        );
        Self {
            tmp,
            project,
            keys,
            registry,
            registry_value,
            ledger,
            workflow,
            env,
            path,
            _prometheus: prometheus,
            _metrics: metrics,
        }
    }

    /// Runs the workflow's jobs in stage order, each after the jobs it needs, until one fails; returns
    /// the failing job, its step and the step's output. `during` runs beside each job's steps, in its own
    /// thread, as people act while a job runs.
    fn run(&self, run_name: &str, during: &(dyn Fn(&str) + Sync)) -> Option<(String, String, Output)> {
        self.run_through(run_name, "observe", during)
    }

    /// As [`Pipeline::run`], stopping after the stage `last`.
    fn run_through(
        &self,
        run_name: &str,
        last: &str,
        during: &(dyn Fn(&str) + Sync),
    ) -> Option<(String, String, Output)> {
        // A fresh run: no evidence or build outputs left by an earlier one.
        for d in ["evidence", "dist"] {
            let _ = fs::remove_dir_all(self.project.join(d));
        }
        let mut done: Vec<&str> = Vec::new();
        for job in STAGES {
            for need in self.workflow["jobs"][job]["needs"]
                .as_array()
                .into_iter()
                .flatten()
            {
                assert!(
                    done.contains(&need.as_str().unwrap()),
                    "{job} needs {need}, which has not run"
                );
            }
            let failed = std::thread::scope(|scope| {
                scope.spawn(|| during(job));
                self.run_job(run_name, job)
            });
            if let Some((step, o)) = failed {
                for later in STAGES.iter().skip_while(|s| **s != job).skip(1) {
                    println!("[{run_name}] {later}: not run (it needs {job}, which failed)");
                }
                return Some((job.to_owned(), step, o));
            }
            done.push(job);
            if job == last {
                break;
            }
        }
        None
    }

    /// Runs one job's steps in order with bash; returns the failing step and its output.
    fn run_job(&self, run_name: &str, job: &str) -> Option<(String, Output)> {
        for step in steps_of(&self.workflow, job) {
            let (name, script) = match step {
                Step::Uses { action } => {
                    println!(
                        "[{run_name}] {job}: step `uses: {action}` replaced: {}",
                        replacement(&action)
                    );
                    continue;
                }
                Step::Run { name, script } => (name, script),
            };
            let file = self
                .tmp
                .path()
                .join(format!("{run_name}-{job}-{name}.sh").replace(' ', "-"));
            fs::write(&file, &script).unwrap();
            let o = run(Command::new("bash")
                .args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&file)
                .current_dir(&self.project)
                .env("PATH", &self.path)
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            println!("[{run_name}] {job}: step `{name}` exited {}", o.status);
            if !o.status.success() {
                return Some((name, o));
            }
        }
        None
    }

    /// The release manager approves the digest the pipeline promoted to uat, as a person would while the
    /// approval stage waits.
    fn approve_uat_digest(&self) {
        let digest = fs::read_to_string(self.project.join("evidence/promote/uat.digest")).unwrap();
        let o = run(provenant()
            .current_dir(&self.project)
            .env("COSIGN_PASSWORD", "s3cret")
            .env("PROVENANT_LEDGER", &self.ledger)
            .args([
                "approve",
                &format!("{}/uat/shop@{}", self.registry_value, digest.trim()),
                "--env",
                "prod",
                "--role",
                "release-manager",
                "--key",
                &self.keys.join("release-manager.key").display().to_string(),
            ]));
        assert!(o.status.success(), "approve: {}{}", stdout(&o), stderr(&o));
        println!(
            "approve: the release manager approved {} for prod while the stage waited",
            digest.trim()
        );
    }
}

fn evidence(p: &Pipeline, file: &str) -> serde_json::Value {
    let path = p.project.join("evidence").join(file);
    serde_json::from_slice(&fs::read(&path).unwrap_or_else(|e| panic!("evidence/{file}: {e}")))
        .unwrap_or_else(|e| panic!("evidence/{file}: {e}"))
}

/// The in-toto statement a sigstore bundle's DSSE envelope carries.
fn statement_of(bundle: &serde_json::Value) -> serde_json::Value {
    let payload = crate::support::base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    serde_json::from_slice(&payload).unwrap()
}

/// The gate decision's predicate type.
const GATE_DECISION: &str = "https://provenant.dev/attestation/gate-decision/v1";

/// The statements of the ledger's entries about `subject` with predicate type `predicate_type`.
fn ledger_statements(p: &Pipeline, subject: &str, predicate_type: &str) -> Vec<serde_json::Value> {
    let o = run(provenant().args([
        "ledger",
        "query",
        "--ledger",
        &p.ledger,
        "--subject",
        subject,
        "--type",
        predicate_type,
        "--output",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    entries.into_iter().map(|e| e["statement"].clone()).collect()
}

/// Every vulnerability trivy reported in a JSON report: id, severity, package, installed version and
/// the file it was found in.
fn trivy_findings(report: &serde_json::Value) -> Vec<[String; 5]> {
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .map(|v| {
            [
                "VulnerabilityID",
                "Severity",
                "PkgName",
                "InstalledVersion",
                "PkgPath",
            ]
            .map(|k| v[k].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The vulnerability ids trivy reported in a JSON report.
fn trivy_ids(report: &serde_json::Value) -> Vec<(String, String)> {
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .map(|v| {
            (
                v["VulnerabilityID"].as_str().unwrap().to_owned(),
                v["Severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
// Two pipeline runs, read top to bottom as the stages run.
#[allow(clippy::too_many_lines)]
fn the_container_github_template_runs_end_to_end_on_oci_layouts() {
    let p = Pipeline::new();

    // Run 1: the project depends on the vulnerable version; trivy finds the critical advisory in the
    // fixture database and the quality gate blocks, so nothing is packaged or promoted.
    let failed = p.run("vulnerable", &|_| {});
    let (job, step, out) = failed.expect("the gate passed a project with a critical vulnerability");
    assert_eq!(
        (job.as_str(), step.as_str()),
        ("quality-security", "quality and security gate")
    );
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    // The repository's scan: the Python dependency and the Go module, each with its advisory.
    let mut found: Vec<[String; 4]> = trivy_findings(&evidence(&p, "vulns/dependencies.trivy.json"))
        .into_iter()
        .map(|[id, severity, package, version, _]| [id, severity, package, version])
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            [FIXTURE_CVE, "CRITICAL", FIXTURE_PACKAGE, VULNERABLE_VERSION].map(str::to_owned),
            [
                FIXTURE_GO_CVE,
                "CRITICAL",
                FIXTURE_GO_MODULE,
                GO_VULNERABLE_VERSION
            ]
            .map(str::to_owned),
        ]
    );
    // The image scan reads the candidate image: the npm package installed in it, with its advisory,
    // found in the file the image carries it in (and not in the repository's scan above).
    let image_scan = evidence(&p, "vulns/image.trivy.json");
    assert_eq!(image_scan["SchemaVersion"], 2);
    assert_eq!(
        trivy_findings(&image_scan),
        vec![
            [
                FIXTURE_NPM_CVE,
                "HIGH",
                FIXTURE_NPM_PACKAGE,
                NPM_VULNERABLE_VERSION,
                format!("app/node_modules/{FIXTURE_NPM_PACKAGE}/package.json").as_str(),
            ]
            .map(str::to_owned)
        ],
        "{image_scan}"
    );
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        report.contains("dependencies") && report.contains(FIXTURE_CVE),
        "{report}"
    );
    // The decision is signed either way: block, naming the advisory.
    let decision = statement_of(&evidence(&p, "gate/decision.bundle.json"));
    assert_eq!(decision["predicate"]["decision"], "block");
    assert!(
        decision["predicate"]["gates"].to_string().contains(FIXTURE_CVE),
        "{}",
        decision["predicate"]["gates"]
    );
    assert!(!p.project.join("evidence/package").exists());
    assert!(
        !p.registry.join("dev").exists(),
        "nothing reaches the registry from a blocked run"
    );
    // The blocked decision is in the ledger, about the candidate image: the step appended it before
    // failing as the gate did.
    let candidate = evidence(&p, "image/candidate.json")["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let recorded: Vec<serde_json::Value> = ledger_statements(&p, &candidate, GATE_DECISION);
    assert_eq!(
        recorded.len(),
        1,
        "the ledger should hold the one blocked decision about {candidate}: {recorded:?}"
    );
    assert_eq!(recorded[0]["predicate"]["decision"], "block");
    assert_eq!(
        recorded[0], decision,
        "the ledger's decision is not the signed one"
    );

    // The developer upgrades the dependency, in a signed conventional commit.
    let requirements = p.project.join("requirements.txt");
    let text = fs::read_to_string(&requirements).unwrap().replace(
        &format!("{FIXTURE_PACKAGE}=={VULNERABLE_VERSION}"),
        &format!("{FIXTURE_PACKAGE}=={FIXED_VERSION}"),
    );
    fs::write(&requirements, text).unwrap();
    fs::write(
        p.project.join(format!("web/{FIXTURE_NPM_PACKAGE}/package.json")),
        npm_package_json(NPM_FIXED_VERSION),
    )
    .unwrap();
    for (file, text) in go_files(GO_FIXED_VERSION) {
        fs::write(p.project.join(file), text).unwrap();
    }
    dev_git(
        &p.project,
        &p.keys,
        &[
            "commit",
            "-q",
            "-S",
            "-am",
            &format!("fix(deps): upgrade {FIXTURE_PACKAGE}, {FIXTURE_GO_MODULE} and {FIXTURE_NPM_PACKAGE}"),
        ],
    );

    // Run 2: every stage passes.
    // The release manager approves while the approval stage waits (`promote --wait`).
    let failed = p.run("upgraded", &|job| {
        if job == "approve" {
            std::thread::sleep(std::time::Duration::from_secs(3));
            p.approve_uat_digest();
        }
    });
    if let Some((job, step, o)) = failed {
        panic!(
            "stage {job}, step `{step}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            o.status,
            stdout(&o),
            stderr(&o)
        );
    }

    // The evidence every stage left.
    assert_eq!(evidence(&p, "source/source-check.json")["passed"], true);
    assert!(trivy_ids(&evidence(&p, "vulns/dependencies.trivy.json")).is_empty());
    // The image scanned again, its npm package upgraded: nothing found.
    let image_scan = evidence(&p, "vulns/image.trivy.json");
    assert_eq!(image_scan["SchemaVersion"], 2);
    assert_eq!(
        trivy_findings(&image_scan),
        Vec::<[String; 5]>::new(),
        "{image_scan}"
    );
    for file in [
        "scans/pinning.sarif",
        "build/provenance.bundle.json",
        "gate/decision.bundle.json",
        "package/packaging.bundle.json",
        "package/sbom.bundle.json",
        "vulns/image.trivy.json",
        "prod.digest",
        "deploy/deployed",
    ] {
        assert!(
            p.project.join("evidence").join(file).is_file(),
            "no evidence/{file}"
        );
    }
    let digest = fs::read_to_string(p.project.join("evidence/artefact.digest")).unwrap();
    let digest = digest.trim();
    let decision = statement_of(&evidence(&p, "gate/decision.bundle.json"));
    assert_eq!(decision["predicate"]["decision"], "pass");
    assert_eq!(
        decision["subject"][0]["digest"]["sha256"].as_str(),
        digest.strip_prefix("sha256:")
    );
    // In prod, the image carries its signed evidence as referrers: the packaging provenance, the SBOM
    // and the gate decision, carried by every promotion.
    let o = run(provenant().args([
        "--output",
        "json",
        "oci",
        "discover",
        &format!("{}/prod/shop@{digest}", p.registry_value),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let referrers = stdout(&o);
    println!("referrers in prod: {referrers}");
    for predicate in [
        "https://slsa.dev/provenance/v1",
        "https://cyclonedx.org/bom",
        "https://provenant.dev/attestation/gate-decision/v1",
    ] {
        assert!(
            referrers.contains(predicate),
            "prod lacks a {predicate} referrer: {referrers}"
        );
    }
    // The digest in every environment, by digest.
    for env in ["dev", "test", "uat", "prod"] {
        let index = fs::read_to_string(p.registry.join(env).join("shop/index.json")).unwrap();
        assert!(index.contains(digest), "{env} lacks {digest}");
    }
    // The ledger holds the gate decision, the promotions, the approval, the deployment and the release
    // baseline about the digest.
    let o = run(provenant().args([
        "ledger",
        "query",
        "--ledger",
        &p.ledger,
        "--subject",
        digest,
        "--output",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let entries: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let types: BTreeSet<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["predicateType"].as_str().unwrap())
        .collect();
    for t in [
        "gate-decision",
        "promotion",
        "approval",
        "deployment",
        "release-health",
    ] {
        assert!(
            types.iter().any(|u| u.contains(&format!("/attestation/{t}/"))),
            "no {t} record about {digest} in the ledger: {types:?}"
        );
    }
}

/// The packaging provenance's predicate type and the build type `oci push` records.
const SLSA_PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const PROMOTION: &str = "https://provenant.dev/attestation/promotion/v1";

#[test]
fn the_serverless_template_enters_dev_through_a_governed_promotion_and_test_accepts_it() {
    // A non-image artefact: the function bundle, pushed as an OCI artifact with signed packaging
    // provenance into a staging layout, promoted into dev (which checks that provenance), then into test
    // and uat by the promotion stage, each entry checked against the environment's requirements.
    let p = Pipeline::for_workload("serverless", FIXED_VERSION);
    if let Some((job, step, o)) = p.run_through("serverless", "promote", &|_| {}) {
        panic!(
            "stage {job}, step `{step}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            o.status,
            stdout(&o),
            stderr(&o)
        );
    }
    let digest = fs::read_to_string(p.project.join("evidence/artefact.digest")).unwrap();
    let digest = digest.trim().to_owned();
    // The gate judged the very artifact promoted: the candidate it passed has the packaged digest.
    assert_eq!(evidence(&p, "artefact/candidate.json")["digest"], digest.as_str());
    let decision = statement_of(&evidence(&p, "gate/decision.bundle.json"));
    assert_eq!(decision["predicate"]["decision"], "pass");
    assert_eq!(
        decision["subject"][0]["digest"]["sha256"].as_str(),
        digest.strip_prefix("sha256:")
    );

    // The packaging provenance: subject the artifact, the function bundle its resolved dependency,
    // the same file the build provenance is about.
    let bundle_digest = sh(&p.project, "sha256sum", &["dist/function.zip"]);
    let bundle_digest = bundle_digest.split_whitespace().next().unwrap().to_owned();
    let packaging = statement_of(&evidence(&p, "package/packaging.bundle.json"));
    assert_eq!(packaging["predicateType"], SLSA_PROVENANCE);
    assert_eq!(
        packaging["subject"][0]["digest"]["sha256"].as_str(),
        digest.strip_prefix("sha256:")
    );
    let definition = &packaging["predicate"]["buildDefinition"];
    assert_eq!(
        definition["buildType"],
        "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1"
    );
    assert_eq!(
        definition["externalParameters"]["artifactType"],
        "application/vnd.provenant.function.bundle.v1+zip"
    );
    assert_eq!(definition["resolvedDependencies"][0]["name"], "function.zip");
    assert_eq!(
        definition["resolvedDependencies"][0]["digest"]["sha256"].as_str(),
        Some(bundle_digest.as_str())
    );
    let build = statement_of(&evidence(&p, "build/provenance.bundle.json"));
    assert_eq!(
        build["subject"][0]["digest"]["sha256"].as_str(),
        Some(bundle_digest.as_str())
    );

    // Dev, test and uat hold the digest, each reached by a recorded promotion: test's entry accepted.
    for env in ["dev", "test", "uat"] {
        let index = fs::read_to_string(p.registry.join(env).join("shop/index.json")).unwrap();
        assert!(index.contains(&digest), "{env} lacks {digest}");
    }
    let promotions = ledger_statements(&p, &digest, PROMOTION);
    let outcomes: BTreeSet<(String, String)> = promotions
        .iter()
        .map(|s| {
            (
                s["predicate"]["environment"].as_str().unwrap().to_owned(),
                s["predicate"]["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("dev", "promoted"), ("test", "promoted"), ("uat", "promoted")]
            .map(|(e, o)| (e.to_owned(), o.to_owned()))
            .into(),
        "{promotions:?}"
    );
    // Dev was entered on the packaging provenance, which the ledger holds.
    assert_eq!(ledger_statements(&p, &digest, SLSA_PROVENANCE).len(), 1);
    assert_eq!(ledger_statements(&p, &digest, GATE_DECISION).len(), 1);
}
