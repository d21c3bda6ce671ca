//! CycloneDX JSON writer (1.5, 1.6, 1.7).

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{Component, Sbom};
use crate::purl::Purl;
use crate::rfc3339;

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

// The document is written through these borrowed, typed views in one pass. Their fields are declared in
// alphabetical order, which is the order a JSON object map would give, so the bytes do not depend on how
// the document is built.

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    components: Vec<CdxComponent<'a>>,
    dependencies: Vec<Dependency<'a>>,
    metadata: Metadata<'a>,
    #[serde(rename = "serialNumber", skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    version: u32,
}

#[derive(Serialize)]
struct Metadata<'a> {
    component: RootComponent<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property<'a>>,
    /// `None` only in the form that is hashed for the serial number (written as `null`).
    timestamp: Option<String>,
    tools: Tools,
}

#[derive(Serialize)]
struct Tools {
    components: [Tool; 1],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct RootComponent<'a> {
    #[serde(rename = "bom-ref")]
    bom_ref: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hashes: Option<[Hash<'a>; 1]>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

#[derive(Serialize)]
struct CdxComponent<'a> {
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<CdxEvidence<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    licenses: Option<[License<'a>; 1]>,
    name: &'a str,
    properties: Vec<Property<'a>>,
    purl: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier<'a>>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

#[derive(Serialize)]
struct Hash<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct License<'a> {
    expression: &'a str,
}

#[derive(Serialize)]
struct Supplier<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct CdxEvidence<'a> {
    occurrences: Vec<Occurrence<'a>>,
}

#[derive(Serialize)]
struct Occurrence<'a> {
    location: &'a str,
}

#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: Cow<'a, str>,
}

#[derive(Serialize)]
struct Dependency<'a> {
    #[serde(rename = "dependsOn")]
    depends_on: Vec<&'a str>,
    #[serde(rename = "ref")]
    reference: &'a str,
}

fn component(c: &Component) -> CdxComponent<'_> {
    let mut properties = vec![
        Property {
            name: "provenant:dependency",
            value: Cow::Borrowed(c.scope.as_str()),
        },
        Property {
            name: "provenant:ecosystem",
            value: Cow::Borrowed(c.purl.ty()),
        },
    ];
    for e in &c.evidence {
        properties.push(Property {
            name: "provenant:evidence",
            value: Cow::Owned(format!("{}:{}", e.method, e.file)),
        });
    }
    let layers: BTreeSet<String> = c
        .evidence
        .iter()
        .filter_map(|e| e.layer.map(|l| l.to_string()))
        .collect();
    properties.extend(layers.into_iter().map(|l| Property {
        name: "provenant:layer",
        value: Cow::Owned(l),
    }));
    CdxComponent {
        bom_ref: c.purl.as_str(),
        evidence: (!c.evidence.is_empty()).then(|| CdxEvidence {
            occurrences: c
                .evidence
                .iter()
                .map(|e| Occurrence { location: &e.file })
                .collect(),
        }),
        hashes: c
            .hashes
            .iter()
            .map(|h| Hash {
                alg: h.alg().cyclonedx(),
                content: h.hex(),
            })
            .collect(),
        licenses: c.license.as_deref().map(|l| [License { expression: l }]),
        name: &c.name,
        properties,
        purl: c.purl.as_str(),
        supplier: c.supplier.as_deref().map(|s| Supplier { name: s }),
        kind: "library",
        version: (!c.version.is_empty()).then_some(c.version.as_str()),
    }
}

/// Renders `sbom` as CycloneDX JSON (pretty, with a final newline). Two calls on equal input give equal
/// bytes; the serial number is a version-5-style UUID taken from the SHA-256 of the document without it.
#[must_use]
pub fn write(sbom: &Sbom, version: SpecVersion) -> String {
    with_document(sbom, version, |doc| {
        let mut out = Vec::with_capacity(1024 + sbom.components.len() * 1024);
        let _ = serde_json::to_writer_pretty(&mut out, doc);
        out.push(b'\n');
        String::from_utf8(out).unwrap_or_default()
    })
}

