//! Every document the writers emit is accepted by the independent validators: cyclonedx-python-lib in
//! strict mode and the official `CycloneDX` JSON schema of its version, pyspdxtools and the SPDX 2.3 JSON
//! schema. The sample covers every field the writers can fill, and an incomplete document.

use std::path::Path;
use std::process::Command;

use provenant_digest::Algorithm;
use provenant_sbom::{
    Component, Ecosystem, Evidence, HashAlg, HashValue, Root, Sbom, Scope, cyclonedx, parse_license,
    purl_for, spdx23,
};
use serde_json::Value;

pub(crate) fn rich(incomplete: bool) -> Sbom {
    let mut root = Root::new("sample app", Algorithm::Sha256.hash_bytes(b"tree"));
    root.version = Some("1.0.0".into());
    let mut sbom = Sbom::new(root, 1_700_000_000);
    let mut serde = Component::new(Ecosystem::Cargo, "serde", "1.0.200").unwrap();
    serde.scope = Scope::Direct;
    serde.license = Some(parse_license("MIT OR Apache-2.0").unwrap());
    serde
        .hashes
        .insert(HashValue::new(HashAlg::Sha256, &"a1".repeat(32)).unwrap());
    serde.evidence.insert(Evidence {
        file: "Cargo.lock".into(),
        method: "cargo-lock".into(),
        layer: None,
    });
    let derive = Component::new(Ecosystem::Cargo, "serde_derive", "1.0.200").unwrap();
    serde.depends_on.insert(derive.purl.clone());
    let mut types = Component::new(Ecosystem::Npm, "@types/node", "20.1.0").unwrap();
    types
        .hashes
        .insert(HashValue::new(HashAlg::Sha512, &"0f".repeat(64)).unwrap());
    types.license = Some(parse_license("MIT").unwrap());
    types.scope = Scope::Transitive;
    let mut requests = Component::new(Ecosystem::Pypi, "Requests", "2.32.3").unwrap();
    requests.supplier = Some("Kenneth Reitz <me@kennethreitz.org>".into());
    requests.license = Some(parse_license("Apache-2.0").unwrap());
    let libc = Component::with_purl(
        Ecosystem::Deb,
        "libc6",
        "2.36-9+deb12u4",
        purl_for(Ecosystem::Deb, "libc6", "2.36-9+deb12u4", &[("arch", "amd64")]).unwrap(),
    );
    let mut md5 = Component::new(Ecosystem::Deb, "zlib1g", "1:1.2.13").unwrap();
    md5.hashes
        .insert(HashValue::new(HashAlg::Sha384, &"ab".repeat(48)).unwrap());
    md5.hashes
        .insert(HashValue::new(HashAlg::Sha1, &"cd".repeat(20)).unwrap());
    md5.license = Some(parse_license("Zlib").unwrap());
    for c in [serde, derive, types, requests, libc, md5] {
        sbom.add(c);
    }
    if incomplete {
        sbom.warnings
            .push("package-lock.json:3: expected a JSON object".into());
    }
    sbom
}

fn schema_check(schema_file: &Path, doc: &Value) {
    struct Dir(std::path::PathBuf);
    impl jsonschema::Retrieve for Dir {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri.as_str().rsplit('/').next().unwrap_or_default();
            Ok(serde_json::from_slice(&std::fs::read(self.0.join(name))?)?)
        }
    }
    let dir = schema_file.parent().unwrap().to_owned();
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_file).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_retriever(Dir(dir))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", schema_file.display());
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn cyclonedx_passes_python_lib_strict_and_official_schemas() {
    let python = provenant_testkit::require_venv_tool("sbom", "python");
    let script = provenant_testkit::repo_root().join("tests/harness/validate_cdx.py");
    let schemas = provenant_testkit::vectors_dir().join("cyclonedx-specification/schema");
    let dir = tempfile::tempdir().unwrap();
    for incomplete in [false, true] {
        for v in [
            cyclonedx::SpecVersion::V1_5,
            cyclonedx::SpecVersion::V1_6,
            cyclonedx::SpecVersion::V1_7,
        ] {
            let text = cyclonedx::write(&rich(incomplete), v);
            let path = dir.path().join(format!("bom-{}-{incomplete}.json", v.as_str()));
            std::fs::write(&path, &text).unwrap();
            let out = run(Command::new(&python).arg(&script).arg(&path));
            assert!(out.contains(&format!("VALID CycloneDX {}", v.as_str())), "{out}");
            let doc: Value = serde_json::from_str(&text).unwrap();
            schema_check(&schemas.join(format!("bom-{}.schema.json", v.as_str())), &doc);
            assert_eq!(provenant_sbom::validate::cyclonedx(&doc), Vec::new());
        }
    }
}

#[test]
fn spdx_passes_pyspdxtools_and_the_json_schema() {
    let pyspdxtools = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let schema = provenant_testkit::vectors_dir().join("spdx-spec/2.3/schemas/spdx-schema.json");
    let dir = tempfile::tempdir().unwrap();
    for incomplete in [false, true] {
        let text = spdx23::write(&rich(incomplete));
        let path = dir.path().join(format!("sbom-{incomplete}.spdx.json"));
        std::fs::write(&path, &text).unwrap();
        run(Command::new(&pyspdxtools).arg("-i").arg(&path));
        schema_check(&schema, &serde_json::from_str(&text).unwrap());
    }
}

/// A licence with a `LicenseRef-` and its text: SPDX carries the text in `hasExtractedLicensingInfos`,
/// pyspdxtools and the schema accept it, and it reads back exactly.
#[test]
fn spdx_license_refs_carry_their_texts() {
    let pyspdxtools = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let schema = provenant_testkit::vectors_dir().join("spdx-spec/2.3/schemas/spdx-schema.json");
    let mut sbom = rich(false);
    let id = "LicenseRef-public-domain-0a1b2c3d".to_owned();
    let texts = std::collections::BTreeMap::from([(id.clone(), "Placed in the public domain.".to_owned())]);
    let zlib = sbom.components.values_mut().find(|c| c.name == "zlib1g").unwrap();
    zlib.license = Some(provenant_sbom::parse_license_with_refs(&format!("Zlib AND {id}"), &texts).unwrap());
    zlib.license_texts = texts;
    assert!(provenant_sbom::parse_license(&format!("Zlib AND {id}")).is_err());
    assert!(
        provenant_sbom::parse_license_with_refs(
            "LicenseRef-undefined",
            &std::collections::BTreeMap::<String, String>::new()
        )
        .is_err()
    );
    let text = spdx23::write(&sbom);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["hasExtractedLicensingInfos"][0]["licenseId"], id.as_str());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refs.spdx.json");
    std::fs::write(&path, &text).unwrap();
    run(Command::new(&pyspdxtools).arg("-i").arg(&path));
    schema_check(&schema, &doc);
    let back = provenant_sbom::read::read(&doc, 0).unwrap();
    assert!(back.lost.is_empty(), "{:?}", back.lost);
    assert_eq!(back.sbom, sbom);
    // CycloneDX names the reference in the expression but cannot carry its text, and says so.
    assert!(!cyclonedx::write_losses(&sbom).is_empty());
}
