//! slsa-verifier's sigstore bundles (the generator's v2.1.0 releases and the container-based builder),
//! which verify offline: signature, certificate, SCT and log inclusion through the trust core, then
//! the provenance checks. The older `.intoto.jsonl` envelopes carry no log proof and need slsa-verifier's
//! online Rekor search; their provenance checks run in `provenant-slsa`'s regression tests instead.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use provenant_provenance::{
    Check, Expectations, Input, ProvenanceError, RefExpectation, verify, vsa_statement,
};
use provenant_sigstore::{Bundle, IdentityPolicy, Policy, SanMatcher, TrustedRoot, Verifier};
use provenant_slsa::Timestamp;

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const GENERATOR: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";

fn testdata() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier/cli/slsa-verifier/testdata")
}

fn verifier() -> Verifier {
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap()
}

fn identity(workflow: &str) -> Policy {
    let re = format!(
        "^{}{}@refs/tags/v[0-9.]+$",
        regex::escape(GENERATOR),
        regex::escape(workflow)
    );
    Policy::Identity(IdentityPolicy::new(SanMatcher::regex(&re).unwrap()).with_issuer(ISSUER))
}

fn large_digest(rel: &str) -> Digest {
    let list = std::fs::read_to_string(
        provenant_testkit::vectors_dir().join("slsa-verifier/LARGE_ARTIFACTS_NOT_COPIED.sha256"),
    )
    .unwrap();
    let hex = list
        .lines()
        .find(|l| l.ends_with(rel))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    Digest::from_hex(Algorithm::Sha256, &hex).unwrap()
}

fn bundle(path: &Path) -> (Bundle, Digest) {
    let bytes = std::fs::read(path).unwrap();
    (
        Bundle::from_json(&bytes).unwrap(),
        Algorithm::Sha256.hash_bytes(&bytes),
    )
}

fn expectations(workflow: &str, source: &str, git_ref: Option<RefExpectation>) -> Expectations {
    Expectations {
        builder_id: format!("{GENERATOR}{workflow}").parse().unwrap(),
        source: source.parse().unwrap(),
        git_ref,
        build_level: None,
        workflow_inputs: std::collections::BTreeMap::new(),
    }
}

fn run(
    path: &Path,
    artefact: &Digest,
    policy: &Policy,
    exp: &Expectations,
) -> Result<provenant_provenance::VerifiedProvenance, ProvenanceError> {
    let (b, digest) = bundle(path);
    let inputs = [Input {
        bundle: &b,
        digest,
        name: path.display().to_string(),
    }];
    verify(&verifier(), policy, &inputs, artefact, exp)
}

const EXAMPLE: &str = "github.com/slsa-framework/example-package";

#[test]
fn go_builder_v2_1_0_bundles_verify_offline() {
    let dir = testdata().join("gha_go/v2.1.0");
    let policy = identity("builder_go_slsa3.yml");
    let cases = [
        (
            "binary-linux-amd64-workflow_dispatch",
            Some(RefExpectation::Branch("main".into())),
        ),
        (
            "binary-linux-amd64-push-v13.0.30",
            Some(RefExpectation::VersionedTag("v13.0".into())),
        ),
        (
            "binary-linux-amd64-push-v14.2",
            Some(RefExpectation::Tag("v14.2".into())),
        ),
        (
            "binary-linux-amd64-push-v14",
            Some(RefExpectation::VersionedTag("v14".into())),
        ),
    ];
    for (name, git_ref) in cases {
        let artefact = large_digest(&format!("gha_go/v2.1.0/{name}"));
        let exp = expectations("builder_go_slsa3.yml", EXAMPLE, git_ref);
        let ok = run(
            &dir.join(format!("{name}.intoto.jsonl")),
            &artefact,
            &policy,
            &exp,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ok.build_level, 3, "{name}");
        assert!(ok.signer.identity.as_deref().unwrap().starts_with(GENERATOR));
    }
}

