//! The in-toto Statement parser on arbitrary bytes: never panics, and whatever it accepts writes back
//! to JSON that parses to the same statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_attest::Statement;

fuzz_target!(|data: &[u8]| {
    if let Ok(statement) = Statement::from_json(data) {
        let written = statement.to_json();
        let again = Statement::from_json(&written);
        assert_eq!(again.as_ref().ok(), Some(&statement));
        assert_eq!(again.map(|s| s.to_json()).ok(), Some(written));
    }
});
