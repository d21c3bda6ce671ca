//! `pnpm-lock.yaml`: lockfile versions 5.x and 6.0 (`/name@version` package keys, dependencies inside
//! `packages`) and 9.0 (`name@version` keys, dependencies in `snapshots`). The importers (the project and
//! its workspace members, or the top-level dependency maps of a single-project v5/v6 lock) name the direct
//! dependencies. Peer-dependency variants (`x@1.0.0(react@18.2.0)`) are one component.

use std::collections::{BTreeMap, BTreeSet};

use provenant_sbom::{Component, Ecosystem, Purl, Scope};
use yaml_serde::Value;

use crate::{Warning, evidence, npm, utf8};

/// Evidence method name.
pub const METHOD: &str = "pnpm-lock";

const DEP_KEYS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

/// `name@version` (or v5's `name/version`) of a package key, without the leading `/` and peer suffixes.
fn split_key(key: &str) -> Option<(String, String)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    // v5: `name/version[_peers]` or `@scope/name/version[_peers]`.
    let parts: Vec<&str> = key
        .splitn(if key.starts_with('@') { 3 } else { 2 }, '/')
        .collect();
    let v5 = match parts.as_slice() {
        [scope, name, rest] if scope.starts_with('@') => Some((format!("{scope}/{name}"), *rest)),
        [name, rest] if !name.starts_with('@') => Some(((*name).to_owned(), *rest)),
        _ => None,
    };
    if let Some((name, rest)) = v5.filter(|(_, r)| r.starts_with(|c: char| c.is_ascii_digit())) {
        return Some((name, rest.split('_').next().unwrap_or(rest).to_owned()));
    }
    if let Some(at) = key.get(1..).and_then(|r| r.find('@')) {
        let name = key.get(..=at)?;
        let version = key.get(at + 2..)?;
        return Some((name.to_owned(), version.to_owned()));
    }
    // v5: `/name/version_peer@1`, `/@scope/name/version`.
    let (name, version) = key.rsplit_once('/')?;
    let version = version.split('_').next().unwrap_or(version);
    Some((name.to_owned(), version.to_owned()))
}

/// The package a dependency reference names: `version`, `version(peers)`, or an alias `other@version`.
fn reference(name: &str, value: &str) -> Option<(String, String)> {
    if value.starts_with("link:") || value.starts_with("file:") {
        return None;
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        let version = value.split(['(', '_']).next().unwrap_or(value);
        return Some((name.to_owned(), version.to_owned()));
    }
    let bare = value.strip_prefix('/').unwrap_or(value);
    let plain = bare.split('(').next().unwrap_or(bare);
    if plain.get(1..).is_some_and(|r| r.contains('@')) || value.starts_with('/') {
        return split_key(value);
    }
    let version = plain.split('_').next().unwrap_or(plain);
    Some((name.to_owned(), version.to_owned()))
}

/// `name -> version` pairs of the dependency maps in `v` (values are `{specifier, version}` maps or strings).
fn dep_refs(v: &Value, keys: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in keys {
        let Some(m) = v.get(*k).and_then(Value::as_mapping) else {
            continue;
        };
        for (n, val) in m {
            let Some(n) = n.as_str() else { continue };
            let version = val
                .as_str()
                .or_else(|| val.get("version").and_then(Value::as_str));
            if let Some(r) = version.and_then(|ver| reference(n, ver)) {
                out.push(r);
            }
        }
    }
    out
}

/// The lockfile's major version, refused outside 5 to 9.
fn major_version(file: &str, doc: &Value) -> Result<u32, Warning> {
    let version = match doc.get("lockfileVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Warning::new(file, Some(1), "no lockfileVersion")),
    };
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| Warning::new(file, Some(1), format!("unreadable lockfileVersion {version:?}")))?;
    if !(5..=9).contains(&major) {
        return Err(Warning::new(
            file,
            Some(1),
            format!("pnpm lockfile version {version} is not supported (5.x to 9.0 are)"),
        ));
    }
    Ok(major)
}

/// The packages of a `pnpm-lock.yaml`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let doc: Value = crate::bound::yaml_from_str(file, text, "pnpm lockfile")?;
    let major = major_version(file, &doc)?;
    let empty = Value::Mapping(yaml_serde::Mapping::new());
    let packages = doc.get("packages").unwrap_or(&empty);
    let Some(packages) = packages.as_mapping() else {
        return Err(Warning::new(file, None, "`packages` is not a map"));
    };
    let mut comps: BTreeMap<(String, String), Component> = BTreeMap::new();
    for (key, entry) in packages {
        let Some(key) = key.as_str() else { continue };
        let Some((name, ver)) = split_key(key) else {
            return Err(Warning::new(
                file,
                None,
                format!("unreadable package key {key:?}"),
            ));
        };
        // A `name` field overrides the key (tarball and git dependencies).
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .map_or(name, str::to_owned);
        let ver = entry
            .get("version")
            .and_then(Value::as_str)
            .map_or(ver, str::to_owned);
        if ver.starts_with("file:") || ver.starts_with("link:") {
            continue;
        }
        let mut c = Component::new(Ecosystem::Npm, &name, &ver)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        if let Some(i) = entry
            .get("resolution")
            .and_then(|r| r.get("integrity"))
            .and_then(Value::as_str)
        {
            c.hashes.extend(npm::integrity(i));
        }
        c.evidence.insert(evidence(file, METHOD));
        let Some((kname, kver)) = split_key(key) else {
            continue;
        };
        comps.insert((kname, kver), c);
    }
    let purl_of = |r: &(String, String)| comps.get(r).map(|c| c.purl.clone());
    // Edges: v9 keeps them in `snapshots`, older versions in `packages`.
    let graph = if major >= 9 {
        doc.get("snapshots").and_then(Value::as_mapping)
    } else {
        Some(packages)
    };
    let mut edges: Vec<((String, String), Purl)> = Vec::new();
    for (key, entry) in graph.into_iter().flatten() {
        let Some(from) = key.as_str().and_then(split_key) else {
            continue;
        };
        for r in dep_refs(entry, &["dependencies", "optionalDependencies"]) {
            if let Some(p) = purl_of(&r) {
                edges.push((from.clone(), p));
            }
        }
    }
    let mut direct: BTreeSet<Purl> = dep_refs(&doc, &DEP_KEYS).iter().filter_map(&purl_of).collect();
    if let Some(importers) = doc.get("importers").and_then(Value::as_mapping) {
        for imp in importers.values() {
            direct.extend(dep_refs(imp, &DEP_KEYS).iter().filter_map(&purl_of));
        }
    }
    for (from, to) in edges {
        if let Some(c) = comps.get_mut(&from) {
            c.depends_on.insert(to);
        }
    }
    let mut by_purl: BTreeMap<Purl, Component> = BTreeMap::new();
    for mut c in comps.into_values() {
        c.scope = if direct.contains(&c.purl) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        match by_purl.get_mut(&c.purl) {
            Some(e) => e.depends_on.extend(c.depends_on),
            None => {
                by_purl.insert(c.purl.clone(), c);
            }
        }
    }
    Ok(by_purl.into_values().collect())
}
