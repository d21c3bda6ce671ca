//! `Cargo.lock` (versions 3 and 4).

use std::collections::{BTreeMap, BTreeSet};

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Purl, Scope};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "cargo-lock";

#[derive(serde::Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(serde::Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The registry and git packages of a `Cargo.lock`. Packages without a `source` are the workspace's own
/// (members and path dependencies): they are the target, not components; their dependencies are the
/// direct ones.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let lock: Lock = crate::bound::toml_from_str(file, text, "Cargo.lock")?;
    match lock.version {
        Some(3 | 4) => {}
        Some(v) => {
            return Err(Warning::new(
                file,
                None,
                format!("Cargo.lock version {v} is not supported (3 and 4 are)"),
            ));
        }
        None => {
            return Err(Warning::new(
                file,
                None,
                "Cargo.lock without a version (versions 1 and 2) is not supported",
            ));
        }
    }
    // name -> [(version, purl)]
    let mut by_name: BTreeMap<&str, Vec<(&str, Option<Purl>)>> = BTreeMap::new();
    for p in &lock.package {
        let purl = if p.source.is_some() {
            Some(
                provenant_sbom::purl_for(Ecosystem::Cargo, &p.name, &p.version, &[])
                    .map_err(|e| Warning::new(file, None, e.to_string()))?,
            )
        } else {
            None
        };
        by_name.entry(&p.name).or_default().push((&p.version, purl));
    }
    let resolve = |dep: &str| -> Option<Purl> {
        let mut parts = dep.split(' ');
        let name = parts.next()?;
        let version = parts.next();
        let cands = by_name.get(name)?;
        let hit = match version {
            Some(v) => cands.iter().find(|(cv, _)| *cv == v),
            None => cands.first(),
        };
        hit.and_then(|(_, p)| p.clone())
    };
    let mut direct = BTreeSet::new();
    for p in lock.package.iter().filter(|p| p.source.is_none()) {
        direct.extend(p.dependencies.iter().filter_map(|d| resolve(d)));
    }
    let mut out = Vec::new();
    for p in &lock.package {
        let Some(source) = &p.source else { continue };
        let Some(purl) = by_name
            .get(p.name.as_str())
            .and_then(|c| c.iter().find(|(v, _)| *v == p.version))
            .and_then(|(_, u)| u.clone())
        else {
            continue;
        };
        let mut c = Component::with_purl(Ecosystem::Cargo, &p.name, &p.version, purl);
        if let Some(sum) = &p.checksum {
            let h =
                HashValue::new(HashAlg::Sha256, sum).map_err(|e| Warning::new(file, None, e.to_string()))?;
            c.hashes.insert(h);
        }
        let how = if source.starts_with("git+") {
            "cargo-lock (git source)"
        } else {
            METHOD
        };
        c.evidence.insert(evidence(file, how));
        c.scope = if direct.contains(&c.purl) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        c.depends_on = p.dependencies.iter().filter_map(|d| resolve(d)).collect();
        out.push(c);
    }
    Ok(out)
}
