//! Java: `pom.xml` (the declared dependencies, `${properties}` resolved within the file),
//! `gradle.lockfile` (and the older `gradle/dependency-locks/*.lockfile`), and Java archives (`.jar`,
//! `.war`, `.ear`): every `META-INF/maven/<group>/<artifact>/pom.properties` inside them, nested archives
//! included (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`) to a bounded depth.
//!
//! Maven names are `groupId:artifactId` (PURL `pkg:maven/<groupId>/<artifactId>@<version>`). An archive
//! holding exactly one `pom.properties` is that artefact: it gets the archive's SHA-256 and, from
//! `META-INF/MANIFEST.MF`, the `Bundle-License` (when an SPDX expression) and the vendor as supplier. An
//! archive with a manifest but no `pom.properties` names no Maven coordinates and gives no component.

use std::collections::BTreeMap;

use provenant_sbom::{Component, Ecosystem, HashAlg, HashValue, Scope, parse_license};
use sha2::Digest as _;

use crate::{Warning, evidence, line_of, utf8, zip};

/// Evidence method name for `pom.xml`.
pub const METHOD_POM: &str = "maven-pom";
/// Evidence method name for Gradle lockfiles.
pub const METHOD_GRADLE: &str = "gradle-lockfile";
/// Evidence method name for Java archives.
pub const METHOD_JAR: &str = "java-archive";

/// Bound on a text entry (manifest, `pom.properties`) inflated from an archive.
const MAX_TEXT_ENTRY: u64 = 1 << 20;
/// Bound on a nested archive inflated from an archive.
const MAX_NESTED_ARCHIVE: u64 = 64 << 20;
/// Bound on the total inflated per top-level archive (a zip bomb spread over many entries).
const MAX_INFLATED_TOTAL: u64 = 512 << 20;
/// Archives inside archives are read to this depth (the top-level archive is depth 0).
const MAX_DEPTH: usize = 2;
/// Central directory entries read per archive.
const MAX_ENTRIES: usize = 1 << 18;
/// Property substitution rounds (`${a}` → `${b}` → ...).
const MAX_SUBSTITUTIONS: usize = 16;

fn maven(
    file: &str,
    line: Option<usize>,
    group: &str,
    artifact: &str,
    version: &str,
) -> Result<Component, Warning> {
    Component::new(Ecosystem::Maven, &format!("{group}:{artifact}"), version)
        .map_err(|e| Warning::new(file, line, e.to_string()))
}

/// `key=value` lines (Java properties without escapes, which `pom.properties` does not use).
fn properties(text: &str) -> BTreeMap<&str, &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// The main section of a `MANIFEST.MF` (continuation lines start with one space).
fn manifest(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.insert(k.trim().to_owned(), v.trim().to_owned());
            last = Some(k.trim().to_owned());
        }
    }
    out
}

/// The artefacts recorded inside a Java archive (and the archives nested in it).
#[must_use]
pub fn parse_archive(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut budget = zip::Budget::new(MAX_INFLATED_TOTAL);
    archive(file, bytes, 0, &mut budget, &mut out, &mut warnings);
    (out, warnings)
}

/// One entry of an archive, inflated within `limit` and what is left of the archive's `budget`.
fn read_entry(
    label: &str,
    bytes: &[u8],
    e: &zip::Entry,
    limit: u64,
    budget: &mut zip::Budget,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<u8>> {
    match budget.read(bytes, e, limit) {
        Ok(data) => Some(data),
        Err(err) => {
            warnings.push(Warning::new(
                &format!("{label}!/{}", e.name),
                None,
                err.to_string(),
            ));
            None
        }
    }
}

fn archive(
    label: &str,
    bytes: &[u8],
    depth: usize,
    budget: &mut zip::Budget,
    out: &mut Vec<Component>,
    warnings: &mut Vec<Warning>,
) {
    let entries = match zip::entries(bytes, MAX_ENTRIES) {
        Ok(directory) => directory.entries,
        Err(e) => {
            warnings.push(Warning::new(label, None, e.to_string()));
            return;
        }
    };
    let mut found = Vec::new();
    let mut mf = BTreeMap::new();
    let mut nested = Vec::new();
    for e in &entries {
        let name = e.name.as_str();
        let is_pom_props = name.starts_with("META-INF/maven/")
            && name.ends_with("/pom.properties")
            && name.split('/').count() == 5;
        if is_pom_props {
            let Some(data) = read_entry(label, bytes, e, MAX_TEXT_ENTRY, budget, warnings) else {
                continue;
            };
            let text = String::from_utf8_lossy(&data);
            let props = properties(&text);
            match (
                props.get("groupId"),
                props.get("artifactId"),
                props.get("version"),
            ) {
                (Some(group), Some(artifact), Some(version)) => {
                    match maven(label, None, group, artifact, version) {
                        Ok(c) => found.push(c),
                        Err(w) => warnings.push(w),
                    }
                }
                _ => warnings.push(Warning::new(
                    &format!("{label}!/{name}"),
                    None,
                    "pom.properties lacks groupId, artifactId or version",
                )),
            }
        } else if name == "META-INF/MANIFEST.MF" {
            if let Some(data) = read_entry(label, bytes, e, MAX_TEXT_ENTRY, budget, warnings) {
                mf = manifest(&String::from_utf8_lossy(&data));
            }
        } else if [".jar", ".war", ".ear"].iter().any(|x| name.ends_with(x)) {
            if depth < MAX_DEPTH {
                nested.push(e.clone());
            } else {
                // Said, never silently skipped: what it holds is not in the catalog.
                let why = zip::ZipError::NestedTooDeep {
                    name: e.name.clone(),
                    limit: MAX_DEPTH,
                };
                warnings.push(Warning::new(label, None, why.to_string()));
            }
        }
    }
    if let [only] = found.as_mut_slice() {
        if let Ok(h) = HashValue::from_bytes(HashAlg::Sha256, &sha2::Sha256::digest(bytes)) {
            only.hashes.insert(h);
        }
        only.license = mf.get("Bundle-License").and_then(|l| parse_license(l).ok());
        only.supplier = mf
            .get("Bundle-Vendor")
            .or_else(|| mf.get("Implementation-Vendor"))
            .cloned();
    }
    for mut c in found {
        c.evidence.insert(evidence(label, METHOD_JAR));
        out.push(c);
    }
    for e in nested {
        if let Some(data) = read_entry(label, bytes, &e, MAX_NESTED_ARCHIVE, budget, warnings) {
            archive(
                &format!("{label}!/{}", e.name),
                &data,
                depth + 1,
                budget,
                out,
                warnings,
            );
        }
    }
}

/// The entries of a Gradle dependency lockfile (`group:artifact:version=configurations`). The lockfile
/// does not say which are direct.
pub fn parse_gradle_lock(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = utf8(file, bytes)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coords = line.split('=').next().unwrap_or(line);
        let mut parts = coords.split(':');
        let (Some(g), Some(a), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Warning::new(
                file,
                Some(i + 1),
                format!("not group:artifact:version: {coords:?}"),
            ));
        };
        let mut c = maven(file, Some(i + 1), g, a, v)?;
        c.evidence.insert(evidence(file, METHOD_GRADLE));
        out.push(c);
    }
    Ok(out)
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(node, name).and_then(|c| c.text()).map(str::trim)
}

