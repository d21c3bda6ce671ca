//! slsa-verifier's `Test_runVerifyVSA` table, row by row from `regression_cases.extracted.json`: a GCE
//! image VSA signed with a KMS key (fixed-width ECDSA signature), verified offline with the public key.

use provenant_provenance::{VsaError, VsaExpectations, verify_vsa};
use provenant_sigstore::PublicKey;
use serde_json::Value;

fn vectors() -> std::path::PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

/// The Go `[]string{"a", "b"}` literals of the transcribed table.
fn go_strings(v: &Value) -> Vec<String> {
    v.as_str()
        .unwrap_or("")
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn serror(e: &VsaError) -> &'static str {
    match e {
        VsaError::NoValidSignature { .. } => "serrors.ErrorNoValidSignature",
        VsaError::SubjectDigest { .. } => "serrors.ErrorMismatchSubjectDigest",
        VsaError::VerifierId { .. } => "serrors.ErrorMismatchVerifierID",
        VsaError::ResourceUri { .. } => "serrors.ErrorMismatchResourceURI",
        VsaError::VerifiedLevel { .. } => "serrors.ErrorMismatchVerifiedLevels",
        _ => "other",
    }
}

fn run(case: &Value) -> Result<(), VsaError> {
    let dir = vectors().join("cli/slsa-verifier/testdata/vsa");
    let key = PublicKey::from_pem(
        &std::fs::read_to_string(dir.join(case["publicKeyPath"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let envelope = std::fs::read(dir.join(case["attestationPath"].as_str().unwrap())).unwrap();
    let mut expect = VsaExpectations::new();
    expect.subject_digests = go_strings(&case["subjectDigests"])
        .iter()
        .map(|d| {
            let (a, v) = d.split_once(':').unwrap();
            (a.to_owned(), v.to_owned())
        })
        .collect();
    expect.verifier_id = case["verifierID"].as_str().map(str::to_owned);
    expect.resource_uri = case["resourceURI"].as_str().map(str::to_owned);
    expect.verified_levels = go_strings(&case["verifiedLevels"]);
    verify_vsa(
        envelope.trim_ascii(),
        &key,
        case["publicKeyID"].as_str().unwrap(),
        &expect,
    )
    .map(|_| ())
}

#[test]
fn every_vsa_case_matches_slsa_verifier() {
    let table: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("regression_cases.extracted.json")).unwrap())
            .unwrap();
    let cases = table["Test_runVerifyVSA"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let result = run(case);
        match (case["err"].as_str(), &result) {
            (None, Ok(())) => {}
            (Some(want), Err(e)) if serror(e) == want => {}
            _ => failures.push(format!("{name}: expected {:?}, got {result:?}", case["expect"])),
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(cases.len(), 3);
}

fn good() -> (Vec<u8>, PublicKey, VsaExpectations) {
    let dir = vectors().join("cli/slsa-verifier/testdata/vsa/gce/v1");
    let key = PublicKey::from_pem(&std::fs::read_to_string(dir.join("vsa_signing_public_key.pem")).unwrap())
        .unwrap();
    let envelope = std::fs::read(dir.join("gke-gce-pre.bcid-vsa.jsonl")).unwrap();
    (envelope.trim_ascii().to_vec(), key, VsaExpectations::new())
}

const KEY_ID: &str = "keystore://76574:prod:vsa_signing_public_key";

#[test]
fn each_vsa_check_fails_with_its_own_reason() {
    let (env, key, base) = good();
    let check = |f: &dyn Fn(&mut VsaExpectations)| {
        let mut e = base.clone();
        f(&mut e);
        verify_vsa(&env, &key, KEY_ID, &e).unwrap_err()
    };
    assert!(matches!(
        check(&|e| e.subject_digests = vec![("gce_image_id".into(), "1".into())]),
        VsaError::SubjectDigest { .. }
    ));
    assert!(matches!(
        check(&|e| e.verifier_id = Some("https://example.com/v".into())),
        VsaError::VerifierId { .. }
    ));
    assert!(matches!(
        check(&|e| e.resource_uri = Some("gce_image://other".into())),
        VsaError::ResourceUri { .. }
    ));
    assert!(matches!(
        check(&|e| e.verified_levels = vec!["SLSA_BUILD_LEVEL_3".into()]),
        VsaError::VerifiedLevel { .. }
    ));
    // A lower build level is met by the recorded level 2.
    let mut e = base.clone();
    e.verified_levels = vec!["SLSA_BUILD_LEVEL_1".into(), "BCID_L1".into()];
    verify_vsa(&env, &key, KEY_ID, &e).unwrap();
    // A changed payload breaks the signature.
    let text = String::from_utf8(env.clone()).unwrap();
    let tampered = text.replacen("\"payload\":\"ey", "\"payload\":\"ez", 1);
    assert!(matches!(
        verify_vsa(tampered.as_bytes(), &key, KEY_ID, &base).unwrap_err(),
        VsaError::NoValidSignature { .. } | VsaError::Envelope { .. }
    ));
}
