//! `described_digests` on `CycloneDX` and SPDX documents, both written by us and hand-made.

use provenant_digest::{Algorithm, Digest};
use provenant_sbom::{Root, Sbom, cyclonedx, described_digests, spdx23};
use serde_json::{Value, json};

fn image_digest() -> Digest {
    Algorithm::Sha256.hash_bytes(b"manifest")
}

#[test]
fn cyclonedx_written_by_us_describes_its_root_digest() {
    let sbom = Sbom::new(Root::new("app", image_digest()), 0);
    for version in [cyclonedx::SpecVersion::V1_5, cyclonedx::SpecVersion::V1_6] {
        let doc: Value = serde_json::from_str(&cyclonedx::write(&sbom, version)).unwrap();
        assert_eq!(described_digests(&doc), vec![image_digest()]);
    }
}

#[test]
fn spdx_written_by_us_describes_its_root_digest() {
    let sbom = Sbom::new(Root::new("app", image_digest()), 0);
    let doc: Value = serde_json::from_str(&spdx23::write(&sbom)).unwrap();
    assert_eq!(described_digests(&doc), vec![image_digest()]);
}

#[test]
fn cyclonedx_oci_purl_and_sha512_hash() {
    let d = image_digest();
    let d512 = Algorithm::Sha512.hash_bytes(b"manifest");
    let doc = json!({
        "bomFormat": "CycloneDX",
        "metadata": {"component": {
            "type": "container", "name": "app",
            "purl": format!("pkg:oci/app@sha256%3A{}?repository_url=registry.example/app", d.hex()),
            "hashes": [
                {"alg": "SHA-512", "content": d512.hex().to_uppercase()},
                {"alg": "MD5", "content": "00000000000000000000000000000000"}
            ]
        }},
        "components": [{"type": "library", "name": "x",
            "hashes": [{"alg": "SHA-256", "content": Algorithm::Sha256.hash_bytes(b"other").hex()}]}]
    });
    let mut want = vec![d, d512];
    want.sort();
    assert_eq!(described_digests(&doc), want);
}

#[test]
fn spdx_describes_relationship_purl_and_undescribed_packages_ignored() {
    let d = image_digest();
    let other = Algorithm::Sha256.hash_bytes(b"other");
    let doc = json!({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "packages": [
            {"SPDXID": "SPDXRef-image", "name": "app",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": format!("pkg:oci/app@sha256%3A{}", d.hex())}]},
            {"SPDXID": "SPDXRef-lib", "name": "lib",
             "checksums": [{"algorithm": "SHA256", "checksumValue": other.hex()}]}
        ],
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-image"},
            {"spdxElementId": "SPDXRef-image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-lib"}
        ]
    });
    assert_eq!(described_digests(&doc), vec![d]);
}

#[test]
fn nothing_described_gives_empty() {
    assert!(described_digests(&json!({})).is_empty());
    assert!(
        described_digests(&json!({"metadata": {"component": {"purl": "pkg:oci/app@latest",
        "hashes": [{"alg": "SHA-256", "content": "not-hex"}]}}}))
        .is_empty()
    );
    assert!(
        described_digests(
            &json!({"spdxVersion": "SPDX-2.3", "documentDescribes": ["SPDXRef-x"],
        "packages": [{"SPDXID": "SPDXRef-x", "checksums": [{"algorithm": "SHA1", "checksumValue": "00"}]}]})
        )
        .is_empty()
    );
}
