use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, ED25519, UnparsedPublicKey};
use provenant_keys::{KeyKind, SigningKey, pem_decode};

/// The raw public key (the SPKI's BIT STRING) for aws-lc-rs' verifier.
fn raw_public(spki: &[u8], kind: KeyKind) -> Vec<u8> {
    let len = match kind {
        KeyKind::EcdsaP256 => 65,
        KeyKind::EcdsaP384 => 97,
        _ => 32,
    };
    spki[spki.len() - len..].to_vec()
}

#[test]
fn every_kind_signs_and_the_signature_verifies_independently() {
    for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Ed25519] {
        let key = SigningKey::generate(kind).unwrap();
        assert_eq!(key.kind(), kind);
        let sig = key.sign(b"payload").unwrap();
        let spki = key.public_key_der().unwrap();
        let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = match kind {
            KeyKind::EcdsaP256 => &ECDSA_P256_SHA256_ASN1,
            KeyKind::EcdsaP384 => &ECDSA_P384_SHA384_ASN1,
            _ => &ED25519,
        };
        let public = UnparsedPublicKey::new(alg, raw_public(&spki, kind));
        public.verify(b"payload", &sig).unwrap();
        assert!(
            public.verify(b"payloaD", &sig).is_err(),
            "{kind}: a changed message must not verify"
        );
        let (label, der) = pem_decode(&key.public_key_pem().unwrap()).unwrap();
        assert_eq!((label.as_str(), der), ("PUBLIC KEY", spki));
    }
}

#[test]
fn pkcs8_and_sec1_pem_are_read() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let pem = provenant_keys::pem_encode("PRIVATE KEY", key.pkcs8_der());
    let back = SigningKey::from_pem(&pem).unwrap();
    assert_eq!(back.public_key_der().unwrap(), key.public_key_der().unwrap());
    // SEC1, as `openssl ecparam -genkey` writes it.
    let openssl = provenant_testkit::require_on_path("openssl");
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let out = std::process::Command::new(openssl)
        .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])
        .arg(t.join("sec1.pem"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let sec1 = std::fs::read_to_string(t.join("sec1.pem")).unwrap();
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"));
    assert_eq!(SigningKey::from_pem(&sec1).unwrap().kind(), KeyKind::EcdsaP256);
    assert!(SigningKey::from_pem(&provenant_keys::pem_encode("PUBLIC KEY", &[1, 2, 3])).is_err());
}

#[test]
fn debug_never_shows_key_material() {
    let key = SigningKey::generate(KeyKind::Ed25519).unwrap();
    let debug = format!("{key:?}");
    assert_eq!(debug, "SigningKey { kind: Ed25519, .. }");
}

#[test]
fn kind_names_round_trip() {
    for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Ed25519] {
        assert_eq!(kind.name().parse::<KeyKind>().unwrap(), kind);
    }
    assert!("rsa".parse::<KeyKind>().is_err());
}

/// P-256 signatures take their nonce from RFC 6979 hedged with the OS's randomness (not from aws-lc's
/// generator): each one still verifies with aws-lc's verifier, a changed message does not, and two
/// signatures of one message differ.
#[test]
fn p256_signatures_are_hedged_and_verify_independently() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    // Read back from its PKCS#8 PEM, as a key file is.
    let key = SigningKey::from_pem(&provenant_keys::pem_encode("PRIVATE KEY", key.pkcs8_der())).unwrap();
    let public = UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_ASN1,
        raw_public(&key.public_key_der().unwrap(), KeyKind::EcdsaP256),
    );
    let first = key.sign(b"payload").unwrap();
    let second = key.sign(b"payload").unwrap();
    assert_ne!(first, second, "the nonce is hedged with fresh randomness");
    for sig in [&first, &second] {
        public.verify(b"payload", sig).unwrap();
        assert!(public.verify(b"payloaD", sig).is_err());
    }
    // ASN.1 DER: a SEQUENCE of two INTEGERs.
    assert_eq!(first[0], 0x30);
    assert_eq!(usize::from(first[1]) + 2, first.len());
}
