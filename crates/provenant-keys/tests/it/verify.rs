//! Verification keys against signatures made by OpenSSL, an independent implementation.

use std::path::Path;
use std::process::Command;

use provenant_keys::{
    KeyKind, PublicKey, PublicKeyAlgorithm, PublicKeyError, RsaScheme, Signer as _, SigningKey, VerifyError,
};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new(provenant_testkit::require_on_path("openssl"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generates `key.pem` with `genpkey_args`, exports `pub.pem`, signs `msg` into `sig` with `sign_args`.
fn openssl_signed(dir: &Path, genpkey_args: &[&str], sign_args: &[&str]) -> (PublicKey, Vec<u8>) {
    std::fs::write(dir.join("msg"), b"attested bytes").unwrap();
    let mut gen_args = vec!["genpkey", "-out", "key.pem"];
    gen_args.extend_from_slice(genpkey_args);
    openssl(dir, &gen_args);
    openssl(dir, &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
    let mut args = vec![
        "pkeyutl", "-sign", "-inkey", "key.pem", "-in", "msg", "-out", "sig",
    ];
    args.extend_from_slice(sign_args);
    openssl(dir, &args);
    let public = PublicKey::from_pem(&std::fs::read_to_string(dir.join("pub.pem")).unwrap()).unwrap();
    (public, std::fs::read(dir.join("sig")).unwrap())
}

#[test]
fn ecdsa_and_ed25519_signatures_from_openssl_verify() {
    for (curve, algorithm) in [
        ("P-256", PublicKeyAlgorithm::EcdsaP256),
        ("P-384", PublicKeyAlgorithm::EcdsaP384),
    ] {
        let t = tempfile::tempdir().unwrap();
        let digest = if curve == "P-256" { "sha256" } else { "sha384" };
        let (public, sig) = openssl_signed(
            t.path(),
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ],
            &["-rawin", "-digest", digest],
        );
        assert_eq!(public.algorithm(), algorithm);
        public.verify(b"attested bytes", &sig).unwrap();
        assert!(matches!(
            public.verify(b"attested byteS", &sig),
            Err(VerifyError::BadSignature { .. })
        ));
    }
    let t = tempfile::tempdir().unwrap();
    let (public, sig) = openssl_signed(t.path(), &["-algorithm", "ED25519"], &["-rawin"]);
    assert_eq!(public.algorithm(), PublicKeyAlgorithm::Ed25519);
    public.verify(b"attested bytes", &sig).unwrap();
    assert!(public.verify(b"other", &sig).is_err());
}

#[test]
fn rsa_pkcs1_and_pss_signatures_from_openssl_verify() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let cases: [(&[&str], RsaScheme); 4] = [
        (&["-rawin", "-digest", "sha256"], RsaScheme::Pkcs1v15Sha256),
        (&["-rawin", "-digest", "sha512"], RsaScheme::Pkcs1v15Sha512),
        (
            &[
                "-rawin",
                "-digest",
                "sha256",
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:digest",
            ],
            RsaScheme::PssSha256,
        ),
        (
            &[
                "-rawin",
                "-digest",
                "sha384",
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:digest",
            ],
            RsaScheme::PssSha384,
        ),
    ];
    for (sign_args, scheme) in cases {
        let (public, sig) = openssl_signed(
            dir,
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            sign_args,
        );
        assert_eq!(public.algorithm(), PublicKeyAlgorithm::Rsa);
        public.verify_rsa(scheme, b"attested bytes", &sig).unwrap();
        assert!(
            public.verify_rsa(scheme, b"attested bytez", &sig).is_err(),
            "{scheme}: a changed message must not verify"
        );
        // The scheme is part of the check: PSS is not PKCS#1 v1.5 and vice versa.
        let other = if matches!(scheme, RsaScheme::PssSha256 | RsaScheme::PssSha384) {
            RsaScheme::Pkcs1v15Sha256
        } else {
            RsaScheme::PssSha256
        };
        assert!(
            public.verify_rsa(other, b"attested bytes", &sig).is_err(),
            "{scheme} vs {other}"
        );
        if scheme == RsaScheme::Pkcs1v15Sha256 {
            public.verify(b"attested bytes", &sig).unwrap();
        }
    }
}

#[test]
fn rsa_schemes_on_other_keys_are_refused_by_name() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let public = key.public_key().unwrap();
    let err = public
        .verify_rsa(RsaScheme::PssSha256, b"m", &key.sign(b"m").unwrap())
        .unwrap_err();
    assert!(
        err.to_string().starts_with("ecdsa-p256 key ")
            && err
                .to_string()
                .ends_with("cannot verify RSA-PSS SHA-256 signatures"),
        "{err}"
    );
}

#[test]
fn our_keys_verify_through_the_signer_trait_and_ids_are_the_spki_digest() {
    for kind in [KeyKind::EcdsaP256, KeyKind::EcdsaP384, KeyKind::Ed25519] {
        let key = SigningKey::generate(kind).unwrap();
        let public = key.public_key().unwrap();
        public
            .verify(b"m", &provenant_keys::Signer::sign(&key, b"m").unwrap())
            .unwrap();
        assert_eq!(
            key.key_id().unwrap(),
            provenant_digest::Algorithm::Sha256
                .hash_bytes(&key.public_key_der().unwrap())
                .hex()
        );
        assert_eq!(PublicKey::from_pem(&public.to_pem()).unwrap(), public);
        assert_eq!(
            format!("{public:?}"),
            format!("PublicKey({}, {})", public.algorithm(), public.key_id())
        );
    }
}

#[test]
fn malformed_public_keys_are_refused_with_the_reason() {
    assert!(matches!(
        PublicKey::from_pem(&provenant_keys::pem_encode("PRIVATE KEY", &[0x30, 0])),
        Err(PublicKeyError::WrongLabel { .. })
    ));
    assert_eq!(
        PublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01, 0x00]),
        Err(PublicKeyError::Malformed)
    );
    // An SPKI of an algorithm we do not verify (X25519, OID 1.3.101.110).
    let x25519 = [
        &[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
        ][..],
        &[7u8; 32][..],
    ]
    .concat();
    assert_eq!(
        PublicKey::from_spki_der(&x25519),
        Err(PublicKeyError::Unsupported)
    );
}

#[test]
fn arbitrary_der_never_panics() {
    use proptest::prelude::*;
    proptest!(|(der in proptest::collection::vec(any::<u8>(), 0..200), sig in proptest::collection::vec(any::<u8>(), 0..100))| {
        if let Ok(public) = PublicKey::from_spki_der(&der) {
            let _ = public.verify(b"m", &sig);
            let _ = public.verify_rsa(RsaScheme::PssSha256, b"m", &sig);
        }
    });
}
