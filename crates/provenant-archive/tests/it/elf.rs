//! The ELF section-table reader against GNU binutils: `readelf`'s listing of a real executable, and
//! `objcopy`'s objects of every class and byte order; and hostile headers.

use std::path::Path;
use std::process::Command;

use provenant_archive::elf::{ElfError, Table};

fn tool(name: &str) -> std::path::PathBuf {
    provenant_testkit::require_on_path(name)
}

#[test]
fn the_sections_of_a_real_executable_are_those_readelf_lists() {
    let exe = std::env::current_exe().unwrap();
    let bytes = std::fs::read(&exe).unwrap();
    let out = Command::new(tool("readelf"))
        .args(["-S", "-W"])
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success());
    // Lines "  [ N] NAME TYPE ADDRESS OFFSET SIZE ...".
    let listed: Vec<(String, String, u64, u64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?;
            let (index, rest) = rest.split_once(']')?;
            let index: usize = index.trim().parse().ok()?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            (index > 0).then(|| {
                (
                    fields[0].to_owned(),
                    fields[1].to_owned(),
                    u64::from_str_radix(fields[3], 16).unwrap(),
                    u64::from_str_radix(fields[4], 16).unwrap(),
                )
            })
        })
        .collect();
    let table = Table::read(&bytes).unwrap();
    assert_eq!(table.count(), listed.len() + 1);
    assert!(listed.len() > 10, "{listed:?}");
    for (i, (name, kind, offset, size)) in listed.iter().enumerate() {
        let s = table.section(i + 1).unwrap();
        assert_eq!(table.name(&s).unwrap(), name.as_bytes(), "section {}", i + 1);
        assert_eq!((s.offset, s.size), (*offset, *size), "{name}");
        let data = s.data(&bytes).unwrap();
        if kind == "NOBITS" {
            assert!(data.is_empty(), "{name}");
        } else {
            assert_eq!(data.len() as u64, *size, "{name}");
        }
    }
}

#[test]
fn a_section_is_found_by_name_in_objects_of_every_class_and_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("payload");
    let payload = b"{\"packages\":[]} cargo auditable stand-in".repeat(10);
    std::fs::write(&input, &payload).unwrap();
    for target in ["elf32-little", "elf32-big", "elf64-little", "elf64-big"] {
        let out = dir.path().join(target);
        let status = Command::new(tool("objcopy"))
            .args(["-I", "binary", "-O", target])
            .arg(&input)
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{target}");
        let bytes = std::fs::read(Path::new(&out)).unwrap();
        let table = Table::read(&bytes).unwrap();
        assert_eq!(table.find(".data"), Some(&payload[..]), "{target}");
        assert_eq!(table.find(".dep-v0"), None, "{target}");
    }
}

#[test]
fn a_short_header_or_a_name_table_outside_the_file_is_refused_by_name() {
    assert_eq!(Table::read(b"\x7fELF").unwrap_err(), ElfError::Truncated);
    let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    // e_shstrndx (64-bit: at 0x3e) pointing past the table.
    let mut bad = bytes.clone();
    bad[0x3e..0x40].copy_from_slice(&0xfff0u16.to_le_bytes());
    assert_eq!(Table::read(&bad).unwrap_err(), ElfError::NoNames);
    // e_shoff past the end of the file.
    let mut bad = bytes[..4096].to_vec();
    bad[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(Table::read(&bad).unwrap_err(), ElfError::NoNames);
}

#[test]
fn every_truncation_and_byte_flip_of_an_object_is_an_error_or_bounded_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("payload");
    std::fs::write(&input, b"abc").unwrap();
    let out = dir.path().join("o");
    let status = Command::new(tool("objcopy"))
        .args(["-I", "binary", "-O", "elf64-little"])
        .arg(&input)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&out).unwrap();
    let read_all = |b: &[u8]| {
        if let Ok(table) = Table::read(b) {
            for i in 0..table.count() {
                if let Some(s) = table.section(i) {
                    let _ = table.name(&s);
                    if let Some(d) = s.data(b) {
                        assert!(d.len() <= b.len());
                    }
                }
            }
            let _ = table.find(".data");
        }
    };
    crate::every_truncation_and_flip(&bytes, read_all);
}
