//! Gzip streams of any size inflated on two cores, in memory bounded by a constant.
//!
//! A deflate stream can only be decoded in order, so one large gzip stream keeps one core busy while
//! the other waits. This crate splits the work the way parallel gzip decoders do, as a pipeline of
//! chunks:
//!
//! - a reading thread brings the compressed bytes into a bounded window, piece by piece, from any
//!   [`Read`];
//! - the first decoder decodes in order, and is always the furthest behind;
//! - the second looks, a chunk ahead of the first, for a byte offset where a deflate block starts (a
//!   dynamic block whose header describes valid prefix codes, or a stored block whose length checks),
//!   and decodes from there with a made-up 32 KiB window. Blocks that start in mid-byte are passed
//!   over: a decoder started there would misplace every later stored block (`stream.rs` says why);
//! - when the first decoder reaches that offset, it knows the true window. It goes on decoding and
//!   compares its output with the second decoder's. Back-references into the made-up window make the two
//!   differ at first; once 32 KiB in a row agree, both decoders hold the same window at the same point of
//!   the same bit stream, so everything the second decoder produced from there on is the true output;
//! - the first decoder passes that output on and takes the second decoder's state over, and the second
//!   looks for a block start a chunk further on: the same join, again and again, to the end of the stream.
//!
//! Nothing here is trusted on its own: every member's CRC-32 and length are checked as usual, the caller
//! checks its own digest of the output (an image layer's diff id), and when a split turns out wrong (no
//! block there, no agreement within 16 MiB, a member that ends first) the first decoder simply decodes on
//! itself. Only an output that has already been passed on and then fails its CRC-32, or a stream that
//! fails to decode after a join, is reported as [`SplitFailed`], so that the caller can read the stream
//! again in one piece. At most [`MAX_TRIALS`] candidate block starts are tried per split, so crafted
//! input costs bounded work.
//!
//! # Memory
//!
//! [`Split::memory_bound`] is the constant the decoder's buffers stay under, whatever the stream's
//! size: the window of compressed bytes ([`Split::compressed_window`], twice the chunk plus the search
//! area), the second decoder's output waiting for the first ([`Split::output_ahead`], four times the
//! chunk), and a few MiB of fixed buffers. [`Stats`] reports what a run actually held.

use std::io::{self, Read, Write};

use flate2::Crc;

mod blob;
mod blocks;
mod pipeline;
mod stream;

pub use blocks::MAX_TRIALS;

/// Bytes inflated at a time, and the size of the second decoder's messages.
const OUT: usize = 256 << 10;

/// Deflate's window: how far back a copy may reach.
const WINDOW: usize = 32 << 10;

/// How a stream is split between two decoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    chunk: u64,
    smallest: u64,
}

impl Split {
    /// The default chunk: compressed bytes the first decoder decodes while the second decodes the next
    /// chunk. On a 569 MB layer (a Debian root filesystem with its libraries and Go toolchain), 8, 16 and
    /// 32 MiB cost the same CPU time; 8 MiB joined the most splits (29 of 37) with the smallest bound.
    pub const CHUNK: u64 = 8 << 20;

    /// The default smallest compressed remainder worth a split.
    pub const SMALLEST: u64 = 8 << 20;

    /// Splits every `chunk` compressed bytes (at least 1) when at least [`Split::SMALLEST`] bytes are
    /// left.
    #[must_use]
    pub fn new(chunk: u64) -> Split {
        Split {
            chunk: chunk.max(1),
            smallest: Split::SMALLEST,
        }
    }

    /// Splits only when at least `bytes` compressed bytes are left (a remainder shorter than two chunks is
    /// split in the middle).
    #[must_use]
    pub fn smallest(self, bytes: u64) -> Split {
        Split {
            smallest: bytes,
            ..self
        }
    }

    /// The most compressed bytes held at once (plus one piece of 1 MiB being read).
    #[must_use]
    pub fn compressed_window(self) -> u64 {
        2 * self.chunk + (blocks::SEARCH + blocks::TRIAL) as u64 + 2 * blob::PIECE as u64
    }

    /// The most output of the second decoder held at once, waiting for the first: the messages its
    /// channel holds, one more being sent and one being received.
    #[must_use]
    pub fn output_ahead(self) -> u64 {
        ((self.messages_ahead() + 2) * OUT) as u64
    }

