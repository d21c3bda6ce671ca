//! Gzip streams inflated as a pipeline of chunks on two threads: the block finder, every join and
//! handover, the member loop and the bounded window, on hostile bytes. The first byte selects the chunk
//! (32 KiB to 256 KiB, so that inputs of a few hundred KiB are split several times); the rest is the
//! stream. Whatever the split decoding accepts, the one-piece decoding accepts with the same output, and
//! so does flate2's multi-member decoder. Never a panic.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use provenant_gzip::{Split, inflate_all};

const LIMIT: u64 = 16 << 20;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let split = Split::new(32 << 10 << (selector % 4)).smallest(0);
    let parts = inflate_all(data, Some(split), LIMIT).map(|(out, _)| out);
    let whole = inflate_all(data, None, LIMIT).map(|(out, _)| out);
    if let Ok(parts) = &parts {
        assert_eq!(whole.as_ref().ok(), Some(parts), "the split decoding accepted what the whole one did not");
    }
    if let Ok(whole) = &whole {
        let mut reference = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(data).take(LIMIT + 1).read_to_end(&mut reference);
        assert!(read.is_ok() && &reference == whole, "flate2 disagrees");
    }
});
