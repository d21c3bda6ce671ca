//! Formats no tool here produces offline, from their documented shapes: Surefire, jest-junit and
//! gotestsum JUnit, JaCoCo, llvm-cov, checkstyle, CodeQL SARIF, trivy and grype image scans,
//! OSV-scanner, npm audit v2, CycloneDX vulnerabilities and OpenVEX.

use provenant_findings::{Category, Evidence, Format, Normalised, Severity, detect};

use crate::{findings, fixtures, read_file};

fn doc(name: &str) -> std::path::PathBuf {
    fixtures().join("documented").join(name)
}

#[test]
fn every_documented_fixture_is_detected_by_content() {
    for (file, format) in [
        ("surefire.xml", Format::Junit),
        ("jest-junit.xml", Format::Junit),
        ("gotestsum.xml", Format::Junit),
        ("jacoco.xml", Format::Jacoco),
        ("llvm-cov.json", Format::LlvmCov),
        ("checkstyle.xml", Format::Checkstyle),
        ("codeql.sarif", Format::Sarif),
        ("trivy-image.json", Format::Trivy),
        ("grype-image.json", Format::Grype),
        ("osv-scanner.json", Format::OsvScanner),
        ("npm-audit.json", Format::NpmAudit),
        ("cyclonedx-vex.json", Format::CycloneDx),
        ("openvex.json", Format::OpenVex),
    ] {
        assert_eq!(detect(&std::fs::read(doc(file)).unwrap()), Some(format), "{file}");
        assert_eq!(read_file(&doc(file)).format(), format, "{file}");
    }
}

#[test]
fn junit_of_surefire_jest_and_gotestsum_with_nested_suites() {
    let counts = |file: &str| {
        let Evidence::Tests(r) = read_file(&doc(file)) else {
            panic!()
        };
        (r.tests, r.passed, r.failed, r.errors, r.skipped)
    };
    assert_eq!(counts("surefire.xml"), (4, 1, 1, 1, 1));
    assert_eq!(counts("jest-junit.xml"), (3, 1, 1, 0, 1));
    // gotestsum: a suite nested in a suite still counts its case once.
    assert_eq!(counts("gotestsum.xml"), (3, 2, 1, 0, 0));
}

#[test]
fn zero_tests_is_a_report_with_no_tests() {
    let Evidence::Tests(r) = provenant_findings::read("empty.xml", b"<testsuites tests=\"0\"/>").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.tests, 0);
    let mut n = Normalised::new();
    n.add("empty.xml", "sha256:00", Evidence::Tests(r));
    n.finish(&[], None);
    assert_eq!(n.tests.unwrap().pass_rate, 0.0);
}

#[test]
fn jacoco_and_llvm_cov_line_coverage() {
    let mut n = Normalised::new();
    n.add("jacoco.xml", "sha256:00", read_file(&doc("jacoco.xml")));
    n.finish(&[], None);
    // Line 9 has no instructions: not a line. 3 found, 2 hit.
    let c = n.coverage.unwrap();
    assert_eq!((c.lines_found, c.lines_hit), (3, 2));
    let mut n = Normalised::new();
    n.add("llvm-cov.json", "sha256:00", read_file(&doc("llvm-cov.json")));
    n.finish(&[], None);
    let c = n.coverage.unwrap();
    assert_eq!((c.lines_found, c.lines_hit, c.line_rate), (50, 40, 80.0));
}

#[test]
fn checkstyle_errors_are_high_lint_findings() {
    let f = findings(read_file(&doc("checkstyle.xml")));
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|x| x.category == Category::Lint));
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[1].severity, Severity::Medium);
    assert_eq!(
        f[0].location.as_ref().unwrap().path,
        "src/main/java/com/example/Calc.java"
    );
}

#[test]
fn sarif_level_rules_and_codeql_security_severity() {
    let f = findings(read_file(&doc("codeql.sarif")));
    let by = |rule: &str, line: u64| {
        f.iter()
            .find(|x| x.rule == rule && x.location.as_ref().and_then(|l| l.line) == Some(line))
            .unwrap_or_else(|| panic!("{rule}:{line} in {f:#?}"))
    };
    // security-severity 9.8 on the extension's rule: critical, whatever the level says.
    let sqli = by("js/sql-injection", 14);
    assert_eq!(
        (sqli.severity, sqli.category),
        (Severity::Critical, Category::Sast)
    );
    assert_eq!(sqli.location.as_ref().unwrap().path, "src/db layer/query.js");
    // The rule's default level note: low.
    assert_eq!(by("js/unused-local-variable", 3).severity, Severity::Low);
    assert_eq!(
        by("js/unused-local-variable", 3).location.as_ref().unwrap().path,
        "src/app.js"
    );
    // security-severity 6.1 overrides the result's level: medium.
    assert_eq!(by("js/xss", 20).severity, Severity::Medium);
    // A suppressed result is recorded, not dropped.
    let suppressed = by("js/xss", 2);
    assert_eq!(suppressed.suppressed.as_ref().unwrap().status, "inSource");
    // kind "pass" is no finding; ESLint's run is lint: level from the rule (warning = medium), or error = high.
    assert_eq!(
        f.iter().filter(|x| x.rule == "js/unused-local-variable").count(),
        1
    );
    let eslint: Vec<_> = f.iter().filter(|x| x.tool == "ESLint").collect();
    assert_eq!(eslint.len(), 2);
    assert!(eslint.iter().all(|x| x.category == Category::Lint));
    assert_eq!(eslint[0].severity, Severity::Medium);
    assert_eq!(eslint[1].severity, Severity::High);
    assert!(eslint[1].location.is_none());
}

