//! The compressed bytes between the reading thread and the decoders: a bounded window of pieces.
//!
//! The reading thread appends pieces of [`PIECE`] bytes and waits while the window holds its bound; the
//! first decoder, always the one furthest behind, lets go of the pieces it has left. The second decoder
//! reads ahead inside the window and, when it needs bytes past it while the first decoder waits for it,
//! gives up rather than wait for ever.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::invalid;

/// Bytes read from the blob at a time.
pub(crate) const PIECE: usize = 1 << 20;

/// The window of compressed bytes.
pub(crate) struct Blob {
    state: Mutex<Held>,
    changed: Condvar,
    /// The reading thread waits while this many bytes are held.
    cap: usize,
}

/// What the reading thread is doing.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Reader {
    #[default]
    Reading,
    /// It waits for room.
    Full,
    /// Every piece was read.
    Ended,
    Failed,
}

#[derive(Default)]
struct Held {
    /// The pieces from `base` on.
    pieces: VecDeque<Arc<Vec<u8>>>,
    base: usize,
    /// Bytes in `pieces`, and the most there ever were.
    bytes: usize,
    peak: usize,
    reader: Reader,
    /// The decoders are done: the rest of the blob is not wanted.
    abandoned: bool,
    /// The first decoder waits for the second one's output.
    waiting_for_second: bool,
}

/// What a speculative reader may be stopped by.
#[derive(Default)]
pub(crate) struct Flags {
    /// The first decoder no longer listens.
    pub(crate) stop: AtomicBool,
    /// The first decoder takes this decoder's state over.
    pub(crate) handover: AtomicBool,
    /// Output sent and not yet received.
    pub(crate) ahead: AtomicU64,
}

impl Flags {
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    pub(crate) fn handing_over(&self) -> bool {
        self.handover.load(Ordering::Acquire)
    }
}

/// A piece, the end of the blob, or (for a speculative reader) an interruption.
pub(crate) enum Got {
    Piece(Arc<Vec<u8>>),
    End,
    Interrupted,
}

fn poisoned<T>(_: T) -> io::Error {
    io::Error::other("a gzip decoding thread failed")
}

impl Blob {
    pub(crate) fn new(cap: usize) -> Blob {
        Blob {
            state: Mutex::new(Held::default()),
            changed: Condvar::new(),
            cap: cap.max(2 * PIECE),
        }
    }

    fn lock(&self) -> io::Result<MutexGuard<'_, Held>> {
        self.state.lock().map_err(poisoned)
    }

    /// The most compressed bytes held at once.
    pub(crate) fn peak(&self) -> usize {
        self.state.lock().map_or(0, |s| s.peak)
    }

    /// The piece at `index`, waiting for it. A speculative reader (`flags`) is interrupted when it is
    /// stopped or handing over, or when the first decoder waits for it while the window is full.
    pub(crate) fn piece(&self, index: usize, flags: Option<&Flags>) -> io::Result<Got> {
        let mut state = self.lock()?;
        loop {
            if index < state.base {
                return Err(io::Error::other(
                    "a part of the gzip stream was read again after it was let go",
                ));
            }
            if let Some(p) = state.pieces.get(index - state.base) {
                return Ok(Got::Piece(Arc::clone(p)));
            }
            match state.reader {
                Reader::Failed => return Err(io::Error::other("reading the gzip stream failed")),
                Reader::Ended => return Ok(Got::End),
                Reader::Reading | Reader::Full => {}
            }
            if let Some(f) = flags
                && (f.stopped()
                    || f.handing_over()
                    || (state.waiting_for_second && state.reader == Reader::Full))
            {
                return Ok(Got::Interrupted);
            }
            state = self.changed.wait(state).map_err(poisoned)?;
        }
    }

    /// Lets go of every piece before `index`.
    pub(crate) fn release_below(&self, index: usize) {
        if let Ok(mut state) = self.state.lock() {
            let mut released = false;
            while state.base < index {
                let Some(p) = state.pieces.pop_front() else {
                    break;
                };
                state.bytes -= p.len();
                state.base += 1;
                released = true;
            }
            drop(state);
            if released {
                self.changed.notify_all();
            }
        }
    }

    /// Wakes every waiter, so that it looks at its flags again.
    pub(crate) fn wake(&self) {
        drop(self.state.lock());
        self.changed.notify_all();
    }

    /// Says whether the first decoder waits for the second one.
    pub(crate) fn waiting_for_second(&self, waiting: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.waiting_for_second = waiting;
        }
        self.changed.notify_all();
    }

    /// Tells the reading thread to stop: the decoders need no more.
    pub(crate) fn abandon(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.abandoned = true;
        }
        self.changed.notify_all();
    }

    /// Reads `reader` to its end into pieces, holding at most the window's bound (plus one piece).
    pub(crate) fn fill(&self, reader: &mut dyn Read) -> io::Result<()> {
        let result = (|| loop {
            {
                let mut state = self.lock()?;
                while state.bytes >= self.cap && !state.abandoned {
                    state.reader = Reader::Full;
                    self.changed.notify_all();
                    state = self.changed.wait(state).map_err(poisoned)?;
                }
                state.reader = Reader::Reading;
                if state.abandoned {
                    return Ok(());
                }
            }
            let mut piece = Vec::with_capacity(PIECE);
            let n = (&mut *reader).take(PIECE as u64).read_to_end(&mut piece)?;
            if n == 0 {
                return Ok(());
            }
            let mut state = self.lock()?;
            state.bytes += n;
            state.peak = state.peak.max(state.bytes);
            state.pieces.push_back(Arc::new(piece));
            drop(state);
            self.changed.notify_all();
        })();
        if let Ok(mut state) = self.state.lock() {
            state.reader = if result.is_ok() {
                Reader::Ended
            } else {
                Reader::Failed
            };
        }
        self.changed.notify_all();
        result
    }
}

