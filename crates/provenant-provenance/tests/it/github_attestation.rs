//! slsa-verifier's `Test_runVerifyGithubAttestation` table (BCR's GitHub artifact attestations, sigstore
//! v0.3 bundles), every case, offline against the production trusted root snapshot; then each check
//! failing on its own, and the bundle tampered with.

use std::path::PathBuf;

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use provenant_provenance::RefExpectation;
use provenant_provenance::github_attestation::{
    AttestationCheck, AttestationError, AttestationExpectations, verify_github_attestation,
};
use provenant_sigstore::{Bundle, TrustedRoot, Verifier};
use serde_json::Value;

const RELEASER: &str = "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml";
const PUBLISHER: &str = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
const SOURCE: &str = "github.com/aspect-build/rules_lint";

fn bcr() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier/cli/slsa-verifier/testdata/bcr")
}

fn verifier() -> Verifier {
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap()
}

/// The artefact's sha256: hashed, or listed when it was too large for the vectors.
fn artefact(name: &str) -> Digest {
    let path = bcr().join(name);
    if path.is_file() {
        return Algorithm::Sha256.hash_bytes(&std::fs::read(path).unwrap());
    }
    let list = std::fs::read_to_string(
        provenant_testkit::vectors_dir().join("slsa-verifier/LARGE_ARTIFACTS_NOT_COPIED.sha256"),
    )
    .unwrap();
    let hex = list
        .lines()
        .find(|l| l.ends_with(&format!("bcr/{name}")))
        .unwrap_or_else(|| panic!("{name} is neither in the vectors nor listed"))
        .split_whitespace()
        .next()
        .unwrap();
    Digest::from_hex(Algorithm::Sha256, hex).unwrap()
}

fn bundle(name: &str) -> Bundle {
    Bundle::from_json(&std::fs::read(bcr().join(format!("{name}.intoto.jsonl"))).unwrap()).unwrap()
}

fn serror(e: &AttestationError) -> &'static str {
    match e {
        AttestationError::Statement { .. }
        | AttestationError::NotProvenance { .. }
        | AttestationError::Predicate(_) => "serrors.ErrorInvalidDssePayload",
        AttestationError::Signature(_) => "serrors.ErrorInvalidSignature",
        AttestationError::CertificateClaim { .. } => "serrors.ErrorInvalidFormat",
        AttestationError::Issuer { .. } => "serrors.ErrorInvalidOIDCIssuer",
        AttestationError::UntrustedWorkflow { .. } => "serrors.ErrorUntrustedReusableWorkflow",
        AttestationError::BuilderRef { .. } => "serrors.ErrorInvalidRef",
        AttestationError::CertificateSource { .. } => "serrors.ErrorMismatchSource",
        AttestationError::BuildType { .. } => "serrors.ErrorInvalidBuildType",
        AttestationError::BuilderMismatch { .. } => "serrors.ErrorMismatchBuilderID",
        AttestationError::Policy { source, .. } => crate::policy_serror(source),
        _ => "unmapped",
    }
}

fn expectations(builder: Option<&str>) -> AttestationExpectations {
    AttestationExpectations {
        source: SOURCE.parse().unwrap(),
        builder_id: builder.map(str::to_owned),
        git_ref: None,
    }
}

