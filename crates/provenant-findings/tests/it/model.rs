//! The model: severity names and mappings, stable ids, merging, and the JSON Schema of the normalised
//! document.

use provenant_findings::{
    Normalised, Package, Severity, normalise_path, package_finding_id, rule_finding_id,
};

use crate::{fixtures, read_file};

#[test]
fn scores_map_to_severities_at_the_documented_bounds() {
    assert_eq!(Severity::from_score(9.0), Severity::Critical);
    assert_eq!(Severity::from_score(8.99), Severity::High);
    assert_eq!(Severity::from_score(7.0), Severity::High);
    assert_eq!(Severity::from_score(6.9), Severity::Medium);
    assert_eq!(Severity::from_score(0.1), Severity::Low);
    assert_eq!(Severity::from_score(0.0), Severity::Info);
    assert_eq!(Severity::from_word("MODERATE"), Some(Severity::Medium));
    assert_eq!(Severity::from_word("UNKNOWN"), None);
}

#[test]
fn ids_are_stable_and_ignore_path_spelling() {
    let a = rule_finding_id("r", Some("./src/a.py"), "12");
    assert_eq!(a, rule_finding_id("r", Some("file://src/a.py"), "12"));
    assert_eq!(a, rule_finding_id("r", Some("src\\a.py"), "12"));
    assert_ne!(a, rule_finding_id("r", Some("src/a.py"), "13"));
    assert!(a.starts_with("r@") && a.len() == 18, "{a}");
    assert_eq!(normalise_path("/abs/./x//y"), "abs/x/y");
    let p = Package {
        name: "braces".into(),
        version: "3.0.2".into(),
        purl: Some("pkg:npm/braces@3.0.2?foo=bar".into()),
        ecosystem: None,
        direct: None,
    };
    assert_eq!(package_finding_id("CVE-1", &p), "CVE-1@pkg:npm/braces@3.0.2");
}

#[test]
fn lcov_reports_merge_by_file_and_line() {
    let a =
        provenant_findings::read("a.info", b"SF:src/a.rs\nDA:1,1\nDA:2,0\nDA:3,0\nend_of_record\n").unwrap();
    let b = provenant_findings::read(
        "b.info",
        b"SF:./src/a.rs\nDA:2,5\nDA:4,0\nend_of_record\nSF:src/b.rs\nLF:10\nLH:5\nend_of_record\n",
    )
    .unwrap();
    let mut n = Normalised::new();
    n.add("a.info", "sha256:01", a);
    n.add("b.info", "sha256:02", b);
    n.finish(&[], None);
    let c = n.coverage.unwrap();
    // a.rs: lines 1-4 found, 1 and 2 hit; b.rs: 10 found, 5 hit (summary only).
    assert_eq!((c.files, c.lines_found, c.lines_hit), (2, 14, 7));
    assert!((c.line_rate - 50.0).abs() < 1e-9);
}

#[test]
fn the_normalised_document_matches_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(provenant_testkit::repo_root().join("schemas/findings-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut n = Normalised::new();
    for file in [
        "surefire.xml",
        "jacoco.xml",
        "codeql.sarif",
        "trivy-image.json",
        "openvex.json",
        "npm-audit.json",
    ] {
        let path = fixtures().join("documented").join(file);
        n.add(file, "sha256:00", read_file(&path));
    }
    n.finish(&["pkg:oci/app".to_owned()], None);
    let doc = serde_json::to_value(&n).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
