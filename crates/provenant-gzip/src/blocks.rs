//! Where a deflate block may start: the header checks, a trial decode with a made-up window, and the
//! bounded search over a window of compressed bytes. Every function here takes any bytes.

use flate2::{Decompress, FlushDecompress, Status};

use crate::{OUT, WINDOW};

/// How many compressed bytes past the point a split looks from a block start is looked for.
pub(crate) const SEARCH: usize = 1 << 20;

/// How many candidate block starts are tried at most per split.
pub const MAX_TRIALS: usize = 32;

/// How many compressed bytes a candidate block start is tried on before it is believed.
pub(crate) const TRIAL: usize = 64 << 10;

/// A made-up window for the second decoder: bytes that real data is unlikely to repeat for 32 KiB.
pub(crate) fn made_up_window() -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..WINDOW)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Bits of `data` from bit `at` on, least significant first, as deflate packs them (zeros past the end).
fn bits(data: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    for (i, w) in word.iter_mut().enumerate() {
        *w = data.get(at / 8 + i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(word) >> (at % 8)
}

/// Whether the code lengths describe a prefix code zlib accepts: complete, or (when `single_ok`) one
/// code of length one; no lengths at all when `empty_ok`.
fn code_ok(lengths: &[u8], max_len: usize, single_ok: bool, empty_ok: bool) -> bool {
    let mut count = [0u32; 16];
    for &l in lengths {
        if let Some(c) = count.get_mut(usize::from(l)) {
            *c += 1;
        }
    }
    let longest = (1..=max_len)
        .rev()
        .find(|&l| count.get(l).copied().unwrap_or(0) > 0);
    let Some(longest) = longest else {
        return empty_ok;
    };
    let mut left: i64 = 1;
    for l in 1..=max_len {
        left = left * 2 - i64::from(count.get(l).copied().unwrap_or(0));
        if left < 0 {
            return false;
        }
    }
    left == 0 || (single_ok && longest == 1)
}

/// Whether a dynamic or stored deflate block that is not the last one starts at byte `at` of `data`
/// (only byte-aligned starts are looked for: see [`crate::stream`]). A stored block's length check alone
/// matches too often by chance, so the block after it must start properly too (up to `depth` stored
/// blocks in a row).
pub(crate) fn block_starts(data: &[u8], at: usize, depth: u8) -> bool {
    let head = data.get(at).copied().unwrap_or(0);
    match head & 0b111 {
        // Not final, stored: LEN and its complement in the next byte, then LEN bytes.
        0b000 => {
            let word = bits(data, (at + 1) * 8);
            let len = (word & 0xffff) as usize;
            let next = at + 5 + len;
            depth > 0
                && next + 8 <= data.len()
                && len as u64 == !(word >> 16) & 0xffff
                && block_starts(data, next, depth - 1)
        }
        // Not final, dynamic codes.
        0b100 => dynamic_header_ok(data, at * 8),
        _ => false,
    }
}

const PRECODE_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

fn dynamic_header_ok(data: &[u8], at: usize) -> bool {
    let head = bits(data, at + 3);
    let literals = (head & 0x1f) as usize + 257;
    let distances = ((head >> 5) & 0x1f) as usize + 1;
    let precodes = ((head >> 10) & 0xf) as usize + 4;
    if literals > 286 || distances > 30 {
        return false;
    }
    let mut pre = [0u8; 19];
    let mut pos = at + 17;
    for &sym in PRECODE_ORDER.iter().take(precodes) {
        if let Some(p) = pre.get_mut(sym) {
            *p = (bits(data, pos) & 0b111) as u8;
        }
        pos += 3;
    }
    if !code_ok(&pre, 7, false, false) {
        return false;
    }
    // A decoding table for the precode: 7 bits of input give (symbol, length).
    let mut table = [(0u8, 0u8); 128];
    let mut code = 0u32;
    for len in 1..=7u8 {
        for (sym, &l) in pre.iter().enumerate() {
            if l != len {
                continue;
            }
            let reversed = code.reverse_bits() >> (32 - u32::from(len));
            let mut fill = reversed as usize;
            while fill < 128 {
                if let Some(t) = table.get_mut(fill) {
                    *t = (sym as u8, len);
                }
                fill += 1 << len;
            }
            code += 1;
        }
        code <<= 1;
    }
    let mut lengths = [0u8; 286 + 30];
    let total = literals + distances;
    let mut i = 0;
    while i < total {
        let word = bits(data, pos);
        let (sym, len) = table.get((word & 0x7f) as usize).copied().unwrap_or((0, 0));
        if len == 0 || pos / 8 + 4 > data.len() {
            return false;
        }
        pos += usize::from(len);
        let extra = bits(data, pos);
        let (value, repeat) = match sym {
            0..=15 => (sym, 1),
            16 => {
                pos += 2;
                let Some(previous) = i.checked_sub(1).and_then(|p| lengths.get(p)) else {
                    return false;
                };
                (*previous, 3 + (extra & 0b11) as usize)
            }
            17 => {
                pos += 3;
                (0, 3 + (extra & 0b111) as usize)
            }
            _ => {
                pos += 7;
                (0, 11 + (extra & 0x7f) as usize)
            }
        };
        if i + repeat > total {
            return false;
        }
        for l in lengths.get_mut(i..i + repeat).unwrap_or_default() {
            *l = value;
        }
        i += repeat;
    }
    let (lit, dist) = lengths.get(..total).unwrap_or_default().split_at(literals);
    lit.get(256).is_some_and(|&l| l != 0) && code_ok(lit, 15, true, false) && code_ok(dist, 15, true, true)
}

/// Whether decoding `data` from byte `at` on, with a made-up window, goes through without an error.
pub(crate) fn decodes_from(data: &[u8], at: usize, window: &[u8]) -> bool {
    let input = data.get(at..(at + TRIAL).min(data.len())).unwrap_or_default();
    let mut z = Decompress::new(false);
    if z.set_dictionary(window).is_err() {
        return false;
    }
    let mut out = vec![0u8; OUT];
    let mut pos = 0usize;
    // Leave the last bytes out: a symbol cut off by the trial's end is not an error.
    let usable = input.len().saturating_sub(16);
    while pos < usable {
        let before = z.total_in();
        match z.decompress(
            input.get(pos..usable).unwrap_or_default(),
            &mut out,
            FlushDecompress::None,
        ) {
            Ok(Status::StreamEnd) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
        let consumed = usize::try_from(z.total_in() - before).unwrap_or(0);
        if consumed == 0 {
            break;
        }
        pos += consumed;
    }
    pos > 0
}

/// The first byte offset of `area` (within its first [`SEARCH`] bytes) where a block starts and decodes
/// for [`TRIAL`] bytes, and how many candidates were tried. Crafted bytes could pass the header checks at
/// many offsets, and each trial costs a decode, so at most [`MAX_TRIALS`] are tried before the stream is
/// left to the first decoder.
///
/// Only blocks that start at a byte boundary are looked for (see [`crate::stream`]): about one block in
/// eight, and every block after a stored one. A MiB of compressed data holds dozens of blocks.
pub(crate) fn find_start(area: &[u8], window: &[u8]) -> (Option<usize>, usize) {
    let last = area.len().min(SEARCH).saturating_sub(TRIAL / 2);
    let mut trials = 0;
    let found = (0..last).find(|&at| {
        if trials >= MAX_TRIALS || !block_starts(area, at, 2) {
            return false;
        }
        trials += 1;
        decodes_from(area, at, window)
    });
    (found, trials)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::testdata::{archive_like, gzip};

    #[test]
    fn the_block_finder_takes_any_bytes() {
        let mut random = provenant_testkit::Lcg::new(3);
        let noise: Vec<u8> = (0..200_000).map(|_| random.byte()).collect();
        let window = made_up_window();
        for data in [
            &noise[..],
            &[0u8; 4096][..],
            &[0xffu8; 4096][..],
            &[][..],
            &[0u8; 3][..],
        ] {
            for at in 0..data.len().min(50_000) {
                if block_starts(data, at, 2) {
                    let _ = decodes_from(data, at, &window);
                }
            }
        }
    }

    #[test]
    fn trials_of_candidate_block_starts_are_bounded() {
        // Many small blocks whose content is damaged: their headers pass the checks, their trials fail,
        // and the search gives up after a bounded number of trials rather than trying them all.
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        for chunk in archive_like(8 << 20).chunks(4096) {
            e.write_all(chunk).unwrap();
            e.flush().unwrap();
        }
        let mut damaged = e.finish().unwrap();
        for b in damaged.iter_mut().step_by(997) {
            *b ^= 0x55;
        }
        let candidates = (0..SEARCH).filter(|&at| block_starts(&damaged, at, 2)).count();
        let (found, trials) = find_start(&damaged, &made_up_window());
        assert!(
            candidates > MAX_TRIALS,
            "only {candidates} candidates: the test shows nothing"
        );
        // Every trial fails here, so without the bound every candidate would be tried.
        assert_eq!((found, trials), (None, MAX_TRIALS), "of {candidates} candidates");
        // On a real stream the first candidate is the one.
        let real = gzip(&archive_like(4 << 20), 6);
        let (found, trials) = find_start(&real[real.len() / 2..], &made_up_window());
        assert!(
            found.is_some() && (1..=MAX_TRIALS).contains(&trials),
            "{found:?} after {trials}"
        );
    }
}
