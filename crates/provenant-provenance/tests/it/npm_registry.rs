//! npm registry signatures (`dist.signatures`) with a registry key made by the test, in both key file
//! formats, and each way a signature check can fail.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provenant_digest::Algorithm;
use provenant_keys::{KeyKind, SigningKey};
use provenant_provenance::npm::RegistryKeys;
use provenant_provenance::npm_registry::{
    RegistrySignatureError, VersionSignatures, verify_registry_signatures,
};
use serde_json::json;

const KEY_ID: &str = "SHA256:test-registry-key";

struct Registry {
    key: SigningKey,
}

impl Registry {
    fn new() -> Registry {
        Registry {
            key: SigningKey::generate(KeyKind::EcdsaP256).unwrap(),
        }
    }

    /// `/-/npm/v1/keys`, as the registry serves it.
    fn listing(&self, expires: Option<&str>) -> RegistryKeys {
        let doc = json!({"keys": [{
            "expires": expires,
            "keyid": KEY_ID,
            "keytype": "ecdsa-sha2-nistp256",
            "scheme": "ecdsa-sha2-nistp256",
            "key": B64.encode(self.key.public_key_der().unwrap()),
        }]});
        RegistryKeys::from_json(doc.to_string().as_bytes()).unwrap()
    }

    /// The sigstore TUF repository's `registry.npmjs.org/keys.json` target.
    fn tuf_target(&self, usage: &str) -> RegistryKeys {
        let doc = json!({"keys": [{
            "keyId": KEY_ID,
            "keyUsage": usage,
            "publicKey": {
                "rawBytes": B64.encode(self.key.public_key_der().unwrap()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "1999-01-01T00:00:00.000Z"}
            }
        }]});
        RegistryKeys::from_json(doc.to_string().as_bytes()).unwrap()
    }

    /// The version document the registry serves for `name@version` with `tarball`, signed.
    fn version(&self, name: &str, version: &str, tarball: &[u8]) -> serde_json::Value {
        let integrity = format!(
            "sha512-{}",
            B64.encode(Algorithm::Sha512.hash_bytes(tarball).as_bytes())
        );
        let sig = self
            .key
            .sign(format!("{name}@{version}:{integrity}").as_bytes())
            .unwrap();
        json!({
            "name": name,
            "version": version,
            "dist": {"integrity": integrity, "signatures": [{"keyid": KEY_ID, "sig": B64.encode(sig)}]}
        })
    }
}

fn read(doc: &serde_json::Value) -> VersionSignatures {
    VersionSignatures::from_json(doc.to_string().as_bytes()).unwrap()
}

/// Issue 15, item 12: the registry's ECDSA signature over `NAME@VERSION:INTEGRITY` verifies with its key
/// from either key file; each change (another version signed, another tarball, another key, a key
/// expired at publication, no signature) fails naming why.
#[test]
fn npm_registry_signatures_verify_and_each_change_fails() {
    let registry = Registry::new();
    let tarball = b"package tarball bytes";
    let digest = Algorithm::Sha512.hash_bytes(tarball);
    let doc = registry.version("@scope/pkg", "1.0.0", tarball);
    let published: jiff::Timestamp = "2024-05-01T00:00:00Z".parse().unwrap();
    for keys in [
        registry.listing(None),
        registry.listing(Some("2030-01-01T00:00:00.000Z")),
        registry.tuf_target("npm:signatures"),
    ] {
        let ok = verify_registry_signatures(&keys, &read(&doc), &digest, Some(published)).unwrap();
        assert_eq!(ok.key_id, KEY_ID);
    }
    let keys = registry.listing(None);
    // A signature of another version, moved onto this one.
    let mut moved = doc.clone();
    moved["dist"]["signatures"] =
        registry.version("@scope/pkg", "1.0.1", tarball)["dist"]["signatures"].clone();
    let e = verify_registry_signatures(&keys, &read(&moved), &digest, None).unwrap_err();
    assert!(matches!(e, RegistrySignatureError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("@scope/pkg@1.0.0:sha512-"), "{e}");
    // Another tarball.
    let other = Algorithm::Sha512.hash_bytes(b"another tarball");
    let e = verify_registry_signatures(&keys, &read(&doc), &other, None).unwrap_err();
    assert!(
        matches!(e, RegistrySignatureError::IntegrityMismatch { .. }),
        "{e}"
    );
    // Signed by a key that is not the registry's.
    let impostor = Registry::new();
    let e = verify_registry_signatures(&impostor.listing(None), &read(&doc), &digest, None).unwrap_err();
    assert!(matches!(e, RegistrySignatureError::Invalid { .. }), "{e}");
    let e = verify_registry_signatures(
        &registry.tuf_target("npm:attestations"),
        &read(&doc),
        &digest,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, RegistrySignatureError::UnknownKeys { .. }), "{e}");
    // A key that had expired when the version was published.
    let e = verify_registry_signatures(
        &registry.listing(Some("2024-01-01T00:00:00.000Z")),
        &read(&doc),
        &digest,
        Some(published),
    )
    .unwrap_err();
    assert!(matches!(e, RegistrySignatureError::KeyNotValid { .. }), "{e}");
    // No signature at all.
    let mut unsigned = doc.clone();
    unsigned["dist"].as_object_mut().unwrap().remove("signatures");
    let e = verify_registry_signatures(&keys, &read(&unsigned), &digest, None).unwrap_err();
    assert!(matches!(e, RegistrySignatureError::Missing { .. }), "{e}");
    // Malformed documents name the field.
    for (doc, field) in [
        (json!({"version": "1", "dist": {"integrity": "x"}}), "`name`"),
        (
            json!({"name": "a", "version": "1", "dist": {}}),
            "`dist.integrity`",
        ),
        (
            json!({"name": "a", "version": "1", "dist": {"integrity": "x", "signatures": [{"keyid": "k", "sig": "!"}]}}),
            "`dist.signatures[0].sig`",
        ),
    ] {
        let e = VersionSignatures::from_json(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
}