#[test]
fn trivy_image_scan_keeps_layers_and_cve_ids() {
    let f = findings(read_file(&doc("trivy-image.json")));
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|x| x.category == Category::Container));
    let libc = &f[0];
    assert_eq!(
        (libc.rule.as_str(), libc.severity, libc.layer_index),
        ("CVE-2024-2961", Severity::Critical, Some(0))
    );
    assert_eq!(libc.id, "CVE-2024-2961@pkg:deb/debian/libc6@2.36-9%2Bdeb12u4");
    assert_eq!(libc.fixed_version.as_deref(), Some("2.36-9+deb12u7"));
    // The GHSA id gives way to its CVE alias, so that every scanner names it alike.
    let braces = &f[1];
    assert_eq!(braces.id, "CVE-2024-4068@pkg:npm/braces@3.0.2");
    assert_eq!(braces.aliases, ["GHSA-952p-6rrq-rcjv"]);
    assert_eq!(braces.layer_index, Some(1));
    // UNKNOWN severity: medium (backlog).
    assert_eq!(f[2].severity, Severity::Medium);
}

#[test]
fn grype_and_trivy_name_the_same_vulnerability_alike() {
    let grype = findings(read_file(&doc("grype-image.json")));
    let trivy = findings(read_file(&doc("trivy-image.json")));
    for g in &grype {
        assert!(trivy.iter().any(|t| t.id == g.id), "{} not in trivy's ids", g.id);
    }
    let libc = grype.iter().find(|g| g.rule == "CVE-2024-2961").unwrap();
    assert_eq!((libc.layer_index, libc.severity), (Some(0), Severity::Critical));
    assert_eq!(
        grype
            .iter()
            .find(|g| g.rule == "CVE-2024-4068")
            .unwrap()
            .fixed_version
            .as_deref(),
        Some("3.0.3")
    );
}

#[test]
fn osv_scanner_groups_and_max_severity() {
    let f = findings(read_file(&doc("osv-scanner.json")));
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].rule, "CVE-2022-24713");
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].id, "CVE-2022-24713@crates.io/regex@1.3.1");
    assert_eq!(f[0].location.as_ref().unwrap().path, "src/project/Cargo.lock");
    assert_eq!(f[1].severity, Severity::High);
}

#[test]
fn npm_audit_v2_reads_advisories_not_effects() {
    let f = findings(read_file(&doc("npm-audit.json")));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].rule, "GHSA-xvch-5gv4-984h");
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].package.as_ref().unwrap().direct, Some(true));
    let err =
        provenant_findings::read("old.json", br#"{"auditReportVersion": 1, "advisories": {}}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "old.json: $.auditReportVersion: expected 2 (npm 7 or later)"
    );
}

#[test]
fn cyclonedx_vulnerabilities_with_analysis_are_suppressed_not_dropped() {
    let f = findings(read_file(&doc("cyclonedx-vex.json")));
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0].id.as_str(), f[0].severity),
        ("CVE-2024-4068@pkg:npm/braces@3.0.2", Severity::High)
    );
    assert!(f[0].suppressed.is_none());
    assert_eq!(f[1].suppressed.as_ref().unwrap().status, "not_affected");
}

#[test]
fn openvex_suppresses_not_affected_and_fixed_only() {
    let mut n = Normalised::new();
    n.add("trivy.json", "sha256:01", read_file(&doc("trivy-image.json")));
    n.add("osv.json", "sha256:02", read_file(&doc("osv-scanner.json")));
    n.add("vex.json", "sha256:03", read_file(&doc("openvex.json")));
    n.finish(&[], None);
    let find = |rule: &str| n.findings.iter().find(|f| f.rule == rule).unwrap();
    let braces = find("CVE-2024-4068");
    let s = braces.suppressed.as_ref().expect("braces is not affected");
    assert_eq!((s.source.as_str(), s.status.as_str()), ("vex", "not_affected"));
    assert_eq!(s.document.as_deref(), Some("https://example.com/vex/app-2024-05"));
    // under_investigation does not suppress.
    assert!(find("CVE-2024-2961").suppressed.is_none());
    // The product purl differs from OSV's finding (no purl): not suppressed.
    assert!(find("CVE-2021-3121").suppressed.is_none());
    assert_eq!(n.findings.len(), 5);
}

#[test]
fn sbom_dependency_graph_says_which_packages_are_direct() {
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
        "components": [
            {"type": "library", "bom-ref": "b", "name": "braces", "version": "3.0.2", "purl": "pkg:npm/braces@3.0.2"},
            {"type": "library", "bom-ref": "m", "name": "micromatch", "version": "4.0.5", "purl": "pkg:npm/micromatch@4.0.5"},
            {"type": "library", "bom-ref": "l", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}
        ],
        "dependencies": [
            {"ref": "app", "dependsOn": ["m", "l"]},
            {"ref": "m", "dependsOn": ["b"]}
        ]
    });
    let read = provenant_sbom::read::read(&sbom, 0).unwrap();
    let mut n = Normalised::new();
    n.add("trivy.json", "sha256:01", read_file(&doc("trivy-image.json")));
    n.finish(&[], Some(&read.sbom));
    let direct = |rule: &str| {
        n.findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap()
            .package
            .as_ref()
            .unwrap()
            .direct
    };
    assert_eq!(direct("CVE-2024-4068"), Some(false));
    assert_eq!(direct("CVE-2099-0001"), Some(true));
    assert_eq!(direct("CVE-2024-2961"), None);
}
