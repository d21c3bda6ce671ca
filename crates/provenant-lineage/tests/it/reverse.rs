//! Reverse queries over a ledger holding several releases, packages and vulnerabilities: each answer is
//! checked against the evidence the test appended.

use provenant_digest::{Algorithm, Digest};
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::sqlite::SqliteStore;
use provenant_lineage::reverse::{Needle, find};
use provenant_lineage::version::PurlQuery;
use serde_json::{Value, json};

fn statement(subjects: &[(&str, &Digest)], predicate_type: &str, predicate: &Value) -> Vec<u8> {
    let subject: Vec<Value> = subjects
        .iter()
        .map(|(n, d)| json!({"name": n, "digest": {"sha256": d.hex()}}))
        .collect();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap()
}

/// One release: a binary built from `commit`, packaged into an image, its SBOM, its gate decision.
struct Release {
    binary: Digest,
    image: Digest,
}

fn release(store: &SqliteStore, n: u8, commit: &str, purls: &[&str], cves: &[&str], time: u64) -> Release {
    let binary = Algorithm::Sha256.hash_bytes(format!("binary {n}").as_bytes());
    let image = Algorithm::Sha256.hash_bytes(format!("image {n}").as_bytes());
    let build = statement(
        &[("app", &binary)],
        "https://slsa.dev/provenance/v1",
        &json!({"buildDefinition": {"buildType": "https://example.com/build", "resolvedDependencies": [
            {"uri": "git+https://example.com/app", "digest": {"gitCommit": commit}}]},
            "runDetails": {"builder": {"id": "https://ci.example.com"}}}),
    );
    let packaging = statement(
        &[("registry.example.com/app", &image)],
        "https://slsa.dev/provenance/v1",
        &json!({"buildDefinition": {"buildType": "https://github.com/provenant-dev/provenant/buildtypes/oci-image/v1",
            "resolvedDependencies": [{"name": "usr/bin/app", "digest": {"sha256": binary.hex()}}]},
            "runDetails": {"builder": {"id": "https://ci.example.com"}}}),
    );
    let components: Vec<Value> = purls
        .iter()
        .map(|p| json!({"type": "library", "name": "x", "purl": p}))
        .collect();
    let sbom = statement(
        &[("registry.example.com/app", &image)],
        "https://cyclonedx.org/bom",
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components}),
    );
    let findings: Vec<Value> = cves
        .iter()
        .map(|c| json!({"id": format!("f-{c}"), "severity": "high", "rule": c, "location": null, "message": "m", "exception": null}))
        .collect();
    let gate = statement(
        &[("registry.example.com/app", &image)],
        "https://provenant.dev/attestation/gate-decision/v1",
        &json!({"decision": "pass", "gates": [{"id": "vulnerabilities", "status": "pass", "value": 0, "threshold": 0, "findings": findings, "exceptions": []}], "backlog": [], "evidence": [], "policy": [], "evaluatedAt": "2026-01-01T00:00:00Z", "evaluator": {"name": "provenant", "version": "0"}}),
    );
    store.append(&[build, packaging, sbom, gate], time).unwrap();
    Release { binary, image }
}

fn deploy(store: &SqliteStore, image: &Digest, environment: &str, time: u64) {
    let d = statement(
        &[("registry.example.com/app", image)],
        "https://provenant.dev/attestation/deployment/v1",
        &json!({"environment": environment, "strategy": "rolling", "timestamp": "2026-01-01T00:00:00Z"}),
    );
    store.append(&[d], time).unwrap();
}

fn promote(store: &SqliteStore, image: &Digest, environment: &str, time: u64) {
    let p = statement(
        &[("registry.example.com/app", image)],
        "https://provenant.dev/attestation/promotion/v1",
        &json!({"environment": environment, "outcome": "promoted", "repository": format!("registry.example.com/{environment}/app"), "reasons": [], "evidence": [], "timestamp": "2026-01-01T00:00:00Z"}),
    );
    store.append(&[p], time).unwrap();
}

const C1: &str = "1111111111111111111111111111111111111111";
const C2: &str = "2222222222222222222222222222222222222222";
const C3: &str = "3333333333333333333333333333333333333333";

