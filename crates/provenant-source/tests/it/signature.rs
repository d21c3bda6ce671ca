//! SSH commit signatures made by git and ssh-keygen, verified, refused and tampered with.

use provenant_source::allowed_signers::{AllowedSigners, Refusal};
use provenant_source::git::{read_commit, read_range};
use provenant_source::signature::{Format, SshError, verify_ssh};

use crate::support::{Repo, Signing, Who, ssh_key, ssh_sign, with_signature};

struct Fixture {
    repo: Repo,
    keys: tempfile::TempDir,
    alice_pub: String,
    alice: Who,
}

fn fixture() -> Fixture {
    let keys = tempfile::tempdir().unwrap();
    let (alice_key, alice_pub) = ssh_key(keys.path(), "alice");
    let alice = Who::new("Alice", "alice@example.com", Signing::Ssh(alice_key));
    let repo = Repo::new();
    repo.commit(
        &Who::new("Base", "base@example.com", Signing::None),
        "chore: base",
        &[("README", "base\n")],
    );
    Fixture {
        repo,
        keys,
        alice_pub,
        alice,
    }
}

fn verify_head(f: &Fixture, signers: &str) -> Result<provenant_source::signature::SshVerified, SshError> {
    let repo = f.repo.open();
    let range = read_range(&repo, "HEAD~1..HEAD").unwrap();
    assert_eq!(range.commits.len(), 1);
    let commit = &range.commits[0];
    let signed = commit.signature.as_ref().expect("the commit is signed");
    assert_eq!(Format::detect(&signed.armored), Format::Ssh);
    let signers = AllowedSigners::parse(signers).unwrap();
    verify_ssh(
        &signed.armored,
        &signed.payload,
        &signers,
        &commit.committer.email,
        commit.committer.time,
    )
}

#[test]
fn ssh_signed_commit_verifies_for_its_committer() {
    let f = fixture();
    f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    let signers = format!("# team\n\nalice@example.com namespaces=\"git\" {}\n", f.alice_pub);
    let verified = verify_head(&f, &signers).unwrap();
    assert_eq!(verified.line, 3);
    assert_eq!(verified.principals, vec!["alice@example.com".to_owned()]);
    assert!(verified.fingerprint.starts_with("SHA256:"));
    // Wildcard principals as ssh-keygen reads them.
    verify_head(&f, &format!("*@example.com {}\n", f.alice_pub)).unwrap();
}

#[test]
fn ssh_signature_with_other_committer_email_is_refused() {
    let f = fixture();
    let mallory = Who::new("Mallory", "mallory@example.com", f.alice.signing.clone());
    f.repo
        .commit(&mallory, "feat: signed with alice's key", &[("a.txt", "a\n")]);
    let err = verify_head(&f, &format!("alice@example.com {}\n", f.alice_pub)).unwrap_err();
    assert!(
        matches!(&err, SshError::NotAllowed(Refusal::PrincipalMismatch { email, .. }) if email == "mallory@example.com"),
        "{err}"
    );
    // A negated pattern excludes even when a positive one matches.
    f.repo.commit(&f.alice, "fix: again", &[("b.txt", "b\n")]);
    let err = verify_head(&f, &format!("*@example.com,!alice@example.com {}\n", f.alice_pub)).unwrap_err();
    assert!(
        matches!(err, SshError::NotAllowed(Refusal::PrincipalMismatch { .. })),
        "{err}"
    );
}

#[test]
fn ssh_signature_by_unknown_key_is_refused() {
    let f = fixture();
    f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    let (_, bob_pub) = ssh_key(f.keys.path(), "bob");
    let err = verify_head(&f, &format!("alice@example.com {bob_pub}\n")).unwrap_err();
    assert!(
        matches!(err, SshError::NotAllowed(Refusal::UnknownKey { .. })),
        "{err}"
    );
}

#[test]
fn ssh_validity_window_uses_the_commit_time() {
    let f = fixture();
    f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    // The commit is dated 2023-11-14T22:14:20Z.
    let expired = format!("alice@example.com valid-before=20231114Z {}\n", f.alice_pub);
    let err = verify_head(&f, &expired).unwrap_err();
    assert!(
        matches!(err, SshError::NotAllowed(Refusal::Expired { line: 1, .. })),
        "{err}"
    );
    let future = format!("alice@example.com valid-after=202311150000Z {}\n", f.alice_pub);
    let err = verify_head(&f, &future).unwrap_err();
    assert!(
        matches!(err, SshError::NotAllowed(Refusal::NotYetValid { line: 1, .. })),
        "{err}"
    );
    let inside = format!(
        "alice@example.com valid-after=20231114221400Z,valid-before=20231115 {}\n",
        f.alice_pub
    );
    verify_head(&f, &inside).unwrap();
}

