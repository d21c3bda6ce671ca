//! Ruby `Gemfile.lock` (Bundler) and PHP `composer.lock` (Composer).
//!
//! `Gemfile.lock`: the gems of its `GEM` and `GIT` sections (a `PATH` section is the target's own code);
//! a platform-specific version (`1.16.0-x86_64-linux`) becomes the `platform` qualifier; the `DEPENDENCIES`
//! section names the direct gems; the `CHECKSUMS` section (Bundler 2.5+) gives SHA-256 hashes.
//!
//! `composer.lock`: `packages` and `packages-dev`; the licence list is a disjunction (Composer's own
//! reading); `dist.shasum` is a SHA-1 of the dist archive when present; the sibling `composer.json`'s
//! `require` and `require-dev` name the direct packages. Platform requirements (`php`, `ext-*`) are not
//! packages.

use std::collections::{BTreeMap, BTreeSet};

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Purl, Scope, parse_license, purl_for};
use serde_json::Value;

use crate::{Warning, evidence, utf8};

/// Evidence method name for `Gemfile.lock`.
pub const METHOD_GEMFILE: &str = "gemfile-lock";
/// Evidence method name for `composer.lock`.
pub const METHOD_COMPOSER: &str = "composer-lock";

/// `name (version)` or `name (constraints)`.
fn name_paren(s: &str) -> Option<(&str, &str)> {
    let (name, rest) = s.split_once(" (")?;
    Some((name.trim(), rest.strip_suffix(')')?.trim()))
}

struct Gem {
    line: usize,
    name: String,
    version: String,
    platform: Option<String>,
    deps: Vec<String>,
}

type Sections = (Vec<Gem>, BTreeSet<String>, BTreeMap<(String, String), HashValue>);

/// The specs (local `PATH` gems with an empty version), `DEPENDENCIES` and `CHECKSUMS` of a lockfile.
fn gemfile_sections(file: &str, text: &str) -> Result<Sections, Warning> {
    let mut section = "";
    let mut in_specs = false;
    let mut gems: Vec<Gem> = Vec::new();
    let mut direct: BTreeSet<String> = BTreeSet::new();
    let mut checksums: BTreeMap<(String, String), HashValue> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if indent == 0 {
            section = body;
            in_specs = false;
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" => {
                if indent == 2 {
                    in_specs = body == "specs:";
                } else if in_specs && indent == 4 {
                    let Some((name, version)) = name_paren(body) else {
                        return Err(Warning::new(
                            file,
                            Some(line_no),
                            format!("not `name (version)`: {body:?}"),
                        ));
                    };
                    if section == "PATH" {
                        gems.push(Gem {
                            line: line_no,
                            name: name.to_owned(),
                            version: String::new(),
                            platform: None,
                            deps: Vec::new(),
                        });
                        continue;
                    }
                    let (version, platform) = match version.split_once('-') {
                        Some((v, p)) => (v, Some(p.to_owned())),
                        None => (version, None),
                    };
                    gems.push(Gem {
                        line: line_no,
                        name: name.to_owned(),
                        version: version.to_owned(),
                        platform,
                        deps: Vec::new(),
                    });
                } else if in_specs && indent == 6 {
                    let dep = name_paren(body).map_or(body, |(n, _)| n);
                    if let Some(g) = gems.last_mut() {
                        g.deps.push(dep.to_owned());
                    }
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                let name = name_paren(body).map_or(body, |(n, _)| n);
                direct.insert(name.trim_end_matches('!').to_owned());
            }
            "CHECKSUMS" if indent == 2 => {
                let Some((nv, sums)) = body.split_once(") ") else {
                    continue;
                };
                let Some((name, version)) =
                    name_paren(&format!("{nv})")).map(|(n, v)| (n.to_owned(), v.to_owned()))
                else {
                    continue;
                };
                for s in sums.split(',') {
                    if let Some(h) = s
                        .trim()
                        .strip_prefix("sha256=")
                        .and_then(|h| HashValue::new(HashAlg::Sha256, h).ok())
                    {
                        checksums.insert((name.clone(), version.clone()), h);
                    }
                }
            }
            _ => {}
        }
    }
    Ok((gems, direct, checksums))
}

