//! Which artefact an SBOM document describes, read from the document itself.

use provenant_digest::{Algorithm, Digest};
use serde_json::Value;

/// A digest from a purl's version (`pkg:oci/name@sha256%3A<hex>?…`).
fn purl_digest(purl: &str) -> Option<Digest> {
    let rest = purl.strip_prefix("pkg:oci/")?;
    let version = rest.split_once('@')?.1;
    let version = version.split(['?', '#']).next()?;
    let hex = version
        .strip_prefix("sha256%3A")
        .or_else(|| version.strip_prefix("sha256%3a"))
        .or_else(|| version.strip_prefix("sha256:"))?;
    Digest::from_hex(Algorithm::Sha256, hex).ok()
}

/// The digests an SBOM says it describes (an image's manifest digest, for an image SBOM): `CycloneDX` `metadata.component` (its SHA-256 hash and
/// its `pkg:oci` purl); SPDX, the packages the document describes (their SHA256 checksums and purls).
#[must_use]
pub fn described_digests(document: &Value) -> Vec<Digest> {
    let mut out = Vec::new();
    let mut push = |d: Option<Digest>| {
        if let Some(d) = d
            && !out.contains(&d)
        {
            out.push(d);
        }
    };
    if let Some(component) = document.pointer("/metadata/component") {
        for h in component
            .get("hashes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if h.get("alg").and_then(Value::as_str) == Some("SHA-256") {
                push(
                    h.get("content")
                        .and_then(Value::as_str)
                        .and_then(|c| Digest::from_hex(Algorithm::Sha256, c).ok()),
                );
            }
        }
        push(
            component
                .get("purl")
                .and_then(Value::as_str)
                .and_then(purl_digest),
        );
    }
    if document.get("spdxVersion").is_some() {
        let mut described: Vec<&str> = document
            .get("documentDescribes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for r in document
            .get("relationships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if r.get("spdxElementId").and_then(Value::as_str) == Some("SPDXRef-DOCUMENT")
                && r.get("relationshipType").and_then(Value::as_str) == Some("DESCRIBES")
                && let Some(id) = r.get("relatedSpdxElement").and_then(Value::as_str)
            {
                described.push(id);
            }
        }
        for package in document
            .get("packages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = package.get("SPDXID").and_then(Value::as_str).unwrap_or_default();
            if !described.contains(&id) {
                continue;
            }
            for c in package
                .get("checksums")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if c.get("algorithm").and_then(Value::as_str) == Some("SHA256") {
                    push(
                        c.get("checksumValue")
                            .and_then(Value::as_str)
                            .and_then(|v| Digest::from_hex(Algorithm::Sha256, v).ok()),
                    );
                }
            }
            for r in package
                .get("externalRefs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if r.get("referenceType").and_then(Value::as_str) == Some("purl") {
                    push(
                        r.get("referenceLocator")
                            .and_then(Value::as_str)
                            .and_then(purl_digest),
                    );
                }
            }
        }
    }
    out
}