/// A position in the blob, read forwards.
pub(crate) struct Cursor<'a> {
    blob: &'a Blob,
    piece: Option<Arc<Vec<u8>>>,
    index: usize,
    at: usize,
    /// Whether the pieces this cursor leaves are let go (one piece behind it is kept).
    pub(crate) releases: bool,
    /// Set for a speculative reader.
    pub(crate) flags: Option<Arc<Flags>>,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(blob: &'a Blob, offset: usize) -> Cursor<'a> {
        Cursor {
            blob,
            piece: None,
            index: offset / PIECE,
            at: offset % PIECE,
            releases: false,
            flags: None,
        }
    }

    pub(crate) fn offset(&self) -> usize {
        self.index * PIECE + self.at
    }

    /// Makes this the first decoder's cursor: it lets go of what it leaves, from one piece behind on.
    pub(crate) fn adopt(&mut self) {
        self.flags = None;
        self.releases = true;
        self.blob.release_below(self.index.saturating_sub(1));
    }

    /// The bytes from here to the end of the current piece: `None` when interrupted, empty at the end.
    pub(crate) fn chunk(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            if self.piece.is_none() {
                match self.blob.piece(self.index, self.flags.as_deref())? {
                    Got::Piece(p) => self.piece = Some(p),
                    Got::End => return Ok(Some(&[])),
                    Got::Interrupted => return Ok(None),
                }
            }
            let len = self.piece.as_ref().map_or(0, |p| p.len());
            if self.at < len {
                break;
            }
            // This piece is used up: the next one.
            self.at -= len.min(self.at);
            self.index += 1;
            self.piece = None;
            if self.releases {
                self.blob.release_below(self.index.saturating_sub(1));
            }
        }
        Ok(Some(
            self.piece
                .as_deref()
                .and_then(|p| p.get(self.at..))
                .unwrap_or_default(),
        ))
    }

    /// Like [`Cursor::chunk`], for a reader that is never interrupted.
    fn chunk_now(&mut self) -> io::Result<&[u8]> {
        self.chunk()?
            .ok_or_else(|| io::Error::other("reading the gzip stream was interrupted"))
    }

    pub(crate) fn advance(&mut self, n: usize) {
        self.at += n;
    }

    pub(crate) fn byte(&mut self) -> io::Result<u8> {
        let b = *self
            .chunk_now()?
            .first()
            .ok_or_else(|| invalid("the gzip stream is truncated"))?;
        self.advance(1);
        Ok(b)
    }

    pub(crate) fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte()?;
        }
        Ok(out)
    }

    /// Whether the blob ends here.
    pub(crate) fn at_end(&mut self) -> io::Result<bool> {
        Ok(self.chunk_now()?.is_empty())
    }

    /// Skips a gzip member header (RFC 1952).
    pub(crate) fn skip_header(&mut self) -> io::Result<()> {
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
