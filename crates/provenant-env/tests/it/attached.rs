//! Evidence attached to the image as referrers, sorted out against a real `SQLite` ledger and real
//! keys: what verifies for a role and the ledger lacks is to be appended, the rest reported with why;
//! and the parts people had in the artefact (packaging, build, the commit's author and committer)
//! read through the build provenance and the source-v1 statements about its commit.

use std::sync::Arc;

use provenant_attest::{DigestSet, ResourceDescriptor, Statement};
use provenant_digest::{Algorithm, Digest};
use provenant_env::attached::{Attached, Use, select};
use provenant_env::config::EnvironmentsFile;
use provenant_env::gather::gather;
use provenant_env::init::default_yaml;
use provenant_env::requirements::{Duty, Rejection, evaluate};
use provenant_evidence::roles::{Holder, Roles};
use provenant_keys::{KeyKind, SigningKey};
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::Record as _;
use provenant_records::approval::Approval;
use provenant_records::promotion::{Outcome, Promotion};
use provenant_sigstore::PublicKey;

const NOW: i64 = 1_780_000_000;
const SLSA: &str = provenant_attest::predicate::SLSA_PROVENANCE_V1;
const GATE: &str = provenant_attest::predicate::PROVENANT_GATE_DECISION_V1;

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
        vec![ResourceDescriptor::for_digest("app", subject)],
        predicate_type,
        predicate,
    )
}

fn attached(bundle: Vec<u8>, statement: Option<Statement>) -> Attached {
    Attached {
        referrer: Algorithm::Sha256.hash_bytes(b"referrer"),
        bundle_digest: Algorithm::Sha256.hash_bytes(&bundle),
        bundle,
        statement,
    }
}

fn signed(statement: &Statement, key: &SigningKey) -> Attached {
    attached(sign(statement, key), Some(statement.clone()))
}

fn ledger(dir: &std::path::Path) -> Arc<dyn LedgerStore> {
    let store = provenant_ledger_store::open(&Location::Sqlite(dir.join("ledger.db"))).unwrap();
    store
        .init("example.com/ledger", "example.com/ledger+00000000+AQ==")
        .unwrap();
    store
}

/// Packaging provenance of `image` naming `file` among its resolved dependencies.
fn packaging(image: &Digest, file: &Digest) -> Statement {
    about(
        image,
        SLSA,
        serde_json::json!({"buildDefinition": {"resolvedDependencies": [
            {"name": "usr/local/bin/app", "digest": {"sha256": file.hex()}}
        ]}}),
    )
}

/// Build provenance of `file`, built from `commit`.
fn build(file: &Digest, commit: &str) -> Statement {
    about(
        file,
        SLSA,
        serde_json::json!({"buildDefinition": {"resolvedDependencies": [
            {"uri": "git+https://example.com/app", "digest": {"gitCommit": commit}}
        ]}}),
    )
}

fn approval(env: &str) -> Approval {
    Approval {
        environment: env.to_owned(),
        role: "release-manager".to_owned(),
        identity: "someone".to_owned(),
        timestamp: "2026-05-28T20:00:00Z".to_owned(),
        change: None,
        comment: None,
    }
}

