//! Licences of Debian packages from their machine-readable `/usr/share/doc/<package>/copyright` files
//! (DEP-5, `Format: .../copyright-format/1.0/`).
//!
//! The header paragraph's `License`, when there is one, is the package's licence; otherwise the licences
//! of every `Files` paragraph, joined with `AND`. Debian's short names are translated to SPDX
//! (`GPL-2+` → `GPL-2.0-or-later`, `Expat` → `MIT`, `GPL-3+ with Bison exception` →
//! `GPL-3.0-or-later WITH Bison-exception-2.2`, ...). When any name has no SPDX equivalent
//! (`public-domain`, `permissive`, `MIT-like`) the package gets no licence rather than a partial one;
//! free-form copyright files give none either.

use std::collections::BTreeSet;

use provenant_sbom::parse_license;

/// Bound on the copyright files read (the largest in Debian are a few hundred KiB).
pub const MAX_COPYRIGHT_BYTES: u64 = 4 << 20;

/// The SPDX identifier of one Debian short licence name.
fn spdx_id(short: &str) -> Option<String> {
    let (base, later) = match short.strip_suffix('+') {
        Some(b) => (b, true),
        None => (short, false),
    };
    let lower = base.to_ascii_lowercase();
    let fixed = match lower.as_str() {
        "expat" | "mit" => Some("MIT"),
        "apache-2.0" | "apache-2" => Some("Apache-2.0"),
        "artistic" | "artistic-1" | "artistic-1.0" => Some("Artistic-1.0-Perl"),
        "artistic-2.0" | "artistic-2" => Some("Artistic-2.0"),
        "isc" => Some("ISC"),
        "zlib" => Some("Zlib"),
        "bsd-2-clause" => Some("BSD-2-Clause"),
        "bsd-3-clause" => Some("BSD-3-Clause"),
        "bsd-4-clause" => Some("BSD-4-Clause"),
        "bsd-4-clause-uc" => Some("BSD-4-Clause-UC"),
        "mpl-1.1" => Some("MPL-1.1"),
        "mpl-2.0" => Some("MPL-2.0"),
        "cc0-1.0" | "cc0" => Some("CC0-1.0"),
        "fsfap" => Some("FSFAP"),
        "fsful" => Some("FSFUL"),
        "fsfullr" => Some("FSFULLR"),
        "x11" => Some("X11"),
        "curl" => Some("curl"),
        "openssl" => Some("OpenSSL"),
        "psf-2" | "psf-2.0" | "python" => Some("PSF-2.0"),
        "unicode-dfs-2016" => Some("Unicode-DFS-2016"),
        "boost-1.0" | "bsl-1.0" => Some("BSL-1.0"),
        "wtfpl" => Some("WTFPL"),
        "ofl-1.1" => Some("OFL-1.1"),
        _ => None,
    };
    if let Some(f) = fixed {
        return (!later).then(|| f.to_owned()).or_else(|| Some(format!("{f}+")));
    }
    // GNU families: GPL-2, LGPL-2.1+, AGPL-3, GFDL-1.3, GFDL-NIV-1.3.
    for (prefix, spdx) in [
        ("gfdl-niv-", "GFDL"),
        ("lgpl-", "LGPL"),
        ("agpl-", "AGPL"),
        ("gpl-", "GPL"),
        ("gfdl-", "GFDL"),
    ] {
        if let Some(v) = lower.strip_prefix(prefix) {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            let v = if v.contains('.') {
                v.to_owned()
            } else {
                format!("{v}.0")
            };
            let niv = if prefix == "gfdl-niv-" {
                "-no-invariants"
            } else {
                ""
            };
            let suffix = if later { "or-later" } else { "only" };
            return Some(format!("{spdx}-{v}{niv}-{suffix}"));
        }
    }
    None
}

/// The SPDX expression of a Debian `License:` first line, or `None` when part of it has no equivalent.
fn expression(text: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut tokens = text
        .split_whitespace()
        .map(|t| t.trim_end_matches(','))
        .peekable();
    while let Some(t) = tokens.next() {
        match t.to_ascii_lowercase().as_str() {
            "or" => out.push("OR".to_owned()),
            "and" => out.push("AND".to_owned()),
            "with" => {
                let mut name = Vec::new();
                for n in tokens.by_ref() {
                    if n.eq_ignore_ascii_case("exception") {
                        break;
                    }
                    name.push(n.to_ascii_lowercase());
                }
                let exception = match name.join(" ").as_str() {
                    "bison" => "Bison-exception-2.2",
                    "autoconf" => "Autoconf-exception-3.0",
                    "gcc" | "gcc runtime library" => "GCC-exception-3.1",
                    "classpath" => "Classpath-exception-2.0",
                    "font" => "Font-exception-2.0",
                    _ => return None,
                };
                out.push(format!("WITH {exception}"));
            }
            _ => out.push(spdx_id(t)?),
        }
    }
    let expr = out.join(" ");
    // `a OR b AND c`: Debian gives `and` no precedence; SPDX does. Parenthesise mixed expressions.
    let expr = if expr.contains(" OR ") && expr.contains(" AND ") {
        format!("({})", expr.replace(" AND ", ") AND ("))
    } else {
        expr
    };
    parse_license(&expr).ok()
}

/// The licence of a package from its copyright file, when the file is machine-readable and every licence
/// it names has an SPDX equivalent.
#[must_use]
pub fn license(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut paragraphs = text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    let header = paragraphs.next()?;
    let field = |para: &str, name: &str| -> Option<String> {
        para.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.trim().to_owned())
    };
    let format = field(header, "Format")?;
    if !format.contains("copyright-format/1.0") {
        return None;
    }
    if let Some(l) = field(header, "License").filter(|l| !l.is_empty()) {
        return expression(&l);
    }
    let mut all: BTreeSet<String> = BTreeSet::new();
    for p in paragraphs.filter(|p| p.lines().any(|l| l.starts_with("Files:"))) {
        let l = field(p, "License")?;
        all.insert(expression(&l)?);
    }
    if all.is_empty() {
        return None;
    }
    let joined = if all.len() == 1 {
        all.into_iter().next()?
    } else {
        all.iter()
            .map(|e| {
                if e.contains(' ') {
                    format!("({e})")
                } else {
                    e.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    parse_license(&joined).ok()
}
