//! A ledger on `SQLite` holding real promotion records, each signed as a sigstore bundle with a key
//! (`provenant_evidence::Signer`) and appended as that bundle; the roles file naming who may promote,
//! and the environments file naming the environments and their promote roles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provenant_digest::Digest;
use provenant_evidence::{Signer, SigningMethod};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record as _;
pub(crate) use provenant_records::promotion::Outcome;
use provenant_records::promotion::{Promotion, Reason};

pub(crate) struct Fixture {
    pub(crate) ledger: PathBuf,
    pub(crate) environments: PathBuf,
    pub(crate) roles: PathBuf,
    /// A holder of the `promoter` role.
    pub(crate) promoter: Signer,
    /// A key that holds no role.
    pub(crate) stranger: Signer,
    store: Arc<dyn LedgerStore>,
}

fn key_signer(dir: &Path, name: &str) -> Signer {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    std::fs::write(dir.join(format!("{name}.pub")), key.public_key_pem().unwrap()).unwrap();
    Signer::new(SigningMethod::Key(key))
}

/// A digest made from a number (distinct per number).
pub(crate) fn digest(n: u64) -> Digest {
    format!("sha256:{n:064x}").parse().unwrap()
}

pub(crate) fn image(n: u64) -> String {
    format!("registry.example/shop@{}", digest(n))
}

impl Fixture {
    pub(crate) fn new(dir: &Path) -> Fixture {
        let promoter = key_signer(dir, "promoter");
        let stranger = key_signer(dir, "stranger");
        let roles = dir.join("roles.yaml");
        std::fs::write(
            &roles,
            "roles:\n  promoter:\n    keys: [promoter.pub]\n  ci:\n    keys: [stranger.pub]\n",
        )
        .unwrap();
        let environments = dir.join("environments.yaml");
        std::fs::write(
            &environments,
            "version: 1\nroles: roles.yaml\nenvironments:\n\
             - name: dev\n  repository: registry.example/dev/shop\n  promote_roles: [promoter]\n  trigger: on-commit\n  requires:\n    provenance: {role: promoter}\n\
             - name: prod\n  repository: registry.example/prod/shop\n  promote_roles: [promoter]\n  trigger: on-approval\n  requires:\n    gate_decision: {role: promoter}\n",
        )
        .unwrap();
        let ledger = dir.join("ledger.db");
        let store = provenant_ledger_store::open(&Location::Sqlite(ledger.clone())).unwrap();
        let note = provenant_ledger_store::generate_note_key("example.com/admission-test").unwrap();
        store
            .init("example.com/admission-test", note.verifier_key())
            .unwrap();
        Fixture {
            ledger,
            environments,
            roles,
            promoter,
            stranger,
            store,
        }
    }

    /// Appends a promotion record of `subject` into `environment`, signed by `signer`: its index.
    pub(crate) fn record(&self, subject: u64, environment: &str, outcome: Outcome, signer: &Signer) -> u64 {
        self.records(&[subject], environment, outcome, signer)[0]
    }

    /// Appends one promotion record per subject, in one batch.
    pub(crate) fn records(
        &self,
        subjects: &[u64],
        environment: &str,
        outcome: Outcome,
        signer: &Signer,
    ) -> Vec<u64> {
        let entries: Vec<Vec<u8>> = subjects
            .iter()
            .map(|n| {
                let reasons = match outcome {
                    Outcome::Promoted => vec![],
                    Outcome::Refused => vec![Reason {
                        requirement: "approval".to_owned(),
                        message: "missing approval by release-manager".to_owned(),
                    }],
                };
                let record = Promotion {
                    environment: environment.to_owned(),
                    outcome,
                    source: Some(format!("registry.example/dev/shop@{}", digest(*n))),
                    repository: format!("registry.example/{environment}/shop"),
                    previous_environment: None,
                    reasons,
                    evidence: vec![],
                    config_digest: None,
                    timestamp: "2026-12-06T12:00:00Z".to_owned(),
                };
                let statement = record.to_statement("registry.example/shop", &digest(*n));
                let bundle = signer.sign_statement(&statement.to_json()).unwrap().bundle;
                bundle.to_json_v0_3().unwrap()
            })
            .collect();
        self.store
            .append(&entries, 1_765_000_000)
            .unwrap()
            .into_iter()
            .map(|a| a.index)
            .collect()
    }

    /// Promotes `subject` into `environment` (signed by the promoter).
    pub(crate) fn promote(&self, subject: u64, environment: &str) -> u64 {
        self.record(subject, environment, Outcome::Promoted, &self.promoter)
    }

    pub(crate) fn store(&self) -> Arc<dyn LedgerStore> {
        Arc::clone(&self.store)
    }
}
