//! The change record from a real `SQLite` ledger with evidence signed by real keys: only verified
//! evidence of the right role goes in, and the record is canonical JSON whose ledger statement carries it.

use std::sync::Arc;

use provenant_digest::{Algorithm, Digest};
use provenant_env::EnvironmentsFile;
use provenant_env::change_record::{Inputs, generate};
use provenant_evidence::roles::{Holder, Roles};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record;
use provenant_records::approval::Approval;
use provenant_records::promotion::{Outcome, Promotion};
use provenant_sigstore::PublicKey;
use serde_json::json;

fn sign(statement: &serde_json::Value, key: &SigningKey) -> Vec<u8> {
    provenant_sigstore_sign::keyed::sign_statement(key, &serde_json::to_vec(statement).unwrap())
        .unwrap()
        .to_json_v0_3()
        .unwrap()
}

fn about(subject: &Digest, predicate_type: &str, predicate: &serde_json::Value) -> serde_json::Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": subject.hex()}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

fn provenance(commit: &str) -> serde_json::Value {
    json!({
        "buildDefinition": {"buildType": "https://example.com/b", "externalParameters": {},
            "resolvedDependencies": [{"uri": "git+https://git.example.com/app", "digest": {"gitCommit": commit}}]},
        "runDetails": {"builder": {"id": "https://ci.example.com"}}
    })
}

fn bom(packages: &[(&str, &str)]) -> serde_json::Value {
    let components: Vec<serde_json::Value> = packages
        .iter()
        .map(|(n, v)| json!({"type": "library", "name": n, "version": v, "purl": format!("pkg:cargo/{n}@{v}")}))
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components})
}

fn decision(verdict: &str) -> serde_json::Value {
    json!({"decision": verdict, "evaluatedAt": "2026-12-05T10:00:00Z", "gates": [
        {"id": "container", "status": verdict, "findings": [
            {"id": "f1", "severity": "critical", "rule": "CVE-2026-0001", "location": "openssl@3.0.0",
             "message": "remote code execution", "exception": null}],
         "exceptions": []}]})
}

const FILE: &str = "version: 1
roles: roles.yaml
environments:
  - name: dev
    repository: registry.example.com/dev/app
    promote_roles: [ci]
    trigger: on-commit
    requires:
      provenance:
        role: ci
  - name: test
    repository: registry.example.com/test/app
    promote_roles: [ci]
    trigger: on-merge
    strategy: rolling
    requires:
      gate_decision:
        role: ci
";

