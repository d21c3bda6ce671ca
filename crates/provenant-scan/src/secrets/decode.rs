//! Encoded text, decoded in place as gitleaks 8.30 does it (`--max-decode-depth`, default 5): each pass
//! finds percent-encoded, Unicode-escaped, hex and base64 segments with one pattern (percent first,
//! then Unicode, hex, base64; of two touching matches the earlier kind wins), decodes them (hex and
//! base64 only to printable ASCII) and replaces them in the text, remembering for every decoded segment
//! where it came from, so that a secret found in decoded text is reported at its encoded place in the
//! file with the tags `decoded:KIND…` and `decode-depth:N`.
//!
//! Bounded: a decoded value is never longer than its encoding, so a pass never grows the text; the
//! number of passes is the caller's depth; segments point to the previous pass by index and mapping a
//! position back walks the passes in a loop, never recursing.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::bytes::Regex;

/// gitleaks' default `--max-decode-depth`.
pub const DEFAULT_MAX_DECODE_DEPTH: usize = 5;

/// The largest depth accepted (each pass costs one more run of every rule over the fragment).
pub const MAX_DECODE_DEPTH: usize = 64;

/// The encodings, as bits (gitleaks' order: percent, unicode, hex, base64).
const PERCENT: u8 = 1;
const UNICODE: u8 = 2;
const HEX: u8 = 4;
const BASE64: u8 = 8;
const NAMES: [(u8, &str); 4] = [
    (PERCENT, "percent"),
    (UNICODE, "unicode"),
    (HEX, "hex"),
    (BASE64, "base64"),
];

/// One pattern, one group per encoding, in precedence order (Go's RE2 and the `regex` crate both
/// take the leftmost alternative that matches first).
static ENCODINGS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u)(%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?)",
        r"|((?:(?:U\+[a-fA-F0-9]{4}(?:\s|$))+|(?i)(?:\\{1,2}u[a-fA-F0-9]{4})+))",
        r"|([0-9A-Fa-f]{32,})",
        r"|([\w/+-]{16,}={0,2})"
    ))
    .ok()
});

static ESCAPE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i-u)\\{1,2}u([a-fA-F0-9]{4})").ok());

/// A half-open byte range; touching ranges overlap, as gitleaks counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: i64,
    pub(crate) end: i64,
}

impl Span {
    fn overlaps(self, o: Span) -> bool {
        o.start <= self.end && o.end >= self.start
    }
    fn contains(self, o: Span) -> bool {
        self.start <= o.start && o.end <= self.end
    }
    fn merge(self, o: Span) -> Span {
        Span {
            start: self.start.min(o.start),
            end: self.end.max(o.end),
        }
    }
    fn add(self, o: Span) -> Span {
        Span {
            start: self.start + o.start,
            end: self.end + o.end,
        }
    }
    /// How far `o` reaches beyond this span on either side.
    fn overflow(self, o: Span) -> Span {
        let m = self.merge(o);
        Span {
            start: m.start - self.start,
            end: m.end - self.end,
        }
    }
}

fn span(start: usize, end: usize) -> Span {
    Span {
        start: i64::try_from(start).unwrap_or(i64::MAX),
        end: i64::try_from(end).unwrap_or(i64::MAX),
    }
}

/// A decoded segment of one pass.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Where it is in the original fragment.
    original: Span,
    /// Where its encoding is in the previous pass's text.
    encoded: Span,
    /// Where its decoded value is in this pass's text.
    pub(crate) decoded: Span,
    /// The encodings it went through (bits).
    encodings: u8,
    /// The pass that decoded it (1-based).
    depth: usize,
}

