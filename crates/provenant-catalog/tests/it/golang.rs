//! Go: `go.mod`/`go.sum` written by `go mod tidy` and a binary built by `go build` (Go 1.19), from
//! testdata/sbom/make-fixtures.sh; ground truth from `go list -m all` and `go version -m`.

use std::collections::BTreeSet;

use crate::support::{expected, fixture, found};
use provenant_catalog::{binary, catalog, golang};
use provenant_sbom::Scope;

/// SHA-256 hex of go.sum's `h1:` for `module version`.
fn h1_hex(module: &str, version: &str) -> String {
    use base64::Engine as _;
    let sum = std::fs::read_to_string(fixture("go-mod").join("go.sum")).unwrap();
    let line = sum
        .lines()
        .find(|l| l.starts_with(&format!("{module} {version} ")))
        .unwrap();
    let b64 = line.rsplit_once("h1:").unwrap().1;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    provenant_sbom::HashValue::from_bytes(provenant_sbom::HashAlg::Sha256, &bytes)
        .unwrap()
        .hex()
        .to_owned()
}

#[test]
fn go_mod_equals_go_list_with_hashes_and_direct() {
    let c = catalog(&fixture("go-mod")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.files, ["go.mod"]);
    assert_eq!(found_in(&c), expected("go-mod"));
    let greet = c
        .components
        .iter()
        .find(|c| c.name == "example.com/greet")
        .unwrap();
    assert_eq!(greet.purl.as_str(), "pkg:golang/example.com/greet@v1.2.0");
    assert_eq!(greet.scope, Scope::Direct);
    assert_eq!(
        greet.hashes.iter().next().unwrap().hex(),
        h1_hex("example.com/greet", "v1.2.0")
    );
    let words = c
        .components
        .iter()
        .find(|c| c.name == "example.com/words")
        .unwrap();
    assert_eq!(words.scope, Scope::Transitive, "// indirect");
}

#[test]
fn go_binary_build_info_equals_go_version_m() {
    // As part of a directory (an executable file) and as a single-file target.
    for target in [fixture("go-bin"), fixture("go-bin").join("hello")] {
        let c = catalog(&target).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(found_in(&c), expected("go-bin"), "{}", target.display());
        let stdlib = c.components.iter().find(|c| c.name == "stdlib").unwrap();
        assert_eq!(stdlib.purl.as_str(), "pkg:golang/stdlib@1.19.8");
        assert_eq!(stdlib.license.as_deref(), Some("BSD-3-Clause"));
        assert!(stdlib.hashes.is_empty());
        for comp in c
            .components
            .iter()
            .filter(|c| c.name != "stdlib" && c.version != binary::GO_DEVEL)
        {
            assert_eq!(
                comp.hashes.iter().next().unwrap().hex(),
                h1_hex(&comp.name, &comp.version),
                "the binary records the same h1: as go.sum"
            );
            assert_eq!(comp.evidence.iter().next().unwrap().method, binary::METHOD_GO);
        }
    }
}

/// `go install example.com/hello@v1.2.30` records the main module's version instead of `(devel)`: it
/// is then a component; the toolchain version decides the standard library's.
#[test]
fn a_versioned_main_module_and_the_toolchain_are_components() {
    let bytes = std::fs::read(fixture("go-bin").join("hello")).unwrap();
    let patch = |bytes: &[u8], from: &[u8], to: &[u8]| -> Vec<u8> {
        // Every copy (the build information and the runtime's own modinfo string).
        assert_eq!(from.len(), to.len());
        let mut out = bytes.to_vec();
        let mut found = 0;
        while let Some(at) = out.windows(from.len()).position(|w| w == from) {
            out[at..at + to.len()].copy_from_slice(to);
            found += 1;
        }
        assert!(found > 0);
        out
    };
    let versioned = patch(
        &bytes,
        b"example.com/hello\t(devel)",
        b"example.com/hello\tv1.2.30",
    );
    let comps = binary::parse("hello", &versioned).unwrap();
    let purls: BTreeSet<&str> = comps.iter().map(|c| c.purl.as_str()).collect();
    assert_eq!(
        purls,
        BTreeSet::from([
            "pkg:golang/example.com/greet@v1.2.0",
            "pkg:golang/example.com/words@v0.3.1",
            "pkg:golang/example.com/hello@v1.2.30",
            "pkg:golang/stdlib@1.19.8",
        ])
    );
    // A development toolchain names no release: no standard library component.
    let at = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
    assert_eq!(
        &bytes[at + 32..at + 41],
        b"\x08go1.19.8",
        "the toolchain version follows the header"
    );
    let mut devel = bytes.clone();
    devel[at + 33..at + 41].copy_from_slice(b"devel-go");
    let comps = binary::parse("hello", &devel).unwrap();
    assert!(comps.iter().all(|c| c.name != "stdlib"));
    assert_eq!(comps.len(), 3);
}

#[test]
fn go_mod_replace_and_errors() {
    let gomod = "module example.com/app\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.1.0 // indirect\n\t\
                 example.com/local v0.0.0\n)\n\nreplace github.com/a/b => github.com/fork/b v1.0.1\nreplace example.com/local => ../local\n";
    let comps = golang::parse("go.mod", gomod.as_bytes(), None).unwrap();
    let purls: Vec<(&str, Scope)> = comps.iter().map(|c| (c.purl.as_str(), c.scope)).collect();
    assert_eq!(
        purls,
        [
            ("pkg:golang/github.com/fork/b@v1.0.1", Scope::Direct),
            ("pkg:golang/github.com/c/d@v0.1.0", Scope::Transitive)
        ]
    );
    let w = golang::parse("go.mod", b"module x\nrequire a\n", None).unwrap_err();
    assert_eq!(w.line, Some(2), "{w}");
    assert!(
        golang::parse("go.mod", b"require a v1\n", None).is_err(),
        "no module directive"
    );
}