/// The document [`write()`] renders, as a JSON value (for embedding, as an attestation's predicate): equal
/// to what parsing [`write()`]'s text gives.
#[must_use]
pub fn to_value(sbom: &Sbom, version: SpecVersion) -> serde_json::Value {
    // These views serialise infallibly (string keys only).
    with_document(sbom, version, |doc| serde_json::to_value(doc).unwrap_or_default())
}

/// Builds the document, serial number and timestamp included, and hands it to `f`.
fn with_document<R>(sbom: &Sbom, version: SpecVersion, f: impl FnOnce(&Doc<'_>) -> R) -> R {
    let root = &sbom.root;
    let root_hex = root.digest.as_ref().map(provenant_digest::Digest::hex);
    let root_c = RootComponent {
        bom_ref: ROOT_REF,
        hashes: root.digest.as_ref().zip(root_hex.as_deref()).map(|(d, hex)| {
            [Hash {
                alg: match d.algorithm() {
                    provenant_digest::Algorithm::Sha512 => "SHA-512",
                    _ => "SHA-256",
                },
                content: hex,
            }]
        }),
        name: &root.name,
        purl: root.image_purl.as_ref().or(root.purl.as_ref()).map(Purl::as_str),
        kind: if root.image_purl.is_some() {
            "container"
        } else {
            "application"
        },
        version: root.version.as_deref(),
    };
    let mut properties = Vec::new();
    if sbom.is_incomplete() {
        properties.push(Property {
            name: "provenant:incomplete",
            value: Cow::Borrowed("true"),
        });
        properties.extend(sbom.warnings.iter().map(|w| Property {
            name: "provenant:warning",
            value: Cow::Borrowed(w.as_str()),
        }));
    }
    let mut dependencies = vec![Dependency {
        depends_on: sbom.direct().iter().map(|p| p.as_str()).collect(),
        reference: ROOT_REF,
    }];
    dependencies.extend(sbom.components.values().map(|c| Dependency {
        depends_on: sbom.edges(c).iter().map(|p| p.as_str()).collect(),
        reference: c.purl.as_str(),
    }));
    let mut doc = Doc {
        bom_format: "CycloneDX",
        components: sbom.components.values().map(component).collect(),
        dependencies,
        metadata: Metadata {
            component: root_c,
            properties,
            timestamp: None,
            tools: Tools {
                components: [Tool {
                    name: "provenant",
                    kind: "application",
                    version: env!("CARGO_PKG_VERSION"),
                }],
            },
        },
        serial_number: None,
        spec_version: version.as_str(),
        version: 1,
    };
    // The serial number hashes everything but the timestamp (written as null), so equal content gives
    // equal serials.
    let mut hasher = provenant_digest::Hasher::new(provenant_digest::Algorithm::Sha256);
    // Writing into a hasher cannot fail, and these views serialise infallibly.
    let _ = serde_json::to_writer(&mut hasher, &doc);
    doc.serial_number = Some(format!("urn:uuid:{}", uuid_from(&hasher.finish().hex())));
    doc.metadata.timestamp = Some(rfc3339(sbom.created));
    f(&doc)
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

/// What [`write()`] cannot express of `sbom`: which layer each evidence file of a component found in several
/// layers came from (the layers are listed, not paired with files).
#[must_use]
pub fn write_losses(sbom: &Sbom) -> Vec<crate::read::Lost> {
    let examples: Vec<String> = sbom
        .components
        .values()
        .filter(|c| {
            let layers: BTreeSet<_> = c.evidence.iter().filter_map(|e| e.layer).collect();
            layers.len() > 1
        })
        .map(|c| c.purl.to_string())
        .collect();
    let mut losses = Vec::new();
    if !examples.is_empty() {
        losses.push(crate::read::Lost::new(
            "which layer each evidence file of a component found in several layers came from",
            examples,
        ));
    }
    let with_texts: Vec<String> = sbom
        .components
        .values()
        .filter(|c| !c.license_texts.is_empty())
        .map(|c| c.purl.to_string())
        .collect();
    if !with_texts.is_empty() {
        losses.push(crate::read::Lost::new(
            "the texts of LicenseRef licences (a CycloneDX licence expression names them without text)",
            with_texts,
        ));
    }
    losses
}
