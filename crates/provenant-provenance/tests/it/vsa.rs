//! slsa-verifier's `Test_runVerifyVSA` table (from the vectors' `regression_cases.extracted.json`), every
//! case, with slsa-verifier's expected result; plus each policy check failing with its own error.

use provenant_keys::PublicKey;
use provenant_provenance::{VsaError, verify_vsa};
use provenant_slsa::vsa_policy::{VsaExpectations, VsaPolicyError, parse_subject_digest};
use serde_json::Value;

fn vsa_dir() -> std::path::PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier/cli/slsa-verifier/testdata/vsa")
}

fn go_list(expr: Option<&str>) -> Vec<String> {
    expr.unwrap_or("")
        .trim_start_matches("[]string{")
        .trim_end_matches('}')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn serror(e: &VsaError) -> &'static str {
    match e {
        VsaError::NoValidSignature { .. } => "serrors.ErrorNoValidSignature",
        VsaError::Policy(VsaPolicyError::SubjectMismatch { .. }) => "serrors.ErrorMismatchSubjectDigest",
        VsaError::Policy(VsaPolicyError::VerifierMismatch { .. }) => "serrors.ErrorMismatchVerifierID",
        VsaError::Policy(VsaPolicyError::ResourceUriMismatch { .. }) => "serrors.ErrorMismatchResourceURI",
        VsaError::Policy(VsaPolicyError::LevelMissing { .. }) => "serrors.ErrorMismatchVerifiedLevels",
        _ => "unmapped",
    }
}

fn expectations(case: &Value) -> VsaExpectations {
    VsaExpectations {
        subject_digests: go_list(case["subjectDigests"].as_str())
            .iter()
            .map(|d| parse_subject_digest(d).unwrap())
            .collect(),
        verifier_id: case["verifierID"].as_str().unwrap_or("").to_owned(),
        resource_uri: case["resourceURI"].as_str().unwrap_or("").to_owned(),
        verified_levels: go_list(case["verifiedLevels"].as_str()),
    }
}

#[test]
fn vsa_table_matches_slsa_verifier() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(
            provenant_testkit::vectors_dir().join("slsa-verifier/regression_cases.extracted.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let table = cases["Test_runVerifyVSA"].as_array().unwrap();
    assert_eq!(table.len(), 3);
    for case in table {
        let name = case["name"].as_str().unwrap();
        let envelope = std::fs::read(vsa_dir().join(case["attestationPath"].as_str().unwrap())).unwrap();
        let key = PublicKey::from_pem(
            &std::fs::read_to_string(vsa_dir().join(case["publicKeyPath"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        let result = verify_vsa(
            &envelope,
            &key,
            case["publicKeyID"].as_str().unwrap(),
            &expectations(case),
        );
        match (case["err"].as_str(), &result) {
            (None, Ok(vsa)) => assert_eq!(vsa.verified_levels, ["BCID_L1", "SLSA_BUILD_LEVEL_2"], "{name}"),
            (Some(want), Err(e)) => assert_eq!(serror(e), want, "{name}: {e}"),
            _ => panic!("{name}: expected {:?}, got {result:?}", case["err"]),
        }
    }
}

#[test]
fn each_vsa_check_fails_with_its_own_error() {
    let envelope = std::fs::read(vsa_dir().join("gce/v1/gke-gce-pre.bcid-vsa.jsonl")).unwrap();
    let key = PublicKey::from_pem(
        &std::fs::read_to_string(vsa_dir().join("gce/v1/vsa_signing_public_key.pem")).unwrap(),
    )
    .unwrap();
    let key_id = "keystore://76574:prod:vsa_signing_public_key";
    let good = VsaExpectations {
        subject_digests: vec![("gce_image_id".into(), "8970095005306000053".into())],
        verifier_id: "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1".into(),
        resource_uri: "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre"
            .into(),
        verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
    };
    verify_vsa(&envelope, &key, key_id, &good).unwrap();
    let fail = |exp: VsaExpectations| serror(&verify_vsa(&envelope, &key, key_id, &exp).unwrap_err());
    let mut e = good.clone();
    e.subject_digests[0].1.push('0');
    assert_eq!(fail(e), "serrors.ErrorMismatchSubjectDigest");
    let mut e = good.clone();
    e.verifier_id.push('x');
    assert_eq!(fail(e), "serrors.ErrorMismatchVerifierID");
    let mut e = good.clone();
    e.resource_uri.push('x');
    assert_eq!(fail(e), "serrors.ErrorMismatchResourceURI");
    let mut e = good.clone();
    e.verified_levels = vec!["SLSA_BUILD_LEVEL_3".into()];
    assert_eq!(fail(e), "serrors.ErrorMismatchVerifiedLevels");
    let mut e = good.clone();
    e.verified_levels = vec!["BCID_L2".into()];
    assert_eq!(fail(e), "serrors.ErrorMismatchVerifiedLevels");
    // A payload changed after signing has no valid signature, whatever it claims.
    let mut doc: Value = serde_json::from_slice(&envelope).unwrap();
    let p = doc["payload"].as_str().unwrap().replacen('e', "f", 1);
    doc["payload"] = Value::String(p);
    let forged = serde_json::to_vec(&doc).unwrap();
    assert_eq!(
        serror(&verify_vsa(&forged, &key, key_id, &good).unwrap_err()),
        "serrors.ErrorNoValidSignature"
    );
    assert!(parse_subject_digest("nocolon").is_err());
}
