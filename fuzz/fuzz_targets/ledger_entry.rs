//! Ledger entries on arbitrary bytes: `EntryKeys::from_entry` (statement, DSSE envelope or sigstore
//! bundle, then the index keys and terms) never panics, and its terms are sorted, unique and capped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_ledger::entry::{EntryKeys, MAX_TERMS};

fuzz_target!(|data: &[u8]| {
    if let Ok(keys) = EntryKeys::from_entry(data) {
        assert!(keys.terms.len() <= MAX_TERMS);
        assert!(keys.terms.windows(2).all(|w| w[0] < w[1]));
    }
});
