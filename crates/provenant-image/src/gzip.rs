//! Gzip layers inflated on two cores.
//!
//! A deflate stream can only be decoded in order, so one large gzip layer keeps one core busy while the
//! other waits. This module splits the work in two, the way parallel gzip decoders do:
//!
//! - a reading thread brings the blob into memory piece by piece (through the store's verifying reader);
//! - the first decoder starts at the beginning of the stream;
//! - the second looks, from the middle of the compressed bytes on, for a bit offset where a deflate block
//!   starts (a dynamic block whose header describes valid prefix codes, or a stored block whose length
//!   checks), and decodes from there with a made-up 32 KiB window;
//! - when the first decoder reaches that offset, it knows the true window. It goes on decoding and
//!   compares its output with the second decoder's. Back-references into the made-up window make the two
//!   differ at first; once 32 KiB in a row agree, both decoders hold the same window at the same point of
//!   the same bit stream, so everything the second decoder produced from there on is the true output and
//!   the first one stops.
//!
//! Nothing here is trusted on its own: the member's CRC-32 and length are checked as usual, the caller
//! checks the layer's diff id, and if the split turns out wrong (no block there, no agreement, a second
//! gzip member) the first decoder simply decodes the rest itself. Only an output that has already been
//! passed on and then fails its CRC-32 is reported as [`SplitFailed`], so that the caller can read the
//! layer again in one piece.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Bytes read from the blob at a time.
const PIECE: usize = 1 << 20;

/// Bytes inflated at a time.
const OUT: usize = 256 << 10;

/// Deflate's window: how far back a copy may reach.
const WINDOW: usize = 32 << 10;

/// How many compressed bytes past the middle a block start is looked for.
const SEARCH: usize = 1 << 20;

/// How many candidate block starts are tried at most.
const MAX_TRIALS: usize = 32;

/// How many compressed bytes a candidate block start is tried on before it is believed.
const TRIAL: usize = 64 << 10;

/// How far past the split point the two decoders may disagree before the second one is given up.
const AGREE_WITHIN: u64 = 16 << 20;

/// The smallest compressed layer worth splitting.
pub(crate) const SPLIT_FROM: u64 = 8 << 20;

/// The largest compressed layer split: a split layer is held in memory while both threads read it, so
/// larger ones are inflated as a stream on one thread.
pub(crate) const SPLIT_UP_TO: u64 = 256 << 20;

/// The output of a split decoding failed its check after it was passed on: read the layer in one piece.
#[derive(Debug, thiserror::Error)]
#[error("the two halves of a gzip layer decoded in parallel do not join up")]
pub struct SplitFailed;

/// The inflated output crossed its bound.
#[derive(Debug, thiserror::Error)]
#[error("decompressed past the layer's bound")]
pub struct Exceeded;

/// Inflates a whole gzip blob held in memory (every member), on two threads when `split` is set, into
/// at most `limit` bytes. The layer reader streams instead; this is its decoder for callers that hold
/// the bytes already, such as fuzzers and benchmarks.
///
/// # Errors
///
/// An error of kind [`io::ErrorKind::InvalidData`] for a stream that is not gzip, is truncated, or
/// fails its CRC-32; an error whose inner error is [`SplitFailed`] when the two halves do not join up;
/// one whose inner error is [`Exceeded`] past `limit`.
pub fn inflate_all(blob: &[u8], split: bool, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut reader = blob;
    inflate(&mut reader, blob.len() as u64, split, limit, &mut out)?;
    Ok(out)
}

/// Whether `error` is one of this module's own, of type `T`.
pub(crate) fn is<T: std::error::Error + 'static>(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(<dyn std::error::Error + Send + Sync>::is::<T>)
}

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// The blob's bytes, arriving from the reading thread in pieces of [`PIECE`] bytes.
#[derive(Default)]
struct Blob {
    state: Mutex<Arrived>,
    more: Condvar,
}

