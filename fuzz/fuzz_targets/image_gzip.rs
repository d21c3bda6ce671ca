//! Gzip layers inflated in two halves: the block finder, the join and the member loop, on hostile bytes.
//! Whatever the split decoder accepts, the one-piece decoder accepts with the same output, and so does
//! flate2's multi-member decoder. Never a panic.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use provenant_image::gzip::inflate_all;

const LIMIT: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let split = inflate_all(data, true, LIMIT);
    let whole = inflate_all(data, false, LIMIT);
    if let Ok(split) = &split {
        assert_eq!(whole.as_ref().ok(), Some(split), "the split decoding accepted what the whole one did not");
    }
    if let Ok(whole) = &whole {
        let mut reference = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(data).take(LIMIT + 1).read_to_end(&mut reference);
        assert!(read.is_ok() && &reference == whole, "flate2 disagrees");
    }
});
