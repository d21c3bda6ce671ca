//! DSSE: PAE and envelope parsing against the DSSE vectors, byte for byte.

use base64::Engine as _;
use provenant_attest::{Envelope, EnvelopeError, pae};
use serde_json::Value;

fn vectors() -> Value {
    let path = provenant_testkit::vectors_dir().join("dsse/dsse_vectors.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn field_bytes(case: &Value, utf8: &str, hex_key: &str) -> Vec<u8> {
    match case.get(hex_key).and_then(Value::as_str) {
        Some(h) => hex::decode(h).unwrap(),
        None => case[utf8].as_str().unwrap().as_bytes().to_vec(),
    }
}

#[test]
fn pae_matches_every_vector_byte_for_byte() {
    let v = vectors();
    let cases = v["pae_vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let body = field_bytes(case, "body_utf8", "body_hex");
        let expected = field_bytes(case, "pae_utf8", "pae_hex");
        let got = pae(case["payloadType"].as_str().unwrap(), &body);
        assert_eq!(got, expected, "case {case}");
    }
}

#[test]
fn envelope_vectors_parse_and_expose_the_signed_bytes() {
    let v = vectors();
    for case in v["envelope_cases"].as_array().unwrap() {
        let raw = serde_json::to_vec(&case["envelope"]).unwrap();
        let envelope = Envelope::from_json(&raw).unwrap();
        assert_eq!(
            envelope.payload_type,
            case["envelope"]["payloadType"].as_str().unwrap()
        );
        let payload = base64::engine::general_purpose::STANDARD
            .decode(case["envelope"]["payload"].as_str().unwrap())
            .unwrap();
        assert_eq!(envelope.payload, payload);
        assert_eq!(envelope.pae(), pae(&envelope.payload_type, &payload));
        let expected_sigs = case["envelope"]["signatures"].as_array().unwrap().len();
        assert_eq!(envelope.signatures.len(), expected_sigs);
        // Serialising and parsing again is the identity, and the JSON is byte-stable.
        let again = Envelope::from_json(&envelope.to_json()).unwrap();
        assert_eq!(again, envelope);
        assert_eq!(again.to_json(), envelope.to_json());
    }
    // The official vector re-serialises to exactly its canonical form.
    let official =
        Envelope::from_json(&serde_json::to_vec(&v["envelope_cases"][1]["envelope"]).unwrap()).unwrap();
    assert_eq!(official.signatures[0].keyid.as_deref(), Some("66301bbf"));
    assert_eq!(
        String::from_utf8(official.to_json()).unwrap(),
        r#"{"payload":"aGVsbG8gd29ybGQ=","payloadType":"http://example.com/HelloWorld","signatures":[{"keyid":"66301bbf","sig":"A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#
    );
}

#[test]
fn url_safe_and_unpadded_base64_are_accepted() {
    // 0xfb 0xff encodes to "+/8=" in standard and "-_8" in URL-safe unpadded.
    let env =
        Envelope::from_json(br#"{"payload":"-_8","payloadType":"t","signatures":[{"sig":"-_8"}]}"#).unwrap();
    assert_eq!(env.payload, vec![0xfb, 0xff]);
    assert_eq!(env.signatures[0].sig, vec![0xfb, 0xff]);
    assert!(
        String::from_utf8(env.to_json())
            .unwrap()
            .contains(r#""payload":"+/8=""#)
    );
}

#[test]
fn malformed_envelopes_name_the_field() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"payloadType":"t","signatures":[]}"#, "`payload` is required"),
        (br#"{"payload":"","signatures":[]}"#, "`payloadType` is required"),
        (br#"{"payload":"","payloadType":"t"}"#, "`signatures` is required"),
        (
            br#"{"payload":"!!","payloadType":"t","signatures":[]}"#,
            "`payload` is not valid base64",
        ),
        (
            br#"{"payload":"","payloadType":"t","signatures":[{}]}"#,
            "`signatures[0].sig` is required",
        ),
        (
            br#"{"payload":"","payloadType":"t","signatures":[{"sig":"", "keyid":3}]}"#,
            "`signatures[0].keyid` must be a string, found number",
        ),
        (
            br#"{"payload":"","payloadType":1,"signatures":[]}"#,
            "`payloadType` must be a string, found number",
        ),
        (br"[]", "`envelope` must be an object, found array"),
    ];
    for (input, message) in cases {
        let err = Envelope::from_json(input).unwrap_err();
        assert_eq!(
            err.to_string(),
            *message,
            "input {}",
            String::from_utf8_lossy(input)
        );
    }
    // Unrecognised fields are ignored, as DSSE requires of consumers.
    assert!(Envelope::from_json(br#"{"payload":"","payloadType":"t","signatures":[],"x":1}"#).is_ok());
}

#[test]
fn statement_payload_requires_the_in_toto_type() {
    let env = Envelope::new("text/plain", b"{}".to_vec());
    assert!(matches!(
        env.statement(),
        Err(EnvelopeError::WrongPayloadType { .. })
    ));
    let env = Envelope::new(provenant_attest::IN_TOTO_PAYLOAD_TYPE, b"{}".to_vec());
    assert_eq!(
        env.statement().unwrap_err().to_string(),
        "payload: statement is malformed: missing field `_type` at line 1 column 2"
    );
}

#[test]
fn oversized_and_overfull_envelopes_are_refused() {
    let many: Vec<serde_json::Value> = (0..=provenant_attest::MAX_SIGNATURES)
        .map(|_| serde_json::json!({"sig": ""}))
        .collect();
    let doc = serde_json::json!({"payload": "", "payloadType": "t", "signatures": many});
    assert!(matches!(
        Envelope::from_json(&serde_json::to_vec(&doc).unwrap()),
        Err(EnvelopeError::TooManySignatures { count: 65, max: 64 })
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    use proptest::prelude::*;
    proptest!(|(data in proptest::collection::vec(any::<u8>(), 0..600))| {
        if let Ok(env) = Envelope::from_json(&data) {
            // Whatever parses writes back to JSON that parses to the same envelope.
            prop_assert_eq!(Envelope::from_json(&env.to_json()).unwrap(), env.clone());
            let _ = env.statement();
        }
    });
    proptest!(|(t in ".*", body in proptest::collection::vec(any::<u8>(), 0..64))| {
        let encoded = pae(&t, &body);
        let prefix = format!("DSSEv1 {} {} {} ", t.len(), t, body.len());
        prop_assert!(encoded.starts_with(prefix.as_bytes()));
        prop_assert!(encoded.ends_with(&body));
    });
}
