//! The dpkg status database (`var/lib/dpkg/status`).

use std::collections::BTreeMap;

use provenant_sbom::{Component, Ecosystem, Purl, Scope, purl_for};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "dpkg-status";

/// The installed packages of a dpkg status file: every paragraph whose `Status` is not `not-installed`
/// or `config-files` (only configuration files left), as `dpkg-query -W` lists them. PURLs carry the
/// architecture (`pkg:deb/debian/libc6@2.36-9?arch=amd64`); `Depends` and `Pre-Depends` become edges to
/// installed packages. A paragraph without `Package` or `Version` is a warning naming its line.
#[must_use]
pub fn parse(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let text = match utf8(file, bytes) {
        Ok(t) => t,
        Err(w) => return (Vec::new(), vec![w]),
    };
    let mut warnings = Vec::new();
    let mut paragraphs: Vec<(usize, BTreeMap<String, String>)> = Vec::new();
    let mut cur: BTreeMap<String, String> = BTreeMap::new();
    let mut start = 1;
    let mut last_key: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                paragraphs.push((start, std::mem::take(&mut cur)));
            }
            last_key = None;
            start = i + 2;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(v) = last_key.as_ref().and_then(|k| cur.get_mut(k)) {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) => {
                cur.insert(k.to_owned(), v.trim().to_owned());
                last_key = Some(k.to_owned());
            }
            None => warnings.push(Warning::new(
                file,
                Some(i + 1),
                format!("not a field: {:?}", line.chars().take(80).collect::<String>()),
            )),
        }
    }
    if !cur.is_empty() {
        paragraphs.push((start, cur));
    }
    let mut comps = Vec::new();
    let mut depends: Vec<String> = Vec::new();
    for (line, p) in &paragraphs {
        let status = p.get("Status").map_or("", String::as_str);
        let state = status.split_whitespace().nth(2).unwrap_or("");
        if state == "not-installed" || state == "config-files" {
            continue;
        }
        let (Some(name), Some(version)) = (p.get("Package"), p.get("Version")) else {
            warnings.push(Warning::new(
                file,
                Some(*line),
                "package paragraph without Package or Version",
            ));
            continue;
        };
        let arch = p.get("Architecture").map_or("", String::as_str);
        let quals: Vec<(&str, &str)> = if arch.is_empty() {
            Vec::new()
        } else {
            vec![("arch", arch)]
        };
        let purl = match purl_for(Ecosystem::Deb, name, version, &quals) {
            Ok(p) => p,
            Err(e) => {
                warnings.push(Warning::new(file, Some(*line), e.to_string()));
                continue;
            }
        };
        let mut c = Component::with_purl(Ecosystem::Deb, name, version, purl);
        c.supplier = p
            .get("Maintainer")
            .map(|m| m.split('<').next().unwrap_or(m).trim().to_owned())
            .filter(|m| !m.is_empty());
        c.scope = Scope::Unknown;
        c.evidence.insert(evidence(file, METHOD));
        let mut deps = p.get("Pre-Depends").cloned().unwrap_or_default();
        deps.push(',');
        deps.push_str(p.get("Depends").map_or("", String::as_str));
        depends.push(deps);
        comps.push(c);
    }
    let mut by_name: BTreeMap<String, Vec<Purl>> = BTreeMap::new();
    for c in &comps {
        by_name.entry(c.name.clone()).or_default().push(c.purl.clone());
    }
    for (c, deps) in comps.iter_mut().zip(depends) {
        for clause in deps.split(',') {
            // Alternatives: the first one that is installed.
            for alt in clause.split('|') {
                let name = alt.split(['(', '[', ' ']).find(|s| !s.is_empty()).unwrap_or("");
                let name = name.split(':').next().unwrap_or(name);
                if let Some(targets) = by_name.get(name) {
                    c.depends_on.extend(targets.iter().cloned());
                    break;
                }
            }
        }
    }
    (comps, warnings)
}