#[test]
fn each_check_fails_with_its_own_reason() {
    let path = testdata().join("gha_go/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl");
    let artefact = large_digest("gha_go/v2.1.0/binary-linux-amd64-workflow_dispatch");
    let policy = identity("builder_go_slsa3.yml");
    let good = expectations("builder_go_slsa3.yml", EXAMPLE, None);
    let check = |artefact: &Digest, policy: &Policy, exp: &Expectations| {
        run(&path, artefact, policy, exp).unwrap_err().check()
    };

    assert_eq!(
        check(&Algorithm::Sha256.hash_bytes(b"another artefact"), &policy, &good),
        Check::Subject
    );
    assert_eq!(
        check(&artefact, &identity("generator_generic_slsa3.yml"), &good),
        Check::Signature
    );
    assert_eq!(
        check(
            &artefact,
            &policy,
            &expectations("generator_generic_slsa3.yml", EXAMPLE, None)
        ),
        Check::Builder
    );
    assert_eq!(
        check(
            &artefact,
            &policy,
            &expectations(
                "builder_go_slsa3.yml",
                "github.com/slsa-framework/example-packageA",
                None
            )
        ),
        Check::Source
    );
    assert_eq!(
        check(
            &artefact,
            &policy,
            &expectations(
                "builder_go_slsa3.yml",
                EXAMPLE,
                Some(RefExpectation::Branch("master".into()))
            )
        ),
        Check::Ref
    );
    assert_eq!(
        check(
            &artefact,
            &policy,
            &expectations(
                "builder_go_slsa3.yml",
                EXAMPLE,
                Some(RefExpectation::Tag("v1.2.3".into()))
            )
        ),
        Check::Ref
    );
    let mut level4 = good.clone();
    level4.build_level = Some(4);
    assert_eq!(check(&artefact, &policy, &level4), Check::BuildLevel);
    // A statement changed after signing fails the signature check, before any other.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(doc["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let forged = String::from_utf8(payload)
        .unwrap()
        .replace("example-package", "example-packagf");
    doc["dsseEnvelope"]["payload"] = serde_json::Value::String(b64.encode(forged));
    let b = Bundle::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap();
    let inputs = [Input {
        bundle: &b,
        digest: artefact,
        name: "forged".into(),
    }];
    let err = verify(&verifier(), &policy, &inputs, &artefact, &good).unwrap_err();
    assert_eq!(err.check(), Check::Signature, "{err}");
}

#[test]
fn one_valid_bundle_among_invalid_ones_verifies() {
    let go = testdata().join("gha_go/v2.1.0");
    let artefact = large_digest("gha_go/v2.1.0/binary-linux-amd64-push-v14");
    let (other_builder, d0) =
        bundle(&testdata().join("gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"));
    let (other_ref, d1) = bundle(&go.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"));
    let (right, d2) = bundle(&go.join("binary-linux-amd64-push-v14.intoto.jsonl"));
    let inputs = [
        Input {
            bundle: &other_builder,
            digest: d0,
            name: "generic".into(),
        },
        Input {
            bundle: &other_ref,
            digest: d1,
            name: "dispatch".into(),
        },
        Input {
            bundle: &right,
            digest: d2,
            name: "push".into(),
        },
    ];
    let exp = expectations(
        "builder_go_slsa3.yml",
        EXAMPLE,
        Some(RefExpectation::VersionedTag("v14".into())),
    );
    let ok = verify(
        &verifier(),
        &identity("builder_go_slsa3.yml"),
        &inputs,
        &artefact,
        &exp,
    )
    .unwrap();
    assert_eq!(ok.bundle_index, 2);
    // Without the right one, the error is that of the bundle that got furthest: the ref check.
    let err = verify(
        &verifier(),
        &identity("builder_go_slsa3.yml"),
        &inputs[..2],
        &artefact,
        &exp,
    )
    .unwrap_err();
    assert_eq!(err.check(), Check::Ref, "{err}");
    let err = verify(
        &verifier(),
        &identity("builder_go_slsa3.yml"),
        &inputs[..1],
        &artefact,
        &exp,
    )
    .unwrap_err();
    assert_eq!(err.check(), Check::Signature, "{err}");
}

#[test]
fn container_based_v1_provenance_verifies_and_summarises_as_vsa() {
    let dir = testdata().join("gha_container-based/v2.1.0");
    let artefact = Algorithm::Sha256
        .hash_bytes(&std::fs::read(dir.join("binary-linux-amd64-workflow_dispatch")).unwrap());
    let policy = identity("builder_container-based_slsa3.yml");
    let exp = expectations(
        "builder_container-based_slsa3.yml",
        EXAMPLE,
        Some(RefExpectation::Branch("main".into())),
    );
    let path = dir.join("binary-linux-amd64-workflow_dispatch.intoto.build.slsa");
    let ok = run(&path, &artefact, &policy, &exp).unwrap();
    assert_eq!(ok.provenance.version(), provenant_slsa::ProvenanceVersion::V1);
    let (b, digest) = bundle(&path);
    let input = Input {
        bundle: &b,
        digest,
        name: "provenance.build.slsa".into(),
    };
    let vsa = vsa_statement(
        &ok,
        &artefact,
        &exp,
        &input,
        Timestamp::from_unix(1_700_000_000).unwrap(),
        "file://binary-linux-amd64-workflow_dispatch",
    );
    assert_eq!(vsa["predicate"]["verificationResult"], "PASSED");
    assert_eq!(vsa["predicate"]["verifiedLevels"][0], "SLSA_BUILD_LEVEL_3");
    assert_eq!(vsa["subject"][0]["digest"]["sha256"], artefact.hex());
    provenant_slsa::vsa::VsaV1::from_json(&vsa["predicate"]).unwrap();
}
