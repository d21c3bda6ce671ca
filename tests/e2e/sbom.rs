//! `provenant sbom generate|validate` on fixtures made by the real package managers, with every document
//! checked by the official validators (cyclonedx-python-lib strict schema, pyspdxtools).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{provenant, run, stderr, stdout};

pub(crate) fn fixtures() -> PathBuf {
    provenant_testkit::repo_root().join("testdata/sbom")
}

/// The ground truth of the whole fixture tree: the union of every fixture's `expected.txt` (each written by
/// the package manager's own listing command, see testdata/sbom/make-fixtures.sh).
fn expected_union() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path().join("expected.txt");
        if let Ok(text) = std::fs::read_to_string(&path) {
            all.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
        }
    }
    assert!(all.len() > 100, "fixtures missing under {}", fixtures().display());
    all
}

pub(crate) fn generate(target: &Path, format: &str, out: &Path, epoch: Option<&str>) -> std::process::Output {
    let mut cmd = provenant();
    cmd.args(["sbom", "generate"])
        .arg(target)
        .args(["--format", format, "-o"])
        .arg(out);
    match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    run(&mut cmd)
}

/// The ground truth of the named fixtures: their `expected.txt` lines, together.
pub(crate) fn expected(names: &[&str]) -> BTreeSet<String> {
    names
        .iter()
        .flat_map(|n| {
            std::fs::read_to_string(fixtures().join(n).join("expected.txt"))
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(crate) fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub(crate) fn cdx_strict(path: &Path) {
    let python = provenant_testkit::require_venv_tool("sbom", "python");
    let script = provenant_testkit::repo_root().join("tests/harness/validate_cdx.py");
    let o = run(Command::new(python).arg(script).arg(path));
    assert!(
        o.status.success(),
        "cyclonedx-python-lib rejects {}: {}{}",
        path.display(),
        stdout(&o),
        stderr(&o)
    );
}

fn our_validator(path: &Path) -> std::process::Output {
    run(provenant().args(["sbom", "validate"]).arg(path))
}

/// `type name version` of every component in the document.
pub(crate) fn cdx_set(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let ty = c["purl"]
                .as_str()
                .unwrap()
                .trim_start_matches("pkg:")
                .split('/')
                .next()
                .unwrap()
                .to_owned();
            format!(
                "{ty} {} {}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn cyclonedx_every_version_is_strictly_valid_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    for v in ["1.5", "1.6", "1.7"] {
        let out = dir.path().join(format!("bom-{v}.json"));
        let o = generate(
            &fixtures(),
            &format!("cyclonedx-json@{v}"),
            &out,
            Some("1700000000"),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        cdx_strict(&out);
        let ours = our_validator(&out);
        assert!(ours.status.success(), "{}", stdout(&ours));
        let doc = json(&out);
        assert_eq!(doc["specVersion"], v);
        assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(cdx_set(&doc), expected_union(), "component set for {v}");
        // The root is the target, with its tree digest.
        let digest = run(provenant().args(["digest"]).arg(fixtures()));
        assert!(
            stdout(&digest).contains(
                doc["metadata"]["component"]["hashes"][0]["content"]
                    .as_str()
                    .unwrap()
            )
        );
        // Direct dependencies as the manifests declare them.
        let direct: BTreeSet<&str> = doc["dependencies"][0]["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for want in [
            "pkg:cargo/serde@1.0.200",
            "pkg:npm/express@4.19.2",
            "pkg:pypi/requests@2.32.3",
        ] {
            assert!(direct.contains(want), "{want} should be direct");
        }
        assert!(!direct.contains("pkg:cargo/syn@2.0.119"));
    }
}

#[test]
fn spdx_is_accepted_by_pyspdxtools_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sbom.spdx.json");
    let o = generate(&fixtures(), "spdx-json", &out, Some("0"));
    assert!(o.status.success(), "{}", stderr(&o));
    let pyspdxtools = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let v = run(Command::new(pyspdxtools).arg("-i").arg(&out));
    assert!(
        v.status.success() && stdout(&v).trim().is_empty(),
        "pyspdxtools: {}{}",
        stdout(&v),
        stderr(&v)
    );
    assert!(our_validator(&out).status.success());
    let doc = json(&out);
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    let set: BTreeSet<String> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["SPDXID"] != "SPDXRef-Root")
        .map(|p| {
            let purl = p["externalRefs"][0]["referenceLocator"].as_str().unwrap();
            let ty = purl.trim_start_matches("pkg:").split('/').next().unwrap();
            format!(
                "{ty} {} {}",
                p["name"].as_str().unwrap(),
                p["versionInfo"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(set, expected_union());
}

#[test]
fn reruns_are_byte_identical_and_time_comes_from_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["cyclonedx-json", "spdx-json"] {
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        assert!(
            generate(&fixtures(), format, &a, Some("1234567890"))
                .status
                .success()
        );
        assert!(
            generate(&fixtures(), format, &b, Some("1234567890"))
                .status
                .success()
        );
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{format}");
        // Standard output carries the same bytes.
        let o = run(provenant()
            .args(["sbom", "generate", "--format", format])
            .arg(fixtures())
            .env("SOURCE_DATE_EPOCH", "1234567890"));
        assert_eq!(o.stdout, std::fs::read(&a).unwrap(), "{format} on stdout");
    }
    // Unset: the current time, in whole seconds.
    let now = dir.path().join("now.json");
    assert!(
        generate(&fixtures().join("cargo-v4"), "cyclonedx-json", &now, None)
            .status
            .success()
    );
    let ts = json(&now)["metadata"]["timestamp"].as_str().unwrap().to_owned();
    assert_ne!(ts, "1970-01-01T00:00:00Z");
    assert_eq!(ts.len(), 20, "{ts}");
    let bad = generate(
        &fixtures().join("cargo-v4"),
        "cyclonedx-json",
        &now,
        Some("yesterday"),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn malformed_file_is_reported_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("proj");
    std::fs::create_dir_all(target.join("web")).unwrap();
    std::fs::write(
        target.join("web/package-lock.json"),
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n",
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("pip-req/requirements.txt"),
        target.join("requirements.txt"),
    )
    .unwrap();
    let out = dir.path().join("bom.json");
    let o = generate(&target, "cyclonedx-json", &out, Some("0"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("web/package-lock.json:4:"), "{}", stderr(&o));
    cdx_strict(&out);
    let doc = json(&out);
    assert_eq!(doc["metadata"]["properties"][0]["name"], "provenant:incomplete");
    assert_eq!(
        doc["components"].as_array().unwrap().len(),
        5,
        "requirements.txt is still cataloged"
    );
    let strict = run(provenant()
        .args(["sbom", "generate", "--strict"])
        .arg(&target)
        .env("SOURCE_DATE_EPOCH", "0"));
    assert_eq!(strict.status.code(), Some(2));
    assert!(stderr(&strict).contains("web/package-lock.json:4:"));
    assert!(strict.stdout.is_empty(), "no document under --strict");
}

#[test]
fn validate_names_json_paths_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bom.json");
    assert!(
        generate(&fixtures().join("npm-v3"), "cyclonedx-json", &out, Some("0"))
            .status
            .success()
    );
    let mut doc = json(&out);
    doc["components"][0]["purl"] = Value::from("not a purl");
    doc["dependencies"][0]["dependsOn"]
        .as_array_mut()
        .unwrap()
        .push(Value::from("pkg:npm/ghost@1.0.0"));
    doc.as_object_mut().unwrap().remove("specVersion");
    std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    let o = run(provenant()
        .args(["--output", "json", "sbom", "validate"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["valid"], false);
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"$.specVersion"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("$.components[0].purl")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("$.dependencies[0].dependsOn")),
        "{paths:?}"
    );

    let spdx = dir.path().join("s.json");
    assert!(
        generate(&fixtures().join("npm-v3"), "spdx-json", &spdx, Some("0"))
            .status
            .success()
    );
    let mut doc = json(&spdx);
    doc["relationships"][1]["relatedSpdxElement"] = Value::from("SPDXRef-Package-missing");
    doc["packages"][1]["externalRefs"][0]["referenceLocator"] = Value::from("pkg:");
    doc["packages"][1]["checksums"] = serde_json::json!([{"algorithm": "SHA512", "checksumValue": "abc"}]);
    std::fs::write(&spdx, serde_json::to_vec(&doc).unwrap()).unwrap();
    let o = our_validator(&spdx);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    for want in [
        "$.relationships[1].relatedSpdxElement",
        "$.packages[1].externalRefs[0].referenceLocator",
        "$.packages[1].checksums[0].checksumValue",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // A document that is not JSON at all cannot be validated: a runtime error naming the file.
    std::fs::write(&spdx, "{\"spdxVersion\": ").unwrap();
    let o = our_validator(&spdx);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not JSON"), "{}", stderr(&o));
}

/// The host's own package database, as a single-file target, against `dpkg-query -W`.
#[test]
fn host_dpkg_database_is_cataloged_completely() {
    let dpkg_query = provenant_testkit::require_on_path("dpkg-query");
    let q = run(Command::new(dpkg_query).args(["-W", "-f", "deb ${Package} ${Version}\n"]));
    let want: BTreeSet<String> = stdout(&q).lines().map(str::to_owned).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("host.json");
    let o = generate(
        Path::new("/var/lib/dpkg/status"),
        "cyclonedx-json",
        &out,
        Some("0"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    cdx_strict(&out);
    assert_eq!(cdx_set(&json(&out)), want);
}

#[test]
fn a_malformed_source_date_epoch_is_a_usage_error_never_the_clock() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("file"), b"content").unwrap();
    let layout = format!("oci:{}:v1", t.path().join("layout").display());
    for args in [
        vec!["sbom", "generate", "file"],
        vec!["oci", "image", ".", layout.as_str()],
        vec!["oci", "push", layout.as_str(), "file"],
    ] {
        let o = crate::support::run(
            crate::support::provenant()
                .current_dir(t.path())
                .env("SOURCE_DATE_EPOCH", "yesterday")
                .args(&args),
        );
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            crate::support::stderr(&o)
        );
        assert!(
            crate::support::stderr(&o).contains("SOURCE_DATE_EPOCH=\"yesterday\""),
            "{args:?}: {}",
            crate::support::stderr(&o)
        );
    }
}
