//! The lineage below the image, from records signed with real keys and appended to a real `SQLite`
//! ledger as bundles: the full governed path holds, then each break is named with its check.

use std::collections::BTreeSet;

use base64::Engine as _;
use std::sync::Arc;

use provenant_digest::{Algorithm, Digest};
use provenant_evidence::roles::{Holder, Roles};
use provenant_evidence::{Signer, SigningMethod};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_lineage::environments::Environments;
use provenant_lineage::governance::{self, Governance, Presence, SourceRule};
use provenant_lineage::reason::{Check, Reason};
use provenant_lineage::{Edge, EdgeKind, Verdict};
use provenant_records::Record;
use provenant_records::approval::Approval;
use provenant_records::deployment::{Deployment, Strategy};
use provenant_records::promotion::{Outcome, Promotion};
use provenant_records::rollback::Rollback;
use provenant_sigstore::PublicKey;
use serde_json::json;

const ENVIRONMENTS: &str = "
version: 1
roles: roles.yaml
environments:
  - name: dev
    repository: registry.example.com/dev/app
    promote_roles: [ci]
    trigger: on-commit
    requires:
      provenance: {role: ci}
  - name: test
    repository: registry.example.com/test/app
    promote_roles: [ci]
    trigger: on-merge
    requires:
      gate_decision: {role: ci, max_age: 7d}
  - name: prod
    repository: registry.example.com/prod/app
    promote_roles: [ci]
    trigger: on-approval
    config: config/prod.yaml
    requires:
      gate_decision: {role: ci}
      approvals: {roles: [release-manager], count: 2, separation_of_duties: true}
";

pub(crate) struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn LedgerStore>,
    roles: Roles,
    ci: Signer,
    alice: Signer,
    bob: Signer,
    mallory: Signer,
    deployer: Signer,
    image: Digest,
    environments: Environments,
    /// Repositories that hold the image.
    present: BTreeSet<String>,
}

fn key() -> (SigningKey, PublicKey) {
    let k = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let p = PublicKey::from_pem(&k.public_key_pem().unwrap()).unwrap();
    (k, p)
}

fn holder(label: &str, key: &PublicKey) -> Holder {
    Holder::Key {
        label: label.to_owned(),
        key: key.clone(),
    }
}

impl Presence for World {
    fn holds(
        &self,
        repository: &str,
        _digest: &Digest,
    ) -> Result<bool, provenant_lineage::governance::PresenceError> {
        Ok(self.present.contains(repository))
    }
}

impl World {
    fn new() -> World {
        World::with_image(Algorithm::Sha256.hash_bytes(b"the image manifest"))
    }

