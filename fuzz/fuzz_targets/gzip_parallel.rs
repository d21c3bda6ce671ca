//! Gzip streams inflated as a pipeline of chunks on two threads: the block finder, every join and
//! handover, the member loop and the bounded window, on hostile bytes. The first byte selects the chunk
//! (32 KiB to 256 KiB, so that inputs of a few hundred KiB are split several times); the rest is the
//! stream. Whatever the split decoding accepts, the one-piece decoding accepts with the same output, and
//! so does flate2's multi-member decoder; whatever the one-piece decoding accepts, the split decoding
//! accepts too or refuses as a failed split (never as a bad stream). The streaming path is taken too: the stream read through a
//! reader that gives a few bytes at a time, with a declared compressed size that may lie (bits 2-3 of
//! the selector: the true size, none, half, or the largest), gives the same output or an error. Never a
//! panic.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use provenant_gzip::{Split, SplitFailed, inflate, inflate_all, is};

/// Gives at most `most` bytes per read, as a pipe does.
struct Short<'a>(&'a [u8], usize);

impl Read for Short<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.1).min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        buf[..n].copy_from_slice(head);
        self.0 = tail;
        Ok(n)
    }
}

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
    if let (Ok(_), Err(e)) = (&whole, &parts) {
        assert!(is::<SplitFailed>(e), "the split decoding refused a stream the whole one accepted: {e}");
    }
    let len = data.len() as u64;
    let declared = [len, 0, len / 2, u64::MAX][usize::from((selector >> 2) % 4)];
    let mut streamed = Vec::new();
    let mut reader = Short(data, 1 + usize::from(selector >> 4) * 997);
    match inflate(&mut reader, declared, Some(split), LIMIT, &mut streamed) {
        Ok(_) => assert_eq!(whole.as_ref().ok(), Some(&streamed), "the streaming path accepted what the whole one did not"),
        Err(e) if whole.is_ok() => {
            assert!(is::<SplitFailed>(&e), "the streaming path refused a stream the whole one accepted: {e}");
        }
        Err(_) => {}
    }
    if let Ok(whole) = &whole {
        let mut reference = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(data).take(LIMIT + 1).read_to_end(&mut reference);
        assert!(read.is_ok() && &reference == whole, "flate2 disagrees");
    }
});