#[derive(Default)]
struct Arrived {
    /// The decoders are done (they failed): the rest of the blob is not wanted.
    abandoned: bool,
    /// `None` once released: no reader will come back to it.
    pieces: Vec<Option<Arc<Vec<u8>>>>,
    /// The reader is done: every piece is there, or it failed.
    ended: bool,
    failed: bool,
}

impl Blob {
    /// The piece at `index`, waiting for it; `None` past the end (or when the reader failed).
    fn piece(&self, index: usize) -> io::Result<Option<Arc<Vec<u8>>>> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| io::Error::other("a reading thread failed"))?;
        loop {
            if let Some(p) = state.pieces.get(index) {
                return p
                    .clone()
                    .map(Some)
                    .ok_or_else(|| io::Error::other("a released piece was read again"));
            }
            if state.failed {
                return Err(io::Error::other("reading the layer failed"));
            }
            if state.ended {
                return Ok(None);
            }
            state = self
                .more
                .wait(state)
                .map_err(|_| io::Error::other("a reading thread failed"))?;
        }
    }

    /// Tells the reading thread to stop: the decoders failed and need no more.
    fn abandon(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.abandoned = true;
        }
    }

    /// Lets go of the piece at `index`.
    fn release(&self, index: usize) {
        if let Ok(mut state) = self.state.lock()
            && let Some(p) = state.pieces.get_mut(index)
        {
            *p = None;
        }
    }

    /// Reads `reader` to its end into pieces.
    fn fill(&self, reader: &mut dyn Read) -> io::Result<()> {
        let result = (|| loop {
            if self.state.lock().is_ok_and(|s| s.abandoned) {
                return Ok(());
            }
            let mut piece = Vec::with_capacity(PIECE);
            let n = (&mut *reader).take(PIECE as u64).read_to_end(&mut piece)?;
            if n == 0 {
                return Ok(());
            }
            let mut state = self
                .state
                .lock()
                .map_err(|_| io::Error::other("a decoding thread failed"))?;
            state.pieces.push(Some(Arc::new(piece)));
            drop(state);
            self.more.notify_all();
        })();
        if let Ok(mut state) = self.state.lock() {
            state.ended = true;
            state.failed = result.is_err();
        }
        self.more.notify_all();
        result
    }
}

/// A position in the blob, read forwards.
struct Cursor<'a> {
    blob: &'a Blob,
    /// The pieces before this one are released as the cursor leaves them.
    release_before: usize,
    piece: Option<Arc<Vec<u8>>>,
    index: usize,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(blob: &'a Blob, offset: usize) -> Cursor<'a> {
        Cursor {
            blob,
            release_before: 0,
            piece: None,
            index: offset / PIECE,
            at: offset % PIECE,
        }
    }

    fn offset(&self) -> usize {
        self.index * PIECE + self.at
    }

    /// The bytes from here to the end of the current piece; empty at the end of the blob.
    fn chunk(&mut self) -> io::Result<&[u8]> {
        loop {
            if self.piece.is_none() {
                self.piece = self.blob.piece(self.index)?;
            }
            let Some(piece) = &self.piece else {
                return Ok(&[]);
            };
            if self.at < piece.len() {
                break;
            }
            // This piece is used up: the next one.
            self.at -= piece.len().min(self.at);
            if self.index < self.release_before {
                self.blob.release(self.index);
            }
            self.index += 1;
            self.piece = None;
        }
        Ok(self
            .piece
            .as_deref()
            .and_then(|p| p.get(self.at..))
            .unwrap_or_default())
    }

    fn advance(&mut self, n: usize) {
        self.at += n;
    }

    fn byte(&mut self) -> io::Result<u8> {
        let b = *self
            .chunk()?
            .first()
            .ok_or_else(|| invalid("the gzip stream is truncated"))?;
        self.advance(1);
        Ok(b)
    }

    fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte()?;
        }
        Ok(out)
    }

    /// Whether the blob ends here.
    fn at_end(&mut self) -> io::Result<bool> {
        Ok(self.chunk()?.is_empty())
    }

    /// Skips a gzip member header (RFC 1952).
    fn skip_header(&mut self) -> io::Result<()> {
        let [id1, id2, method, flags] = self.bytes::<4>()?;
        if id1 != 0x1f || id2 != 0x8b {
            return Err(invalid("not a gzip stream"));
        }
        if method != 8 || flags & 0xe0 != 0 {
            return Err(invalid("a gzip header names an unknown method or flag"));
        }
        self.bytes::<6>()?; // mtime, extra flags, operating system
        if flags & 0x04 != 0 {
            let len = u16::from_le_bytes(self.bytes::<2>()?);
            for _ in 0..len {
                self.byte()?;
            }
        }
        for flag in [0x08, 0x10] {
            // File name, comment: zero-terminated.
            if flags & flag != 0 {
                while self.byte()? != 0 {}
            }
        }
        if flags & 0x02 != 0 {
            self.bytes::<2>()?;
        }
        Ok(())
    }
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
            return Err(io::Error::other(Exceeded));
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

