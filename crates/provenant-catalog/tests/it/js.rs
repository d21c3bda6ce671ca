//! `yarn.lock` (classic, berry), `pnpm-lock.yaml` (v6, v9) and installed `node_modules`, on fixtures written by
//! yarn 1.22, yarn 4.5, pnpm 8 and 9 (testdata/sbom/make-fixtures.sh); ground truth from each tool's
//! own listing (`npm ls`, `yarn info --all --recursive`, `pnpm list --depth Infinity`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::support::{expected, fixture, found};
use provenant_catalog::{Catalog, catalog};
use provenant_sbom::Scope;

fn direct(c: &Catalog) -> BTreeSet<&str> {
    c.components
        .iter()
        .filter(|c| c.scope == Scope::Direct)
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn yarn_and_pnpm_lockfiles_equal_the_tools_listing() {
    for (name, lock, hashed) in [
        ("yarn-v1", "yarn.lock", true),
        ("yarn-berry", "yarn.lock", false),
        ("pnpm-v6", "pnpm-lock.yaml", true),
        ("pnpm-v9", "pnpm-lock.yaml", true),
    ] {
        let c = catalog(&fixture(name)).unwrap();
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        assert_eq!(c.files, [lock], "{name}");
        assert_eq!(found_in(&c), expected(name), "{name}");
        assert_eq!(
            direct(&c),
            BTreeSet::from(["@babel/code-frame", "express", "is-number"]),
            "{name}"
        );
        assert!(
            c.components.iter().all(|c| c.scope != Scope::Unknown),
            "{name}: every package is direct or transitive"
        );
        let scoped = c
            .components
            .iter()
            .find(|c| c.name == "@babel/code-frame")
            .unwrap();
        assert_eq!(
            scoped.purl.as_str(),
            "pkg:npm/%40babel/code-frame@7.24.7",
            "{name}"
        );
        assert_eq!(!scoped.hashes.is_empty(), hashed, "{name}: integrity");
        assert!(
            scoped
                .depends_on
                .iter()
                .any(|p| p.as_str().starts_with("pkg:npm/%40babel/highlight@")),
            "{name}: {:?}",
            scoped.depends_on
        );
        let express = c.components.iter().find(|c| c.name == "express").unwrap();
        assert!(
            express.depends_on.len() > 20,
            "{name}: {}",
            express.depends_on.len()
        );
    }
}

#[test]
fn installed_node_modules_equal_npm_ls() {
    let c = catalog(&fixture("node-modules")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found_in(&c), expected("node-modules"));
    let express = c.components.iter().find(|c| c.name == "express").unwrap();
    assert_eq!(express.license.as_deref(), Some("MIT"));
    assert_eq!(
        express.evidence.iter().next().unwrap().file,
        "node_modules/express/package.json"
    );
}

#[test]
fn node_modules_walk_reads_only_package_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let nm = dir.path().join("node_modules");
    let write = |rel: &str, text: &str| {
        let p = nm.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let pkg = |n: &str, v: &str| format!("{{\"name\":\"{n}\",\"version\":\"{v}\",\"license\":\"ISC\"}}");
    write("a/package.json", &pkg("a", "1.0.0"));
    write("@s/b/package.json", &pkg("@s/b", "2.0.0"));
    write("a/node_modules/c/package.json", &pkg("c", "3.0.0"));
    write(".pnpm/d@4.0.0/node_modules/d/package.json", &pkg("d", "4.0.0"));
    // Not manifests of installed packages: a package's own sub-directories, tool caches, other lockfiles.
    write("a/dist/esm/package.json", "{\"type\":\"module\"}");
    write(".cache/x/package.json", &pkg("x", "9.9.9"));
    write("a/requirements.txt", "flask==3.0.0\n");
    write("a/yarn.lock", "garbage");
    let c = catalog(dir.path()).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(
        found_in(&c),
        ["npm @s/b 2.0.0", "npm a 1.0.0", "npm c 3.0.0", "npm d 4.0.0"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    );
}

#[test]
fn yarn_classic_aliases_local_packages_and_errors() {
    let lock = "# yarn lockfile v1\n\n\
        \"string-width-cjs@npm:string-width@^4.2.0\", string-width@^4.2.0:\n  version \"4.2.3\"\n  \
        resolved \"https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz#269c7117d27b05ad2e536830a8ec895ef9c6d010\"\n\n\
        local@file:../local:\n  version \"1.0.0\"\n";
    let comps = provenant_catalog::yarn::parse("yarn.lock", lock.as_bytes(), None).unwrap();
    assert_eq!(
        comps.len(),
        1,
        "one package for both descriptors, none for the local one"
    );
    assert_eq!(comps[0].purl.as_str(), "pkg:npm/string-width@4.2.3");
    assert_eq!(comps[0].hashes.len(), 1, "the SHA-1 in the resolved URL");
    assert_eq!(comps[0].scope, Scope::Unknown, "no package.json: unknown");
    let w = provenant_catalog::yarn::parse("yarn.lock", b"a@1:\n  resolved \"x\"\n", None).unwrap_err();
    assert_eq!(w.line, Some(1), "{w}");
    let w = provenant_catalog::yarn::parse("yarn.lock", b"a@1:\n      deep\n", None).unwrap_err();
    assert_eq!(w.line, Some(2), "{w}");
}

#[test]
fn pnpm_rejects_unknown_versions_and_garbage() {
    let w = provenant_catalog::pnpm::parse("pnpm-lock.yaml", b"lockfileVersion: '3.0'\n").unwrap_err();
    assert!(w.message.contains("not supported"), "{w}");
    let w = provenant_catalog::pnpm::parse("pnpm-lock.yaml", b"packages: [\n").unwrap_err();
    assert!(w.line.is_some(), "{w}");
    // Billion laughs: aliases expanding exponentially are refused by the YAML reader, not expanded.
    let mut bomb = String::from("lockfileVersion: '9.0'\na: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        writeln!(
            bomb,
            "l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
        .unwrap();
    }
    assert!(provenant_catalog::pnpm::parse("pnpm-lock.yaml", bomb.as_bytes()).is_err());
}

#[test]
fn yarn_berry_patches_and_workspaces() {
    let lock = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\
        \"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    resolve: \"npm:^1.22.0\"\n  languageName: unknown\n  linkType: soft\n\n\
        \"resolve@npm:^1.22.0\":\n  version: 1.22.8\n  resolution: \"resolve@npm:1.22.8\"\n  languageName: node\n  linkType: hard\n\n\
        \"resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>\":\n  version: 1.22.8\n  \
        resolution: \"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d\"\n  languageName: node\n  linkType: hard\n";
    let comps = provenant_catalog::yarn::parse("yarn.lock", lock.as_bytes(), None).unwrap();
    assert_eq!(comps.len(), 1, "the patched package is the same package");
    assert_eq!(comps[0].purl.as_str(), "pkg:npm/resolve@1.22.8");
    assert_eq!(comps[0].scope, Scope::Direct);
}

#[test]
fn pnpm_v5_keys_and_peer_suffixes() {
    let lock = "lockfileVersion: 5.4\n\nspecifiers:\n  a: ^1.0.0\n\ndependencies:\n  a: 1.0.0_react@18.2.0\n\n\
        packages:\n\n  /a/1.0.0_react@18.2.0:\n    resolution: {integrity: sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==}\n    \
        dependencies:\n      '@s/b': 2.0.0\n    dev: false\n\n  /@s/b/2.0.0:\n    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}\n    dev: false\n";
    let comps = provenant_catalog::pnpm::parse("pnpm-lock.yaml", lock.as_bytes()).unwrap();
    let got: Vec<(&str, Scope, usize)> = comps
        .iter()
        .map(|c| (c.purl.as_str(), c.scope, c.depends_on.len()))
        .collect();
    assert_eq!(
        got,
        [
            ("pkg:npm/%40s/b@2.0.0", Scope::Transitive, 0),
            ("pkg:npm/a@1.0.0", Scope::Direct, 1)
        ]
    );
}

fn found_in(c: &provenant_catalog::Catalog) -> BTreeSet<String> {
    found(&c.components)
}
