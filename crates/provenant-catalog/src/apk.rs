//! The Alpine apk installed database (`lib/apk/db/installed`): one paragraph per package, one `X:value`
//! field per line (`P` name, `V` version, `A` architecture, `L` licence, `m` maintainer, `D` dependencies,
//! `p` provides, and the package's files). PURLs are `pkg:apk/alpine/<name>@<version>?arch=<arch>`;
//! dependencies (names, `so:` and `cmd:` provides, with version constraints and `!` conflicts) become edges
//! to installed packages. The `C` checksum is of the package's control segment, not of a released file,
//! and is not reported as a hash.

use std::collections::BTreeMap;

use provenant_sbom::{Component, Ecosystem, Purl, Scope, parse_license, purl_for};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "apk-installed";

#[derive(Default)]
struct Pkg {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    license: Option<String>,
    maintainer: Option<String>,
    depends: Vec<String>,
    provides: Vec<String>,
}

/// The name part of a dependency or provides token (`so:libc.so=1`, `pkg>=1.2`, `!other`).
fn token_name(t: &str) -> &str {
    let t = t.trim_start_matches('!');
    let end = t.find(['=', '<', '>', '~']).unwrap_or(t.len());
    t.get(..end).unwrap_or(t)
}

/// An apk `L:` value as SPDX: an expression as is, or a space-separated list of identifiers as `AND`.
fn license(text: &str) -> Option<String> {
    parse_license(text).ok().or_else(|| {
        let joined = text.split_whitespace().collect::<Vec<_>>().join(" AND ");
        parse_license(&joined).ok()
    })
}

/// The installed packages of an apk database; a paragraph without `P` or `V` is a warning naming its line.
#[must_use]
pub fn parse(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let text = match utf8(file, bytes) {
        Ok(t) => t,
        Err(w) => return (Vec::new(), vec![w]),
    };
    let mut warnings = Vec::new();
    let mut pkgs: Vec<Pkg> = Vec::new();
    let mut cur = Pkg {
        line: 1,
        ..Pkg::default()
    };
    let mut started = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if started {
                pkgs.push(std::mem::take(&mut cur));
                started = false;
            }
            cur.line = i + 2;
            continue;
        }
        started = true;
        let Some((key, value)) = line.split_once(':') else {
            warnings.push(Warning::new(file, Some(i + 1), "not a `X:value` field"));
            continue;
        };
        let value = value.trim();
        match key {
            "P" => cur.name = Some(value.to_owned()),
            "V" => cur.version = Some(value.to_owned()),
            "A" => cur.arch = Some(value.to_owned()),
            "L" => cur.license = Some(value.to_owned()),
            "m" => cur.maintainer = Some(value.to_owned()),
            "D" => cur.depends.extend(value.split_whitespace().map(str::to_owned)),
            "p" => cur.provides.extend(value.split_whitespace().map(str::to_owned)),
            _ => {}
        }
    }
    if started {
        pkgs.push(cur);
    }
    let mut comps: Vec<(Component, &Pkg)> = Vec::new();
    let mut provider: BTreeMap<&str, Purl> = BTreeMap::new();
    for p in &pkgs {
        let (Some(name), Some(version)) = (&p.name, &p.version) else {
            warnings.push(Warning::new(
                file,
                Some(p.line),
                "package without P (name) or V (version)",
            ));
            continue;
        };
        let quals: Vec<(&str, &str)> = p.arch.as_deref().map(|a| vec![("arch", a)]).unwrap_or_default();
        let purl = match purl_for(Ecosystem::Apk, name, version, &quals) {
            Ok(u) => u,
            Err(e) => {
                warnings.push(Warning::new(file, Some(p.line), e.to_string()));
                continue;
            }
        };
        let mut c = Component::with_purl(Ecosystem::Apk, name, version, purl);
        c.license = p.license.as_deref().and_then(license);
        c.supplier = p
            .maintainer
            .as_deref()
            .map(|m| m.split('<').next().unwrap_or(m).trim().to_owned())
            .filter(|m| !m.is_empty());
        c.scope = Scope::Unknown;
        c.evidence.insert(evidence(file, METHOD));
        provider.insert(name, c.purl.clone());
        for t in &p.provides {
            provider.entry(token_name(t)).or_insert_with(|| c.purl.clone());
        }
        comps.push((c, p));
    }
    let out = comps
        .into_iter()
        .map(|(mut c, p)| {
            for d in p.depends.iter().filter(|d| !d.starts_with('!')) {
                if let Some(target) = provider.get(token_name(d)) {
                    c.depends_on.insert(target.clone());
                }
            }
            c
        })
        .collect();
    (out, warnings)
}
