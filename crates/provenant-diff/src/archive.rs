//! Archives and compression: gzip, tar, zip/jar, ar/.deb. Every read is bounds-checked.

use std::collections::BTreeMap;

use crate::{Ctx, Detail, Format, Kind, child, compare_content, show_location};

/// One member of an archive, in the fields the formats share.
#[derive(Debug, Clone, Default)]
struct Entry<'a> {
    name: String,
    mode: Option<u32>,
    uid: Option<u64>,
    gid: Option<u64>,
    uname: String,
    gname: String,
    mtime: Option<String>,
    kind: char,
    link: String,
    data: Data<'a>,
}

#[derive(Debug, Clone, Default)]
enum Data<'a> {
    #[default]
    None,
    Raw(&'a [u8]),
    Deflate(&'a [u8]),
    Unsupported(u16),
}

// Callers pass owned and borrowed values alike; every caller wants the result wrapped.
#[allow(clippy::needless_pass_by_value, clippy::unnecessary_wraps)]
fn values(first: impl ToString, second: impl ToString) -> Option<Detail> {
    Some(Detail::Values {
        first: first.to_string(),
        second: second.to_string(),
    })
}

/// Compares two member lists: order, presence, metadata, then content.
// One pass over the fields the formats share; splitting it would scatter the report order.
#[allow(clippy::too_many_lines)]
fn compare_entries(
    ctx: &mut Ctx<'_>,
    location: &[String],
    a: &[Entry<'_>],
    b: &[Entry<'_>],
    depth: u32,
    what: &str,
) {
    let names_a: Vec<&str> = a.iter().map(|e| e.name.as_str()).collect();
    let names_b: Vec<&str> = b.iter().map(|e| e.name.as_str()).collect();
    let map_b: BTreeMap<&str, &Entry<'_>> = b.iter().map(|e| (e.name.as_str(), e)).collect();
    let map_a: BTreeMap<&str, &Entry<'_>> = a.iter().map(|e| (e.name.as_str(), e)).collect();
    let common_a: Vec<&str> = names_a
        .iter()
        .copied()
        .filter(|n| map_b.contains_key(n))
        .collect();
    let common_b: Vec<&str> = names_b
        .iter()
        .copied()
        .filter(|n| map_a.contains_key(n))
        .collect();
    if common_a != common_b {
        let i = common_a
            .iter()
            .zip(&common_b)
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        ctx.push(
            location,
            Kind::EntryOrder,
            format!("the same {what} entries in another order, from position {i}"),
            values(
                common_a
                    .get(i..(i + 5).min(common_a.len()))
                    .unwrap_or_default()
                    .join(", "),
                common_b
                    .get(i..(i + 5).min(common_b.len()))
                    .unwrap_or_default()
                    .join(", "),
            ),
        );
    }
    for n in names_a.iter().filter(|n| !map_b.contains_key(*n)) {
        ctx.push(
            &child(location, *n),
            Kind::Missing,
            "only in the first".to_owned(),
            None,
        );
    }
    for n in names_b.iter().filter(|n| !map_a.contains_key(*n)) {
        ctx.push(
            &child(location, *n),
            Kind::Missing,
            "only in the second".to_owned(),
            None,
        );
    }
    for ea in a {
        let Some(eb) = map_b.get(ea.name.as_str()) else {
            continue;
        };
        if ctx.full() {
            ctx.truncated = true;
            return;
        }
        let loc = child(location, ea.name.clone());
        if ea.mtime != eb.mtime {
            ctx.push(
                &loc,
                Kind::Timestamp,
                "modification time differs".to_owned(),
                values(
                    ea.mtime.clone().unwrap_or_default(),
                    eb.mtime.clone().unwrap_or_default(),
                ),
            );
        }
        if ea.mode != eb.mode {
            let show = |m: Option<u32>| m.map_or_else(|| "-".to_owned(), |m| format!("{m:04o}"));
            ctx.push(
                &loc,
                Kind::Permissions,
                "permissions differ".to_owned(),
                values(show(ea.mode), show(eb.mode)),
            );
        }
        if (ea.uid, ea.gid, &ea.uname, &ea.gname) != (eb.uid, eb.gid, &eb.uname, &eb.gname) {
            let show = |e: &Entry<'_>| {
                format!(
                    "{}:{} ({}:{})",
                    e.uid.unwrap_or(0),
                    e.gid.unwrap_or(0),
                    e.uname,
                    e.gname
                )
            };
            ctx.push(
                &loc,
                Kind::Owner,
                "owner differs".to_owned(),
                values(show(ea), show(eb)),
            );
        }
        if (ea.kind, &ea.link) != (eb.kind, &eb.link) {
            ctx.push(
                &loc,
                Kind::FileType,
                "entry type or link target differs".to_owned(),
                values(
                    format!("{} {}", ea.kind, ea.link),
                    format!("{} {}", eb.kind, eb.link),
                ),
            );
        }
        let (da, db) = (member_data(ctx, &loc, &ea.data), member_data(ctx, &loc, &eb.data));
        if let (Some(da), Some(db)) = (da, db) {
            compare_content(ctx, &loc, &da, &db, depth + 1);
        }
    }
}

fn member_data(ctx: &mut Ctx<'_>, location: &[String], data: &Data<'_>) -> Option<Vec<u8>> {
    match data {
        Data::None => Some(Vec::new()),
        Data::Raw(d) => Some(d.to_vec()),
        Data::Deflate(d) => ctx.inflate(location, flate2::read::DeflateDecoder::new(*d)),
        Data::Unsupported(m) => {
            ctx.note(
                location,
                &format!("compression method {m} is not supported; content not compared"),
            );
            None
        }
    }
}

// ---------- gzip ----------

/// gzip: header fields, then the decompressed content.
pub(crate) fn gzip(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], depth: u32) -> bool {
    let (ha, hb) = (gzip_header(a), gzip_header(b));
    if let (Some(ha), Some(hb)) = (&ha, &hb) {
        if ha.mtime != hb.mtime {
            ctx.push(
                &child(location, "gzip header"),
                Kind::Timestamp,
                "gzip header time stamp differs (gzip without -n)".to_owned(),
                values(ha.mtime, hb.mtime),
            );
        }
        if ha.name != hb.name {
            ctx.push(
                &child(location, "gzip header"),
                Kind::EmbeddedPath,
                "gzip header records another original file name".to_owned(),
                values(&ha.name, &hb.name),
            );
        }
        if ha.os != hb.os || ha.xfl != hb.xfl {
            ctx.push(
                &child(location, "gzip header"),
                Kind::Content,
                "gzip header OS or compression-level flags differ".to_owned(),
                values(
                    format!("os {} xfl {}", ha.os, ha.xfl),
                    format!("os {} xfl {}", hb.os, hb.xfl),
                ),
            );
        }
    }
    let loc = child(location, "(decompressed)");
    let da = ctx.inflate(&loc, flate2::read::MultiGzDecoder::new(a));
    let db = ctx.inflate(&loc, flate2::read::MultiGzDecoder::new(b));
    if let (Some(da), Some(db)) = (da, db) {
        if da == db {
            if ha.as_ref().map(|h| (h.mtime, &h.name, h.os, h.xfl))
                == hb.as_ref().map(|h| (h.mtime, &h.name, h.os, h.xfl))
            {
                ctx.push(
                    location,
                    Kind::Content,
                    "same decompressed content, compressed differently (another compressor or level)"
                        .to_owned(),
                    None,
                );
            }
        } else {
            compare_content(ctx, &loc, &da, &db, depth + 1);
        }
    }
    true
}

struct GzipHeader {
    mtime: u32,
    xfl: u8,
    os: u8,
    name: String,
}

fn gzip_header(d: &[u8]) -> Option<GzipHeader> {
    let flags = *d.get(3)?;
    let mtime = u32::from_le_bytes(d.get(4..8)?.try_into().ok()?);
    let (xfl, os) = (*d.get(8)?, *d.get(9)?);
    let mut pos = 10usize;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes(d.get(10..12)?.try_into().ok()?);
        pos = pos.checked_add(2 + usize::from(xlen))?;
    }
    let mut name = String::new();
    if flags & 8 != 0 {
        let rest = d.get(pos..)?;
        let end = rest.iter().position(|c| *c == 0)?;
        name = String::from_utf8_lossy(rest.get(..end.min(4096))?).into_owned();
    }
    Some(GzipHeader { mtime, xfl, os, name })
}

