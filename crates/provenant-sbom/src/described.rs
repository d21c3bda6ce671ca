//! The digests an SBOM document says it describes.
//!
//! Used to check that the SBOM attached to an image describes that image: the digests come from the
//! CycloneDX `metadata.component` (its SHA-256/SHA-512 hashes and a purl whose version is a digest,
//! `pkg:oci/name@sha256%3A…`) or from the SPDX 2.3 packages the document describes (`documentDescribes`
//! and `DESCRIBES` relationships from `SPDXRef-DOCUMENT`): their SHA256/SHA512 checksums and purl
//! external references.

use provenant_digest::{Algorithm, Digest};
use serde_json::Value;

/// The digests `document` (CycloneDX or SPDX 2.3 JSON) says it describes, sorted and without duplicates.
///
/// Malformed or absent fields contribute nothing; a document that describes no digest gives an empty
/// vector, which callers must treat as "does not describe the artefact".
#[must_use]
pub fn described_digests(document: &Value) -> Vec<Digest> {
    let mut out = Vec::new();
    if let Some(component) = document.get("metadata").and_then(|m| m.get("component")) {
        cyclonedx_component(component, &mut out);
    }
    if document.get("spdxVersion").is_some() {
        spdx_described(document, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn cyclonedx_component(component: &Value, out: &mut Vec<Digest>) {
    for hash in component
        .get("hashes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let alg = match hash.get("alg").and_then(Value::as_str) {
            Some("SHA-256") => Algorithm::Sha256,
            Some("SHA-512") => Algorithm::Sha512,
            _ => continue,
        };
        if let Some(d) = hash
            .get("content")
            .and_then(Value::as_str)
            .and_then(|h| hex_digest(alg, h))
        {
            out.push(d);
        }
    }
    if let Some(d) = component
        .get("purl")
        .and_then(Value::as_str)
        .and_then(purl_digest)
    {
        out.push(d);
    }
}

fn spdx_described(document: &Value, out: &mut Vec<Digest>) {
    let mut ids: Vec<&str> = document
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let doc_id = document
        .get("SPDXID")
        .and_then(Value::as_str)
        .unwrap_or("SPDXRef-DOCUMENT");
    for rel in document
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let from = rel.get("spdxElementId").and_then(Value::as_str);
        let kind = rel.get("relationshipType").and_then(Value::as_str);
        let to = rel.get("relatedSpdxElement").and_then(Value::as_str);
        match (from, kind, to) {
            (Some(f), Some("DESCRIBES"), Some(t)) if f == doc_id => ids.push(t),
            (Some(f), Some("DESCRIBED_BY"), Some(t)) if t == doc_id => ids.push(f),
            _ => {}
        }
    }
    for package in document
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = package.get("SPDXID").and_then(Value::as_str) else {
            continue;
        };
        if !ids.contains(&id) {
            continue;
        }
        for sum in package
            .get("checksums")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let alg = match sum.get("algorithm").and_then(Value::as_str) {
                Some("SHA256") => Algorithm::Sha256,
                Some("SHA512") => Algorithm::Sha512,
                _ => continue,
            };
            if let Some(d) = sum
                .get("checksumValue")
                .and_then(Value::as_str)
                .and_then(|h| hex_digest(alg, h))
            {
                out.push(d);
            }
        }
        for reference in package
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if reference.get("referenceType").and_then(Value::as_str) != Some("purl") {
                continue;
            }
            if let Some(d) = reference
                .get("referenceLocator")
                .and_then(Value::as_str)
                .and_then(purl_digest)
            {
                out.push(d);
            }
        }
    }
}

fn hex_digest(algorithm: Algorithm, hex: &str) -> Option<Digest> {
    Digest::from_hex(algorithm, &hex.to_ascii_lowercase()).ok()
}

/// The digest in a purl's version (`pkg:oci/name@sha256%3A<hex>?…`), if the version is one.
pub(crate) fn purl_digest(purl: &str) -> Option<Digest> {
    let body = purl.strip_prefix("pkg:")?;
    let body = body.split(['?', '#']).next()?;
    let (_, version) = body.rsplit_once('@')?;
    let decoded = version.replace("%3A", ":").replace("%3a", ":");
    let (alg, hex) = decoded.split_once(':')?;
    let algorithm = match alg.to_ascii_lowercase().as_str() {
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        _ => return None,
    };
    hex_digest(algorithm, hex)
}
