//! The ELF section-table reader against GNU binutils: `readelf`'s listing of a real executable, and
//! `objcopy`'s objects of every class and byte order; and hostile headers.

use std::path::Path;
use std::process::Command;

use provenant_archive::elf::{ElfError, NoteError, ProgramHeaders, Table, notes};

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

#[test]
fn the_segments_of_a_real_executable_are_those_readelf_lists() {
    let exe = std::env::current_exe().unwrap();
    let bytes = std::fs::read(&exe).unwrap();
    let out = Command::new(tool("readelf"))
        .args(["-l", "-W"])
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success());
    // Lines "  TYPE OFFSET VIRTADDR PHYSADDR FILESIZ MEMSIZ FLG... ALIGN", after "Program Headers:".
    let text = String::from_utf8(out.stdout).unwrap();
    let listed: Vec<(String, u64, u64, u64, String)> = text
        .lines()
        .skip_while(|l| !l.starts_with("Program Headers:"))
        .skip(2)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with('['))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
            (
                f[0].to_owned(),
                hex(f[1]),
                hex(f[2]),
                hex(f[4]),
                f[6..f.len() - 1].concat(),
            )
        })
        .collect();
    let headers = ProgramHeaders::read(&bytes).unwrap();
    assert_eq!(headers.count(), listed.len());
    assert!(listed.iter().any(|l| l.0 == "LOAD"), "{listed:?}");
    let segments: Vec<_> = headers.segments().collect();
    assert_eq!(segments.len(), listed.len());
    for (s, (kind, offset, addr, file_size, flags)) in segments.iter().zip(&listed) {
        assert_eq!(s.is_load(), kind == "LOAD", "{kind}");
        assert_eq!(
            (s.offset, s.addr, s.file_size),
            (*offset, *addr, *file_size),
            "{kind}"
        );
        assert_eq!(s.is_writable(), flags.contains('W'), "{kind} {flags}");
        assert_eq!(s.is_executable(), flags.contains('E'), "{kind} {flags}");
    }
}

#[test]
fn sections_carry_their_flags_and_addresses() {
    let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let table = Table::read(&bytes).unwrap();
    assert!(table.headers_fit());
    let text = table.sections().find(|s| table.name_is(s, ".text")).unwrap();
    assert!(text.is_alloc() && text.addr != 0);
    assert_eq!(text.file_size(), text.size);
    let bss = table.sections().find(|s| table.name_is(s, ".bss")).unwrap();
    assert!(bss.is_alloc());
    assert_eq!(bss.file_size(), 0);
    assert!(!table.name_is(&text, ".tex") && !table.name_is(&text, ".text.x"));
    assert_eq!(table.sections().count(), table.count());
}

#[test]
fn program_headers_refuse_what_is_not_an_elf_header_by_name() {
    assert_eq!(ProgramHeaders::read(b"MZ\0\0").unwrap_err(), ElfError::NotElf);
    assert_eq!(ProgramHeaders::read(b"\x7fELF").unwrap_err(), ElfError::Truncated);
    assert_eq!(
        ProgramHeaders::read(b"\x7fELF\x03\x01").unwrap_err(),
        ElfError::Class { class: 3 }
    );
    assert_eq!(
        ProgramHeaders::read(b"\x7fELF\x02\x00").unwrap_err(),
        ElfError::Encoding { encoding: 0 }
    );
    assert_eq!(
        ProgramHeaders::read(b"\x7fELF\x02\x01\x01").unwrap_err(),
        ElfError::Truncated
    );
}

#[test]
fn hostile_program_headers_are_bounded_by_the_file() {
    let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let mut head = bytes[..4096].to_vec();
    // 65535 program headers declared: the walk stops at the end of the file.
    head[0x38..0x3a].copy_from_slice(&u16::MAX.to_le_bytes());
    let headers = ProgramHeaders::read(&head).unwrap();
    assert!(headers.segments().count() <= head.len() / 56);
    // Headers past the end, at an offset whose sum overflows, or smaller than a program header.
    for (at, value) in [(0x20, u64::MAX), (0x20, u64::MAX - 8), (0x20, 4096)] {
        let mut bad = head.clone();
        bad[at..at + 8].copy_from_slice(&value.to_le_bytes());
        assert_eq!(ProgramHeaders::read(&bad).unwrap().segments().count(), 0);
    }
    let mut bad = head.clone();
    bad[0x36..0x38].copy_from_slice(&8u16.to_le_bytes());
    assert_eq!(ProgramHeaders::read(&bad).unwrap().segments().count(), 0);
    // Section headers at an offset near the end of the address space are outside the file.
    let mut bad = head.clone();
    bad[0x28..0x30].copy_from_slice(&(u64::MAX - 8).to_le_bytes());
    bad[0x3e..0x40].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(Table::read(&bad).unwrap_err(), ElfError::NoNames);
}

