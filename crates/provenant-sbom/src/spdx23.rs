//! SPDX 2.3 JSON writer.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Component, Sbom};
use crate::purl::Purl;
use crate::{content_hash, rfc3339};

/// The SPDX identifier of the root package.
pub const ROOT_ID: &str = "SPDXRef-Root";

/// The SPDX identifier of a component: its PURL with characters outside `[A-Za-z0-9.-]` replaced, plus
/// eight hex characters of the PURL's SHA-256 so that two PURLs never collide.
#[must_use]
pub fn spdx_id(purl: &Purl) -> String {
    let body = id_safe(purl.as_str().trim_start_matches("pkg:"));
    let h = content_hash(purl.as_str().as_bytes());
    format!("SPDXRef-Package-{body}-{}", h.get(..8).unwrap_or(""))
}

/// `text` with every character outside `[A-Za-z0-9.-]` replaced by `-` (for identifiers and the
/// document namespace).
fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

// The document is written through these borrowed, typed views in one pass. Their fields are declared in
// byte order of their names, the order a JSON object map would give.

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    #[serde(rename = "creationInfo")]
    creation_info: CreationInfo,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    #[serde(rename = "documentNamespace", skip_serializing_if = "Option::is_none")]
    document_namespace: Option<String>,
    #[serde(rename = "hasExtractedLicensingInfos", skip_serializing_if = "Vec::is_empty")]
    extracted: Vec<Extracted<'a>>,
    name: &'a str,
    packages: Vec<Package<'a>>,
    relationships: Vec<Relationship<'a>>,
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
}

/// The text of a `LicenseRef-` a package's licence uses.
#[derive(Serialize)]
struct Extracted<'a> {
    #[serde(rename = "extractedText")]
    text: &'a str,
    #[serde(rename = "licenseId")]
    license_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct CreationInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// `None` only in the form that is hashed for the namespace (written as `null`).
    created: Option<String>,
    creators: [String; 1],
}

#[derive(Serialize)]
struct Package<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: Cow<'a, str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    #[serde(rename = "copyrightText")]
    copyright_text: &'static str,
    #[serde(rename = "downloadLocation")]
    download_location: &'static str,
    #[serde(rename = "externalRefs", skip_serializing_if = "Option::is_none")]
    external_refs: Option<[ExternalRef<'a>; 1]>,
    #[serde(rename = "filesAnalyzed")]
    files_analyzed: bool,
    #[serde(rename = "licenseConcluded")]
    license_concluded: &'static str,
    #[serde(rename = "licenseDeclared")]
    license_declared: &'a str,
    name: &'a str,
    #[serde(rename = "primaryPackagePurpose")]
    primary_package_purpose: &'static str,
    #[serde(rename = "sourceInfo", skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<String>,
    #[serde(rename = "versionInfo", skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
}

#[derive(Serialize)]
struct Checksum<'a> {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    checksum_value: &'a str,
}

#[derive(Serialize)]
struct ExternalRef<'a> {
    #[serde(rename = "referenceCategory")]
    category: &'static str,
    #[serde(rename = "referenceLocator")]
    locator: &'a str,
    #[serde(rename = "referenceType")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Relationship<'a> {
    #[serde(rename = "relatedSpdxElement")]
    related: &'a str,
    #[serde(rename = "relationshipType")]
    kind: &'static str,
    #[serde(rename = "spdxElementId")]
    element: &'a str,
}

fn purl_ref(purl: &Purl) -> [ExternalRef<'_>; 1] {
    [ExternalRef {
        category: "PACKAGE-MANAGER",
        locator: purl.as_str(),
        kind: "purl",
    }]
}

fn package<'a>(c: &'a Component, id: &'a str) -> Package<'a> {
    // The scope always, and where the component was found when known.
    let source_info = if c.evidence.is_empty() {
        format!("{} dependency", c.scope.as_str())
    } else {
        let found: Vec<String> = c
            .evidence
            .iter()
            .map(|e| match e.layer {
                Some(l) => format!("{} ({}, layer {l})", e.file, e.method),
                None => format!("{} ({})", e.file, e.method),
            })
            .collect();
        format!("{} dependency found in {}", c.scope.as_str(), found.join(", "))
    };
    Package {
        spdx_id: Cow::Borrowed(id),
        checksums: c
            .hashes
            .iter()
            .map(|h| Checksum {
                algorithm: h.alg().spdx(),
                checksum_value: h.hex(),
            })
            .collect(),
        copyright_text: "NOASSERTION",
        download_location: "NOASSERTION",
        external_refs: Some(purl_ref(&c.purl)),
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: c.license.as_deref().unwrap_or("NOASSERTION"),
        name: &c.name,
        primary_package_purpose: "LIBRARY",
        source_info: Some(source_info),
        supplier: Some(c.supplier.as_ref().map_or_else(
            || "NOASSERTION".to_owned(),
            |s| format!("Organization: {}", s.replace(['(', ')'], "")),
        )),
        version_info: (!c.version.is_empty()).then_some(c.version.as_str()),
    }
}

/// The root package: the target itself, with its digest (`hex` is its hex form).
fn root_package<'a>(root: &'a crate::Root, hex: Option<&'a str>) -> Package<'a> {
    Package {
        spdx_id: Cow::Borrowed(ROOT_ID),
        checksums: root
            .digest
            .as_ref()
            .zip(hex)
            .map(|(d, hex)| Checksum {
                algorithm: match d.algorithm() {
                    provenant_digest::Algorithm::Sha512 => "SHA512",
                    _ => "SHA256",
                },
                checksum_value: hex,
            })
            .into_iter()
            .collect(),
        copyright_text: "NOASSERTION",
        download_location: "NOASSERTION",
        external_refs: root.image_purl.as_ref().or(root.purl.as_ref()).map(purl_ref),
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION",
        name: &root.name,
        primary_package_purpose: if root.image_purl.is_some() {
            "CONTAINER"
        } else {
            "APPLICATION"
        },
        source_info: None,
        supplier: None,
        version_info: root.version.as_deref(),
    }
}

