//! The Mach-O reader: constructed thin files of both word sizes and byte orders, universal files, and
//! hostile headers.

use provenant_archive::macho::{self, Image, MachOError, Universal};

/// Writes integers of one width and byte order.
struct Writer {
    wide: bool,
    big: bool,
    out: Vec<u8>,
}

impl Writer {
    fn int(&mut self, v: u64, len: usize) {
        let b = v.to_be_bytes();
        let mut field = b[8 - len..].to_vec();
        if !self.big {
            field.reverse();
        }
        self.out.extend_from_slice(&field);
    }
    fn word(&mut self, v: u64) {
        self.int(v, if self.wide { 8 } else { 4 });
    }
    fn name(&mut self, name: &str) {
        let mut field = name.as_bytes().to_vec();
        field.resize(16, 0);
        self.out.extend_from_slice(&field);
    }
}

/// Where the constructed file's section data is.
const DATA: u64 = 0x400;

/// A thin Mach-O file: `__PAGEZERO`, then a read-write `__DATA` segment at 0x1000 whose sections are
/// `(name, bytes)`, the bytes from [`DATA`] on.
fn thin(wide: bool, big: bool, sections: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = Writer {
        wide,
        big,
        out: Vec::new(),
    };
    let (cmd, header, each) = if wide { (0x19, 72, 80) } else { (0x1, 56, 68) };
    let data_cmd = header + each * sections.len() as u64;
    w.int(if wide { 0xfeed_facf } else { 0xfeed_face }, 4);
    for v in [7, 3, 2, 2, header + data_cmd, 0] {
        w.int(v, 4);
    }
    if wide {
        w.int(0, 4);
    }
    let total: u64 = sections.iter().map(|(_, d)| d.len() as u64).sum();
    for (name, addr, size, fileoff, prot, n, cmdsize) in [
        ("__PAGEZERO", 0, 0, 0, 0, 0, header),
        ("__DATA", 0x1000, total, DATA, 3, sections.len() as u64, data_cmd),
    ] {
        w.int(cmd, 4);
        w.int(cmdsize, 4);
        w.name(name);
        for v in [addr, size, fileoff, size] {
            w.word(v);
        }
        for v in [prot, prot, n, 0] {
            w.int(v, 4);
        }
    }
    let mut at = DATA;
    for (name, data) in sections {
        w.name(name);
        w.name("__DATA");
        w.word(0x1000 + at - DATA);
        w.word(data.len() as u64);
        w.int(at, 4);
        for _ in 0..(if wide { 7 } else { 6 }) {
            w.int(0, 4);
        }
        at += data.len() as u64;
    }
    assert!(w.out.len() as u64 <= DATA);
    w.out.resize(DATA as usize, 0);
    for (_, data) in sections {
        w.out.extend_from_slice(data);
    }
    w.out
}

/// A universal file holding `images`.
fn universal(images: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0u8; 0x1000];
    b[..4].copy_from_slice(&[0xca, 0xfe, 0xba, 0xbe]);
    b[4..8].copy_from_slice(&u32::try_from(images.len()).unwrap().to_be_bytes());
    for (i, image) in images.iter().enumerate() {
        let at = b.len().div_ceil(0x1000) * 0x1000;
        b.resize(at, 0);
        let e = 8 + i * 20;
        b[e + 8..e + 12].copy_from_slice(&u32::try_from(at).unwrap().to_be_bytes());
        b[e + 12..e + 16].copy_from_slice(&u32::try_from(image.len()).unwrap().to_be_bytes());
        b.extend_from_slice(image);
    }
    b
}

#[test]
fn segments_and_sections_are_read_in_every_word_size_and_byte_order() {
    for wide in [false, true] {
        for big in [false, true] {
            let what = format!("wide {wide} big {big}");
            let bytes = thin(wide, big, &[("__data", b"abc"), ("__go_buildinfo", b"defg")]);
            assert!(macho::is_thin(&bytes), "{what}");
            let image = Image::read(&bytes).unwrap();
            assert_eq!((image.is_64(), image.is_big_endian()), (wide, big), "{what}");
            let segments: Vec<_> = image.segments().collect();
            assert_eq!(segments.len(), 2, "{what}");
            assert_eq!(segments[0].name(), b"__PAGEZERO", "{what}");
            let data = &segments[1];
            assert_eq!(data.name(), b"__DATA", "{what}");
            assert_eq!(
                (data.addr, data.file_offset, data.file_size),
                (0x1000, DATA, 7),
                "{what}"
            );
            assert_eq!((data.max_prot, data.init_prot, data.nsects), (3, 3, 2), "{what}");
            let sections: Vec<_> = data.sections().collect();
            assert_eq!(sections.len(), 2, "{what}");
            assert_eq!(sections[1].name(), b"__go_buildinfo", "{what}");
            assert_eq!(sections[1].addr, 0x1003, "{what}");
            assert_eq!(sections[1].data(&bytes), Some(&b"defg"[..]), "{what}");
            assert_eq!(image.find("__data"), Some(&b"abc"[..]), "{what}");
            assert_eq!(image.find("__text"), None, "{what}");
        }
    }
}

