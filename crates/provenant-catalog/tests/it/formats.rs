//! Catalogers against fixtures made by the real tools, compared with the ground truth those tools list.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::{expected, fixture, found};
use provenant_catalog::{Catalog, catalog};
use provenant_sbom::{Ecosystem, Scope};

fn direct(c: &Catalog) -> BTreeSet<String> {
    c.components
        .iter()
        .filter(|c| c.scope == Scope::Direct)
        .map(|c| c.name.clone())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn cargo_lock_v4_equals_cargo_metadata() {
    let c = catalog(&fixture("cargo-v4")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found_in(&c), expected("cargo-v4"));
    assert_eq!(direct(&c), set(&["itoa", "serde"]));
    let serde = c.components.iter().find(|c| c.name == "serde").unwrap();
    assert_eq!(serde.purl.as_str(), "pkg:cargo/serde@1.0.200");
    assert_eq!(serde.hashes.len(), 1, "the lockfile checksum is carried");
    assert!(
        serde
            .depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:cargo/serde_derive@1.0.200")
    );
    assert_eq!(serde.evidence.iter().next().unwrap().file, "Cargo.lock");
}

#[test]
fn cargo_lock_v3_workspace_members_are_the_target() {
    let c = catalog(&fixture("cargo-v3")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found_in(&c), expected("cargo-v3"));
    assert_eq!(direct(&c), set(&["hex", "memchr"]));
}

#[test]
fn package_lock_v1_v2_v3_equal_npm_resolution() {
    for v in ["npm-v1", "npm-v2", "npm-v3"] {
        let c = catalog(&fixture(v)).unwrap();
        assert!(c.warnings.is_empty(), "{v}: {:?}", c.warnings);
        assert_eq!(found_in(&c), expected(v), "{v}");
        assert_eq!(
            direct(&c),
            set(&["@babel/code-frame", "express", "is-number"]),
            "{v}"
        );
        let scoped = c
            .components
            .iter()
            .find(|c| c.name == "@babel/code-frame")
            .unwrap();
        assert_eq!(scoped.purl.as_str(), "pkg:npm/%40babel/code-frame@7.24.7", "{v}");
        assert!(!scoped.hashes.is_empty(), "{v}: integrity is carried");
        let express = c.components.iter().find(|c| c.name == "express").unwrap();
        assert!(
            express
                .depends_on
                .iter()
                .any(|p| p.as_str().starts_with("pkg:npm/body-parser@")),
            "{v}"
        );
    }
}

#[test]
fn requirements_txt_pins_and_hashes() {
    let c = catalog(&fixture("pip-req")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found_in(&c), expected("pip-req"));
    assert!(
        c.components
            .iter()
            .all(|c| c.hashes.len() == 1 && c.scope == Scope::Direct)
    );
}

#[test]
fn requirements_txt_unpinned_and_pip_compile_via() {
    let text = "flask==3.0.0\n    # via -r requirements.in\nwerkzeug==3.0.1 \\\n    --hash=sha256:aa\n    # via flask\n\
                requests>=2\n-e .\n--index-url https://example.org\n";
    let (comps, warnings) = provenant_catalog::pip::parse("requirements.txt", text.as_bytes());
    assert_eq!(comps.len(), 2);
    // The hash is too short for SHA-256 (line 3) and requests is not pinned (line 6).
    let lines: Vec<Option<usize>> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [Some(3), Some(6)], "{warnings:?}");
    let flask = comps.iter().find(|c| c.name == "flask").unwrap();
    assert_eq!(flask.scope, Scope::Direct);
    assert!(
        flask
            .depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:pypi/werkzeug@3.0.1")
    );
    assert_eq!(
        comps.iter().find(|c| c.name == "werkzeug").unwrap().scope,
        Scope::Transitive
    );
}

#[test]
fn dpkg_status_fixture_equals_dpkg_query() {
    let c = catalog(&fixture("dpkg")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found_in(&c), expected("dpkg"));
    assert!(
        c.components
            .iter()
            .all(|c| c.ecosystem == Ecosystem::Deb && c.purl.as_str().starts_with("pkg:deb/debian/"))
    );
}

/// The host's own database, as a single file, against what `dpkg-query -W` lists right now.
#[test]
fn host_dpkg_status_equals_dpkg_query() {
    let dpkg_query = provenant_testkit::require_on_path("dpkg-query");
    let out = Command::new(dpkg_query)
        .args(["-W", "-f", "${Package} ${Version}\n"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let want: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| format!("deb {l}"))
        .collect();
    let c = catalog(std::path::Path::new("/var/lib/dpkg/status")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(!want.is_empty());
    assert_eq!(found_in(&c), want);
}

#[test]
fn dpkg_skips_config_files_and_names_bad_paragraphs() {
    let text = "Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nDepends: b (>= 1) | c, libc6:any\n\n\
                Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\n\
                Package: broken\nStatus: install ok installed\n\n\
                Package: c\nStatus: install ok installed\nVersion: 3\nArchitecture: all\n";
    let (comps, warnings) = provenant_catalog::dpkg::parse("status", text.as_bytes());
    let names: Vec<&str> = comps.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].line, Some(11));
    assert_eq!(comps[0].purl.as_str(), "pkg:deb/debian/a@1.0?arch=amd64");
    assert!(
        comps[0]
            .depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:deb/debian/c@3?arch=all")
    );
}

#[test]
fn malformed_lockfile_warns_with_line_and_others_continue() {
    let dir = tempfile::tempdir().unwrap();
    let lock = std::fs::read_to_string(fixture("cargo-v4").join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(dir.path().join("rust")).unwrap();
    // Truncated in the middle of a table.
    std::fs::write(dir.path().join("rust/Cargo.lock"), &lock[..lock.len() / 2]).unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(
        dir.path().join("web/package-lock.json"),
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n",
    )
    .unwrap();
    std::fs::copy(
        fixture("pip-req").join("requirements.txt"),
        dir.path().join("requirements.txt"),
    )
    .unwrap();
    let c = catalog(dir.path()).unwrap();
    assert_eq!(
        found_in(&c),
        expected("pip-req"),
        "the good file is still cataloged"
    );
    let files: Vec<&str> = c.warnings.iter().map(|w| w.file.as_str()).collect();
    assert_eq!(
        files,
        ["rust/Cargo.lock", "web/package-lock.json"],
        "{:?}",
        c.warnings
    );
    assert!(c.warnings.iter().all(|w| w.line.is_some()), "{:?}", c.warnings);
    assert!(
        c.warnings[1].to_string().starts_with("web/package-lock.json:4:"),
        "{}",
        c.warnings[1]
    );
}

#[test]
fn walk_skips_vcs_build_output_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let req = fixture("pip-req").join("requirements.txt");
    for sub in [".git", "target", "node_modules/x"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::copy(&req, dir.path().join(sub).join("requirements.txt")).unwrap();
    }
    std::os::unix::fs::symlink(fixture("cargo-v4"), dir.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let c = catalog(dir.path()).unwrap();
    assert!(c.components.is_empty(), "{:?}", found_in(&c));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn single_lockfile_target_and_missing_target() {
    let c = catalog(&fixture("npm-v3").join("package-lock.json")).unwrap();
    assert_eq!(found_in(&c), expected("npm-v3"));
    assert!(catalog(&fixture("does-not-exist")).is_err());
}

fn found_in(c: &provenant_catalog::Catalog) -> BTreeSet<String> {
    found(&c.components)
}
