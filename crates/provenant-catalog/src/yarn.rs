//! `yarn.lock`: yarn classic's own format (v1) and yarn berry's YAML (v2 and later, with `__metadata`).
//!
//! Classic lockfiles do not say which packages the project asks for: the sibling `package.json`, when
//! there is one, gives the direct dependencies (its `name: range` pairs are the lockfile's keys). Berry
//! lockfiles carry the workspaces themselves (`name@workspace:path` entries), whose dependencies are the
//! direct ones. Classic entries carry the npm `integrity` (or the SHA-1 in the `resolved` URL); berry's
//! `checksum` is the hash of yarn's own cache archive, not of the published package, and is not reported.

use std::collections::{BTreeMap, BTreeSet};

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Purl, Scope};
use serde_json::Value;

use crate::{Warning, evidence, npm, utf8};

/// Evidence method name for classic lockfiles.
pub const METHOD_V1: &str = "yarn-lock-v1";
/// Evidence method name for berry lockfiles.
pub const METHOD_BERRY: &str = "yarn-lock-berry";

/// Protocols whose packages are part of the target itself, not components.
const LOCAL_PROTOCOLS: [&str; 5] = ["workspace:", "link:", "portal:", "file:", "exec:"];

/// The packages of a `yarn.lock`. `package_json` is the sibling `package.json`, if any.
pub fn parse(file: &str, bytes: &[u8], package_json: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        berry_lock(file, text)
    } else {
        let direct = package_json
            .and_then(|b| crate::bound::json_from_str::<Value>("", std::str::from_utf8(b).ok()?).ok())
            .and_then(|v| {
                let obj = v.as_object()?;
                let mut specs = BTreeSet::new();
                for k in npm::DEP_KEYS {
                    if let Some(m) = obj.get(k).and_then(Value::as_object) {
                        specs.extend(m.iter().filter_map(|(n, r)| Some(format!("{n}@{}", r.as_str()?))));
                    }
                }
                Some(specs)
            });
        classic(file, text, direct.as_ref())
    }
}

/// The package name of a descriptor `name@range` (`@scope/name@range` keeps its scope).
fn descriptor_name(desc: &str) -> Option<(&str, &str)> {
    let at = desc.get(1..)?.find('@')? + 1;
    Some((desc.get(..at)?, desc.get(at + 1..)?))
}

/// Removes one pair of surrounding double quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(s)
}

/// Splits `key value` at the first space outside quotes.
fn key_value(s: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                return (
                    unquote(s.get(..i).unwrap_or("")),
                    unquote(s.get(i + 1..).unwrap_or("").trim()),
                );
            }
            _ => {}
        }
    }
    (unquote(s), "")
}

#[derive(Default)]
struct Entry {
    line: usize,
    specs: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    deps: Vec<(String, String)>,
}

/// The entries of a classic lockfile, line by line.
fn classic_entries(file: &str, text: &str) -> Result<Vec<Entry>, Warning> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut in_deps = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - trimmed.trim_start().len();
        let body = trimmed.trim_start();
        match indent {
            0 => {
                let Some(keys) = body.strip_suffix(':') else {
                    return Err(Warning::new(file, Some(line_no), "expected `descriptor, ...:`"));
                };
                let specs = keys.split(", ").map(|k| unquote(k.trim()).to_owned()).collect();
                entries.push(Entry {
                    line: line_no,
                    specs,
                    ..Entry::default()
                });
                in_deps = false;
            }
            2 => {
                let Some(e) = entries.last_mut() else {
                    return Err(Warning::new(file, Some(line_no), "field outside an entry"));
                };
                if let Some(section) = body.strip_suffix(':') {
                    in_deps = matches!(unquote(section), "dependencies" | "optionalDependencies");
                    continue;
                }
                in_deps = false;
                let (k, v) = key_value(body);
                match k {
                    "version" => e.version = Some(v.to_owned()),
                    "resolved" => e.resolved = Some(v.to_owned()),
                    "integrity" => e.integrity = Some(v.to_owned()),
                    _ => {}
                }
            }
            4 if in_deps => {
                if let Some(e) = entries.last_mut() {
                    let (k, v) = key_value(body);
                    e.deps.push((k.to_owned(), v.to_owned()));
                }
            }
            4 => {}
            _ => return Err(Warning::new(file, Some(line_no), "unexpected indentation")),
        }
    }
    Ok(entries)
}

