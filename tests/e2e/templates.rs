//! The container/GitHub template run locally, end to end: a harness reads the workflow `provenant init`
//! writes, and runs every job's `run:` steps in stage order (each job after the jobs it needs), as
//! GitHub's `shell: bash` runs them, on a fixture project: signed conventional commits, a Makefile
//! that builds a root filesystem, real tests (pytest with coverage), a real linter (shellcheck), semgrep
//! rules, the registry an OCI layout directory (`REGISTRY=oci:DIR`), the ledger an `SQLite` file, the keys
//! in files. `uses:` steps (checkout, artifact transfer) are what the harness does itself: the steps
//! run in one working directory.
//!
//! Before running anything, the harness checks that every `provenant` command and flag the steps call
//! exists in the binary under test, and that the peers the steps call are installed; a missing one fails
//! the test, naming it.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// `provenant SUB [SUBSUB] --flags…` invocations in the scripts (continuation lines joined): the words
/// after the program (skipping the global `--output FORMAT` before them) that look like subcommands, and
/// every `--flag` of the command.
fn invocations(scripts: &[String]) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut out = Vec::new();
    for script in scripts {
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
                    flags.insert("--key".to_owned());
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

/// A minimal Prometheus HTTP API: every instant query answers one sample (the release baseline reads
/// the service's indicators from it).
fn prometheus() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1780000000,"0.01"]}]}}"#;
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
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
fn fixture(project: &Path, keys: &Path) {
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
    w("requirements.txt", "pytest==9.2.0\n");
    w(
        "Makefile",
        "rootfs:\n\tmkdir -p dist/rootfs/app\n\tcp calc.py dist/rootfs/app/calc.py\n",
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

#[test]
// One pipeline run, read top to bottom as the stages run.
#[allow(clippy::too_many_lines)]
fn the_container_github_template_runs_end_to_end_on_oci_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("shop");
    let keys = tmp.path().join("keys");
    let registry = tmp.path().join("registry");
    fs::create_dir_all(&project).unwrap();
    fs::create_dir_all(&keys).unwrap();
    fs::create_dir_all(&registry).unwrap();

    // The workflow, from the template, with the registry an OCI layout directory.
    let registry_value = format!("oci:{}", registry.display());
    let init = [
        "init",
        "--workload",
        "container",
        "--ci",
        "github",
        "--set",
        "name=shop",
        "--set",
        "repository=example-org/shop",
        "--set",
        &format!("registry={registry_value}"),
    ];
    let o = run(provenant().current_dir(&project).args(init));
    assert!(o.status.success(), "{}", stderr(&o));
    let workflow_text =
        fs::read_to_string(project.join(".github/workflows/provenant-container.yml")).unwrap();
    let workflow: serde_json::Value = yaml_serde::from_str(&workflow_text).unwrap();
    let jobs = workflow["jobs"].as_object().unwrap();
    let scripts_of = |job: &str| -> Vec<(String, String)> {
        jobs[job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| {
                let run = s.get("run")?.as_str()?.to_owned();
                let name = s.get("name").and_then(|n| n.as_str()).unwrap_or("run").to_owned();
                Some((name, run))
            })
            .collect()
    };
    let all_scripts: Vec<String> = STAGES
        .iter()
        .flat_map(|j| scripts_of(j).into_iter().map(|(_, s)| s))
        .collect();

    // Preflight: every command and flag the steps call, and every peer.
    let mut calls = invocations(&all_scripts);
    calls.push((
        vec!["approve".to_owned()],
        ["--env", "--role", "--key"].map(str::to_owned).into(),
    ));
    let missing = missing_commands(&calls);
    assert!(
        missing.is_empty(),
        "the container/GitHub template calls commands this provenant lacks, so its steps cannot run:\n  {}",
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
    let trivy_cache = provenant_testkit::oracles_dir().join("fixtures/trivy-cache");
    assert!(
        trivy_cache.join("db/trivy.db").is_file(),
        "trivy's vulnerability database is not at {}: the quality stage's `trivy fs`/`trivy image` \
         vulnerability scans need it offline (copy a trivy cache directory there, with db/trivy.db and \
         db/metadata.json)",
        trivy_cache.display()
    );

    // Keys: the ci role signs with a key file; a release manager approves with another; commits are
    // SSH-signed by the developer.
    sh(
        &keys,
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
            .current_dir(&keys)
            .env("COSIGN_PASSWORD", "s3cret")
            .args(["keys", "generate", "--output-key-prefix", who]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    fixture(&project, &keys);
    let roles = project.join("provenant/roles.yaml");
    let text = fs::read_to_string(&roles).unwrap();
    let text = text
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
    sh(
        &project,
        "git",
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@example.org",
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={}", keys.join("signer").display()),
            "commit",
            "-q",
            "-S",
            "-am",
            "ci: trust the ci and release-manager keys",
        ],
    );

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

    let mut path = std::env::join_paths(&path_dirs).unwrap();
    if let Some(system) = std::env::var_os("PATH") {
        let mut all: Vec<PathBuf> = path_dirs.clone();
        all.extend(std::env::split_paths(&system));
        path = std::env::join_paths(all).unwrap();
    }
    let prometheus_url = prometheus();
    let env: Vec<(String, String)> = workflow["env"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| !v.as_str().unwrap_or_default().contains("${{"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .chain([
            ("PROVENANT_LEDGER".to_owned(), ledger.clone()),
            ("PROMETHEUS_URL".to_owned(), prometheus_url),
            (
                "PROVENANT_KEY".to_owned(),
                keys.join("ci.key").display().to_string(),
            ),
            ("COSIGN_PASSWORD".to_owned(), "s3cret".to_owned()),
            ("SOURCE_DATE_EPOCH".to_owned(), "1780000000".to_owned()),
            ("TRIVY_CACHE_DIR".to_owned(), trivy_cache.display().to_string()),
            ("TRIVY_SKIP_DB_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_SKIP_JAVA_DB_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_SKIP_CHECK_UPDATE".to_owned(), "true".to_owned()),
            ("TRIVY_OFFLINE_SCAN".to_owned(), "true".to_owned()),
            ("TRIVY_DISABLE_TELEMETRY".to_owned(), "true".to_owned()),
            ("SEMGREP_ENABLE_VERSION_CHECK".to_owned(), "0".to_owned()),
            ("SEMGREP_SEND_METRICS".to_owned(), "off".to_owned()),
        ])
        .collect();
    assert_eq!(
        env.iter().find(|(k, _)| k == "REGISTRY").unwrap().1,
        registry_value
    );

    // The jobs in stage order, each after the jobs it needs.
    let mut done: Vec<&str> = Vec::new();
    for job in STAGES {
        for need in jobs[job]["needs"].as_array().into_iter().flatten() {
            assert!(
                done.contains(&need.as_str().unwrap()),
                "{job} needs {need}, which has not run"
            );
        }
        if job == "approve" {
            // The release manager approves the digest the pipeline promoted to uat, as a person would
            // while the stage waits.
            let digest = fs::read_to_string(project.join("evidence/promote/uat.digest")).unwrap();
            let o = run(provenant()
                .current_dir(&project)
                .env("COSIGN_PASSWORD", "s3cret")
                .env("PROVENANT_LEDGER", &ledger)
                .args([
                    "approve",
                    &format!("{registry_value}/uat/shop@{}", digest.trim()),
                    "--env",
                    "prod",
                    "--role",
                    "release-manager",
                    "--key",
                    &keys.join("release-manager.key").display().to_string(),
                ]));
            assert!(o.status.success(), "approve: {}{}", stdout(&o), stderr(&o));
        }
        for (step, script) in scripts_of(job) {
            let file = tmp.path().join(format!("{job}-{step}.sh").replace(' ', "-"));
            fs::write(&file, &script).unwrap();
            let o = run(Command::new("bash")
                .args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&file)
                .current_dir(&project)
                .env("PATH", &path)
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            assert!(
                o.status.success(),
                "stage {job}, step `{step}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
                o.status,
                stdout(&o),
                stderr(&o)
            );
        }
        done.push(job);
    }

    // The evidence every stage left, and the digest in every environment.
    let digest = fs::read_to_string(project.join("evidence/artefact.digest")).unwrap();
    let digest = digest.trim();
    for file in [
        "source/source-check.json",
        "scans/pinning.sarif",
        "build/provenance.bundle.json",
        "gate/decision.bundle.json",
        "package/packaging.bundle.json",
        "package/sbom.bundle.json",
        "prod.digest",
        "deploy/deployed",
    ] {
        assert!(
            project.join("evidence").join(file).is_file(),
            "no evidence/{file}"
        );
    }
    for env in ["dev", "test", "uat", "prod"] {
        let index = fs::read_to_string(registry.join(env).join("shop/index.json")).unwrap();
        assert!(index.contains(digest), "{env} lacks {digest}");
    }
    let o = run(provenant().args(["ledger", "query", "--ledger", &ledger, "--subject", digest]));
    assert!(o.status.success(), "{}", stderr(&o));
}
