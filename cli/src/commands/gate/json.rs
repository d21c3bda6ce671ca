//! The decision as pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes, with the
//! findings and the backlog (100,000 entries in a large evaluation) rendered in parallel: each entry
//! is written at its depth by a formatter that starts there, and the pieces are written in order.

use std::io::{self, Write};

use provenant_gate::Decision;
use provenant_gate::evaluate::{BacklogItem, DecisionFinding, GateResult, Spot};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::Formatter;

/// Entries rendered by one task.
const CHUNK: usize = 2048;

/// `serde_json`'s pretty formatter (two spaces a level) starting `level` levels deep.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn at(level: usize) -> Nested {
        Nested {
            level,
            has_value: false,
        }
    }
}

fn indent<W: ?Sized + Write>(w: &mut W, level: usize) -> io::Result<()> {
    for _ in 0..level {
        w.write_all(b"  ")?;
    }
    Ok(())
}

impl Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.level)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.level)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.level)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.level)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as pretty JSON at depth `level`.
fn nested<T: Serialize + ?Sized>(out: &mut Vec<u8>, level: usize, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, Nested::at(level));
    value.serialize(&mut ser)
}

/// An object member's key (`first` or not) at depth `level`, and the `: ` after it.
fn key(out: &mut Vec<u8>, level: usize, first: bool, name: &str) -> serde_json::Result<()> {
    out.extend_from_slice(if first { b"\n" } else { b",\n" });
    let _ = indent(out, level);
    nested(out, level, name)?;
    out.extend_from_slice(b": ");
    Ok(())
}

/// One object member (`first` or not) at depth `level`.
fn member<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    level: usize,
    first: bool,
    name: &str,
    value: &T,
) -> serde_json::Result<()> {
    key(out, level, first, name)?;
    nested(out, level, value)
}

/// A JSON string as `serde_json` writes it: what needs no escaping (no control character, quote or
/// backslash: nearly every id, rule, path and message) is copied as it is, the rest goes to `serde_json`.
fn string(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *out, s)
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    }
}

/// Whether `s` holds a byte JSON escapes: a control character, a quote or a backslash. Eight bytes at a
/// time: a word's bytes are tested together (a test that may flag a clean word, never miss one), and only
/// a flagged word is looked at byte by byte.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let escaped = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // A byte below 0x20, or zero after the XOR, borrows into its high bit.
        let flagged = (x.wrapping_sub(ONES * 0x20) | quote.wrapping_sub(ONES) | backslash.wrapping_sub(ONES))
            & !x
            & HIGH;
        if flagged != 0 && word.iter().any(escaped) {
            return true;
        }
    }
    words.remainder().iter().any(escaped)
}

/// A member whose value is a string or null, at depth `level`.
fn string_member(
    out: &mut Vec<u8>,
    level: usize,
    first: bool,
    name: &str,
    value: Option<&str>,
) -> serde_json::Result<()> {
    out.extend_from_slice(if first { b"\n" } else { b",\n" });
    let _ = indent(out, level);
    string(out, name)?;
    out.extend_from_slice(b": ");
    if let Some(v) = value {
        string(out, v)
    } else {
        out.extend_from_slice(b"null");
        Ok(())
    }
}

/// The `location` member at depth `level`: `"PATH:LINE"`, `"PATH"` or null, as [`Spot`]'s `Serialize`
/// writes it, without composing the string first.
fn location_member(out: &mut Vec<u8>, level: usize, value: Option<&Spot<'_>>) -> serde_json::Result<()> {
    out.extend_from_slice(b",\n");
    let _ = indent(out, level);
    out.extend_from_slice(b"\"location\": ");
    match value {
        None => out.extend_from_slice(b"null"),
        Some(spot) if needs_escape(spot.path.as_bytes()) => serde_json::to_writer(&mut *out, spot)?,
        Some(Spot { path, line }) => {
            out.push(b'"');
            out.extend_from_slice(path.as_bytes());
            if let Some(line) = line {
                out.push(b':');
                out.extend_from_slice(itoa::Buffer::new().format(*line).as_bytes());
            }
            out.push(b'"');
        }
    }
    Ok(())
}

