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

/// A minimal PE (Windows) file with one section called `name` holding `data`.
fn pe_with_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 0x200];
    b[..2].copy_from_slice(b"MZ");
    b[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
    b[0x40..0x44].copy_from_slice(b"PE\0\0");
    b[0x44..0x46].copy_from_slice(&0x8664u16.to_le_bytes()); // x86-64
    b[0x46..0x48].copy_from_slice(&1u16.to_le_bytes()); // one section
    let s = 0x40 + 4 + 20; // no optional header
    b[s..s + name.len()].copy_from_slice(name.as_bytes());
    b[s + 8..s + 12].copy_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    b[s + 12..s + 16].copy_from_slice(&0x1000u32.to_le_bytes());
    // Raw data padded to a 512-byte file alignment, as linkers write it.
    let raw = data.len().div_ceil(512) * 512;
    b[s + 16..s + 20].copy_from_slice(&u32::try_from(raw).unwrap().to_le_bytes());
    b[s + 20..s + 24].copy_from_slice(&0x200u32.to_le_bytes());
    b.extend_from_slice(data);
    b.resize(0x200 + raw, 0);
    b
}

/// A minimal 64-bit little-endian Mach-O file with one `__DATA` section called `name` holding `data`.
fn macho_with_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 0x200];
    b[..4].copy_from_slice(&[0xcf, 0xfa, 0xed, 0xfe]);
    b[16..20].copy_from_slice(&1u32.to_le_bytes()); // one load command
    b[20..24].copy_from_slice(&(72u32 + 80).to_le_bytes());
    let c = 32;
    b[c..c + 4].copy_from_slice(&0x19u32.to_le_bytes()); // LC_SEGMENT_64
    b[c + 4..c + 8].copy_from_slice(&(72u32 + 80).to_le_bytes());
    b[c + 8..c + 14].copy_from_slice(b"__DATA");
    b[c + 64..c + 68].copy_from_slice(&1u32.to_le_bytes()); // one section
    let s = c + 72;
    b[s..s + name.len()].copy_from_slice(name.as_bytes());
    b[s + 16..s + 22].copy_from_slice(b"__DATA");
    b[s + 40..s + 48].copy_from_slice(&(data.len() as u64).to_le_bytes());
    b[s + 48..s + 52].copy_from_slice(&0x200u32.to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// A universal Mach-O file holding `slices`.
fn fat(slices: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0u8; 0x1000];
    b[..4].copy_from_slice(&[0xca, 0xfe, 0xba, 0xbe]);
    b[4..8].copy_from_slice(&u32::try_from(slices.len()).unwrap().to_be_bytes());
    for (i, slice) in slices.iter().enumerate() {
        let at = b.len().div_ceil(0x1000) * 0x1000;
        b.resize(at, 0);
        let e = 8 + i * 20;
        b[e + 8..e + 12].copy_from_slice(&u32::try_from(at).unwrap().to_be_bytes());
        b[e + 12..e + 16].copy_from_slice(&u32::try_from(slice.len()).unwrap().to_be_bytes());
        b.extend_from_slice(slice);
    }
    b
}

#[test]
fn dep_v0_is_read_from_pe_and_mach_o_thin_and_universal() {
    let json = br#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
        {"name":"a","version":"1.0.0","source":"crates.io","dependencies":[]}]}"#;
    let data = zlib(json);
    let other = macho_with_section("__text", b"\x90");
    for (what, bytes) in [
        ("pe", pe_with_section(".dep-v0", &data)),
        ("mach-o", macho_with_section(".dep-v0", &data)),
        (
            "universal",
            fat(&[other.clone(), macho_with_section(".dep-v0", &data)]),
        ),
    ] {
        let comps = binary::parse("app", &bytes).unwrap_or_else(|w| panic!("{what}: {w}"));
        let got: Vec<(&str, Scope)> = comps.iter().map(|c| (c.purl.as_str(), c.scope)).collect();
        assert_eq!(got, [("pkg:cargo/a@1.0.0", Scope::Direct)], "{what}");
    }
    // Executables without the section give nothing and no warning.
    for bytes in [pe_with_section(".text", b"\x90"), other.clone(), fat(&[other])] {
        assert!(binary::parse("app", &bytes).unwrap().is_empty());
    }
}

#[test]
fn hostile_executable_headers_are_refused_or_ignored_without_panicking() {
    let data = zlib(br#"{"packages":[]}"#);
    let mut cases = Vec::new();
    for good in [
        pe_with_section(".dep-v0", &data),
        macho_with_section(".dep-v0", &data),
    ] {
        // Every prefix, and every header byte set to 0xff in turn.
        for len in [0, 2, 4, 8, 0x3c, 0x44, 0x60, 0x100, good.len() - 1] {
            cases.push(good[..len.min(good.len())].to_vec());
        }
        for at in 0..0x120.min(good.len()) {
            let mut b = good.clone();
            b[at] = 0xff;
            cases.push(b);
        }
    }
    // A universal header claiming slices far outside the file.
    let mut f = fat(&[macho_with_section(".dep-v0", &data)]);
    f[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    cases.push(f);
    for bytes in cases {
        let _ = binary::parse("x", &bytes);
    }
    // A Java class file shares the universal binary's magic number; it is not an executable.
    assert!(!binary::is_executable(b"\xca\xfe\xba\xbe\x00\x00\x00\x34"));
    assert!(binary::is_executable(b"\xca\xfe\xba\xbe\x00\x00\x00\x02"));
}
