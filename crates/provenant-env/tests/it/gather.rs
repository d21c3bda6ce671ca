//! The evidence of a promotion gathered from a real `SQLite` ledger holding bundles signed by real keys,
//! then evaluated: what verifies for its role counts, the rest is reported with why.

use std::sync::Arc;

use provenant_attest::{ResourceDescriptor, Statement};
use provenant_digest::{Algorithm, Digest};
use provenant_env::config::EnvironmentsFile;
use provenant_env::gather::gather;
use provenant_env::init::default_yaml;
use provenant_env::requirements::{Duty, Reason, Rejection, Requirement, evaluate};
use provenant_evidence::roles::{Holder, Roles};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record as _;
use provenant_records::approval::Approval;
use provenant_records::promotion::{Outcome, Promotion};
use provenant_sigstore::PublicKey;

const NOW: i64 = 1_780_000_000;

fn holder(label: &str, key: &SigningKey) -> Holder {
    Holder::Key {
        label: label.to_owned(),
        key: PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap(),
    }
}

fn sign(statement: &Statement, key: &SigningKey) -> Vec<u8> {
    provenant_sigstore_sign::keyed::sign_statement(key, &statement.to_json())
        .unwrap()
        .to_json_v0_3()
        .unwrap()
}

fn about(subject: &Digest, predicate_type: &str, predicate: serde_json::Value) -> Statement {
    Statement::new(
        vec![ResourceDescriptor::for_digest(
            "registry.example.com/app",
            subject,
        )],
        predicate_type,
        predicate,
    )
}

fn approval(env: &str, role: &str) -> Approval {
    Approval {
        environment: env.to_owned(),
        role: role.to_owned(),
        identity: "someone".to_owned(),
        timestamp: "2026-05-28T20:00:00Z".to_owned(),
        change: None,
        comment: None,
    }
}

fn promotion(env: &str) -> Promotion {
    Promotion {
        environment: env.to_owned(),
        outcome: Outcome::Promoted,
        source: None,
        repository: format!("r/{env}/app"),
        previous_environment: None,
        reasons: vec![],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-05-28T19:00:00Z".to_owned(),
    }
}

