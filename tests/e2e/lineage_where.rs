//! `provenant lineage where` end to end: statements appended with `provenant ledger append`, then the
//! reverse questions asked of the same ledger, answers checked against what was appended.

use std::fs;
use std::path::Path;

use crate::support::{ok_in as ok, provenant_in as p, stderr};

const IMAGE_OLD: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const IMAGE_NEW: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn statement(
    dir: &Path,
    name: &str,
    subject: &str,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> String {
    let doc = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example.com/app", "digest": {"sha256": subject}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    });
    fs::write(dir.join(name), serde_json::to_vec(&doc).unwrap()).unwrap();
    name.to_owned()
}

fn sbom(dir: &Path, name: &str, image: &str, lodash: &str) -> String {
    statement(
        dir,
        name,
        image,
        "https://cyclonedx.org/bom",
        &serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
            {"type": "library", "name": "lodash", "version": lodash, "purl": format!("pkg:npm/lodash@{lodash}")}]}),
    )
}

pub(crate) fn ledger(dir: &Path) {
    ok(dir, &crate::support::LEDGER_INIT);
    let files = [
        sbom(dir, "old.json", IMAGE_OLD, "4.17.20"),
        sbom(dir, "new.json", IMAGE_NEW, "4.17.21"),
        statement(
            dir,
            "vulns.json",
            IMAGE_OLD,
            "https://in-toto.io/attestation/vulns/v0.2",
            &serde_json::json!({"scanner": {"uri": "pkg:github/aquasecurity/trivy", "result": [{"id": "CVE-2021-23337"}]}}),
        ),
        statement(
            dir,
            "deploy.json",
            IMAGE_OLD,
            "https://provenant.dev/attestation/deployment/v1",
            &serde_json::json!({"environment": "prod", "strategy": "rolling", "timestamp": "2023-11-14T22:13:20Z"}),
        ),
    ];
    let mut args = vec![
        "ledger",
        "append",
        "--ledger",
        "sqlite:l.db",
        "--note-key",
        "note.key",
    ];
    args.extend(files.iter().map(String::as_str));
    ok(dir, &args);
}

#[test]
fn lineage_where_answers_purl_ranges_and_cves_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ledger(d);
    let out = ok(
        d,
        &[
            "lineage",
            "where",
            "--purl",
            "pkg:npm/lodash@<4.17.21",
            "--ledger",
            "sqlite:l.db",
            "--output",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let artefacts = doc["artefacts"].as_array().unwrap();
    assert_eq!(artefacts.len(), 1, "{doc:#}");
    assert_eq!(artefacts[0]["digest"], format!("sha256:{IMAGE_OLD}"));
    assert_eq!(artefacts[0]["via"][0]["matched"], "pkg:npm/lodash@4.17.20");
    assert_eq!(artefacts[0]["deployed"][0]["environment"], "prod");
    assert_eq!(artefacts[0]["deployed"][0]["now"], true);
    assert_eq!(artefacts[0]["deployed"][0]["since"], 1_700_000_000);

    let text = ok(
        d,
        &[
            "lineage",
            "where",
            "--cve",
            "CVE-2021-23337",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert!(
        text.starts_with(&format!("sha256:{IMAGE_OLD} (registry.example.com/app)\n")),
        "{text}"
    );
    assert!(
        text.contains("runs in prod since 2023-11-14T22:13:20Z (ledger entry 3)"),
        "{text}"
    );

    let none = ok(
        d,
        &[
            "lineage",
            "where",
            "--cve",
            "CVE-1999-0001",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert_eq!(
        none,
        "the ledger records nothing containing vulnerability CVE-1999-0001\n"
    );

    let o = p(
        d,
        &[
            "lineage",
            "where",
            "--purl",
            "pkg:deb/debian/curl@<8.0",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("defines no version ordering"),
        "{}",
        stderr(&o)
    );
}