/// A note in little-endian order.
fn note(name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&u32::try_from(name.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&u32::try_from(desc.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(name);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(desc);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

#[test]
fn notes_are_read_in_order_and_a_bad_one_ends_the_walk() {
    let mut section = note(b"GNU\0", 3, b"\x01\x02\x03\x04\x05");
    section.extend(note(b"FDO\0", 0xcafe_1a7e, b"{}\0"));
    let read: Vec<_> = notes(&section, true).collect::<Result<_, _>>().unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(
        (read[0].name, read[0].kind, read[0].desc),
        (&b"GNU\0"[..], 3, &b"\x01\x02\x03\x04\x05"[..])
    );
    assert_eq!(
        (read[1].name, read[1].kind, read[1].desc),
        (&b"FDO\0"[..], 0xcafe_1a7e, &b"{}\0"[..])
    );
    // Big-endian sizes read as little-endian run past the section.
    assert_eq!(
        notes(&section, false).next(),
        Some(Err(NoteError::PastEnd { at: 0 }))
    );
    let cases: [(Vec<u8>, NoteError); 4] = [
        (section[..20].to_vec(), NoteError::PastEnd { at: 0 }),
        (section[..8].to_vec(), NoteError::Header { at: 0 }),
        (
            [&u32::MAX.to_le_bytes()[..], &[0; 8]].concat(),
            NoteError::PastEnd { at: 0 },
        ),
        (
            [&section[..], &[1, 0, 0]].concat(),
            NoteError::Header { at: section.len() },
        ),
    ];
    for (bytes, error) in cases {
        let last = notes(&bytes, true).last().unwrap();
        assert_eq!(last, Err(error.clone()), "{bytes:?}");
        assert_eq!(notes(&bytes, true).filter(Result::is_err).count(), 1);
    }
    assert_eq!(notes(&[], true).count(), 0);
    assert_eq!(
        NoteError::PastEnd { at: 0 }.to_string(),
        "a note runs past the section"
    );
}

/// A little-endian ELF64 object: a section-name table of `names`, then `extra` sections whose names
/// all start at its first byte.
fn object_with_names(names: &[u8], extra: u16) -> Vec<u8> {
    let count = 2 + extra;
    let mut out = vec![0u8; 64];
    out[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    out[0x34..0x36].copy_from_slice(&64u16.to_le_bytes());
    out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&count.to_le_bytes());
    out[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
    let table_at = 64u64;
    let names_at = table_at + 64 * u64::from(count);
    out[0x28..0x30].copy_from_slice(&table_at.to_le_bytes());
    for i in 0..count {
        let mut header = [0u8; 64];
        if i == 1 {
            header[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
            header[24..32].copy_from_slice(&names_at.to_le_bytes());
            header[32..40].copy_from_slice(&(names.len() as u64).to_le_bytes());
        }
        out.extend_from_slice(&header);
    }
    out.extend_from_slice(names);
    out
}

#[test]
fn a_name_without_its_nul_is_cut_at_max_name() {
    // A megabyte of name bytes without a NUL, and a thousand sections named by it: each name read
    // stops at MAX_NAME bytes rather than running to the table's end.
    let names = vec![b'a'; 1 << 20];
    let bytes = object_with_names(&names, 1000);
    let table = Table::read(&bytes).unwrap();
    let lengths: Vec<usize> = table
        .sections()
        .skip(1)
        .map(|s| table.name(&s).unwrap().len())
        .collect();
    assert_eq!(lengths.len(), 1001);
    assert!(
        lengths.iter().all(|&n| n == provenant_archive::elf::MAX_NAME),
        "{:?}",
        &lengths[..3]
    );
    // A short name with its NUL reads as it is.
    let bytes = object_with_names(b"short\0", 1);
    let table = Table::read(&bytes).unwrap();
    let section = table.sections().nth(2).unwrap();
    assert_eq!(table.name(&section), Some(&b"short"[..]));
}