#[test]
fn github_attestation_table_matches_slsa_verifier() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(
            provenant_testkit::vectors_dir().join("slsa-verifier/regression_cases.extracted.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let list = cases["Test_runVerifyGithubAttestation"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let verifier = verifier();
    let mut failures = Vec::new();
    for (i, case) in list.iter().enumerate() {
        let name = case["artifact"].as_str().unwrap();
        // The table names the builders by the test's variable names.
        let builder = case["builderID"].as_str().map(|b| match b {
            "bcrReleaserBuilderID" => RELEASER,
            "bcrPublisherBuilderID" => PUBLISHER,
            other => panic!("unknown builder {other}"),
        });
        let mut exp = expectations(builder);
        exp.source = case["source"].as_str().unwrap().parse().unwrap();
        let result = verify_github_attestation(&verifier, &bundle(name), &artefact(name), &exp);
        crate::compare_case(i, case, result, serror, |v| v.builder_id, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_verified_attestation_names_its_builder_and_commit() {
    let ok = verify_github_attestation(
        &verifier(),
        &bundle("MODULE.bazel"),
        &artefact("MODULE.bazel"),
        &expectations(Some(PUBLISHER)),
    )
    .unwrap();
    assert_eq!(ok.builder_id, format!("{PUBLISHER}@refs/tags/v0.0.1"));
    assert_eq!(
        ok.source_commit.as_deref(),
        Some("8f70009fde0c94ade6ce2a054b94718c819126ec")
    );
    // Pinned to the version that signed, with or without refs/tags/.
    for pinned in [
        format!("{PUBLISHER}@v0.0.1"),
        format!("{PUBLISHER}@refs/tags/v0.0.1"),
    ] {
        verify_github_attestation(
            &verifier(),
            &bundle("MODULE.bazel"),
            &artefact("MODULE.bazel"),
            &expectations(Some(&pinned)),
        )
        .unwrap();
    }
}

#[test]
fn each_check_fails_with_its_own_reason() {
    let run = |digest: &Digest, exp: &AttestationExpectations| {
        verify_github_attestation(&verifier(), &bundle("MODULE.bazel"), digest, exp).unwrap_err()
    };
    let digest = artefact("MODULE.bazel");
    // Another version of the builder.
    let e = run(&digest, &expectations(Some(&format!("{PUBLISHER}@v0.0.2"))));
    assert!(matches!(e, AttestationError::UntrustedWorkflow { .. }), "{e}");
    // Another builder.
    assert_eq!(
        run(&digest, &expectations(Some(RELEASER))).check(),
        AttestationCheck::Builder
    );
    // Another repository.
    let mut exp = expectations(Some(PUBLISHER));
    exp.source = "github.com/aspect-build/rules_lint2".parse().unwrap();
    let e = run(&digest, &exp);
    assert!(matches!(e, AttestationError::CertificateSource { .. }), "{e}");
    // Another artefact.
    let e = run(
        &Algorithm::Sha256.hash_bytes(b"another file"),
        &expectations(Some(PUBLISHER)),
    );
    assert_eq!(e.check(), AttestationCheck::Subject, "{e}");
    // The ref: the run was on the publish-to-bcr branch.
    let mut exp = expectations(Some(PUBLISHER));
    exp.git_ref = Some(RefExpectation::Branch("publish-to-bcr".into()));
    verify_github_attestation(&verifier(), &bundle("MODULE.bazel"), &digest, &exp).unwrap();
    exp.git_ref = Some(RefExpectation::Branch("main".into()));
    assert_eq!(run(&digest, &exp).check(), AttestationCheck::Ref);
    exp.git_ref = Some(RefExpectation::Tag("v1.3.1".into()));
    assert_eq!(run(&digest, &exp).check(), AttestationCheck::Ref);
}

#[test]
fn tampered_attestations_fail_the_signature_check() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let original: Value =
        serde_json::from_slice(&std::fs::read(bcr().join("MODULE.bazel.intoto.jsonl")).unwrap()).unwrap();
    let flip = |pointer: &str, from_end: usize| {
        let mut doc = original.clone();
        let v = doc.pointer_mut(pointer).unwrap();
        let mut bytes = b64.decode(v.as_str().unwrap()).unwrap();
        let i = bytes.len() - from_end;
        bytes[i] ^= 0x01;
        *v = Value::String(b64.encode(bytes));
        Bundle::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap()
    };
    for (pointer, from_end) in [
        ("/dsseEnvelope/payload", 10),
        ("/dsseEnvelope/signatures/0/sig", 5),
        ("/verificationMaterial/certificate/rawBytes", 5),
    ] {
        let e = verify_github_attestation(
            &verifier(),
            &flip(pointer, from_end),
            &artefact("MODULE.bazel"),
            &expectations(Some(PUBLISHER)),
        )
        .unwrap_err();
        assert!(matches!(e, AttestationError::Signature(_)), "{pointer}: {e}");
        assert!(e.to_string().starts_with("signature check failed"), "{e}");
    }
}
