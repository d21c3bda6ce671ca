//! DSSE envelopes signed by several keys, verified with a threshold; the specification's vectors
//! verify under the vectors' key; envelopes verify with securesystemslib.

use std::process::Command;

use provenant_attest::{Envelope, IN_TOTO_PAYLOAD_TYPE, ResourceDescriptor, Statement, predicate};
use provenant_keys::dsse::{DsseError, sign_envelope, verify_envelope};
use provenant_keys::{KeyKind, PublicKey, Signer, SigningKey};

fn statement_envelope() -> Envelope {
    let digest = provenant_digest::Algorithm::Sha256.hash_bytes(b"artefact");
    let statement = Statement::new(
        vec![ResourceDescriptor::for_digest("artefact", &digest)],
        predicate::TEST_RESULT_V0_1,
        serde_json::json!({"result": "PASSED"}),
    );
    Envelope::for_statement(&statement)
}

fn keys() -> Vec<SigningKey> {
    [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Ed25519]
        .into_iter()
        .map(|k| SigningKey::generate(k).unwrap())
        .collect()
}

#[test]
fn several_signers_meet_a_threshold_and_keyids_are_set() {
    let keys = keys();
    let public: Vec<PublicKey> = keys.iter().map(|k| k.public_key().unwrap()).collect();
    let mut envelope = statement_envelope();
    sign_envelope(&mut envelope, &[&keys[0], &keys[2]]).unwrap();
    assert_eq!(envelope.signatures.len(), 2);
    assert_eq!(envelope.signatures[0].keyid, Some(public[0].key_id()));
    assert_eq!(envelope.signatures[1].keyid, Some(public[2].key_id()));
    // Through JSON and back, as a verifier receives it.
    let envelope = Envelope::from_json(&envelope.to_json()).unwrap();
    let verified = verify_envelope(&envelope, IN_TOTO_PAYLOAD_TYPE, &public, 2).unwrap();
    assert_eq!(verified, vec![&public[0], &public[2]]);
    assert_eq!(
        verify_envelope(&envelope, IN_TOTO_PAYLOAD_TYPE, &public, 3).unwrap_err(),
        DsseError::ThresholdNotMet {
            verified: 2,
            threshold: 3,
            signatures: 2,
            keys: 3
        }
    );
    assert!(envelope.statement().is_ok());
}

#[test]
fn one_key_signing_twice_counts_once_and_keyids_decide_nothing() {
    let keys = keys();
    let public: Vec<PublicKey> = keys.iter().map(|k| k.public_key().unwrap()).collect();
    let mut envelope = statement_envelope();
    sign_envelope(&mut envelope, &[&keys[1], &keys[1]]).unwrap();
    assert!(matches!(
        verify_envelope(&envelope, IN_TOTO_PAYLOAD_TYPE, &public, 2),
        Err(DsseError::ThresholdNotMet { verified: 1, .. })
    ));
    // A keyid naming another trusted key does not make the signature count for it.
    envelope.signatures[1].keyid = Some(public[0].key_id());
    assert!(verify_envelope(&envelope, IN_TOTO_PAYLOAD_TYPE, &public, 2).is_err());
    // A wrong or absent keyid does not stop the real key from verifying.
    envelope.signatures[0].keyid = None;
    assert!(verify_envelope(&envelope, IN_TOTO_PAYLOAD_TYPE, &public, 1).is_ok());
}

#[test]
fn tampering_is_rejected_naming_the_check() {
    let keys = keys();
    let public: Vec<PublicKey> = keys.iter().map(|k| k.public_key().unwrap()).collect();
    let mut signed = statement_envelope();
    sign_envelope(&mut signed, &[&keys[0]]).unwrap();

    let mut payload = signed.clone();
    payload.payload[10] ^= 1;
    let err = verify_envelope(&payload, IN_TOTO_PAYLOAD_TYPE, &public, 1).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("signature threshold not met: 0 of the 1"),
        "{err}"
    );

    let mut sig = signed.clone();
    let last = sig.signatures[0].sig.len() - 1;
    sig.signatures[0].sig[last] ^= 1;
    assert!(verify_envelope(&sig, IN_TOTO_PAYLOAD_TYPE, &public, 1).is_err());

    // The payload type is covered by the PAE: relabelling breaks the signature, and a verifier
    // that wants in-toto refuses another type before trying any signature.
    let mut relabelled = signed.clone();
    relabelled.payload_type = "application/json".into();
    assert_eq!(
        verify_envelope(&relabelled, IN_TOTO_PAYLOAD_TYPE, &public, 1).unwrap_err(),
        DsseError::WrongPayloadType {
            found: "application/json".into(),
            expected: IN_TOTO_PAYLOAD_TYPE.into()
        }
    );
    assert!(verify_envelope(&relabelled, "application/json", &public, 1).is_err());

    let mut unsigned = signed.clone();
    unsigned.signatures.clear();
    assert_eq!(
        verify_envelope(&unsigned, IN_TOTO_PAYLOAD_TYPE, &public, 1).unwrap_err(),
        DsseError::NoSignatures
    );
    assert_eq!(
        verify_envelope(&signed, IN_TOTO_PAYLOAD_TYPE, &public, 0).unwrap_err(),
        DsseError::BadThreshold {
            threshold: 0,
            keys: 3
        }
    );
    assert_eq!(
        verify_envelope(&signed, IN_TOTO_PAYLOAD_TYPE, &public[..1], 2).unwrap_err(),
        DsseError::BadThreshold {
            threshold: 2,
            keys: 1
        }
    );
}

