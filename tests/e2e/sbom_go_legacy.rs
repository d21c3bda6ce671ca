//! `provenant sbom generate` on a directory of Go binaries built before Go 1.18 (build information in the
//! pointer format): esbuild's per-platform npm packages as `tests/harness/setup.sh` fetches them, with
//! `go version -m` (which reads both formats) as the ground truth.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::sbom::{cdx_set, cdx_strict, generate, json};
use crate::support::{run, stderr};

/// `golang name version` lines for what `go version -m` lists: dependencies after their replacements,
/// the main module when it has a version, and the standard library of the toolchain.
fn go_version_m(bin: &Path) -> BTreeSet<String> {
    let go = provenant_testkit::require_on_path("go");
    let o = run(Command::new(go).args(["version", "-m"]).arg(bin));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let toolchain = lines.next().unwrap().rsplit_once(": go").unwrap().1;
    let mut modules: Vec<(String, String)> = Vec::new();
    let mut main = None;
    for line in lines {
        let f: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        let module = (f[1].to_owned(), f.get(2).copied().unwrap_or("").to_owned());
        match f[0] {
            "mod" => main = Some(module),
            "dep" => modules.push(module),
            "=>" => *modules.last_mut().unwrap() = module,
            _ => {}
        }
    }
    modules.extend(main);
    let mut set: BTreeSet<String> = modules
        .into_iter()
        .filter(|m| !m.1.is_empty())
        .map(|(p, v)| format!("golang {p} {v}"))
        .collect();
    set.insert(format!("golang stdlib {toolchain}"));
    set
}

#[test]
fn pre_go_1_18_binaries_in_a_directory_are_listed_as_go_version_m_lists_them() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("dist");
    let mut expected = BTreeSet::new();
    for (package, bin, to) in [
        ("esbuild-linux-64-0.5.26", "package/bin/esbuild", "linux/esbuild"),
        (
            "esbuild-linux-s390x-0.14.10",
            "package/bin/esbuild",
            "s390x/esbuild",
        ),
        (
            "esbuild-darwin-arm64-0.14.10",
            "package/bin/esbuild",
            "darwin/esbuild",
        ),
        (
            "esbuild-windows-32-0.14.10",
            "package/esbuild.exe",
            "windows/esbuild.exe",
        ),
    ] {
        let from = provenant_testkit::require_fixture("go-legacy", &format!("{package}/{bin}"));
        expected.extend(go_version_m(&from));
        let to = target.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    // Two toolchains (go1.14.2 and go1.17.5), two versions of golang.org/x/sys, and the main module.
    assert!(expected.contains("golang stdlib 1.14.2") && expected.contains("golang stdlib 1.17.5"));
    assert!(expected.contains("golang github.com/evanw/esbuild (devel)"));
    assert_eq!(expected.len(), 5, "{expected:?}");

    let out = tmp.path().join("bom.json");
    let o = generate(&target, "cyclonedx-json", &out, Some("0"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    cdx_strict(&out);
    let doc = json(&out);
    assert_eq!(cdx_set(&doc), expected);
    assert!(
        doc["metadata"].get("properties").is_none(),
        "a complete catalog: {}",
        doc["metadata"]
    );
    // Each module's evidence names the binary it was read from.
    let text = std::fs::read_to_string(&out).unwrap();
    for file in [
        "linux/esbuild",
        "s390x/esbuild",
        "darwin/esbuild",
        "windows/esbuild.exe",
    ] {
        assert!(text.contains(file), "{file} named as evidence");
    }
}
