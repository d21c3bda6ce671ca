//! The ledger server's parsers of hostile input on arbitrary bytes: a `POST /v1/entries` body and a
//! tokens file. Never panic; every entry accepted fits an entry bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(entries) = provenant_ledger_server::request_entries(data) {
        assert!(!entries.is_empty());
        assert!(entries.iter().all(|e| e.len() <= 65_535));
    }
    let _ = provenant_ledger_server::Tokens::parse(data);
});
