//! The streaming path: gzip streams of several hundred MiB made on the fly by the test (never held
//! whole, neither compressed nor inflated), decoded through a reader that is not a slice, and hostile
//! streams read the same way.

use std::io::{self, Read, Write};

use flate2::Compression;
use flate2::read::GzEncoder;
use provenant_gzip::{Exceeded, Split, SplitFailed, Stats, inflate, is};
use sha2::{Digest, Sha256};

use crate::gnu::real_files;

/// `len` bytes made from real files, round after round, each round starting at another place of the
/// files and preceded by its number, so that no round is a copy of the last. Made as it is read.
struct Generated {
    base: Vec<u8>,
    len: u64,
    made: u64,
    round: u64,
    header: Vec<u8>,
    at: usize,
    end: usize,
}

impl Generated {
    fn new(base: Vec<u8>, len: u64) -> Generated {
        Generated {
            base,
            len,
            made: 0,
            round: 0,
            header: Vec::new(),
            at: 0,
            end: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.len - self.made).unwrap_or(usize::MAX);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.header.is_empty() && self.at == self.end {
            self.round += 1;
            self.header = format!("round {} of generated files\n", self.round).into_bytes();
            self.at = (self.round as usize * 7_919_993) % self.base.len();
            self.end = self.base.len();
        }
        let n = if self.header.is_empty() {
            let n = (self.end - self.at).min(buf.len()).min(left);
            buf[..n].copy_from_slice(&self.base[self.at..self.at + n]);
            self.at += n;
            n
        } else {
            let n = self.header.len().min(buf.len()).min(left);
            buf[..n].copy_from_slice(&self.header[..n]);
            self.header.drain(..n);
            n
        };
        self.made += n as u64;
        Ok(n)
    }
}

/// Counts the bytes read through it.
struct Counted<R>(R, u64);

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
}

/// Hashes and counts what is written to it.
#[derive(Default)]
struct Hashed(Sha256, u64);

impl Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Gives at most `most` bytes per read, as a socket or pipe does.
struct Short<R>(R, usize);

impl<R: Read> Read for Short<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.1);
        self.0.read(&mut buf[..n])
    }
}

fn checked_within_bound(split: Split, stats: &Stats) {
    // The reader holds the window and at most one piece (1 MiB) more.
    assert!(
        stats.peak_compressed <= split.compressed_window() + (1 << 20),
        "{stats:?} against a window of {}",
        split.compressed_window()
    );
    assert!(
        stats.peak_ahead <= split.output_ahead(),
        "{stats:?} against {}",
        split.output_ahead()
    );
    assert!(stats.peak_compressed + stats.peak_ahead <= split.memory_bound());
}

#[test]
fn a_stream_of_several_hundred_mib_made_on_the_fly_decodes_on_two_cores_as_one_thread_does() {
    const LEN: u64 = 320 << 20;
    let base = real_files(24 << 20);
    // One thread, counting the compressed bytes the encoder makes as the decoder reads them.
    let mut one = Hashed::default();
    let mut counted = Counted(
        GzEncoder::new(Generated::new(base.clone(), LEN), Compression::new(6)),
        0,
    );
    let stats = inflate(&mut counted, u64::MAX, None, u64::MAX, &mut one).unwrap();
    assert_eq!(stats.splits, 0, "{stats:?}");
    assert_eq!(one.1, LEN);
    let size = counted.1;
    assert!(size > 64 << 20, "{size} compressed bytes: the test shows nothing");
    // The default split, as image layers are read: a pipeline of chunks to the end of the stream.
    let split = Split::default();
    let mut two = Hashed::default();
    let mut reader = Short(
        GzEncoder::new(Generated::new(base, LEN), Compression::new(6)),
        64 << 10,
    );
    let stats = inflate(&mut reader, size, Some(split), u64::MAX, &mut two).unwrap();
    assert_eq!(two.1, LEN);
    let (one, two) = (one.0.finalize(), two.0.finalize());
    assert!(
        one[..] == two[..],
        "the two-core output's SHA-256 differs from the one-thread output's"
    );
    // Many chunks joined, not one split near the start.
    assert!(stats.joins >= 4, "{stats:?}");
    checked_within_bound(split, &stats);
    // More than the decoder may hold: it cannot have held the stream whole.
    assert!(
        size > split.memory_bound(),
        "{size} compressed bytes against a bound of {}",
        split.memory_bound()
    );
}