    pub(crate) fn with_image(image: Digest) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = provenant_ledger_store::open(&Location::Sqlite(dir.path().join("ledger.db"))).unwrap();
        store
            .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
            .unwrap();
        let (ci, ci_pub) = key();
        let (alice, alice_pub) = key();
        let (bob, bob_pub) = key();
        let (mallory, _) = key();
        let (deployer, deployer_pub) = key();
        let roles = Roles::from([
            ("ci".to_owned(), vec![holder("ci.pub", &ci_pub)]),
            (
                "release-manager".to_owned(),
                vec![holder("alice.pub", &alice_pub), holder("bob.pub", &bob_pub)],
            ),
            ("deployer".to_owned(), vec![holder("deployer.pub", &deployer_pub)]),
        ]);
        let signer = |k: SigningKey| Signer::new(SigningMethod::Key(k));
        World {
            _dir: dir,
            store,
            roles,
            ci: signer(ci),
            alice: signer(alice),
            bob: signer(bob),
            mallory: signer(mallory),
            deployer: signer(deployer),
            image,
            environments: Environments::from_yaml("environments.yaml", ENVIRONMENTS.as_bytes()).unwrap(),
            present: BTreeSet::new(),
        }
    }

    fn append(&self, signer: &Signer, statement: &provenant_attest::Statement) {
        let output = signer.sign_statement(&statement.to_json()).unwrap();
        self.store
            .append(&[output.bundle.to_json_v0_3().unwrap()], 1)
            .unwrap();
    }

    fn gate(&self, decision: &str) {
        let statement = provenant_attest::Statement::new(
            vec![provenant_attest::ResourceDescriptor::for_digest(
                "registry.example.com/app",
                &self.image,
            )],
            "https://provenant.dev/attestation/gate-decision/v1",
            json!({"decision": decision, "gates": [{"id": "vulnerabilities", "status": if decision == "pass" {"pass"} else {"block"}, "value": 0, "threshold": 0, "findings": [], "exceptions": []}],
                   "backlog": [], "evidence": [{"path": "trivy.json", "digest": format!("sha256:{}", "0".repeat(64)), "format": "trivy"}],
                   "policy": [{"kind": "platform", "path": "default", "digest": format!("sha256:{}", "1".repeat(64))}],
                   "evaluatedAt": "2026-12-06T09:00:00Z", "evaluator": {"name": "provenant", "version": "0"}}),
        );
        self.append(&self.ci, &statement);
    }

    fn promote(&self, environment: &str, previous: Option<&str>) {
        self.promote_by(&self.ci, environment, previous);
    }

    fn promote_by(&self, signer: &Signer, environment: &str, previous: Option<&str>) {
        let record = Promotion {
            environment: environment.to_owned(),
            outcome: Outcome::Promoted,
            source: None,
            repository: format!("registry.example.com/{environment}/app"),
            previous_environment: previous.map(str::to_owned),
            reasons: vec![],
            evidence: vec![],
            config_digest: (environment == "prod").then(|| format!("sha256:{}", "2".repeat(64))),
            timestamp: "2026-12-06T10:00:00Z".to_owned(),
        };
        self.append(
            signer,
            &record.to_statement("registry.example.com/app", &self.image),
        );
    }

    fn approve(&self, signer: &Signer, identity: &str) {
        let record = Approval {
            environment: "prod".to_owned(),
            role: "release-manager".to_owned(),
            identity: identity.to_owned(),
            timestamp: "2026-12-06T11:00:00Z".to_owned(),
            change: None,
            comment: None,
        };
        self.append(
            signer,
            &record.to_statement("registry.example.com/app", &self.image),
        );
    }

    fn deploy(&self, environment: &str) {
        let record = Deployment {
            environment: environment.to_owned(),
            strategy: Strategy::Canary,
            health: Some(provenant_records::Check::Pass),
            smoke: Some(provenant_records::Check::Pass),
            readiness: None,
            canary_percent: Some(10),
            timestamp: "2026-12-06T12:00:00Z".to_owned(),
        };
        self.append(
            &self.deployer,
            &record.to_statement("registry.example.com/app", &self.image),
        );
    }

    /// The whole governed path: gate, dev → test → prod, two approvals, a deployment and a rollback.
    fn governed() -> World {
        World::governed_for(Algorithm::Sha256.hash_bytes(b"the image manifest"))
    }

    pub(crate) fn governed_for(image: Digest) -> World {
        let w = World::with_image(image);
        w.gate("pass");
        w.promote("dev", None);
        w.promote("test", Some("dev"));
        w.approve(&w.alice, "alice@example.com");
        w.approve(&w.bob, "bob@example.com");
        w.promote("prod", Some("test"));
        w.deploy("prod");
        let rollback = Rollback {
            environment: "prod".to_owned(),
            from: w.image.to_string(),
            to: format!("sha256:{}", "3".repeat(64)),
            reason: "rehearsal".to_owned(),
            timestamp: "2026-12-06T13:00:00Z".to_owned(),
        };
        w.append(
            &w.deployer,
            &rollback.to_statement("registry.example.com/app", &w.image),
        );
        w
    }

    pub(crate) fn verify(&self, env: &str) -> Vec<Edge> {
        let chain = self.environments.chain_to("environments.yaml", env).unwrap();
        let record_roles = ["deployer".to_owned()];
        let g = Governance {
            store: self.store.as_ref(),
            roles: &self.roles,
            trusted_root: None,
            chain,
            record_roles: &record_roles,
            presence: Some(self),
            source: &SourceRule::default(),
        };
        governance::edges(&g, &self.image, &[]).unwrap()
    }
}

fn broken(edges: &[Edge]) -> Vec<(EdgeKind, Check, Reason)> {
    edges
        .iter()
        .flat_map(Edge::broken_edges)
        .map(|e| (e.kind, e.check.unwrap(), e.reason.clone().unwrap()))
        .collect()
}

fn all(edges: &[Edge]) -> Vec<&Edge> {
    let mut out = Vec::new();
    let mut stack: Vec<&Edge> = edges.iter().collect();
    while let Some(e) = stack.pop() {
        out.push(e);
        stack.extend(e.edges.iter());
    }
    out
}