/// A raw inflater over the blob from a cursor, writing into `buf`. Returns the bytes produced and
/// whether the deflate stream ended; stops early at `stop` (a blob offset) when given.
fn inflate_some(
    z: &mut Decompress,
    cursor: &mut Cursor<'_>,
    buf: &mut [u8],
    stop: Option<usize>,
) -> io::Result<(usize, bool)> {
    let before_out = z.total_out();
    loop {
        // Settle on the current piece first, so that the offset is where the input starts.
        cursor.chunk()?;
        let offset = cursor.offset();
        let produced_so_far = usize::try_from(z.total_out() - before_out).unwrap_or(usize::MAX);
        let before_in = z.total_in();
        let (status, empty) = {
            let input = cursor.chunk()?;
            let input = match stop {
                Some(stop) => input.get(..stop.saturating_sub(offset)).unwrap_or(input),
                None => input,
            };
            let out = buf.get_mut(produced_so_far..).unwrap_or_default();
            let status = z
                .decompress(input, out, FlushDecompress::None)
                .map_err(|_| invalid("the gzip stream is corrupt"))?;
            (status, input.is_empty())
        };
        let consumed = usize::try_from(z.total_in() - before_in).unwrap_or(usize::MAX);
        cursor.advance(consumed);
        let produced = usize::try_from(z.total_out() - before_out).unwrap_or(usize::MAX);
        if status == Status::StreamEnd {
            return Ok((produced, true));
        }
        if produced == buf.len() {
            return Ok((produced, false));
        }
        if empty {
            if stop.is_some_and(|s| offset >= s) {
                return Ok((produced, false));
            }
            return Err(invalid("the gzip stream is truncated"));
        }
        if consumed == 0 && produced == produced_so_far {
            // Nothing moved with input and room for output: the stream is stuck.
            return Err(invalid("the gzip stream is corrupt"));
        }
    }
}

/// What the second decoder tells the first.
enum Spec {
    /// It starts at this bit offset of the blob.
    Start(u64),
    /// It found nowhere to start.
    NoStart,
    /// Output, in order.
    Bytes(Vec<u8>),
    /// Its deflate stream ended after it consumed this many (bit-shifted) bytes.
    End(u64),
    /// It failed or was stopped: what it sent is not to be used past what already agreed.
    Failed,
}

