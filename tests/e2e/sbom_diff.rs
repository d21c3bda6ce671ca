//! `provenant sbom diff` over documents read by provenant-sbom's reader (its own and syft's).

use std::path::Path;
use std::process::Command;

use crate::support::{provenant, run, stderr, stdout};

fn generate(dir: &Path, out: &Path) {
    let o = run(provenant()
        .env("SOURCE_DATE_EPOCH", "0")
        .args(["sbom", "generate"])
        .arg(dir)
        .arg("-o")
        .arg(out));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn sbom_diff_pairs_packages_by_name_when_several_versions_exist() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Before: six 1.16.0 and 1.17.0 (two requirement files), idna 3.6; after: six 1.16.0, idna 3.7.
    std::fs::write(a.join("requirements.txt"), "six==1.16.0\nidna==3.6\n").unwrap();
    std::fs::write(a.join("requirements-dev.txt"), "six==1.17.0\n").unwrap();
    std::fs::write(b.join("requirements.txt"), "six==1.16.0\nidna==3.7\n").unwrap();
    let (sa, sb) = (t.path().join("a.cdx.json"), t.path().join("b.cdx.json"));
    generate(&a, &sa);
    generate(&b, &sb);
    let o = run(provenant().args(["sbom", "diff"]).arg(&sa).arg(&sb));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "- pkg:pypi/six@1.17.0\n~ pkg:pypi/idna: 3.6 -> 3.7\n0 added, 1 removed, 1 changed\n"
    );
    let o = run(provenant()
        .args(["--output", "json", "sbom", "diff"])
        .arg(&sb)
        .arg(&sa));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["added"][0]["purl"], "pkg:pypi/six@1.17.0");
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(report["changed"][0]["before"]["version"], "3.7");

    // syft's SBOM of the same "before" tree is read by the same reader and gives the same answer.
    let syft_a = t.path().join("a.syft.json");
    let status = Command::new(provenant_testkit::require_venv_tool("syft", "syft"))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", a.display()))
        .args(["-q", "-o"])
        .arg(format!("cyclonedx-json={}", syft_a.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let o = run(provenant().args(["sbom", "diff"]).arg(&syft_a).arg(&sb));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("- pkg:pypi/six@1.17.0\n"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("~ pkg:pypi/six"), "{}", stdout(&o));
}
