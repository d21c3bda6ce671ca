//! Identity policy: exact and anchored-regexp SAN, OIDC issuer, Fulcio extensions, policy kind.

use provenant_sigstore::{
    Artifact, Bundle, FulcioExtension, IdentityPolicy, Policy, PublicKey, SanMatcher, TrustedRoot, Verifier,
    VerifyError,
};

use crate::conformance::conformance_dir;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn check(policy: IdentityPolicy) -> Result<provenant_sigstore::Verified, VerifyError> {
    let root = conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json");
    let verifier = Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap();
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let bundle =
        Bundle::from_json(&std::fs::read(dir.join("happy-path-v0.3/bundle.sigstore.json")).unwrap()).unwrap();
    let artifact = std::fs::read(dir.join("a.txt")).unwrap();
    verifier.verify(Artifact::Bytes(&artifact), &bundle, &Policy::Identity(policy))
}

#[test]
fn exact_and_regexp_identities() {
    let v = check(IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into())).with_issuer(ISSUER)).unwrap();
    assert_eq!(v.identity.as_deref(), Some(IDENTITY));
    assert_eq!(v.issuer.as_deref(), Some(ISSUER));
    assert!(v.integrated_time.is_some());
    check(IdentityPolicy::new(
        SanMatcher::regex(r"https://github\.com/sigstore-conformance/.*").unwrap(),
    ))
    .unwrap();
    // Anchored: a prefix is not a match.
    let err = check(IdentityPolicy::new(
        SanMatcher::regex(r"https://github\.com/sigstore-conformance").unwrap(),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("SAN mismatch: got {IDENTITY}, want /https://github\\.com/sigstore-conformance/")
    );
}

#[test]
fn issuer_and_extensions() {
    let err = check(
        IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into())).with_issuer("https://accounts.google.com"),
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::IssuerMismatch { .. }), "{err}");
    assert_eq!(err.check(), "oidc-issuer");

    let ok = IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into()))
        .with_extension(FulcioExtension::SourceRepositoryRef, "refs/heads/main")
        .with_extension(FulcioExtension::RunnerEnvironment, "github-hosted");
    let v = check(ok).unwrap();
    assert!(
        v.extensions
            .contains(&(FulcioExtension::SourceRepositoryRef, "refs/heads/main".into()))
    );

    let err = check(
        IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into()))
            .with_extension(FulcioExtension::SourceRepositoryRef, "refs/tags/v1"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "certificate extension source-repository-ref mismatch: got refs/heads/main, want refs/tags/v1"
    );
    assert_eq!(
        "build-trigger".parse::<FulcioExtension>().unwrap(),
        FulcioExtension::BuildTrigger
    );
    assert!("nope".parse::<FulcioExtension>().is_err());
}

#[test]
fn a_key_policy_does_not_accept_a_certificate_bundle() {
    let root = conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json");
    let verifier = Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap();
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let bundle =
        Bundle::from_json(&std::fs::read(dir.join("happy-path-v0.3/bundle.sigstore.json")).unwrap()).unwrap();
    let key =
        PublicKey::from_pem(&std::fs::read_to_string(dir.join("managed-key-happy-path/key.pub")).unwrap())
            .unwrap();
    let err = verifier
        .verify(Artifact::Bytes(b"x"), &bundle, &Policy::Key(key))
        .unwrap_err();
    assert_eq!(err.check(), "policy-kind");
    assert!(PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err());
}

#[test]
fn streamed_artifacts_verify_like_bytes() {
    let root = conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json");
    let verifier = Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap();
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let artifact = std::fs::read(dir.join("a.txt")).unwrap();
    let policy =
        Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into())).with_issuer(ISSUER));
    for case in ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3"] {
        let bundle =
            Bundle::from_json(&std::fs::read(dir.join(case).join("bundle.sigstore.json")).unwrap()).unwrap();
        verifier
            .verify_reader(artifact.as_slice(), &bundle, &policy)
            .unwrap();
        let mut tampered = artifact.clone();
        tampered.push(b'!');
        let err = verifier
            .verify_reader(tampered.as_slice(), &bundle, &policy)
            .unwrap_err();
        assert_eq!(err.check(), "artefact", "{case}: {err}");
    }
}
