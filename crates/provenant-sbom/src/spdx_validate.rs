//! Structural and semantic validation of SPDX 2.3 JSON documents, with the same [`Finding`]s as the
//! CycloneDX validator.

use std::collections::BTreeSet;
use std::str::FromStr as _;

use serde_json::{Map, Value};

use crate::purl::Purl;
use crate::validate::{Finding, Kind};

fn push(out: &mut Vec<Finding>, kind: Kind, path: &str, message: impl Into<String>) {
    out.push(Finding {
        path: path.to_owned(),
        message: message.into(),
        kind,
    });
}

fn is_spdx_id(s: &str) -> bool {
    s.strip_prefix("SPDXRef-").is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

fn required_str<'v>(
    out: &mut Vec<Finding>,
    o: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Option<&'v str> {
    let v = o.get(key).and_then(Value::as_str);
    if v.is_none() {
        push(
            out,
            Kind::Schema,
            &format!("{path}.{key}"),
            format!("required string {key} is missing"),
        );
    }
    v
}

fn license_field(out: &mut Vec<Finding>, o: &Map<String, Value>, key: &str, path: &str) {
    let Some(l) = o.get(key).and_then(Value::as_str) else {
        return;
    };
    if l == "NOASSERTION" || l == "NONE" {
        return;
    }
    if let Err(e) = spdx::Expression::parse_mode(l, spdx::ParseMode::LAX) {
        push(
            out,
            Kind::Semantic,
            &format!("{path}.{key}"),
            format!("not an SPDX licence expression: {}", e.reason),
        );
    }
}

fn checksums(out: &mut Vec<Finding>, o: &Map<String, Value>, path: &str) {
    let Some(list) = o.get("checksums").and_then(Value::as_array) else {
        return;
    };
    for (i, c) in list.iter().enumerate() {
        let p = format!("{path}.checksums[{i}]");
        let alg = c.get("algorithm").and_then(Value::as_str).unwrap_or("");
        let value = c.get("checksumValue").and_then(Value::as_str).unwrap_or("");
        let len = match alg {
            "SHA1" => 40,
            "SHA224" | "SHA3-224" => 56,
            "SHA256" | "SHA3-256" | "BLAKE2b-256" => 64,
            "SHA384" | "SHA3-384" | "BLAKE2b-384" => 96,
            "SHA512" | "SHA3-512" | "BLAKE2b-512" => 128,
            "MD5" | "MD4" | "MD2" => 32,
            "MD6" | "BLAKE3" | "ADLER32" => 0,
            _ => {
                push(
                    out,
                    Kind::Schema,
                    &format!("{p}.algorithm"),
                    format!("unknown checksum algorithm {alg:?}"),
                );
                continue;
            }
        };
        let hex = value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex || (len > 0 && value.len() != len) {
            push(
                out,
                Kind::Schema,
                &format!("{p}.checksumValue"),
                format!("not {len} lowercase hex characters for {alg}"),
            );
        }
    }
}

/// Validates an SPDX 2.3 JSON document: required document and package fields, identifiers, PURL syntax,
/// licence expressions, checksum formats and dangling relationship references. Findings are sorted.
#[must_use]
pub fn spdx(doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(o) = doc.as_object() else {
        push(&mut out, Kind::Schema, "$", "an SPDX document is a JSON object");
        return out;
    };
    header(&mut out, o);
    let ids = elements(&mut out, o);
    relationships(&mut out, o, &ids);
    out.sort();
    out
}

