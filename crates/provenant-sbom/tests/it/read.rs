//! Reading documents back into the model: our own documents come back exactly (and re-render byte for
//! byte), other tools' documents keep their components, hashes, licences, suppliers, evidence and graph,
//! and whatever does not fit is reported with its JSON path.

use std::collections::BTreeSet;

use provenant_digest::Algorithm;
use provenant_sbom::read::{ReadError, SourceFormat, read};
use provenant_sbom::{
    Component, Ecosystem, Evidence, Purl, Root, Sbom, Scope, cyclonedx, parse_rfc3339, rfc3339, spdx23,
};
use serde_json::{Value, json};

use crate::oracles::rich;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// `rich` with a component found in a layer, so that evidence layers are covered.
fn sample(incomplete: bool) -> Sbom {
    let mut sbom = rich(incomplete);
    let layer = Algorithm::Sha256.hash_bytes(b"layer one");
    let mut bash = Component::new(Ecosystem::Deb, "bash", "5.2.15-2+b2").unwrap();
    bash.evidence.insert(Evidence {
        file: "var/lib/dpkg/status".into(),
        method: "dpkg-status".into(),
        layer: Some(layer),
    });
    bash.supplier = Some("Matthias Klose".into());
    sbom.add(bash);
    sbom
}

#[test]
fn our_cyclonedx_comes_back_exactly_in_every_version() {
    for incomplete in [false, true] {
        let sbom = sample(incomplete);
        for v in [
            cyclonedx::SpecVersion::V1_5,
            cyclonedx::SpecVersion::V1_6,
            cyclonedx::SpecVersion::V1_7,
        ] {
            let text = cyclonedx::write(&sbom, v);
            let back = read(&parse(&text), 0).unwrap();
            assert_eq!(back.source, SourceFormat::CycloneDx(v.as_str().into()));
            assert!(back.lost.is_empty(), "{:?}", back.lost);
            assert_eq!(back.sbom, sbom, "CycloneDX {}", v.as_str());
            assert_eq!(cyclonedx::write(&back.sbom, v), text);
        }
    }
}

#[test]
fn our_spdx_comes_back_exactly() {
    for incomplete in [false, true] {
        let mut sbom = sample(incomplete);
        // SPDX reads parentheses in a supplier as an e-mail address: the writer drops them and says so.
        let lost = spdx23::write_losses(&sbom);
        assert!(lost.is_empty(), "{lost:?}");
        let text = spdx23::write(&sbom);
        let back = read(&parse(&text), 0).unwrap();
        assert_eq!(back.source, SourceFormat::Spdx("SPDX-2.3".into()));
        assert!(back.lost.is_empty(), "{:?}", back.lost);
        assert_eq!(back.sbom, sbom);
        assert_eq!(spdx23::write(&back.sbom), text);
        // And across formats: SPDX → model → CycloneDX is what CycloneDX from the model is.
        let cdx = cyclonedx::write(&back.sbom, cyclonedx::SpecVersion::V1_6);
        assert_eq!(cdx, cyclonedx::write(&sbom, cyclonedx::SpecVersion::V1_6));
        sbom.components
            .values_mut()
            .for_each(|c| c.supplier = Some("A (B)".into()));
        let lost = spdx23::write_losses(&sbom);
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].count, sbom.components.len());
    }
}

#[test]
fn an_image_root_keeps_its_digest_and_purl() {
    let digest = Algorithm::Sha256.hash_bytes(b"manifest");
    let root = Root::image("app", digest, Some("registry.example/app")).unwrap();
    let sbom = Sbom::new(root, 5);
    for text in [
        cyclonedx::write(&sbom, cyclonedx::SpecVersion::V1_6),
        spdx23::write(&sbom),
    ] {
        let back = read(&parse(&text), 0).unwrap();
        assert_eq!(back.sbom, sbom);
        assert!(back.lost.is_empty());
    }
}

