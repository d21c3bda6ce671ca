//! The zip reader against archives made by Info-ZIP's `zip`, and against hostile archives made here.

use std::io::Write as _;
use std::path::Path;

use provenant_archive::zip::{self, Budget, ZipError};

/// An archive made by the `zip` tool from `files` (name, content), stored (`-0`) or deflated.
fn zip_tool(dir: &Path, files: &[(&str, &[u8])], level: &str) -> Vec<u8> {
    let tool = provenant_testkit::require_on_path("zip");
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let out = dir.join("out.zip");
    let status = std::process::Command::new(tool)
        .current_dir(dir)
        .args(["-q", "-X", level, "out.zip"])
        .args(files.iter().map(|(n, _)| *n))
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_file(out).unwrap();
    bytes
}

/// A one-entry archive written here: `declared` as the uncompressed size, `data` as stored, `method`
/// and `flags` as given.
fn one_entry(name: &str, data: &[u8], declared: u32, method: u16, flags: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let n = name.len() as u16;
    let len = data.len() as u32;
    // Local header.
    out.extend_from_slice(b"PK\x03\x04");
    for v in [20u16, flags, method, 0, 0x21] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0u32, len, declared] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    let cd = out.len() as u32;
    // Central directory entry.
    out.extend_from_slice(b"PK\x01\x02");
    for v in [0x031e_u16, 20, flags, method, 0, 0x21] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0u32, len, declared] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [n, 0, 0, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    let cd_size = out.len() as u32 - cd;
    end_record(&mut out, 1, cd_size, cd);
    out
}

fn end_record(out: &mut Vec<u8>, count: u16, cd_size: u32, cd: u32) {
    out.extend_from_slice(b"PK\x05\x06");
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn an_archive_made_by_the_zip_tool_lists_and_reads_every_entry_stored_or_deflated() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"Manifest-Version: 1.0\n".repeat(200);
    let files: [(&str, &[u8]); 3] = [
        ("META-INF/MANIFEST.MF", &text),
        ("a/b/empty.txt", b""),
        ("a/c.bin", &[0, 1, 2, 3, 255]),
    ];
    for level in ["-0", "-9"] {
        let bytes = zip_tool(dir.path(), &files, level);
        let directory = zip::entries(&bytes, 100).unwrap();
        assert!(!directory.truncated());
        assert_eq!(directory.declared, 3);
        let names: Vec<&str> = directory.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["META-INF/MANIFEST.MF", "a/b/empty.txt", "a/c.bin"],
            "{level}"
        );
        for (e, (_, content)) in directory.entries.iter().zip(files) {
            assert_eq!(
                zip::read(&bytes, e, 1 << 20).unwrap(),
                content,
                "{level} {}",
                e.name
            );
            assert!(e.made_by_unix(), "{}", e.name);
            assert_eq!((e.external_attributes >> 16) & 0o170_000, 0o100_000, "{}", e.name);
            // -X: no extra fields.
            assert_eq!(e.extra(&bytes), Some(&[][..]));
        }
        let manifest = &directory.entries[0];
        assert_eq!(manifest.method, if level == "-0" { 0 } else { 8 });
        assert_eq!(manifest.size, text.len() as u64);
        // A limit below the entry's size is refused before anything is inflated.
        assert_eq!(
            zip::read(&bytes, manifest, 100),
            Err(ZipError::TooLarge {
                name: "META-INF/MANIFEST.MF".to_owned(),
                limit: 100
            })
        );
    }
}

#[test]
fn entries_past_the_callers_bound_are_left_unread_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..30).map(|i| (format!("f{i:02}"), vec![b'x'; i])).collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    let bytes = zip_tool(dir.path(), &refs, "-6");
    let directory = zip::entries(&bytes, 10).unwrap();
    assert_eq!(directory.entries.len(), 10);
    assert_eq!(directory.declared, 30);
    assert!(directory.truncated());
}

#[test]
fn an_entry_that_inflates_past_its_declared_size_stops_at_the_limit() {
    // A zip bomb: 64 MiB of zeros declared as 10 bytes.
    let data = deflate(&vec![0u8; 64 << 20]);
    let bytes = one_entry("bomb", &data, 10, 8, 0);
    let directory = zip::entries(&bytes, 10).unwrap();
    let e = &directory.entries[0];
    assert_eq!(
        zip::read(&bytes, e, 1 << 20),
        Err(ZipError::TooLarge {
            name: "bomb".to_owned(),
            limit: 1 << 20
        })
    );
}

#[test]
fn zip64_encryption_and_unknown_methods_are_refused_by_name() {
    let mut bytes = one_entry("x", b"abc", 3, 0, 0);
    let end = bytes.len() - 22;
    bytes[end + 10..end + 12].copy_from_slice(&0xffffu16.to_le_bytes());
    assert_eq!(
        zip::entries(&bytes, 10).unwrap_err(),
        ZipError::Unsupported {
            what: "ZIP64".to_owned()
        }
    );
    let bytes = one_entry("secret", b"abc", 3, 0, 1);
    let e = zip::entries(&bytes, 10).unwrap().entries.remove(0);
    assert_eq!(
        zip::read(&bytes, &e, 100).unwrap_err().to_string(),
        "unsupported zip feature: encrypted entry secret"
    );
    let bytes = one_entry("bzip", b"abc", 3, 12, 0);
    let e = zip::entries(&bytes, 10).unwrap().entries.remove(0);
    assert_eq!(
        zip::read(&bytes, &e, 100).unwrap_err().to_string(),
        "unsupported zip feature: compression method 12 in bzip"
    );
}

