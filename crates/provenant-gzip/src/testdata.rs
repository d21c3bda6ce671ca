//! Data the unit tests compress.

use std::io::Write;

pub(crate) fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Text made of a few hundred words, so that every word is a copy of an earlier one: a decoder that
/// starts with a made-up window never agrees with the true one.
pub(crate) fn words(len: usize, seed: u64) -> Vec<u8> {
    let mut random = provenant_testkit::Lcg::new(seed);
    let words: Vec<String> = (0..500).map(|i| format!("word{i} ")).collect();
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        out.extend_from_slice(words[random.below(words.len())].as_bytes());
    }
    out.truncate(len);
    out
}

/// Like a tar stream: text files between files that do not compress (which refill the window with
/// literals, as compressed files and binaries do).
pub(crate) fn archive_like(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut random = provenant_testkit::Lcg::new(7);
    let mut seed = 1;
    while out.len() < len {
        out.extend(words(200 << 10, seed));
        seed += 1;
        for _ in 0..(48 << 10) {
            out.push(random.byte());
        }
    }
    out.truncate(len);
    out
}
