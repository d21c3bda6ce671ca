use provenant_digest::{Algorithm, Digest, ParseError};

const SHA256_EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA512_EMPTY: &str = "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

#[test]
fn valid_digests_round_trip() {
    for s in [SHA256_EMPTY, SHA512_EMPTY] {
        let d: Digest = s.parse().unwrap();
        assert_eq!(d.to_string(), s);
    }
    assert_eq!(Algorithm::Sha256.hash_bytes(b"").to_string(), SHA256_EMPTY);
    assert_eq!(Algorithm::Sha512.hash_bytes(b"").to_string(), SHA512_EMPTY);
}

#[test]
fn invalid_digests_are_rejected_with_typed_errors() {
    let hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let cases: Vec<(String, ParseError)> = vec![
        (hex64.to_owned(), ParseError::MissingSeparator),
        (
            format!("md5:{hex64}"),
            ParseError::UnknownAlgorithm(provenant_digest::UnknownAlgorithm { name: "md5".into() }),
        ),
        (
            format!("SHA256:{hex64}"),
            ParseError::UnknownAlgorithm(provenant_digest::UnknownAlgorithm {
                name: "SHA256".into(),
            }),
        ),
        (
            format!("sha256:{}", &hex64[..63]),
            ParseError::WrongLength {
                algorithm: Algorithm::Sha256,
                expected: 64,
                actual: 63,
            },
        ),
        (
            format!("sha256:{hex64}0"),
            ParseError::WrongLength {
                algorithm: Algorithm::Sha256,
                expected: 64,
                actual: 65,
            },
        ),
        (
            format!("sha512:{hex64}"),
            ParseError::WrongLength {
                algorithm: Algorithm::Sha512,
                expected: 128,
                actual: 64,
            },
        ),
        (
            format!("sha256:{}", hex64.to_uppercase()),
            ParseError::InvalidHex {
                algorithm: Algorithm::Sha256,
                position: 0,
                found: 'E',
            },
        ),
        (
            format!("sha256:{}g", &hex64[..63]),
            ParseError::InvalidHex {
                algorithm: Algorithm::Sha256,
                position: 63,
                found: 'g',
            },
        ),
        (
            "sha256:".to_owned(),
            ParseError::WrongLength {
                algorithm: Algorithm::Sha256,
                expected: 64,
                actual: 0,
            },
        ),
        (
            // A multi-byte character must not be counted as two hex digits.
            format!("sha256:{}é", &hex64[..62]),
            ParseError::WrongLength {
                algorithm: Algorithm::Sha256,
                expected: 64,
                actual: 63,
            },
        ),
        (
            format!(" sha256:{hex64}"),
            ParseError::UnknownAlgorithm(provenant_digest::UnknownAlgorithm {
                name: " sha256".into(),
            }),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(input.parse::<Digest>().unwrap_err(), expected, "input {input:?}");
    }
}

#[test]
fn error_messages_name_the_problem() {
    let err = "sha256:ABC".parse::<Digest>().unwrap_err().to_string();
    assert_eq!(err, "sha256 digest must have 64 hex characters, found 3");
    let long_name = format!("{}:00", "x".repeat(1000));
    let err = long_name.parse::<Digest>().unwrap_err().to_string();
    assert!(err.len() < 120, "hostile input is truncated in messages: {err}");
}

#[test]
fn verify_returns_both_values() {
    let a = Algorithm::Sha256.hash_bytes(b"a");
    let b = Algorithm::Sha256.hash_bytes(b"b");
    a.verify(&a).unwrap();
    let mismatch = b.verify(&a).unwrap_err();
    assert_eq!(mismatch.expected, a);
    assert_eq!(mismatch.actual, b);
    assert_eq!(
        mismatch.to_string(),
        format!("digest mismatch: expected {a}, got {b}")
    );
}

#[test]
fn equality_needs_same_algorithm_and_bytes() {
    let a = Algorithm::Sha256.hash_bytes(b"x");
    let b = Algorithm::Sha512.hash_bytes(b"x");
    assert_ne!(a, b);
    let same = Digest::from_bytes(Algorithm::Sha256, a.as_bytes()).unwrap();
    assert_eq!(a, same);
    assert!(Digest::from_bytes(Algorithm::Sha256, &[0u8; 31]).is_err());
}

#[test]
fn serde_uses_the_oci_string() {
    let d: Digest = SHA256_EMPTY.parse().unwrap();
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(json, format!("\"{SHA256_EMPTY}\""));
    let back: Digest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
}

#[test]
fn reader_and_bytes_agree_across_buffer_boundaries() {
    let data: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i % 251) as u8).collect();
    let from_reader = Algorithm::Sha256
        .hash_reader(&data[..], &provenant_digest::NoProgress)
        .unwrap();
    assert_eq!(from_reader, Algorithm::Sha256.hash_bytes(&data));
}

mod props {
    use proptest::prelude::*;
    use provenant_digest::{Algorithm, Digest};

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = s.parse::<Digest>();
        }

        #[test]
        fn display_parse_round_trip(data in proptest::collection::vec(any::<u8>(), 0..256), sha512 in any::<bool>()) {
            let algorithm = if sha512 { Algorithm::Sha512 } else { Algorithm::Sha256 };
            let d = algorithm.hash_bytes(&data);
            prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        }
    }
}
