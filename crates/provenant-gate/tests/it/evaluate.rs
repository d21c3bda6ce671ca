//! Evaluation and the severity response.

use provenant_findings::Severity;
use provenant_gate::{Context, Policy, Status, Subject, Verdict};

use crate::{GOOD_LCOV, PASSING_JUNIT, clean_files, decide, evidence, findings_fixture, normalised, sarif};

fn gate<'a>(d: &'a provenant_gate::Decision<'_>, id: &str) -> &'a provenant_gate::evaluate::GateResult<'a> {
    d.gates.iter().find(|g| g.id == id).unwrap()
}

#[test]
fn a_required_gate_without_evidence_blocks_and_never_passes_by_default() {
    let p = Policy::platform_default().unwrap();
    let d = decide(&evidence(&[]), &p, &[], &[]);
    assert_eq!(d.decision, Verdict::Block);
    let ids: Vec<&str> = d.gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "tests",
            "coverage",
            "sast",
            "dependencies",
            "secrets",
            "container",
            "lint",
            "hygiene",
            "pinning"
        ]
    );
    let tests = gate(&d, "tests");
    assert_eq!(tests.status, Status::Block);
    assert_eq!(tests.findings[0].message, "no test results were supplied");
    // The container gate applies only to images.
    assert_eq!(gate(&d, "container").status, Status::NotApplicable);
    for g in d.gates.iter().filter(|g| g.id != "container") {
        assert_eq!(g.status, Status::Block, "{}", g.id);
    }
}

#[test]
fn clean_evidence_for_every_gate_passes() {
    let p = Policy::platform_default().unwrap();
    let d = decide(&normalised(&clean_files()), &p, &[], &[]);
    let statuses: Vec<_> = d.gates.iter().map(|g| (g.id.as_str(), g.status)).collect();
    assert_eq!(d.decision, Verdict::Pass, "{statuses:?}");
    assert_eq!(gate(&d, "coverage").value, Some(80.0));
    assert_eq!(gate(&d, "tests").value, Some(100.0));
}

#[test]
fn tests_gate_blocks_on_any_failure_and_on_zero_tests() {
    let p = Policy::platform_default().unwrap();
    let junit = std::fs::read(findings_fixture("surefire.xml")).unwrap();
    let d = decide(&evidence(&[("surefire.xml", &junit)]), &p, &[], &[]);
    let t = gate(&d, "tests");
    assert_eq!(t.status, Status::Block);
    assert_eq!(t.value, Some(100.0 / 3.0));
    let ids: Vec<&str> = t.findings.iter().map(|f| f.id.as_ref()).collect();
    assert_eq!(
        ids,
        [
            "test:com.example.CalcTest::divides",
            "test:com.example.CalcTest::parses",
            "tests/pass-rate"
        ]
    );
    let d = decide(&evidence(&[("empty.xml", b"<testsuites/>")]), &p, &[], &[]);
    assert_eq!(
        gate(&d, "tests").findings[0].message,
        "0 tests ran; at least 1 are required"
    );
}

#[test]
fn coverage_below_the_threshold_blocks() {
    let p = Policy::platform_default().unwrap();
    let d = decide(
        &evidence(&[("l.info", b"SF:a\nDA:1,1\nDA:2,0\nend_of_record\n")]),
        &p,
        &[],
        &[],
    );
    let c = gate(&d, "coverage");
    assert_eq!(
        (c.status, c.value, c.threshold),
        (Status::Block, Some(50.0), Some(80.0))
    );
    assert_eq!(
        c.findings[0].message,
        "line coverage 50.0% (1 of 2 lines) is below 80.0%"
    );
}

#[test]
fn severity_response_critical_notifies_high_blocks_medium_and_low_go_to_the_backlog() {
    let p = Policy::platform_default().unwrap();
    let codeql = std::fs::read(findings_fixture("codeql.sarif")).unwrap();
    let mut files = clean_files();
    files.retain(|(n, _)| n != "semgrep.sarif" && n != "eslint.sarif");
    files.push(("codeql.sarif".into(), codeql));
    let d = decide(&normalised(&files), &p, &[], &[]);
    let sast = gate(&d, "sast");
    assert_eq!(sast.status, Status::Block);
    // Critical sql injection blocks; the suppressed xss is listed with its suppression.
    let sqli = sast
        .findings
        .iter()
        .find(|f| f.rule == "js/sql-injection")
        .unwrap();
    assert_eq!(sqli.severity, Severity::Critical);
    assert!(sqli.exception.is_none());
    assert_eq!(d.notices.len(), 1);
    assert_eq!(d.notices[0].finding.rule, "js/sql-injection");
    let backlog: Vec<(&str, Severity)> = d.backlog.iter().map(|b| (b.rule.as_ref(), b.severity)).collect();
    assert!(backlog.contains(&("js/xss", Severity::Medium)), "{backlog:?}");
    assert!(
        backlog.contains(&("js/unused-local-variable", Severity::Low)),
        "{backlog:?}"
    );
    // ESLint's error blocks lint; its warning goes to the backlog.
    let lint = gate(&d, "lint");
    assert_eq!((lint.status, lint.value), (Status::Block, Some(1.0)));
    assert!(backlog.contains(&("no-console", Severity::Medium)));
}