#[test]
fn prod_evidence_from_the_ledger_counts_only_what_verifies_for_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> =
        provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    let new_key = || SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (ci, rm, rm2, developer) = (new_key(), new_key(), new_key(), new_key());
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        (
            "release-manager".to_owned(),
            vec![
                holder("rm.pub", &rm),
                holder("rm2.pub", &rm2),
                holder("ci.pub", &ci),
            ],
        ),
        ("developer".to_owned(), vec![holder("dev.pub", &developer)]),
    ]);
    let file =
        EnvironmentsFile::from_yaml("f", default_yaml("r/{env}/app", "roles.yaml").unwrap().as_bytes())
            .unwrap();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let other = Algorithm::Sha256.hash_bytes(b"other");
    let slsa = provenant_attest::predicate::SLSA_PROVENANCE_V1;
    let gate = provenant_attest::predicate::PROVENANT_GATE_DECISION_V1;

    // Nothing in the ledger: every requirement of prod fails, each named.
    let (index, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    let e = evaluate(&file, index, &inputs).unwrap();
    let failing: Vec<&str> = e.failures().map(|(r, _)| r.name()).collect();
    assert_eq!(failing, ["previous-environment", "gate-decision", "approvals"]);

    store
        .append(
            &[
                sign(&about(&image, slsa, serde_json::json!({})), &ci),
                sign(
                    &about(
                        &image,
                        gate,
                        serde_json::json!({"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T19:00:00Z"}),
                    ),
                    &ci,
                ),
                // A gate decision signed outside the role does not count.
                sign(
                    &about(
                        &image,
                        gate,
                        serde_json::json!({"decision": "block", "gates": [{"id": "tests", "status": "block"}], "evaluatedAt": "2026-05-28T20:00:00Z"}),
                    ),
                    &developer,
                ),
                sign(&promotion("uat").to_statement("r/uat/app", &image), &ci),
                // Approvals: by the builder (ci also holds release-manager), by a developer claiming
                // release-manager, for another environment, for another digest, and the good one.
                sign(
                    &approval("prod", "release-manager").to_statement("r", &image),
                    &ci,
                ),
                sign(
                    &approval("prod", "release-manager").to_statement("r", &image),
                    &developer,
                ),
                sign(
                    &approval("uat", "release-manager").to_statement("r", &image),
                    &rm2,
                ),
                sign(
                    &approval("prod", "release-manager").to_statement("r", &other),
                    &rm2,
                ),
                sign(
                    &approval("prod", "release-manager").to_statement("r", &image),
                    &rm,
                ),
            ],
            1,
        )
        .unwrap();
    let (_, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    assert_eq!(inputs.gate_unverified, 1);
    let e = evaluate(&file, index, &inputs).unwrap();
    assert!(e.holds(), "{:?}", e.failures().collect::<Vec<_>>());
    let verdicts: Vec<(String, bool, Option<Rejection>)> = e
        .approvals
        .iter()
        .map(|a| (a.identity.clone(), a.counts, a.rejection.clone()))
        .collect();
    assert_eq!(verdicts.len(), 4, "{verdicts:?}");
    assert_eq!(
        verdicts[0].2,
        Some(Rejection::SeparationOfDuties {
            signer: "ci.pub".into(),
            duty: Duty::BuildSigner
        })
    );
    assert_eq!(
        verdicts[1].2,
        Some(Rejection::RoleNotHeld {
            signer: "dev.pub".into(),
            role: "release-manager".into()
        })
    );
    assert_eq!(
        verdicts[2].2,
        Some(Rejection::OtherEnvironment {
            environment: "uat".into()
        })
    );
    assert_eq!((verdicts[3].0.as_str(), verdicts[3].1), ("rm.pub", true));

    // A newer blocking decision signed by ci makes prod fail on the gate alone.
    store
        .append(
            &[sign(
                &about(
                    &image,
                    gate,
                    serde_json::json!({"decision": "block", "gates": [{"id": "tests", "status": "block"}], "evaluatedAt": "2026-05-28T20:10:00Z"}),
                ),
                &ci,
            )],
            2,
        )
        .unwrap();
    let (_, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    let e = evaluate(&file, index, &inputs).unwrap();
    let failures: Vec<(&Requirement, &Reason)> = e.failures().collect();
    assert_eq!(failures.len(), 1);
    assert!(matches!(failures[0].1, Reason::GateDecisionFailed { .. }));

    // A newer "pass" signed by ci but without its gates is no decision (as lineage reads it): it is
    // counted as unreadable, and the blocking decision still stands.
    store
        .append(
            &[sign(
                &about(
                    &image,
                    gate,
                    serde_json::json!({"decision": "pass", "evaluatedAt": "2026-05-28T20:20:00Z"}),
                ),
                &ci,
            )],
            3,
        )
        .unwrap();
    let (_, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    assert_eq!(inputs.gate_unverified, 2);
    let e = evaluate(&file, index, &inputs).unwrap();
    let failures: Vec<(&Requirement, &Reason)> = e.failures().collect();
    assert_eq!(failures.len(), 1);
    assert!(matches!(failures[0].1, Reason::GateDecisionFailed { .. }));

    // dev is entered by the provenance; test needs the promotion into dev, which is not recorded.
    let (dev, inputs) = gather(store.as_ref(), &file, "dev", &image, &roles, None, NOW).unwrap();
    assert!(evaluate(&file, dev, &inputs).unwrap().holds());
    let (test, inputs) = gather(store.as_ref(), &file, "test", &image, &roles, None, NOW).unwrap();
    let e = evaluate(&file, test, &inputs).unwrap();
    assert!(matches!(
        e.failures().next(),
        Some((Requirement::PreviousEnvironment { environment }, _)) if environment == "dev"
    ));
    assert!(gather(store.as_ref(), &file, "staging", &image, &roles, None, NOW).is_err());
}

#[test]
fn a_tested_rollback_counts_only_when_verified_for_a_promote_role_and_for_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LedgerStore> =
        provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    let (ci, developer) = (
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
    );
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        ("developer".to_owned(), vec![holder("dev.pub", &developer)]),
    ]);
    let yaml = default_yaml("r/{env}/app", "roles.yaml")
        .unwrap()
        .replace("      # rollback_tested: true", "      rollback_tested: true");
    let file = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let rollback = provenant_attest::predicate::PROVENANT_ROLLBACK_V1;
    let record = |env: &str| serde_json::json!({"environment": env, "from": "sha256:aa", "to": "sha256:bb", "reason": "drill", "timestamp": "2026-05-28T19:00:00Z"});
    let recorded = |store: &dyn LedgerStore| {
        gather(store, &file, "prod", &image, &roles, None, NOW)
            .unwrap()
            .1
            .rollback_recorded
    };
    store
        .append(
            &[
                sign(&about(&image, rollback, record("prod")), &developer),
                sign(&about(&image, rollback, record("uat")), &ci),
            ],
            1,
        )
        .unwrap();
    assert!(!recorded(store.as_ref()));
    store
        .append(&[sign(&about(&image, rollback, record("prod")), &ci)], 2)
        .unwrap();
    assert!(recorded(store.as_ref()));
}
