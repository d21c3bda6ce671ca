//! Tamper tests: one byte changed in the artefact, the DSSE payload, the signature, the certificate, an
//! inclusion-proof hash, the checkpoint, the SET or the integrated time of a real production bundle is
//! rejected, and the error names the check that failed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provenant_sigstore::{
    Artifact, Bundle, IdentityPolicy, Policy, SanMatcher, TrustedRoot, Verifier, VerifyError,
};
use serde_json::Value;

use crate::conformance::conformance_dir;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

fn verifier() -> Verifier {
    let root = conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json");
    Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap()
}

fn policy() -> Policy {
    Policy::Identity(
        IdentityPolicy::new(SanMatcher::Exact(IDENTITY.into()))
            .with_issuer("https://token.actions.githubusercontent.com"),
    )
}

fn case(name: &str) -> Value {
    let path = conformance_dir()
        .join("test/assets/bundle-verify")
        .join(name)
        .join("bundle.sigstore.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn artifact() -> Vec<u8> {
    std::fs::read(conformance_dir().join("test/assets/bundle-verify/a.txt")).unwrap()
}

/// Flips the lowest bit of byte `at` (from the end when negative) of a base64 field.
fn flip_b64(v: &mut Value, at: isize) {
    let mut bytes = B64.decode(v.as_str().unwrap()).unwrap();
    let i = if at < 0 {
        bytes.len() - at.unsigned_abs()
    } else {
        at.unsigned_abs()
    };
    bytes[i] ^= 1;
    *v = Value::String(B64.encode(bytes));
}

fn verify(bundle: &Value, artifact: &[u8]) -> Result<(), VerifyError> {
    let bundle = Bundle::from_json(&serde_json::to_vec(bundle).unwrap()).unwrap();
    verifier()
        .verify(Artifact::Bytes(artifact), &bundle, &policy())
        .map(|_| ())
}

fn assert_rejected(bundle: &Value, artifact: &[u8], check: &str, words: &str) {
    let err = verify(bundle, artifact).expect_err("a tampered bundle must not verify");
    assert_eq!(err.check(), check, "{err}");
    assert!(
        err.to_string().contains(words),
        "{err:?} should say {words:?}: {err}"
    );
}

#[test]
fn untampered_bundles_verify() {
    verify(&case("happy-path-v0.3"), &artifact()).unwrap();
    verify(&case("happy-path-intoto-in-dsse-v3"), &artifact()).unwrap();
}

#[test]
fn one_byte_in_the_artifact() {
    let mut a = artifact();
    a[0] ^= 1;
    assert_rejected(&case("happy-path-v0.3"), &a, "artefact", "artefact mismatch");
    assert_rejected(
        &case("happy-path-intoto-in-dsse-v3"),
        &a,
        "artefact",
        "artefact mismatch",
    );
}

#[test]
fn one_byte_in_the_dsse_payload() {
    let mut b = case("happy-path-intoto-in-dsse-v3");
    flip_b64(&mut b["dsseEnvelope"]["payload"], 10);
    assert_rejected(&b, &artifact(), "signature", "signature check failed");
}

#[test]
fn one_byte_in_the_signature() {
    let mut b = case("happy-path-v0.3");
    flip_b64(&mut b["messageSignature"]["signature"], -3);
    assert_rejected(&b, &artifact(), "signature", "signature check failed");
    let mut b = case("happy-path-intoto-in-dsse-v3");
    flip_b64(&mut b["dsseEnvelope"]["signatures"][0]["sig"], -3);
    assert_rejected(&b, &artifact(), "signature", "signature check failed");
}

#[test]
fn one_byte_in_the_certificate() {
    // In the issuer's signature at the end of the certificate: the DER still parses.
    let mut b = case("happy-path-v0.3");
    flip_b64(&mut b["verificationMaterial"]["certificate"]["rawBytes"], -5);
    assert_rejected(
        &b,
        &artifact(),
        "certificate-chain",
        "certificate chain does not lead to a trusted Fulcio CA",
    );
}

#[test]
fn one_byte_in_an_inclusion_proof_hash() {
    let mut b = case("happy-path-v0.3");
    flip_b64(
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][3],
        0,
    );
    assert_rejected(
        &b,
        &artifact(),
        "inclusion-proof",
        "inclusion proof does not match checkpoint root",
    );
}

#[test]
fn one_byte_in_the_checkpoint() {
    // The checkpoint's signature line.
    let mut b = case("happy-path-v0.3");
    let envelope =
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"];
    let text = envelope.as_str().unwrap();
    let (body, sig) = text.rsplit_once(' ').unwrap();
    let mut sig = B64.decode(sig.trim_end()).unwrap();
    let last = sig.len() - 2;
    sig[last] ^= 1;
    *envelope = Value::String(format!("{body} {}\n", B64.encode(sig)));
    assert_rejected(&b, &artifact(), "checkpoint", "checkpoint check failed");
    // The checkpoint's tree size: the signature no longer covers it.
    let mut b = case("happy-path-v0.3");
    let envelope =
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"];
    let text = envelope.as_str().unwrap().replacen("75408393", "75408394", 1);
    *envelope = Value::String(text);
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] =
        Value::String("75408394".into());
    let err = verify(&b, &artifact()).unwrap_err();
    assert!(matches!(err.check(), "checkpoint" | "inclusion-proof"), "{err}");
}

#[test]
fn one_byte_in_the_signed_entry_timestamp_or_integrated_time() {
    let mut b = case("happy-path-v0.3");
    flip_b64(
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"],
        -3,
    );
    assert_rejected(
        &b,
        &artifact(),
        "signed-entry-timestamp",
        "signed entry timestamp (SET) check failed",
    );
    let mut b = case("happy-path-v0.3");
    let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
    let t: i64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    entry["integratedTime"] = Value::String((t + 1).to_string());
    assert_rejected(&b, &artifact(), "signed-entry-timestamp", "SET");
}

#[test]
fn one_byte_in_the_logged_body() {
    let mut b = case("happy-path-v0.3");
    flip_b64(
        &mut b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"],
        40,
    );
    let err = verify(&b, &artifact()).unwrap_err();
    // The body is covered by the SET, the inclusion proof and the consistency check: whichever runs
    // first refuses it.
    assert!(
        matches!(
            err.check(),
            "signed-entry-timestamp" | "inclusion-proof" | "log-entry"
        ),
        "{err}"
    );
}
