//! `find_promotion` against a real `SQLite` ledger with records signed by real keys: only a verified
//! `promoted` record for the digest and environment, signed by a role allowed to promote, counts.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use base64::Engine as _;

use provenant_digest::{Algorithm, Digest};
use provenant_env::promoted::{PromotionLookup, UncountedReason, find_promotion};
use provenant_evidence::roles::{Holder, RoleError, Roles, verify_for_role};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record;
use provenant_records::promotion::{Outcome, Promotion, Reason};
use provenant_sigstore::PublicKey;

fn key() -> SigningKey {
    SigningKey::generate(KeyKind::EcdsaP256).unwrap()
}

fn roles(ci: &SigningKey) -> Roles {
    Roles::from([(
        "ci".to_owned(),
        vec![Holder::Key {
            label: "ci.pub".to_owned(),
            key: PublicKey::from_pem(&ci.public_key_pem().unwrap()).unwrap(),
        }],
    )])
}

fn record(environment: &str, outcome: Outcome) -> Promotion {
    Promotion {
        environment: environment.to_owned(),
        outcome,
        source: None,
        repository: format!("registry.example.com/{environment}/app"),
        previous_environment: None,
        reasons: if outcome == Outcome::Refused {
            vec![Reason {
                requirement: "gate-decision".to_owned(),
                message: "no passing gate decision".to_owned(),
            }]
        } else {
            vec![]
        },
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-12-06T10:00:00Z".to_owned(),
    }
}

fn signed(record: &Promotion, subject: &Digest, key: &SigningKey) -> Vec<u8> {
    let statement = record.to_statement("registry.example.com/app", subject);
    provenant_sigstore_sign::keyed::sign_statement(key, &statement.to_json())
        .unwrap()
        .to_json_v0_3()
        .unwrap()
}

fn ledger(dir: &tempfile::TempDir) -> Arc<dyn LedgerStore> {
    let store = provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    store
}

#[test]
fn only_a_verified_promoted_record_for_the_environment_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = ledger(&dir);
    let (ci, intruder) = (key(), key());
    let roles = roles(&ci);
    let ci_role = ["ci".to_owned()];
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let other_image = Algorithm::Sha256.hash_bytes(b"other image");

    // Nothing yet.
    let lookup = find_promotion(store.as_ref(), &image, "test", &roles, &ci_role, None).unwrap();
    assert!(matches!(lookup, PromotionLookup::NotPromoted { ref uncounted } if uncounted.is_empty()));

    // A refused attempt, a promotion signed by someone outside the role, a promotion into another
    // environment and a promotion of another digest: none counts.
    store
        .append(
            &[
                signed(&record("test", Outcome::Refused), &image, &ci),
                signed(&record("test", Outcome::Promoted), &image, &intruder),
                signed(&record("uat", Outcome::Promoted), &image, &ci),
                signed(&record("test", Outcome::Promoted), &other_image, &ci),
            ],
            1,
        )
        .unwrap();
    let PromotionLookup::NotPromoted { uncounted } =
        find_promotion(store.as_ref(), &image, "test", &roles, &ci_role, None).unwrap()
    else {
        panic!("promoted without a verified record")
    };
    assert_eq!(uncounted.len(), 2, "{uncounted:?}");
    assert!(matches!(uncounted[0].reason, UncountedReason::Unverified(_)));
    assert!(
        uncounted[0]
            .to_string()
            .contains("not by a role allowed to promote")
    );
    assert!(matches!(uncounted[1].reason, UncountedReason::Refused(_)));
    assert!(uncounted[1].to_string().contains("gate-decision"));

    // The real promotion counts, and is named with its signer.
    store
        .append(&[signed(&record("test", Outcome::Promoted), &image, &ci)], 2)
        .unwrap();
    let PromotionLookup::Promoted(found) =
        find_promotion(store.as_ref(), &image, "test", &roles, &ci_role, None).unwrap()
    else {
        panic!("a verified promotion was not found")
    };
    assert_eq!(found.index, 4);
    assert_eq!(found.signed.signer, "ci.pub");
    assert_eq!(found.record.environment, "test");

    // A role that names no holder, or none at all, never counts.
    assert!(find_promotion(store.as_ref(), &image, "test", &roles, &[], None).is_err());
    let PromotionLookup::NotPromoted { uncounted } = find_promotion(
        store.as_ref(),
        &image,
        "test",
        &roles,
        &["release-manager".to_owned()],
        None,
    )
    .unwrap() else {
        panic!("counted for a role the roles file does not name")
    };
    assert!(
        uncounted
            .iter()
            .all(|u| matches!(u.reason, UncountedReason::Unverified(_)))
    );
}

#[test]
fn a_record_does_not_verify_for_another_subject() {
    let ci = key();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let bundle = signed(&record("prod", Outcome::Promoted), &image, &ci);
    let roles = roles(&ci);
    assert!(verify_for_role(&bundle, &image, &roles, "ci", None).is_ok());
    let other = Algorithm::Sha256.hash_bytes(b"other");
    let err = verify_for_role(&bundle, &other, &roles, "ci", None).unwrap_err();
    assert!(matches!(err, RoleError::NotSigned { .. }), "{err}");
    // A tampered bundle (another predicate in the payload) does not verify either.
    let mut tampered: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    let other_record = record("prod", Outcome::Refused).to_statement("app", &image);
    tampered["dsseEnvelope"]["payload"] =
        serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(other_record.to_json()));
    let err = verify_for_role(
        &serde_json::to_vec(&tampered).unwrap(),
        &image,
        &roles,
        "ci",
        None,
    )
    .unwrap_err();
    assert!(matches!(err, RoleError::NotSigned { .. }), "{err}");
    let text = String::from_utf8(bundle).unwrap();
    assert!(matches!(
        verify_for_role(b"not json", &image, &roles, "ci", None),
        Err(RoleError::Bundle(_))
    ));
    assert!(matches!(
        verify_for_role(text.as_bytes(), &image, &roles, "nobody", None),
        Err(RoleError::UnknownRole { .. })
    ));
}
