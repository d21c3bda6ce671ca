//! Verification under a trust policy: keyed bundles signed by the one signer, each failure naming
//! its check, and the skipped checks reported.

use provenant_attest::{Statement, predicate};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::{
    Check, EvidenceBundle, EvidenceError, Role, Signer, SignerIdentity, SigningMethod, SkippedCheck,
    TrustError, TrustPolicy,
};
use provenant_keys::{KeyKind, SigningKey};
use provenant_sigstore::{IdentityPolicy, Policy, PublicKey, SanMatcher};

fn new_key() -> (SigningKey, Policy) {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let public = PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap();
    (key, Policy::Key(public))
}

fn statement(subject: &Digest, predicate_type: &str) -> Vec<u8> {
    Statement::from_digests(
        [("a.txt", subject)],
        predicate_type,
        serde_json::json!({"ok": true}),
    )
    .to_json()
}

/// A keyed DSSE bundle about `subject` (no log entry, as keyed bundles are).
fn signed(key: SigningKey, subject: &Digest, predicate_type: &str) -> EvidenceBundle {
    let signer = Signer::new(SigningMethod::Key(key));
    let bundle = signer
        .sign_statement(&statement(subject, predicate_type))
        .unwrap()
        .bundle;
    EvidenceBundle::from_json(&bundle.to_json_v0_3().unwrap()).unwrap()
}

fn policy(signer: Policy, skipped: &[SkippedCheck]) -> TrustPolicy {
    TrustPolicy::new(Role::single("signer", signer), None, skipped.iter().copied()).unwrap()
}

#[test]
fn a_keyed_statement_verifies_with_the_log_skipped_and_says_so() {
    let (key, public) = new_key();
    let subject = Algorithm::Sha256.hash_bytes(b"a\n");
    let bundle = signed(key, &subject, predicate::PROVENANT_GATE_DECISION_V1);
    let trust = policy(public, &[SkippedCheck::TransparencyLog]);
    let verified = trust
        .verify_statement(&subject, &bundle, Some(predicate::PROVENANT_GATE_DECISION_V1))
        .unwrap();
    assert_eq!(
        verified.statement.predicate_type,
        predicate::PROVENANT_GATE_DECISION_V1
    );
    assert!(verified.statement.matches(&subject));
    assert_eq!(verified.signature.skipped, [SkippedCheck::TransparencyLog]);
    assert_eq!(verified.signature.bundle_digest, bundle.digest);
    assert!(matches!(verified.signature.signer, SignerIdentity::Key { .. }));
}

#[test]
fn a_keyed_bundle_without_a_log_entry_names_the_missing_entry_not_the_root() {
    let (key, public) = new_key();
    let subject = Algorithm::Sha256.hash_bytes(b"a\n");
    let bundle = signed(key, &subject, predicate::SLSA_PROVENANCE_V1);
    let e = policy(public, &[])
        .verify_statement(&subject, &bundle, None)
        .unwrap_err();
    assert!(matches!(e, EvidenceError::NoTransparencyLogEntry), "{e}");
    assert_eq!(e.check(), Check::TransparencyLog);
    assert!(e.to_string().contains("--insecure-ignore-tlog"), "{e}");
}