/// A `CycloneDX` document as syft and cdxgen write them: no root digest, bom-refs that are not purls,
/// grouped names, licences by id and by name, CPEs, tool properties and a component without a purl.
fn foreign_cyclonedx() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "metadata": {
            "timestamp": "2024-05-06T07:08:09+02:00",
            "component": {"bom-ref": "r", "type": "file", "name": "dir"},
        },
        "components": [
            {
                "bom-ref": "a-1", "type": "library", "group": "@babel", "name": "core", "version": "7.0.0",
                "purl": "pkg:npm/%40babel/core@7.0.0",
                "hashes": [{"alg": "SHA-512", "content": "AB".repeat(64)}, {"alg": "MD5", "content": "00".repeat(16)}],
                "licenses": [{"license": {"id": "MIT"}}, {"license": {"name": "Apache-2.0"}}, {"license": {"name": "Some custom terms"}}],
                "supplier": {"name": "Babel"},
                "cpe": "cpe:2.3:a:babel:core:7.0.0:*:*:*:*:*:*:*",
                "properties": [
                    {"name": "syft:package:foundBy", "value": "javascript-lock-cataloger"},
                    {"name": "syft:location:0:path", "value": "/package-lock.json"},
                    {"name": "syft:location:0:layerID", "value": format!("sha256:{}", "1".repeat(64))},
                    {"name": "syft:cpe23", "value": "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"},
                ],
                "components": [
                    {"bom-ref": "nested", "name": "guava", "group": "com.google.guava", "version": "33.0",
                     "purl": "pkg:maven/com.google.guava/guava@33.0", "type": "library"}
                ],
            },
            {
                "bom-ref": "b", "type": "library", "name": "is-number", "version": "7.0.0",
                "purl": "pkg:npm/is-number@7.0.0",
                "evidence": {"identity": [{"field": "purl", "methods": [{"technique": "manifest-analysis", "value": "app/package-lock.json"}]}]},
            },
            {"bom-ref": "c", "type": "library", "name": "action", "version": "v4", "purl": "pkg:github/actions/checkout@v4"},
            {"bom-ref": "os", "type": "operating-system", "name": "debian", "version": "12"},
        ],
        "dependencies": [
            {"ref": "r", "dependsOn": ["a-1", "os"]},
            {"ref": "a-1", "dependsOn": ["b", "nested"]},
            {"ref": "os", "dependsOn": ["b"]},
        ],
        "vulnerabilities": [],
    })
}

fn lost_whats(r: &provenant_sbom::read::Read) -> BTreeSet<String> {
    r.lost.iter().map(|l| l.what.clone()).collect()
}

#[test]
fn foreign_cyclonedx_keeps_what_the_model_holds_and_reports_the_rest() {
    let r = read(&foreign_cyclonedx(), 99).unwrap();
    let s = &r.sbom;
    assert_eq!(s.created, parse_rfc3339("2024-05-06T05:08:09Z").unwrap());
    assert_eq!(s.root.name, "dir");
    assert_eq!(s.root.digest, None);
    let purls: BTreeSet<&str> = s.components.keys().map(Purl::as_str).collect();
    assert_eq!(
        purls,
        BTreeSet::from([
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:maven/com.google.guava/guava@33.0",
            "pkg:npm/is-number@7.0.0",
            "pkg:github/actions/checkout@v4",
        ])
    );
    let core = &s.components[&"pkg:npm/%40babel/core@7.0.0".parse::<Purl>().unwrap()];
    assert_eq!(core.name, "@babel/core");
    assert_eq!(core.hashes.len(), 1);
    assert_eq!(core.license.as_deref(), Some("MIT AND Apache-2.0"));
    assert_eq!(core.supplier.as_deref(), Some("Babel"));
    assert_eq!(core.scope, Scope::Direct);
    let ev = core.evidence.iter().next().unwrap();
    assert_eq!(
        (ev.file.as_str(), ev.method.as_str()),
        ("package-lock.json", "javascript-lock-cataloger")
    );
    assert_eq!(ev.layer.unwrap().hex(), "1".repeat(64));
    assert_eq!(core.depends_on.len(), 2);
    let guava = &s.components[&"pkg:maven/com.google.guava/guava@33.0".parse::<Purl>().unwrap()];
    assert_eq!(guava.name, "com.google.guava:guava");
    assert_eq!(guava.scope, Scope::Transitive);
    let number = &s.components[&"pkg:npm/is-number@7.0.0".parse::<Purl>().unwrap()];
    assert_eq!(
        number.evidence.iter().next().unwrap().file,
        "app/package-lock.json"
    );
    let checkout = &s.components[&"pkg:github/actions/checkout@v4".parse::<Purl>().unwrap()];
    assert_eq!(checkout.ecosystem, Ecosystem::Other);
    assert_eq!(checkout.scope, Scope::Unknown);
    let whats = lost_whats(&r);
    for want in [
        "component field `cpe`",
        "component property `syft:cpe23`",
        "component hash of algorithm \"MD5\" (the model keeps SHA-1/256/384/512)",
        "component licence that is not an SPDX expression (free text or LicenseRef)",
        "component without a purl (type operating-system)",
        "dependency on an element that was not carried over (no purl, or unknown ref)",
        "dependencies of an element that was not carried over (no purl, or unknown ref)",
        "root digest (the source states no SHA-256 or SHA-512 hash of the root)",
    ] {
        assert!(whats.contains(want), "{want:?} missing from {whats:#?}");
    }
    // An empty section states nothing, so nothing is lost with it.
    assert!(!whats.iter().any(|w| w.contains("vulnerabilities")));
    let licence = r
        .lost
        .iter()
        .find(|l| l.what.starts_with("component licence"))
        .unwrap();
    assert_eq!(licence.examples, ["$.components[0].licenses[2]"]);
    // What was read converts to documents our validators accept.
    for text in [
        cyclonedx::write(s, cyclonedx::SpecVersion::V1_7),
        spdx23::write(s),
    ] {
        let doc = parse(&text);
        let findings = if doc.get("spdxVersion").is_some() {
            provenant_sbom::spdx_validate::spdx(&doc)
        } else {
            provenant_sbom::validate::cyclonedx(&doc)
        };
        assert!(findings.is_empty(), "{findings:?}");
    }
}

