//! The readers `provenant-diff` and `provenant-catalog` share, on hostile bytes, the whole input given to
//! each: the zip reader (the central directory, at most 64 entries, each entry's extra field, its data
//! through the local header and its inflation bounded at 64 KiB), the ELF section table (every header,
//! name and section's bytes, and a look-up by name), its program headers and the notes of its note
//! sections, the PE section table and image base, and the Mach-O segments and sections of a thin file
//! and the architectures of a universal one. Whatever they return stays within those bounds and inside
//! the input; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_archive::{elf, macho, pe, zip};

const MAX_ENTRIES: usize = 64;
const LIMIT: u64 = 64 << 10;

fuzz_target!(|data: &[u8]| {
    if let Ok(directory) = zip::entries(data, MAX_ENTRIES) {
        assert!(directory.entries.len() <= MAX_ENTRIES);
        assert_eq!(directory.truncated(), directory.declared > directory.entries.len());
        for entry in &directory.entries {
            let _ = entry.extra(data);
            if let Ok(raw) = zip::raw(data, entry) {
                assert!(raw.len() as u64 == entry.compressed);
            }
            if let Ok(out) = zip::read(data, entry, LIMIT) {
                assert!(out.len() as u64 <= LIMIT);
            }
        }
    }
    if let Ok(table) = elf::Table::read(data) {
        for i in 0..table.count() {
            if let Some(section) = table.section(i) {
                let _ = table.name(&section);
                if let Some(bytes) = section.data(data) {
                    assert!(bytes.len() <= data.len());
                }
            }
        }
        let _ = table.find(".dep-v0");
        for section in table.sections() {
            let _ = table.name_is(&section, ".note.package");
        }
    }
    if let Ok(headers) = elf::ProgramHeaders::read(data) {
        assert!(headers.segments().count() <= headers.count());
    }
    let mut notes = 0;
    for note in elf::notes(data, data.first() == Some(&1)) {
        if let Ok(note) = note {
            assert!(note.name.len() + note.desc.len() <= data.len());
        }
        notes += 1;
        assert!(notes <= data.len() / 12 + 1);
    }
    if let Ok(image) = pe::Image::read(data) {
        let _ = image.image_base();
        for section in image.sections() {
            let _ = section.name();
            if let Some(bytes) = section.data(data) {
                assert!(bytes.len() <= data.len());
            }
        }
        let _ = image.find(".dep-v0");
    }
    if let Ok(image) = macho::Image::read(data) {
        let mut read = 0;
        for segment in image.segments() {
            let _ = segment.name();
            for section in segment.sections() {
                if let Some(bytes) = section.data(data) {
                    assert!(bytes.len() <= data.len());
                }
                read += 1;
            }
            read += 1;
        }
        // Bounded by the input: every command and section header read is inside it.
        assert!(read <= data.len() / 8 + 1);
        let _ = image.find("__go_buildinfo");
    }
    if let Ok(universal) = macho::Universal::read(data) {
        for image in universal.images() {
            assert!(image.len() <= data.len());
        }
    }
});