/// Replaces `${name}` references from `props`, or `None` when one is left unresolved.
fn substitute(value: &str, props: &BTreeMap<String, String>) -> Option<String> {
    let mut v = value.to_owned();
    for _ in 0..MAX_SUBSTITUTIONS {
        let Some(start) = v.find("${") else { return Some(v) };
        let end = start + v.get(start..)?.find('}')?;
        let key = v.get(start + 2..end)?;
        let replacement = props.get(key)?;
        v = format!("{}{}{}", v.get(..start)?, replacement, v.get(end + 1..)?);
        if v.len() > 4096 {
            return None;
        }
    }
    (!v.contains("${")).then_some(v)
}

/// The dependencies a `pom.xml` declares (`project/dependencies`, every scope), with `${...}` resolved
/// from the file's own `properties`, `project.*` and `project.parent.*` values. A dependency whose version
/// is not in the file (managed by a parent or an imported BOM) or refers to an unknown property is a
/// warning naming its line: this file alone cannot say which version is used.
#[must_use]
pub fn parse_pom(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let text = match utf8(file, bytes) {
        Ok(t) => t,
        Err(w) => return (Vec::new(), vec![w]),
    };
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 1 << 20,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = match roxmltree::Document::parse_with_options(text, opts) {
        Ok(d) => d,
        Err(e) => {
            let line = usize::try_from(e.pos().row).ok();
            return (
                Vec::new(),
                vec![Warning::new(file, line, format!("not XML: {e}"))],
            );
        }
    };
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return (
            Vec::new(),
            vec![Warning::new(
                file,
                Some(1),
                "not a POM: the root element is not <project>",
            )],
        );
    }
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    if let Some(p) = child(project, "properties") {
        for n in p.children().filter(roxmltree::Node::is_element) {
            props.insert(
                n.tag_name().name().to_owned(),
                n.text().unwrap_or("").trim().to_owned(),
            );
        }
    }
    let parent = child(project, "parent");
    for key in ["groupId", "artifactId", "version"] {
        let own = child_text(project, key);
        let inherited = parent.and_then(|p| child_text(p, key));
        if let Some(v) = inherited {
            props.insert(format!("project.parent.{key}"), v.to_owned());
            props.insert(format!("parent.{key}"), v.to_owned());
        }
        // groupId and version are inherited from the parent when not set.
        let value = if key == "artifactId" {
            own
        } else {
            own.or(inherited)
        };
        if let Some(v) = value {
            props.insert(format!("project.{key}"), v.to_owned());
            props.insert(format!("pom.{key}"), v.to_owned());
        }
    }
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let Some(deps) = child(project, "dependencies") else {
        return (out, warnings);
    };
    for d in deps
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
    {
        let line = line_of(text, d.range().start);
        let field = |k: &str| child_text(d, k).and_then(|v| substitute(v, &props));
        let (Some(g), Some(a)) = (field("groupId"), field("artifactId")) else {
            warnings.push(Warning::new(
                file,
                Some(line),
                "dependency without a resolvable groupId or artifactId",
            ));
            continue;
        };
        let Some(v) = field("version") else {
            let why = match child_text(d, "version") {
                Some(raw) => format!(
                    "dependency {g}:{a}: version {raw:?} refers to a property this file does not define"
                ),
                None => {
                    format!("dependency {g}:{a} has no version in this file (managed by a parent or a BOM)")
                }
            };
            warnings.push(Warning::new(file, Some(line), why));
            continue;
        };
        match maven(file, Some(line), &g, &a, &v) {
            Ok(mut c) => {
                c.scope = Scope::Direct;
                c.evidence.insert(evidence(file, METHOD_POM));
                out.push(c);
            }
            Err(w) => warnings.push(w),
        }
    }
    (out, warnings)
}