/// A stream of 48 MiB compressed from real files, split every 4 MiB.
fn stream() -> (Vec<u8>, Vec<u8>, Split) {
    let data = real_files(48 << 20);
    let mut blob = Vec::new();
    GzEncoder::new(&data[..], Compression::new(6))
        .read_to_end(&mut blob)
        .unwrap();
    (data, blob, Split::new(4 << 20).smallest(1 << 20))
}

/// Inflates `blob` through a short-reading reader, declaring `size`.
fn streamed(blob: &[u8], size: u64, split: Option<Split>, limit: u64) -> io::Result<(Vec<u8>, Stats)> {
    let mut out = Vec::new();
    let mut reader = Short(blob, 100_000);
    let stats = inflate(&mut reader, size, split, limit, &mut out)?;
    Ok((out, stats))
}

/// A bad stream is refused: as invalid data, or, when output already passed on fails its CRC-32 after a
/// join, as a failed split that the caller reads again in one piece (and then gets invalid data).
fn refused(err: &io::Error, split: Option<Split>, name: &str) {
    if split.is_some() && is::<SplitFailed>(err) {
        return;
    }
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{name}, {split:?}: {err}");
}

#[test]
fn truncated_and_corrupt_streams_read_through_a_reader_are_errors_whatever_the_split() {
    let (_, blob, small) = stream();
    let mut corrupt = blob.clone();
    let middle = corrupt.len() * 3 / 4;
    corrupt[middle..middle + 64].fill(0xff);
    let mut block = blob.clone();
    // One bit flipped in a block's data after several joins.
    let late = block.len() * 7 / 8;
    block[late] ^= 0x10;
    for (name, bad) in [
        (
            "truncated after several chunks",
            blob[..blob.len() * 3 / 4].to_vec(),
        ),
        (
            "truncated in a chunk's search area",
            blob[..(12 << 20) + 100].to_vec(),
        ),
        ("truncated in the trailer", blob[..blob.len() - 3].to_vec()),
        ("corrupt block late in the stream", corrupt),
        ("one bit flipped late in the stream", block),
    ] {
        for split in [Some(small), Some(Split::default()), None] {
            // Declared at the full length, as a layer's descriptor would.
            let err = streamed(&bad, blob.len() as u64, split, u64::MAX).unwrap_err();
            refused(&err, split, name);
        }
    }
}

#[test]
fn a_declared_size_that_lies_changes_where_splits_go_never_the_output() {
    let (data, blob, small) = stream();
    let len = blob.len() as u64;
    for (name, size) in [
        ("huge", u64::MAX),
        ("twice the stream", 2 * len),
        ("half the stream", len / 2),
        ("nothing", 0),
    ] {
        for split in [Some(small), Some(Split::default())] {
            let (out, stats) = streamed(&blob, size, split, u64::MAX).unwrap();
            assert!(out == data, "{name}, {split:?}: output differs");
            checked_within_bound(split.unwrap(), &stats);
        }
    }
}

#[test]
fn a_trailer_declaring_a_huge_length_is_refused() {
    let (_, mut blob, small) = stream();
    let at = blob.len() - 4;
    blob[at..].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = streamed(&blob, blob.len() as u64, Some(small), u64::MAX).unwrap_err();
    assert!(is::<SplitFailed>(&err), "{err}");
    let err = streamed(&blob, blob.len() as u64, None, u64::MAX).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("length"), "{err}");
}

#[test]
fn a_header_declaring_a_huge_extra_field_in_a_short_stream_is_truncated_not_waited_on() {
    // FEXTRA set, with 65535 bytes of extra field declared and 10 given.
    let mut blob = vec![0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff];
    blob.extend_from_slice(&[0; 10]);
    for split in [Some(Split::new(4 << 20).smallest(1)), None] {
        let err = streamed(&blob, u64::MAX, split, u64::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{split:?}: {err}");
    }
}

#[test]
fn output_past_the_bound_is_refused_on_the_streaming_path() {
    let (_, blob, small) = stream();
    for split in [Some(small), None] {
        let err = streamed(&blob, blob.len() as u64, split, 30 << 20).unwrap_err();
        assert!(is::<Exceeded>(&err), "{split:?}: {err}");
    }
}