fn printable(b: u8) -> bool {
    b > 0x08 && b < 0x7f
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_percent(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' && i + 2 < s.len() {
            let n = s
                .get(i + 1)
                .copied()
                .and_then(nibble)
                .zip(s.get(i + 2).copied().and_then(nibble));
            if let Some((hi, lo)) = n {
                let v = (hi << 4) | lo;
                if !printable(v) {
                    return Vec::new();
                }
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn decode_hex(s: &[u8]) -> Vec<u8> {
    if !s.len().is_multiple_of(2) || !s.iter().any(u8::is_ascii_digit) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(s.len() / 2);
    for pair in s.chunks_exact(2) {
        let (Some(hi), Some(lo)) = (
            pair.first().copied().and_then(nibble),
            pair.get(1).copied().and_then(nibble),
        ) else {
            return Vec::new();
        };
        let v = (hi << 4) | lo;
        if !printable(v) {
            return Vec::new();
        }
        out.push(v);
    }
    out
}

fn b64_value(b: u8, url: bool) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' if !url => Some(62),
        b'/' if !url => Some(63),
        b'-' if url => Some(62),
        b'_' if url => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding` (padded, strict) or `RawURLEncoding` (unpadded) `DecodeString`, which
/// refuse non-zero trailing bits only in strict mode; both skip `\r` and `\n`, which never occur here.
fn base64_strict(s: &[u8], url: bool) -> Option<Vec<u8>> {
    let body = if url {
        if s.contains(&b'=') {
            return None;
        }
        s
    } else {
        if !s.len().is_multiple_of(4) {
            return None;
        }
        let pad = s.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 {
            return None;
        }
        s.get(..s.len() - pad)?
    };
    if url && body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in body {
        acc = ((acc << 6) | u32::from(b64_value(b, url)?)) & 0x00ff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    // Go's decoder accepts non-zero trailing bits (it is not Strict()).
    Some(out)
}

fn decode_base64(s: &[u8]) -> Vec<u8> {
    if !s
        .iter()
        .any(|b| b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'-' | b'_'))
    {
        return Vec::new();
    }
    for url in [false, true] {
        if let Some(v) = base64_strict(s, url)
            && v.iter().all(|&b| printable(b))
        {
            return v;
        }
    }
    Vec::new()
}

fn push_rune(out: &mut Vec<u8>, code: u32) {
    let c = char::from_u32(code).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// gitleaks' `decodeUnicode` on a whole match of its pattern: `U+XXXX` code points separated by
/// white space, or `\uXXXX` escapes (one or two backslashes, any case of `u`).
fn decode_unicode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if s.starts_with(b"U+") {
        for field in s.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()) {
            if let Some(hex) = field.strip_prefix(b"U+")
                && hex.len() >= 4
                && let Ok(text) = std::str::from_utf8(hex)
                && let Ok(code) = u32::from_str_radix(text, 16)
            {
                push_rune(&mut out, code);
            }
        }
    } else if let Some(re) = ESCAPE.as_ref() {
        for caps in re.captures_iter(s) {
            if let Some(hex) = caps.get(1)
                && let Ok(text) = std::str::from_utf8(hex.as_bytes())
                && let Ok(code) = u32::from_str_radix(text, 16)
            {
                push_rune(&mut out, code);
            }
        }
    }
    if out.is_empty() { s.to_vec() } else { out }
}

/// Decoding across passes of one fragment: the passes' segments and the cache of decoded values.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    cache: HashMap<Vec<u8>, Vec<u8>>,
    /// `passes[k]` are the segments of pass `k + 1`.
    passes: Vec<Vec<Segment>>,
}

impl Decoder {
    /// The segments of the last pass.
    pub(crate) fn current(&self) -> &[Segment] {
        self.passes.last().map_or(&[], Vec::as_slice)
    }

    /// One more pass over `data` (the previous pass's text): the text with every segment decoded in
    /// place, or `None` when nothing was decoded (the segments of the pass are then empty).
    pub(crate) fn pass(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        let matches = find_matches(data);
        let previous = self.passes.len();
        let mut segments: Vec<Segment> = Vec::with_capacity(matches.len());
        let mut values: Vec<Vec<u8>> = Vec::with_capacity(matches.len());
        let mut shift: i64 = 0;
        for (kind, start, end) in matches {
            let encoded_value = data.get(start..end).unwrap_or_default();
            let decoded_value = if let Some(v) = self.cache.get(encoded_value) {
                v.clone()
            } else {
                let v = match kind {
                    PERCENT => decode_percent(encoded_value),
                    UNICODE => decode_unicode(encoded_value),
                    HEX => decode_hex(encoded_value),
                    _ => decode_base64(encoded_value),
                };
                self.cache.insert(encoded_value.to_vec(), v.clone());
                v
            };
            if decoded_value.is_empty() {
                continue;
            }
            let encoded = span(start, end);
            let len = i64::try_from(decoded_value.len()).unwrap_or(i64::MAX);
            let mut segment = Segment {
                original: self.to_original(previous, None, encoded),
                encoded,
                decoded: Span {
                    start: encoded.start + shift,
                    end: encoded.start + shift + len,
                },
                encodings: kind,
                depth: 1,
            };
            shift += len - (encoded.end - encoded.start);
            if let Some(preds) = previous.checked_sub(1).and_then(|p| self.passes.get(p))
                && let Some(first) = preds.first()
            {
                segment.depth = 1 + first.depth;
                for p in preds {
                    if segment.encoded.overlaps(p.decoded) {
                        segment.encodings |= p.encodings;
                    }
                }
            }
            segments.push(segment);
            values.push(decoded_value);
        }
        let result = if segments.is_empty() {
            None
        } else {
            let mut out = Vec::with_capacity(data.len());
            let mut at = 0usize;
            for (s, value) in segments.iter().zip(&values) {
                let (start, end) = (to_usize(s.encoded.start), to_usize(s.encoded.end));
                out.extend_from_slice(data.get(at..start).unwrap_or_default());
                out.extend_from_slice(value);
                at = end;
            }
            out.extend_from_slice(data.get(at..).unwrap_or_default());
            Some(out)
        };
        self.passes.push(segments);
        result
    }

    /// gitleaks' `toOriginal`: maps `se`, a span in the text of pass `level` (0: the original), back
    /// to the original fragment. `first` restricts the segments of that pass to some of them.
    fn to_original(&self, mut level: usize, first: Option<&[&Segment]>, mut se: Span) -> Span {
        let mut first = first;
        loop {
            if level == 0 {
                return se;
            }
            let all: Vec<&Segment>;
            let segments: &[&Segment] = if let Some(f) = first.take() {
                f
            } else {
                all = self
                    .passes
                    .get(level - 1)
                    .map(|p| p.iter().collect())
                    .unwrap_or_default();
                &all
            };
            if segments.is_empty() {
                return se;
            }
            let mut encoded = Span::default();
            for p in segments {
                if !p.decoded.overlaps(se) {
                    continue;
                }
                if p.decoded.contains(se) {
                    return p.original;
                }
                let up = p.encoded.add(p.decoded.overflow(se));
                encoded = if encoded.end == 0 { up } else { encoded.merge(up) };
            }
            if encoded.end == 0 {
                return se;
            }
            se = encoded;
            level -= 1;
        }
    }

    /// The current pass's segments whose decoded value overlaps `start..end` of the current text.
    pub(crate) fn overlapping(&self, start: usize, end: usize) -> Vec<&Segment> {
        let se = span(start, end);
        self.current().iter().filter(|s| s.decoded.overlaps(se)).collect()
    }

    /// gitleaks' `AdjustMatchIndex`: a match in the current text mapped to the original fragment.
    pub(crate) fn adjust(&self, segments: &[&Segment], start: usize, end: usize) -> (usize, usize) {
        let se = self.to_original(self.passes.len(), Some(segments), span(start, end));
        (to_usize(se.start), to_usize(se.end))
    }
}

fn to_usize(v: i64) -> usize {
    usize::try_from(v.max(0)).unwrap_or(usize::MAX)
}

/// gitleaks' `Tags`: `decoded:KIND` for each encoding the segments went through, then
/// `decode-depth:N`.
pub(crate) fn tags(segments: &[&Segment]) -> Vec<String> {
    let Some(first) = segments.first() else {
        return Vec::new();
    };
    let encodings = segments.iter().fold(0u8, |acc, s| acc | s.encodings);
    let mut out: Vec<String> = NAMES
        .iter()
        .filter(|(bit, _)| encodings & bit != 0)
        .map(|(_, name)| format!("decoded:{name}"))
        .collect();
    out.push(format!("decode-depth:{}", first.depth));
    out
}

/// gitleaks' `CurrentLine`: the current text from the newline before the segments' decoded values
/// (included) to the newline after them.
pub(crate) fn current_line<'a>(segments: &[&Segment], current: &'a [u8]) -> &'a [u8] {
    let Some(first) = segments.first() else {
        return current;
    };
    let decoded = segments.iter().fold(first.decoded, |acc, s| acc.merge(s.decoded));
    let (from, to) = (to_usize(decoded.start), to_usize(decoded.end));
    let start = current
        .get(..=from.min(current.len().saturating_sub(1)))
        .and_then(|b| memchr::memrchr(b'\n', b))
        .unwrap_or(0);
    let end = current
        .get(to..)
        .and_then(|b| memchr::memchr(b'\n', b))
        .map_or(current.len(), |i| to + i);
    current.get(start..end).unwrap_or_default()
}

/// The pattern's groups and the encoding each one finds.
const GROUPS: [(usize, u8); 4] = [(1, PERCENT), (2, UNICODE), (3, HEX), (4, BASE64)];

/// Which alternative of the pattern matched `start..end`, from its text alone, where that is certain:
/// at a given start the earliest alternative that matches there wins, and only the percent form
/// starts with `%`, only the Unicode escapes with `\`, and a hex match is a run of at least 32 hex
/// digits (`U` is not one); anything else that starts a match is base64. A match starting `U+` may be
/// either a code point or base64 (`+` is in its alphabet): `None`, and the caller asks the groups.
/// This spares the capture engine for every match (most of them are identifiers that look like
/// base64).
fn kind_at(data: &[u8], start: usize, end: usize) -> Option<u8> {
    let rest = data.get(start..)?;
    match rest {
        [b'%', ..] => Some(PERCENT),
        [b'\\', ..] => Some(UNICODE),
        [b'U', b'+', ..] => None,
        [first, ..] if first.is_ascii_hexdigit() => {
            let run = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if run < 32 {
                Some(BASE64)
            } else if start + run == end {
                Some(HEX)
            } else {
                None
            }
        }
        _ => Some(BASE64),
    }
}

/// gitleaks' `findEncodingMatches`: every match of the pattern with its kind, a match dropped when it
/// touches a neighbour of higher precedence.
fn find_matches(data: &[u8]) -> Vec<(u8, usize, usize)> {
    let all = all_matches(data);
    if all.len() == 1 {
        return all;
    }
    // Precedence: percent highest, base64 lowest (a lower bit is a higher precedence).
    let touches = |a: (u8, usize, usize), b: (u8, usize, usize)| b.1 <= a.2 && b.2 >= a.1;
    let mut kept = Vec::with_capacity(all.len());
    for (i, &m) in all.iter().enumerate() {
        if let Some(&prev) = i.checked_sub(1).and_then(|p| all.get(p))
            && touches(m, prev)
            && prev.0 < m.0
        {
            continue;
        }
        if let Some(&next) = all.get(i + 1)
            && touches(m, next)
            && next.0 < m.0
        {
            continue;
        }
        kept.push(m);
    }
    kept
}

/// Every match of the pattern with its kind.
fn all_matches(data: &[u8]) -> Vec<(u8, usize, usize)> {
    let Some(re) = ENCODINGS.as_ref() else {
        return Vec::new();
    };
    let mut all: Vec<(u8, usize, usize)> = Vec::new();
    for m in re.find_iter(data) {
        let kind = kind_at(data, m.start(), m.end()).or_else(|| {
            let caps = re.captures_at(data, m.start())?;
            GROUPS
                .iter()
                .find(|(group, _)| caps.get(*group).is_some())
                .map(|&(_, kind)| kind)
        });
        if let Some(kind) = kind {
            all.push((kind, m.start(), m.end()));
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{
        BASE64, Decoder, ENCODINGS, GROUPS, HEX, PERCENT, UNICODE, all_matches, current_line, decode_base64,
        decode_hex, decode_percent, decode_unicode, find_matches, tags,
    };

    /// Every match of the pattern with the kind its capture groups name (the straightforward reading).
    fn matches_by_groups(data: &[u8]) -> Vec<(u8, usize, usize)> {
        let re = ENCODINGS.as_ref().unwrap();
        let mut all = Vec::new();
        for caps in re.captures_iter(data) {
            for (group, kind) in GROUPS {
                if let Some(m) = caps.get(group) {
                    all.push((kind, m.start(), m.end()));
                }
            }
        }
        all
    }

    #[test]
    fn match_kinds_from_the_text_agree_with_the_capture_groups() {
        let cases: [&[u8]; 9] = [
            b"%41%42 and U+0041 U+0042\n",
            b"U+0041+abcdefghijklmnop1",
            b"U+00ZZabcdefghijklmnop",
            b"\\\\u0041\\U0042 0123456789abcdef0123456789abcdef",
            b"0123456789abcdef0123456789abcdefXYZ",
            b"0123456789abcdef0123456789abcde-more",
            b"deadbeefdeadbeefdeadbeefdeadbeef==",
            b"getElementsByTagName(x) /usr/local/share/some+path==",
            "caf\u{e9}abcdefghijklmnop1234".as_bytes(),
        ];
        for case in cases {
            let found = all_matches(case);
            assert_eq!(
                found,
                matches_by_groups(case),
                "{:?}",
                String::from_utf8_lossy(case)
            );
            assert!(!found.is_empty(), "{:?}", String::from_utf8_lossy(case));
        }
        let kinds: Vec<u8> =
            find_matches(b"%41 x U+0041 x 0123456789abcdef0123456789abcdef x abcdefghijklmnop1")
                .iter()
                .map(|m| m.0)
                .collect();
        assert_eq!(kinds, [PERCENT, UNICODE, HEX, BASE64]);
    }

    proptest! {
        #[test]
        fn match_kinds_agree_with_the_capture_groups_on_any_text(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("%4"), Just("1"), Just("U+"), Just("U"), Just("+"), Just("\\"), Just("u"),
                    Just("00Af"), Just("deadbeef"), Just("0123456789abcdef"), Just("="), Just(" "),
                    Just("\n"), Just("xyz"), Just("/"), Just("-"), Just("_"), Just("\u{e9}"),
                ],
                0..64,
            )
        ) {
            let text = parts.concat();
            prop_assert_eq!(all_matches(text.as_bytes()), matches_by_groups(text.as_bytes()), "{:?}", text);
        }
    }

    #[test]
    fn each_encoding_decodes_as_gitleaks_does() {
        assert_eq!(decode_percent(b"a%41%42c"), b"aABc");
        assert_eq!(decode_percent(b"%00%41"), b"");
        assert_eq!(
            decode_percent(b"%0a%41"),
            b"\nA",
            "tab, newline and carriage return are printable"
        );
        assert_eq!(decode_hex(b"6869"), b"hi");
        assert_eq!(decode_hex(b"abcdef"), b"", "no digit: not tried");
        assert_eq!(decode_base64(b"aGVsbG8gd29ybGQ="), b"hello world");
        assert_eq!(decode_base64(b"aGVsbG8gd29ybGQ"), b"hello world", "raw URL form");
        assert_eq!(
            decode_base64(b"abcdefghijklmnop"),
            b"",
            "no digit or symbol: not tried"
        );
        assert_eq!(decode_unicode(br"\u0041\U0042"), b"AB");
        assert_eq!(decode_unicode(b"U+0041 U+0042"), b"AB");
    }

    #[test]
    fn nested_encodings_map_back_to_the_original_place() {
        // base64 of the hex of "secret-value-123".
        let inner = "7365637265742d76616c75652d313233";
        let outer = "NzM2NTYzNzI2NTc0MmQ3NjYxNmM3NTY1MmQzMTMyMzM=";
        let text = format!("x = 1\nkey = {outer}\n");
        let mut d = Decoder::default();
        let first = d.pass(text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8_lossy(&first), format!("x = 1\nkey = {inner}\n"));
        let second = d.pass(&first).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&second),
            "x = 1\nkey = secret-value-123\n"
        );
        let at = second.windows(6).position(|w| w == b"secret").unwrap();
        let segs = d.overlapping(at, at + 16);
        assert_eq!(tags(&segs), ["decoded:hex", "decoded:base64", "decode-depth:2"]);
        let (s, e) = d.adjust(&segs, at, at + 16);
        assert_eq!(&text[s..e], outer);
        assert_eq!(current_line(&segs, &second), b"\nkey = secret-value-123");
        assert!(d.pass(&second).is_none());
    }
}