#[test]
fn dependencies_block_only_critical_direct_ones_and_vex_suppression_is_recorded() {
    let p = Policy::platform_default().unwrap();
    let npm = std::fs::read(findings_fixture("npm-audit.json")).unwrap();
    let mut files = clean_files();
    files.push(("npm-audit.json".into(), npm));
    let d = decide(&normalised(&files), &p, &[], &[]);
    let deps = gate(&d, "dependencies");
    assert_eq!(deps.status, Status::Block);
    assert_eq!(deps.findings[0].id, "GHSA-xvch-5gv4-984h@npm/minimist@<0.2.4");
    // An OSV high finding is not critical: backlog.
    let osv = std::fs::read(findings_fixture("osv-scanner.json")).unwrap();
    let mut files = clean_files();
    files.retain(|(n, _)| n != "osv.json");
    files.push(("osv.json".into(), osv));
    let d = decide(&normalised(&files), &p, &[], &[]);
    assert_eq!(gate(&d, "dependencies").status, Status::Pass);
    assert_eq!(d.backlog.iter().filter(|b| b.gate == "dependencies").count(), 2);
}

#[test]
fn container_gate_counts_criticals_in_base_layers() {
    let mut p = Policy::platform_default().unwrap();
    let trivy = std::fs::read(findings_fixture("trivy-image.json")).unwrap();
    let vex = std::fs::read(findings_fixture("openvex.json")).unwrap();
    let mut files = clean_files();
    files.push(("trivy.json".into(), trivy));
    files.push(("vex.json".into(), vex));
    let d = decide(&normalised(&files), &p, &[], &[]);
    let c = gate(&d, "container");
    assert_eq!((c.status, c.value), (Status::Block, Some(1.0)));
    assert_eq!(c.findings[0].rule, "CVE-2024-2961");
    // With one base layer declared, libc (layer 0) still counts; a critical on layer 1 would not.
    p.gates.container.base_layers = Some(1);
    let d = decide(&normalised(&files), &p, &[], &[]);
    assert_eq!(gate(&d, "container").status, Status::Block);
    p.gates.container.base_layers = Some(0);
    let d = decide(&normalised(&files), &p, &[], &[]);
    assert_eq!(gate(&d, "container").status, Status::Pass);
    assert!(d.backlog.iter().any(|b| b.rule == "CVE-2024-2961"));
}

#[test]
fn any_secret_blocks() {
    let p = Policy::platform_default().unwrap();
    let mut files = clean_files();
    files.retain(|(n, _)| n != "gitleaks.json");
    files.push((
        "gitleaks.json".into(),
        br#"[{"RuleID": "generic-api-key", "File": "a.env", "StartLine": 3, "Description": "key"}]"#.to_vec(),
    ));
    let d = decide(&normalised(&files), &p, &[], &[]);
    let s = gate(&d, "secrets");
    assert_eq!(
        (s.status, s.findings[0].location.as_ref().map(ToString::to_string)),
        (Status::Block, Some("a.env:3".to_owned()))
    );
}

#[test]
fn the_decision_json_has_exactly_the_documented_fields() {
    let p = Policy::platform_default().unwrap();
    let d = decide(
        &evidence(&[
            ("junit.xml", PASSING_JUNIT),
            ("lcov.info", GOOD_LCOV),
            ("s.sarif", &sarif("Semgrep", &[("r", "error", "a.py", 3)])),
        ]),
        &p,
        &[],
        &[],
    );
    let v = serde_json::to_value(&d).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["backlog", "decision", "evidence", "gates"]);
    let g = &v["gates"][2];
    let keys: Vec<&String> = g.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["exceptions", "findings", "id", "status", "threshold", "value"]
    );
    let f = &g["findings"][0];
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["exception", "id", "location", "message", "rule", "severity"]
    );
    assert_eq!(f["location"], "a.py:3");
    assert_eq!(v["gates"][5]["status"], "not-applicable");
    let e = &v["evidence"][0];
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["digest", "format", "path"]);
}

#[test]
fn container_gate_base_is_the_base_image_the_subject_names() {
    let mut p = Policy::platform_default().unwrap();
    let trivy = std::fs::read(findings_fixture("trivy-image.json")).unwrap();
    let mut files = clean_files();
    files.push(("trivy.json".into(), trivy));
    let n = normalised(&files);
    let decide_with = |base: &[&str], p: &Policy| {
        let subject = Subject {
            image: true,
            base_layers: Some(base.iter().map(|s| (*s).to_owned()).collect()),
            ..Subject::default()
        };
        provenant_gate::evaluate(&Context {
            evidence: &n,
            policy: p,
            subject: &subject,
            exceptions: &[],
            today: 0,
            custom: &[],
        })
        .into_owned()
    };
    // libc's critical came with the layer of diff id 1111…: in the base when the base is that layer…
    let one = format!("sha256:{}", "1".repeat(64));
    let two = format!("sha256:{}", "2".repeat(64));
    let d = decide_with(&[&one], &p);
    assert_eq!(gate(&d, "container").status, Status::Block);
    // …not when the base is another layer, whatever the policy's base_layers says.
    p.gates.container.base_layers = Some(2);
    let d = decide_with(&[&two], &p);
    assert_eq!(gate(&d, "container").status, Status::Pass);
    assert!(d.backlog.iter().any(|b| b.rule == "CVE-2024-2961"));
}
