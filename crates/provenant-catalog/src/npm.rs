//! `package-lock.json`: lockfile versions 2 and 3 (`packages`) and version 1 (`dependencies`).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Purl, Scope, parse_license};
use serde_json::{Map, Value};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "npm-package-lock";

pub(crate) const DEP_KEYS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// Converts an SRI `integrity` value (`sha512-<base64>`, several separated by spaces) into hashes.
pub(crate) fn integrity(text: &str) -> Vec<HashValue> {
    text.split_whitespace()
        .filter_map(|sri| {
            let (alg, b64) = sri.split_once('-')?;
            let alg = match alg {
                "sha1" => HashAlg::Sha1,
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                _ => return None,
            };
            let b64 = b64.split('?').next()?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            HashValue::from_bytes(alg, &bytes).ok()
        })
        .collect()
}

pub(crate) fn names(obj: &Map<String, Value>, keys: &[&str]) -> BTreeSet<String> {
    keys.iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// The components of a `package-lock.json`. `package_json`, the sibling `package.json` if there is one,
/// gives the direct dependencies of a version 1 lockfile (version 2 and 3 lockfiles carry them).
pub fn parse(file: &str, bytes: &[u8], package_json: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let doc: Value = crate::bound::json_from_str(file, text)?;
    let Some(top) = doc.as_object() else {
        return Err(Warning::new(
            file,
            Some(1),
            "not a package-lock.json: the top level is not an object",
        ));
    };
    match (
        top.get("packages").and_then(Value::as_object),
        top.get("dependencies").and_then(Value::as_object),
    ) {
        (Some(packages), _) => v2(file, packages),
        (None, Some(deps)) => {
            let direct = package_json
                .and_then(|b| crate::bound::json_from_str::<Value>("", std::str::from_utf8(b).ok()?).ok())
                .and_then(|v| v.as_object().map(|o| names(o, &DEP_KEYS)));
            v1(file, deps, direct.as_ref())
        }
        (None, None) => Ok(Vec::new()),
    }
}

fn version_of<'a>(file: &str, key: &str, entry: &'a Map<String, Value>) -> Result<&'a str, Warning> {
    entry
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| Warning::new(file, None, format!("package {key:?} has no version")))
}

fn component(
    file: &str,
    name: &str,
    version: &str,
    entry: &Map<String, Value>,
) -> Result<Component, Warning> {
    let mut c =
        Component::new(Ecosystem::Npm, name, version).map_err(|e| Warning::new(file, None, e.to_string()))?;
    if let Some(i) = entry.get("integrity").and_then(Value::as_str) {
        c.hashes.extend(integrity(i));
    }
    if let Some(l) = entry.get("license").and_then(Value::as_str) {
        c.license = parse_license(l).ok();
    }
    c.evidence.insert(evidence(file, METHOD));
    Ok(c)
}

/// The package name a `packages` key installs (`node_modules/a/node_modules/@s/b` → `@s/b`).
fn key_name(key: &str) -> Option<&str> {
    key.rfind("node_modules/")
        .map(|i| key.get(i + "node_modules/".len()..).unwrap_or(""))
}

fn v2(file: &str, packages: &Map<String, Value>) -> Result<Vec<Component>, Warning> {
    // Installed location -> purl.
    let mut at: BTreeMap<&str, Purl> = BTreeMap::new();
    let mut comps: Vec<(&str, Component)> = Vec::new();
    for (key, entry) in packages {
        let Some(entry) = entry.as_object() else { continue };
        let Some(mut name) = key_name(key) else { continue };
        if name.is_empty() || entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue; // workspace links point at local packages, which are part of the target
        }
        if let Some(n) = entry.get("name").and_then(Value::as_str) {
            name = n; // an alias (`"x": "npm:y@1"`) installs y under the key x
        }
        let version = version_of(file, key, entry)?;
        let c = component(file, name, version, entry)?;
        at.insert(key, c.purl.clone());
        comps.push((key, c));
    }
    // Node's resolution: from the requiring package's directory upwards.
    let resolve = |from: &str, dep: &str| -> Option<Purl> {
        let mut base = from.to_owned();
        loop {
            let candidate = if base.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{base}/node_modules/{dep}")
            };
            if let Some(p) = at.get(candidate.as_str()) {
                return Some(p.clone());
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind("/node_modules/") {
                Some(i) => base.get(..i).unwrap_or("").to_owned(),
                None => String::new(),
            };
        }
    };
    let mut direct = BTreeSet::new();
    for (key, entry) in packages {
        // The root ("") and workspace members (keys outside node_modules) declare the direct dependencies.
        if key_name(key).is_some() {
            continue;
        }
        let Some(entry) = entry.as_object() else { continue };
        for dep in names(entry, &DEP_KEYS) {
            direct.extend(resolve(key, &dep));
        }
    }
    let mut out = Vec::with_capacity(comps.len());
    for (key, mut c) in comps {
        if let Some(entry) = packages.get(key).and_then(Value::as_object) {
            for dep in names(
                entry,
                &["dependencies", "optionalDependencies", "peerDependencies"],
            ) {
                c.depends_on.extend(resolve(key, &dep));
            }
        }
        c.scope = if direct.contains(&c.purl) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        out.push(c);
    }
    Ok(out)
}

fn v1(
    file: &str,
    deps: &Map<String, Value>,
    direct: Option<&BTreeSet<String>>,
) -> Result<Vec<Component>, Warning> {
    let mut out = Vec::new();
    // (path of enclosing package names, map) stack; depth is bounded by the document, which serde_json
    // already limits to 128 levels.
    let mut stack: Vec<(Vec<String>, &Map<String, Value>)> = vec![(Vec::new(), deps)];
    let mut at: BTreeMap<Vec<String>, Purl> = BTreeMap::new();
    let mut pending: Vec<(Vec<String>, Component, BTreeSet<String>)> = Vec::new();
    while let Some((path, map)) = stack.pop() {
        for (name, entry) in map {
            let Some(entry) = entry.as_object() else { continue };
            let version = version_of(file, name, entry)?;
            if version.starts_with("file:") {
                continue; // a local package: part of the target
            }
            let c = component(file, name, version, entry)?;
            let mut here = path.clone();
            here.push(name.clone());
            at.insert(here.clone(), c.purl.clone());
            let requires = names(entry, &["requires"]);
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                stack.push((here.clone(), nested));
            }
            pending.push((here, c, requires));
        }
    }
    for (here, mut c, requires) in pending {
        for dep in requires {
            let mut base: Vec<String> = here.clone();
            loop {
                let mut k = base.clone();
                k.push(dep.clone());
                if let Some(p) = at.get(&k) {
                    c.depends_on.insert(p.clone());
                    break;
                }
                if base.pop().is_none() {
                    break;
                }
            }
        }
        c.scope = match direct {
            Some(d) if here.len() == 1 && here.first().is_some_and(|n| d.contains(n)) => Scope::Direct,
            Some(_) => Scope::Transitive,
            None => Scope::Unknown,
        };
        out.push(c);
    }
    Ok(out)
}
