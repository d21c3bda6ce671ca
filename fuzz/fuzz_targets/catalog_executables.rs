//! The executable cataloger: ELF, PE and Mach-O (thin and universal) headers, Go build information and
//! cargo-auditable sections, read from hostile bytes. Components or a warning, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_catalog::binary;

fuzz_target!(|data: &[u8]| {
    let _ = binary::is_executable(data);
    let _ = binary::parse("executable", data);
});