#[test]
fn structures_pointing_outside_the_archive_are_corrupt_and_name_the_structure() {
    let good = one_entry("x.txt", b"hello", 5, 0, 0);
    assert_eq!(zip::entries(b"not a zip", 10).unwrap_err(), ZipError::NotZip);
    assert_eq!(
        zip::entries(&good[..good.len() - 23], 10).unwrap_err(),
        ZipError::NotZip
    );
    // The central directory's offset past the end.
    let mut bad = good.clone();
    let end = bad.len() - 22;
    bad[end + 16..end + 20].copy_from_slice(&u32::MAX.wrapping_sub(1).to_le_bytes());
    assert_eq!(
        zip::entries(&bad, 10).unwrap_err(),
        ZipError::Corrupt {
            what: "central directory entry"
        }
    );
    // The local header's offset past the end: listed, not read.
    let mut bad = good.clone();
    let cd = bad.len() - 22 - (46 + 5);
    bad[cd + 42..cd + 46].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let e = zip::entries(&bad, 10).unwrap().entries.remove(0);
    assert_eq!(
        zip::read(&bad, &e, 100).unwrap_err(),
        ZipError::Corrupt { what: "local header" }
    );
    // The compressed size past the end.
    let mut bad = good.clone();
    bad[cd + 20..cd + 24].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let e = zip::entries(&bad, 10).unwrap().entries.remove(0);
    assert_eq!(
        zip::raw(&bad, &e).unwrap_err(),
        ZipError::Corrupt { what: "entry data" }
    );
}

#[test]
fn every_truncation_and_byte_flip_of_an_archive_is_an_error_or_bounded_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"Main-Class: a.B\n".repeat(50);
    let files: [(&str, &[u8]); 2] = [
        ("META-INF/MANIFEST.MF", &text),
        ("a/B.class", b"\xca\xfe\xba\xbe"),
    ];
    let bytes = zip_tool(dir.path(), &files, "-9");
    let read_all = |b: &[u8]| {
        if let Ok(directory) = zip::entries(b, 100) {
            assert!(directory.entries.len() <= 100);
            for e in &directory.entries {
                let _ = e.extra(b);
                if let Ok(out) = zip::read(b, e, 4096) {
                    assert!(out.len() <= 4096);
                }
            }
        }
    };
    crate::every_truncation_and_flip(&bytes, read_all);
}

#[test]
fn a_budget_refuses_the_entry_that_would_take_an_archive_past_its_total() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..4u8)
        .map(|i| (format!("f{i}"), vec![b'a' + i; 1000]))
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    let bytes = zip_tool(dir.path(), &refs, "-9");
    let directory = zip::entries(&bytes, 10).unwrap();
    let mut budget = Budget::new(2500);
    for e in &directory.entries[..2] {
        assert_eq!(budget.read(&bytes, e, 1 << 20).unwrap().len(), 1000);
    }
    assert_eq!(budget.left(), 500);
    assert_eq!(
        budget.read(&bytes, &directory.entries[2], 1 << 20),
        Err(ZipError::TotalTooLarge {
            name: "f2".to_owned(),
            total: 2500
        })
    );
    // The entry's own bound is named when it is the smaller.
    assert_eq!(
        budget.read(&bytes, &directory.entries[3], 100),
        Err(ZipError::TooLarge {
            name: "f3".to_owned(),
            limit: 100
        })
    );
    assert_eq!(budget.left(), 500);
}

#[test]
fn a_deflated_entry_past_the_ratio_bound_is_refused_before_it_reaches_the_callers_limit() {
    // 64 MiB of zeros deflates about a thousand times: allowed by a generous limit, refused by its ratio,
    // and inflation stops at the ratio bound instead of filling 64 MiB.
    let data = deflate(&vec![0u8; 64 << 20]);
    let bytes = one_entry("bomb", &data, 64 << 20, 8, 0);
    let directory = zip::entries(&bytes, 10).unwrap();
    let e = &directory.entries[0];
    assert_eq!(
        zip::read(&bytes, e, 1 << 30),
        Err(ZipError::RatioTooHigh {
            name: "bomb".to_owned(),
            compressed: data.len() as u64,
        })
    );
    // Small entries of repeated bytes are within the grace whatever their ratio.
    let small = deflate(&vec![0u8; 512 << 10]);
    let bytes = one_entry("zeros", &small, 512 << 10, 8, 0);
    let directory = zip::entries(&bytes, 10).unwrap();
    assert_eq!(
        zip::read(&bytes, &directory.entries[0], 1 << 30).unwrap().len(),
        512 << 10
    );
}
