//! CycloneDX JSON writer (1.5, 1.6, 1.7).

use serde_json::{Value, json};

use crate::model::{Component, Sbom};
use crate::{content_hash, rfc3339};

/// The CycloneDX specification version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SpecVersion {
    /// 1.5.
    V1_5,
    /// 1.6 (the default).
    #[default]
    V1_6,
    /// 1.7.
    V1_7,
}

impl SpecVersion {
    /// `1.5`, `1.6` or `1.7`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_7 => "1.7",
        }
    }
}

/// The `bom-ref` of the root component.
pub const ROOT_REF: &str = "root";

fn component(c: &Component) -> Value {
    let mut v = json!({
        "type": "library",
        "bom-ref": c.purl.as_str(),
        "name": c.name,
        "purl": c.purl.as_str(),
    });
    if !c.version.is_empty() {
        set(&mut v, "version", json!(c.version));
    }
    if !c.hashes.is_empty() {
        set(
            &mut v,
            "hashes",
            c.hashes
                .iter()
                .map(|h| json!({"alg": h.alg().cyclonedx(), "content": h.hex()}))
                .collect(),
        );
    }
    if let Some(l) = &c.license {
        set(&mut v, "licenses", json!([{ "expression": l }]));
    }
    if let Some(s) = &c.supplier {
        set(&mut v, "supplier", json!({ "name": s }));
    }
    if !c.evidence.is_empty() {
        set(
            &mut v,
            "evidence",
            json!({
                "occurrences": c.evidence.iter().map(|e| json!({"location": e.file})).collect::<Vec<_>>(),
            }),
        );
    }
    let mut props = vec![
        json!({"name": "provenant:dependency", "value": c.scope.as_str()}),
        json!({"name": "provenant:ecosystem", "value": c.purl.ty()}),
    ];
    for e in &c.evidence {
        props.push(json!({"name": "provenant:evidence", "value": format!("{}:{}", e.method, e.file)}));
    }
    let layers: std::collections::BTreeSet<String> = c
        .evidence
        .iter()
        .filter_map(|e| e.layer.map(|l| l.to_string()))
        .collect();
    for l in layers {
        props.push(json!({"name": "provenant:layer", "value": l}));
    }
    set(&mut v, "properties", Value::Array(props));
    v
}

/// Renders `sbom` as CycloneDX JSON (pretty, with a final newline). Two calls on equal input give equal
/// bytes; the serial number is a version-5-style UUID taken from the SHA-256 of the document without it.
#[must_use]
pub fn write(sbom: &Sbom, version: SpecVersion) -> String {
    let root = &sbom.root;
    let mut root_c = json!({
        "type": if root.image_purl.is_some() { "container" } else { "application" },
        "bom-ref": ROOT_REF,
        "name": root.name,
    });
    if let Some(d) = &root.digest {
        set(
            &mut root_c,
            "hashes",
            json!([{
                "alg": match d.algorithm() {
                    provenant_digest::Algorithm::Sha512 => "SHA-512",
                    _ => "SHA-256",
                },
                "content": d.hex(),
            }]),
        );
    }
    if let Some(v) = &root.version {
        set(&mut root_c, "version", json!(v));
    }
    if let Some(p) = root.image_purl.as_ref().or(root.purl.as_ref()) {
        set(&mut root_c, "purl", json!(p.as_str()));
    }
    let mut metadata = json!({
        "timestamp": rfc3339(sbom.created),
        "tools": {"components": [{
            "type": "application",
            "name": "provenant",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
        "component": root_c,
    });
    if sbom.is_incomplete() {
        let mut props = vec![json!({"name": "provenant:incomplete", "value": "true"})];
        for w in &sbom.warnings {
            props.push(json!({"name": "provenant:warning", "value": w}));
        }
        set(&mut metadata, "properties", Value::Array(props));
    }
    let components: Vec<Value> = sbom.components.values().map(component).collect();
    let mut deps = vec![json!({
        "ref": ROOT_REF,
        "dependsOn": sbom.direct().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    })];
    for c in sbom.components.values() {
        deps.push(json!({
            "ref": c.purl.as_str(),
            "dependsOn": sbom.edges(c).iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        }));
    }
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": version.as_str(),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": deps,
    });
    // The serial number hashes everything but the timestamp, so equal content gives equal serials.
    let mut for_hash = doc.clone();
    set(
        for_hash.get_mut("metadata").unwrap_or(&mut Value::Null),
        "timestamp",
        Value::Null,
    );
    set(
        &mut doc,
        "serialNumber",
        json!(format!(
            "urn:uuid:{}",
            uuid_from(&content_hash(for_hash.to_string().as_bytes()))
        )),
    );
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// A name-based (version 5 layout, RFC 4122 variant) UUID from 32 hex characters of a hash.
fn uuid_from(hex: &str) -> String {
    let h: Vec<char> = hex.chars().chain(std::iter::repeat('0')).take(32).collect();
    let s = |a: usize, b: usize| {
        h.get(a..b)
            .map(|x| x.iter().collect::<String>())
            .unwrap_or_default()
    };
    let variant = match h.get(16).and_then(|c| c.to_digit(16)) {
        Some(d) => char::from_digit(8 | (d & 3), 16).unwrap_or('8'),
        None => '8',
    };
    format!(
        "{}-{}-5{}-{}{}-{}",
        s(0, 8),
        s(8, 12),
        s(13, 16),
        variant,
        s(17, 20),
        s(20, 32)
    )
}

/// Sets `key` in a JSON object (no-op on anything else).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_owned(), value);
    }
}

/// What [`write`] cannot express of `sbom`: which layer each evidence file came from, for a component
/// found in several layers (the layers are listed, not paired with files).
#[must_use]
pub fn write_losses(sbom: &Sbom) -> Vec<crate::read::Lost> {
    let examples: Vec<String> = sbom
        .components
        .values()
        .filter(|c| {
            let layers: std::collections::BTreeSet<_> = c.evidence.iter().filter_map(|e| e.layer).collect();
            layers.len() > 1
        })
        .map(|c| c.purl.to_string())
        .collect();
    if examples.is_empty() {
        return Vec::new();
    }
    vec![crate::read::Lost::new(
        "which layer each evidence file of a component found in several layers came from",
        examples,
    )]
}
