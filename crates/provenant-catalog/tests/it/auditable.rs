//! Rust binaries built with `cargo auditable` (testdata/sbom/make-fixtures.sh); ground truth from
//! `cargo tree` over the same lockfile.

use std::collections::BTreeSet;
use std::io::Write as _;

use provenant_catalog::{binary, catalog};
use provenant_sbom::Scope;

fn fixture() -> std::path::PathBuf {
    provenant_testkit::repo_root().join("testdata/sbom/cargo-auditable")
}

#[test]
fn dep_v0_section_equals_cargo_tree() {
    let c = catalog(&fixture()).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.files, ["audited-app"]);
    let found: BTreeSet<String> = c
        .components
        .iter()
        .map(|c| format!("cargo {} {}", c.name, c.version))
        .collect();
    let want: BTreeSet<String> = std::fs::read_to_string(fixture().join("expected.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(found, want);
    assert!(c.components.iter().all(|c| c.scope == Scope::Direct));
    assert!(
        c.components
            .iter()
            .all(|c| c.evidence.iter().next().unwrap().method == binary::METHOD_AUDITABLE)
    );
}

/// A minimal 64-bit little-endian ELF with one named section holding `data`.
fn elf_with_section(name: &str, data: &[u8]) -> Vec<u8> {
    let strtab = format!("\0{name}\0.shstrtab\0");
    let mut b = vec![0u8; 64];
    b[..6].copy_from_slice(b"\x7fELF\x02\x01");
    let data_off = b.len();
    b.extend_from_slice(data);
    let str_off = b.len();
    b.extend_from_slice(strtab.as_bytes());
    let sh_off = b.len();
    let section = |name_idx: u32, off: usize, size: usize| {
        let mut s = vec![0u8; 64];
        s[..4].copy_from_slice(&name_idx.to_le_bytes());
        s[4..8].copy_from_slice(&1u32.to_le_bytes());
        s[24..32].copy_from_slice(&(off as u64).to_le_bytes());
        s[32..40].copy_from_slice(&(size as u64).to_le_bytes());
        s
    };
    b.extend(vec![0u8; 64]);
    b.extend(section(1, data_off, data.len()));
    b.extend(section(
        u32::try_from(name.len() + 2).unwrap(),
        str_off,
        strtab.len(),
    ));
    b[0x28..0x30].copy_from_slice(&(sh_off as u64).to_le_bytes());
    b[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    b[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    b[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    b
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn constructed_dep_v0_git_sources_edges_and_bombs() {
    // Per cargo-auditable's format: packages with indices as dependencies; the root is local.
    let json = br#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
        {"name":"a","version":"1.0.0","source":"crates.io","dependencies":[2]},
        {"name":"b","version":"2.0.0","source":"git","kind":"build"}]}"#;
    let comps = binary::parse("app", &elf_with_section(".dep-v0", &zlib(json))).unwrap();
    let got: Vec<(&str, Scope, usize)> = comps
        .iter()
        .map(|c| (c.purl.as_str(), c.scope, c.depends_on.len()))
        .collect();
    assert_eq!(
        got,
        [
            ("pkg:cargo/a@1.0.0", Scope::Direct, 1),
            ("pkg:cargo/b@2.0.0", Scope::Transitive, 0)
        ]
    );
    // A zlib bomb: 64 MiB of zeros compress to ~64 KiB; refused at the 8 MiB bound.
    let bomb = zlib(&vec![b' '; 64 << 20]);
    let w = binary::parse("app", &elf_with_section(".dep-v0", &bomb)).unwrap_err();
    assert!(w.message.contains("inflates beyond"), "{w}");
    let w = binary::parse("app", &elf_with_section(".dep-v0", b"not zlib")).unwrap_err();
    assert!(w.message.contains("inflate"), "{w}");
    // No section: nothing, no warning (most binaries).
    assert!(
        binary::parse("app", &elf_with_section(".text", b"\x90"))
            .unwrap()
            .is_empty()
    );
}