fn ledger() -> (tempfile::TempDir, SqliteStore, [Release; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ledger.db")).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    let r1 = release(
        &store,
        1,
        C1,
        &["pkg:npm/lodash@4.17.20", "pkg:npm/express@4.18.0"],
        &["CVE-2021-23337"],
        100,
    );
    let r2 = release(
        &store,
        2,
        C2,
        &["pkg:npm/lodash@4.17.21", "pkg:pypi/django@4.2.9"],
        &["CVE-2024-0001"],
        200,
    );
    let r3 = release(
        &store,
        3,
        C3,
        &["pkg:npm/lodash-es@4.17.20", "pkg:pypi/django@4.2.10"],
        &[],
        300,
    );
    for r in [&r1, &r2] {
        promote(&store, &r.image, "dev", 400);
    }
    deploy(&store, &r1.image, "prod", 500);
    deploy(&store, &r2.image, "staging", 600);
    deploy(&store, &r2.image, "prod", 700);
    (dir, store, [r1, r2, r3])
}

fn digests(report: &provenant_lineage::reverse::WhereReport) -> Vec<String> {
    report.artefacts.iter().map(|a| a.digest.clone()).collect()
}

#[test]
fn a_purl_range_finds_only_the_images_with_a_version_inside_it() {
    let (_d, store, [r1, r2, _r3]) = ledger();
    let report = find(
        &store,
        &Needle::Purl(PurlQuery::parse("pkg:npm/lodash@<4.17.21").unwrap()),
    )
    .unwrap();
    // Only release 1 has lodash below 4.17.21 (release 3 has lodash-es, another package).
    assert_eq!(digests(&report), [r1.image.to_string()]);
    let a = &report.artefacts[0];
    assert_eq!(a.via.len(), 1);
    assert_eq!(a.via[0].matched, "pkg:npm/lodash@4.17.20");
    // It was deployed to prod, but release 2 replaced it there.
    assert_eq!(a.deployed.len(), 1);
    assert_eq!(a.deployed[0].environment, "prod");
    assert!(!a.deployed[0].now);
    assert_eq!(a.promoted.len(), 1);
    assert_eq!(a.promoted[0].environment, "dev");

    let every = find(&store, &Needle::Purl(PurlQuery::parse("pkg:npm/lodash").unwrap())).unwrap();
    let mut want = vec![r1.image.to_string(), r2.image.to_string()];
    want.sort();
    assert_eq!(digests(&every), want);

    let django = find(
        &store,
        &Needle::Purl(PurlQuery::parse("pkg:pypi/django@>=4.2,<4.2.10").unwrap()),
    )
    .unwrap();
    assert_eq!(digests(&django), [r2.image.to_string()]);
    let now: Vec<(&str, bool, u64)> = django.artefacts[0]
        .deployed
        .iter()
        .map(|r| (r.environment.as_str(), r.now, r.since))
        .collect();
    assert_eq!(now, [("prod", true, 700), ("staging", true, 600)]);
}

#[test]
fn a_cve_finds_the_images_whose_gate_decision_names_it() {
    let (_d, store, [r1, _r2, _r3]) = ledger();
    let report = find(&store, &Needle::Cve("CVE-2021-23337".into())).unwrap();
    assert_eq!(digests(&report), [r1.image.to_string()]);
    assert_eq!(
        report.artefacts[0].via[0].predicate_type,
        "https://provenant.dev/attestation/gate-decision/v1"
    );
    assert!(
        find(&store, &Needle::Cve("CVE-1999-0001".into()))
            .unwrap()
            .artefacts
            .is_empty()
    );
}

#[test]
fn a_commit_finds_its_binary_and_the_image_that_packages_it() {
    let (_d, store, [_r1, r2, _r3]) = ledger();
    let report = find(&store, &Needle::Commit(C2.into())).unwrap();
    let mut want = vec![r2.binary.to_string(), r2.image.to_string()];
    want.sort();
    assert_eq!(digests(&report), want);
    let binary = report
        .artefacts
        .iter()
        .find(|a| a.digest == r2.binary.to_string())
        .unwrap();
    assert_eq!(binary.contained_in, [r2.image.to_string()]);
    let image = report
        .artefacts
        .iter()
        .find(|a| a.digest == r2.image.to_string())
        .unwrap();
    assert!(image.deployed.iter().all(|r| r.now));
}

#[test]
fn a_file_digest_finds_the_image_packaging_it() {
    let (_d, store, [_r1, _r2, r3]) = ledger();
    let report = find(&store, &Needle::File(r3.binary)).unwrap();
    let binary = report
        .artefacts
        .iter()
        .find(|a| a.digest == r3.binary.to_string())
        .unwrap();
    assert_eq!(binary.contained_in, [r3.image.to_string()]);
    let image = report
        .artefacts
        .iter()
        .find(|a| a.digest == r3.image.to_string())
        .unwrap();
    assert!(image.deployed.is_empty(), "release 3 was never deployed");
}