#[test]
fn ssh_key_limited_to_other_namespaces_is_refused() {
    let f = fixture();
    f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    let err = verify_head(
        &f,
        &format!("alice@example.com namespaces=\"file,email\" {}\n", f.alice_pub),
    )
    .unwrap_err();
    assert!(
        matches!(err, SshError::NotAllowed(Refusal::Namespace { .. })),
        "{err}"
    );
    verify_head(
        &f,
        &format!("alice@example.com namespaces=\"file,g*\" {}\n", f.alice_pub),
    )
    .unwrap();
}

#[test]
fn ssh_cert_authority_is_reported_unsupported() {
    let f = fixture();
    f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    let err = verify_head(&f, &format!("alice@example.com cert-authority {}\n", f.alice_pub)).unwrap_err();
    assert!(
        matches!(
            err,
            SshError::NotAllowed(Refusal::CertAuthorityUnsupported { line: 1 })
        ),
        "{err}"
    );
}

#[test]
fn ssh_tampered_commit_fails_the_signature_check() {
    let f = fixture();
    let id = f.repo.commit(&f.alice, "feat: signed", &[("a.txt", "a\n")]);
    let raw = f.repo.raw(&id);
    let tampered = String::from_utf8(raw)
        .unwrap()
        .replace("feat: signed", "feat: signed!");
    let forged = f.repo.write_raw(tampered.as_bytes());
    let repo = f.repo.open();
    let commit = read_commit(&repo, gix::ObjectId::from_hex(forged.as_bytes()).unwrap()).unwrap();
    assert_eq!(commit.subject(), "feat: signed!");
    let signed = commit.signature.unwrap();
    let signers = AllowedSigners::parse(&format!("alice@example.com {}\n", f.alice_pub)).unwrap();
    let err = verify_ssh(
        &signed.armored,
        &signed.payload,
        &signers,
        "alice@example.com",
        commit.committer.time,
    )
    .unwrap_err();
    assert!(matches!(err, SshError::BadSignature { .. }), "{err}");
}

#[test]
fn ssh_signature_in_another_namespace_is_refused() {
    let f = fixture();
    let id = f.repo.commit(
        &Who::new("Alice", "alice@example.com", Signing::None),
        "feat: unsigned",
        &[],
    );
    let Signing::Ssh(key) = &f.alice.signing else {
        unreachable!()
    };
    let unsigned = f.repo.raw(&id);
    let armored = ssh_sign(key, "file", &unsigned);
    let forged = f.repo.write_raw(&with_signature(&unsigned, &armored));
    let repo = f.repo.open();
    let commit = read_commit(&repo, gix::ObjectId::from_hex(forged.as_bytes()).unwrap()).unwrap();
    let signed = commit.signature.unwrap();
    assert_eq!(signed.payload, unsigned);
    let signers = AllowedSigners::parse(&format!("alice@example.com {}\n", f.alice_pub)).unwrap();
    let err = verify_ssh(
        &signed.armored,
        &signed.payload,
        &signers,
        "alice@example.com",
        commit.committer.time,
    )
    .unwrap_err();
    assert_eq!(err, SshError::Namespace { found: "file".into() });
    // The same content signed in the git namespace and spliced the same way verifies: the splice is right.
    let armored = ssh_sign(key, "git", &unsigned);
    let good = f.repo.write_raw(&with_signature(&unsigned, &armored));
    let commit = read_commit(&repo, gix::ObjectId::from_hex(good.as_bytes()).unwrap()).unwrap();
    let signed = commit.signature.unwrap();
    verify_ssh(
        &signed.armored,
        &signed.payload,
        &signers,
        "alice@example.com",
        commit.committer.time,
    )
    .unwrap();
}

#[test]
fn signature_formats_are_told_apart() {
    assert_eq!(Format::detect(b"-----BEGIN SSH SIGNATURE-----\nAAA"), Format::Ssh);
    assert_eq!(
        Format::detect(b"-----BEGIN PGP SIGNATURE-----\n\nAAA"),
        Format::Openpgp
    );
    assert_eq!(
        Format::detect(b"-----BEGIN SIGNED MESSAGE-----\nMIAG"),
        Format::X509
    );
    assert_eq!(Format::detect(b"garbage"), Format::Unknown);
    let err = verify_ssh(
        b"-----BEGIN SSH SIGNATURE-----\nnot base64\n-----END SSH SIGNATURE-----\n",
        b"x",
        &AllowedSigners::default(),
        "a@b",
        0,
    )
    .unwrap_err();
    assert!(matches!(err, SshError::Malformed { .. }), "{err}");
}
