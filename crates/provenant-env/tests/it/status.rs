//! `env status` from a real `SQLite` ledger with records signed by real keys: the newest verified
//! promotion into each environment, config drift, and images no record accounts for.

use std::sync::Arc;

use provenant_digest::{Algorithm, Digest};
use provenant_env::EnvironmentsFile;
use provenant_env::inventory::{Inventory, InventoryError, Listed};
use provenant_env::status::{Drift, Sources, status};
use provenant_evidence::roles::{Holder, Roles};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record;
use provenant_records::promotion::{Outcome, Promotion};
use provenant_sigstore::PublicKey;

/// A repository listing given by the test.
struct Fixed(Vec<(String, Listed)>);

impl Inventory for Fixed {
    fn images(&self, repository: &str) -> Result<Vec<Listed>, InventoryError> {
        Ok(self
            .0
            .iter()
            .filter(|(r, _)| r == repository)
            .map(|(_, l)| l.clone())
            .collect())
    }
}

fn signed(
    env: &str,
    outcome: Outcome,
    subject: &Digest,
    config: Option<&str>,
    at: &str,
    key: &SigningKey,
) -> Vec<u8> {
    let record = Promotion {
        environment: env.to_owned(),
        outcome,
        source: None,
        repository: format!("registry.example.com/{env}/app"),
        previous_environment: None,
        reasons: vec![],
        evidence: vec![],
        config_digest: config.map(str::to_owned),
        timestamp: at.to_owned(),
    };
    let statement = record.to_statement("registry.example.com/app", subject);
    provenant_sigstore_sign::keyed::sign_statement(key, &statement.to_json())
        .unwrap()
        .to_json_v0_3()
        .unwrap()
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
    config: dev.env
  - name: test
    repository: registry.example.com/test/app
    promote_roles: [ci]
    trigger: on-merge
    requires:
      gate_decision:
        role: ci
";

#[test]
fn the_newest_verified_promotion_is_current_and_drift_is_what_no_record_accounts_for() {
    let dir = tempfile::tempdir().unwrap();
    fs_write(dir.path(), "dev.env", "A=1\n");
    let config = Algorithm::Sha256.hash_bytes(b"A=1\n").to_string();
    let store: Arc<dyn LedgerStore> =
        provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    let (ci, intruder) = (
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
    );
    let roles = Roles::from([(
        "ci".to_owned(),
        vec![Holder::Key {
            label: "ci.pub".to_owned(),
            key: PublicKey::from_pem(&ci.public_key_pem().unwrap()).unwrap(),
        }],
    )]);
    let [v1, v2, v3, v4, stray] =
        ["v1", "v2", "v3", "v4", "stray"].map(|n| Algorithm::Sha256.hash_bytes(n.as_bytes()));
    // dev: v1 then v2 promoted; newer than both, v3 refused and v4 signed by someone outside ci.
    store
        .append(
            &[
                signed(
                    "dev",
                    Outcome::Promoted,
                    &v1,
                    Some(&config),
                    "2026-12-01T10:00:00Z",
                    &ci,
                ),
                signed(
                    "dev",
                    Outcome::Promoted,
                    &v2,
                    Some(&config),
                    "2026-12-02T10:00:00Z",
                    &ci,
                ),
                signed(
                    "dev",
                    Outcome::Refused,
                    &v3,
                    Some(&config),
                    "2026-12-03T10:00:00Z",
                    &ci,
                ),
                signed(
                    "dev",
                    Outcome::Promoted,
                    &v4,
                    Some(&config),
                    "2026-12-04T10:00:00Z",
                    &intruder,
                ),
                signed("test", Outcome::Promoted, &v1, None, "2026-12-02T11:00:00Z", &ci),
            ],
            1,
        )
        .unwrap();
    let environments = EnvironmentsFile::from_yaml("environments.yaml", FILE.as_bytes()).unwrap();
    let listed = |repo: &str, digest: Digest, tags: &[&str]| {
        (
            repo.to_owned(),
            Listed {
                digest,
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            },
        )
    };
    let inventory = Fixed(vec![
        listed("registry.example.com/dev/app", v1, &["1"]),
        listed("registry.example.com/dev/app", v2, &["2"]),
        listed("registry.example.com/dev/app", v4, &["4"]),
        listed("registry.example.com/test/app", v1, &["1"]),
        listed("registry.example.com/test/app", stray, &[]),
    ]);
    let sources = Sources {
        store: store.as_ref(),
        environments: &environments,
        base: dir.path(),
        roles: &roles,
        trusted_root: None,
        inventory: &inventory,
    };
    let s = status(&sources).unwrap();
    let dev = &s.environments[0];
    assert_eq!(dev.digest.as_deref(), Some(v2.to_string().as_str()));
    assert_eq!(dev.since.as_deref(), Some("2026-12-02T10:00:00Z"));
    assert_eq!(dev.config_digest.as_deref(), Some(config.as_str()));
    // v4's record is not by ci: v4 in the repository is an unrecorded change.
    assert_eq!(
        dev.drift,
        [Drift::UnrecordedChange {
            digest: v4.to_string(),
            tags: vec!["4".to_owned()]
        }]
    );
    let test = &s.environments[1];
    assert_eq!(test.digest.as_deref(), Some(v1.to_string().as_str()));
    assert_eq!(
        test.drift,
        [Drift::UnrecordedChange {
            digest: stray.to_string(),
            tags: vec![]
        }]
    );
    assert!(s.drifted());

    // The configuration edited: dev reports it, first.
    fs_write(dir.path(), "dev.env", "A=2\n");
    let s = status(&sources).unwrap();
    assert_eq!(
        s.environments[0].drift[0],
        Drift::Config {
            path: Some("dev.env".to_owned()),
            recorded: Some(config.clone()),
            current: Some(Algorithm::Sha256.hash_bytes(b"A=2\n").to_string()),
        }
    );
    // The environments file no longer naming a configuration is drift too.
    let unnamed = EnvironmentsFile::from_yaml(
        "environments.yaml",
        FILE.replace("    config: dev.env\n", "").as_bytes(),
    )
    .unwrap();
    let s = status(&Sources {
        environments: &unnamed,
        inventory: &Fixed(vec![]),
        ..sources
    })
    .unwrap();
    assert_eq!(
        s.environments[0].drift,
        [Drift::Config {
            path: None,
            recorded: Some(config),
            current: None,
        }]
    );
    assert!(s.environments[1].drift.is_empty());
}

fn fs_write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}