/// The closing brace of an object whose members are at depth `level`.
fn close(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    let _ = indent(out, level - 1);
    out.push(b'}');
}

/// An entry of a large array (100,000 in a large evaluation), written as its `Serialize` would write it
/// at depth `level`, without going through `serde` for the common parts.
trait Entry: Serialize {
    fn write(&self, out: &mut Vec<u8>, level: usize) -> serde_json::Result<()>;
}

impl Entry for DecisionFinding<'_> {
    fn write(&self, out: &mut Vec<u8>, level: usize) -> serde_json::Result<()> {
        // The members of `DecisionFinding` in the order its `Serialize` writes them.
        let DecisionFinding {
            id,
            severity,
            rule,
            location,
            message,
            exception,
            blocks: _,
        } = self;
        let level = level + 1;
        out.push(b'{');
        string_member(out, level, true, "id", Some(id))?;
        string_member(out, level, false, "severity", Some(severity.as_str()))?;
        string_member(out, level, false, "rule", Some(rule))?;
        location_member(out, level, location.as_ref())?;
        string_member(out, level, false, "message", Some(message))?;
        match exception {
            Some(e) => member(out, level, false, "exception", e)?,
            None => string_member(out, level, false, "exception", None)?,
        }
        close(out, level);
        Ok(())
    }
}

impl Entry for BacklogItem<'_> {
    fn write(&self, out: &mut Vec<u8>, level: usize) -> serde_json::Result<()> {
        // The members of `BacklogItem` in the order its `Serialize` writes them.
        let BacklogItem {
            id,
            gate,
            severity,
            rule,
            location,
            message,
        } = self;
        let level = level + 1;
        out.push(b'{');
        string_member(out, level, true, "id", Some(id))?;
        string_member(out, level, false, "gate", Some(gate))?;
        string_member(out, level, false, "severity", Some(severity.as_str()))?;
        string_member(out, level, false, "rule", Some(rule))?;
        location_member(out, level, location.as_ref())?;
        string_member(out, level, false, "message", Some(message))?;
        close(out, level);
        Ok(())
    }
}

/// Writes `head` to `w` and empties it.
fn flush_head<W: Write>(w: &mut W, head: &mut Vec<u8>) -> serde_json::Result<()> {
    w.write_all(head).map_err(serde_json::Error::io)?;
    head.clear();
    Ok(())
}

/// An array of `items` at depth `level`, after what `head` holds. The items are rendered in parallel,
/// `chunk` entries a task, a few chunks a task per thread at a time into buffers that are written in
/// order and reused: the output never sits in memory whole (23 MB for 100,000 findings).
fn array<T: Entry + Sync, W: Write>(
    w: &mut W,
    head: &mut Vec<u8>,
    level: usize,
    items: &[T],
    chunk: usize,
) -> serde_json::Result<()> {
    if items.is_empty() {
        head.extend_from_slice(b"[]");
        return Ok(());
    }
    head.push(b'[');
    flush_head(w, head)?;
    let chunks_a_batch = 2 * rayon::current_num_threads().max(1);
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    for (b, batch) in items.chunks(chunk * chunks_a_batch).enumerate() {
        let pieces: Vec<&[T]> = batch.chunks(chunk).collect();
        if buffers.len() < pieces.len() {
            buffers.resize_with(pieces.len(), || Vec::with_capacity(chunk * 256));
        }
        buffers
            .par_iter_mut()
            .zip(pieces.par_iter())
            .enumerate()
            .try_for_each(|(c, (out, piece))| {
                out.clear();
                for (i, item) in piece.iter().enumerate() {
                    out.extend_from_slice(if b == 0 && c == 0 && i == 0 { b"\n" } else { b",\n" });
                    let _ = indent(out, level + 1);
                    item.write(out, level + 1)?;
                }
                Ok::<(), serde_json::Error>(())
            })?;
        for out in buffers.iter().take(pieces.len()) {
            w.write_all(out).map_err(serde_json::Error::io)?;
        }
    }
    head.push(b'\n');
    let _ = indent(head, level);
    head.push(b']');
    Ok(())
}

