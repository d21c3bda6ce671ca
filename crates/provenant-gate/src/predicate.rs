//! The decision as in-toto statements: the gate decision (predicate type [`GATE_DECISION_PREDICATE`],
//! schema `schemas/gate-decision-v1.schema.json`) and in-toto's test-result predicate for the tests.

use provenant_attest::{ResourceDescriptor, Statement};
use provenant_findings::{Format, Normalised, TestOutcome};
use serde_json::{Value, json};

use crate::Decision;

/// The gate decision's predicate type.
pub const GATE_DECISION_PREDICATE: &str = "https://provenant.dev/attestation/gate-decision/v1";

/// in-toto's test-result predicate type.
pub const TEST_RESULT_PREDICATE: &str = "https://in-toto.io/attestation/test-result/v0.1";

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
    decision: &Decision,
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
