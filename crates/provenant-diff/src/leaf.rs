//! Content that is not (or no longer) a container: text and raw bytes.

use std::fmt::Write as _;
use std::time::Duration;

use crate::{Ctx, Detail, Kind, show_location};

/// Month abbreviations, as `date` and `ls` print them.
const MONTHS: [&str; 12] = [
    "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec ",
];

/// Lines of unified diff kept in a report.
const MAX_DIFF_LINES: usize = 24;

/// First index where the slices differ (the shorter length when one is a prefix of the other).
pub(crate) fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.len().min(b.len()))
}

/// Compares content with nothing more to descend into. `forced` overrides the kind (a build id).
/// `numeric_time` allows reading a 32-bit Unix time at the offset (not in machine code, where any
/// address could pass for one).
pub(crate) fn bytes(
    ctx: &mut Ctx<'_>,
    location: &[String],
    a: &[u8],
    b: &[u8],
    forced: Option<Kind>,
    numeric_time: bool,
) {
    if a == b {
        return;
    }
    let offset = first_difference(a, b);
    let text = |d: &[u8]| !d.contains(&0) && std::str::from_utf8(d).is_ok();
    let limit = ctx.options.limits.max_text;
    if forced.is_none() && text(a) && text(b) && a.len() <= limit && b.len() <= limit {
        let (sa, sb) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        text_diff(ctx, location, &sa, &sb, offset);
        return;
    }
    let kind = forced
        .or_else(|| hint_at(ctx, a, b, offset))
        .or_else(|| timestamp_at(a, b, offset, numeric_time))
        .unwrap_or(Kind::Content);
    let size = if a.len() == b.len() {
        format!("both {} bytes", a.len())
    } else {
        format!("{} vs {} bytes", a.len(), b.len())
    };
    let message = match kind {
        Kind::Derived => format!(
            "{} differs ({size}); it is computed from the rest of the content",
            show_location(location)
        ),
        Kind::Content => format!("content differs from byte {offset} ({size})"),
        k => format!("content differs from byte {offset} ({size}): {}", describe(k)),
    };
    ctx.push(
        location,
        kind,
        message,
        Some(Detail::Hexdump {
            offset: offset as u64,
            first: hexdump(a, offset),
            second: hexdump(b, offset),
        }),
    );
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Timestamp => "a time stamp",
        Kind::EmbeddedPath => "the build path is embedded",
        Kind::Hostname => "the host name is embedded",
        Kind::User => "the user name is embedded",
        Kind::Order => "the same lines in another order",
        _ => "see the detail",
    }
}

fn text_diff(ctx: &mut Ctx<'_>, location: &[String], a: &str, b: &str, offset: usize) {
    let line = a
        .as_bytes()
        .get(..offset)
        .map_or(1, |p| p.split(|c| *c == b'\n').count());
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_millis(500))
        .diff_lines(a, b);
    let mut unified = String::new();
    for (i, l) in diff
        .unified_diff()
        .context_radius(2)
        .to_string()
        .lines()
        .enumerate()
    {
        if i >= MAX_DIFF_LINES {
            unified.push_str("…\n");
            break;
        }
        let _ = writeln!(unified, "{l}");
    }
    let (mut la, mut lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let same_lines_reordered = {
        la.sort_unstable();
        lb.sort_unstable();
        la == lb
    };
    // The first changed line on each side, for the classifiers.
    let changed_a: Vec<&str> = diff
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .map(|c| c.value())
        .take(50)
        .collect();
    let changed_b: Vec<&str> = diff
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Insert)
        .map(|c| c.value())
        .take(50)
        .collect();
    let kind = if same_lines_reordered {
        Kind::Order
    } else if let Some(k) = hint_at(ctx, a.as_bytes(), b.as_bytes(), offset) {
        k
    } else if !changed_a.is_empty()
        && !changed_b.is_empty()
        && changed_a.iter().all(|l| has_timestamp(l))
        && changed_b.iter().all(|l| has_timestamp(l))
    {
        Kind::Timestamp
    } else {
        Kind::Content
    };
    let message = match kind {
        Kind::Order => format!("the same {} lines in another order, from line {line}", la.len()),
        Kind::Content => format!("text differs from line {line}"),
        k => format!("text differs from line {line}: {}", describe(k)),
    };
    ctx.push(
        location,
        kind,
        message,
        Some(Detail::Text { line, diff: unified }),
    );
}

