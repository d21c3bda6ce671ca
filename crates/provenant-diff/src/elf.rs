//! ELF objects and executables (Rust binaries included): which sections differ, and how.

use crate::{Ctx, Kind, child, leaf};

struct Section<'a> {
    name: String,
    data: &'a [u8],
}

fn read_u(d: &[u8], at: usize, size: usize, le: bool) -> Option<u64> {
    let b = d.get(at..at.checked_add(size)?)?;
    let mut v: u64 = 0;
    if le {
        for x in b.iter().rev() {
            v = v << 8 | u64::from(*x);
        }
    } else {
        for x in b {
            v = v << 8 | u64::from(*x);
        }
    }
    Some(v)
}

fn sections(d: &[u8], max: usize) -> Option<Vec<Section<'_>>> {
    let class64 = *d.get(4)? == 2;
    let le = *d.get(5)? == 1;
    let word = if class64 { 8 } else { 4 };
    let (shoff, shentsize, shnum, shstrndx) = if class64 {
        (
            read_u(d, 0x28, 8, le)?,
            read_u(d, 0x3a, 2, le)?,
            read_u(d, 0x3c, 2, le)?,
            read_u(d, 0x3e, 2, le)?,
        )
    } else {
        (
            read_u(d, 0x20, 4, le)?,
            read_u(d, 0x2e, 2, le)?,
            read_u(d, 0x30, 2, le)?,
            read_u(d, 0x32, 2, le)?,
        )
    };
    let (shoff, shentsize) = (usize::try_from(shoff).ok()?, usize::try_from(shentsize).ok()?);
    let shnum = usize::try_from(shnum).ok()?.min(max);
    let header = |i: usize| -> Option<(u64, u64, u64, u64)> {
        let base = shoff.checked_add(i.checked_mul(shentsize)?)?;
        let name = read_u(d, base, 4, le)?;
        let kind = read_u(d, base + 4, 4, le)?;
        let (off_at, size_at) = if class64 {
            (base + 0x18, base + 0x20)
        } else {
            (base + 0x10, base + 0x14)
        };
        Some((
            name,
            kind,
            read_u(d, off_at, word, le)?,
            read_u(d, size_at, word, le)?,
        ))
    };
    let (_, _, stroff, strsize) = header(usize::try_from(shstrndx).ok()?)?;
    let strtab = d.get(usize::try_from(stroff).ok()?..usize::try_from(stroff.checked_add(strsize)?).ok()?)?;
    let mut out = Vec::new();
    for i in 1..shnum {
        let (name, kind, off, size) = header(i)?;
        let n = strtab.get(usize::try_from(name).ok()?..).unwrap_or_default();
        let end = n.iter().position(|c| *c == 0).unwrap_or(n.len());
        let name = String::from_utf8_lossy(n.get(..end).unwrap_or_default()).into_owned();
        // SHT_NOBITS (.bss) has no bytes in the file.
        let data = if kind == 8 {
            &[][..]
        } else {
            d.get(usize::try_from(off).ok()?..usize::try_from(off.checked_add(size)?).ok()?)
                .unwrap_or_default()
        };
        out.push(Section { name, data });
    }
    Some(out)
}

/// ELF: compares section by section; the build id is reported as derived from the rest.
pub(crate) fn compare(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], _depth: u32) -> bool {
    let max = ctx.options.limits.max_entries;
    let (Some(sa), Some(sb)) = (sections(a, max), sections(b, max)) else {
        ctx.note(location, "malformed ELF section table; compared as bytes");
        return false;
    };
    let rust = a.windows(7).any(|w| w == b"/rustc/");
    if rust {
        ctx.note(
            location,
            "a Rust binary (panic locations and debug info carry source paths)",
        );
    }
    let before = ctx.differences.len();
    for x in &sa {
        let loc = child(location, format!("section {}", x.name));
        match sb.iter().find(|y| y.name == x.name) {
            None => ctx.push(&loc, Kind::Missing, "section only in the first".to_owned(), None),
            Some(y) if x.data != y.data => {
                let forced =
                    (x.name == ".note.gnu.build-id" || x.name == ".gnu_debuglink").then_some(Kind::Derived);
                leaf::bytes(ctx, &loc, x.data, y.data, forced, false);
            }
            Some(_) => {}
        }
    }
    // Causes first; code and tables that merely moved with them next; derived values last.
    let rank = |k: Kind| match k {
        Kind::Derived => 2,
        Kind::Content => 1,
        _ => 0,
    };
    if let Some(tail) = ctx.differences.get_mut(before..) {
        tail.sort_by_key(|d| rank(d.kind));
    }
    for y in sb.iter().filter(|y| !sa.iter().any(|x| x.name == y.name)) {
        ctx.push(
            &child(location, format!("section {}", y.name)),
            Kind::Missing,
            "section only in the second".to_owned(),
            None,
        );
    }
    true
}
