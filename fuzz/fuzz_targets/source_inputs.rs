//! The source stage's parsers of hostile input on arbitrary bytes: never panic, bounded work. The first
//! byte selects the parser: 0 a Conventional Commits message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_source::conventional;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 4 {
        _ => {
            if let Ok(message) = conventional::parse(text) {
                // What parses describes itself consistently.
                assert!(!message.description.is_empty());
                assert_eq!(message.is_breaking(), !message.breaking_notes().is_empty());
            }
        }
    }
});