fn gate<W: Write>(w: &mut W, head: &mut Vec<u8>, g: &GateResult<'_>, chunk: usize) -> serde_json::Result<()> {
    // The members of `GateResult` in the order its `Serialize` writes them.
    let GateResult {
        id,
        status,
        value,
        threshold,
        findings,
        exceptions,
    } = g;
    head.push(b'{');
    member(head, 3, true, "id", id)?;
    member(head, 3, false, "status", status)?;
    member(head, 3, false, "value", value)?;
    member(head, 3, false, "threshold", threshold)?;
    key(head, 3, false, "findings")?;
    array(w, head, 3, findings, chunk)?;
    member(head, 3, false, "exceptions", exceptions)?;
    head.extend_from_slice(b"\n    }");
    Ok(())
}

/// Writes the decision to `w` as `serde_json::to_writer_pretty` writes it (notices are not part of it),
/// the large arrays rendered `chunk` entries a task.
fn write_pretty<W: Write>(decision: &Decision<'_>, w: &mut W, chunk: usize) -> serde_json::Result<()> {
    // The members of `Decision` in the order its `Serialize` writes them.
    let Decision {
        decision: verdict,
        gates,
        backlog,
        evidence,
        notices: _,
    } = decision;
    let mut head = Vec::with_capacity(1 << 12);
    head.push(b'{');
    member(&mut head, 1, true, "decision", verdict)?;
    key(&mut head, 1, false, "gates")?;
    if gates.is_empty() {
        head.extend_from_slice(b"[]");
    } else {
        head.push(b'[');
        for (i, g) in gates.iter().enumerate() {
            head.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            gate(w, &mut head, g, chunk)?;
        }
        head.extend_from_slice(b"\n  ]");
    }
    key(&mut head, 1, false, "backlog")?;
    array(w, &mut head, 1, backlog, chunk)?;
    member(&mut head, 1, false, "evidence", evidence)?;
    head.extend_from_slice(b"\n}");
    flush_head(w, &mut head)
}

