//! The source-stage attestation: an in-toto Statement v1 whose subject is the range's head commit
//! (`gitCommit` digest) and whose predicate (type [`provenant_attest::predicate::PROVENANT_SOURCE_V1`],
//! schema `schemas/source-v1.schema.json`) records the range, what was required, each check's result on
//! each commit and changed file, and the digests of the files the checks were made against. Signing is
//! the caller's (through `provenant_evidence::Signer`); this module only builds the statement.

use provenant_attest::predicate::PROVENANT_SOURCE_V1;
use provenant_attest::{DigestSet, ResourceDescriptor, Statement};
use serde_json::{Value, json};

use crate::check::{CheckResult, Report};

/// A file a check was made against (allowed signers, keyring, CODEOWNERS, reviews, teams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// What it is: `allowed-signers`, `gpg-keyring`, `codeowners`, `reviews`, `teams`.
    pub role: String,
    /// Its name as given.
    pub name: String,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

fn checks(results: &[CheckResult]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|r| json!({"check": r.check, "status": r.status, "detail": r.detail}))
            .collect(),
    )
}

/// Builds the statement. `repository` is the repository's web address when known; `checked_at` is
/// RFC 3339 (from `SOURCE_DATE_EPOCH` when set); `version` is Provenant's.
#[must_use]
pub fn statement(
    report: &Report,
    repository: Option<&str>,
    inputs: &[InputFile],
    checked_at: &str,
    version: &str,
) -> Statement {
    let mut digest = DigestSet::new();
    digest.insert_unchecked("gitCommit", report.head.clone());
    let subject = ResourceDescriptor {
        name: Some(repository.map_or_else(|| "commit".to_owned(), |r| format!("git+{r}"))),
        uri: None,
        digest,
        content: None,
        download_location: None,
        media_type: None,
        annotations: None,
    };
    let mut inputs: Vec<&InputFile> = inputs.iter().collect();
    inputs.sort_by(|a, b| (&a.role, &a.name).cmp(&(&b.role, &b.name)));
    let predicate = json!({
        "commit": report.head,
        "repository": repository,
        "range": {
            "spec": report.range,
            "base": report.base,
            "head": report.head,
            "mergeBase": report.merge_base,
        },
        "required": report.required,
        "reviewsChecked": report.reviews_checked,
        "result": if report.passed { "pass" } else { "fail" },
        "commits": report.commits.iter().map(|c| json!({
            "id": c.id,
            "subject": c.subject,
            "committer": c.committer,
            "author": c.author,
            "checks": checks(&c.checks),
        })).collect::<Vec<_>>(),
        "files": report.files.iter().map(|f| json!({
            "path": f.path,
            "owners": f.owners,
            "ruleLine": f.rule_line,
            "approvedBy": f.approved_by,
            "checks": checks(&f.checks),
        })).collect::<Vec<_>>(),
        "inputs": inputs.iter().map(|i| json!({
            "role": i.role,
            "name": i.name,
            "digest": {"sha256": i.sha256},
        })).collect::<Vec<_>>(),
        "checkedAt": checked_at,
        "checker": {"name": "provenant", "version": version},
    });
    Statement::new(vec![subject], PROVENANT_SOURCE_V1, predicate)
}
