//! Cosign attestations logged as Rekor `intoto/0.0.1` entries (the SLSA GitHub generator's container
//! workflow v1.4.0 to v1.9.0, from slsa-verifier's test data), verified against the production trusted
//! root of sigstore-python; and one byte changed in the payload, the signature, the certificate, the
//! SET or the entry body, or an envelope that is not the logged one, each rejected by its own check.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provenant_digest::Digest;
use provenant_sigstore::{
    Artifact, Bundle, EntryKind, IdentityPolicy, Policy, PublicKey, RekorV1Entry, SanMatcher, TrustedRoot,
    Verifier, VerifyError,
};
use serde_json::Value;

const BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.4.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn root_json() -> Value {
    let path =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn verifier_for(root: &Value) -> Verifier {
    Verifier::new(&TrustedRoot::from_json(&serde_json::to_vec(root).unwrap()).unwrap()).unwrap()
}

fn verifier() -> Verifier {
    verifier_for(&root_json())
}

fn policy() -> Policy {
    Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(BUILDER.into())).with_issuer(ISSUER))
}

/// One attestation layer as cosign stored it: the envelope bytes, the certificate DER and the
/// Rekor entry; plus the image digest it attests.
struct Layer {
    envelope: Vec<u8>,
    certificate: Vec<u8>,
    entry: RekorV1Entry,
    image: Digest,
}