#[test]
fn select_appends_only_verified_evidence_the_ledger_lacks_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = ledger(dir.path());
    let new_key = || SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (ci, rm, mallory) = (new_key(), new_key(), new_key());
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        ("release-manager".to_owned(), vec![holder("rm.pub", &rm)]),
    ]);
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let file = Algorithm::Sha256.hash_bytes(b"packaged file");
    let stray = Algorithm::Sha256.hash_bytes(b"a file the image does not package");
    let other = Algorithm::Sha256.hash_bytes(b"another image");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let sbom = signed(
        &about(
            &image,
            provenant_attest::predicate::CYCLONEDX,
            serde_json::json!({"bomFormat": "CycloneDX"}),
        ),
        &ci,
    );
    store.append(std::slice::from_ref(&sbom.bundle), 1).unwrap();
    let gate = |key: &SigningKey| {
        signed(
            &about(
                &image,
                GATE,
                serde_json::json!({"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}),
            ),
            key,
        )
    };
    // Build provenance comes before the packaging provenance that makes its file part of the image.
    let found = vec![
        signed(&build(&file, commit), &ci),
        signed(&build(&stray, commit), &ci),
        gate(&ci),
        gate(&mallory),
        signed(&approval("prod").to_statement("r", &other), &rm),
        sbom.clone(),
        attached(b"{}".to_vec(), None),
        signed(&packaging(&image, &file), &ci),
    ];
    let selection = select(store.as_ref(), &image, &found, &roles, None).unwrap();
    let uses: Vec<(Use, &str)> = selection
        .verdicts
        .iter()
        .map(|v| (v.used.clone(), v.predicate_type.as_str()))
        .collect();
    assert_eq!(
        uses,
        [
            (Use::Appended, SLSA), // the packaging provenance, sorted first
            (Use::Appended, SLSA), // the build provenance of the packaged file
            (Use::NotUsed, SLSA),  // the build provenance of a file not packaged
            (Use::Appended, GATE),
            (Use::NotUsed, GATE), // signed by no holder of any role
            (Use::NotUsed, provenant_attest::predicate::PROVENANT_APPROVAL_V1),
            (Use::InLedger, provenant_attest::predicate::CYCLONEDX),
            (Use::NotUsed, ""),
        ]
    );
    let reasons: Vec<&str> = selection
        .verdicts
        .iter()
        .filter_map(|v| v.reason.as_deref())
        .collect();
    assert_eq!(
        reasons[0],
        "it is about neither the image nor a file its verified packaging provenance packages"
    );
    assert!(
        reasons[1].starts_with("signed by no holder of any role"),
        "{}",
        reasons[1]
    );
    assert_eq!(reasons[2], "it approves another digest");
    assert_eq!(reasons[3], "the bundle carries no in-toto statement");
    assert_eq!(
        selection.verdicts[1].subject.as_deref(),
        Some(file.to_string().as_str())
    );
    assert_eq!(selection.verdicts[0].signer.as_deref(), Some("ci.pub (ci)"));
    assert_eq!(
        selection.to_append,
        [
            found[7].bundle.clone(),
            found[0].bundle.clone(),
            found[2].bundle.clone()
        ]
    );
    // The approval of another digest is handed back to be reported, never counted.
    assert_eq!(selection.other_approvals.len(), 1);
    let claim = selection.other_approvals[0].content.as_ref().unwrap();
    assert!(!claim.for_digest);
    assert!(claim.signer_holds_role);

    // Once appended, the same bundles are found in the ledger and nothing is appended again.
    store.append(&selection.to_append, 2).unwrap();
    let again = select(store.as_ref(), &image, &found, &roles, None).unwrap();
    assert!(again.to_append.is_empty());
    assert_eq!(
        again.verdicts.iter().filter(|v| v.used == Use::InLedger).count(),
        4
    );
}

#[test]
fn an_approval_of_another_digest_attached_to_the_image_is_reported_as_other_digest() {
    let dir = tempfile::tempdir().unwrap();
    let store = ledger(dir.path());
    let (ci, rm) = (
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
        SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
    );
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        ("release-manager".to_owned(), vec![holder("rm.pub", &rm)]),
    ]);
    let file =
        EnvironmentsFile::from_yaml("f", default_yaml("r/{env}/app", "roles.yaml").unwrap().as_bytes())
            .unwrap();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let other = Algorithm::Sha256.hash_bytes(b"other");
    let found = [signed(&approval("prod").to_statement("r", &other), &rm)];
    let selection = select(store.as_ref(), &image, &found, &roles, None).unwrap();
    let (index, mut inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    inputs.approvals.extend(selection.other_approvals);
    let e = evaluate(&file, index, &inputs).unwrap();
    assert_eq!(e.approvals.len(), 1);
    assert_eq!(e.approvals[0].rejection, Some(Rejection::OtherDigest));
    assert!(!e.approvals[0].counts);
}