#[test]
fn each_tampering_names_its_check() {
    let (key, public) = new_key();
    let subject = Algorithm::Sha256.hash_bytes(b"a\n");
    let trust = policy(public, &[SkippedCheck::TransparencyLog]);
    let bundle = signed(key, &subject, predicate::SLSA_PROVENANCE_V1);

    // Another subject.
    let other = Algorithm::Sha256.hash_bytes(b"b\n");
    let e = trust.verify_statement(&other, &bundle, None).unwrap_err();
    assert!(matches!(e.check(), Check::Sigstore(_)), "{e}");

    // Another predicate type than the one required.
    let e = trust
        .verify_statement(&subject, &bundle, Some(predicate::SLSA_VSA_V1))
        .unwrap_err();
    assert_eq!(e.check(), Check::PredicateType, "{e}");

    // Another key.
    let (_, stranger) = new_key();
    let e = policy(stranger, &[SkippedCheck::TransparencyLog])
        .verify_statement(&subject, &bundle, None)
        .unwrap_err();
    assert!(matches!(e.check(), Check::Sigstore(_)), "{e}");

    // A payload byte flipped: the signature no longer covers it.
    let mut json: serde_json::Value = serde_json::from_slice(&bundle.bundle.to_json_v0_3().unwrap()).unwrap();
    let forged = statement(&subject, predicate::SLSA_VSA_V1);
    json["dsseEnvelope"]["payload"] = serde_json::Value::String(base64(&forged));
    let tampered = EvidenceBundle::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    let e = trust.verify_statement(&subject, &tampered, None).unwrap_err();
    assert!(matches!(e.check(), Check::Sigstore(_)), "{e}");

    // Not a bundle at all.
    let e = EvidenceBundle::from_json(b"{}").unwrap_err();
    assert_eq!(e.check(), Check::Bundle, "{e}");
}

#[test]
fn a_message_signature_is_not_an_attestation() {
    let (key, public) = new_key();
    let bytes = b"a\n";
    let subject = Algorithm::Sha256.hash_bytes(bytes);
    let bundle = Signer::new(SigningMethod::Key(key))
        .sign_blob(bytes)
        .unwrap()
        .bundle;
    let bundle = EvidenceBundle::from_json(&bundle.to_json_v0_3().unwrap()).unwrap();
    let trust = policy(public, &[SkippedCheck::TransparencyLog]);
    let e = trust.verify_statement(&subject, &bundle, None).unwrap_err();
    assert!(matches!(e, EvidenceError::NotAttestation), "{e}");
    // As a signature over the bytes it verifies.
    let v = trust
        .verify_signature(provenant_sigstore::Artifact::Bytes(bytes), &bundle)
        .unwrap();
    assert_eq!(v.skipped, [SkippedCheck::TransparencyLog]);
}

#[test]
fn a_certificate_identity_needs_a_trusted_root() {
    let identity = Policy::Identity(IdentityPolicy::new(SanMatcher::Exact("a@example.com".into())));
    let e = TrustPolicy::new(Role::single("signer", identity), None, []).unwrap_err();
    assert!(matches!(e, TrustError::NoTrustedRoot), "{e}");
    let e = TrustPolicy::new(
        Role {
            name: "empty".into(),
            signers: Vec::new(),
        },
        None,
        [],
    )
    .unwrap_err();
    assert!(matches!(e, TrustError::NoSigner { .. }), "{e}");
}

#[test]
fn any_signer_of_a_role_is_believed() {
    let (key, public) = new_key();
    let (_, stranger) = new_key();
    let subject = Algorithm::Sha256.hash_bytes(b"a\n");
    let bundle = signed(key, &subject, predicate::PROVENANT_APPROVAL_V1);
    let role = Role {
        name: "approvers".into(),
        signers: vec![stranger, public],
    };
    let trust = TrustPolicy::new(role, None, [SkippedCheck::TransparencyLog]).unwrap();
    let v = trust.verify_statement(&subject, &bundle, None).unwrap();
    assert_eq!(v.statement.predicate_type, predicate::PROVENANT_APPROVAL_V1);
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A keyed DSSE bundle of a source-stage statement whose one subject is the git commit `commit`.
fn signed_commit(key: SigningKey, commit: &str) -> EvidenceBundle {
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "git+https://example.com/app", "digest": {"gitCommit": commit}}],
        "predicateType": predicate::PROVENANT_SOURCE_V1,
        "predicate": {"commit": commit, "result": "pass"},
    });
    let bundle = Signer::new(SigningMethod::Key(key))
        .sign_statement(&serde_json::to_vec(&statement).unwrap())
        .unwrap()
        .bundle;
    EvidenceBundle::from_json(&bundle.to_json_v0_3().unwrap()).unwrap()
}