#[test]
fn specification_vectors_verify_under_the_vector_key_as_expected() {
    let path = provenant_testkit::vectors_dir().join("dsse/dsse_vectors.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let key = PublicKey::from_pem(v["key"]["public_key_pem"].as_str().unwrap()).unwrap();
    let cases = v["envelope_cases"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for case in cases {
        let envelope = Envelope::from_json(&serde_json::to_vec(&case["envelope"]).unwrap());
        let ok = envelope.is_ok_and(|e| {
            verify_envelope(&e, &e.payload_type.clone(), std::slice::from_ref(&key), 1).is_ok()
        });
        assert_eq!(ok, case["expect"] == "VALID", "case {}", case["name"]);
    }
    // Our signature with the vector's private key verifies too.
    let signing = SigningKey::from_pem(v["key"]["private_key_pkcs8_pem"].as_str().unwrap()).unwrap();
    let mut ours = Envelope::new("http://example.com/HelloWorld", b"hello world".to_vec());
    sign_envelope(&mut ours, &[&signing]).unwrap();
    verify_envelope(&ours, "http://example.com/HelloWorld", &[key], 1).unwrap();
}

/// Runs securesystemslib on `envelope` with `threshold` and the public keys of `keys`.
fn securesystemslib(envelope: &Envelope, threshold: usize, keys: &[&SigningKey]) -> (bool, String) {
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let script = provenant_testkit::repo_root().join("tests/harness/verify_dsse_threshold.py");
    let t = tempfile::tempdir().unwrap();
    let env_path = t.path().join("envelope.json");
    std::fs::write(&env_path, envelope.to_json()).unwrap();
    let mut command = Command::new(python);
    command.arg(script).arg(env_path).arg(threshold.to_string());
    for (i, key) in keys.iter().enumerate() {
        let path = t.path().join(format!("key{i}.pub"));
        std::fs::write(&path, key.public_key_pem().unwrap()).unwrap();
        command.arg(path);
    }
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn our_envelopes_verify_with_securesystemslib() {
    let keys = keys();
    let all: Vec<&SigningKey> = keys.iter().collect();
    let mut envelope = statement_envelope();
    let signers: Vec<&dyn Signer> = keys.iter().map(|k| k as &dyn Signer).collect();
    sign_envelope(&mut envelope, &signers).unwrap();
    // Every kind of key, all three signatures, threshold three: securesystemslib agrees.
    let (ok, out) = securesystemslib(&envelope, 3, &all);
    assert!(ok, "{out}");
    assert!(out.starts_with("OK 3"), "{out}");
    // Two signatures of three keys: threshold two passes, three fails, in both implementations.
    let mut two = statement_envelope();
    sign_envelope(&mut two, &[&keys[0], &keys[2]]).unwrap();
    assert!(securesystemslib(&two, 2, &all).0);
    assert!(!securesystemslib(&two, 3, &all).0);
    // A tampered payload verifies with neither.
    let mut tampered = envelope.clone();
    tampered.payload[5] ^= 1;
    let (ok, out) = securesystemslib(&tampered, 1, &all);
    assert!(!ok, "a tampered envelope must not verify: {out}");
}

#[test]
fn our_statements_pass_the_in_toto_validator() {
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let script = provenant_testkit::repo_root().join("tests/harness/validate_statement.py");
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("statement.json");
    std::fs::write(&path, statement_envelope().payload).unwrap();
    let out = Command::new(&python).arg(&script).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
