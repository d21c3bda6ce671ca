//! `sbom generate --exclude` (and `attest`): the same patterns leave the same files out for us and for
//! syft on a directory; in an image they name paths of its filesystem.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::sbom::{cdx_set, expected, fixtures, json};
use crate::support::{provenant, run, stderr, stdout};

fn copy(names: &[&str], to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for n in names {
        let o = Command::new("cp")
            .arg("-a")
            .arg(fixtures().join(n))
            .arg(to.join(n))
            .output()
            .unwrap();
        assert!(o.status.success());
    }
}

fn ours(target: &str, excludes: &[&str]) -> Value {
    let mut cmd = provenant();
    cmd.env("SOURCE_DATE_EPOCH", "0")
        .args(["sbom", "generate", target]);
    for e in excludes {
        cmd.args(["--exclude", e]);
    }
    let o = run(&mut cmd);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// The files our components were found in.
fn evidence_files(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["evidence"]["occurrences"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|o| o["location"].as_str().unwrap().to_owned())
        .collect()
}

/// The files syft's packages were found in (`syft:location:N:path`, without the leading `/`).
fn syft_files(dir: &Path, excludes: &[&str]) -> BTreeSet<String> {
    let syft = provenant_testkit::require_venv_tool("syft", "syft");
    let out = dir.join(format!("syft-{}.json", excludes.len()));
    let mut cmd = Command::new(syft);
    cmd.env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", dir.join("tree").display()))
        .arg("-q")
        .arg("-o")
        .arg(format!("cyclonedx-json={}", out.display()));
    for e in excludes {
        cmd.args(["--exclude", e]);
    }
    let o = run(&mut cmd);
    assert!(o.status.success(), "syft: {}", stderr(&o));
    json(&out)["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["properties"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["name"].as_str().is_some_and(|n| n.ends_with(":path")))
        .map(|p| p["value"].as_str().unwrap().trim_start_matches('/').to_owned())
        .collect()
}

#[test]
fn directory_excludes_match_syft_and_the_ground_truth() {
    let t = tempfile::tempdir().unwrap();
    let names = ["cargo-v4", "npm-v3", "pip-req", "gemfile-lock", "composer-lock"];
    let tree = t.path().join("tree");
    copy(&names, &tree);
    let tree_s = tree.to_str().unwrap();
    let all = ours(tree_s, &[]);
    assert_eq!(cdx_set(&all), expected(&names));

    // syft's spelling of patterns: ./ at the root, ** across directories.
    let excludes = ["./npm-v3/**", "**/Gemfile.lock", "./pip-req/*.txt"];
    let some = ours(tree_s, &excludes);
    assert_eq!(cdx_set(&some), expected(&["cargo-v4", "composer-lock"]));
    let files = evidence_files(&some);
    assert_eq!(
        files,
        BTreeSet::from([
            "cargo-v4/Cargo.lock".to_owned(),
            "composer-lock/composer.lock".to_owned()
        ])
    );
    // syft leaves out the same files with the same patterns.
    let syft_all = syft_files(t.path(), &[]);
    let syft_some = syft_files(t.path(), &excludes);
    let gone_ours: BTreeSet<String> = evidence_files(&all).difference(&files).cloned().collect();
    let gone_syft: BTreeSet<String> = syft_all.difference(&syft_some).cloned().collect();
    assert!(!gone_ours.is_empty());
    for f in &gone_ours {
        assert!(
            gone_syft.contains(f) || !syft_all.contains(f),
            "syft still reads {f}: {syft_some:?}"
        );
    }
    assert!(
        syft_some
            .iter()
            .all(|f| !f.starts_with("npm-v3/") && !f.ends_with("Gemfile.lock")),
        "{syft_some:?}"
    );

    // A bad pattern is a usage error naming it.
    let o = run(provenant().args(["sbom", "generate", tree_s, "--exclude", "a/[b"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid exclude pattern \"a/[b\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn image_excludes_name_paths_in_the_image() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    copy(&["cargo-v4", "npm-v3"], &root);
    let layout = format!("oci:{}:v1", t.path().join("layout").display());
    let o = run(provenant()
        .env("SOURCE_DATE_EPOCH", "0")
        .args(["oci", "image"])
        .arg(&root)
        .arg(&layout));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(cdx_set(&ours(&layout, &[])), expected(&["cargo-v4", "npm-v3"]));
    // Image paths are absolute, as syft spells them for images.
    let some = ours(&layout, &["/npm-v3/**"]);
    assert_eq!(cdx_set(&some), expected(&["cargo-v4"]));
    assert_eq!(
        evidence_files(&some),
        BTreeSet::from(["cargo-v4/Cargo.lock".to_owned()])
    );
}