#[test]
fn the_commits_author_and_committer_and_the_builder_are_barred_from_approving() {
    let dir = tempfile::tempdir().unwrap();
    let store = ledger(dir.path());
    let new_key = || SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (ci, builder, alice, carol, rm) = (new_key(), new_key(), new_key(), new_key(), new_key());
    // Key holders are named by their labels: here the people's emails, as certificate SANs would be.
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        ("builder".to_owned(), vec![holder("builder.pub", &builder)]),
        (
            "release-manager".to_owned(),
            vec![
                holder("alice@example.com", &alice),
                holder("carol@example.com", &carol),
                holder("builder.pub", &builder),
                holder("ci.pub", &ci),
                holder("rm.pub", &rm),
            ],
        ),
    ]);
    let file =
        EnvironmentsFile::from_yaml("f", default_yaml("r/{env}/app", "roles.yaml").unwrap().as_bytes())
            .unwrap();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let packaged = Algorithm::Sha256.hash_bytes(b"binary");
    let commit = "89abcdef0123456789abcdef0123456789abcdef";
    let mut digest = DigestSet::new();
    digest.insert_unchecked("gitCommit", commit.to_owned());
    let source = Statement::new(
        vec![ResourceDescriptor {
            name: Some("git+https://example.com/app".to_owned()),
            uri: None,
            digest,
            content: None,
            download_location: None,
            media_type: None,
            annotations: None,
        }],
        provenant_attest::predicate::PROVENANT_SOURCE_V1,
        serde_json::json!({"commit": commit, "commits": [
            {"id": "1111111111111111111111111111111111111111", "author": "rm.pub", "committer": "rm.pub"},
            {"id": commit, "author": "alice@example.com", "committer": "carol@example.com"}
        ]}),
    );
    let promotion = Promotion {
        environment: "uat".to_owned(),
        outcome: Outcome::Promoted,
        source: None,
        repository: "r/uat/app".to_owned(),
        previous_environment: None,
        reasons: vec![],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-05-28T19:00:00Z".to_owned(),
    };
    store
        .append(
            &[
                sign(&packaging(&image, &packaged), &ci),
                sign(&build(&packaged, commit), &builder),
                sign(&source, &ci),
                sign(
                    &about(
                        &image,
                        GATE,
                        serde_json::json!({"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}),
                    ),
                    &ci,
                ),
                sign(&promotion.to_statement("r/uat/app", &image), &ci),
                sign(&approval("prod").to_statement("r", &image), &alice),
                sign(&approval("prod").to_statement("r", &image), &carol),
                sign(&approval("prod").to_statement("r", &image), &builder),
                sign(&approval("prod").to_statement("r", &image), &ci),
                sign(&approval("prod").to_statement("r", &image), &rm),
            ],
            1,
        )
        .unwrap();
    let (index, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    assert_eq!(inputs.duties.author.as_deref(), Some("alice@example.com"));
    assert_eq!(inputs.duties.committer.as_deref(), Some("carol@example.com"));
    assert_eq!(inputs.duties.build_signer.as_deref(), Some("builder.pub"));
    assert_eq!(inputs.duties.packaging_signer.as_deref(), Some("ci.pub"));
    let e = evaluate(&file, index, &inputs).unwrap();
    assert!(e.holds(), "{:?}", e.failures().collect::<Vec<_>>());
    let duties: Vec<Option<Duty>> = e
        .approvals
        .iter()
        .map(|a| match &a.rejection {
            Some(Rejection::SeparationOfDuties { duty, .. }) => Some(*duty),
            None => None,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        duties,
        [
            Some(Duty::Author),
            Some(Duty::Committer),
            Some(Duty::BuildSigner),
            Some(Duty::PackagingSigner),
            None
        ]
    );
}

/// A source-v1 statement about `commit` naming `author` and `committer`.
fn source_statement(commit: &str, author: &str, committer: &str) -> Statement {
    let mut digest = DigestSet::new();
    digest.insert_unchecked("gitCommit", commit.to_owned());
    Statement::new(
        vec![ResourceDescriptor {
            name: Some("git+https://example.com/app".to_owned()),
            uri: None,
            digest,
            content: None,
            download_location: None,
            media_type: None,
            annotations: None,
        }],
        provenant_attest::predicate::PROVENANT_SOURCE_V1,
        serde_json::json!({"commit": commit, "commits": [
            {"id": commit, "author": author, "committer": committer}
        ]}),
    )
}

#[test]
fn a_tampered_or_unsigned_source_attestation_is_refused_and_its_emails_bar_no_one() {
    use base64::Engine as _;
    use provenant_env::requirements::SourceUse;

    let dir = tempfile::tempdir().unwrap();
    let store = ledger(dir.path());
    let new_key = || SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (ci, mallory, alice, rm) = (new_key(), new_key(), new_key(), new_key());
    let roles = Roles::from([
        ("ci".to_owned(), vec![holder("ci.pub", &ci)]),
        (
            "release-manager".to_owned(),
            vec![holder("alice@example.com", &alice), holder("rm.pub", &rm)],
        ),
    ]);
    let file =
        EnvironmentsFile::from_yaml("f", default_yaml("r/{env}/app", "roles.yaml").unwrap().as_bytes())
            .unwrap();
    let image = Algorithm::Sha256.hash_bytes(b"image");
    let packaged = Algorithm::Sha256.hash_bytes(b"binary");
    let commit = "0011223344556677889900112233445566778899";
    // Signed by ci, but its payload rewritten to name alice as the author: the signature no longer
    // covers it.
    let signed_by_ci = sign(
        &source_statement(commit, "bob@example.com", "bob@example.com"),
        &ci,
    );
    let mut tampered: serde_json::Value = serde_json::from_slice(&signed_by_ci).unwrap();
    tampered["dsseEnvelope"]["payload"] = serde_json::Value::String(
        base64::engine::general_purpose::STANDARD
            .encode(source_statement(commit, "alice@example.com", "alice@example.com").to_json()),
    );
    let tampered = serde_json::to_vec(&tampered).unwrap();
    let promotion = Promotion {
        environment: "uat".to_owned(),
        outcome: Outcome::Promoted,
        source: None,
        repository: "r/uat/app".to_owned(),
        previous_environment: None,
        reasons: vec![],
        evidence: vec![],
        config_digest: None,
        timestamp: "2026-05-28T19:00:00Z".to_owned(),
    };
    store
        .append(
            &[
                sign(&packaging(&image, &packaged), &ci),
                sign(&build(&packaged, commit), &ci),
                tampered.clone(),
                // Signed by someone who holds no role.
                sign(
                    &source_statement(commit, "alice@example.com", "alice@example.com"),
                    &mallory,
                ),
                sign(
                    &about(
                        &image,
                        GATE,
                        serde_json::json!({"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}),
                    ),
                    &ci,
                ),
                sign(&promotion.to_statement("r/uat/app", &image), &ci),
                sign(&approval("prod").to_statement("r", &image), &alice),
            ],
            1,
        )
        .unwrap();
    let (index, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    // Neither statement's emails were read.
    assert_eq!(inputs.duties.author, None);
    assert_eq!(inputs.duties.committer, None);
    let seen: Vec<(u64, SourceUse, Option<&str>)> = inputs
        .source_attestations
        .iter()
        .map(|s| (s.ledger_index, s.used, s.check.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (2, SourceUse::Refused, Some("signature")),
            (3, SourceUse::Refused, Some("signature"))
        ]
    );
    assert_eq!(
        inputs.source_attestations[0].bundle_digest,
        Algorithm::Sha256.hash_bytes(&tampered).to_string()
    );
    assert!(
        inputs.source_attestations[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("ci.pub: signature check failed"),
        "{:?}",
        inputs.source_attestations[1]
    );
    let e = evaluate(&file, index, &inputs).unwrap();
    assert!(e.holds(), "{:?}", e.failures().collect::<Vec<_>>());
    assert_eq!(e.source_attestations, inputs.source_attestations);

    // A statement signed by ci is relied on: alice, who it names as the author, is barred.
    store
        .append(
            &[sign(
                &source_statement(commit, "alice@example.com", "carol@example.com"),
                &ci,
            )],
            2,
        )
        .unwrap();
    let (index, inputs) = gather(store.as_ref(), &file, "prod", &image, &roles, None, NOW).unwrap();
    assert_eq!(inputs.duties.author.as_deref(), Some("alice@example.com"));
    assert_eq!(inputs.duties.committer.as_deref(), Some("carol@example.com"));
    let uses: Vec<SourceUse> = inputs.source_attestations.iter().map(|s| s.used).collect();
    assert_eq!(
        uses,
        [SourceUse::Refused, SourceUse::Refused, SourceUse::ReliedOn]
    );
    assert_eq!(
        inputs.source_attestations[2].signer.as_deref(),
        Some("ci.pub (ci)")
    );
    let e = evaluate(&file, index, &inputs).unwrap();
    assert_eq!(
        e.failures().map(|(r, _)| r.name()).collect::<Vec<_>>(),
        ["approvals"]
    );
    assert_eq!(
        e.approvals[0].rejection,
        Some(Rejection::SeparationOfDuties {
            signer: "alice@example.com".into(),
            duty: Duty::Author
        })
    );
}
