//! `provenant sbom convert` on documents written by syft, cdxgen and ourselves: every converted document
//! passes the official validators (cyclonedx-python-lib strict, pyspdxtools) and ours, keeps the source's
//! components, hashes, licences and dependency edges, is byte-identical across runs, and what could not
//! be carried over is said on stderr and in the JSON report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use provenant_sbom::Purl;
use serde_json::Value;

use crate::sbom::{cdx_strict, fixtures, generate, json};
use crate::support::{provenant, run, stderr, stdout};

const TARGETS: [&str; 4] = [
    "cyclonedx-json@1.5",
    "cyclonedx-json@1.6",
    "cyclonedx-json@1.7",
    "spdx-json",
];

fn convert(input: &Path, format: &str, out: &Path, json_report: bool) -> std::process::Output {
    let mut cmd = provenant();
    cmd.env_remove("SOURCE_DATE_EPOCH");
    if json_report {
        cmd.args(["--output", "json"]);
    }
    let o = run(cmd
        .args(["sbom", "convert"])
        .arg(input)
        .args(["--format", format, "-o"])
        .arg(out));
    assert!(o.status.success(), "convert {format}: {}", stderr(&o));
    o
}

fn canonical(purl: &str) -> String {
    purl.parse::<Purl>().unwrap().to_string()
}

/// What a document states that the model keeps, keyed by canonical purl: hashes (`ALG:hex`, lowercase)
/// and licence ids; plus the dependency edges between components with purls.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    components: Entries,
    edges: BTreeSet<(String, String)>,
}

fn norm_alg(a: &str) -> String {
    a.to_ascii_uppercase().replace('-', "")
}

type Entries = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

/// `kept` without the licences that use a `LicenseRef-`.
fn without_license_refs(kept: &Kept) -> Kept {
    let mut out = kept.clone();
    for (_, licences) in out.components.values_mut() {
        licences.retain(|l| provenant_sbom::license_refs(l).is_empty());
    }
    out
}

/// A purl listed twice (syft lists a package once per file it was found in) is one component: its
/// hashes are united and a stated licence wins over none, as the model merges them.
fn merge(into: &mut Entries, purl: String, hashes: BTreeSet<String>, licence: BTreeSet<String>) {
    let entry = into.entry(purl).or_default();
    entry.0.extend(hashes);
    if entry.1.is_empty() {
        entry.1 = licence;
    }
}

#[allow(clippy::too_many_lines)] // one reader per format, side by side
fn kept(doc: &Value) -> Kept {
    let mut components = Entries::new();
    let mut edges = BTreeSet::new();
    if doc.get("spdxVersion").is_some() {
        let defined: BTreeSet<&str> = doc["hasExtractedLicensingInfos"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["extractedText"].as_str().is_some_and(|t| !t.is_empty()))
            .filter_map(|e| e["licenseId"].as_str())
            .collect();
        let mut ids = BTreeMap::new();
        for p in doc["packages"].as_array().unwrap() {
            let Some(purl) = p["externalRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["referenceType"] == "purl")
            else {
                continue;
            };
            let purl = canonical(purl["referenceLocator"].as_str().unwrap());
            if p["SPDXID"] == "SPDXRef-Root" {
                continue;
            }
            ids.insert(p["SPDXID"].as_str().unwrap().to_owned(), purl.clone());
            let hashes = p["checksums"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["algorithm"] != "MD5")
                .map(|c| {
                    format!(
                        "{}:{}",
                        norm_alg(c["algorithm"].as_str().unwrap()),
                        c["checksumValue"].as_str().unwrap().to_ascii_lowercase()
                    )
                })
                .collect();
            let licence = [p["licenseDeclared"].as_str(), p["licenseConcluded"].as_str()]
                .into_iter()
                .flatten()
                // A LicenseRef is carried when the document gives its text, else reported.
                .find(|l| {
                    *l != "NOASSERTION"
                        && *l != "NONE"
                        && provenant_sbom::license_refs(l)
                            .iter()
                            .all(|r| defined.contains(*r))
                })
                .map(str::to_owned)
                .into_iter()
                .collect();
            merge(&mut components, purl, hashes, licence);
        }
        for r in doc["relationships"].as_array().unwrap() {
            let (a, b) = (
                r["spdxElementId"].as_str().unwrap(),
                r["relatedSpdxElement"].as_str().unwrap(),
            );
            let (from, to) = match r["relationshipType"].as_str().unwrap() {
                "DEPENDS_ON" => (a, b),
                "DEPENDENCY_OF" => (b, a),
                _ => continue,
            };
            if let (Some(f), Some(t)) = (ids.get(from), ids.get(to)) {
                edges.insert((f.clone(), t.clone()));
            }
        }
    } else {
        let mut refs = BTreeMap::new();
        for c in doc["components"].as_array().unwrap() {
            let Some(purl) = c["purl"].as_str() else { continue };
            let purl = canonical(purl);
            refs.insert(c["bom-ref"].as_str().unwrap().to_owned(), purl.clone());
            let hashes = c["hashes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    format!(
                        "{}:{}",
                        norm_alg(h["alg"].as_str().unwrap()),
                        h["content"].as_str().unwrap().to_ascii_lowercase()
                    )
                })
                .collect();
            let licences: Vec<String> = c["licenses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| {
                    l["expression"]
                        .as_str()
                        .or_else(|| l["license"]["id"].as_str())
                        .map(str::to_owned)
                })
                .collect();
            let licence = if licences.is_empty() {
                BTreeSet::new()
            } else {
                BTreeSet::from([licences.join(" AND ")])
            };
            merge(&mut components, purl, hashes, licence);
        }
        for d in doc["dependencies"].as_array().into_iter().flatten() {
            let Some(from) = refs.get(d["ref"].as_str().unwrap()) else {
                continue;
            };
            for t in d["dependsOn"].as_array().into_iter().flatten() {
                if let Some(to) = refs.get(t.as_str().unwrap())
                    && from != to
                {
                    edges.insert((from.clone(), to.clone()));
                }
            }
        }
    }
    Kept { components, edges }
}

