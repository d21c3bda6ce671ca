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
