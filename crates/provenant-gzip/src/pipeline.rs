//! The two decoders and how they meet: the first decodes in order and joins the second's output where
//! 32 KiB agree, then takes its state over; the second looks a chunk further on each time.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use flate2::Crc;

use crate::blob::{Blob, Cursor, Flags, PIECE};
use crate::blocks::{SEARCH, TRIAL, find_start, made_up_window};
use crate::stream::{Progress, Stream};
use crate::{OUT, Sink, Split, SplitFailed, Stats, WINDOW, invalid};

/// How much output past the split point the two decoders may disagree before the split is given up.
const AGREE_WITHIN: u64 = 16 << 20;

/// What the second decoder tells the first, in order.
enum Spec<'a> {
    /// It starts at this byte offset of the blob.
    Start(u64),
    /// It found nowhere to start.
    NoStart,
    /// Output.
    Bytes(Vec<u8>),
    /// Its deflate stream ended after it consumed this many bytes.
    End(u64),
    /// It failed or was starved: what it sent is not to be used past what already agreed.
    Failed,
    /// Its whole state, as asked once the outputs agreed.
    Handover(Box<Stream<'a>>),
}

/// Where a split looks for a block start.
enum From {
    At(u64),
    /// A chunk past where the second decoder hands its state over.
    AfterHandover,
}

struct Job<'a> {
    from: From,
    tell: mpsc::SyncSender<Spec<'a>>,
    flags: Arc<Flags>,
}

/// What the decoders share.
struct Shared {
    split: Option<Split>,
    size: u64,
    limit: u64,
    peak_ahead: AtomicU64,
}

impl Shared {
    fn next(&self, at: u64) -> Option<u64> {
        self.split.and_then(|s| s.next(at, self.size))
    }
}

/// The second decoder's thread: one split after the other.
fn speculator<'a>(blob: &'a Blob, jobs: &mpsc::Receiver<Job<'a>>, shared: &Shared) {
    let window = made_up_window();
    let mut handed_at: Option<u64> = None;
    for job in jobs {
        let last = handed_at.take();
        if job.flags.stopped() {
            continue;
        }
        let from = match job.from {
            From::At(from) => Some(from),
            From::AfterHandover => last.and_then(|at| shared.next(at)),
        };
        let Some(from) = from else {
            let _ = job.tell.send(Spec::NoStart);
            continue;
        };
        handed_at = speculate(blob, from, &job, &window, shared);
    }
}

/// Finds a block start at or past blob offset `from` and decodes from it with the made-up window,
/// telling the first decoder what it finds. Returns the blob offset where it handed its state over.
fn speculate<'a>(blob: &'a Blob, from: u64, job: &Job<'a>, window: &[u8], shared: &Shared) -> Option<u64> {
    let cursor_at = |offset: u64| {
        let mut c = Cursor::new(blob, usize::try_from(offset).unwrap_or(usize::MAX));
        c.flags = Some(Arc::clone(&job.flags));
        c
    };
    // The search area, copied out of its pieces.
    let want = SEARCH + TRIAL + 8;
    let mut area = Vec::with_capacity(want);
    let mut cursor = cursor_at(from);
    while area.len() < want {
        match cursor.chunk() {
            Ok(Some(chunk)) if !chunk.is_empty() => {
                let n = chunk.len().min(want - area.len());
                area.extend_from_slice(chunk.get(..n).unwrap_or_default());
                cursor.advance(n);
            }
            Ok(Some(_)) => break,
            Ok(None) | Err(_) => {
                let _ = job.tell.send(Spec::NoStart);
                return None;
            }
        }
    }
    drop(cursor);
    let Some(at) = find_start(&area, window).0 else {
        let _ = job.tell.send(Spec::NoStart);
        return None;
    };
    drop(area);
    let start = from + at as u64;
    let Ok(mut stream) = Stream::new(cursor_at(start), Some(window)) else {
        let _ = job.tell.send(Spec::Failed);
        return None;
    };
    if job.tell.send(Spec::Start(start)).is_err() {
        return None;
    }
    let mut sent = 0u64;
    loop {
        if job.flags.stopped() {
            return None;
        }
        if job.flags.handing_over() {
            let at = stream.raw_offset();
            let _ = job.tell.send(Spec::Handover(Box::new(stream)));
            return Some(at);
        }
        let mut out = vec![0u8; OUT];
        let Ok((n, progress)) = stream.step(&mut out, None) else {
            let _ = job.tell.send(Spec::Failed);
            return None;
        };
        out.truncate(n);
        sent += n as u64;
        if sent > shared.limit {
            let _ = job.tell.send(Spec::Failed);
            return None;
        }
        if n > 0 {
            let ahead = job.flags.ahead.fetch_add(n as u64, Ordering::AcqRel) + n as u64;
            shared.peak_ahead.fetch_max(ahead, Ordering::AcqRel);
            if job.tell.send(Spec::Bytes(out)).is_err() {
                return None;
            }
        }
        match progress {
            Progress::Ended => {
                let _ = job.tell.send(Spec::End(stream.consumed()));
                return None;
            }
            // Starved of bytes past the window while the first decoder waits for this one.
            Progress::Interrupted if !job.flags.stopped() && !job.flags.handing_over() => {
                let _ = job.tell.send(Spec::Failed);
                return None;
            }
            _ => {}
        }
    }
}