// ---------- xz and zstd ----------

/// A writer that refuses to grow past a limit.
struct Bounded {
    out: Vec<u8>,
    limit: u64,
    exceeded: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.out.len() + buf.len()) as u64 > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("decompression budget exhausted"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn unpack(ctx: &mut Ctx<'_>, location: &[String], data: &[u8], format: Format) -> Option<Vec<u8>> {
    // Two decoders with different interfaces; a match keeps them side by side.
    #[allow(clippy::single_match_else)]
    match format {
        Format::Xz => {
            let mut w = Bounded {
                out: Vec::new(),
                limit: ctx.unpack_budget,
                exceeded: false,
            };
            // lzma-rs can panic (integer overflow) on malformed input: contain it and treat it as a
            // decoding failure, so a hostile archive cannot abort the comparison.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lzma_rs::xz_decompress(&mut &data[..], &mut w)
            }))
            .unwrap_or_else(|_| {
                Err(lzma_rs::error::Error::IoError(std::io::Error::other(
                    "malformed xz stream",
                )))
            });
            match result {
                Ok(()) => {
                    ctx.unpack_budget -= w.out.len() as u64;
                    Some(w.out)
                }
                Err(_) if w.exceeded => {
                    ctx.truncated = true;
                    ctx.unpack_budget = 0;
                    ctx.note(location, "decompression budget exhausted; not descended into");
                    None
                }
                Err(e) => {
                    ctx.note(location, &format!("cannot decompress xz: {e}"));
                    None
                }
            }
        }
        _ => {
            // As for xz: a decoder panic on malformed input is a decoding failure.
            let budget = ctx.unpack_budget;
            let result = std::panic::catch_unwind(|| -> Result<Vec<u8>, String> {
                let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(decoder, budget.saturating_add(1)),
                    &mut out,
                )
                .map_err(|e| e.to_string())?;
                Ok(out)
            })
            .unwrap_or_else(|_| Err("malformed zstd stream".to_owned()));
            match result {
                Ok(out) if out.len() as u64 <= budget => {
                    ctx.unpack_budget -= out.len() as u64;
                    Some(out)
                }
                Ok(_) => {
                    ctx.truncated = true;
                    ctx.unpack_budget = 0;
                    ctx.note(location, "decompression budget exhausted; not descended into");
                    None
                }
                Err(e) => {
                    ctx.note(location, &format!("cannot decompress zstd: {e}"));
                    None
                }
            }
        }
    }
}