#[test]
fn a_statement_about_a_git_commit_verifies_for_exactly_that_commit() {
    let commit = "4f1c0a9e2b7d3c5a8e6f0b1d2c3e4f5a6b7c8d9e";
    let (key, public) = new_key();
    let bundle = signed_commit(key, commit);
    let trust = policy(public, &[SkippedCheck::TransparencyLog]);
    let verified = trust
        .verify_commit_statement(commit, &bundle, Some(predicate::PROVENANT_SOURCE_V1))
        .unwrap();
    assert_eq!(verified.statement.predicate["commit"], commit);
    assert_eq!(verified.signature.skipped, [SkippedCheck::TransparencyLog]);
    // Another commit, a prefix of it, or its upper-case spelling: not the subject.
    for other in [
        "0000000000000000000000000000000000000001",
        &commit[..12],
        &commit.to_ascii_uppercase(),
    ] {
        let e = trust.verify_commit_statement(other, &bundle, None).unwrap_err();
        assert!(matches!(e.check(), Check::Sigstore(_)), "{e}");
        assert!(e.to_string().contains("is not a gitCommit subject"), "{e}");
    }
    // Another key.
    let (_, stranger) = new_key();
    let e = policy(stranger, &[SkippedCheck::TransparencyLog])
        .verify_commit_statement(commit, &bundle, None)
        .unwrap_err();
    assert!(matches!(e.check(), Check::Sigstore(_)), "{e}");
    // Checked with the log required, the key-signed bundle without log entries is refused first.
    let (key, public) = new_key();
    let bundle = signed_commit(key, commit);
    let e = policy(public, &[])
        .verify_commit_statement(commit, &bundle, None)
        .unwrap_err();
    assert_eq!(e.check(), Check::TransparencyLog, "{e}");
    // A statement about an artefact digest is not one about the commit.
    let (key, public) = new_key();
    let subject = Algorithm::Sha256.hash_bytes(b"a\n");
    let bundle = signed(key, &subject, predicate::PROVENANT_SOURCE_V1);
    let e = policy(public, &[SkippedCheck::TransparencyLog])
        .verify_commit_statement(commit, &bundle, None)
        .unwrap_err();
    assert!(e.to_string().contains("is not a gitCommit subject"), "{e}");
}

/// A source-stage statement about `commit` signed keylessly as `san` at the loopback mock
/// Fulcio/Rekor: a Fulcio certificate and a Rekor v1 `dsse` entry with its SET and inclusion proof.
fn keyless_commit(
    sigstore: &provenant_testkit::sigstore::MockSigstore,
    san: &str,
    commit: &str,
) -> EvidenceBundle {
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "git+https://example.com/app", "digest": {"gitCommit": commit}}],
        "predicateType": predicate::PROVENANT_SOURCE_V1,
        "predicate": {"commit": commit, "result": "pass"},
    });
    let token = provenant_testkit::sigstore::mock_identity_token(MOCK_ISSUER, san);
    let base = sigstore.base_url();
    let bundle = Signer::new(SigningMethod::Keyless {
        services: provenant_sigstore_sign::Services::new(base.clone(), base),
        token: provenant_evidence::TokenSource::Given(token.into()),
    })
    .sign_statement(&serde_json::to_vec(&statement).unwrap())
    .unwrap()
    .bundle;
    EvidenceBundle::from_json(&bundle.to_json_v0_3().unwrap()).unwrap()
}

const MOCK_ISSUER: &str = "https://issuer.example";

fn keyless_policy(sigstore: &provenant_testkit::sigstore::MockSigstore, san: &str) -> TrustPolicy {
    let root =
        provenant_sigstore::TrustedRoot::from_json(&std::fs::read(&sigstore.trusted_root).unwrap()).unwrap();
    TrustPolicy::new(
        Role::single(
            "source",
            Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(san.into())).with_issuer(MOCK_ISSUER)),
        ),
        Some(&root),
        [],
    )
    .unwrap()
}

