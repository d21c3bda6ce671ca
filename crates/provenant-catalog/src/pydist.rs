//! Installed Python distributions: `site-packages/<name>-<version>.dist-info/METADATA` (core metadata,
//! RFC 822 headers). The licence comes from `License-Expression`, else from `License` when it is an SPDX
//! expression, else from the `License :: OSI Approved :: ...` classifiers that name one licence.

use provenant_sbom::{Component, Ecosystem, parse_license};

use crate::{Warning, evidence, utf8};

/// Evidence method name.
pub const METHOD: &str = "python-dist-info";

/// Upper bound on header lines read (the description that follows is not needed).
const MAX_HEADER_LINES: usize = 10_000;

/// Classifier suffixes and the SPDX identifiers they stand for.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("MIT License", "MIT"),
    ("Apache Software License", "Apache-2.0"),
    ("BSD License", "BSD-3-Clause"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("ISC License (ISCL)", "ISC"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
    ("GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"),
];

/// One component from the `METADATA` file at `file` (a path ending in `.dist-info/METADATA`).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Component, Warning> {
    let text = utf8(file, bytes)?;
    let mut name = None;
    let mut version = None;
    let mut license_expr = None;
    let mut license = None;
    let mut classifiers = Vec::new();
    let mut supplier = None;
    for line in text.lines().take(MAX_HEADER_LINES) {
        if line.is_empty() {
            break; // the body (long description) starts here
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a folded header
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "version" => version = Some(value),
            "license-expression" => license_expr = Some(value),
            "license" => license = Some(value),
            "classifier" => {
                if let Some(l) = value.strip_prefix("License :: OSI Approved :: ") {
                    classifiers.push(l);
                }
            }
            "author" | "maintainer" if supplier.is_none() && !value.is_empty() => supplier = Some(value),
            "author-email" | "maintainer-email" if supplier.is_none() && !value.is_empty() => {
                supplier = Some(value);
            }
            _ => {}
        }
    }
    let (Some(name), Some(version)) = (name.filter(|n| !n.is_empty()), version.filter(|v| !v.is_empty()))
    else {
        return Err(Warning::new(
            file,
            None,
            "METADATA lacks a Name or a Version header",
        ));
    };
    let mut c = Component::new(Ecosystem::Pypi, name, version)
        .map_err(|e| Warning::new(file, None, e.to_string()))?;
    let from_classifier = match classifiers.as_slice() {
        [one] => CLASSIFIERS.iter().find(|(k, _)| k == one).map(|(_, v)| *v),
        _ => None,
    };
    c.license = license_expr
        .and_then(|l| parse_license(l).ok())
        .or_else(|| {
            license
                .filter(|l| l.len() < 100)
                .and_then(|l| parse_license(l).ok())
        })
        .or_else(|| from_classifier.and_then(|l| parse_license(l).ok()));
    c.supplier = supplier.map(str::to_owned);
    c.evidence.insert(evidence(file, METHOD));
    Ok(c)
}
