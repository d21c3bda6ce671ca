//! Evidence made by the real tools on the fixture projects: pytest and coverage.py (JUnit, lcov,
//! Cobertura, JSON), cargo-nextest (JUnit), semgrep (SARIF), gitleaks, trivy and detect-secrets (secrets).

use std::path::{Path, PathBuf};
use std::process::Command;

use provenant_findings::{Category, Evidence, Format, Normalised, Severity, TestOutcome, detect};
use provenant_testkit::require_venv_tool;

use crate::{findings, fixtures, read_file};

fn copy_tree(src: &Path, dst: &Path) {
    for entry in walk(src) {
        let rel = entry.strip_prefix(src).unwrap();
        let to = dst.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.code().is_some(),
        "{cmd:?} was killed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// pytest with coverage.py over the Python fixture: returns the directory holding junit.xml, cov.json,
/// cov.lcov and cov.xml.
fn python_evidence() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("pyproject"), dir.path());
    let coverage = require_venv_tool("gates", "coverage");
    run(Command::new(&coverage)
        .args([
            "run",
            "--source=.",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junitxml=junit.xml",
            "tests",
        ])
        .env("PYTHONPATH", dir.path())
        .current_dir(dir.path()));
    for (cmd, out) in [("json", "cov.json"), ("lcov", "cov.lcov"), ("xml", "cov.xml")] {
        run(Command::new(&coverage)
            .args([cmd, "-q", "-o", out])
            .current_dir(dir.path()));
        assert!(dir.path().join(out).is_file(), "coverage {cmd} wrote nothing");
    }
    dir
}

#[test]
fn pytest_junit_counts_failures_errors_and_skips() {
    let dir = python_evidence();
    let path = dir.path().join("junit.xml");
    assert_eq!(detect(&std::fs::read(&path).unwrap()), Some(Format::Junit));
    let Evidence::Tests(report) = read_file(&path) else {
        panic!("not tests")
    };
    assert_eq!(
        (
            report.tests,
            report.passed,
            report.failed,
            report.errors,
            report.skipped
        ),
        (5, 2, 1, 1, 1)
    );
    let failed = report
        .cases
        .iter()
        .find(|c| c.outcome == TestOutcome::Failed)
        .unwrap();
    assert_eq!(failed.name, "tests.test_calc::test_add_wrong");
    assert!(failed.message.as_deref().unwrap().starts_with("assert 3 == 4"));
    let error = report
        .cases
        .iter()
        .find(|c| c.outcome == TestOutcome::Error)
        .unwrap();
    assert_eq!(error.name, "tests.test_calc::test_error");
}

#[test]
fn coverage_py_reports_agree_in_three_formats_and_merge() {
    let dir = python_evidence();
    let mut rates = Vec::new();
    for (file, format) in [
        ("cov.json", Format::CoveragePy),
        ("cov.lcov", Format::Lcov),
        ("cov.xml", Format::Cobertura),
    ] {
        let path = dir.path().join(file);
        assert_eq!(detect(&std::fs::read(&path).unwrap()), Some(format), "{file}");
        let mut n = Normalised::new();
        n.add(file, "sha256:00", read_file(&path));
        n.finish(&[], None);
        let c = n.coverage.unwrap();
        rates.push((c.lines_found, c.lines_hit));
    }
    // calc.py has 8 statements (6 hit); the test module's lines count too.
    assert!(rates.iter().all(|r| *r == rates[0]), "{rates:?}");
    assert!(rates[0].0 > 8 && rates[0].1 < rates[0].0);
    // The same report twice is the same coverage: merged by file and line, not added.
    let mut n = Normalised::new();
    for file in ["cov.json", "cov.lcov", "cov.xml"] {
        n.add(file, "sha256:00", read_file(&dir.path().join(file)));
    }
    n.finish(&[], None);
    let c = n.coverage.unwrap();
    assert_eq!((c.lines_found, c.lines_hit), rates[0]);
    assert_eq!(c.files, 2);
}

