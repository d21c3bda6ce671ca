//! Python lockfiles beside `uv.lock`: `poetry.lock` (Poetry 1.x and 2.x), `pdm.lock` (PDM) and
//! `Pipfile.lock` (pipenv).
//!
//! None of them records which packages the project asks for: the sibling manifest does
//! (`pyproject.toml`'s Poetry, PDM, PEP 621 and PEP 735 dependency tables; the `Pipfile`'s `[packages]` and
//! `[dev-packages]`). Without it, the scope is unknown. The hashes are those of the release's files as
//! the lockfile lists them (the same set pip's `--hash` options would check).

use std::collections::{BTreeMap, BTreeSet};

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Purl, Scope, normalize_pypi};
use serde_json::Value;

use crate::{Warning, evidence, utf8};

/// Evidence method name for `poetry.lock`.
pub const METHOD_POETRY: &str = "poetry-lock";
/// Evidence method name for `pdm.lock`.
pub const METHOD_PDM: &str = "pdm-lock";
/// Evidence method name for `Pipfile.lock`.
pub const METHOD_PIPFILE: &str = "pipfile-lock";

#[derive(serde::Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
    #[serde(default)]
    metadata: toml::Table,
}

#[derive(serde::Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    #[serde(default)]
    files: Vec<PoetryFile>,
    #[serde(default)]
    dependencies: toml::Table,
    #[serde(default)]
    source: toml::Table,
}

#[derive(serde::Deserialize)]
struct PoetryFile {
    hash: String,
}

/// `sha256:<hex>` (and sha384/sha512) to a hash.
fn hash(text: &str) -> Option<HashValue> {
    let (alg, hex) = text.split_once(':')?;
    let alg = match alg {
        "sha256" => HashAlg::Sha256,
        "sha384" => HashAlg::Sha384,
        "sha512" => HashAlg::Sha512,
        _ => return None,
    };
    HashValue::new(alg, hex).ok()
}

/// The distribution name a PEP 508 requirement string starts with.
fn requirement_name(req: &str) -> Option<String> {
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = req.get(..end)?.trim();
    (!name.is_empty()).then(|| normalize_pypi(name))
}

/// The normalised names `pyproject.toml` declares as dependencies: Poetry's tables (all groups), PEP 621
/// `project.dependencies` and optional dependencies, and PEP 735 `dependency-groups`.
fn pyproject_direct(bytes: &[u8]) -> Option<BTreeSet<String>> {
    let doc: toml::Table = crate::bound::toml_from_str("", std::str::from_utf8(bytes).ok()?, "").ok()?;
    let mut out = BTreeSet::new();
    let keys_of = |t: Option<&toml::Value>| -> Vec<String> {
        t.and_then(toml::Value::as_table)
            .map(|t| {
                t.keys()
                    .filter(|k| *k != "python")
                    .map(|k| normalize_pypi(k))
                    .collect()
            })
            .unwrap_or_default()
    };
    let strings_of = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|s| requirement_name(s.as_str()?)).collect())
            .unwrap_or_default()
    };
    if let Some(poetry) = doc.get("tool").and_then(|t| t.get("poetry")) {
        out.extend(keys_of(poetry.get("dependencies")));
        out.extend(keys_of(poetry.get("dev-dependencies")));
        if let Some(groups) = poetry.get("group").and_then(toml::Value::as_table) {
            for g in groups.values() {
                out.extend(keys_of(g.get("dependencies")));
            }
        }
    }
    if let Some(project) = doc.get("project") {
        out.extend(strings_of(project.get("dependencies")));
        if let Some(opt) = project
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
        {
            for v in opt.values() {
                out.extend(strings_of(Some(v)));
            }
        }
    }
    // PDM's development groups (`[tool.pdm.dev-dependencies]`, arrays of requirements).
    if let Some(dev) = doc
        .get("tool")
        .and_then(|t| t.get("pdm"))
        .and_then(|p| p.get("dev-dependencies"))
        .and_then(toml::Value::as_table)
    {
        for v in dev.values() {
            out.extend(strings_of(Some(v)));
        }
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(toml::Value::as_table) {
        for v in groups.values() {
            out.extend(strings_of(Some(v)));
        }
    }
    Some(out)
}

fn scope_of(direct: Option<&BTreeSet<String>>, name: &str) -> Scope {
    match direct {
        Some(d) if d.contains(&normalize_pypi(name)) => Scope::Direct,
        Some(_) => Scope::Transitive,
        None => Scope::Unknown,
    }
}