#[test]
fn truncated_or_corrupt_binaries_warn_and_never_panic() {
    let bytes = std::fs::read(fixture("go-bin").join("hello")).unwrap();
    let at = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
    // Cut inside the build information: a warning, not a panic.
    assert!(binary::parse("hello", &bytes[..at + 40]).is_err());
    // Section header table pointing past the end: read as "no section".
    let mut bad = bytes.clone();
    bad[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(binary::parse("hello", &bad).unwrap().len(), 4);
    assert!(binary::parse("x", b"not an elf").is_err());
    for cut in (0..at).step_by(4099) {
        let _ = binary::parse("hello", &bytes[..cut]);
    }
}

proptest::proptest! {
    #[test]
    fn any_bytes_after_elf_magic_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let mut b = b"\x7fELF\x02\x01".to_vec();
        b.extend_from_slice(&tail);
        let _ = binary::parse("x", &b);
        let mut g = b"\x7fELF".to_vec();
        g.extend_from_slice(b"\xff Go buildinf:\x08\x02");
        g.extend_from_slice(&tail);
        let _ = binary::parse("x", &g);
    }

    #[test]
    fn any_text_lockfile_never_panics(text in "\\PC{0,400}") {
        let _ = golang::parse("go.mod", text.as_bytes(), Some(text.as_bytes()));
        let _ = provenant_catalog::yarn::parse("yarn.lock", text.as_bytes(), Some(text.as_bytes()));
        let _ = provenant_catalog::pnpm::parse("pnpm-lock.yaml", text.as_bytes());
        let _ = provenant_catalog::pylock::parse_poetry("poetry.lock", text.as_bytes(), Some(text.as_bytes()));
        let _ = provenant_catalog::pylock::parse_pipfile("Pipfile.lock", text.as_bytes(), Some(text.as_bytes()));
        let _ = provenant_catalog::nodepkg::parse("package.json", text.as_bytes());
    }
}

fn found_in(c: &provenant_catalog::Catalog) -> BTreeSet<String> {
    found(&c.components)
}

#[test]
fn go_build_info_is_read_from_windows_pe_and_macos_mach_o_builds() {
    // The same program cross-built by `go build` with GOOS=windows and GOOS=darwin.
    let dir = fixture("go-bin-cross");
    for name in ["hello.exe", "hello-darwin"] {
        let c = catalog(&dir.join(name)).unwrap();
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        assert_eq!(found_in(&c), expected("go-bin-cross"), "{name}");
    }
    // Found by their magic number in a directory walk too.
    let c = catalog(&dir).unwrap();
    assert_eq!(c.files, ["hello-darwin", "hello.exe"]);
    assert_eq!(found_in(&c), expected("go-bin-cross"));
}

/// Debian's Go programs (built outside module mode: the build information names the main package's path and
/// no `mod` line) have their main module listed as syft lists it: the package path as the name, its first
/// three segments as the package URL's name and the rest as its subpath. syft's own SBOM is the reference.
#[test]
fn go_binaries_lose_their_main_module() {
    use std::process::Command;
    let t = tempfile::tempdir().unwrap();
    for program in ["skopeo", "umoci", "docker-registry"] {
        std::fs::copy(
            provenant_testkit::require_on_path(program),
            t.path().join(program),
        )
        .unwrap();
    }
    let ours = catalog(t.path()).unwrap();
    assert!(ours.warnings.is_empty(), "{:?}", ours.warnings);
    let out = t.path().join("syft.json");
    let status = Command::new(provenant_testkit::require_venv_tool("syft", "syft"))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", t.path().display()))
        .args(["-q", "-o"])
        .arg(format!("syft-json={}", out.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let syft_mains: Vec<(String, String, String)> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["metadata"]["mainModule"] == a["name"])
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["version"].as_str().unwrap().to_owned(),
                a["purl"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        syft_mains.len(),
        3,
        "syft lists the three main modules: {syft_mains:?}"
    );
    for (name, version, purl) in &syft_mains {
        let c = ours
            .components
            .iter()
            .find(|c| &c.name == name)
            .unwrap_or_else(|| panic!("{name} is missing: {:?}", found(&ours.components)));
        // The version where the build information states one; syft also reads one out of the program's
        // strings (docker-registry's v2.8.2+ds1), which the build information does not state.
        let encoded = |v: &str| v.replace('+', "%2B");
        if c.version == binary::GO_DEVEL {
            assert_eq!(
                purl.replacen(&format!("@{}", encoded(version)), "@(devel)", 1),
                c.purl.as_str(),
                "{name}"
            );
        } else {
            assert_eq!((&c.version, c.purl.as_str()), (version, purl.as_str()), "{name}");
        }
    }
    assert!(
        ours.components
            .iter()
            .any(|c| c.purl.as_str() == "pkg:golang/github.com/containers/skopeo@(devel)#cmd/skopeo")
    );
}

/// A module-mode build in a work tree: the main module is listed as `(devel)`, as syft lists it.
#[test]
fn go_binaries_lose_their_main_module_devel_builds() {
    let bytes = std::fs::read(fixture("go-bin").join("hello")).unwrap();
    let comps = binary::parse("hello", &bytes).unwrap();
    let main = comps.iter().find(|c| c.name == "example.com/hello").unwrap();
    assert_eq!(main.version, "(devel)");
    assert_eq!(main.purl.as_str(), "pkg:golang/example.com/hello@(devel)");
}
