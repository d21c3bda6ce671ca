//! Hostile and broken input: errors name the file and the line or JSON path; nothing panics; depth is
//! never recursed on.

use provenant_findings::{ReadErrorKind, detect, read};

#[test]
fn unrecognised_input_names_the_file() {
    let err = read("notes.txt", b"hello").unwrap_err();
    assert_eq!(err.file, "notes.txt");
    assert_eq!(err.kind, ReadErrorKind::Unrecognised);
    assert!(read("x.json", br#"{"a": 1}"#).is_err());
    assert!(read("empty", b"").is_err());
}

#[test]
fn broken_json_names_line_and_column() {
    let err = read(
        "report.sarif",
        b"{\n  \"version\": \"2.1.0\",\n  \"runs\": [\n  }",
    )
    .unwrap_err();
    let ReadErrorKind::Json { line, .. } = err.kind else {
        panic!("{err}")
    };
    assert_eq!(line, 4);
    assert!(
        err.to_string().starts_with("report.sarif: line 4, column"),
        "{err}"
    );
}

#[test]
fn wrong_field_type_names_the_json_path() {
    let sarif = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r", "level": "fatal"}]}]}"#;
    let err = read("a.sarif", sarif).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.sarif: $.runs[0].results[0].level: expected none, note, warning or error"
    );
    let trivy = br#"{"SchemaVersion": 2, "ArtifactName": ".", "Results": [{"Target": "x", "Vulnerabilities": [{"PkgName": "a"}]}]}"#;
    let err = read("t.json", trivy).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.json: $.Results[0].Vulnerabilities[0].VulnerabilityID: expected a string"
    );
    let gitleaks = br#"[{"RuleID": "x", "File": "a", "StartLine": "two"}]"#;
    let err = read("g.json", gitleaks).unwrap_err();
    assert_eq!(
        err.to_string(),
        "g.json: $[0].StartLine: expected a non-negative integer"
    );
}

#[test]
fn broken_xml_names_the_line() {
    let err = read(
        "junit.xml",
        b"<testsuites>\n<testsuite>\n<testcase name=\"a\">\n</testsuites>",
    )
    .unwrap_err();
    let ReadErrorKind::Xml { line, .. } = err.kind else {
        panic!("{err}")
    };
    assert_eq!(line, 4);
    let err = read("cov.xml", b"<coverage>\n<packages><package><classes>\n<class filename=\"a.py\"><lines><line number=\"x\" hits=\"1\"/></lines></class></classes></package></packages></coverage>").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cov.xml: line 3: <line> attribute number is not a number"
    );
}

#[test]
fn broken_lcov_names_the_line() {
    let err = read("lcov.info", b"TN:\nSF:a.rs\nDA:1,1\nDA:two,1\nend_of_record\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "lcov.info: line 4: the DA line number is not a number"
    );
}

#[test]
fn billion_laughs_is_refused() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE testsuites [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<testsuites><testcase name="&h;"/></testsuites>"#;
    let err = read("laughs.xml", xml).unwrap_err();
    assert!(matches!(err.kind, ReadErrorKind::Xml { .. }), "{err}");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 200_000;
    let mut xml = String::from("<testsuites>");
    xml.push_str(&"<testsuite>".repeat(depth));
    xml.push_str("<testcase name=\"deep\"/>");
    xml.push_str(&"</testsuite>".repeat(depth));
    xml.push_str("</testsuites>");
    let provenant_findings::Evidence::Tests(r) = read("deep.xml", xml.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(r.tests, 1);
    let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(read("deep.json", json.as_bytes()).is_err());
    assert_eq!(detect(json.as_bytes()), None);
}

#[test]
fn arbitrary_prefixes_of_real_reports_never_panic() {
    let dir = crate::fixtures().join("documented");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = read("cut", &bytes[..cut]);
            let _ = detect(&bytes[..cut]);
        }
    }
}
