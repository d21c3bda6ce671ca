//! `uv.lock` (uv's universal lockfile, TOML). Packages whose `source` is `virtual`, `editable` or
//! `directory` are the project itself: they are the target, and their dependencies (including
//! `dev-dependencies` groups) are the direct ones. The sdist's SHA-256, where the lock records one, is the
//! component's hash.

use std::collections::BTreeSet;

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Scope, normalize_pypi};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "uv-lock";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(serde::Deserialize)]
struct Package {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: toml::Table,
    sdist: Option<Artifact>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: toml::Table,
}

#[derive(serde::Deserialize)]
struct Artifact {
    hash: Option<String>,
}

#[derive(serde::Deserialize)]
struct Dep {
    name: String,
}

fn is_local(p: &Package) -> bool {
    ["virtual", "editable", "directory"]
        .iter()
        .any(|k| p.source.contains_key(*k))
}

/// The locked packages of a `uv.lock`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let lock: Lock = crate::bound::toml_from_str(file, text, "uv.lock")?;
    let mut direct = BTreeSet::new();
    for p in lock.package.iter().filter(|p| is_local(p)) {
        direct.extend(p.dependencies.iter().map(|d| normalize_pypi(&d.name)));
        for group in p.dev_dependencies.values() {
            if let Some(items) = group.as_array() {
                direct.extend(
                    items
                        .iter()
                        .filter_map(|d| d.get("name")?.as_str())
                        .map(normalize_pypi),
                );
            }
        }
    }
    let mut out = Vec::new();
    let registry: Vec<&Package> = lock.package.iter().filter(|p| !is_local(p)).collect();
    for p in &registry {
        let Some(version) = p.version.as_deref() else {
            return Err(Warning::new(
                file,
                None,
                format!("package {:?} has no version", p.name),
            ));
        };
        let mut c = Component::new(Ecosystem::Pypi, &p.name, version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        c.scope = if direct.contains(&normalize_pypi(&p.name)) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        let sdist = p.sdist.as_ref().and_then(|s| s.hash.as_deref());
        if let Some(h) = sdist.and_then(|h| h.strip_prefix("sha256:"))
            && let Ok(v) = HashValue::new(HashAlg::Sha256, h)
        {
            c.hashes.insert(v);
        }
        for d in &p.dependencies {
            let want = normalize_pypi(&d.name);
            for q in registry.iter().filter(|q| normalize_pypi(&q.name) == want) {
                if let Some(v) = q.version.as_deref()
                    && let Ok(dep) = Component::new(Ecosystem::Pypi, &q.name, v)
                {
                    c.depends_on.insert(dep.purl);
                }
            }
        }
        c.evidence.insert(evidence(file, METHOD));
        out.push(c);
    }
    Ok(out)
}
