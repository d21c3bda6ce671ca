//! The check report as SARIF 2.1.0, one run, one rule per check, one result per failing check. A changed
//! file's result is located at the file (relative to `SRCROOT`, the repository); a commit's result at the
//! commit, as a logical location of kind `commit`. Every failing result (an unsupported signature
//! included) is an error. Commits and files appear in the report's order.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::check::{Report, Status};

/// The rules, in the order `ruleIndex` counts them.
pub const RULES: &[(&str, &str)] = &[
    (
        "conventional",
        "The commit message follows Conventional Commits 1.0.",
    ),
    (
        "signed",
        "The commit is signed by a key its committer may sign with.",
    ),
    ("owned", "The changed file has an owner under CODEOWNERS."),
    (
        "approved",
        "A code owner of the changed file approved the head commit.",
    ),
];

fn rule_index(check: &str) -> usize {
    RULES.iter().position(|(id, _)| *id == check).unwrap_or(0)
}

/// Percent-encodes what a URI path must not hold raw.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The SARIF document. `root_uri` is the repository directory's `file://` URI and `repository` its web
/// address, when known.
#[must_use]
pub fn document(report: &Report, root_uri: Option<&str>, repository: Option<&str>, version: &str) -> Value {
    let mut results = Vec::new();
    for commit in &report.commits {
        for r in commit.checks.iter().filter(|r| r.status != Status::Pass) {
            results.push(json!({
                "ruleId": r.check,
                "ruleIndex": rule_index(r.check),
                "level": "error",
                "message": {"text": format!("{} {}: {}", commit.short_id, commit.subject, r.detail)},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": commit.id, "name": commit.short_id, "kind": "commit"}]}],
                "partialFingerprints": {"provenantSource/v1": format!("{}:{}", r.check, commit.id)},
            }));
        }
    }
    for file in &report.files {
        for r in file.checks.iter().filter(|r| r.status != Status::Pass) {
            results.push(json!({
                "ruleId": r.check,
                "ruleIndex": rule_index(r.check),
                "level": "error",
                "message": {"text": format!("{}: {}", file.path, r.detail)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri_path(&file.path), "uriBaseId": "SRCROOT"}}}],
                "partialFingerprints": {"provenantSource/v1": format!("{}:{}:{}", r.check, report.head, file.path)},
            }));
        }
    }
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, text)| json!({"id": id, "shortDescription": {"text": text}, "defaultConfiguration": {"level": "error"}}))
        .collect();
    let mut run = serde_json::Map::new();
    run.insert(
        "tool".into(),
        json!({"driver": {
            "name": "provenant source check",
            "version": version,
            "informationUri": "https://github.com/provenant-dev/provenant",
            "rules": rules,
        }}),
    );
    if let Some(root) = root_uri {
        run.insert("originalUriBaseIds".into(), json!({"SRCROOT": {"uri": root}}));
    }
    if let Some(repository) = repository {
        run.insert(
            "versionControlProvenance".into(),
            json!([{"repositoryUri": repository, "revisionId": report.head}]),
        );
    }
    run.insert("results".into(), Value::Array(results));
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [Value::Object(run)],
    })
}
