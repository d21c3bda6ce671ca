use provenant_keys::cosign::{self, CosignKeyError, KdfParams};
use provenant_keys::{KeyKind, SigningKey};

fn vector(name: &str) -> String {
    std::fs::read_to_string(provenant_testkit::vectors_dir().join("cosign-keys").join(name)).unwrap()
}

/// Known answer: a key written by cosign itself, with an empty password, decrypts to the P-256 key
/// whose public half is the published .pub.
#[test]
fn decrypts_a_key_written_by_cosign() {
    let key = cosign::decrypt(&vector("cosign_generated_encrypted_empty_private.key"), b"").unwrap();
    assert_eq!(key.kind(), KeyKind::EcdsaP256);
    let expected = vector("cosign_generated_encrypted_empty_private.pub");
    assert_eq!(
        provenant_keys::pem_decode(&key.public_key_pem().unwrap()).unwrap(),
        provenant_keys::pem_decode(&expected).unwrap()
    );
    let err = cosign::decrypt(&vector("cosign_generated_encrypted_empty_private.key"), b"x").unwrap_err();
    assert!(matches!(err, CosignKeyError::Decrypt), "{err}");
}

#[test]
fn written_keys_use_cosigns_scheme_and_reopen() {
    for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Ed25519] {
        let key = SigningKey::generate(kind).unwrap();
        let pem = cosign::encrypt(&key, b"pw", &KdfParams::TEST_ONLY_FAST).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let (_, body) = provenant_keys::pem_decode(&pem).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["kdf"]["name"], "scrypt");
        assert_eq!(json["cipher"]["name"], "nacl/secretbox");
        let back = cosign::decrypt(&pem, b"pw").unwrap();
        assert_eq!(back.public_key_der().unwrap(), key.public_key_der().unwrap());
        assert!(!pem.contains(&String::from_utf8_lossy(key.pkcs8_der()).to_string()));
    }
}

#[test]
fn default_parameters_are_cosigns() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let pem = cosign::encrypt(&key, b"", &KdfParams::COSIGN).unwrap();
    let (_, body) = provenant_keys::pem_decode(&pem).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json["kdf"]["params"],
        serde_json::json!({"N": 65536, "r": 8, "p": 1})
    );
}

#[test]
fn hostile_files_are_refused_with_the_reason() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let pem = cosign::encrypt(&key, b"pw", &KdfParams::TEST_ONLY_FAST).unwrap();
    let (_, body) = provenant_keys::pem_decode(&pem).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let rewrite = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut j = json.clone();
        f(&mut j);
        provenant_keys::pem_encode(cosign::PEM_LABEL, &serde_json::to_vec(&j).unwrap())
    };
    let huge_n = rewrite(&|j| j["kdf"]["params"]["N"] = serde_json::json!(1u64 << 40));
    assert!(matches!(
        cosign::decrypt(&huge_n, b"pw"),
        Err(CosignKeyError::KdfBounds { .. })
    ));
    let argon = rewrite(&|j| j["kdf"]["name"] = serde_json::json!("argon2"));
    assert!(matches!(
        cosign::decrypt(&argon, b"pw"),
        Err(CosignKeyError::Unsupported { what: "kdf", .. })
    ));
    let nonce = rewrite(&|j| j["cipher"]["nonce"] = serde_json::json!("AAAA"));
    assert!(matches!(
        cosign::decrypt(&nonce, b"pw"),
        Err(CosignKeyError::Malformed { .. })
    ));
    let extra = rewrite(&|j| j["extra"] = serde_json::json!(1));
    assert!(matches!(
        cosign::decrypt(&extra, b"pw"),
        Err(CosignKeyError::Malformed { .. })
    ));
    let mut ct = json["ciphertext"].as_str().unwrap().to_owned();
    ct.replace_range(0..1, if ct.starts_with('A') { "B" } else { "A" });
    let tampered = rewrite(&|j| j["ciphertext"] = serde_json::json!(ct.clone()));
    assert!(matches!(
        cosign::decrypt(&tampered, b"pw"),
        Err(CosignKeyError::Decrypt)
    ));
    let wrong_label = provenant_keys::pem_encode("PRIVATE KEY", &body);
    assert!(matches!(
        cosign::decrypt(&wrong_label, b"pw"),
        Err(CosignKeyError::WrongLabel { .. })
    ));
}

/// The fuzzer's rule: scrypt parameters that would need gigabytes or minutes are refused at once, not
/// attempted. Each of these passed the old per-parameter bounds (N ≤ 2^20, r ≤ 32, p ≤ 16) and would
/// have allocated 128·N·r bytes (up to 4 GiB) and run scrypt before failing to decrypt; now the
/// refusal names the parameters, which only the bounds check does.
#[test]
fn costly_scrypt_parameters_are_refused_before_any_work() {
    let hostile = |n: u64, r: u32, p: u32| {
        format!(
            r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":{p}}},"salt":"AAAA"}},"cipher":{{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":"AAAA"}}"#
        )
    };
    for (n, r, p) in [
        (1u64 << 20, 32u32, 16u32),
        (1 << 20, 8, 1),
        (1 << 18, 32, 1),
        (1 << 16, 8, 16),
    ] {
        let pem = provenant_keys::pem_encode(cosign::PEM_LABEL, hostile(n, r, p).as_bytes());
        let result = cosign::decrypt(&pem, b"pw");
        assert!(
            matches!(result, Err(CosignKeyError::KdfBounds { n: got, .. }) if got == n),
            "N={n} r={r} p={p}: {result:?}"
        );
    }
    // cosign's own parameters are still accepted (and fail only on the bogus ciphertext).
    let cosign_params = provenant_keys::pem_encode(cosign::PEM_LABEL, hostile(1 << 16, 8, 1).as_bytes());
    assert!(matches!(
        cosign::decrypt(&cosign_params, b"pw"),
        Err(CosignKeyError::Malformed { .. } | CosignKeyError::Decrypt)
    ));
}

#[test]
fn arbitrary_input_never_panics() {
    use proptest::prelude::*;
    proptest!(ProptestConfig::with_cases(256), |(body in proptest::collection::vec(any::<u8>(), 0..400))| {
        let pem = provenant_keys::pem_encode(cosign::PEM_LABEL, &body);
        let _ = cosign::decrypt(&pem, b"");
        let _ = provenant_keys::pem_decode(&String::from_utf8_lossy(&body));
    });
}