fn pyspdxtools(path: &Path) {
    let tool = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let v = run(Command::new(tool).arg("-i").arg(path));
    assert!(
        v.status.success() && stdout(&v).trim().is_empty(),
        "pyspdxtools rejects {}: {}{}",
        path.display(),
        stdout(&v),
        stderr(&v)
    );
}

fn ours_valid(path: &Path) {
    let o = run(provenant().args(["sbom", "validate"]).arg(path));
    assert!(
        o.status.success(),
        "sbom validate {}: {}",
        path.display(),
        stdout(&o)
    );
}

/// Converts `input` to every format, checks each result with the validators and against what the
/// source states, and returns the text reports.
fn convert_everywhere(input: &Path, dir: &Path, name: &str) -> Vec<String> {
    let source = kept(&json(input));
    assert!(source.components.len() > 5, "{name}: {source:?}");
    let mut reports = Vec::new();
    for format in TARGETS {
        let out = dir.join(format!("{name}.{format}.json"));
        let o = convert(input, format, &out, false);
        reports.push(stderr(&o));
        if format == "spdx-json" {
            pyspdxtools(&out);
        } else {
            cdx_strict(&out);
        }
        ours_valid(&out);
        let converted = kept(&json(&out));
        assert_eq!(converted, source, "{name} → {format}");
        // Deterministic: a second run gives the same bytes.
        let again = dir.join(format!("{name}.{format}.again.json"));
        convert(input, format, &again, false);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
        // And converting back gives the same content again.
        let back = dir.join(format!("{name}.{format}.back.json"));
        convert(&out, "cyclonedx-json", &back, false);
        // A CycloneDX expression names a LicenseRef without its text: read back, such a licence is
        // reported lost, not carried (SPDX keeps the texts).
        let expected = if format == "spdx-json" {
            source.clone()
        } else {
            without_license_refs(&source)
        };
        assert_eq!(kept(&json(&back)), expected, "{name} → {format} → cyclonedx");
    }
    reports
}

#[test]
fn syft_documents_convert_to_every_format_and_pass_the_official_validators() {
    let syft = provenant_testkit::require_venv_tool("syft", "syft");
    let dir = tempfile::tempdir().unwrap();
    let cdx = dir.path().join("syft.cdx.json");
    let spdx = dir.path().join("syft.spdx.json");
    let o = run(Command::new(syft)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", fixtures().display()))
        .arg("-q")
        .arg("-o")
        .arg(format!("cyclonedx-json={}", cdx.display()))
        .arg("-o")
        .arg(format!("spdx-json={}", spdx.display())));
    assert!(o.status.success(), "syft: {}", stderr(&o));
    for report in convert_everywhere(&cdx, dir.path(), "syft-cdx") {
        assert!(
            report.contains("not carried over: component property `syft:cpe23`"),
            "{report}"
        );
        assert!(report.contains("root digest"), "{report}");
    }
    for report in convert_everywhere(&spdx, dir.path(), "syft-spdx") {
        assert!(
            report.contains("not carried over: external reference of type cpe23Type"),
            "{report}"
        );
    }
    // The JSON report lists the same, with counts and JSON paths.
    let o = convert(&cdx, "spdx-json", &dir.path().join("r.json"), true);
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["from"], "cyclonedx-json@1.6");
    assert_eq!(report["to"], "spdx-json");
    let cpe = report["lost"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["what"] == "component field `cpe`")
        .unwrap();
    assert!(cpe["count"].as_u64().unwrap() > 100);
    assert!(cpe["examples"][0].as_str().unwrap().starts_with("$.components["));
}