/// The kind of a caller hint found at the first difference: the first input has the hint's first
/// value covering `offset` and the second has the second value at the same place.
fn hint_at(ctx: &Ctx<'_>, a: &[u8], b: &[u8], offset: usize) -> Option<crate::Kind> {
    for hint in &ctx.options.hints {
        let (ha, hb) = (&hint.first, &hint.second);
        if ha.is_empty() || hb.is_empty() || ha == hb {
            continue;
        }
        let span = ha.len().max(hb.len());
        // The value covering the first difference at the same place in both, or (when padding or
        // alignment moved it) near it in both.
        let same_place = (offset.saturating_sub(span)..=offset).any(|p| {
            a.get(p..p + ha.len()) == Some(ha.as_slice()) && b.get(p..p + hb.len()) == Some(hb.as_slice())
        });
        let near = |d: &[u8], needle: &[u8]| {
            let lo = offset.saturating_sub(span + 64);
            let hi = (offset + span + 64).min(d.len());
            d.get(lo..hi)
                .is_some_and(|w| w.windows(needle.len()).any(|x| x == needle))
        };
        // Packed string tables reorder when a string's length changes: then one side has its value at
        // the difference and the other has its own value somewhere.
        let anywhere = |d: &[u8], needle: &[u8]| d.windows(needle.len()).any(|x| x == needle);
        let found = same_place
            || (near(a, ha) && near(b, hb))
            || (near(b, hb) && anywhere(a, ha) && !anywhere(b, ha))
            || (near(a, ha) && anywhere(b, hb) && !anywhere(a, hb));
        if found {
            return Some(hint.kind);
        }
    }
    None
}

fn timestamp_at(a: &[u8], b: &[u8], offset: usize, numeric_time: bool) -> Option<Kind> {
    // An aligned 32-bit Unix time (2001..2040) in either byte order, covering the offset in both inputs,
    // the two less than three years apart.
    let plausible = |x: u32, y: u32| {
        let range = 1_000_000_000..2_200_000_000u32;
        range.contains(&x) && range.contains(&y) && x.abs_diff(y) < 100_000_000
    };
    let starts: &[usize] = if numeric_time { &[offset & !3] } else { &[] };
    for &start in starts {
        let (Some(wa), Some(wb)) = (a.get(start..start + 4), b.get(start..start + 4)) else {
            continue;
        };
        let (Ok(wa), Ok(wb)) = (<[u8; 4]>::try_from(wa), <[u8; 4]>::try_from(wb)) else {
            continue;
        };
        if plausible(u32::from_le_bytes(wa), u32::from_le_bytes(wb))
            || plausible(u32::from_be_bytes(wa), u32::from_be_bytes(wb))
        {
            return Some(Kind::Timestamp);
        }
    }
    // A printable string around the offset that looks like a date in both.
    let around = |d: &[u8]| -> String {
        let lo = d
            .get(..offset.min(d.len()))
            .and_then(|p| p.iter().rposition(|c| !(0x20..0x7f).contains(c)))
            .map_or(0, |p| p + 1);
        let hi = d
            .get(offset..)
            .and_then(|p| p.iter().position(|c| !(0x20..0x7f).contains(c)))
            .map_or(d.len(), |p| offset + p);
        String::from_utf8_lossy(d.get(lo..hi).unwrap_or_default()).into_owned()
    };
    (has_timestamp(&around(a)) && has_timestamp(&around(b))).then_some(Kind::Timestamp)
}

/// Whether a line contains something shaped like a date or time: `YYYY-MM-DD`, `HH:MM:SS`, a month
/// name followed by a day, or a ten-digit Unix time.
pub(crate) fn has_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    for i in 0..b.len() {
        if (0..4).all(|k| digit(i + k))
            && at(i + 4, b'-')
            && digit(i + 5)
            && digit(i + 6)
            && at(i + 7, b'-')
            && digit(i + 8)
        {
            return true;
        }
        if digit(i)
            && digit(i + 1)
            && at(i + 2, b':')
            && digit(i + 3)
            && digit(i + 4)
            && at(i + 5, b':')
            && digit(i + 6)
        {
            return true;
        }
        if (i == 0 || !digit(i - 1))
            && (0..10).all(|k| digit(i + k))
            && !digit(i + 10)
            && matches!(b.get(i), Some(b'1'..=b'4'))
        {
            return true;
        }
    }
    MONTHS.iter().any(|m| {
        s.match_indices(m)
            .any(|(i, _)| digit(i + 4) || (at(i + 4, b' ') && digit(i + 5)))
    })
}

/// Two 16-byte rows around `offset`, `xxd`-style, with the differing byte's row first.
pub(crate) fn hexdump(data: &[u8], offset: usize) -> String {
    let row = offset & !15;
    let mut out = String::new();
    for start in [row, row + 16] {
        let Some(chunk) = data.get(start..(start + 16).min(data.len())) else {
            break;
        };
        if chunk.is_empty() {
            break;
        }
        let _ = write!(out, "{start:08x}: ");
        for (i, byte) in chunk.iter().enumerate() {
            let _ = write!(out, "{byte:02x}");
            if i % 2 == 1 {
                out.push(' ');
            }
        }
        for i in chunk.len()..16 {
            out.push_str("  ");
            if i % 2 == 1 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(chunk.iter().map(|c| {
            if (0x20..0x7f).contains(c) {
                char::from(*c)
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    if out.is_empty() {
        let _ = writeln!(out, "{offset:08x}: (end of data)");
    }
    out
}
