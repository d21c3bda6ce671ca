//! The bundle-verify cases of sigstore-conformance, run through the library with the conformance
//! protocol's defaults: every case with the artefact's bytes and with its `sha256:` digest.

use std::path::{Path, PathBuf};

use provenant_sigstore::{
    Artifact, Bundle, IdentityPolicy, Policy, PublicKey, SanMatcher, TrustedRoot, Verifier, VerifyError,
    sha256,
};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub(crate) fn conformance_dir() -> PathBuf {
    provenant_testkit::vectors_dir().join("sigstore-conformance")
}

pub(crate) fn cases() -> Vec<PathBuf> {
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok().map(|s| s.trim().to_owned())
}

/// Runs one case; `Err` carries why it was rejected (a parse or verification error).
fn run_case(case: &Path, by_digest: bool) -> Result<(), String> {
    let root_path = if case.join("trusted_root.json").is_file() {
        case.join("trusted_root.json")
    } else {
        conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json")
    };
    let root = TrustedRoot::from_json(&std::fs::read(&root_path).unwrap()).map_err(|e| e.to_string())?;
    let verifier = Verifier::new(&root).map_err(|e| e.to_string())?;
    let bundle = Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).unwrap())
        .map_err(|e| e.to_string())?;
    let artifact_path = if case.join("artifact").is_file() {
        case.join("artifact")
    } else {
        case.parent().unwrap().join("a.txt")
    };
    let bytes = std::fs::read(&artifact_path).unwrap();
    let policy = if case.join("key.pub").is_file() {
        Policy::Key(
            PublicKey::from_pem(&std::fs::read_to_string(case.join("key.pub")).unwrap())
                .map_err(|e| e.to_string())?,
        )
    } else {
        let identity = read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.to_owned());
        let issuer = read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(identity)).with_issuer(issuer))
    };
    let artifact = if by_digest {
        Artifact::Digest(sha256(&bytes))
    } else {
        Artifact::Bytes(&bytes)
    };
    verifier
        .verify(artifact, &bundle, &policy)
        .map(|_| ())
        .map_err(|e: VerifyError| format!("[{}] {e}", e.check()))
}

#[test]
fn all_bundle_verify_cases_give_the_expected_result() {
    let cases = cases();
    assert_eq!(cases.len(), 70, "sigstore-conformance has 70 bundle-verify cases");
    let mut wrong = Vec::new();
    let (mut passed, mut rejected) = (0, 0);
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = name.ends_with("_fail");
        for by_digest in [false, true] {
            let outcome = run_case(case, by_digest);
            eprintln!("{name} (digest={by_digest}): {outcome:?}");
            match (&outcome, must_fail) {
                (Ok(()), false) => passed += 1,
                (Err(_), true) => rejected += 1,
                _ => wrong.push(format!("{name} digest={by_digest}: {outcome:?}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 140 runs gave the wrong result:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!((passed, rejected), (42, 98));
}
