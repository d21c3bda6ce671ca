//! The PE header reader: a constructed PE32+ file's image base and sections, and hostile headers.

use provenant_archive::pe::{Image, PeError};

/// Where the constructed file's PE signature is.
const SIG: usize = 0x80;

/// A PE32+ file at image base `0x1_4000_0000` with the sections `(name, virtual size, rva, raw data,
/// characteristics)`, each section's raw data padded to 0x200 bytes.
fn pe(sections: &[(&str, u32, u32, &[u8], u32)]) -> Vec<u8> {
    let mut b = vec![0u8; 0x400];
    b[..2].copy_from_slice(b"MZ");
    b[0x3c..0x40].copy_from_slice(&(SIG as u32).to_le_bytes());
    b[SIG..SIG + 4].copy_from_slice(b"PE\0\0");
    let coff = SIG + 4;
    b[coff..coff + 2].copy_from_slice(&0x8664u16.to_le_bytes());
    b[coff + 2..coff + 4].copy_from_slice(&u16::try_from(sections.len()).unwrap().to_le_bytes());
    b[coff + 16..coff + 18].copy_from_slice(&0xf0u16.to_le_bytes());
    let optional = coff + 20;
    b[optional..optional + 2].copy_from_slice(&0x20bu16.to_le_bytes());
    b[optional + 24..optional + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes());
    let table = optional + 0xf0;
    for (i, (name, virtual_size, rva, data, characteristics)) in sections.iter().enumerate() {
        let at = b.len();
        let raw = data.len().div_ceil(0x200) * 0x200;
        b.extend_from_slice(data);
        b.resize(at + raw, 0);
        let s = table + i * 40;
        b[s..s + name.len()].copy_from_slice(name.as_bytes());
        b[s + 8..s + 12].copy_from_slice(&virtual_size.to_le_bytes());
        b[s + 12..s + 16].copy_from_slice(&rva.to_le_bytes());
        b[s + 16..s + 20].copy_from_slice(&u32::try_from(raw).unwrap().to_le_bytes());
        b[s + 20..s + 24].copy_from_slice(&u32::try_from(at).unwrap().to_le_bytes());
        b[s + 36..s + 40].copy_from_slice(&characteristics.to_le_bytes());
    }
    b
}

fn sample() -> Vec<u8> {
    pe(&[
        (".text", 3, 0x1000, b"\x90\x90\xc3", 0x6000_0020),
        (".data", 0, 0x2000, b"data", 0xc000_0040),
        (".dep-v0", 5, 0x3000, b"audit", 0x4000_0040),
    ])
}

#[test]
fn sections_image_base_and_contents_are_read() {
    let bytes = sample();
    let image = Image::read(&bytes).unwrap();
    assert_eq!(image.image_base(), Ok(0x1_4000_0000));
    assert_eq!(image.count(), 3);
    let sections: Vec<_> = image.sections().collect();
    assert_eq!(sections.len(), 3);
    assert_eq!(sections[0].name(), b".text");
    assert_eq!(sections[0].name_field, b".text\0\0\0");
    assert_eq!((sections[0].rva, sections[0].raw_size), (0x1000, 0x200));
    assert_eq!(sections[1].characteristics, 0xc000_0040);
    // The virtual size trims the file alignment's padding; a zero virtual size does not.
    assert_eq!(sections[0].data(&bytes), Some(&b"\x90\x90\xc3"[..]));
    assert_eq!(sections[1].data(&bytes).map(<[u8]>::len), Some(0x200));
    assert_eq!(image.find(".dep-v0"), Some(&b"audit"[..]));
    assert_eq!(image.find(".rsrc"), None);
    assert_eq!(image.section(3).map(|s| s.name().len()), Some(0));
    assert_eq!(image.section(usize::MAX), None);
}

#[test]
fn the_image_base_of_pe32_and_unknown_optional_headers() {
    let mut bytes = sample();
    let optional = SIG + 4 + 20;
    bytes[optional..optional + 2].copy_from_slice(&0x10bu16.to_le_bytes());
    bytes[optional + 28..optional + 32].copy_from_slice(&0x40_0000u32.to_le_bytes());
    assert_eq!(Image::read(&bytes).unwrap().image_base(), Ok(0x40_0000));
    bytes[optional..optional + 2].copy_from_slice(&0x107u16.to_le_bytes());
    let image = Image::read(&bytes).unwrap();
    assert_eq!(image.image_base(), Err(PeError::OptionalHeader { magic: 0x107 }));
    // The sections are still read without an image base.
    assert_eq!(image.find(".dep-v0"), Some(&b"audit"[..]));
}

#[test]
fn hostile_headers_are_refused_by_name() {
    assert_eq!(Image::read(b"MZ").unwrap_err(), PeError::Truncated);
    let mut bytes = sample();
    bytes[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        Image::read(&bytes).unwrap_err(),
        PeError::NoSignature { offset: u32::MAX }
    );
    bytes[0x3c..0x40].copy_from_slice(&0x10u32.to_le_bytes());
    assert_eq!(
        Image::read(&bytes).unwrap_err(),
        PeError::NoSignature { offset: 0x10 }
    );
    // A signature at the very end: no COFF header.
    let mut short = sample()[..SIG + 4].to_vec();
    short[0x3c..0x40].copy_from_slice(&(SIG as u32).to_le_bytes());
    assert_eq!(Image::read(&short).unwrap_err(), PeError::Truncated);
}

#[test]
fn absurd_counts_and_offsets_stop_at_the_end_of_the_file() {
    let mut bytes = sample();
    // 65535 sections declared, three present: the walk stops at the first header outside the file.
    let coff = SIG + 4;
    bytes[coff + 2..coff + 4].copy_from_slice(&u16::MAX.to_le_bytes());
    let image = Image::read(&bytes).unwrap();
    assert_eq!(image.count(), 65535);
    assert!(image.sections().count() < bytes.len() / 40);
    // Raw data past the end, or whose end overflows, is not given.
    let s = coff + 20 + 0xf0 + 2 * 40;
    bytes[s + 20..s + 24].copy_from_slice(&u32::MAX.to_le_bytes());
    let image = Image::read(&bytes).unwrap();
    assert_eq!(image.section(2).unwrap().data(&bytes), None);
    assert_eq!(image.find(".dep-v0"), None);
    // An optional header size leading past the file: no sections.
    bytes[coff + 16..coff + 18].copy_from_slice(&u16::MAX.to_le_bytes());
    assert_eq!(Image::read(&bytes).unwrap().sections().count(), 0);
}

#[test]
fn every_truncation_and_byte_flip_is_an_error_or_bounded_never_a_panic() {
    let bytes = sample();
    let read_all = |b: &[u8]| {
        if let Ok(image) = Image::read(b) {
            let _ = image.image_base();
            for s in image.sections() {
                let _ = s.name();
                if let Some(d) = s.data(b) {
                    assert!(d.len() <= b.len());
                }
            }
            let _ = image.find(".dep-v0");
        }
    };
    crate::every_truncation_and_flip(&bytes, read_all);
}