#[test]
fn a_universal_file_gives_each_architecture_in_bounds() {
    let a = thin(true, false, &[("__a", b"a")]);
    let b = thin(false, false, &[("__b", b"b")]);
    let mut bytes = universal(&[a.clone(), b.clone()]);
    let fat = Universal::read(&bytes).unwrap();
    assert_eq!(fat.count(), 2);
    assert_eq!(fat.images().collect::<Vec<_>>(), [&a[..], &b[..]]);
    // An architecture whose bounds are outside the file is left out.
    bytes[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    let fat = Universal::read(&bytes).unwrap();
    assert_eq!(fat.images().collect::<Vec<_>>(), [&b[..]]);
    // A Java class file (version 52 where the count is) and empty or short headers are refused.
    assert_eq!(
        Universal::read(b"\xca\xfe\xba\xbe\x00\x00\x00\x34").unwrap_err(),
        MachOError::Architectures { count: 52 }
    );
    assert_eq!(
        Universal::read(b"\xca\xfe\xba\xbe\x00\x00\x00\x00").unwrap_err(),
        MachOError::Architectures { count: 0 }
    );
    assert_eq!(
        Universal::read(b"\xca\xfe\xba\xbe").unwrap_err(),
        MachOError::Truncated
    );
    assert_eq!(Universal::read(b"\xca\xfe").unwrap_err(), MachOError::Truncated);
    assert_eq!(
        Universal::read(&a).unwrap_err(),
        MachOError::NotUniversal { magic: 0xcffa_edfe }
    );
    assert_eq!(
        Image::read(&bytes).unwrap_err(),
        MachOError::NotThin { magic: 0xcafe_babe }
    );
}

#[test]
fn short_headers_are_refused_by_name() {
    assert_eq!(Image::read(b"").unwrap_err(), MachOError::Truncated);
    assert_eq!(
        Image::read(b"\xcf\xfa\xed\xfe\x07\0\0\x01").unwrap_err(),
        MachOError::Truncated
    );
    assert!(!macho::is_thin(b"\x7fELF"));
}

#[test]
fn absurd_counts_and_sizes_are_bounded_by_the_file() {
    // u32::MAX load commands of 8 bytes each, all declaring u32::MAX sections: every command is read
    // once, and no section header is, since none fits inside its command.
    let mut w = Writer {
        wide: true,
        big: false,
        out: Vec::new(),
    };
    w.int(0xfeed_facf, 4);
    for v in [7, 3, 2, u64::from(u32::MAX), 0, 0, 0] {
        w.int(v, 4);
    }
    for _ in 0..(1 << 14) {
        w.int(0x19, 4);
        w.int(8, 4);
    }
    let mut overlapping = w.out.clone();
    // Where each command's nsects field would be: u32::MAX.
    for chunk in overlapping[32..].chunks_mut(8).skip(8).step_by(2) {
        chunk[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    for bytes in [w.out, overlapping] {
        let image = Image::read(&bytes).unwrap();
        let mut commands = 0;
        let mut sections = 0;
        for segment in image.segments() {
            commands += 1;
            sections += segment.sections().count();
        }
        assert!(commands <= bytes.len() / 8, "{commands}");
        assert_eq!(sections, 0);
        assert_eq!(image.find("__go_buildinfo"), None);
    }
    // One command claiming u32::MAX bytes and sections: its section headers are read up to the end of
    // the file, and the walk ends there.
    let mut bytes = thin(true, false, &[("__a", b"a")]);
    let data_cmd = 32 + 72;
    bytes[data_cmd + 4..data_cmd + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes[data_cmd + 64..data_cmd + 68].copy_from_slice(&u32::MAX.to_le_bytes());
    let image = Image::read(&bytes).unwrap();
    let segments: Vec<_> = image.segments().collect();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[1].nsects, u32::MAX as usize);
    assert!(segments[1].sections().count() <= bytes.len() / 80);
    // A section whose bytes lie past the end, or whose range overflows, gives none.
    let mut bytes = thin(false, true, &[("__a", b"a")]);
    let s = 28 + 56 + 56;
    bytes[s + 36..s + 40].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(Image::read(&bytes).unwrap().find("__a"), None);
    let mut bytes = thin(true, false, &[("__a", b"a")]);
    let s = 32 + 72 + 72;
    bytes[s + 40..s + 48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(Image::read(&bytes).unwrap().find("__a"), None);
}

#[test]
fn every_truncation_and_byte_flip_is_an_error_or_bounded_never_a_panic() {
    for wide in [false, true] {
        for big in [false, true] {
            let bytes = thin(wide, big, &[("__data", b"abc"), ("__go_buildinfo", b"defg")]);
            let read_all = |b: &[u8]| {
                if let Ok(image) = Image::read(b) {
                    for segment in image.segments() {
                        let _ = segment.name();
                        for s in segment.sections() {
                            if let Some(d) = s.data(b) {
                                assert!(d.len() <= b.len());
                            }
                        }
                    }
                    let _ = image.find("__go_buildinfo");
                }
            };
            crate::every_truncation_and_flip(&bytes, read_all);
        }
    }
    let fat = universal(&[thin(true, false, &[("__a", b"a")])]);
    crate::every_truncation_and_flip(&fat[..0x40], |b| {
        if let Ok(u) = Universal::read(b) {
            assert!(u.images().count() <= u.count() as usize);
        }
    });
}
