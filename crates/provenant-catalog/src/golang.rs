//! Go modules: `go.mod` (with the sibling `go.sum` for hashes).
//!
//! Since Go 1.17 a module's `go.mod` lists every module its build needs; `require` lines without the
//! `// indirect` comment are the direct dependencies. `replace` directives are applied: a module replaced
//! by another module version is cataloged as the replacement, one replaced by a local directory is part of
//! the target. The `h1:` hash in `go.sum` is the SHA-256 of the module's file list (Go's `dirhash`),
//! reported as the component's SHA-256, as Go itself verifies it.

use std::collections::BTreeMap;

use base64::Engine as _;
use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Scope};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "go-mod";

/// A required module.
struct Require {
    path: String,
    version: String,
    indirect: bool,
}

/// The target of a `replace` directive: another module version, or a local directory (`None`).
type Replacement = Option<(String, String)>;

/// Splits a `go.mod` line into tokens (quoted strings unquoted) and its comment.
fn tokens(line: &str) -> (Vec<String>, &str) {
    let (code, comment) = match line.find("//") {
        Some(i) => (line.get(..i).unwrap_or(""), line.get(i + 2..).unwrap_or("")),
        None => (line, ""),
    };
    let toks = code
        .split_whitespace()
        .map(|t| t.trim_matches(|c| c == '"' || c == '`').to_owned())
        .collect();
    (toks, comment.trim())
}

/// `h1:<base64>` to a SHA-256 hash.
pub(crate) fn h1(text: &str) -> Option<HashValue> {
    let b64 = text.strip_prefix("h1:")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    HashValue::from_bytes(HashAlg::Sha256, &bytes).ok()
}

/// The `h1:` hashes of the module contents in a `go.sum` (not of their `go.mod` files).
fn sums(go_sum: &[u8]) -> BTreeMap<(String, String), HashValue> {
    let text = String::from_utf8_lossy(go_sum);
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (path, version, hash) = (f.next()?, f.next()?, f.next()?);
            if version.ends_with("/go.mod") {
                return None;
            }
            Some(((path.to_owned(), version.to_owned()), h1(hash)?))
        })
        .collect()
}

/// The required modules of a `go.mod`; `go_sum` is the sibling `go.sum`, if any.
pub fn parse(file: &str, bytes: &[u8], go_sum: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let mut requires: Vec<Require> = Vec::new();
    // (path, optional version) -> replacement.
    let mut replaces: Vec<((String, Option<String>), Replacement)> = Vec::new();
    let mut block: Option<String> = None;
    let mut saw_module = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let (toks, comment) = tokens(raw);
        let Some(first) = toks.first() else { continue };
        let (verb, args): (String, &[String]) = match &block {
            Some(_) if first == ")" => {
                block = None;
                continue;
            }
            Some(b) => (b.clone(), &toks),
            None if toks.get(1).is_some_and(|t| t == "(") => {
                block = Some(first.clone());
                continue;
            }
            None => (first.clone(), toks.get(1..).unwrap_or(&[])),
        };
        let bad = |what: &str| Warning::new(file, Some(line_no), format!("malformed {what} directive"));
        match verb.as_str() {
            "module" => saw_module = true,
            "require" => {
                let [path, version] = args else {
                    return Err(bad("require"));
                };
                requires.push(Require {
                    path: path.clone(),
                    version: version.clone(),
                    indirect: comment.split(';').any(|c| c.trim() == "indirect"),
                });
            }
            "replace" => {
                let arrow = args
                    .iter()
                    .position(|a| a == "=>")
                    .ok_or_else(|| bad("replace"))?;
                let (from, to) = (
                    args.get(..arrow).unwrap_or(&[]),
                    args.get(arrow + 1..).unwrap_or(&[]),
                );
                let key = match from {
                    [p] => (p.clone(), None),
                    [p, v] => (p.clone(), Some(v.clone())),
                    _ => return Err(bad("replace")),
                };
                let target = match to {
                    [_dir] => None,
                    [p, v] => Some((p.clone(), v.clone())),
                    _ => return Err(bad("replace")),
                };
                replaces.push((key, target));
            }
            _ => {}
        }
    }
    if !saw_module {
        return Err(Warning::new(file, None, "not a go.mod: no module directive"));
    }
    let hashes = go_sum.map(sums).unwrap_or_default();
    let mut out = Vec::new();
    for r in requires {
        let replacement = replaces
            .iter()
            .rev()
            .find(|((p, v), _)| *p == r.path && v.as_ref().is_none_or(|v| *v == r.version))
            .map(|(_, t)| t.clone());
        let (path, version) = match replacement {
            Some(None) => continue, // a local directory: part of the target
            Some(Some(t)) => t,
            None => (r.path, r.version),
        };
        let mut c = Component::new(Ecosystem::Golang, &path, &version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        if let Some(h) = hashes.get(&(path.clone(), version.clone())) {
            c.hashes.insert(h.clone());
        }
        c.scope = if r.indirect {
            Scope::Transitive
        } else {
            Scope::Direct
        };
        c.evidence.insert(evidence(file, METHOD));
        out.push(c);
    }
    Ok(out)
}
