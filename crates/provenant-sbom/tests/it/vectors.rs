//! Our `CycloneDX` validator against the official JSON schemas, on the specification's own valid and
//! invalid test BOMs (1.5, 1.6, 1.7). Where the two disagree, the case must be in `KNOWN`, each with the
//! reason (also listed in docs/sbom.md); any new disagreement, or a listed one that went away, fails.

use std::collections::BTreeMap;
use std::path::Path;

use provenant_sbom::validate::{self, Kind};
use serde_json::Value;

/// `(version/file, why we differ)`.
const KNOWN: &[(&str, &str)] = &[];

struct Schemas(BTreeMap<String, Value>);

impl jsonschema::Retrieve for Schemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or_default().to_owned();
        self.0
            .get(&name)
            .cloned()
            .ok_or_else(|| format!("no schema {name}").into())
    }
}

fn load(dir: &Path) -> BTreeMap<String, Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect()
}

#[test]
fn validator_agrees_with_official_schemas() {
    let root = provenant_testkit::vectors_dir().join("cyclonedx-specification");
    let schemas = load(&root.join("schema"));
    let mut disagreements = Vec::new();
    let mut total = 0;
    for version in ["1.5", "1.6", "1.7"] {
        let schema = schemas[&format!("bom-{version}.schema.json")].clone();
        let validator = jsonschema::options()
            .with_retriever(Schemas(schemas.clone()))
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let dir = root.join("tools/src/test/resources").join(version);
        for (name, doc) in load(&dir) {
            total += 1;
            let schema_valid = validator.is_valid(&doc);
            let findings: Vec<_> = validate::cyclonedx(&doc)
                .into_iter()
                .filter(|f| f.kind == Kind::Schema)
                .collect();
            let ours_valid = findings.is_empty();
            if schema_valid != ours_valid {
                disagreements.push(format!("{version}/{name}"));
                eprintln!(
                    "{version}/{name}: schema valid={schema_valid}, ours valid={ours_valid} {findings:?}"
                );
            }
        }
    }
    assert!(total >= 200, "only {total} test BOMs found");
    let known: Vec<String> = KNOWN.iter().map(|(n, _)| (*n).to_owned()).collect();
    eprintln!("{} test BOMs, {} disagreements", total, disagreements.len());
    assert_eq!(disagreements, known);
}

#[test]
fn findings_name_the_json_path() {
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [
            { "type": "library", "name": "a", "bom-ref": "a", "purl": "not a purl",
              "hashes": [{ "alg": "SHA-256", "content": "00" }],
              "licenses": [{ "expression": "MIT OR" }] }
        ],
        "dependencies": [{ "ref": "a", "dependsOn": ["ghost"] }]
    });
    let paths: Vec<String> = validate::cyclonedx(&doc).into_iter().map(|f| f.path).collect();
    assert_eq!(
        paths,
        [
            "$.components[0].hashes[0].content",
            "$.components[0].licenses[0].expression",
            "$.components[0].purl",
            "$.dependencies[0].dependsOn[0]",
        ]
    );
}

#[test]
fn our_documents_have_no_findings() {
    use provenant_digest::Algorithm;
    use provenant_sbom::{Component, Ecosystem, Root, Sbom, cyclonedx};
    let mut sbom = Sbom::new(
        Root::new("app", Algorithm::Sha256.hash_bytes(b"app")),
        1_700_000_000,
    );
    sbom.add(Component::new(Ecosystem::Cargo, "serde", "1.0.200").unwrap());
    for v in [
        cyclonedx::SpecVersion::V1_5,
        cyclonedx::SpecVersion::V1_6,
        cyclonedx::SpecVersion::V1_7,
    ] {
        let doc: Value = serde_json::from_str(&cyclonedx::write(&sbom, v)).unwrap();
        assert_eq!(validate::cyclonedx(&doc), Vec::new(), "{v:?}");
    }
}