#[test]
fn the_full_governed_path_holds_at_every_edge() {
    let w = World::governed();
    let edges = w.verify("prod");
    assert!(broken(&edges).is_empty(), "{:#?}", broken(&edges));
    let kinds: Vec<EdgeKind> = edges.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EdgeKind::Gate,
            EdgeKind::Environment,
            EdgeKind::Environment,
            EdgeKind::Environment
        ]
    );
    let gate = &edges[0];
    assert_eq!(gate.signer.as_deref(), Some("ci.pub"));
    assert!(
        gate.detail.starts_with("pass (1 gate(s)), signed by ci.pub"),
        "{}",
        gate.detail
    );
    assert!(
        gate.detail.contains(&"1".repeat(64)),
        "the policy digest: {}",
        gate.detail
    );
    let prod = &edges[3];
    assert_eq!(prod.target, "prod");
    let approvals: Vec<&str> = prod
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Approval)
        .map(|e| e.signer.as_deref().unwrap())
        .collect();
    assert_eq!(approvals, ["alice.pub", "bob.pub"]);
    let every = all(std::slice::from_ref(prod));
    for kind in [
        EdgeKind::Promotion,
        EdgeKind::Config,
        EdgeKind::Deployment,
        EdgeKind::Rollback,
    ] {
        let e = every
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} edge"));
        assert_eq!(e.verdict, Verdict::Holds, "{e:#?}");
        assert!(e.evidence.is_some(), "{kind:?} names its bundle digest");
    }
    let deployment = every.iter().find(|e| e.kind == EdgeKind::Deployment).unwrap();
    assert!(
        deployment
            .detail
            .starts_with("canary at 2026-12-06T12:00:00Z, health pass, smoke pass"),
        "{}",
        deployment.detail
    );
    // The JSON names the edge kinds.
    let json = serde_json::to_value(&edges).unwrap();
    assert_eq!(json[0]["kind"], "gate");
    assert_eq!(json[3]["edges"][0]["kind"], "approval");
}

#[test]
fn a_missing_gate_and_a_blocking_gate_break_the_gate_edge() {
    let w = World::new();
    w.promote("dev", None);
    let b = broken(&w.verify("dev"));
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(b[0].1, Check::Gate);
    assert_eq!(b[0].2, Reason::NoGateDecision { image: w.image });

    w.gate("block");
    let b = broken(&w.verify("dev"));
    assert_eq!(b.len(), 1, "{b:#?}");
    assert!(
        matches!(&b[0].2, Reason::GateBlocked { gates, .. } if gates == &["vulnerabilities"]),
        "{b:#?}"
    );

    // A passing decision signed by someone outside the ci role does not count either.
    let statement = provenant_attest::Statement::new(
        vec![provenant_attest::ResourceDescriptor::for_digest("app", &w.image)],
        "https://provenant.dev/attestation/gate-decision/v1",
        json!({"decision": "pass", "gates": []}),
    );
    w.append(&w.mallory, &statement);
    let b = broken(&w.verify("dev"));
    assert!(
        matches!(&b[0].2, Reason::GateBlocked { .. }),
        "the newest signed decision still blocks: {b:#?}"
    );
}

#[test]
fn a_missing_approval_and_a_repeated_approver_are_named() {
    let w = World::new();
    w.gate("pass");
    w.promote("dev", None);
    w.promote("test", Some("dev"));
    w.approve(&w.alice, "alice@example.com");
    w.approve(&w.alice, "alice@example.com");
    w.approve(&w.mallory, "mallory@example.com");
    w.promote("prod", Some("test"));
    let b = broken(&w.verify("prod"));
    let checks: Vec<Check> = b.iter().map(|(_, c, _)| *c).collect();
    assert_eq!(checks, [Check::SeparationOfDuties, Check::Approval], "{b:#?}");
    let Reason::MissingApproval {
        required,
        found,
        candidates,
        ..
    } = &b[1].2
    else {
        panic!("{b:#?}")
    };
    assert_eq!((*required, *found), (2, 1));
    assert_eq!(
        candidates.len(),
        1,
        "mallory's approval is refused, with the reason"
    );
    assert!(
        candidates[0].why.contains("release-manager"),
        "{}",
        candidates[0].why
    );
}

#[test]
fn a_skipped_environment_is_named_and_every_break_is_reported() {
    let w = World::new();
    w.gate("pass");
    w.promote("dev", None);
    // test is skipped: prod names dev as its previous environment.
    w.approve(&w.alice, "alice@example.com");
    w.approve(&w.bob, "bob@example.com");
    w.promote("prod", Some("dev"));
    let b = broken(&w.verify("prod"));
    let reasons: Vec<&Reason> = b.iter().map(|(_, _, r)| r).collect();
    assert_eq!(b.len(), 2, "{b:#?}");
    assert!(
        matches!(reasons[0], Reason::NotPromoted { environment, previous: Some(p), .. } if environment == "test" && p == "dev")
    );
    assert!(
        matches!(reasons[1], Reason::WrongPrevious { environment, expected, recorded: Some(r) } if environment == "prod" && expected == "test" && r == "dev")
    );
    assert!(b.iter().all(|(_, c, _)| *c == Check::Promotion));
}