/// Writes the decision and a newline to standard output.
pub(super) fn print(decision: &Decision<'_>) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    write_pretty(decision, &mut out, CHUNK)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use provenant_findings::{Format, Severity};
    use provenant_gate::evaluate::{
        BacklogItem, DecisionFinding, EvidenceEntry, ExceptionLog, ExceptionRef, Status, Verdict,
    };

    use super::*;

    #[test]
    fn needs_escape_flags_exactly_the_strings_with_a_byte_json_escapes() {
        let exact = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        // Every byte value at every position of strings up to two words and a half long, among
        // neighbours that sit next to the flagged values (0x1f, 0x21, 0x5b, 0x5d, 0x80, 0xff).
        for len in 1..=20 {
            for at in 0..len {
                for fill in [b'a', 0x21, 0x1f + 2, 0x5b, 0x5d, 0x80, 0xff, b' '] {
                    for b in 0..=255u8 {
                        let mut s = vec![fill; len];
                        s[at] = b;
                        assert_eq!(needs_escape(&s), exact(&s), "{s:?}");
                    }
                }
            }
        }
        assert!(!needs_escape(b""));
        assert!(!needs_escape(
            "caf\u{e9} \u{1f600} rule-1@0123456789abcdef".as_bytes()
        ));
    }

    fn finding(i: usize) -> DecisionFinding<'static> {
        DecisionFinding {
            id: Cow::Owned(format!("rule-{i}@{i:016x}")),
            severity: if i.is_multiple_of(2) {
                Severity::High
            } else {
                Severity::Critical
            },
            rule: Cow::Borrowed("rule \"quoted\"\n\u{1}é"),
            // With a line and without; a path that needs escaping.
            location: (!i.is_multiple_of(3)).then(|| Spot {
                path: if i.is_multiple_of(7) {
                    Cow::Owned(format!("src/\"a{i}\".py"))
                } else {
                    Cow::Owned(format!("src/a{i}.py"))
                },
                line: (!i.is_multiple_of(4)).then_some(i as u64),
            }),
            message: Cow::Owned(format!("finding {i}\t\\ {}", "x".repeat(i % 7))),
            exception: (i.is_multiple_of(5)).then(|| {
                Box::new(ExceptionRef {
                    source: "exception".to_owned(),
                    status: if i.is_multiple_of(10) {
                        "refused"
                    } else {
                        "applied"
                    }
                    .to_owned(),
                    file: Some("ex.json".to_owned()),
                    owner: (i.is_multiple_of(4)).then(|| "a@example.com".to_owned()),
                    expires: Some("2030-01-01".to_owned()),
                    reason: None,
                })
            }),
            blocks: !i.is_multiple_of(5),
        }
    }

    fn decision(findings: usize, backlog: usize) -> Decision<'static> {
        let gate = |id: &str, n: usize, value: Option<f64>, logs: usize| GateResult {
            id: id.to_owned(),
            status: if n > 0 {
                Status::Block
            } else {
                Status::NotApplicable
            },
            value,
            threshold: Some(0.0),
            findings: (0..n).map(finding).collect(),
            exceptions: (0..logs)
                .map(|i| ExceptionLog {
                    file: format!("ex{i}.json"),
                    finding: format!("f{i}"),
                    owner: "o".to_owned(),
                    rationale: "why\nnot".to_owned(),
                    expires: "2030-01-01".to_owned(),
                    role: "security-lead".to_owned(),
                    approver: (i == 0).then(|| "k".to_owned()),
                    status: "applied".to_owned(),
                    reason: (i == 1).then(|| "r".to_owned()),
                })
                .collect(),
        };
        Decision {
            decision: Verdict::Block,
            gates: vec![
                gate("tests", 0, None, 0),
                gate("coverage", 1, Some(83.333_333_333_333_34), 0),
                gate("sast", findings, Some(1e21), 2),
                gate("lint", 3, Some(-0.0), 1),
            ],
            backlog: (0..backlog)
                .map(|i| BacklogItem {
                    id: Cow::Owned(format!("b{i}")),
                    gate: Cow::Borrowed("sast"),
                    severity: Severity::Medium,
                    rule: Cow::Borrowed("r"),
                    location: i.is_multiple_of(2).then(|| Spot::parse("p:1")),
                    message: Cow::Owned(format!("m{i}")),
                })
                .collect(),
            evidence: vec![EvidenceEntry {
                path: "a.sarif".to_owned(),
                digest: "sha256:00".to_owned(),
                format: Format::Sarif,
            }],
            notices: Vec::new(),
        }
    }

    #[test]
    fn parallel_pretty_decision_is_byte_identical_to_serde_json_pretty() {
        for (findings, backlog) in [(0, 0), (1, 0), (0, 1), (5, 3), (CHUNK * 2 + 7, CHUNK + 1)] {
            let d = decision(findings, backlog);
            let expected = serde_json::to_vec_pretty(&d).unwrap();
            for chunk in [CHUNK, 3, 1] {
                assert_eq!(
                    String::from_utf8(pretty(&d, chunk)).unwrap(),
                    String::from_utf8(expected.clone()).unwrap(),
                    "{findings} findings, {backlog} in the backlog, {chunk} a task"
                );
            }
        }
        let empty = Decision {
            gates: Vec::new(),
            evidence: Vec::new(),
            ..decision(0, 0)
        };
        assert_eq!(pretty(&empty, CHUNK), serde_json::to_vec_pretty(&empty).unwrap());
    }

    /// A writer that takes `left` bytes, then fails.
    struct Full {
        left: usize,
        taken: Vec<u8>,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("no space left on device"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_writer_that_fails_stops_the_rendering_with_its_error() {
        let d = decision(CHUNK * 9 + 7, CHUNK * 5);
        let whole = pretty(&d, 3);
        // Failing at the start, inside the first batch, late in the findings, in the backlog, at the end.
        for left in [0, 10, 5_000, whole.len() / 2, whole.len() - 50, whole.len() - 1] {
            let mut w = Full {
                left,
                taken: Vec::new(),
            };
            let err = write_pretty(&d, &mut w, 3).unwrap_err();
            assert!(
                err.to_string().contains("no space left on device"),
                "{left}: {err}"
            );
            assert_eq!(w.taken, whole[..left], "{left}");
        }
    }

    fn pretty(d: &Decision<'_>, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_pretty(d, &mut out, chunk).unwrap();
        out
    }
}