fn header(out: &mut Vec<Finding>, o: &Map<String, Value>) {
    if o.get("spdxVersion").and_then(Value::as_str) != Some("SPDX-2.3") {
        push(
            out,
            Kind::Schema,
            "$.spdxVersion",
            "spdxVersion must be \"SPDX-2.3\"",
        );
    }
    if o.get("dataLicense").and_then(Value::as_str) != Some("CC0-1.0") {
        push(
            out,
            Kind::Schema,
            "$.dataLicense",
            "dataLicense must be \"CC0-1.0\"",
        );
    }
    if o.get("SPDXID").and_then(Value::as_str) != Some("SPDXRef-DOCUMENT") {
        push(
            out,
            Kind::Schema,
            "$.SPDXID",
            "the document's SPDXID must be \"SPDXRef-DOCUMENT\"",
        );
    }
    required_str(out, o, "name", "$");
    if let Some(ns) = required_str(out, o, "documentNamespace", "$")
        && (!ns.contains("://") || ns.contains('#'))
    {
        {
            push(
                out,
                Kind::Semantic,
                "$.documentNamespace",
                "must be an absolute URI without a fragment",
            );
        }
    }
    match o.get("creationInfo").and_then(Value::as_object) {
        None => push(
            out,
            Kind::Schema,
            "$.creationInfo",
            "required object creationInfo is missing",
        ),
        Some(ci) => {
            if let Some(t) = required_str(out, ci, "created", "$.creationInfo") {
                let ok = t.len() == 20 && t.ends_with('Z') && t.as_bytes().get(10) == Some(&b'T');
                if !ok {
                    push(
                        out,
                        Kind::Semantic,
                        "$.creationInfo.created",
                        "must be YYYY-MM-DDThh:mm:ssZ",
                    );
                }
            }
            if ci
                .get("creators")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                push(
                    out,
                    Kind::Schema,
                    "$.creationInfo.creators",
                    "at least one creator is required",
                );
            }
        }
    }
}

fn elements(out: &mut Vec<Finding>, o: &Map<String, Value>) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = BTreeSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    for kind in ["packages", "files", "snippets"] {
        let Some(list) = o.get(kind).and_then(Value::as_array) else {
            continue;
        };
        for (i, p) in list.iter().enumerate() {
            let path = format!("$.{kind}[{i}]");
            let Some(p) = p.as_object() else {
                push(out, Kind::Schema, &path, "must be an object");
                continue;
            };
            match required_str(out, p, "SPDXID", &path) {
                Some(id) if !is_spdx_id(id) => {
                    push(
                        out,
                        Kind::Schema,
                        &format!("{path}.SPDXID"),
                        "must match SPDXRef-[A-Za-z0-9.-]+",
                    );
                }
                Some(id) if !ids.insert(id.to_owned()) => {
                    push(
                        out,
                        Kind::Semantic,
                        &format!("{path}.SPDXID"),
                        format!("duplicate SPDXID {id}"),
                    );
                }
                _ => {}
            }
            if kind == "packages" {
                required_str(out, p, "name", &path);
                required_str(out, p, "downloadLocation", &path);
                license_field(out, p, "licenseConcluded", &path);
                license_field(out, p, "licenseDeclared", &path);
                for (j, r) in p
                    .get("externalRefs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if r.get("referenceType").and_then(Value::as_str) == Some("purl") {
                        let loc = r.get("referenceLocator").and_then(Value::as_str).unwrap_or("");
                        if let Err(e) = Purl::from_str(loc) {
                            push(
                                out,
                                Kind::Semantic,
                                &format!("{path}.externalRefs[{j}].referenceLocator"),
                                e.to_string(),
                            );
                        }
                    }
                }
            } else if kind == "files" {
                required_str(out, p, "fileName", &path);
            }
            checksums(out, p, &path);
        }
    }
    ids
}

fn relationships(out: &mut Vec<Finding>, o: &Map<String, Value>, ids: &BTreeSet<String>) {
    for (i, r) in o
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for key in ["spdxElementId", "relatedSpdxElement"] {
            let v = r.get(key).and_then(Value::as_str).unwrap_or("");
            let external = v.starts_with("DocumentRef-") || v == "NONE" || v == "NOASSERTION";
            if !external && !ids.contains(v) {
                push(
                    out,
                    Kind::Semantic,
                    &format!("$.relationships[{i}].{key}"),
                    format!("dangling reference {v:?}"),
                );
            }
        }
        if r.get("relationshipType").and_then(Value::as_str).is_none() {
            push(
                out,
                Kind::Schema,
                &format!("$.relationships[{i}].relationshipType"),
                "required string is missing",
            );
        }
    }
}