/// xz and zstd streams: the decompressed content.
pub(crate) fn stream(
    ctx: &mut Ctx<'_>,
    location: &[String],
    a: &[u8],
    b: &[u8],
    depth: u32,
    format: Format,
) -> bool {
    let loc = child(location, "(decompressed)");
    let (Some(da), Some(db)) = (unpack(ctx, &loc, a, format), unpack(ctx, &loc, b, format)) else {
        return false;
    };
    if da == db {
        ctx.push(
            location,
            Kind::Content,
            "same decompressed content, compressed differently (another compressor or level)".to_owned(),
            None,
        );
    } else {
        compare_content(ctx, &loc, &da, &db, depth + 1);
    }
    true
}

// ---------- tar ----------

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|c| *c == 0).unwrap_or(field.len());
    String::from_utf8_lossy(field.get(..end).unwrap_or_default()).into_owned()
}

fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|c| c & 0x80 != 0) {
        // GNU base-256 for large values.
        let mut v: u64 = 0;
        for (i, c) in field.iter().enumerate() {
            let c = if i == 0 { c & 0x7f } else { *c };
            v = v.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(v);
    }
    let s = cstr(field);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        None
    } else {
        u64::from_str_radix(s, 8).ok()
    }
}

fn parse_tar<'a>(ctx: &mut Ctx<'_>, location: &[String], d: &'a [u8]) -> Option<Vec<Entry<'a>>> {
    let mut entries = Vec::new();
    let mut pos = 0usize;
    let mut long_name: Option<String> = None;
    let mut long_link: Option<String> = None;
    let mut pax: BTreeMap<String, String> = BTreeMap::new();
    while let Some(h) = d.get(pos..pos.checked_add(512)?) {
        if h.iter().all(|c| *c == 0) {
            break;
        }
        if entries.len() >= ctx.options.limits.max_entries {
            ctx.truncated = true;
            ctx.note(location, "entry limit reached");
            break;
        }
        let size = octal(h.get(124..136)?)?;
        let start = pos + 512;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let data = d.get(start..end)?;
        let typeflag = char::from(*h.get(156)?);
        pos = end.checked_add((512 - (size % 512) as usize) % 512)?;
        match typeflag {
            'L' => {
                long_name = Some(cstr(data));
                continue;
            }
            'K' => {
                long_link = Some(cstr(data));
                continue;
            }
            'x' => {
                pax = parse_pax(data);
                continue;
            }
            'g' => continue,
            _ => {}
        }
        let mut name = cstr(h.get(0..100)?);
        if h.get(257..262) == Some(b"ustar") {
            let prefix = cstr(h.get(345..500)?);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        let mut e = Entry {
            name: long_name.take().unwrap_or(name),
            mode: octal(h.get(100..108)?).map(|m| (m & 0o7777) as u32),
            uid: octal(h.get(108..116)?),
            gid: octal(h.get(116..124)?),
            uname: cstr(h.get(265..297)?),
            gname: cstr(h.get(297..329)?),
            mtime: octal(h.get(136..148)?).map(|t| t.to_string()),
            kind: if typeflag == '\0' { '0' } else { typeflag },
            link: long_link
                .take()
                .unwrap_or_else(|| cstr(h.get(157..257).unwrap_or_default())),
            data: if matches!(typeflag, '0' | '\0' | '7') {
                Data::Raw(data)
            } else {
                Data::None
            },
        };
        for (k, v) in std::mem::take(&mut pax) {
            match k.as_str() {
                "path" => e.name = v,
                "linkpath" => e.link = v,
                "mtime" => e.mtime = Some(v),
                "uid" => e.uid = v.parse().ok(),
                "gid" => e.gid = v.parse().ok(),
                "uname" => e.uname = v,
                "gname" => e.gname = v,
                _ => {}
            }
        }
        let trimmed = e.name.trim_start_matches("./");
        e.name = if trimmed.is_empty() {
            ".".to_owned()
        } else {
            trimmed.to_owned()
        };
        entries.push(e);
    }
    Some(entries)
}

fn parse_pax(data: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = data;
    while !rest.is_empty() && out.len() < 64 {
        let Some(sp) = rest.iter().position(|c| *c == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(rest.get(..sp).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        let Some(record) = rest.get(sp + 1..len) else {
            break;
        };
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|c| *c == b'=') {
            let (k, v) = record.split_at(eq);
            out.insert(
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v.get(1..).unwrap_or_default()).into_owned(),
            );
        }
        rest = rest.get(len..).unwrap_or_default();
    }
    out
}

/// tar: entries, their metadata and content.
pub(crate) fn tar(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], depth: u32) -> bool {
    let (Some(ea), Some(eb)) = (parse_tar(ctx, location, a), parse_tar(ctx, location, b)) else {
        ctx.note(location, "malformed tar archive; compared as bytes");
        return false;
    };
    compare_entries(ctx, location, &ea, &eb, depth, "tar");
    true
}