#[test]
fn foreign_spdx_keeps_the_graph_and_reports_files_and_licence_refs() {
    let doc = json!({
        "spdxVersion": "SPDX-2.2",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "scan",
        "documentNamespace": "https://example.com/x",
        "creationInfo": {"created": "2023-11-14T22:13:20Z", "creators": ["Tool: syft-1.18.1"]},
        "packages": [
            {"SPDXID": "SPDXRef-root", "name": "img", "checksums": [{"algorithm": "SHA256", "checksumValue": "AA".repeat(32)}],
             "downloadLocation": "NOASSERTION"},
            {"SPDXID": "SPDXRef-a", "name": "serde", "versionInfo": "1.0.0", "licenseDeclared": "MIT OR Apache-2.0",
             "licenseConcluded": "MIT", "supplier": "Person: David Tolnay (dtolnay@gmail.com)",
             "sourceInfo": "acquired package info from rust cargo manifest: /Cargo.lock",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde@1.0.0"},
                              {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:serde:serde:1.0.0:*:*:*:*:*:*:*"}],
             "checksums": [{"algorithm": "SHA1", "checksumValue": "ab".repeat(20)}, {"algorithm": "MD5", "checksumValue": "ab".repeat(16)}]},
            {"SPDXID": "SPDXRef-b", "name": "serde_derive", "versionInfo": "1.0.0", "licenseDeclared": "LicenseRef-custom",
             "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde_derive@1.0.0"}]},
            {"SPDXID": "SPDXRef-nopurl", "name": "mystery"},
        ],
        "files": [{"SPDXID": "SPDXRef-f", "fileName": "/x"}],
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-root"},
            {"spdxElementId": "SPDXRef-root", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-a"},
            {"spdxElementId": "SPDXRef-b", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-a"},
            {"spdxElementId": "SPDXRef-root", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-b"},
            {"spdxElementId": "SPDXRef-a", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-f"},
        ],
    });
    let r = read(&doc, 0).unwrap();
    let s = &r.sbom;
    assert_eq!(s.created, 1_700_000_000);
    assert_eq!(s.root.name, "img");
    assert_eq!(s.root.digest.unwrap().hex(), "aa".repeat(32));
    assert_eq!(s.components.len(), 2);
    let serde = &s.components[&"pkg:cargo/serde@1.0.0".parse::<Purl>().unwrap()];
    assert_eq!(serde.scope, Scope::Direct);
    assert_eq!(serde.license.as_deref(), Some("MIT OR Apache-2.0"));
    assert_eq!(
        serde.supplier.as_deref(),
        Some("David Tolnay (dtolnay@gmail.com)")
    );
    assert_eq!(serde.hashes.len(), 1);
    assert_eq!(serde.evidence.iter().next().unwrap().file, "Cargo.lock");
    assert_eq!(
        serde.depends_on.iter().map(Purl::as_str).collect::<Vec<_>>(),
        ["pkg:cargo/serde_derive@1.0.0"]
    );
    let derive = &s.components[&"pkg:cargo/serde_derive@1.0.0".parse::<Purl>().unwrap()];
    assert_eq!(derive.scope, Scope::Transitive);
    assert_eq!(derive.license, None);
    let whats = lost_whats(&r);
    for want in [
        "files (the model describes packages, not files)",
        "declared licence that is not an SPDX expression here (LicenseRef or invalid)",
        "concluded licence differing from the declared one (the declared one is kept)",
        "external reference of type cpe23Type",
        "package checksum of algorithm \"MD5\" (the model keeps SHA-1/256/384/512)",
        "package without a purl",
        "relationship CONTAINS",
    ] {
        assert!(whats.contains(want), "{want:?} missing from {whats:#?}");
    }
    assert_eq!(
        r.lost
            .iter()
            .find(|l| l.what == "package without a purl")
            .unwrap()
            .examples,
        ["$.packages[3]"]
    );
}

#[test]
fn what_is_not_an_sbom_is_refused_with_the_reason() {
    assert_eq!(read(&json!({"a": 1}), 0).unwrap_err(), ReadError::UnknownFormat);
    let e = read(&json!({"bomFormat": "CycloneDX", "specVersion": "2.0"}), 0).unwrap_err();
    assert!(matches!(e, ReadError::UnsupportedVersion { .. }), "{e}");
    let e = read(&json!({"spdxVersion": "SPDX-3.0"}), 0).unwrap_err();
    assert!(e.to_string().contains("SPDX-3.0"), "{e}");
    let e = read(
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {"x": 1}}),
        0,
    )
    .unwrap_err();
    assert_eq!(
        e,
        ReadError::WrongType {
            path: "$.components".into(),
            expected: "an array"
        }
    );
    let e = read(
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"purl": "pkg:npm/a@1", "hashes": 3}]}),
        0,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "$.components[0].hashes: expected an array");
}

