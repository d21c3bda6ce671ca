//! DSSE envelopes: the first byte chooses the path.
//!
//! - even: the rest is a `dsseEnvelope` JSON object, spliced into a keyed v0.3 bundle; the bundle
//!   parser, the envelope accessors and the keyed DSSE verifier (PAE, signature, payload type,
//!   statement subjects) give a value or an error, never a panic;
//! - odd: the rest is a statement payload, signed with a fresh key so the verifier gets past the
//!   signature and into the hostile payload; verification of the signed bundle never panics, and its
//!   v0.3 form parses again.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use provenant_digest::{Algorithm, Digest};
use provenant_keys::{KeyKind, SigningKey};
use provenant_sigstore::{Artifact, Bundle, Policy, PublicKey, TrustedRoot, Verifier};
use provenant_sigstore_sign::keyed;

struct Fixture {
    key: SigningKey,
    policy: Policy,
    verifier: Verifier,
    artifact: Digest,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = SigningKey::generate(KeyKind::EcdsaP256).expect("generates a key");
        let public = PublicKey::from_spki_der(&key.public_key_der().expect("public key")).expect("spki");
        let verifier = Verifier::new(&TrustedRoot::empty().expect("empty root"))
            .expect("verifier")
            .dangerously_skip_transparency_log();
        Fixture {
            key,
            policy: Policy::Key(public),
            verifier,
            artifact: Algorithm::Sha256.hash_bytes(b"hello\n"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let bundle = if mode % 2 == 0 {
        let mut json = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"fuzz"},"tlogEntries":[],"timestampVerificationData":{"rfc3161Timestamps":[]}},"dsseEnvelope":"#.to_vec();
        json.extend_from_slice(rest);
        json.push(b'}');
        match Bundle::from_json(&json) {
            Ok(b) => b,
            Err(_) => return,
        }
    } else {
        match keyed::sign_statement(&f.key, rest) {
            Ok(b) => b,
            Err(_) => return,
        }
    };
    let _ = bundle.dsse_payload();
    let _ = bundle.dsse_envelope_json();
    let _ = f.verifier.verify(Artifact::Digest(f.artifact), &bundle, &f.policy);
    let _ = f.verifier.verify(Artifact::Bytes(b"hello\n"), &bundle, &f.policy);
    if let Ok(v3) = bundle.to_json_v0_3() {
        let again = Bundle::from_json(&v3).expect("a written v0.3 bundle parses");
        assert_eq!(again.dsse_payload(), bundle.dsse_payload());
    }
});