/// A made-up window for the second decoder: bytes that real data is unlikely to repeat for 32 KiB.
fn made_up_window() -> Vec<u8> {
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

/// Whether a dynamic or stored deflate block that is not the last one starts at bit `at` of `data`. A
/// stored block's length check alone matches too often by chance, so the block after it must start
/// properly too (up to `depth` stored blocks in a row).
fn block_starts(data: &[u8], at: usize, depth: u8) -> bool {
    let head = bits(data, at);
    match head & 0b111 {
        // Not final, stored: LEN and its complement at the next byte boundary, then LEN bytes.
        0b000 => {
            let byte = (at + 3).div_ceil(8);
            let word = bits(data, byte * 8);
            let len = (word & 0xffff) as usize;
            let next = byte + 4 + len;
            depth > 0
                && next + 8 <= data.len()
                && len as u64 == !(word >> 16) & 0xffff
                && block_starts(data, next * 8, depth - 1)
        }
        // Not final, dynamic codes.
        0b100 => dynamic_header_ok(data, at),
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

/// Whether decoding `data` from bit `at` on, with a made-up window, goes through without an error.
fn decodes_from(data: &[u8], at: usize, window: &[u8]) -> bool {
    let mut raw = data
        .get(at / 8..(at / 8 + TRIAL).min(data.len()))
        .unwrap_or_default()
        .to_vec();
    raw.push(0);
    let mut input = Vec::with_capacity(raw.len());
    shift_into(&raw, (at % 8) as u32, &mut input);
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

/// Most output the second decoder holds before the first one takes it, in messages of at most [`OUT`]
/// bytes (96 MiB): past this it waits, which keeps the memory of a split layer bounded. The rest of its
/// half it decodes while the caller parses what it already has.
const AHEAD: usize = 384;

/// The first bit offset of `area` (within its first [`SEARCH`] bytes) where a block starts and decodes for
/// [`TRIAL`] bytes, and how many candidates were tried. Crafted bytes could pass the header checks at many
/// offsets, and each trial costs a decode, so at most [`MAX_TRIALS`] are tried before the layer is left to
/// the first thread.
fn find_start(area: &[u8], window: &[u8]) -> (Option<usize>, usize) {
    let last = area.len().min(SEARCH).saturating_sub(TRIAL / 2) * 8;
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

/// The second decoder: finds a block start at or past blob offset `from` and decodes from it to the end
/// of the deflate stream, telling the first one what it finds.
fn speculate(blob: &Blob, from: usize, tell: &mpsc::SyncSender<Spec>, stop: &AtomicBool, limit: u64) {
    let window = made_up_window();
    // The search area, copied out of its pieces.
    let want = SEARCH + TRIAL + 8;
    let mut area = Vec::with_capacity(want);
    let mut cursor = Cursor::new(blob, from);
    while area.len() < want {
        let Ok(chunk) = cursor.chunk() else {
            let _ = tell.send(Spec::NoStart);
            return;
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len().min(want - area.len());
        area.extend_from_slice(chunk.get(..n).unwrap_or_default());
        cursor.advance(n);
    }
    let Some(at) = find_start(&area, &window).0 else {
        let _ = tell.send(Spec::NoStart);
        return;
    };
    drop(area);
    let start = from as u64 * 8 + at as u64;
    if tell.send(Spec::Start(start)).is_err() {
        return;
    }
    if let Some(end) = decode_shifted(blob, start, &window, tell, stop, limit) {
        let _ = tell.send(end);
    }
}

/// Shifts `raw` right by `shift` bits across byte boundaries: byte `i` of the result is made of bytes `i`
/// and `i + 1` of `raw`, so the result is one byte shorter.
fn shift_into(raw: &[u8], shift: u32, out: &mut Vec<u8>) {
    out.clear();
    if shift == 0 {
        out.extend_from_slice(raw.get(..raw.len().saturating_sub(1)).unwrap_or_default());
    } else {
        out.extend(
            raw.iter()
                .zip(raw.iter().skip(1))
                .map(|(a, b)| (a >> shift) | (b << (8 - shift))),
        );
    }
}

/// Decodes the blob from bit `start` on with the made-up window, sending the output. Returns how it
/// ended (`None` when the first decoder stopped listening).
fn decode_shifted(
    blob: &Blob,
    start: u64,
    window: &[u8],
    tell: &mpsc::SyncSender<Spec>,
    stop: &AtomicBool,
    limit: u64,
) -> Option<Spec> {
    let shift = (start % 8) as u32;
    let Ok(first) = usize::try_from(start / 8) else {
        return Some(Spec::Failed);
    };
    let mut cursor = Cursor::new(blob, first);
    let mut z = Decompress::new(false);
    if z.set_dictionary(window).is_err() {
        return Some(Spec::Failed);
    }
    // The raw bytes still to shift: the last byte of one run is the first of the next.
    let mut raw: Vec<u8> = Vec::with_capacity(PIECE + 1);
    let mut input = Vec::with_capacity(PIECE);
    let mut sent = 0u64;
    loop {
        let Ok(chunk) = cursor.chunk() else {
            return Some(Spec::Failed);
        };
        let at_end = chunk.is_empty();
        raw.extend_from_slice(chunk);
        let n = chunk.len();
        cursor.advance(n);
        if at_end {
            // The blob's last byte: its high bits alone.
            input.clear();
            input.extend(raw.first().map(|b| b >> shift));
        } else {
            shift_into(&raw, shift, &mut input);
            let keep = raw.len().saturating_sub(1);
            raw.drain(..keep);
        }
        let mut pos = 0usize;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Some(Spec::Failed);
            }
            let mut out = Vec::with_capacity(OUT);
            let before_in = z.total_in();
            let Ok(status) = z.decompress_vec(
                input.get(pos..).unwrap_or_default(),
                &mut out,
                FlushDecompress::None,
            ) else {
                return Some(Spec::Failed);
            };
            pos += usize::try_from(z.total_in() - before_in).unwrap_or(usize::MAX);
            sent += out.len() as u64;
            if sent > limit {
                return Some(Spec::Failed);
            }
            let full = out.len() == OUT;
            if !out.is_empty() && tell.send(Spec::Bytes(out)).is_err() {
                return None;
            }
            if status == Status::StreamEnd {
                return Some(Spec::End(z.total_in()));
            }
            if pos >= input.len() && !full {
                break;
            }
        }
        if at_end {
            // The blob ended inside the deflate stream.
            return Some(Spec::Failed);
        }
    }
}

/// What the first decoder knows of the second.
struct Second {
    hears: mpsc::Receiver<Spec>,
    /// The blob offset it looks for a block start from.
    from: usize,
    stop: Arc<AtomicBool>,
}

impl Second {
    fn give_up(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Inflates a gzip blob (every member, as `MultiGzDecoder` does) from `reader` into `out`, splitting the
/// first member between two threads when `split` says so. `size` is the blob's size; `limit` bounds the
/// output. A read error of the blob is returned as it came. Returns whether the split was used.
pub(crate) fn inflate(
    reader: &mut (dyn Read + Send),
    size: u64,
    split: bool,
    limit: u64,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let blob = Blob::default();
    let stop = Arc::new(AtomicBool::new(false));
    std::thread::scope(|scope| {
        let filling = scope.spawn(|| blob.fill(reader));
        let second = split.then(|| {
            let (tell, hears) = mpsc::sync_channel(AHEAD);
            let middle = usize::try_from(size / 2).unwrap_or(usize::MAX);
            let (blob, flag) = (&blob, Arc::clone(&stop));
            scope.spawn(move || speculate(blob, middle, &tell, &flag, limit));
            Second {
                hears,
                from: middle,
                stop: Arc::clone(&stop),
            }
        });
        let mut sink = Sink {
            out,
            crc: Crc::new(),
            written: 0,
            limit,
        };
        let decoded = decode_members(&blob, second, &mut sink);
        stop.store(true, Ordering::Relaxed);
        if decoded.is_err() {
            blob.abandon();
        }
        let filled = filling
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed")));
        // The blob's own error (its digest, the store) explains a failure best.
        filled.and(decoded)
    })
}

fn decode_members(blob: &Blob, second: Option<Second>, sink: &mut Sink<'_>) -> io::Result<bool> {
    let mut cursor = Cursor::new(blob, 0);
    // The second decoder reads from its starting point on; what comes before is the first's alone.
    cursor.release_before = second.as_ref().map_or(usize::MAX, |s| s.from / PIECE);
    let mut second = second;
    let mut joined = false;
    loop {
        cursor.skip_header()?;
        match member(&mut cursor, sink, second.take())? {
            Joined::Own => {
                let trailer = cursor.bytes::<8>()?;
                if !sink.trailer_matches(trailer) {
                    return Err(invalid("a gzip member fails its CRC-32 or length check"));
                }
            }
            Joined::Second { shifted_in, start } => {
                // The deflate stream ended somewhere in the last shifted byte the second decoder
                // consumed: of the byte offsets that leaves for the trailer, the one that checks.
                let last = start + shifted_in * 8;
                let mut found = None;
                for bit in [last.saturating_sub(8), last.saturating_sub(7), last] {
                    let mut c = Cursor::new(blob, usize::try_from(bit.div_ceil(8)).unwrap_or(usize::MAX));
                    if c.bytes::<8>().is_ok_and(|t| sink.trailer_matches(t)) {
                        found = Some(c);
                        break;
                    }
                }
                let mut found = found.ok_or_else(|| io::Error::other(SplitFailed))?;
                found.release_before = cursor.release_before;
                cursor = found;
                joined = true;
            }
        }
        sink.crc.reset();
        if cursor.at_end()? {
            return Ok(joined);
        }
    }
}

/// How a member's deflate stream was decoded.
enum Joined {
    /// By the first decoder alone; the cursor is at the trailer.
    Own,
    /// Its end by the second decoder, which consumed `shifted_in` bytes from bit `start` on.
    Second { shifted_in: u64, start: u64 },
}

/// Decodes one member's deflate stream from the cursor, joining the second decoder's output when it
/// agrees.
fn member(cursor: &mut Cursor<'_>, sink: &mut Sink<'_>, second: Option<Second>) -> io::Result<Joined> {
    let mut inflater = Decompress::new(false);
    let mut buf = vec![0u8; OUT];
    let (split, ended) = up_to_split(&mut inflater, cursor, sink, &mut buf, second.as_ref())?;
    match (second, split, ended) {
        (Some(second), Some(start), false) => join(inflater, cursor, sink, &mut buf, &second, start),
        _ => finish_own(&mut inflater, cursor, sink, &mut buf, ended),
    }
}

/// What the second decoder's first word says: the bit offset it starts at.
fn start_of(heard: Option<&Spec>) -> Option<u64> {
    match heard {
        Some(Spec::Start(bit)) => Some(*bit),
        _ => None,
    }
}

/// Decodes up to the second decoder's starting point. Until the second decoder has said where it
/// starts, the first does not pass the point it looks from. Returns the starting point (when there is
/// one) and whether the stream ended before it.
fn up_to_split(
    inflater: &mut Decompress,
    cursor: &mut Cursor<'_>,
    sink: &mut Sink<'_>,
    buf: &mut [u8],
    second: Option<&Second>,
) -> io::Result<(Option<u64>, bool)> {
    let mut split: Option<u64> = None;
    let mut waiting = second.is_some();
    loop {
        if let (Some(second), true) = (second, waiting) {
            match second.hears.try_recv() {
                Err(mpsc::TryRecvError::Empty) => {}
                heard => {
                    waiting = false;
                    split = start_of(heard.ok().as_ref());
                }
            }
        }
        let stop = match (second, waiting) {
            (Some(second), true) => Some(second.from),
            _ => split.and_then(|bit| usize::try_from(bit.div_ceil(8)).ok()),
        };
        let (n, ended) = inflate_some(inflater, cursor, buf, stop)?;
        sink.put(buf.get(..n).unwrap_or_default())?;
        if ended {
            return Ok((split, true));
        }
        if stop.is_some_and(|s| cursor.offset() >= s) && n < buf.len() {
            match (second, waiting) {
                (Some(second), true) => {
                    // There already: wait for the second decoder's word.
                    waiting = false;
                    split = start_of(second.hears.recv().ok().as_ref());
                }
                _ => return Ok((split, false)),
            }
        }
    }
}

/// Past the split point: compares the first decoder's output with the second's until 32 KiB in a row
/// agree, then passes the second's output on.
fn join(
    mut inflater: Decompress,
    cursor: &mut Cursor<'_>,
    sink: &mut Sink<'_>,
    buf: &mut [u8],
    second: &Second,
    start: u64,
) -> io::Result<Joined> {
    let mut theirs: Vec<u8> = Vec::new();
    let mut at = 0usize;
    let mut agreeing = 0usize;
    let mut compared = 0u64;
    let mut second_ended: Option<u64> = None;
    let mut ended = false;
    while agreeing < WINDOW {
        if ended || compared > AGREE_WITHIN {
            second.give_up();
            return finish_own(&mut inflater, cursor, sink, buf, ended);
        }
        let (n, end) = inflate_some(&mut inflater, cursor, buf, None)?;
        ended = end;
        let mut mine = buf.get(..n).unwrap_or_default();
        sink.put(mine)?;
        while !mine.is_empty() {
            if at >= theirs.len() {
                match (second_ended, second.hears.recv()) {
                    (None, Ok(Spec::Bytes(bytes))) => {
                        theirs = bytes;
                        at = 0;
                        continue;
                    }
                    (None, Ok(Spec::End(shifted_in))) => {
                        second_ended = Some(shifted_in);
                        continue;
                    }
                    // It failed, or its output ran out before agreeing.
                    _ => {
                        second.give_up();
                        return finish_own(&mut inflater, cursor, sink, buf, ended);
                    }
                }
            }
            let next = theirs.get(at..).unwrap_or_default();
            let len = next.len().min(mine.len());
            let (a, b) = (
                mine.get(..len).unwrap_or_default(),
                next.get(..len).unwrap_or_default(),
            );
            agreeing = match a.iter().zip(b).rposition(|(x, y)| x != y) {
                Some(differs) => len - differs - 1,
                None => agreeing + len,
            };
            at += len;
            compared += len as u64;
            mine = mine.get(len..).unwrap_or_default();
        }
    }
    drop(inflater);
    // From here on the second decoder's output is the stream's.
    sink.put(theirs.get(at..).unwrap_or_default())?;
    let shifted_in = loop {
        if let Some(end) = second_ended {
            break end;
        }
        match second.hears.recv() {
            Ok(Spec::Bytes(bytes)) => sink.put(&bytes)?,
            Ok(Spec::End(shifted_in)) => break shifted_in,
            _ => return Err(io::Error::other(SplitFailed)),
        }
    };
    Ok(Joined::Second { shifted_in, start })
}

/// The first decoder decodes the rest of the member itself.
fn finish_own(
    z: &mut Decompress,
    cursor: &mut Cursor<'_>,
    sink: &mut Sink<'_>,
    buf: &mut [u8],
    mut ended: bool,
) -> io::Result<Joined> {
    while !ended {
        let (n, end) = inflate_some(z, cursor, buf, None)?;
        sink.put(buf.get(..n).unwrap_or_default())?;
        ended = end;
    }
    Ok(Joined::Own)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;

    fn gzip(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Text made of a few hundred words, so that every word is a copy of an earlier one: a decoder that
    /// starts with a made-up window never agrees with the true one.
    fn words(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        let words: Vec<String> = (0..500).map(|i| format!("word{i} ")).collect();
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            out.extend_from_slice(words[(x >> 33) as usize % words.len()].as_bytes());
        }
        out.truncate(len);
        out
    }

    /// Like a tar stream: text files between files that do not compress (which refill the window with
    /// literals, as compressed files and binaries do).
    fn archive_like(len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        let mut x: u64 = 7;
        let mut seed = 1;
        while out.len() < len {
            out.extend(words(200 << 10, seed));
            seed += 1;
            for _ in 0..(48 << 10) {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                out.push((x >> 56) as u8);
            }
        }
        out.truncate(len);
        out
    }

    fn run(blob: &[u8], split: bool) -> io::Result<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut reader: &[u8] = blob;
        let joined = inflate(&mut reader, blob.len() as u64, split, u64::MAX, &mut out)?;
        Ok((out, joined))
    }

    #[test]
    fn split_decoding_joins_the_halves() {
        let data = archive_like(24 << 20);
        for level in [6, 9] {
            let blob = gzip(&data, level);
            let (out, joined) = run(&blob, true).unwrap();
            assert!(out == data, "level {level}: split output differs");
            assert!(joined, "level {level}: the second decoder's output was not used");
            let (out, joined) = run(&blob, false).unwrap();
            assert!(out == data && !joined, "level {level}");
        }
    }

    #[test]
    fn halves_that_never_agree_are_decoded_in_one_piece() {
        let data = words(24 << 20, 1);
        let blob = gzip(&data, 6);
        let (out, joined) = run(&blob, true).unwrap();
        assert!(out == data, "output differs");
        assert!(!joined, "the halves cannot agree on this data");
    }

    #[test]
    fn a_second_member_after_a_split_one_is_read_too() {
        let data = archive_like(24 << 20);
        let tail = words(300 << 10, 9);
        let mut blob = gzip(&data, 6);
        blob.extend(gzip(&tail, 6));
        let (out, joined) = run(&blob, true).unwrap();
        assert!(joined, "the first member was not split");
        assert!(
            out.len() == data.len() + tail.len()
                && out[..data.len()] == data[..]
                && out[data.len()..] == tail[..]
        );
    }

    #[test]
    fn a_wrong_crc_after_a_join_is_a_failed_split_and_otherwise_a_crc_error() {
        let mut blob = gzip(&archive_like(24 << 20), 6);
        let at = blob.len() - 8;
        blob[at] ^= 1;
        let err = run(&blob, true).unwrap_err();
        assert!(is::<SplitFailed>(&err), "{err}");
        let err = run(&blob, false).unwrap_err();
        assert!(err.to_string().contains("CRC-32"), "{err}");
    }

    #[test]
    fn truncated_corrupt_and_trailing_garbage_streams_are_errors() {
        let blob = gzip(&archive_like(24 << 20), 6);
        let mut corrupt = blob.clone();
        let middle = corrupt.len() * 3 / 4;
        for b in &mut corrupt[middle..middle + 64] {
            *b = 0xff;
        }
        let mut trailing = blob.clone();
        trailing.extend_from_slice(b"not gzip");
        for (name, bad) in [
            (
                "truncated in the second half",
                blob[..blob.len() * 3 / 4].to_vec(),
            ),
            ("truncated in the trailer", blob[..blob.len() - 3].to_vec()),
            ("corrupt in the second half", corrupt),
            ("trailing garbage", trailing),
            ("not gzip", b"plain text, not a gzip stream at all".to_vec()),
        ] {
            for split in [true, false] {
                assert!(run(&bad, split).is_err(), "{name}, split {split}");
            }
        }
    }

    #[test]
    fn output_past_the_bound_is_refused() {
        let data = archive_like(24 << 20);
        let blob = gzip(&data, 6);
        for split in [true, false] {
            let mut reader: &[u8] = &blob;
            let err = inflate(&mut reader, blob.len() as u64, split, 20 << 20, &mut Vec::new()).unwrap_err();
            assert!(is::<Exceeded>(&err), "{err}");
        }
    }

    #[test]
    fn the_block_finder_takes_any_bytes() {
        let mut x: u64 = 3;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 56) as u8
            })
            .collect();
        let window = made_up_window();
        for data in [
            &noise[..],
            &[0u8; 4096][..],
            &[0xffu8; 4096][..],
            &[][..],
            &[0u8; 3][..],
        ] {
            for at in 0..(data.len() * 8).min(400_000) {
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
        let candidates = (0..SEARCH * 8)
            .filter(|&at| block_starts(&damaged, at, 2))
            .count();
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
