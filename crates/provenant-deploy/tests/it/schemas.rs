//! The records this crate writes (through `provenant-records`) satisfy the schemas in `schemas/`, and
//! the schemas refuse what the records refuse.

use provenant_digest::Digest;
use provenant_records::Record as _;
use provenant_records::deployment::{Deployment, Strategy};
use provenant_records::release::{ReleaseHealth, Sli};
use provenant_records::rollback::Rollback;

fn schema(name: &str) -> jsonschema::Validator {
    let path = provenant_testkit::repo_root().join("schemas").join(name);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&doc)
        .unwrap()
}

fn digest(c: char) -> Digest {
    format!("sha256:{}", c.to_string().repeat(64)).parse().unwrap()
}

fn statement_json(s: &provenant_attest::Statement) -> serde_json::Value {
    serde_json::from_slice(&s.to_json()).unwrap()
}

#[test]
fn deployment_records_satisfy_their_schema() {
    let d = Deployment {
        environment: "prod".to_owned(),
        strategy: Strategy::Canary,
        health: Some(provenant_records::Check::Pass),
        smoke: None,
        readiness: Some(provenant_records::Check::Fail),
        canary_percent: Some(10),
        timestamp: "2026-12-06T14:00:00Z".to_owned(),
    };
    let v = schema("deployment-v1.schema.json");
    let mut doc = statement_json(&d.to_statement("registry.example/app", &digest('a')));
    assert!(v.is_valid(&doc), "{doc}");
    doc["predicate"]["strategy"] = "big-bang".into();
    assert!(!v.is_valid(&doc));
}

#[test]
fn rollback_records_satisfy_their_schema() {
    let r = Rollback {
        environment: "prod".to_owned(),
        from: digest('b').to_string(),
        to: digest('a').to_string(),
        reason: "error rate".to_owned(),
        timestamp: "2026-12-06T14:00:00Z".to_owned(),
    };
    let v = schema("rollback-v1.schema.json");
    let mut doc = statement_json(&r.to_statement("registry.example/app", &digest('a')));
    assert!(v.is_valid(&doc), "{doc}");
    doc["predicate"]["to"] = "latest".into();
    assert!(!v.is_valid(&doc));
}

#[test]
fn release_health_records_satisfy_their_schema() {
    let r = ReleaseHealth {
        environment: "prod".to_owned(),
        window: "10m".to_owned(),
        slis: vec![
            Sli {
                name: "error_ratio".to_owned(),
                query: "sum(a)/sum(b)".to_owned(),
                before: Some(0.01),
                after: Some(0.02),
            },
            Sli {
                name: "queue".to_owned(),
                query: "sum(q)".to_owned(),
                before: None,
                after: None,
            },
        ],
        timestamp: "2026-12-06T14:00:00Z".to_owned(),
    };
    let v = schema("release-health-v1.schema.json");
    let mut doc = statement_json(&r.to_statement("registry.example/app", &digest('a')));
    assert!(v.is_valid(&doc), "{doc}");
    doc["predicate"]["slis"][1]["before"] = serde_json::Value::Null;
    assert!(!v.is_valid(&doc), "a missing value is absent, never null");
}