/// A split under way, as the first decoder sees it. Dropping it stops the second decoder's work on it.
struct Pending<'a> {
    blob: &'a Blob,
    hears: mpsc::Receiver<Spec<'a>>,
    /// Where it looks from (unknown until the state it follows has been handed over).
    from: Option<u64>,
    start: Option<u64>,
    flags: Arc<Flags>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.flags.stop.store(true, Ordering::Release);
        self.blob.wake();
    }
}

impl<'a> Pending<'a> {
    fn took(&self, heard: &Spec<'a>) {
        if let Spec::Bytes(b) = heard {
            self.flags.ahead.fetch_sub(b.len() as u64, Ordering::AcqRel);
        }
    }

    /// The second decoder's next word, waiting for it.
    fn hear(&self) -> Option<Spec<'a>> {
        let heard = match self.hears.try_recv() {
            Ok(heard) => Some(heard),
            Err(mpsc::TryRecvError::Disconnected) => None,
            Err(mpsc::TryRecvError::Empty) => {
                self.blob.waiting_for_second(true);
                let heard = self.hears.recv().ok();
                self.blob.waiting_for_second(false);
                heard
            }
        };
        if let Some(h) = &heard {
            self.took(h);
        }
        heard
    }

    /// The second decoder's next word if there is one; `Err` when it has stopped talking.
    fn try_hear(&self) -> Result<Option<Spec<'a>>, ()> {
        match self.hears.try_recv() {
            Ok(heard) => {
                self.took(&heard);
                Ok(Some(heard))
            }
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => Err(()),
        }
    }
}

/// Where a member's deflate stream ended: `consumed` bytes from byte `start` on.
struct End {
    start: u64,
    consumed: u64,
    /// Whether the second decoder's output was used.
    joined: bool,
}

/// How the comparison past a split point went.
enum Compared {
    /// No agreement: the first decoder goes on alone.
    Apart,
    /// The first decoder's stream ended first.
    OwnEnded,
    /// 32 KiB agree; the second decoder's stream has ended when it says so.
    Agreed(Option<u64>),
}

/// The first decoder.
struct First<'a, 's> {
    blob: &'a Blob,
    jobs: Option<mpsc::Sender<Job<'a>>>,
    shared: &'s Shared,
    stats: Stats,
    /// No split looks from before this offset (one looked there and found nothing).
    floor: u64,
}

