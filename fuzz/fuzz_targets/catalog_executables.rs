//! The executable cataloger: ELF, PE and Mach-O (thin and universal) headers, Go build information (both
//! formats, with the pointer format's address translation) and cargo-auditable sections, read from
//! hostile bytes. Components or a warning, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_catalog::binary;

/// Where the small ELF below maps its file.
const BASE: u64 = 0x0040_0000;
/// Where its build information starts (16-byte aligned, as Go's linker puts it).
const BLOB: usize = 0x100;

/// `data` as the build information of a small ELF, so that every run reaches the pointer format's
/// reads: the first byte chooses the class and byte order, the rest follows the magic (pointer size,
/// flags, the two pointers, then whatever they point at), in one writable segment mapping the whole
/// file at `BASE`.
fn pointer_format_elf(data: &[u8]) -> Vec<u8> {
    let (choice, rest) = data.split_first().unwrap_or((&0, &[]));
    let (wide, big) = (choice & 1 != 0, choice & 2 != 0);
    let int = |out: &mut Vec<u8>, v: u64, len: usize| {
        let b = v.to_be_bytes();
        let mut field = b[8 - len..].to_vec();
        if !big {
            field.reverse();
        }
        out.extend_from_slice(&field);
    };
    let w = if wide { 8 } else { 4 };
    let header = if wide { 64 } else { 52 };
    let size = (BLOB + 14 + rest.len()) as u64;
    let mut out = b"\x7fELF".to_vec();
    out.extend_from_slice(&[if wide { 2 } else { 1 }, if big { 2 } else { 1 }, 1]);
    out.resize(16, 0);
    int(&mut out, 2, 2);
    int(&mut out, 0, 2);
    int(&mut out, 1, 4);
    int(&mut out, 0, w);
    int(&mut out, header as u64, w);
    int(&mut out, 0, w);
    int(&mut out, 0, 4);
    int(&mut out, header as u64, 2);
    int(&mut out, if wide { 56 } else { 32 }, 2);
    int(&mut out, 1, 2);
    for _ in 0..3 {
        int(&mut out, 0, 2);
    }
    if wide {
        for (v, len) in [(1, 4), (6, 4), (0, 8), (BASE, 8), (BASE, 8), (size, 8), (size, 8), (0x1000, 8)] {
            int(&mut out, v, len);
        }
    } else {
        for v in [1, 0, BASE, BASE, size, size, 6, 0x1000] {
            int(&mut out, v, 4);
        }
    }
    out.resize(BLOB, 0);
    out.extend_from_slice(b"\xff Go buildinf:");
    out.extend_from_slice(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = binary::is_executable(data);
    let _ = binary::parse("executable", data);
    let _ = binary::parse("executable", &pointer_format_elf(data));
});