fn layer(version: &str) -> Layer {
    let dir: PathBuf = provenant_testkit::vectors_dir()
        .join("slsa-verifier/cli/slsa-verifier/testdata/gha_generic_container")
        .join(version);
    let image: Digest = std::fs::read_to_string(dir.join("container_workflow_dispatch.digest"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let layout = dir.join("container_workflow_dispatch");
    let blob =
        |d: &str| std::fs::read(layout.join("blobs/sha256").join(d.trim_start_matches("sha256:"))).unwrap();
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let att = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["kind"] == "dev.cosignproject.cosign/atts")
        .unwrap();
    let manifest: Value = serde_json::from_slice(&blob(att["digest"].as_str().unwrap())).unwrap();
    let layer = &manifest["layers"][0];
    let annotations: BTreeMap<String, String> = serde_json::from_value(layer["annotations"].clone()).unwrap();
    let pem = &annotations["dev.sigstore.cosign/certificate"];
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let rekor: Value = serde_json::from_str(&annotations["dev.sigstore.cosign/bundle"]).unwrap();
    let payload = &rekor["Payload"];
    Layer {
        envelope: blob(layer["digest"].as_str().unwrap()),
        certificate: B64.decode(b64).unwrap(),
        entry: RekorV1Entry {
            body: payload["body"].as_str().unwrap().to_owned(),
            integrated_time: payload["integratedTime"].as_i64().unwrap(),
            log_index: payload["logIndex"].as_i64().unwrap(),
            log_id: payload["logID"].as_str().unwrap().to_owned(),
            signed_entry_timestamp: rekor["SignedEntryTimestamp"].as_str().unwrap().to_owned(),
        },
        image,
    }
}

impl Layer {
    fn bundle(&self) -> Bundle {
        Bundle::from_cosign_intoto_v001(&self.envelope, &self.certificate, &self.entry).unwrap()
    }

    fn verify_with(
        &self,
        verifier: &Verifier,
        policy: &Policy,
    ) -> Result<provenant_sigstore::Verified, VerifyError> {
        verifier.verify(Artifact::Digest(self.image), &self.bundle(), policy)
    }

    fn verify(&self) -> Result<provenant_sigstore::Verified, VerifyError> {
        self.verify_with(&verifier(), &policy())
    }

    /// The envelope with `f` applied to its JSON, written back compactly as cosign writes it.
    fn edit_envelope(&mut self, f: impl FnOnce(&mut Value)) {
        let mut json: Value = serde_json::from_slice(&self.envelope).unwrap();
        f(&mut json);
        self.envelope = serde_json::to_vec(&json).unwrap();
    }
}

/// Flips the lowest bit of byte `at` (from the end when negative) of base64 text.
fn flip_b64(text: &str, at: isize) -> String {
    let mut bytes = B64.decode(text).unwrap();
    let i = if at < 0 {
        bytes.len() - at.unsigned_abs()
    } else {
        at.unsigned_abs()
    };
    bytes[i] ^= 1;
    B64.encode(bytes)
}

fn assert_rejected(result: Result<provenant_sigstore::Verified, VerifyError>, check: &str, words: &str) {
    let err = result.expect_err("a tampered attestation must not verify");
    assert_eq!(err.check(), check, "{err}");
    assert!(
        err.to_string().contains(words),
        "{err:?} should say {words:?}: {err}"
    );
}

#[test]
fn every_intoto_v001_attestation_of_the_generator_verifies() {
    for version in ["v1.4.0", "v1.5.0", "v1.6.0", "v1.7.0", "v1.8.0", "v1.9.0"] {
        let layer = layer(version);
        let identity = Policy::Identity(
            IdentityPolicy::new(
                SanMatcher::regex(&format!(
                    "{}@refs/tags/{version}",
                    regex_escape(BUILDER.split('@').next().unwrap())
                ))
                .unwrap(),
            )
            .with_issuer(ISSUER),
        );
        let verified = layer
            .verify_with(&verifier(), &identity)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(verified.issuer.as_deref(), Some(ISSUER));
        assert_eq!(verified.log_entries.len(), 1);
        let entry = &verified.log_entries[0];
        assert_eq!(entry.kind, EntryKind::IntotoV001);
        assert_eq!(entry.kind.to_string(), "intoto/0.0.1");
        assert_eq!(entry.integrated_time, Some(layer.entry.integrated_time));
        assert_eq!(
            verified.integrated_time.map(jiff::Timestamp::as_second),
            Some(layer.entry.integrated_time)
        );
        assert_eq!(entry.log_id, layer.entry.log_id);
        let (payload_type, payload) = verified.dsse.unwrap();
        assert_eq!(payload_type, "application/vnd.in-toto+json");
        let statement: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            statement["predicate"]["builder"]["id"].as_str(),
            verified.identity.as_deref()
        );
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escape = "\\.+*?()|[]{}^$".contains(c);
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn one_byte_in_the_payload() {
    let mut layer = layer("v1.4.0");
    layer.edit_envelope(|e| {
        let flipped = flip_b64(e["payload"].as_str().unwrap(), 40);
        e["payload"] = Value::String(flipped);
    });
    assert_rejected(layer.verify(), "signature", "DSSE signature");
}

#[test]
fn one_byte_in_the_signature() {
    let mut layer = layer("v1.4.0");
    layer.edit_envelope(|e| {
        let flipped = flip_b64(e["signatures"][0]["sig"].as_str().unwrap(), -3);
        e["signatures"][0]["sig"] = Value::String(flipped);
    });
    assert_rejected(layer.verify(), "signature", "DSSE signature");
}

#[test]
fn one_byte_in_the_certificate() {
    let mut layer = layer("v1.4.0");
    // In the issuer's signature at the end of the certificate: still a certificate, no longer Fulcio's.
    let i = layer.certificate.len() - 3;
    layer.certificate[i] ^= 1;
    assert_rejected(layer.verify(), "certificate-chain", "Fulcio");
}

#[test]
fn one_byte_in_the_set() {
    let mut layer = layer("v1.4.0");
    layer.entry.signed_entry_timestamp = flip_b64(&layer.entry.signed_entry_timestamp, -3);
    assert_rejected(layer.verify(), "signed-entry-timestamp", "does not verify");
}

#[test]
fn one_byte_in_the_entry_body() {
    let mut layer = layer("v1.4.0");
    // A hex digit of the envelope hash the entry records ("value":"784c…").
    let mut body = B64.decode(&layer.entry.body).unwrap();
    let at = body.windows(9).position(|w| w == b"\"value\":\"").unwrap() + 9;
    body[at] ^= 1;
    layer.entry.body = B64.encode(body);
    assert_rejected(layer.verify(), "signed-entry-timestamp", "does not verify");
}

#[test]
fn the_integrated_time_or_log_index_changed() {
    let mut later = layer("v1.4.0");
    later.entry.integrated_time += 1;
    assert_rejected(later.verify(), "signed-entry-timestamp", "does not verify");
    let mut other = layer("v1.4.0");
    other.entry.log_index += 1;
    assert_rejected(other.verify(), "signed-entry-timestamp", "does not verify");
}

/// The same statement, signature and certificate, in an envelope that is not byte for byte the one
/// the log recorded: the signature verifies, the entry does not name this envelope.
#[test]
fn an_envelope_other_than_the_logged_one() {
    let mut layer = layer("v1.4.0");
    let json: Value = serde_json::from_slice(&layer.envelope).unwrap();
    layer.envelope = serde_json::to_vec_pretty(&json).unwrap();
    assert_rejected(layer.verify(), "log-entry", "records envelope sha256:");
}

/// Another attestation's log entry (valid, signed by the log) with this envelope and certificate:
/// the certificate was not valid at that entry's integrated time.
#[test]
fn another_attestations_entry() {
    let mut layer = layer("v1.4.0");
    layer.entry = self::layer("v1.5.0").entry;
    assert_rejected(layer.verify(), "certificate-validity", "integrated time");
}

#[test]
fn a_log_the_root_does_not_trust() {
    let mut root = root_json();
    root["tlogs"] = Value::Array(Vec::new());
    let layer = layer("v1.4.0");
    assert_rejected(
        layer.verify_with(&verifier_for(&root), &policy()),
        "transparency-log",
        &layer.entry.log_id,
    );
}

#[test]
fn no_fulcio_authority_at_the_integrated_time() {
    let mut root = root_json();
    for ca in root["certificateAuthorities"].as_array_mut().unwrap() {
        ca["validFor"] = serde_json::json!({ "start": "2024-01-01T00:00:00Z" });
    }
    assert_rejected(
        layer("v1.4.0").verify_with(&verifier_for(&root), &policy()),
        "certificate-authority-validity",
        "",
    );
}

#[test]
fn an_sct_from_no_trusted_log() {
    let mut root = root_json();
    root["ctlogs"] = Value::Array(Vec::new());
    let layer = layer("v1.4.0");
    assert_rejected(
        layer.verify_with(&verifier_for(&root), &policy()),
        "sct",
        "no trusted log",
    );
    // Only when the caller waives the SCT loudly.
    layer
        .verify_with(&verifier_for(&root).dangerously_skip_sct(), &policy())
        .unwrap();
}

#[test]
fn another_identity_issuer_or_artefact() {
    let layer = layer("v1.4.0");
    let other = Policy::Identity(
        IdentityPolicy::new(SanMatcher::Exact(BUILDER.replace("v1.4.0", "v1.5.0"))).with_issuer(ISSUER),
    );
    assert_rejected(layer.verify_with(&verifier(), &other), "san", "v1.5.0");
    let issuer = Policy::Identity(
        IdentityPolicy::new(SanMatcher::Exact(BUILDER.into())).with_issuer("https://accounts.google.com"),
    );
    assert_rejected(
        layer.verify_with(&verifier(), &issuer),
        "oidc-issuer",
        "accounts.google.com",
    );
    let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    assert_rejected(
        verifier().verify(Artifact::Digest(digest), &layer.bundle(), &policy()),
        "artefact",
        "not a subject",
    );
}

#[test]
fn a_key_policy_does_not_accept_it() {
    let key = PublicKey::from_pem(
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\nkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    assert_rejected(
        layer("v1.4.0").verify_with(&verifier(), &Policy::Key(key)),
        "policy-kind",
        "public key",
    );
}

#[test]
fn it_is_not_written_as_a_bundle() {
    let err = layer("v1.4.0").bundle().to_json_v0_3().unwrap_err();
    assert!(err.to_string().contains("intoto/0.0.1"), "{err}");
}

#[test]
fn malformed_parts_are_refused_when_read() {
    let good = layer("v1.4.0");
    for (envelope, certificate, entry, words) in [
        (
            b"not json".to_vec(),
            good.certificate.clone(),
            good.entry.clone(),
            "",
        ),
        (
            good.envelope.clone(),
            Vec::new(),
            good.entry.clone(),
            "certificate",
        ),
        (
            good.envelope.clone(),
            good.certificate.clone(),
            RekorV1Entry {
                log_id: "zz".into(),
                ..good.entry.clone()
            },
            "logID",
        ),
        (
            good.envelope.clone(),
            good.certificate.clone(),
            RekorV1Entry {
                body: "!!".into(),
                ..good.entry.clone()
            },
            "body",
        ),
    ] {
        let err = Bundle::from_cosign_intoto_v001(&envelope, &certificate, &entry).unwrap_err();
        assert!(err.to_string().contains(words), "{err}");
    }
}

#[test]
fn a_streamed_artefact_is_checked_by_its_digest() {
    let layer = layer("v1.4.0");
    let err = verifier()
        .verify_reader(&b"not the image"[..], &layer.bundle(), &policy())
        .unwrap_err();
    assert_eq!(err.check(), "artefact", "{err}");
}