// ---------- ar ----------

fn parse_ar<'a>(ctx: &mut Ctx<'_>, _location: &[String], d: &'a [u8]) -> Option<Vec<Entry<'a>>> {
    let mut entries = Vec::new();
    let mut pos = 8usize;
    let mut long_names: &[u8] = &[];
    while pos < d.len() {
        let h = d.get(pos..pos.checked_add(60)?)?;
        if h.get(58..60) != Some(b"`\n") {
            return None;
        }
        if entries.len() >= ctx.options.limits.max_entries {
            ctx.truncated = true;
            break;
        }
        let field = |r: std::ops::Range<usize>| cstr(h.get(r).unwrap_or_default()).trim().to_owned();
        let size: usize = field(48..58).parse().ok()?;
        let start = pos + 60;
        let end = start.checked_add(size)?;
        let mut data = d.get(start..end)?;
        pos = end + (size % 2);
        let raw_name = field(0..16);
        let name = if raw_name == "//" {
            long_names = data;
            continue;
        } else if raw_name == "/" || raw_name == "/SYM64/" {
            "(symbol table)".to_owned()
        } else if let Some(off) = raw_name.strip_prefix('/').and_then(|o| o.parse::<usize>().ok()) {
            let rest = long_names.get(off..).unwrap_or_default();
            let end = rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
            String::from_utf8_lossy(rest.get(..end).unwrap_or_default())
                .trim_end_matches('/')
                .to_owned()
        } else if let Some(len) = raw_name.strip_prefix("#1/").and_then(|l| l.parse::<usize>().ok()) {
            let n = String::from_utf8_lossy(data.get(..len)?)
                .trim_end_matches('\0')
                .to_owned();
            data = data.get(len..)?;
            n
        } else {
            raw_name.trim_end_matches('/').to_owned()
        };
        entries.push(Entry {
            name,
            mode: u32::from_str_radix(&field(40..48), 8).ok().map(|m| m & 0o7777),
            uid: field(28..34).parse().ok(),
            gid: field(34..40).parse().ok(),
            mtime: Some(field(16..28)),
            kind: '0',
            data: Data::Raw(data),
            ..Entry::default()
        });
    }
    Some(entries)
}