    pub(crate) fn messages_ahead(self) -> usize {
        usize::try_from((4 * self.chunk).div_ceil(OUT as u64))
            .unwrap_or(usize::MAX)
            .clamp(16, 4096)
    }

    /// A bound on all the decoder's buffers: the two above, one more piece being read, and each
    /// decoder's input, output and search buffers.
    #[must_use]
    pub fn memory_bound(self) -> u64 {
        self.compressed_window()
            + self.output_ahead()
            + blob::PIECE as u64
            + 2 * blob::PIECE as u64
            + 4 * OUT as u64
            + (blocks::SEARCH + blocks::TRIAL) as u64
    }

    /// Where the split after compressed offset `at` looks from, in a stream of `size` bytes.
    pub(crate) fn next(self, at: u64, size: u64) -> Option<u64> {
        let left = size.saturating_sub(at);
        (left >= self.smallest && left > 0).then(|| at + self.chunk.min(left / 2))
    }
}

impl Default for Split {
    fn default() -> Split {
        Split::new(Split::CHUNK)
    }
}

/// What one inflation did and held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Splits tried: block starts the second decoder looked for.
    pub splits: u64,
    /// Splits whose output was joined to the first decoder's.
    pub joins: u64,
    /// The most compressed bytes held at once.
    pub peak_compressed: u64,
    /// The most output of the second decoder held at once.
    pub peak_ahead: u64,
}

/// The output of a split decoding failed its check after it was passed on: read the stream in one
/// piece.
#[derive(Debug, thiserror::Error)]
#[error("the parts of a gzip stream decoded in parallel do not join up")]
#[non_exhaustive]
pub struct SplitFailed;

/// The inflated output crossed its bound.
#[derive(Debug, thiserror::Error)]
#[error("decompressed past the bound of {limit} bytes")]
#[non_exhaustive]
pub struct Exceeded {
    /// The bound, in bytes of output.
    pub limit: u64,
}

/// Whether `error` is one of this crate's own, of type `T` ([`SplitFailed`], [`Exceeded`]).
#[must_use]
pub fn is<T: std::error::Error + 'static>(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(<dyn std::error::Error + Send + Sync>::is::<T>)
}

pub(crate) fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Inflates a gzip stream (every member, as flate2's `MultiGzDecoder` does) from `reader` into `out`,
/// splitting it between two decoders as `split` says (one decoder when `None`). `size` is the
/// stream's compressed size (where splits are placed); `limit` bounds the output. A read error of
/// `reader` is returned as it came.
///
/// # Errors
///
/// An error of kind [`io::ErrorKind::InvalidData`] for a stream that is not gzip, is truncated, or
/// fails its CRC-32 or length check; one whose inner error is [`SplitFailed`] when a joined output fails
/// its check (read the stream again with `split` set to `None`); one whose inner error is [`Exceeded`]
/// past `limit`; `reader`'s and `out`'s own errors.
pub fn inflate(
    reader: &mut (dyn Read + Send),
    size: u64,
    split: Option<Split>,
    limit: u64,
    out: &mut dyn Write,
) -> io::Result<Stats> {
    pipeline::inflate(reader, size, split, limit, out)
}

/// Inflates a whole gzip stream held in memory; see [`inflate`].
///
/// # Errors
///
/// As [`inflate`].
pub fn inflate_all(blob: &[u8], split: Option<Split>, limit: u64) -> io::Result<(Vec<u8>, Stats)> {
    let mut out = Vec::new();
    let mut reader = blob;
    let stats = inflate(&mut reader, blob.len() as u64, split, limit, &mut out)?;
    Ok((out, stats))
}

/// Where the output goes: counted against the bound, summed for the CRC-32, written on.
struct Sink<'a> {
    out: &'a mut dyn Write,
    crc: Crc,
    written: u64,
    limit: u64,
}

impl Sink<'_> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.written += bytes.len() as u64;
        if self.written > self.limit {
            return Err(io::Error::other(Exceeded { limit: self.limit }));
        }
        self.crc.update(bytes);
        self.out.write_all(bytes)
    }

    /// Whether a member's trailer matches what was written since the member began.
    fn trailer_matches(&self, trailer: [u8; 8]) -> bool {
        let [c0, c1, c2, c3, l0, l1, l2, l3] = trailer;
        u32::from_le_bytes([c0, c1, c2, c3]) == self.crc.sum()
            && u32::from_le_bytes([l0, l1, l2, l3]) == self.crc.amount()
    }
}

#[cfg(test)]
mod testdata;
