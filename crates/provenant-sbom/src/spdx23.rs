//! SPDX 2.3 JSON writer.

use serde_json::{Value, json};

use crate::model::{Component, Sbom};
use crate::purl::Purl;
use crate::{content_hash, rfc3339};

/// The SPDX identifier of the root package.
pub const ROOT_ID: &str = "SPDXRef-Root";

/// The SPDX identifier of a component: its PURL with characters outside `[A-Za-z0-9.-]` replaced, plus
/// eight hex characters of the PURL's SHA-256 so that two PURLs never collide.
#[must_use]
pub fn spdx_id(purl: &Purl) -> String {
    let body: String = purl
        .as_str()
        .trim_start_matches("pkg:")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let h = content_hash(purl.as_str().as_bytes());
    format!("SPDXRef-Package-{body}-{}", h.get(..8).unwrap_or(""))
}

fn package(c: &Component) -> Value {
    let mut v = json!({
        "SPDXID": spdx_id(&c.purl),
        "name": c.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": c.license.as_deref().unwrap_or("NOASSERTION"),
        "copyrightText": "NOASSERTION",
        "supplier": c.supplier.as_ref().map_or_else(|| "NOASSERTION".to_owned(), |s| format!("Organization: {}", s.replace(['(', ')'], ""))),
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": c.purl.as_str(),
        }],
    });
    if !c.version.is_empty() {
        set(&mut v, "versionInfo", json!(c.version));
    }
    if !c.hashes.is_empty() {
        set(
            &mut v,
            "checksums",
            c.hashes
                .iter()
                .map(|h| json!({"algorithm": h.alg().spdx(), "checksumValue": h.hex()}))
                .collect(),
        );
    }
    // The scope always, and where the component was found when known.
    let info = if c.evidence.is_empty() {
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
    set(&mut v, "sourceInfo", json!(info));
    v
}

/// Renders `sbom` as SPDX 2.3 JSON (pretty, with a final newline). The document namespace is derived from
/// the SHA-256 of the document without it and without the creation time.
#[must_use]
#[allow(clippy::too_many_lines)] // the document's sections, in order
pub fn write(sbom: &Sbom) -> String {
    let root = &sbom.root;
    let mut root_pkg = json!({
        "SPDXID": ROOT_ID,
        "name": root.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": if root.image_purl.is_some() { "CONTAINER" } else { "APPLICATION" },
    });
    if let Some(d) = &root.digest {
        set(
            &mut root_pkg,
            "checksums",
            json!([{
                "algorithm": match d.algorithm() {
                    provenant_digest::Algorithm::Sha512 => "SHA512",
                    _ => "SHA256",
                },
                "checksumValue": d.hex(),
            }]),
        );
    }
    if let Some(v) = &root.version {
        set(&mut root_pkg, "versionInfo", json!(v));
    }
    if let Some(p) = root.image_purl.as_ref().or(root.purl.as_ref()) {
        set(
            &mut root_pkg,
            "externalRefs",
            json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.as_str()}]),
        );
    }
    let mut packages = vec![root_pkg];
    packages.extend(sbom.components.values().map(package));
    let mut rels = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ROOT_ID,
    })];
    for p in sbom.direct() {
        rels.push(json!({"spdxElementId": ROOT_ID, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": spdx_id(p)}));
    }
    let reached = reached(sbom);
    for c in sbom.components.values() {
        for p in sbom.edges(c) {
            rels.push(json!({
                "spdxElementId": spdx_id(&c.purl),
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": spdx_id(p),
            }));
        }
        if c.scope != crate::Scope::Direct && sbom.edges(c).is_empty() && !reached.contains(&c.purl) {
            // Not reached through the graph: still say that the root contains it.
            rels.push(json!({"spdxElementId": ROOT_ID, "relationshipType": "CONTAINS", "relatedSpdxElement": spdx_id(&c.purl)}));
        }
    }
    let mut creation = json!({
        "created": rfc3339(sbom.created),
        "creators": [format!("Tool: provenant-{}", env!("CARGO_PKG_VERSION"))],
    });
    if sbom.is_incomplete() {
        set(
            &mut creation,
            "comment",
            json!(format!("INCOMPLETE: {}", sbom.warnings.join("; "))),
        );
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": root.name,
        "creationInfo": creation,
        "packages": packages,
        "relationships": rels,
    });
    let mut for_hash = doc.clone();
    set(
        for_hash.get_mut("creationInfo").unwrap_or(&mut Value::Null),
        "created",
        Value::Null,
    );
    let h = content_hash(for_hash.to_string().as_bytes());
    let safe: String = root
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    set(
        &mut doc,
        "documentNamespace",
        json!(format!("https://provenant.dev/spdx/{safe}-{h}")),
    );
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// The components some other component depends on.
fn reached(sbom: &Sbom) -> std::collections::BTreeSet<&Purl> {
    sbom.components
        .values()
        .flat_map(|c| c.depends_on.iter().filter(move |p| **p != c.purl))
        .collect()
}

/// Sets `key` in a JSON object (no-op on anything else).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_owned(), value);
    }
}

/// What [`write`] cannot express of `sbom`: parentheses in a supplier's name (SPDX reads them as an e-mail
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
