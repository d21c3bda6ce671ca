//! Installed npm packages: the `package.json` at the top of each package directory in a `node_modules`
//! tree (`node_modules/x`, `node_modules/@scope/x`, nested `.../node_modules/x/node_modules/y`, and pnpm's
//! `node_modules/.pnpm/<id>/node_modules/x`). Only these manifests are read: the walk enters no other
//! directory of an installed package, so a large tree costs one small read per package.

use std::path::{Component as PathPart, Path};

use provenant_sbom::{Component, Ecosystem, parse_license};
use serde_json::Value;

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "npm-installed-package";

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectPackage,
    AfterScope,
    AfterPnpm,
    AfterPnpmId,
    AfterPackage,
}

fn segments(rel: &Path) -> Vec<&str> {
    rel.components()
        .filter_map(|c| match c {
            PathPart::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect()
}

/// Where the segments after the first `node_modules` lead, or `None` when they leave the package layout.
fn classify(segs: &[&str]) -> Option<State> {
    let first = segs.iter().position(|s| *s == "node_modules")?;
    let mut state = State::ExpectPackage;
    for s in segs.get(first + 1..)? {
        state = match state {
            State::ExpectPackage if *s == ".pnpm" => State::AfterPnpm,
            State::ExpectPackage | State::AfterScope if s.starts_with('.') => return None,
            State::ExpectPackage if s.starts_with('@') => State::AfterScope,
            State::ExpectPackage | State::AfterScope => State::AfterPackage,
            State::AfterPnpm => State::AfterPnpmId,
            State::AfterPnpmId | State::AfterPackage if *s == "node_modules" => State::ExpectPackage,
            State::AfterPnpmId | State::AfterPackage => return None,
        };
    }
    Some(state)
}

/// Whether `rel` lies inside a `node_modules` directory.
#[must_use]
pub fn inside_node_modules(rel: &Path) -> bool {
    segments(rel).contains(&"node_modules")
}

/// Whether the walk should enter directory `rel`: anything outside `node_modules`, and inside it only the
/// directories that lead to package manifests.
#[must_use]
pub fn may_descend(rel: &Path) -> bool {
    let segs = segments(rel);
    !segs.contains(&"node_modules") || classify(&segs).is_some()
}

/// Whether `rel` is an installed package's own `package.json`.
#[must_use]
pub fn is_manifest(rel: &Path) -> bool {
    let segs = segments(rel);
    match segs.split_last() {
        Some((&"package.json", dir)) => classify(dir) == Some(State::AfterPackage),
        _ => false,
    }
}

/// The package an installed `package.json` describes. Its `license` (a string, or the old
/// `{"type": ...}` object) becomes the licence when it is an SPDX expression.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Component, Warning> {
    let text = utf8(file, bytes)?;
    let doc: Value = crate::bound::json_from_str(file, text)?;
    let (Some(name), Some(version)) = (
        doc.get("name").and_then(Value::as_str),
        doc.get("version").and_then(Value::as_str),
    ) else {
        return Err(Warning::new(file, None, "package.json lacks a name or a version"));
    };
    let mut c =
        Component::new(Ecosystem::Npm, name, version).map_err(|e| Warning::new(file, None, e.to_string()))?;
    let license = doc
        .get("license")
        .and_then(|l| l.as_str().or_else(|| l.get("type").and_then(Value::as_str)));
    c.license = license.and_then(|l| parse_license(l).ok());
    c.supplier = match doc.get("author") {
        Some(Value::String(s)) => Some(s.split('<').next().unwrap_or(s).trim().to_owned()),
        Some(a) => a.get("name").and_then(Value::as_str).map(str::to_owned),
        None => None,
    }
    .filter(|s| !s.is_empty());
    c.evidence.insert(evidence(file, METHOD));
    Ok(c)
}