#[test]
fn deep_nesting_is_bounded_and_reported() {
    let mut c = json!({"name": "leaf", "purl": "pkg:npm/leaf@1"});
    for i in 0..40 {
        c = json!({"name": format!("n{i}"), "purl": format!("pkg:npm/n{i}@1"), "components": [c]});
    }
    let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [c]});
    let r = read(&doc, 7).unwrap();
    assert_eq!(r.sbom.components.len(), 16);
    assert_eq!(r.sbom.created, 7);
    assert!(lost_whats(&r).contains("components nested deeper than 16 levels"));
}

#[test]
fn rfc3339_times_parse_with_offsets_and_fractions() {
    for (text, want) in [
        ("1970-01-01T00:00:00Z", Some(0)),
        ("2023-11-14T22:13:20Z", Some(1_700_000_000)),
        ("2023-11-14T22:13:20.123456Z", Some(1_700_000_000)),
        ("2023-11-15T00:13:20+02:00", Some(1_700_000_000)),
        ("2023-11-14T20:13:20-02:00", Some(1_700_000_000)),
        ("2000-02-29T12:00:00Z", Some(951_825_600)),
        ("1969-12-31T23:59:59Z", None),
        ("2023-13-01T00:00:00Z", None),
        ("2023-11-14 22:13", None),
        ("2023-11-14T22:13:20", None),
        ("2023-11-14T22:13:20.Z", None),
    ] {
        assert_eq!(parse_rfc3339(text), want, "{text}");
        if let Some(w) = want {
            assert_eq!(parse_rfc3339(&rfc3339(w)), Some(w));
        }
    }
}

/// Every JSON pointer of a document, depth first.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                pointers(
                    x,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Any field of any document replaced by a value of any other JSON type: an error or a reading, never a
/// panic, and whatever is read still renders.
#[test]
fn every_field_of_the_wrong_type_is_survived() {
    let sbom = sample(true);
    let docs: Vec<Value> = vec![
        parse(&cyclonedx::write(&sbom, cyclonedx::SpecVersion::V1_6)),
        parse(&spdx23::write(&sbom)),
        foreign_cyclonedx(),
    ];
    let replacements = [
        Value::Null,
        json!(1),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
        json!([{"a": 1}]),
    ];
    let mut read_ok = 0;
    for doc in docs {
        let mut all = Vec::new();
        pointers(&doc, "", &mut all);
        for p in all.iter().skip(1) {
            for r in &replacements {
                let mut d = doc.clone();
                *d.pointer_mut(p).unwrap() = r.clone();
                if let Ok(back) = read(&d, 0) {
                    read_ok += 1;
                    let _ = cyclonedx::write(&back.sbom, cyclonedx::SpecVersion::V1_6);
                    let _ = spdx23::write(&back.sbom);
                }
            }
        }
    }
    assert!(read_ok > 100);
}