#[test]
fn only_verified_evidence_of_the_right_role_goes_into_a_canonical_record() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> =
        provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    let [ci, rm, intruder] = [0; 3].map(|_| SigningKey::generate(KeyKind::EcdsaP256).unwrap());
    let holder = |label: &str, key: &SigningKey| Holder::Key {
        label: label.to_owned(),
        key: PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap(),
    };
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        ("release-manager".to_owned(), vec![holder("rm.pub", &rm)]),
    ]);
    let (v1, v2) = (
        Algorithm::Sha256.hash_bytes(b"v1"),
        Algorithm::Sha256.hash_bytes(b"v2"),
    );
    let slsa = "https://slsa.dev/provenance/v1";
    let cdx = "https://cyclonedx.org/bom";
    let gate = "https://provenant.dev/attestation/gate-decision/v1";
    let promotion = Promotion {
        environment: "test".to_owned(),
        outcome: Outcome::Promoted,
        source: None,
        repository: "registry.example.com/test/app".to_owned(),
        previous_environment: Some("dev".to_owned()),
        reasons: vec![],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-12-01T10:00:00Z".to_owned(),
    };
    let approval = |env: &str| Approval {
        environment: env.to_owned(),
        role: "release-manager".to_owned(),
        identity: "rm.pub".to_owned(),
        timestamp: "2026-12-05T11:00:00Z".to_owned(),
        change: None,
        comment: None,
    };
    let signed_record = |statement: provenant_attest::Statement, key: &SigningKey| {
        provenant_sigstore_sign::keyed::sign_statement(key, &statement.to_json())
            .unwrap()
            .to_json_v0_3()
            .unwrap()
    };
    store
        .append(
            &[
                sign(&about(&v1, slsa, &provenance("aaaa")), &ci),
                sign(&about(&v2, slsa, &provenance("bbbb")), &ci),
                // Provenance by someone outside ci: its commit is not taken.
                sign(&about(&v2, slsa, &provenance("ffff")), &intruder),
                signed_record(promotion.to_statement("app", &v1), &ci),
                sign(
                    &about(&v1, cdx, &bom(&[("serde", "1.0.0"), ("libc", "0.2.0")])),
                    &ci,
                ),
                sign(
                    &about(&v2, cdx, &bom(&[("serde", "1.0.1"), ("rand", "0.9.0")])),
                    &ci,
                ),
                sign(&about(&v2, gate, &decision("block")), &ci),
                // A newer passing decision by someone outside ci does not replace it.
                sign(&about(&v2, gate, &decision("pass")), &intruder),
                signed_record(approval("test").to_statement("app", &v2), &rm),
                signed_record(approval("test").to_statement("app", &v2), &intruder),
                signed_record(approval("prod").to_statement("app", &v2), &rm),
            ],
            1,
        )
        .unwrap();
    let environments = EnvironmentsFile::from_yaml("environments.yaml", FILE.as_bytes()).unwrap();
    let inputs = Inputs {
        store: store.as_ref(),
        environments: &environments,
        environment: "test",
        digest: &v2,
        roles: &roles,
        trusted_root: None,
    };
    let record = generate(&inputs).unwrap();
    assert_eq!(record.rollback_target.as_ref().unwrap().digest, v1.to_string());
    assert_eq!(record.commits.spec().as_deref(), Some("aaaa..bbbb"));
    let sbom = record.sbom.as_ref().unwrap();
    assert_eq!(sbom.added[0].purl, "pkg:cargo/rand@0.9.0");
    assert_eq!(sbom.removed[0].purl, "pkg:cargo/libc@0.2.0");
    assert_eq!(sbom.upgraded[0].package, "pkg:cargo/serde");
    let g = record.gate.as_ref().unwrap();
    assert_eq!((g.decision.as_str(), g.signer.as_str()), ("block", "ci.pub"));
    assert_eq!(record.vulnerabilities[0].id, "CVE-2026-0001");
    assert_eq!(record.vulnerabilities[0].severity, "critical");
    assert_eq!(record.approvals.len(), 1, "{:?}", record.approvals);
    assert_eq!(record.approvals[0].identity, "rm.pub");
    assert_eq!(
        serde_json::to_value(record.deployment.strategy).unwrap(),
        json!("rolling")
    );
    assert!(record.changelog.is_none());

    // Canonical: the same ledger gives the same bytes, RFC 8785's form of the record.
    let bytes = record.canonical().unwrap();
    assert_eq!(generate(&inputs).unwrap().canonical().unwrap(), bytes);
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json_canonicalizer::to_vec(&value).unwrap(), bytes);
    assert_eq!(record.digest().unwrap(), Algorithm::Sha256.hash_bytes(&bytes));
    // The ledger statement: about the image, change-record/v1, the record as its predicate.
    let statement: serde_json::Value = serde_json::from_slice(&record.statement("app").unwrap()).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://provenant.dev/attestation/change-record/v1"
    );
    assert_eq!(statement["subject"][0]["digest"]["sha256"], v2.hex());
    assert_eq!(statement["predicate"], value);

    // Into an environment nothing was promoted into: no rollback target, no range, no SBOM changes.
    let first = generate(&Inputs {
        environment: "dev",
        ..inputs
    })
    .unwrap();
    assert!(first.rollback_target.is_none());
    assert_eq!(first.commits.from, None);
    assert_eq!(first.commits.to.as_deref(), Some("bbbb"));
    assert!(first.sbom.is_none());
    assert!(first.approvals.is_empty());
    assert!(
        generate(&Inputs {
            environment: "staging",
            ..inputs
        })
        .is_err()
    );
}