/// Renders `sbom` as SPDX 2.3 JSON (pretty, with a final newline). The document namespace is derived from
/// the SHA-256 of the document without it and without the creation time.
#[must_use]
pub fn write(sbom: &Sbom) -> String {
    with_document(sbom, |doc| {
        let mut out = Vec::with_capacity(1024 + sbom.components.len() * 1024);
        let _ = serde_json::to_writer_pretty(&mut out, doc);
        out.push(b'\n');
        String::from_utf8(out).unwrap_or_default()
    })
}

/// The document [`write()`] renders, as a JSON value (for embedding, as an attestation's predicate): equal
/// to what parsing [`write()`]'s text gives.
#[must_use]
pub fn to_value(sbom: &Sbom) -> serde_json::Value {
    // These views serialise infallibly (string keys only).
    with_document(sbom, |doc| serde_json::to_value(doc).unwrap_or_default())
}

/// Builds the document, namespace and creation time included, and hands it to `f`.
fn with_document<R>(sbom: &Sbom, f: impl FnOnce(&Doc<'_>) -> R) -> R {
    let root = &sbom.root;
    let root_hex = root.digest.as_ref().map(provenant_digest::Digest::hex);
    let ids: BTreeMap<&Purl, String> = sbom.components.keys().map(|p| (p, spdx_id(p))).collect();
    let id = |p: &Purl| ids.get(p).map_or("", String::as_str);
    let mut packages = vec![root_package(root, root_hex.as_deref())];
    packages.extend(sbom.components.values().map(|c| package(c, id(&c.purl))));
    let mut relationships = vec![Relationship {
        related: ROOT_ID,
        kind: "DESCRIBES",
        element: "SPDXRef-DOCUMENT",
    }];
    for p in sbom.direct() {
        relationships.push(Relationship {
            related: id(p),
            kind: "DEPENDS_ON",
            element: ROOT_ID,
        });
    }
    // Components some other component depends on.
    let reached: BTreeSet<&Purl> = sbom
        .components
        .values()
        .flat_map(|c| c.depends_on.iter().filter(move |p| **p != c.purl))
        .collect();
    for c in sbom.components.values() {
        let edges = sbom.edges(c);
        for p in &edges {
            relationships.push(Relationship {
                related: id(p),
                kind: "DEPENDS_ON",
                element: id(&c.purl),
            });
        }
        if c.scope != crate::Scope::Direct && edges.is_empty() && !reached.contains(&c.purl) {
            // Not reached through the graph: still say that the root contains it.
            relationships.push(Relationship {
                related: id(&c.purl),
                kind: "CONTAINS",
                element: ROOT_ID,
            });
        }
    }
    let mut doc = Doc {
        spdx_id: "SPDXRef-DOCUMENT",
        creation_info: CreationInfo {
            comment: sbom
                .is_incomplete()
                .then(|| format!("INCOMPLETE: {}", sbom.warnings.join("; "))),
            created: None,
            creators: [format!("Tool: provenant-{}", env!("CARGO_PKG_VERSION"))],
        },
        data_license: "CC0-1.0",
        document_namespace: None,
        extracted: extracted(sbom),
        name: &root.name,
        packages,
        relationships,
        spdx_version: "SPDX-2.3",
    };
    let mut hasher = provenant_digest::Hasher::new(provenant_digest::Algorithm::Sha256);
    // Writing into a hasher cannot fail, and these views serialise infallibly.
    let _ = serde_json::to_writer(&mut hasher, &doc);
    let h = hasher.finish().hex();
    let safe = id_safe(&root.name);
    doc.document_namespace = Some(format!("https://provenant.dev/spdx/{safe}-{h}"));
    doc.creation_info.created = Some(rfc3339(sbom.created));
    f(&doc)
}

/// Every `LicenseRef-` the packages' licences use, with its text, sorted by id (an id's text is the
/// same wherever it is used: the catalogers derive ids from their texts).
fn extracted(sbom: &Sbom) -> Vec<Extracted<'_>> {
    let mut texts: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for c in sbom.components.values() {
        for (id, text) in &c.license_texts {
            texts.entry(id.as_str()).or_insert(text.as_str());
        }
    }
    texts
        .into_iter()
        .map(|(id, text)| Extracted {
            text,
            license_id: id,
            name: id.strip_prefix("LicenseRef-").unwrap_or(id),
        })
        .collect()
}

/// What [`write()`] cannot express of `sbom`: parentheses in a supplier's name (SPDX reads them as an e-mail
/// address, so they are removed). Empty when the SPDX document says everything the model does.
#[must_use]
pub fn write_losses(sbom: &Sbom) -> Vec<crate::read::Lost> {
    let examples: Vec<String> = sbom
        .components
        .values()
        .filter(|c| c.supplier.as_ref().is_some_and(|s| s.contains(['(', ')'])))
        .map(|c| c.purl.to_string())
        .collect();
    if examples.is_empty() {
        return Vec::new();
    }
    vec![crate::read::Lost::new(
        "parentheses in supplier names (SPDX reads them as an e-mail address; removed)",
        examples,
    )]
}
