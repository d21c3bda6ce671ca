//! ELF objects and executables (Rust binaries included): which sections differ, and how.

use crate::{Ctx, Kind, child, leaf};

struct Section<'a> {
    name: String,
    data: &'a [u8],
}

fn sections(d: &[u8], max: usize) -> Option<Vec<Section<'_>>> {
    let table = provenant_archive::elf::Table::read(d).ok()?;
    let mut out = Vec::new();
    for i in 1..table.count().min(max) {
        let section = table.section(i)?;
        let name = String::from_utf8_lossy(table.name(&section).unwrap_or_default()).into_owned();
        let data = section.data(d).unwrap_or_default();
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
