//! tlog-tiles paths and entry bundles on arbitrary bytes: never panic; a path that parses is canonical
//! (it prints back as given); a bundle that decodes encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_ledger::tiles::{self, TilePath};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(tile) = TilePath::parse(text) {
            assert_eq!(tile.to_string(), text.strip_prefix('/').unwrap_or(text));
            let _ = tile.stored_indexes().len();
        }
    }
    if let Some((&count, rest)) = data.split_first() {
        if let Ok(entries) = tiles::decode_entry_bundle(rest, u64::from(count)) {
            assert_eq!(tiles::encode_entry_bundle(&entries).ok().as_deref(), Some(rest));
        }
        let _ = tiles::decode_hash_tile(rest, u64::from(count));
    }
});
