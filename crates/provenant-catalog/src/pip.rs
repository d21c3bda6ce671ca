//! `requirements.txt`: pinned requirements (`name==version`) with `--hash` options and pip-compile's
//! `# via` annotations.

use std::borrow::Cow;
use std::collections::BTreeMap;

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Scope, normalize_pypi};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "requirements-txt";

/// The pinned requirements of a `requirements.txt`. A requirement that is not pinned with `==` (or `===`)
/// names no version: it is reported as a warning, not invented. Lines that are options (`-r`, `-e`,
/// `--index-url`, ...) are skipped.
#[must_use]
pub fn parse(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let text = match utf8(file, bytes) {
        Ok(t) => t,
        Err(w) => return (Vec::new(), vec![w]),
    };
    let mut comps: Vec<Component> = Vec::new();
    // Component index -> names it is required "via".
    let mut via: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut in_via: Option<usize> = None;
    for (line_no, line) in logical_lines(text) {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment = comment.trim();
            if let (Some(idx), Some(rest)) = (comps.len().checked_sub(1), comment.strip_prefix("via")) {
                in_via = Some(idx);
                let rest = rest.trim();
                if !rest.is_empty() {
                    via.entry(idx).or_default().push(rest.to_owned());
                }
            } else if let Some(idx) = in_via.filter(|_| !comment.is_empty()) {
                via.entry(idx).or_default().push(comment.to_owned());
            }
            continue;
        }
        in_via = None;
        let content = match trimmed.find(" #") {
            Some(i) => trimmed.get(..i).unwrap_or("").trim(),
            None => trimmed,
        };
        if content.is_empty() || content.starts_with('-') {
            continue;
        }
        if let Some(c) = requirement(file, line_no, content, &mut warnings) {
            comps.push(c);
        }
    }
    // pip-compile: "via -r requirements.in" is direct; "via flask" is transitive, required by flask.
    let by_name: BTreeMap<String, provenant_sbom::Purl> = comps
        .iter()
        .map(|c| (normalize_pypi(&c.name), c.purl.clone()))
        .collect();
    let mut edges: Vec<(provenant_sbom::Purl, provenant_sbom::Purl)> = Vec::new();
    for (i, c) in comps.iter_mut().enumerate() {
        let parents: Vec<&String> = via.get(&i).map(|v| v.iter().collect()).unwrap_or_default();
        let from_file = parents.iter().any(|p| p.starts_with("-r") || p.starts_with("-c"));
        let from_pkgs: Vec<&provenant_sbom::Purl> = parents
            .iter()
            .filter_map(|p| by_name.get(&normalize_pypi(p.split_whitespace().next().unwrap_or(""))))
            .collect();
        c.scope = if from_file || from_pkgs.is_empty() {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        edges.extend(from_pkgs.into_iter().map(|p| (p.clone(), c.purl.clone())));
    }
    for (from, to) in edges {
        if let Some(c) = comps.iter_mut().find(|c| c.purl == from) {
            c.depends_on.insert(to);
        }
    }
    (comps, warnings)
}

/// The logical lines of `text` (continuation lines joined), with the line each starts on, one at a time.
/// Only a line continued with a backslash is copied: the others are borrowed.
fn logical_lines(text: &str) -> impl Iterator<Item = (usize, Cow<'_, str>)> {
    let mut lines = text.lines().enumerate();
    std::iter::from_fn(move || {
        let (i, raw) = lines.next()?;
        let Some(body) = raw.strip_suffix('\\') else {
            return Some((i + 1, Cow::Borrowed(raw)));
        };
        let mut acc = format!("{body} ");
        for (_, next) in lines.by_ref() {
            if let Some(more) = next.strip_suffix('\\') {
                acc.push_str(more);
                acc.push(' ');
            } else {
                acc.push_str(next);
                break;
            }
        }
        Some((i + 1, Cow::Owned(acc)))
    })
}

/// One requirement line (without comments) to a component, or a warning.
fn requirement(file: &str, line_no: usize, content: &str, warnings: &mut Vec<Warning>) -> Option<Component> {
    let mut parts = content.split_whitespace();
    let spec = parts.next()?;
    let mut hashes = Vec::new();
    let mut rest = parts.peekable();
    while let Some(opt) = rest.next() {
        let value = if let Some(v) = opt.strip_prefix("--hash=") {
            Some(v.to_owned())
        } else if opt == "--hash" {
            rest.next().map(str::to_owned)
        } else {
            None
        };
        if let Some(v) = value {
            hashes.push((line_no, v));
        }
    }
    let spec = spec.split(';').next().unwrap_or(spec);
    let Some((name, version)) = spec.split_once("===").or_else(|| spec.split_once("==")) else {
        warnings.push(Warning::new(
            file,
            Some(line_no),
            format!("requirement {spec:?} is not pinned with =="),
        ));
        return None;
    };
    let name = name.split('[').next().unwrap_or(name).trim();
    let version = version.trim();
    if name.is_empty() || version.is_empty() || version.contains(['*', ',', '<', '>', '!', '~']) {
        warnings.push(Warning::new(
            file,
            Some(line_no),
            format!("requirement {spec:?} is not an exact pin"),
        ));
        return None;
    }
    let mut c = match Component::new(Ecosystem::Pypi, name, version) {
        Ok(c) => c,
        Err(e) => {
            warnings.push(Warning::new(file, Some(line_no), e.to_string()));
            return None;
        }
    };
    for (l, h) in hashes {
        let parsed = h.split_once(':').and_then(|(alg, hex)| {
            let alg = match alg {
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                _ => return None,
            };
            HashValue::new(alg, hex).ok()
        });
        match parsed {
            Some(v) => {
                c.hashes.insert(v);
            }
            None => warnings.push(Warning::new(file, Some(l), format!("unreadable hash {h:?}"))),
        }
    }
    c.evidence.insert(evidence(file, METHOD));
    Some(c)
}