/// The packages of a `poetry.lock`; `pyproject` is the sibling `pyproject.toml`, if any. Packages from a
/// local directory (`source.type = "directory"`) are part of the target, not components.
pub fn parse_poetry(file: &str, bytes: &[u8], pyproject: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let lock: PoetryLock = crate::bound::toml_from_str(file, text, "poetry.lock")?;
    let direct = pyproject.and_then(pyproject_direct);
    // Poetry 1.x keeps the hashes in `[metadata.files]`, by package name.
    let old_files = lock.metadata.get("files").and_then(toml::Value::as_table);
    let mut by_name: BTreeMap<String, Vec<Purl>> = BTreeMap::new();
    let mut comps = Vec::new();
    for p in &lock.package {
        if p.source.get("type").and_then(toml::Value::as_str) == Some("directory") {
            continue;
        }
        let mut c = Component::new(Ecosystem::Pypi, &p.name, &p.version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        c.hashes.extend(p.files.iter().filter_map(|f| hash(&f.hash)));
        let norm = normalize_pypi(&p.name);
        let old = old_files.and_then(|t| {
            t.iter()
                .find(|(k, _)| normalize_pypi(k) == norm)
                .and_then(|(_, v)| v.as_array())
        });
        if let Some(files) = old {
            c.hashes
                .extend(files.iter().filter_map(|f| hash(f.get("hash")?.as_str()?)));
        }
        c.scope = scope_of(direct.as_ref(), &p.name);
        c.evidence.insert(evidence(file, METHOD_POETRY));
        by_name
            .entry(normalize_pypi(&p.name))
            .or_default()
            .push(c.purl.clone());
        comps.push((
            c,
            p.dependencies
                .keys()
                .map(|k| normalize_pypi(k))
                .collect::<Vec<_>>(),
        ));
    }
    Ok(comps
        .into_iter()
        .map(|(mut c, deps)| {
            for d in deps {
                c.depends_on
                    .extend(by_name.get(&d).into_iter().flatten().cloned());
            }
            c
        })
        .collect())
}

#[derive(serde::Deserialize)]
struct PdmLock {
    #[serde(default)]
    package: Vec<PdmPackage>,
}

#[derive(serde::Deserialize)]
struct PdmPackage {
    name: String,
    version: Option<String>,
    #[serde(default)]
    files: Vec<PoetryFile>,
    #[serde(default)]
    dependencies: Vec<String>,
    /// A local project (`path` or `editable`) is part of the target.
    #[serde(default)]
    path: Option<String>,
}

/// The packages of a `pdm.lock` (lock format 4.x); `pyproject` is the sibling `pyproject.toml`, if any.
/// Packages locked from a local path are part of the target, not components; a package listed once per
/// extra (`name[extra]` dependencies) is one component.
pub fn parse_pdm(file: &str, bytes: &[u8], pyproject: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let lock: PdmLock = crate::bound::toml_from_str(file, text, "pdm.lock")?;
    let direct = pyproject.and_then(pyproject_direct);
    let mut by_name: BTreeMap<String, Vec<Purl>> = BTreeMap::new();
    let mut comps = Vec::new();
    for p in lock.package.iter().filter(|p| p.path.is_none()) {
        let Some(version) = p.version.as_deref() else {
            return Err(Warning::new(
                file,
                None,
                format!("package {} has no version", p.name),
            ));
        };
        let mut c = Component::new(Ecosystem::Pypi, &p.name, version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        c.hashes.extend(p.files.iter().filter_map(|f| hash(&f.hash)));
        c.scope = scope_of(direct.as_ref(), &p.name);
        c.evidence.insert(evidence(file, METHOD_PDM));
        by_name
            .entry(normalize_pypi(&p.name))
            .or_default()
            .push(c.purl.clone());
        let deps: Vec<String> = p
            .dependencies
            .iter()
            .filter_map(|d| requirement_name(d))
            .collect();
        comps.push((c, deps));
    }
    Ok(comps
        .into_iter()
        .map(|(mut c, deps)| {
            for d in deps {
                c.depends_on.extend(
                    by_name
                        .get(&d)
                        .into_iter()
                        .flatten()
                        .filter(|p| **p != c.purl)
                        .cloned(),
                );
            }
            c
        })
        .collect())
}

/// The normalised names a `Pipfile` lists under `[packages]` and `[dev-packages]`.
fn pipfile_direct(bytes: &[u8]) -> Option<BTreeSet<String>> {
    let doc: toml::Table = crate::bound::toml_from_str("", std::str::from_utf8(bytes).ok()?, "").ok()?;
    Some(
        ["packages", "dev-packages"]
            .iter()
            .filter_map(|k| doc.get(*k).and_then(toml::Value::as_table))
            .flat_map(|t| t.keys().map(|k| normalize_pypi(k)))
            .collect(),
    )
}

/// The packages of a `Pipfile.lock` (`default` and `develop`); `pipfile` is the sibling `Pipfile`, if any.
/// Entries without an `==` version (editable, path and VCS requirements) name no release and are skipped.
pub fn parse_pipfile(file: &str, bytes: &[u8], pipfile: Option<&[u8]>) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let doc: Value = crate::bound::json_from_str(file, text)?;
    if doc.get("_meta").is_none() {
        return Err(Warning::new(file, Some(1), "not a Pipfile.lock: no `_meta`"));
    }
    let direct = pipfile.and_then(pipfile_direct);
    let mut out: BTreeMap<Purl, Component> = BTreeMap::new();
    for section in ["default", "develop"] {
        let Some(entries) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, entry) in entries {
            let Some(version) = entry
                .get("version")
                .and_then(Value::as_str)
                .and_then(|v| v.strip_prefix("===").or_else(|| v.strip_prefix("==")))
            else {
                continue;
            };
            let mut c = Component::new(Ecosystem::Pypi, name, version)
                .map_err(|e| Warning::new(file, None, e.to_string()))?;
            if let Some(hs) = entry.get("hashes").and_then(Value::as_array) {
                c.hashes.extend(hs.iter().filter_map(|h| hash(h.as_str()?)));
            }
            c.scope = scope_of(direct.as_ref(), name);
            c.evidence.insert(evidence(file, METHOD_PIPFILE));
            out.entry(c.purl.clone()).or_insert(c);
        }
    }
    Ok(out.into_values().collect())
}