#[test]
fn an_unrecorded_copy_into_prod_and_a_deployment_of_an_unpromoted_digest_break_the_lineage() {
    let mut w = World::new();
    w.gate("pass");
    w.promote("dev", None);
    w.promote("test", Some("dev"));
    w.approve(&w.alice, "alice@example.com");
    w.approve(&w.bob, "bob@example.com");
    // Someone copied the image into prod by hand and deployed it.
    w.present.insert("registry.example.com/prod/app".to_owned());
    w.deploy("prod");
    let b = broken(&w.verify("prod"));
    let checks: Vec<Check> = b.iter().map(|(_, c, _)| *c).collect();
    assert_eq!(
        checks,
        [Check::Promotion, Check::UnrecordedChange, Check::Deployment],
        "{b:#?}"
    );
    assert!(
        matches!(&b[1].2, Reason::UnrecordedChange { repository, .. } if repository == "registry.example.com/prod/app")
    );
    assert!(matches!(&b[2].2, Reason::DeployedUnpromoted { environment, .. } if environment == "prod"));
}

#[test]
fn a_tampered_ledger_entry_does_not_verify_and_is_named() {
    let w = World::new();
    w.gate("pass");
    // A promotion record whose payload was edited after signing: the bundle no longer verifies.
    let record = Promotion {
        environment: "dev".to_owned(),
        outcome: Outcome::Refused,
        source: None,
        repository: "registry.example.com/dev/app".to_owned(),
        previous_environment: None,
        reasons: vec![],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-12-06T10:00:00Z".to_owned(),
    };
    let signed =
        w.ci.sign_statement(
            &record
                .to_statement("registry.example.com/app", &w.image)
                .to_json(),
        )
        .unwrap();
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&signed.bundle.to_json_v0_3().unwrap()).unwrap();
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap().to_owned();
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8(b64.decode(payload).unwrap())
        .unwrap()
        .replace("\"refused\"", "\"promoted\"");
    bundle["dsseEnvelope"]["payload"] = b64.encode(text).into();
    w.store
        .append(&[serde_json::to_vec(&bundle).unwrap()], 1)
        .unwrap();
    let b = broken(&w.verify("dev"));
    assert_eq!(b.len(), 1, "{b:#?}");
    let Reason::NotPromoted { candidates, .. } = &b[0].2 else {
        panic!("{b:#?}")
    };
    assert_eq!(candidates.len(), 1);
    assert!(candidates[0].why.contains("signature"), "{}", candidates[0].why);

    // A deployment signed by the ci key, which is not in the deployer role, is named too.
    w.promote("dev", None);
    let record = Deployment {
        environment: "dev".to_owned(),
        strategy: Strategy::Rolling,
        health: Some(provenant_records::Check::Fail),
        smoke: None,
        readiness: None,
        canary_percent: None,
        timestamp: "2026-12-06T12:00:00Z".to_owned(),
    };
    w.append(&w.ci, &record.to_statement("app", &w.image));
    w.append(&w.deployer, &record.to_statement("app", &w.image));
    let b = broken(&w.verify("dev"));
    let reasons: Vec<&Reason> = b.iter().map(|(_, _, r)| r).collect();
    assert!(
        matches!(reasons[0], Reason::RecordUnsigned { kind, role, .. } if kind == "deployment" && role == "deployer"),
        "{b:#?}"
    );
    assert!(
        matches!(
            reasons[1],
            Reason::DeploymentCheckFailed {
                check: provenant_lineage::reason::FailedCheck::Health,
                ..
            }
        ),
        "{b:#?}"
    );
}

// ---------------------------------------------------------------------------------------------------
// The source stage's attestation (source/v1, subject the commit's gitCommit digest), below the build.

const COMMIT: &str = "4f1c0a9e2b7d3c5a8e6f0b1d2c3e4f5a6b7c8d9e";

/// A source/v1 statement whose subject is `subject_commit` and whose predicate names `commit`.
fn source_statement(subject_commit: &str, commit: &str, result: &str) -> provenant_attest::Statement {
    let mut digest = provenant_attest::DigestSet::new();
    digest.insert_unchecked("gitCommit", subject_commit.to_owned());
    let subject = provenant_attest::ResourceDescriptor {
        name: Some("git+https://example.com/app".to_owned()),
        uri: None,
        digest,
        content: None,
        download_location: None,
        media_type: None,
        annotations: None,
    };
    provenant_attest::Statement::new(
        vec![subject],
        provenant_attest::predicate::PROVENANT_SOURCE_V1,
        json!({"commit": commit, "result": result, "commits": [], "files": []}),
    )
}

