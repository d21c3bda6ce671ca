//! A bounded reader of zstd streams (RFC 8878) for image layers: every frame in turn, skippable frames
//! skipped, windows larger than [`MAX_WINDOW`] refused (a frame's header cannot make us allocate more),
//! in pure Rust (`ruzstd`).

use std::io::{self, Chain, Cursor, Read};

use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

/// Largest window a frame may ask for: zstd's own default limit for decompression with `--long` (128 MiB).
pub(crate) const MAX_WINDOW: u64 = 128 << 20;

/// Magic numbers of skippable frames: `0x184D2A50` to `0x184D2A5F`, little-endian.
const SKIPPABLE: std::ops::RangeInclusive<u32> = 0x184D_2A50..=0x184D_2A5F;

type Frame<R> = StreamingDecoder<Chain<Cursor<[u8; 4]>, R>, FrameDecoder>;

enum State<R: Read> {
    /// Between frames.
    Idle(R),
    /// Inside a frame.
    Frame(Box<Frame<R>>),
    /// The stream has ended, or failed.
    Done,
}

/// The decompressed content of a zstd stream of any number of frames.
pub(crate) struct Decoder<R: Read> {
    state: State<R>,
}

impl<R: Read> Decoder<R> {
    pub(crate) fn new(inner: R) -> Decoder<R> {
        Decoder {
            state: State::Idle(inner),
        }
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {what}"))
}

/// Reads the next four bytes; `None` at a clean end of the stream.
fn next_word<R: Read>(r: &mut R) -> io::Result<Option<[u8; 4]>> {
    let mut word = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let Some(rest) = word.get_mut(got..) else { break };
        match r.read(rest) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(invalid("the stream ends inside a frame header")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(word))
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(0),
                State::Frame(mut frame) => {
                    let n = frame.read(buf)?;
                    if n > 0 {
                        self.state = State::Frame(frame);
                        return Ok(n);
                    }
                    let (_, inner) = frame.into_inner().into_inner();
                    self.state = State::Idle(inner);
                }
                State::Idle(mut inner) => {
                    let Some(magic) = next_word(&mut inner)? else {
                        return Ok(0);
                    };
                    if SKIPPABLE.contains(&u32::from_le_bytes(magic)) {
                        let len = next_word(&mut inner)?
                            .ok_or_else(|| invalid("the stream ends inside a skippable frame"))?;
                        let len = u64::from(u32::from_le_bytes(len));
                        let skipped = io::copy(&mut (&mut inner).take(len), &mut io::sink())?;
                        if skipped != len {
                            return Err(invalid("the stream ends inside a skippable frame"));
                        }
                        self.state = State::Idle(inner);
                        continue;
                    }
                    let frame = StreamingDecoder::new_with_max_window_size(
                        Cursor::new(magic).chain(inner),
                        MAX_WINDOW,
                    )
                    .map_err(invalid)?;
                    self.state = State::Frame(Box::new(frame));
                }
            }
        }
    }
}
