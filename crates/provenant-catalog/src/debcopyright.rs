//! Licences of Debian packages from their machine-readable `/usr/share/doc/<package>/copyright` files
//! (DEP-5, `Format: .../copyright-format/1.0/`).
//!
//! The header paragraph's `License`, when there is one, is the package's licence; otherwise the licences
//! of every `Files` paragraph, joined with `AND`. Debian's short names are translated to SPDX
//! (`GPL-2+` → `GPL-2.0-or-later`, `Expat` → `MIT`, `GPL-3+ with Bison exception` →
//! `GPL-3.0-or-later WITH Bison-exception-2.2`, ...). A name with no SPDX equivalent (`public-domain`,
//! `permissive`, `MIT-like`, an unknown exception) is kept as a `LicenseRef-` whose text is the file's
//! own: the standalone `License:` paragraph of that name, else the text under the `License:` field that
//! names it, else a note that the file names it without a text. Its id carries the first eight hex
//! digits of the text's SHA-256, so two packages' different "public-domain" texts never share an id.
//! A free-form copyright file gives the licences it refers to under `/usr/share/common-licenses/`, as
//! syft reads them, joined with `AND`; none when it refers to none.
use std::collections::{BTreeMap, BTreeSet};

use provenant_digest::Algorithm;
use provenant_sbom::parse_license_with_refs;

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

/// A package's licence: an SPDX expression whose `LicenseRef-` ids are defined in `texts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebLicense {
    /// The SPDX expression.
    pub expression: String,
    /// The text of each `LicenseRef-` id the expression uses.
    pub texts: BTreeMap<String, String>,
}

/// Texts a copyright file gives for licence names: standalone `License:` paragraphs and the text under
/// a `License:` field, keyed by the lowercased short name.
type Texts = BTreeMap<String, String>;

/// A `LicenseRef-` for a name with no SPDX equivalent, recorded with its text in `refs`.
fn license_ref(name: &str, texts: &Texts, refs: &mut BTreeMap<String, String>) -> String {
    let text = texts.get(&name.to_ascii_lowercase()).cloned().unwrap_or_else(|| {
        format!("{name}: the Debian copyright file names this licence without giving its text")
    });
    let mut id = String::from("LicenseRef-");
    for c in name.chars() {
        match c {
            '+' => id.push_str("-or-later"),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => id.push(c),
            _ => id.push('-'),
        }
    }
    let digest = Algorithm::Sha256.hash_bytes(text.as_bytes()).to_string();
    let hex = digest.strip_prefix("sha256:").unwrap_or(&digest);
    id.push('-');
    id.push_str(hex.get(..8).unwrap_or(hex));
    refs.insert(id.clone(), text);
    id
}

/// The SPDX expression of a Debian `License:` first line; names without an SPDX equivalent become
/// `LicenseRef-` ids added to `refs`.
fn expression(text: &str, texts: &Texts, refs: &mut BTreeMap<String, String>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    // Words between operators form one name (`MIT/X Consortium License`).
    let mut name: Vec<&str> = Vec::new();
    let flush = |name: &mut Vec<&str>, out: &mut Vec<String>, refs: &mut BTreeMap<String, String>| {
        if name.is_empty() {
            return;
        }
        let whole = name.join(" ");
        name.clear();
        out.push(spdx_id(&whole).unwrap_or_else(|| license_ref(&whole, texts, refs)));
    };
    let mut tokens = text
        .split_whitespace()
        .map(|t| t.trim_end_matches(','))
        .filter(|t| !t.is_empty());
    while let Some(t) = tokens.next() {
        match t.to_ascii_lowercase().as_str() {
            // `and/or`: the licensee may take either.
            "or" | "and/or" => {
                flush(&mut name, &mut out, refs);
                out.push("OR".to_owned());
            }
            "and" => {
                flush(&mut name, &mut out, refs);
                out.push("AND".to_owned());
            }
            "with" => {
                flush(&mut name, &mut out, refs);
                let mut exception_name = Vec::new();
                for n in tokens.by_ref() {
                    if n.eq_ignore_ascii_case("exception") {
                        break;
                    }
                    exception_name.push(n.to_ascii_lowercase());
                }
                let exception = match exception_name.join(" ").as_str() {
                    "bison" => "Bison-exception-2.2",
                    "autoconf" => "Autoconf-exception-3.0",
                    "gcc" | "gcc runtime library" => "GCC-exception-3.1",
                    "classpath" => "Classpath-exception-2.0",
                    "font" => "Font-exception-2.0",
                    _ => {
                        // An exception SPDX does not list: the licence with it is one LicenseRef.
                        let base = out.pop()?;
                        let whole = format!("{base} with {} exception", exception_name.join(" "));
                        out.push(license_ref(&whole, texts, refs));
                        continue;
                    }
                };
                out.push(format!("WITH {exception}"));
            }
            _ => name.push(t),
        }
    }
    flush(&mut name, &mut out, refs);
    let expr = out.join(" ");
    // `a OR b AND c`: Debian gives `and` no precedence; SPDX does. Parenthesise mixed expressions.
    let expr = if expr.contains(" OR ") && expr.contains(" AND ") {
        format!("({})", expr.replace(" AND ", ") AND ("))
    } else {
        expr
    };
    parse_license_with_refs(&expr, refs).ok()
}

