//! One raw inflater over the blob from a byte offset where a deflate block starts. A decoder's whole
//! state is this value, so the second decoder can hand it to the first once their outputs agree.
//!
//! Only byte offsets: an inflater fed bytes shifted by a few bits to start at a block in mid-byte reads
//! any later stored block at the shifted stream's byte boundary, not the real one, and fails there (or
//! decodes the wrong bytes). zlib's `inflatePrime` would avoid the shift; neither flate2 nor a safe
//! zlib-rs interface offers it.

use std::io;

use flate2::{Decompress, FlushDecompress, Status};

use crate::blob::Cursor;
use crate::invalid;

pub(crate) struct Stream<'a> {
    z: Decompress,
    cursor: Cursor<'a>,
    /// The blob's byte offset where the deflate data read here begins.
    start: u64,
    /// Bytes read from the blob; those before `pos` were consumed.
    input: Vec<u8>,
    pos: usize,
    /// The blob has ended: `input` holds all that is left.
    eof: bool,
}

/// How far a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The output buffer is full; there is more.
    More,
    /// The deflate stream ended.
    Ended,
    /// Everything up to the barrier was decoded.
    AtBarrier,
    /// A speculative reader was interrupted while waiting for bytes; call again to go on.
    Interrupted,
}

impl<'a> Stream<'a> {
    /// Reads from `cursor`'s byte offset, with `window` as the history a back-reference may reach into.
    pub(crate) fn new(cursor: Cursor<'a>, window: Option<&[u8]>) -> io::Result<Stream<'a>> {
        let mut z = Decompress::new(false);
        if let Some(window) = window {
            z.set_dictionary(window)
                .map_err(|_| io::Error::other("a deflate window was refused"))?;
        }
        Ok(Stream {
            z,
            start: cursor.offset() as u64,
            cursor,
            input: Vec::new(),
            pos: 0,
            eof: false,
        })
    }

    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// Bytes the inflater consumed. When its deflate stream has ended, the stream's last bits are in
    /// the last of them.
    pub(crate) fn consumed(&self) -> u64 {
        self.z.total_in()
    }

    /// The blob's byte offset the inflater has reached.
    pub(crate) fn raw_offset(&self) -> u64 {
        self.start + self.consumed()
    }

    pub(crate) fn cursor_mut(&mut self) -> &mut Cursor<'a> {
        &mut self.cursor
    }

    /// Brings the next piece of the blob into `input`; `false` when interrupted.
    fn fill(&mut self) -> io::Result<bool> {
        self.input.drain(..self.pos.min(self.input.len()));
        self.pos = 0;
        let Some(chunk) = self.cursor.chunk()? else {
            return Ok(false);
        };
        let n = chunk.len();
        if n == 0 {
            self.eof = true;
        } else {
            self.input.extend_from_slice(chunk);
        }
        self.cursor.advance(n);
        Ok(true)
    }

    /// Inflates into `buf` until it is full, the deflate stream ends, or every byte before blob byte
    /// `barrier` (where a block starts) has been consumed. Returns the bytes produced and how far it went.
    pub(crate) fn step(&mut self, buf: &mut [u8], barrier: Option<u64>) -> io::Result<(usize, Progress)> {
        // Bytes that may be consumed in all.
        let allowed_total = barrier.map(|b| b.saturating_sub(self.start));
        let before_out = self.z.total_out();
        let produced = |z: &Decompress| usize::try_from(z.total_out() - before_out).unwrap_or(usize::MAX);
        loop {
            let done = produced(&self.z);
            if done >= buf.len() {
                return Ok((done, Progress::More));
            }
            let allowed = allowed_total.map_or(usize::MAX, |t| {
                usize::try_from(t.saturating_sub(self.z.total_in())).unwrap_or(usize::MAX)
            });
            let available = self.input.len().saturating_sub(self.pos);
            if available == 0 && allowed > 0 && !self.eof {
                if !self.fill()? {
                    return Ok((done, Progress::Interrupted));
                }
                continue;
            }
            let give = available.min(allowed);
            let before_in = self.z.total_in();
            let status = {
                let input = self.input.get(self.pos..self.pos + give).unwrap_or_default();
                let out = buf.get_mut(done..).unwrap_or_default();
                self.z
                    .decompress(input, out, FlushDecompress::None)
                    .map_err(|_| invalid("the gzip stream is corrupt"))?
            };
            let used = usize::try_from(self.z.total_in() - before_in).unwrap_or(usize::MAX);
            self.pos += used;
            let now = produced(&self.z);
            if status == Status::StreamEnd {
                return Ok((now, Progress::Ended));
            }
            if now >= buf.len() {
                return Ok((now, Progress::More));
            }
            if give == 0 {
                // Nothing more to give with room for output.
                if allowed == 0 {
                    return Ok((now, Progress::AtBarrier));
                }
                return Err(invalid("the gzip stream is truncated"));
            }
            if used == 0 && now == done {
                // Nothing moved with input and room for output: the stream is stuck.
                return Err(invalid("the gzip stream is corrupt"));
            }
        }
    }
}
