//! provenant-gate: the policy and team levels, evaluation and the severity response, exceptions signed
//! with real keys, custom Rego rules, and the decision's statement and SARIF forms against their schemas.
// Test helpers fail the test loudly like the tests themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::doc_markdown,
    clippy::float_cmp,
    clippy::many_single_char_names
)]

mod evaluate;
mod exceptions;
mod policy;
mod rego;

use std::path::PathBuf;

use provenant_findings::Normalised;
use provenant_gate::evaluate::{CustomResult, ExceptionInput};
use provenant_gate::{Context, Decision, Policy, Subject};

pub(crate) fn findings_fixture(name: &str) -> PathBuf {
    provenant_testkit::repo_root()
        .join("crates/provenant-findings/tests/fixtures/documented")
        .join(name)
}

/// Normalised evidence from inline documents (name, bytes).
pub(crate) fn evidence(files: &[(&str, &[u8])]) -> Normalised {
    let mut n = Normalised::new();
    for (name, bytes) in files {
        let e = provenant_findings::read(name, bytes).unwrap();
        n.add(
            name,
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            e,
        );
    }
    n.finish(&[], None);
    n
}

pub(crate) const PASSING_JUNIT: &[u8] =
    b"<testsuites><testsuite><testcase classname=\"a\" name=\"t1\"/><testcase classname=\"a\" name=\"t2\"/></testsuite></testsuites>";
pub(crate) const GOOD_LCOV: &[u8] = b"SF:src/a.rs\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nDA:5,0\nend_of_record\n";

/// A SARIF run of `tool` with (rule, level, path, line) results.
pub(crate) fn sarif(tool: &str, results: &[(&str, &str, &str, u64)]) -> Vec<u8> {
    let results: Vec<_> = results
        .iter()
        .map(|(rule, level, path, line)| {
            serde_json::json!({"ruleId": rule, "level": level, "message": {"text": format!("{rule} here")},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": line}}}]})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": tool}}, "results": results}]}))
        .unwrap()
}

/// Evidence for every gate, all clean.
pub(crate) fn clean_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("junit.xml".into(), PASSING_JUNIT.to_vec()),
        ("lcov.info".into(), GOOD_LCOV.to_vec()),
        ("semgrep.sarif".into(), sarif("Semgrep OSS", &[])),
        ("eslint.sarif".into(), sarif("ESLint", &[])),
        ("hygiene.sarif".into(), sarif("provenant-scan-hygiene", &[])),
        ("pinning.sarif".into(), sarif("provenant-scan-pinning", &[])),
        ("gitleaks.json".into(), b"[]".to_vec()),
        ("osv.json".into(), br#"{"results": []}"#.to_vec()),
    ]
}

pub(crate) fn normalised(files: &[(String, Vec<u8>)]) -> Normalised {
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    evidence(&borrowed)
}

pub(crate) fn decide(
    n: &Normalised,
    policy: &Policy,
    exceptions: &[ExceptionInput],
    custom: &[CustomResult],
) -> Decision<'static> {
    let subject = Subject::default();
    provenant_gate::evaluate(&Context {
        evidence: n,
        policy,
        subject: &subject,
        exceptions,
        today: provenant_gate::exception::parse_date("2026-06-01").unwrap(),
        custom,
    })
    .into_owned()
}