/// The value of field `name` in a paragraph: its first line, and its continuation lines as text (a
/// line of one `.` is an empty line).
fn field_with_text(para: &str, name: &str) -> Option<(String, String)> {
    let mut lines = para.lines();
    let first = lines.find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    let mut text = Vec::new();
    for l in lines {
        if !l.starts_with(' ') && !l.starts_with('\t') {
            break;
        }
        let l = l.trim();
        text.push(if l == "." { "" } else { l });
    }
    Some((first.trim().to_owned(), text.join("\n").trim().to_owned()))
}

/// Where Debian keeps the common licence texts that free-form copyright files refer to.
const COMMON_LICENSES: &str = "/usr/share/common-licenses/";

/// The licence of a free-form copyright file: every licence it refers to under
/// `/usr/share/common-licenses/` (as syft reads them), joined with `AND` (the package holds parts under
/// each); none when it refers to none.
fn free_form(text: &str) -> Option<DebLicense> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(COMMON_LICENSES) {
        rest = rest.get(at + COMMON_LICENSES.len()..).unwrap_or_default();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_')))
            .unwrap_or(rest.len());
        let name = rest.get(..end).unwrap_or_default().trim_end_matches('.');
        if !name.is_empty() {
            names.insert(name);
        }
    }
    if names.is_empty() {
        return None;
    }
    let mut refs = BTreeMap::new();
    let texts: Texts = names
        .iter()
        .map(|n| {
            (
                n.to_ascii_lowercase(),
                format!("{n}: the licence in {COMMON_LICENSES}{n} on a Debian system, referred to by the package's copyright file"),
            )
        })
        .collect();
    let parts: BTreeSet<String> = names
        .iter()
        .map(|n| spdx_id(n).unwrap_or_else(|| license_ref(n, &texts, &mut refs)))
        .collect();
    let joined = parts.into_iter().collect::<Vec<_>>().join(" AND ");
    let expression = parse_license_with_refs(&joined, &refs).ok()?;
    Some(DebLicense {
        expression,
        texts: refs,
    })
}

/// The licence of a package from its copyright file: a machine-readable file's, or the common licences
/// a free-form file refers to.
#[must_use]
pub fn license(bytes: &[u8]) -> Option<DebLicense> {
    let text = std::str::from_utf8(bytes).ok()?;
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let header = paragraphs.first()?;
    // DEP-5 by its Format (today's URL or the draft's), or by its shape when the Format is missing.
    let dep5 = match field_with_text(header, "Format") {
        Some((format, _)) => format.contains("copyright-format/1.0") || format.contains("dep5"),
        // Without a Format: a header of fields (`Upstream-Name: …`), not prose, and Files paragraphs.
        None => {
            header
                .lines()
                .next()
                .and_then(|l| l.split_once(':'))
                .is_some_and(|(f, _)| {
                    !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                && paragraphs.iter().any(|p| {
                    p.lines().any(|l| l.starts_with("Files:")) && p.lines().any(|l| l.starts_with("License:"))
                })
        }
    };
    if !dep5 {
        return free_form(text);
    }
    // Texts: standalone licence paragraphs, and the text under any License field.
    let mut texts = Texts::new();
    for p in &paragraphs {
        if let Some((name, body)) = field_with_text(p, "License")
            && !body.is_empty()
            && !name.is_empty()
        {
            texts.entry(name.to_ascii_lowercase()).or_insert(body);
        }
    }
    let mut refs = BTreeMap::new();
    if let Some((l, _)) = field_with_text(header, "License").filter(|(l, _)| !l.is_empty()) {
        let expression = expression(&l, &texts, &mut refs)?;
        let used = provenant_sbom::license_refs(&expression);
        refs.retain(|id, _| used.contains(id.as_str()));
        return Some(DebLicense {
            expression,
            texts: refs,
        });
    }
    let mut all: BTreeSet<String> = BTreeSet::new();
    for p in paragraphs
        .iter()
        .skip(1)
        .filter(|p| p.lines().any(|l| l.starts_with("Files:")))
    {
        // A Files paragraph without a licence name says nothing about the package's licence.
        let Some((l, _)) = field_with_text(p, "License").filter(|(l, _)| !l.is_empty()) else {
            continue;
        };
        all.insert(expression(&l, &texts, &mut refs)?);
    }
    if all.is_empty() {
        // No Files paragraph names a licence: the common licences its texts refer to, if any.
        return free_form(text);
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
    let expression = parse_license_with_refs(&joined, &refs).ok()?;
    let used = provenant_sbom::license_refs(&expression);
    refs.retain(|id, _| used.contains(id.as_str()));
    Some(DebLicense {
        expression,
        texts: refs,
    })
}