/// The gems of a `Gemfile.lock`.
pub fn parse_gemfile_lock(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let (gems, mut direct, checksums) = gemfile_sections(file, text)?;
    let mut by_name: BTreeMap<&str, Vec<Purl>> = BTreeMap::new();
    let mut comps: Vec<(Component, &Gem)> = Vec::new();
    for g in gems.iter().filter(|g| !g.version.is_empty()) {
        let quals: Vec<(&str, &str)> = g
            .platform
            .as_deref()
            .map(|p| vec![("platform", p)])
            .unwrap_or_default();
        let purl = purl_for(Ecosystem::Gem, &g.name, &g.version, &quals)
            .map_err(|e| Warning::new(file, Some(g.line), e.to_string()))?;
        let mut c = Component::with_purl(Ecosystem::Gem, &g.name, &g.version, purl);
        let full_version = match &g.platform {
            Some(p) => format!("{}-{p}", g.version),
            None => g.version.clone(),
        };
        if let Some(h) = checksums.get(&(g.name.clone(), full_version)) {
            c.hashes.insert(h.clone());
        }
        by_name.entry(&g.name).or_default().push(c.purl.clone());
        comps.push((c, g));
    }
    // Gems the local (PATH) gems depend on are direct too: the target requires them.
    for g in gems.iter().filter(|g| g.version.is_empty()) {
        direct.extend(g.deps.iter().cloned());
    }
    let mut out = Vec::with_capacity(comps.len());
    for (mut c, g) in comps {
        for d in &g.deps {
            c.depends_on
                .extend(by_name.get(d.as_str()).into_iter().flatten().cloned());
        }
        c.scope = if direct.contains(&g.name) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        c.evidence.insert(evidence(file, METHOD_GEMFILE));
        out.push(c);
    }
    Ok(out)
}

/// Whether a Composer requirement name is a package (not `php`, `ext-*`, `lib-*`, `composer-*`).
fn is_package(name: &str) -> bool {
    name.contains('/')
}

/// The packages of a `composer.lock`; `composer_json` is the sibling `composer.json`, if any.
pub fn parse_composer_lock(
    file: &str,
    bytes: &[u8],
    composer_json: Option<&[u8]>,
) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let doc: Value = crate::bound::json_from_str(file, text)?;
    if !doc.get("packages").is_some_and(Value::is_array) {
        return Err(Warning::new(
            file,
            Some(1),
            "not a composer.lock: no `packages` list",
        ));
    }
    let direct: Option<BTreeSet<String>> = composer_json
        .and_then(|b| crate::bound::json_from_str::<Value>("", std::str::from_utf8(b).ok()?).ok())
        .map(|v| {
            ["require", "require-dev"]
                .iter()
                .filter_map(|k| v.get(*k).and_then(Value::as_object))
                .flat_map(|m| m.keys().map(|k| k.to_ascii_lowercase()))
                .collect()
        });
    let mut comps: Vec<(Component, Vec<String>)> = Vec::new();
    let mut by_name: BTreeMap<String, Purl> = BTreeMap::new();
    for section in ["packages", "packages-dev"] {
        for p in doc.get(section).and_then(Value::as_array).into_iter().flatten() {
            let (Some(name), Some(version)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) else {
                return Err(Warning::new(
                    file,
                    None,
                    format!("a `{section}` entry lacks a name or a version"),
                ));
            };
            let mut c = Component::new(Ecosystem::Composer, name, version)
                .map_err(|e| Warning::new(file, None, e.to_string()))?;
            if let Some(h) = p
                .get("dist")
                .and_then(|d| d.get("shasum"))
                .and_then(Value::as_str)
                .and_then(|s| HashValue::new(HashAlg::Sha1, s).ok())
            {
                c.hashes.insert(h);
            }
            let licenses: Vec<&str> = p
                .get("license")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !licenses.is_empty() {
                let expr = licenses
                    .iter()
                    .map(|l| {
                        if l.contains(' ') {
                            format!("({l})")
                        } else {
                            (*l).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" OR ");
                c.license = parse_license(&expr).ok();
            }
            c.supplier = p
                .get("authors")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|a| a.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            c.scope = match &direct {
                Some(d) if d.contains(&name.to_ascii_lowercase()) => Scope::Direct,
                Some(_) => Scope::Transitive,
                None => Scope::Unknown,
            };
            c.evidence.insert(evidence(file, METHOD_COMPOSER));
            let deps = p
                .get("require")
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys()
                        .filter(|k| is_package(k))
                        .map(|k| k.to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default();
            by_name.insert(name.to_ascii_lowercase(), c.purl.clone());
            comps.push((c, deps));
        }
    }
    Ok(comps
        .into_iter()
        .map(|(mut c, deps)| {
            c.depends_on = deps.iter().filter_map(|d| by_name.get(d).cloned()).collect();
            c
        })
        .collect())
}
