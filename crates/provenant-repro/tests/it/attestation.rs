//! The reproducibility statement: valid against our JSON Schema and in-toto-attestation's Statement v1
//! validator, deterministic, and the schema refuses what it should.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use provenant_repro::predicate::{PREDICATE_TYPE, Statement};
use provenant_repro::{CheckOptions, Variation, check};

fn schema() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/reproducibility-v1.schema.json")
}

fn statement_for(fixture: &str, variations: &[Variation]) -> Vec<u8> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/repro")
        .join(fixture);
    let mut o = CheckOptions::new(src, vec![OsString::from("./build.sh")]);
    o.artifacts = vec!["out/*".to_owned()];
    o.variations = variations.iter().copied().collect();
    o.runs = 3;
    let report = check(&o).unwrap();
    let mut bytes = serde_json::to_vec_pretty(&Statement::from_report(&report)).unwrap();
    bytes.push(b'\n');
    bytes
}

fn schema_valid(doc: &[u8]) -> Result<(), String> {
    let tool = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.json");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(tool)
        .arg("--schemafile")
        .arg(schema())
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

#[test]
fn statement_is_schema_valid_in_toto_valid_and_deterministic() {
    let doc = statement_for(
        "reproducible",
        &[Variation::Umask, Variation::BuildPath, Variation::Locale],
    );
    assert_eq!(
        doc,
        statement_for(
            "reproducible",
            &[Variation::Umask, Variation::BuildPath, Variation::Locale]
        ),
        "two checks gave different statements"
    );
    schema_valid(&doc).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(v["predicateType"], PREDICATE_TYPE);
    assert_eq!(v["predicate"]["verdict"], "reproducible");
    assert_eq!(v["predicate"]["runs"].as_array().unwrap().len(), 3);
    assert_eq!(v["subject"][0]["name"], "out/bundle.tar.gz");

    // in-toto-attestation's own parser and validator for Statement v1, unknown fields rejected.
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let script = "import sys, json\n\
from google.protobuf import json_format\n\
from in_toto_attestation.v1 import statement_pb2\n\
from in_toto_attestation.v1.statement import Statement\n\
d = json.load(sys.stdin)\n\
pb = json_format.ParseDict(d, statement_pb2.Statement(), ignore_unknown_fields=False)\n\
Statement.copy_from_pb(pb).validate()\n\
print('ok')\n";
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &doc).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn unreproducible_statement_records_the_differing_artefact_and_all_digests() {
    let doc = statement_for("umask", &[Variation::Umask]);
    schema_valid(&doc).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(v["predicate"]["verdict"], "not-reproducible");
    assert_eq!(v["predicate"]["differing"][0], "out/app.tar");
    let runs = v["predicate"]["runs"].as_array().unwrap();
    let digest = |r: usize| {
        runs[r]["artifacts"][0]["digest"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(digest(0), digest(1));
    assert_eq!(digest(1), digest(2), "both varied runs use umask 0002");
}

/// A named change that makes a statement invalid.
type Mutation = (&'static str, fn(&mut serde_json::Value));

#[test]
fn schema_refuses_malformed_statements() {
    let doc = statement_for("reproducible", &[Variation::Umask]);
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let mutations: [Mutation; 4] = [
        ("verdict", |v| v["predicate"]["verdict"] = "probably".into()),
        ("digest", |v| v["subject"][0]["digest"]["sha256"] = "ABC".into()),
        ("unknown field", |v| v["predicate"]["extra"] = true.into()),
        ("variation", |v| {
            v["predicate"]["variations"]["applied"][0]["variation"] = "moon".into();
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = v.clone();
        mutate(&mut bad);
        assert!(
            schema_valid(&serde_json::to_vec(&bad).unwrap()).is_err(),
            "schema accepted a bad {what}"
        );
    }
}
