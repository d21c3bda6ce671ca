//! The readers `provenant-diff` and `provenant-catalog` share, on hostile bytes, the whole input given to
//! each: the zip reader (the central directory, at most 64 entries, each entry's extra field, its data
//! through the local header and its inflation bounded at 64 KiB) and the ELF section table (every header,
//! name and section's bytes, and a look-up by name). Whatever they return stays within those bounds and
//! inside the input; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_archive::{elf, zip};

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
    }
});