impl<'a> First<'a, '_> {
    fn launch(&mut self, from: From) -> Option<Pending<'a>> {
        let jobs = self.jobs.as_ref()?;
        let messages = self.shared.split.map_or(1, Split::messages_ahead);
        let (tell, hears) = mpsc::sync_channel(messages);
        let flags = Arc::new(Flags::default());
        let known = match from {
            From::At(at) => Some(at),
            From::AfterHandover => None,
        };
        jobs.send(Job {
            from,
            tell,
            flags: Arc::clone(&flags),
        })
        .ok()?;
        self.stats.splits += 1;
        Some(Pending {
            blob: self.blob,
            hears,
            from: known,
            start: None,
            flags,
        })
    }

    fn decode_members(&mut self, sink: &mut Sink<'_>) -> io::Result<()> {
        let mut cursor = Cursor::new(self.blob, 0);
        cursor.releases = true;
        loop {
            cursor.skip_header()?;
            let end = self.member(cursor, sink)?;
            // The trailer follows the last byte consumed.
            let last = end.start + end.consumed;
            cursor = Cursor::new(self.blob, usize::try_from(last).unwrap_or(usize::MAX));
            match cursor.bytes::<8>() {
                Ok(trailer) if sink.trailer_matches(trailer) => {}
                // Output already passed on from a join does not check: read again in one piece.
                _ if end.joined => return Err(io::Error::other(SplitFailed)),
                Ok(_) => return Err(invalid("a gzip member fails its CRC-32 or length check")),
                Err(e) => return Err(e),
            }
            cursor.adopt();
            sink.crc = Crc::new();
            if cursor.at_end()? {
                return Ok(());
            }
        }
    }

    /// Decodes one member's deflate stream from the cursor, splitting it a chunk ahead each time.
    fn member(&mut self, cursor: Cursor<'a>, sink: &mut Sink<'_>) -> io::Result<End> {
        let mut stream = Stream::new(cursor, None)?;
        let mut joined = false;
        let mut pending: Option<Pending<'a>> = None;
        let mut buf = vec![0u8; OUT];
        loop {
            if pending.is_none()
                && let Some(from) = self.shared.next(stream.raw_offset())
            {
                pending = self.launch(From::At(from.max(self.floor)));
            }
            // Until the second decoder says where it starts, the first does not pass where it looks from.
            if let Some(p) = &mut pending
                && p.start.is_none()
            {
                match p.try_hear() {
                    Ok(None) => {}
                    Ok(Some(Spec::Start(at))) => p.start = Some(at),
                    _ => {
                        self.floor = p.from.unwrap_or(0) + SEARCH as u64;
                        pending = None;
                    }
                }
            }
            let barrier = pending.as_ref().and_then(|p| p.start.or(p.from));
            let (n, progress) = stream
                .step(&mut buf, barrier)
                .map_err(|e| after_join(e, joined))?;
            sink.put(buf.get(..n).unwrap_or_default())?;
            match progress {
                Progress::More => {}
                Progress::Ended => {
                    return Ok(End {
                        start: stream.start(),
                        consumed: stream.consumed(),
                        joined,
                    });
                }
                Progress::Interrupted => {
                    return Err(io::Error::other("the first gzip decoder was interrupted"));
                }
                Progress::AtBarrier => {
                    let Some(p) = &mut pending else {
                        continue;
                    };
                    let Some(start) = p.start else {
                        // There already: wait for the second decoder's word.
                        if let Some(Spec::Start(at)) = p.hear() {
                            p.start = Some(at);
                        } else {
                            self.floor = p.from.unwrap_or(0) + SEARCH as u64;
                            pending = None;
                        }
                        continue;
                    };
                    match compare(&mut stream, sink, &mut buf, p).map_err(|e| after_join(e, joined))? {
                        Compared::Apart => pending = None,
                        Compared::OwnEnded => {
                            return Ok(End {
                                start: stream.start(),
                                consumed: stream.consumed(),
                                joined,
                            });
                        }
                        Compared::Agreed(Some(consumed)) => {
                            self.stats.joins += 1;
                            return Ok(End {
                                start,
                                consumed,
                                joined: true,
                            });
                        }
                        Compared::Agreed(None) => {
                            self.stats.joins += 1;
                            let Some(joining) = pending.take() else {
                                continue;
                            };
                            match self.take_over(&joining, sink)? {
                                TakenOver::Ended(consumed) => {
                                    return Ok(End {
                                        start,
                                        consumed,
                                        joined: true,
                                    });
                                }
                                TakenOver::State(state, next) => {
                                    stream = *state;
                                    joined = true;
                                    pending = next;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Once the outputs agree: passes the second decoder's output on and takes its state over; the
    /// second decoder looks for the next split a chunk further on as soon as it has handed it over.
    fn take_over(&mut self, joining: &Pending<'a>, sink: &mut Sink<'_>) -> io::Result<TakenOver<'a>> {
        joining.flags.handover.store(true, Ordering::Release);
        self.blob.wake();
        let mut next = self.launch(From::AfterHandover);
        loop {
            match joining.hear() {
                Some(Spec::Bytes(bytes)) => sink.put(&bytes)?,
                Some(Spec::End(consumed)) => return Ok(TakenOver::Ended(consumed)),
                Some(Spec::Handover(state)) => {
                    let mut stream = state;
                    stream.cursor_mut().adopt();
                    if let Some(n) = &mut next {
                        n.from = self.shared.next(stream.raw_offset());
                    }
                    return Ok(TakenOver::State(stream, next.filter(|n| n.from.is_some())));
                }
                _ => return Err(io::Error::other(SplitFailed)),
            }
        }
    }
}

/// A stream that fails to decode once the second decoder's state was taken over may be failing for a
/// wrong join rather than bad data (a made-up window that happened to agree for 32 KiB, say): it is a
/// failed split, which the caller reads again in one piece to tell the two apart.
fn after_join(error: io::Error, joined: bool) -> io::Error {
    if joined && error.kind() == io::ErrorKind::InvalidData {
        io::Error::other(SplitFailed)
    } else {
        error
    }
}

/// What taking the second decoder's work over gave.
enum TakenOver<'a> {
    /// Its deflate stream ended after it consumed this many bytes.
    Ended(u64),
    /// Its state, and the next split under way.
    State(Box<Stream<'a>>, Option<Pending<'a>>),
}

/// Past the split point: compares the first decoder's output with the second's until 32 KiB in a row
/// agree, then passes on the second's output that goes past the first's.
fn compare(
    stream: &mut Stream<'_>,
    sink: &mut Sink<'_>,
    buf: &mut [u8],
    second: &Pending<'_>,
) -> io::Result<Compared> {
    let mut theirs: Vec<u8> = Vec::new();
    let mut at = 0usize;
    let mut agreeing = 0usize;
    let mut compared = 0u64;
    let mut second_ended: Option<u64> = None;
    while agreeing < WINDOW {
        if compared > AGREE_WITHIN {
            return Ok(Compared::Apart);
        }
        let (n, progress) = stream.step(buf, None)?;
        let ended = progress == Progress::Ended;
        let apart = if ended {
            Compared::OwnEnded
        } else {
            Compared::Apart
        };
        let mut mine = buf.get(..n).unwrap_or_default();
        sink.put(mine)?;
        while !mine.is_empty() {
            if at >= theirs.len() {
                if second_ended.is_some() {
                    // Its output ran out before agreeing.
                    return Ok(apart);
                }
                match second.hear() {
                    Some(Spec::Bytes(bytes)) => {
                        theirs = bytes;
                        at = 0;
                    }
                    Some(Spec::End(consumed)) => second_ended = Some(consumed),
                    // It failed.
                    _ => return Ok(apart),
                }
                continue;
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
        if ended {
            return Ok(Compared::OwnEnded);
        }
    }
    // From here on the second decoder's output is the stream's.
    sink.put(theirs.get(at..).unwrap_or_default())?;
    Ok(Compared::Agreed(second_ended))
}

/// Inflates every member of the gzip stream `reader` gives into `out`; see [`crate::inflate`].
pub(crate) fn inflate(
    reader: &mut (dyn Read + Send),
    size: u64,
    split: Option<Split>,
    limit: u64,
    out: &mut dyn Write,
) -> io::Result<Stats> {
    let cap = split.map_or(4 * PIECE as u64, Split::compressed_window);
    let blob = Blob::new(usize::try_from(cap).unwrap_or(usize::MAX));
    let shared = Shared {
        split,
        size,
        limit,
        peak_ahead: AtomicU64::new(0),
    };
    std::thread::scope(|scope| {
        let filling = scope.spawn(|| blob.fill(reader));
        let jobs = split.map(|_| {
            let (send, receive) = mpsc::channel();
            let (blob, shared) = (&blob, &shared);
            scope.spawn(move || speculator(blob, &receive, shared));
            send
        });
        let mut sink = Sink {
            out,
            crc: Crc::new(),
            written: 0,
            limit,
        };
        let mut first = First {
            blob: &blob,
            jobs,
            shared: &shared,
            stats: Stats::default(),
            floor: 0,
        };
        let decoded = first.decode_members(&mut sink);
        let mut stats = first.stats;
        // Closes the queue of splits: the second decoder's thread ends.
        drop(first);
        if decoded.is_err() {
            blob.abandon();
        }
        let filled = filling
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the gzip reading thread failed")));
        stats.peak_compressed = blob.peak() as u64;
        stats.peak_ahead = shared.peak_ahead.load(Ordering::Acquire);
        // The stream's own error (its digest, the store) explains a failure best.
        filled.and(decoded).map(|()| stats)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{archive_like, gzip, words};
    use crate::{Exceeded, inflate_all, is};

    /// Small chunks, so that a test stream of a few MiB is split several times.
    fn small() -> Split {
        Split::new(2 << 20).smallest(1 << 20)
    }

    #[test]
    fn split_decoding_joins_every_chunk() {
        let data = archive_like(24 << 20);
        for level in [6, 9] {
            let blob = gzip(&data, level);
            let (out, stats) = inflate_all(&blob, Some(small()), u64::MAX).unwrap();
            assert!(out == data, "level {level}: split output differs");
            assert!(stats.joins >= 2, "level {level}: {stats:?}");
            let (out, stats) = inflate_all(&blob, Some(Split::default()), u64::MAX).unwrap();
            assert!(out == data && stats.joins >= 1, "level {level}: {stats:?}");
            let (out, stats) = inflate_all(&blob, None, u64::MAX).unwrap();
            assert!(
                out == data
                    && stats
                        == Stats {
                            peak_compressed: stats.peak_compressed,
                            ..Stats::default()
                        }
            );
        }
    }

    #[test]
    fn halves_that_never_agree_are_decoded_in_one_piece() {
        let data = words(24 << 20, 1);
        let blob = gzip(&data, 6);
        let (out, stats) = inflate_all(&blob, Some(small()), u64::MAX).unwrap();
        assert!(out == data, "output differs");
        assert!(
            stats.splits >= 1 && stats.joins == 0,
            "the parts cannot agree on this data: {stats:?}"
        );
    }

    #[test]
    fn a_second_member_after_a_split_one_is_read_too() {
        let data = archive_like(24 << 20);
        let tail = archive_like(6 << 20);
        let mut blob = gzip(&data, 6);
        blob.extend(gzip(&tail, 6));
        blob.extend(gzip(b"", 6));
        blob.extend(gzip(&tail[..1000], 1));
        let (out, stats) = inflate_all(&blob, Some(small()), u64::MAX).unwrap();
        assert!(stats.joins >= 2, "{stats:?}");
        let mut expected = data.clone();
        expected.extend(&tail);
        expected.extend(&tail[..1000]);
        assert!(out == expected);
    }

    #[test]
    fn a_wrong_crc_after_a_join_is_a_failed_split_and_otherwise_a_crc_error() {
        let mut blob = gzip(&archive_like(24 << 20), 6);
        let at = blob.len() - 8;
        blob[at] ^= 1;
        let err = inflate_all(&blob, Some(small()), u64::MAX).unwrap_err();
        assert!(is::<SplitFailed>(&err), "{err}");
        let err = inflate_all(&blob, None, u64::MAX).unwrap_err();
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
            for split in [Some(small()), Some(Split::default()), None] {
                assert!(inflate_all(&bad, split, u64::MAX).is_err(), "{name}, {split:?}");
            }
        }
    }

    #[test]
    fn output_past_the_bound_is_refused() {
        let data = archive_like(24 << 20);
        let blob = gzip(&data, 6);
        for split in [Some(small()), None] {
            let err = inflate_all(&blob, split, 20 << 20).unwrap_err();
            assert!(is::<Exceeded>(&err), "{err}");
        }
    }

    #[test]
    fn a_stream_many_times_the_window_is_held_a_window_at_a_time() {
        let data = archive_like(96 << 20);
        let blob = gzip(&data, 6);
        let split = Split::new(1 << 20).smallest(1 << 20);
        assert!(
            blob.len() as u64 > 4 * split.compressed_window(),
            "{} bytes: the test shows nothing",
            blob.len()
        );
        let (out, stats) = inflate_all(&blob, Some(split), u64::MAX).unwrap();
        assert!(out == data);
        assert!(stats.joins >= 4, "{stats:?}");
        // The reader holds the window and at most one piece more.
        assert!(
            stats.peak_compressed <= split.compressed_window() + PIECE as u64,
            "{stats:?} against {}",
            split.compressed_window()
        );
        assert!(
            stats.peak_ahead <= split.output_ahead(),
            "{stats:?} against {}",
            split.output_ahead()
        );
    }
}
