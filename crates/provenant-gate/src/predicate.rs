//! The decision as in-toto statements: the gate decision (predicate type [`GATE_DECISION_PREDICATE`],
//! schema `schemas/gate-decision-v1.schema.json`), in-toto's test-result predicate for the tests, and
//! in-toto's vulns predicate (v0.1) for each vulnerability report.

use provenant_attest::{ResourceDescriptor, Statement};
use provenant_findings::{Finding, Format, Normalised, ScannerInfo, TestOutcome};
use serde_json::{Value, json};

use crate::Decision;

/// The gate decision's predicate type.
pub const GATE_DECISION_PREDICATE: &str = "https://provenant.dev/attestation/gate-decision/v1";

/// in-toto's test-result predicate type.
pub const TEST_RESULT_PREDICATE: &str = "https://in-toto.io/attestation/test-result/v0.1";

/// in-toto's vulns predicate type (v0.1).
pub const VULNS_PREDICATE: &str = provenant_attest::predicate::VULNS_V0_1;

/// A policy file consumed, for the record.
#[derive(Debug, Clone)]
pub struct PolicyRecord {
    /// `platform` or `team`.
    pub kind: &'static str,
    /// Path as given (or `default` for the built-in platform default).
    pub path: String,
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
}

fn digest_set(digest: &str) -> Value {
    match digest.split_once(':') {
        Some((alg, hex)) => json!({ alg: hex }),
        None => json!({}),
    }
}

/// The gate-decision statement about `subjects`. `evaluated_at` is RFC 3339 (UTC).
#[must_use]
pub fn decision_statement(
    subjects: Vec<ResourceDescriptor>,
    decision: &Decision<'_>,
    policies: &[PolicyRecord],
    evaluated_at: &str,
    version: &str,
) -> Statement {
    let mut predicate = serde_json::to_value(decision).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut predicate {
        map.insert(
            "policy".to_owned(),
            Value::Array(
                policies
                    .iter()
                    .map(|p| json!({"kind": p.kind, "path": p.path, "digest": p.digest}))
                    .collect(),
            ),
        );
        map.insert("evaluatedAt".to_owned(), Value::String(evaluated_at.to_owned()));
        map.insert(
            "evaluator".to_owned(),
            json!({"name": "provenant", "version": version}),
        );
    }
    Statement::new(subjects, GATE_DECISION_PREDICATE.to_owned(), predicate)
}

/// in-toto's test-result statement for the test reports among the evidence, when there are any.
#[must_use]
pub fn test_result_statement(subjects: Vec<ResourceDescriptor>, evidence: &Normalised) -> Option<Statement> {
    let tests = evidence.tests.as_ref()?;
    let configuration: Vec<Value> = evidence
        .evidence
        .iter()
        .filter(|e| e.format == Format::Junit)
        .map(|e| json!({"name": e.path, "digest": digest_set(&e.digest)}))
        .collect();
    let failed: Vec<&str> = tests
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, TestOutcome::Failed | TestOutcome::Error))
        .map(|c| c.name.as_str())
        .collect();
    let result = if failed.is_empty() && tests.tests > 0 {
        "PASSED"
    } else {
        "FAILED"
    };
    let predicate = json!({
        "result": result,
        "configuration": configuration,
        "failedTests": failed,
    });
    Some(Statement::new(
        subjects,
        TEST_RESULT_PREDICATE.to_owned(),
        predicate,
    ))
}

/// in-toto's vulns statement (v0.1) for one report: `scanner` (`uri`, `version`, `db` with
/// `lastUpdate`, and `result`, one entry per vulnerability: its `id`, its `severity` as the scanner
/// rated it on the scale `critical`…`info`, and `annotations` naming the package, fixed version, layer,
/// location) and `metadata` (`scanStartedOn`, `scanFinishedOn`). A time the report does
/// not state is `evaluated_at` (RFC 3339), the time the gate read it: an upper bound.
#[must_use]
pub fn vulns_statement(
    subjects: Vec<ResourceDescriptor>,
    findings: &[Finding],
    scanner: &ScannerInfo,
    evaluated_at: &str,
) -> Statement {
    let finished = scanner.created.as_deref().unwrap_or(evaluated_at);
    let result: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut annotation = serde_json::Map::new();
            if let Some(p) = &f.package {
                annotation.insert("package".to_owned(), json!(p.name));
                annotation.insert("installedVersion".to_owned(), json!(p.version));
                if let Some(purl) = &p.purl {
                    annotation.insert("purl".to_owned(), json!(purl));
                }
            }
            if let Some(fixed) = &f.fixed_version {
                annotation.insert("fixedVersion".to_owned(), json!(fixed));
            }
            if !f.aliases.is_empty() {
                annotation.insert("aliases".to_owned(), json!(f.aliases));
            }
            if let Some(layer) = &f.layer {
                annotation.insert("layer".to_owned(), json!(layer));
            }
            if let Some(l) = &f.location {
                annotation.insert("location".to_owned(), json!(l.path));
            }
            annotation.insert("title".to_owned(), json!(f.message));
            json!({
                "id": f.rule,
                "severity": [{"method": f.tool, "score": f.severity.as_str()}],
                "annotations": [Value::Object(annotation)],
            })
        })
        .collect();
    let mut db = serde_json::Map::new();
    if let Some(uri) = &scanner.db_uri {
        db.insert("uri".to_owned(), json!(uri));
    }
    if let Some(version) = &scanner.db_version {
        db.insert("version".to_owned(), json!(version));
    }
    db.insert(
        "lastUpdate".to_owned(),
        json!(scanner.db_updated.as_deref().unwrap_or(finished)),
    );
    let mut out = serde_json::Map::new();
    out.insert("uri".to_owned(), json!(scanner.uri));
    if let Some(version) = &scanner.version {
        out.insert("version".to_owned(), json!(version));
    }
    out.insert("db".to_owned(), Value::Object(db));
    out.insert("result".to_owned(), Value::Array(result));
    let predicate = json!({
        "scanner": Value::Object(out),
        "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
    });
    Statement::new(subjects, VULNS_PREDICATE.to_owned(), predicate)
}
