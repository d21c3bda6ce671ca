//! The checksum-list parser (`sha256sum -c` / BSD style): any bytes give entries and malformed lines,
//! never a panic; every entry written back (in both styles) parses again to the same digest and path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_digest::checklist::{Style, format_line, parse};

fuzz_target!(|data: &[u8]| {
    let (entries, _malformed) = parse(data);
    for entry in entries {
        for style in [Style::Prefixed, Style::Coreutils] {
            let mut line = Vec::new();
            format_line(&mut line, &entry.expected, &entry.path, style);
            let (again, bad) = parse(&line);
            assert!(bad.is_empty(), "a written line is malformed: {line:?}");
            assert_eq!(again.len(), 1, "a written line gives one entry: {line:?}");
            if let Some(first) = again.first() {
                assert_eq!(first.expected, entry.expected);
                assert_eq!(first.path, entry.path);
            }
        }
    }
});