#[test]
fn nextest_junit_reads_failures_and_panics() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("nextest"), dir.path());
    let out = Command::new("cargo")
        .args(["nextest", "run", "--profile", "ci", "--no-fail-fast"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .current_dir(dir.path())
        .output()
        .expect("cargo-nextest is installed (cargo install cargo-nextest)");
    assert_eq!(
        out.status.code(),
        Some(100),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let junit = walk(dir.path())
        .into_iter()
        .find(|p| p.ends_with("nextest/ci/junit.xml"))
        .expect("junit.xml");
    let Evidence::Tests(report) = read_file(&junit) else {
        panic!("not tests")
    };
    assert_eq!(
        (report.tests, report.passed, report.failed, report.errors),
        (3, 1, 2, 0)
    );
    // nextest runs tests in parallel: the report lists them in the order they finished.
    let mut names: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["gate-fixture::tests::fails", "gate-fixture::tests::panics"]
    );
    let fails = report
        .cases
        .iter()
        .find(|c| c.name == "gate-fixture::tests::fails")
        .unwrap();
    assert!(
        fails
            .message
            .as_deref()
            .unwrap()
            .contains("panicked at src/lib.rs:14")
    );
}

#[test]
fn semgrep_sarif_levels_come_from_rules_and_security_severity() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("pyproject"), dir.path());
    let semgrep = require_venv_tool("semgrep", "semgrep");
    run(Command::new(semgrep)
        .args([
            "scan",
            "--config",
            "semgrep-rules.yml",
            "--metrics=off",
            "--disable-version-check",
            "--sarif",
            "-o",
            "out.sarif",
            ".",
        ])
        .env("SEMGREP_SEND_METRICS", "off")
        .current_dir(dir.path()));
    let path = dir.path().join("out.sarif");
    assert_eq!(detect(&std::fs::read(&path).unwrap()), Some(Format::Sarif));
    let mut f = findings(read_file(&path));
    f.sort_by(|a, b| a.rule.cmp(&b.rule));
    assert_eq!(f.len(), 2);
    // No level on the result: the rule's defaultConfiguration (note) gives low.
    assert_eq!(
        (f[0].rule.as_str(), f[0].severity, f[0].category),
        ("bare-raise-zero", Severity::Low, Category::Sast)
    );
    // security-severity 8.1 on the rule: high.
    assert_eq!(
        (f[1].rule.as_str(), f[1].severity),
        ("python-eval", Severity::High)
    );
    let loc = f[1].location.as_ref().unwrap();
    assert_eq!((loc.path.as_str(), loc.line), ("calc.py", Some(12)));
    // Stable ids: a second read gives the same ids; semgrep's "requires login" fingerprint is ignored.
    let again = findings(read_file(&path));
    let mut ids: Vec<_> = again.iter().map(|x| x.id.clone()).collect();
    ids.sort();
    let mut first: Vec<_> = f.iter().map(|x| x.id.clone()).collect();
    first.sort();
    assert_eq!(ids, first);
    assert!(f[1].id.starts_with("python-eval@"));
}

/// A tree with made-up credentials, written at test time so that none is ever committed.
fn secrets_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let aws = ["AKIA", "Z7QW3RT5YU8IO2PL"].concat();
    let gh = ["ghp_", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"].concat();
    std::fs::write(
        dir.path().join("config.py"),
        format!("aws_access_key_id = \"{aws}\"\nGITHUB_TOKEN = \"{gh}\"\n"),
    )
    .unwrap();
    dir
}

fn no_secret_in(findings: &[provenant_findings::Finding]) {
    let text = serde_json::to_string(findings).unwrap();
    assert!(
        !text.contains("Z7QW3RT5YU8IO2PL") && !text.contains("aB3dE5gH7jK9"),
        "{text}"
    );
}

#[test]
fn gitleaks_json_findings_never_carry_the_secret() {
    let tree = secrets_tree();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("gitleaks.json");
    run(Command::new(require_venv_tool("gitleaks", "gitleaks"))
        .args(["dir", ".", "--no-banner", "-f", "json", "--exit-code", "0", "-r"])
        .arg(&report)
        .current_dir(tree.path()));
    assert_eq!(detect(&std::fs::read(&report).unwrap()), Some(Format::Gitleaks));
    let f = findings(read_file(&report));
    assert!(f.iter().any(|x| x.rule == "github-pat"), "{f:?}");
    let gh = f.iter().find(|x| x.rule == "github-pat").unwrap();
    assert_eq!(gh.category, Category::Secrets);
    assert_eq!(gh.severity, Severity::Critical);
    assert_eq!(gh.location.as_ref().unwrap().line, Some(2));
    no_secret_in(&f);
}

#[test]
fn trivy_secret_json_is_read_with_its_severity() {
    let tree = secrets_tree();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("trivy.json");
    run(Command::new(require_venv_tool("trivy", "trivy"))
        .args([
            "fs",
            "--scanners",
            "secret",
            "--skip-db-update",
            "--offline-scan",
            "--disable-telemetry",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report)
        .arg(".")
        .env("TRIVY_CACHE_DIR", out.path().join("cache"))
        .current_dir(tree.path()));
    assert_eq!(detect(&std::fs::read(&report).unwrap()), Some(Format::Trivy));
    let f = findings(read_file(&report));
    let aws = f
        .iter()
        .find(|x| x.rule == "aws-access-key-id")
        .expect("trivy finds the AWS key");
    assert_eq!(
        (aws.category, aws.severity),
        (Category::Secrets, Severity::Critical)
    );
    assert_eq!(aws.location.as_ref().unwrap().path, "config.py");
    no_secret_in(&f);
}

#[test]
fn detect_secrets_json_is_read_per_file_and_line() {
    let tree = secrets_tree();
    let out = Command::new(require_venv_tool("gates", "detect-secrets"))
        .args(["scan", "--all-files", "."])
        .current_dir(tree.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(detect(&out.stdout), Some(Format::DetectSecrets));
    let f = findings(provenant_findings::read("ds.json", &out.stdout).unwrap());
    let rules: Vec<(&str, Option<u64>)> = f
        .iter()
        .map(|x| (x.rule.as_str(), x.location.as_ref().unwrap().line))
        .collect();
    assert!(rules.contains(&("aws-access-key", Some(1))), "{rules:?}");
    assert!(rules.contains(&("github-token", Some(2))), "{rules:?}");
    no_secret_in(&f);
}