fn classic(file: &str, text: &str, direct: Option<&BTreeSet<String>>) -> Result<Vec<Component>, Warning> {
    let entries = classic_entries(file, text)?;
    // Descriptor -> purl.
    let mut by_spec: BTreeMap<&str, Purl> = BTreeMap::new();
    let mut comps: Vec<(usize, Component)> = Vec::new();
    for (idx, e) in entries.iter().enumerate() {
        let Some(first) = e.specs.first() else { continue };
        let Some((name, range)) = descriptor_name(first) else {
            return Err(Warning::new(
                file,
                Some(e.line),
                format!("not a descriptor: {first:?}"),
            ));
        };
        if LOCAL_PROTOCOLS.iter().any(|p| range.starts_with(p)) {
            continue;
        }
        // An alias (`x@npm:y@^1`) installs y.
        let name = range
            .strip_prefix("npm:")
            .and_then(descriptor_name)
            .map_or(name, |(real, _)| real);
        let Some(version) = &e.version else {
            return Err(Warning::new(
                file,
                Some(e.line),
                format!("entry {first:?} has no version"),
            ));
        };
        let mut c = Component::new(Ecosystem::Npm, name, version)
            .map_err(|err| Warning::new(file, Some(e.line), err.to_string()))?;
        match (&e.integrity, &e.resolved) {
            (Some(i), _) => c.hashes.extend(npm::integrity(i)),
            (None, Some(r)) => {
                if let Some(h) = r
                    .rsplit_once('#')
                    .and_then(|(_, h)| HashValue::new(HashAlg::Sha1, h).ok())
                {
                    c.hashes.insert(h);
                }
            }
            (None, None) => {}
        }
        c.evidence.insert(evidence(file, METHOD_V1));
        for s in &e.specs {
            by_spec.insert(s.as_str(), c.purl.clone());
        }
        comps.push((idx, c));
    }
    let direct_purls: Option<BTreeSet<&Purl>> =
        direct.map(|d| d.iter().filter_map(|s| by_spec.get(s.as_str())).collect());
    let mut out: Vec<Component> = Vec::with_capacity(comps.len());
    for (idx, mut c) in comps {
        if let Some(e) = entries.get(idx) {
            for (n, r) in &e.deps {
                if let Some(p) = by_spec.get(format!("{n}@{r}").as_str()) {
                    c.depends_on.insert(p.clone());
                }
            }
        }
        c.scope = match &direct_purls {
            Some(d) if d.contains(&c.purl) => Scope::Direct,
            Some(_) => Scope::Transitive,
            None => Scope::Unknown,
        };
        out.push(c);
    }
    Ok(dedup(out))
}

/// Several entries can resolve to the same package (different descriptors): one component each.
fn dedup(comps: Vec<Component>) -> Vec<Component> {
    let mut by: BTreeMap<Purl, Component> = BTreeMap::new();
    for c in comps {
        match by.get_mut(&c.purl) {
            Some(existing) => {
                existing.depends_on.extend(c.depends_on);
                existing.hashes.extend(c.hashes);
                if c.scope == Scope::Direct {
                    existing.scope = Scope::Direct;
                }
            }
            None => {
                by.insert(c.purl.clone(), c);
            }
        }
    }
    by.into_values().collect()
}

fn berry_lock(file: &str, text: &str) -> Result<Vec<Component>, Warning> {
    let doc: BTreeMap<String, yaml_serde::Value> =
        crate::bound::yaml_from_str(file, text, "yarn berry lockfile")?;
    let str_of =
        |v: &yaml_serde::Value, k: &str| v.get(k).and_then(yaml_serde::Value::as_str).map(str::to_owned);
    // Descriptor -> purl (None for local packages).
    let mut by_desc: BTreeMap<String, Option<Purl>> = BTreeMap::new();
    let mut comps: Vec<(Component, Vec<String>)> = Vec::new();
    let mut direct_descs: BTreeSet<String> = BTreeSet::new();
    for (key, entry) in &doc {
        if key == "__metadata" {
            continue;
        }
        let Some(resolution) = str_of(entry, "resolution") else {
            return Err(Warning::new(
                file,
                None,
                format!("entry {key:?} has no resolution"),
            ));
        };
        let Some((name, reference)) = descriptor_name(&resolution) else {
            return Err(Warning::new(
                file,
                None,
                format!("unreadable resolution {resolution:?}"),
            ));
        };
        let deps: Vec<String> = ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|k| entry.get(*k).and_then(yaml_serde::Value::as_mapping))
            .flat_map(|m| m.iter())
            .filter_map(|(n, r)| Some(format!("{}@{}", n.as_str()?, r.as_str()?)))
            .collect();
        let local = LOCAL_PROTOCOLS.iter().any(|p| reference.starts_with(p));
        let purl = if local {
            if reference.starts_with("workspace:") {
                direct_descs.extend(deps.iter().cloned());
            }
            None
        } else {
            let version = str_of(entry, "version")
                .ok_or_else(|| Warning::new(file, None, format!("entry {key:?} has no version")))?;
            let mut c = Component::new(Ecosystem::Npm, name, &version)
                .map_err(|e| Warning::new(file, None, e.to_string()))?;
            c.evidence.insert(evidence(file, METHOD_BERRY));
            let purl = c.purl.clone();
            comps.push((c, deps));
            Some(purl)
        };
        for d in key.split(", ") {
            by_desc.insert(d.trim().to_owned(), purl.clone());
        }
    }
    let direct: BTreeSet<Purl> = direct_descs
        .iter()
        .filter_map(|d| by_desc.get(d).cloned().flatten())
        .collect();
    let out = comps
        .into_iter()
        .map(|(mut c, deps)| {
            c.depends_on = deps
                .iter()
                .filter_map(|d| by_desc.get(d).cloned().flatten())
                .collect();
            c.scope = if direct.contains(&c.purl) {
                Scope::Direct
            } else {
                Scope::Transitive
            };
            c
        })
        .collect();
    Ok(dedup(out))
}