/// ar (and .deb): members, their metadata and content.
pub(crate) fn ar(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], depth: u32) -> bool {
    let (Some(ea), Some(eb)) = (parse_ar(ctx, location, a), parse_ar(ctx, location, b)) else {
        ctx.note(location, "malformed ar archive; compared as bytes");
        return false;
    };
    compare_entries(ctx, location, &ea, &eb, depth, "ar");
    true
}

// ---------- zip ----------

fn le16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn dos_time(date: u16, time: u16) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        1980 + u32::from(date >> 9),
        (date >> 5) & 15,
        date & 31,
        time >> 11,
        (time >> 5) & 63,
        (time & 31) * 2
    )
}

fn parse_zip<'a>(ctx: &mut Ctx<'_>, _location: &[String], d: &'a [u8]) -> Option<Vec<Entry<'a>>> {
    let directory = provenant_archive::zip::entries(d, ctx.options.limits.max_entries).ok()?;
    if directory.truncated() {
        ctx.truncated = true;
    }
    let mut entries = Vec::new();
    for e in &directory.entries {
        let extra = e.extra(d)?;
        let mut mtime = dos_time(e.dos_date, e.dos_time);
        let (mut uid, mut gid) = (None, None);
        let mut at = 0usize;
        while let (Some(id), Some(len)) = (le16(extra, at), le16(extra, at + 2)) {
            let body = extra.get(at + 4..at + 4 + usize::from(len)).unwrap_or_default();
            match id {
                0x5455 if body.first().is_some_and(|f| f & 1 != 0) => {
                    if let Some(t) = le32(body, 1) {
                        mtime = format!("{mtime} (unix {t})");
                    }
                }
                0x7875 if body.len() >= 3 => {
                    let us = usize::from(*body.get(1)?);
                    uid = body
                        .get(2..2 + us)
                        .map(|v| v.iter().rev().fold(0u64, |acc, x| acc << 8 | u64::from(*x)));
                    let gs = usize::from(*body.get(2 + us)?);
                    gid = body
                        .get(3 + us..3 + us + gs)
                        .map(|v| v.iter().rev().fold(0u64, |acc, x| acc << 8 | u64::from(*x)));
                }
                _ => {}
            }
            at += 4 + usize::from(len);
        }
        let raw = provenant_archive::zip::raw(d, e).ok()?;
        entries.push(Entry {
            name: e.name.clone(),
            mode: e.made_by_unix().then_some((e.external_attributes >> 16) & 0o7777),
            uid,
            gid,
            mtime: Some(mtime),
            kind: '0',
            data: match e.method {
                0 => Data::Raw(raw),
                8 => Data::Deflate(raw),
                m => Data::Unsupported(m),
            },
            ..Entry::default()
        });
    }
    Some(entries)
}

/// zip (jar, wheel): entries, their metadata and content.
pub(crate) fn zip(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], depth: u32) -> bool {
    let (Some(ea), Some(eb)) = (parse_zip(ctx, location, a), parse_zip(ctx, location, b)) else {
        let l = show_location(location);
        ctx.note(
            location,
            &format!("{l}: malformed or zip64 archive; compared as bytes"),
        );
        return false;
    };
    compare_entries(ctx, location, &ea, &eb, depth, "zip");
    true
}
