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
    run_case_with(
        case,
        &std::fs::read(case.join("bundle.sigstore.json")).unwrap(),
        by_digest,
    )
}

/// Runs one case with `bundle_json` in place of the case's bundle.
fn run_case_with(case: &Path, bundle_json: &[u8], by_digest: bool) -> Result<(), String> {
    let root_path = if case.join("trusted_root.json").is_file() {
        case.join("trusted_root.json")
    } else {
        conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json")
    };
    let root = TrustedRoot::from_json(&std::fs::read(&root_path).unwrap()).map_err(|e| e.to_string())?;
    let verifier = Verifier::new(&root).map_err(|e| e.to_string())?;
    let bundle = Bundle::from_json(bundle_json).map_err(|e| e.to_string())?;
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

/// Issue 15, item 6: every passing case whose entries carry an inclusion proof, with the proof's
/// `rootHash` changed (so that it agrees with neither the computed root nor the signed checkpoint), is
/// rejected by the inclusion-proof check, Rekor v1 and v2 alike, as sigstore-python and sigstore-go
/// reject it.
#[test]
fn inclusion_proof_root_hash_disagreeing_with_checkpoint_is_rejected() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let mut mutated = 0;
    let mut accepted = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("_fail") || run_case(&case, false).is_err() {
            continue;
        }
        let original: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
        let entries = original["verificationMaterial"]["tlogEntries"]
            .as_array()
            .unwrap()
            .len();
        for i in 0..entries {
            let Some(root) =
                original["verificationMaterial"]["tlogEntries"][i]["inclusionProof"]["rootHash"].as_str()
            else {
                continue;
            };
            for replacement in [
                // One bit flipped, and a root of another tree altogether.
                {
                    let mut bytes = B64.decode(root).unwrap();
                    bytes[0] ^= 1;
                    B64.encode(bytes)
                },
                B64.encode([0x5a; 32]),
            ] {
                let mut bundle = original.clone();
                bundle["verificationMaterial"]["tlogEntries"][i]["inclusionProof"]["rootHash"] =
                    serde_json::Value::String(replacement);
                let json = serde_json::to_vec(&bundle).unwrap();
                mutated += 1;
                match run_case_with(&case, &json, false) {
                    Err(e) if e.starts_with("[inclusion-proof]") => {}
                    other => accepted.push(format!("{name} entry {i}: {other:?}")),
                }
            }
        }
    }
    assert!(
        mutated >= 20,
        "only {mutated} mutations: the vectors lack inclusion proofs"
    );
    assert!(
        accepted.is_empty(),
        "{} of {mutated} bundles with a wrong rootHash were not rejected by the inclusion-proof check:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

/// A bundle's JSON text with its members in the order given (`serde_json`'s `Value` would merge
/// duplicates).
fn bundle_text(members: &[(&str, &serde_json::Value)]) -> Vec<u8> {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(k).unwrap(),
                serde_json::to_string(v).unwrap()
            )
        })
        .collect();
    format!("{{{}}}", body.join(",")).into_bytes()
}

/// Issue 15, item 19: bundles that readers could read differently are refused when parsed, as protobuf
/// JSON parsers refuse them, with the member named: a second `dsseEnvelope` (`serde_json` keeps the last,
/// which here is the genuine one), a duplicate member deeper down, both `dsseEnvelope` and
/// `messageSignature`, and an unknown top-level member.
#[test]
fn ambiguous_bundles_are_refused() {
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let case = dir.join("happy-path-intoto-in-dsse-v3");
    let genuine: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
    let signature: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("happy-path-v0.3/bundle.sigstore.json")).unwrap())
            .unwrap();
    let (media, material, envelope) = (
        &genuine["mediaType"],
        &genuine["verificationMaterial"],
        &genuine["dsseEnvelope"],
    );
    // The control: the genuine bundle, written member by member, verifies.
    let control = bundle_text(&[
        ("mediaType", media),
        ("verificationMaterial", material),
        ("dsseEnvelope", envelope),
    ]);
    run_case_with(&case, &control, false).unwrap();

    let mut other_envelope = envelope.clone();
    other_envelope["payload"] = serde_json::Value::String("eyJfdHlwZSI6ImV2aWwifQ==".into());
    let mut deep = serde_json::to_string(&genuine).unwrap();
    deep = deep.replacen(
        "\"payloadType\":",
        "\"payloadType\":\"text/plain\",\"payloadType\":",
        1,
    );
    let unknown = serde_json::json!({"note": "ignored by some readers"});
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a second dsseEnvelope",
            bundle_text(&[
                ("mediaType", media),
                ("verificationMaterial", material),
                ("dsseEnvelope", &other_envelope),
                ("dsseEnvelope", envelope),
            ]),
            "field `dsseEnvelope` appears twice",
        ),
        (
            "a duplicate member inside the envelope",
            deep.into_bytes(),
            "field `dsseEnvelope.payloadType` appears twice",
        ),
        (
            "dsseEnvelope and messageSignature",
            bundle_text(&[
                ("mediaType", media),
                ("verificationMaterial", material),
                ("dsseEnvelope", envelope),
                ("messageSignature", &signature["messageSignature"]),
            ]),
            "field `messageSignature` is given beside dsseEnvelope",
        ),
        (
            "an unknown top-level member",
            bundle_text(&[
                ("mediaType", media),
                ("verificationMaterial", material),
                ("dsseEnvelope", envelope),
                ("extension", &unknown),
            ]),
            "field `extension` is not a member of a sigstore bundle",
        ),
    ];
    for (what, json, words) in cases {
        let err = Bundle::from_json(&json).map(|_| ()).expect_err(what);
        let message = err.to_string();
        assert!(message.contains(words), "{what}: {message}");
        let err = run_case_with(&case, &json, false).expect_err(what);
        assert!(err.contains(words), "{what}: {err}");
    }
}
