//! Records round-trip through statements, are written deterministically, and are read strictly.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use provenant_attest::Statement;
use provenant_digest::{Algorithm, Digest};
use provenant_records::approval::{Approval, ChangeRef};
use provenant_records::deployment::{Deployment, Strategy};
use provenant_records::promotion::{Outcome, Promotion, Reason};
use provenant_records::release::{ReleaseHealth, Sli};
use provenant_records::rollback::Rollback;
use provenant_records::{Check, Record, RecordError};

fn digest() -> Digest {
    Algorithm::Sha256.hash_bytes(b"image")
}

fn round_trip<R: Record + PartialEq + std::fmt::Debug>(record: &R) -> Statement {
    let statement = record.to_statement("registry.example.com/app", &digest());
    assert_eq!(statement.predicate_type, R::PREDICATE_TYPE);
    let parsed = Statement::from_json(&statement.to_json()).unwrap();
    assert_eq!(&R::from_statement(&parsed).unwrap(), record);
    assert_eq!(parsed.to_json(), statement.to_json(), "deterministic writing");
    statement
}

fn approval() -> Approval {
    Approval {
        environment: "prod".into(),
        role: "release-manager".into(),
        identity: "alice@example.com".into(),
        timestamp: "2026-12-06T10:00:00Z".into(),
        change: Some(ChangeRef {
            id: Some("CHG0001".into()),
            digest: None,
        }),
        comment: None,
    }
}

#[test]
fn every_record_round_trips() {
    let s = round_trip(&approval());
    assert_eq!(s.predicate["change"]["id"], "CHG0001");
    assert!(s.predicate.get("comment").is_none());
    let s = round_trip(&Promotion {
        environment: "test".into(),
        outcome: Outcome::Refused,
        source: Some("oci:dev@sha256:…".into()),
        repository: "registry.example.com/test/app".into(),
        previous_environment: Some("dev".into()),
        reasons: vec![Reason {
            requirement: "gate-decision".into(),
            message: "no passing gate decision".into(),
        }],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-12-06T10:00:00Z".into(),
    });
    assert_eq!(s.predicate["outcome"], "refused");
    let s = round_trip(&Deployment {
        environment: "prod".into(),
        strategy: Strategy::BlueGreen,
        health: Some(Check::Pass),
        smoke: Some(Check::Fail),
        readiness: None,
        canary_percent: None,
        timestamp: "2026-12-06T10:00:00Z".into(),
    });
    assert_eq!(s.predicate["strategy"], "blue-green");
    assert_eq!(s.predicate["smoke"], "fail");
    round_trip(&Rollback {
        environment: "prod".into(),
        from: "sha256:aa".into(),
        to: "sha256:bb".into(),
        reason: "error rate".into(),
        timestamp: "2026-12-06T10:00:00Z".into(),
    });
    let health = ReleaseHealth {
        environment: "prod".into(),
        window: "10m".into(),
        slis: vec![Sli {
            name: "errors".into(),
            query: "rate(x[5m])".into(),
            before: Some(0.1),
            after: None,
        }],
        timestamp: "2026-12-06T10:00:00Z".into(),
    };
    round_trip(&health);
    assert_eq!(health.missing().len(), 1);
}

#[test]
fn records_are_read_strictly() {
    let statement = approval().to_statement("app", &digest());
    // Another predicate type.
    let mut other = statement.clone();
    other.predicate_type = "https://example.com/other".into();
    assert!(matches!(
        Approval::from_statement(&other),
        Err(RecordError::PredicateType { .. })
    ));
    // An unknown field, named.
    let mut extra = statement.clone();
    extra.predicate["extra"] = serde_json::json!(1);
    let e = Approval::from_statement(&extra).unwrap_err();
    assert!(e.to_string().contains("extra"), "{e}");
    // An empty required value.
    let mut empty = statement;
    empty.predicate["role"] = serde_json::json!(" ");
    assert!(matches!(
        Approval::from_statement(&empty),
        Err(RecordError::Field { field: "role", .. })
    ));
    // A refused promotion without reasons.
    let refused =
        serde_json::json!({"environment": "prod", "outcome": "refused", "repository": "r", "timestamp": "t"});
    let s = Statement::new(
        vec![],
        provenant_attest::predicate::PROVENANT_PROMOTION_V1,
        refused,
    );
    assert!(matches!(
        Promotion::from_statement(&s),
        Err(RecordError::Field { field: "reasons", .. })
    ));
    // A canary share over 100.
    let d = serde_json::json!({"environment": "prod", "strategy": "canary", "canary_percent": 101, "timestamp": "t"});
    let s = Statement::new(vec![], provenant_attest::predicate::PROVENANT_DEPLOYMENT_V1, d);
    assert!(Deployment::from_statement(&s).is_err());
}