impl World {
    /// `extend` of a lineage whose one build records `COMMIT`: the source attestation edge below it.
    fn source_edge(&self, required: bool) -> Edge {
        let mut image = Edge::new(EdgeKind::Image, "app");
        let mut build = Edge::new(EdgeKind::BuildProvenance, "out/app");
        build.push(
            Edge::new(
                EdgeKind::Source,
                format!("git+https://example.com/app @ {COMMIT}"),
            )
            .holds("the expected commit"),
        );
        image.push(build);
        let mut report = provenant_lineage::Report {
            verified: true,
            digest: self.image,
            lineage: image,
            skipped: Vec::new(),
        };
        let chain = self.environments.chain_to("environments.yaml", "dev").unwrap();
        let record_roles = ["deployer".to_owned()];
        let source = SourceRule {
            roles: vec!["ci".to_owned()],
            required,
        };
        let g = Governance {
            store: self.store.as_ref(),
            roles: &self.roles,
            trusted_root: None,
            chain,
            record_roles: &record_roles,
            presence: Some(self),
            source: &source,
        };
        governance::extend(&mut report, &g).unwrap();
        let source = &report.lineage.edges[0].edges[0];
        assert_eq!(source.kind, EdgeKind::Source);
        assert_eq!(source.edges.len(), 1, "{source:#?}");
        let attestation = source.edges[0].clone();
        assert_eq!(attestation.target, format!("source attestation of {COMMIT}"));
        attestation
    }
}

#[test]
fn a_source_attestation_of_the_build_commit_holds_below_the_build() {
    let w = World::new();
    w.append(&w.ci, &source_statement(COMMIT, COMMIT, "pass"));
    let e = w.source_edge(true);
    assert_eq!(e.verdict, Verdict::Holds, "{e:#?}");
    assert_eq!(e.signer.as_deref(), Some("ci.pub"));
    assert!(e.detail.contains("source checks passed"), "{}", e.detail);
    assert!(e.evidence.is_some());
}

#[test]
fn a_missing_source_attestation_is_shown_as_absent_unless_required() {
    let w = World::new();
    let e = w.source_edge(false);
    assert_eq!(e.verdict, Verdict::Shown, "{e:#?}");
    assert!(
        e.detail
            .starts_with("absent (not required): no source attestation of commit"),
        "{}",
        e.detail
    );
    let e = w.source_edge(true);
    assert_eq!(e.verdict, Verdict::Broken);
    assert_eq!(e.check, Some(Check::Source));
    assert!(
        matches!(&e.reason, Some(Reason::NoSourceAttestation { commit, roles, candidates })
            if commit == COMMIT && roles == &["ci"] && candidates.is_empty()),
        "{e:#?}"
    );
}

#[test]
fn a_source_attestation_of_another_commit_or_by_another_signer_is_refused() {
    let w = World::new();
    // Indexed under the build's commit (its predicate names it), but its subject is another commit.
    let other = "0000000000000000000000000000000000000001";
    w.append(&w.ci, &source_statement(other, COMMIT, "pass"));
    // The right commit, signed by someone outside the ci role.
    w.append(&w.mallory, &source_statement(COMMIT, COMMIT, "pass"));
    let e = w.source_edge(true);
    assert_eq!(e.check, Some(Check::Source), "{e:#?}");
    let Some(Reason::NoSourceAttestation { candidates, .. }) = &e.reason else {
        panic!("{e:#?}")
    };
    assert_eq!(candidates.len(), 2, "{candidates:#?}");
    // Newest first: mallory's, then the one about another commit.
    assert!(candidates[0].why.contains("ci"), "{}", candidates[0].why);
    assert!(
        candidates[1]
            .why
            .contains(&format!("commit {COMMIT} is not a gitCommit subject")),
        "{}",
        candidates[1].why
    );
}

#[test]
fn a_source_attestation_whose_checks_failed_breaks_the_source_edge() {
    let w = World::new();
    w.append(&w.ci, &source_statement(COMMIT, COMMIT, "fail"));
    // Even when not required: a signed record says the source checks failed.
    let e = w.source_edge(false);
    assert_eq!(e.verdict, Verdict::Broken, "{e:#?}");
    assert!(
        matches!(&e.reason, Some(Reason::SourceCheckFailed { commit, result, .. }) if commit == COMMIT && result == "fail"),
        "{e:#?}"
    );
}