#[test]
fn a_keyless_logged_statement_about_a_git_commit_verifies_for_that_commit_and_identity_only() {
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let commit = "4f1c0a9e2b7d3c5a8e6f0b1d2c3e4f5a6b7c8d9e";
    let bundle = keyless_commit(&sigstore, "ci@example.com", commit);
    assert!(!bundle.bundle.log_entries().is_empty(), "the mock logs the entry");
    let trust = keyless_policy(&sigstore, "ci@example.com");
    // Every check: the certificate chain, SCT, log entry (SET, inclusion proof, checkpoint, body),
    // identity and signature, then the commit as the statement's gitCommit subject.
    let verified = trust
        .verify_commit_statement(commit, &bundle, Some(predicate::PROVENANT_SOURCE_V1))
        .unwrap();
    assert_eq!(verified.statement.predicate["commit"], commit);
    assert!(verified.signature.skipped.is_empty());
    assert_eq!(
        verified.signature.signer,
        SignerIdentity::Certificate {
            san: "ci@example.com".into(),
            issuer: Some(MOCK_ISSUER.into()),
        }
    );
    assert!(verified.signature.verified.integrated_time.is_some());
    // Wrong commit: the artefact check names it.
    let e = trust
        .verify_commit_statement("0000000000000000000000000000000000000001", &bundle, None)
        .unwrap_err();
    assert_eq!(e.check(), Check::Sigstore("artefact"), "{e}");
    assert!(e.to_string().contains("is not a gitCommit subject"), "{e}");
    // Wrong identity: the SAN check names it.
    let e = keyless_policy(&sigstore, "someone@example.com")
        .verify_commit_statement(commit, &bundle, None)
        .unwrap_err();
    assert_eq!(e.check(), Check::Sigstore("san"), "{e}");
    // Another trusted root (another mock's keys): the chain or the log is refused.
    let other = provenant_testkit::sigstore::start_mock_sigstore();
    let e = keyless_policy(&other, "ci@example.com")
        .verify_commit_statement(commit, &bundle, None)
        .unwrap_err();
    assert!(
        matches!(
            e.check(),
            Check::Sigstore(
                "transparency-log" | "certificate-chain" | "signed-entry-timestamp" | "checkpoint"
            )
        ),
        "{e}"
    );
}

#[test]
fn a_tampered_keyless_statement_about_a_git_commit_is_refused_naming_the_check() {
    use base64::Engine as _;
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let commit = "4f1c0a9e2b7d3c5a8e6f0b1d2c3e4f5a6b7c8d9e";
    let other = "0000000000000000000000000000000000000001";
    let bundle = keyless_commit(&sigstore, "ci@example.com", commit);
    let trust = keyless_policy(&sigstore, "ci@example.com");
    let json: serde_json::Value = serde_json::from_slice(&bundle.bundle.to_json_v0_3().unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    // The payload rewritten to name another commit: the logged payload hash no longer matches.
    let mut edited = json.clone();
    let payload = b64
        .decode(edited["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let payload = String::from_utf8(payload).unwrap().replace(commit, other);
    edited["dsseEnvelope"]["payload"] = b64.encode(payload).into();
    let tampered = EvidenceBundle::from_json(edited.to_string().as_bytes()).unwrap();
    let e = trust.verify_commit_statement(other, &tampered, None).unwrap_err();
    assert_eq!(e.check(), Check::Sigstore("log-entry"), "{e}");
    // The log entry's inclusion proof edited: refused by the proof check.
    let mut edited = json.clone();
    let entry = &mut edited["verificationMaterial"]["tlogEntries"][0];
    entry["logIndex"] = (entry["logIndex"].as_str().unwrap().parse::<u64>().unwrap() + 1)
        .to_string()
        .into();
    let tampered = EvidenceBundle::from_json(edited.to_string().as_bytes()).unwrap();
    let e = trust
        .verify_commit_statement(commit, &tampered, None)
        .unwrap_err();
    assert!(
        matches!(
            e.check(),
            Check::Sigstore("signed-entry-timestamp" | "inclusion-proof")
        ),
        "{e}"
    );
    // The SET removed: the integrated time is unproven.
    let mut edited = json;
    edited["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionPromise");
    let tampered = EvidenceBundle::from_json(edited.to_string().as_bytes()).unwrap();
    let e = trust
        .verify_commit_statement(commit, &tampered, None)
        .unwrap_err();
    assert_eq!(e.check(), Check::Sigstore("signed-entry-timestamp"), "{e}");
}