#[test]
fn cdxgen_documents_convert_with_hashes_licences_and_direct_dependencies() {
    let bin = provenant_testkit::oracles_dir().join("npm/cdxgen/node_modules/.bin/cdxgen");
    assert!(
        bin.exists(),
        "cdxgen is not installed at {}: run tests/harness/setup.sh",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("npm");
    let o = run(Command::new("cp")
        .arg("-a")
        .arg(fixtures().join("npm-v3"))
        .arg(&project));
    assert!(o.status.success());
    let out = dir.path().join("cdxgen.json");
    let o = run(Command::new("node")
        .arg(bin)
        .env("CDXGEN_NO_BANNER", "true")
        .env("FETCH_LICENSE", "false")
        .args(["-t", "js", "--no-install-deps", "-o"])
        .arg(&out)
        .arg(&project));
    assert!(o.status.success() && out.exists(), "cdxgen: {}", stderr(&o));
    let doc = json(&out);
    assert_eq!(doc["specVersion"], "1.7");
    convert_everywhere(&out, dir.path(), "cdxgen");
    // The root and its direct dependencies survive a trip through SPDX.
    let spdx = dir.path().join("cdxgen.spdx-json.json");
    let back = dir.path().join("back.json");
    convert(&spdx, "cyclonedx-json@1.6", &back, false);
    let back = json(&back);
    assert_eq!(
        back["metadata"]["component"]["purl"],
        doc["metadata"]["component"]["purl"]
    );
    let root_ref = doc["metadata"]["component"]["bom-ref"].as_str().unwrap();
    let want: BTreeSet<String> = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == root_ref)
        .unwrap()["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| canonical(p.as_str().unwrap()))
        .collect();
    assert!(!want.is_empty());
    let got: BTreeSet<String> = back["dependencies"][0]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(back["dependencies"][0]["ref"], "root");
    assert_eq!(got, want);
}

#[test]
fn our_documents_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cdx = dir.path().join("ours.cdx.json");
    let spdx = dir.path().join("ours.spdx.json");
    assert!(
        generate(&fixtures(), "cyclonedx-json", &cdx, Some("1700000000"))
            .status
            .success()
    );
    assert!(
        generate(&fixtures(), "spdx-json", &spdx, Some("1700000000"))
            .status
            .success()
    );
    // CycloneDX → CycloneDX and CycloneDX → SPDX give exactly what generate gives.
    let same = dir.path().join("same.json");
    let o = convert(&cdx, "cyclonedx-json", &same, false);
    assert_eq!(std::fs::read(&same).unwrap(), std::fs::read(&cdx).unwrap());
    assert!(!stderr(&o).contains("not carried over:"), "{}", stderr(&o));
    let to_spdx = dir.path().join("to-spdx.json");
    let o = convert(&cdx, "spdx-json", &to_spdx, false);
    assert_eq!(std::fs::read(&to_spdx).unwrap(), std::fs::read(&spdx).unwrap());
    // The Debian maintainers' parentheses cannot be said in SPDX: reported, not hidden.
    assert!(
        stderr(&o).contains("parentheses in supplier names"),
        "{}",
        stderr(&o)
    );
    // SPDX → CycloneDX keeps everything else: the same components, graph and root digest.
    let from_spdx = dir.path().join("from-spdx.json");
    let o = convert(&spdx, "cyclonedx-json", &from_spdx, false);
    assert!(!stderr(&o).contains("not carried over:"), "{}", stderr(&o));
    let (a, b) = (json(&cdx), json(&from_spdx));
    assert_eq!(a["dependencies"], b["dependencies"]);
    assert_eq!(a["metadata"], b["metadata"]);
    assert_eq!(kept(&a), kept(&b));
    assert_eq!(
        a["components"].as_array().unwrap().len(),
        b["components"].as_array().unwrap().len()
    );
}

#[test]
fn what_is_not_an_sbom_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 3}"#,
    )
    .unwrap();
    let o = run(provenant()
        .args(["sbom", "convert"])
        .arg(&bad)
        .args(["--format", "spdx-json"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("$.components: expected an array"),
        "{}",
        stderr(&o)
    );
    let o = run(provenant()
        .args(["sbom", "convert"])
        .arg(&bad)
        .args(["--format", "cyclonedx-json@2.0"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown SBOM format"), "{}", stderr(&o));
}
