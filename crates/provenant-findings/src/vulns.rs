//! Vulnerability reports: trivy (filesystem and image, with layers; its secrets too), grype, OSV-scanner,
//! npm audit v2 and `CycloneDX` `vulnerabilities`.
//!
//! A vulnerability whose severity the scanner gives as unknown (or not at all) is `medium`: it reaches the
//! backlog, where a person rates it. Findings from an image scan belong to the `container` gate, others
//! to `dependencies`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::id::preferred_vuln_id;
use crate::json::{at, field, one_line, opt_array, opt_object, opt_score, opt_str, str_or_empty};
use crate::{
    Category, Finding, Location, Package, ReadErrorKind, Severity, Suppression, normalise_path,
    package_finding_id,
};

const MAX_MESSAGE: usize = 500;

fn severity_word(word: Option<&str>) -> Severity {
    word.and_then(Severity::from_word).unwrap_or(Severity::Medium)
}

#[allow(clippy::too_many_arguments)] // one constructor for every reader's vulnerability finding
fn vuln_finding(
    tool: &str,
    category: Category,
    id: &str,
    mut aliases: Vec<String>,
    package: Package,
    severity: Severity,
    message: &str,
    location: Option<Location>,
) -> Finding {
    aliases.retain(|a| a != id);
    aliases.sort();
    aliases.dedup();
    let preferred = preferred_vuln_id(id, &aliases).to_owned();
    if preferred != id {
        aliases.push(id.to_owned());
        aliases.retain(|a| *a != preferred);
        aliases.sort();
    }
    Finding {
        id: package_finding_id(&preferred, &package),
        category,
        severity,
        rule: preferred,
        location,
        message: one_line(message, MAX_MESSAGE),
        tool: tool.to_owned(),
        package: Some(Box::new(package)),
        aliases,
        fixed_version: None,
        layer: None,
        layer_index: None,
        suppressed: None,
    }
}

/// Whether a trivy or grype report is of an image.
pub(crate) fn is_image_scan(v: &Value) -> bool {
    v.get("ArtifactType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("image"))
        || v.get("source")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            == Some("image")
}

pub(crate) fn read_trivy(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    let image = opt_str(v, "$", "ArtifactType")?.is_some_and(|t| t.contains("image"));
    let category = if image {
        Category::Container
    } else {
        Category::Dependencies
    };
    let diff_ids: Vec<&str> = match v.get("Metadata") {
        Some(m) => opt_array(m, "$.Metadata", "DiffIDs")?
            .iter()
            .filter_map(Value::as_str)
            .collect(),
        None => Vec::new(),
    };
    let layer_of = |item: &Value, path: &str| -> Result<(Option<String>, Option<u64>), ReadErrorKind> {
        let Some(layer) = item.get("Layer") else {
            return Ok((None, None));
        };
        let lpath = format!("{path}.Layer");
        let diff = opt_str(layer, &lpath, "DiffID")?;
        let digest = opt_str(layer, &lpath, "Digest")?;
        let index = diff
            .and_then(|d| diff_ids.iter().position(|x| *x == d))
            .map(|i| i as u64);
        Ok((diff.or(digest).map(ToOwned::to_owned), index))
    };
    let mut findings = Vec::new();
    for (r, result) in opt_array(v, "$", "Results")?.iter().enumerate() {
        let rpath = at("$", "Results", r);
        let target = str_or_empty(result, &rpath, "Target")?;
        let ecosystem = opt_str(result, &rpath, "Type")?;
        for (i, vuln) in opt_array(result, &rpath, "Vulnerabilities")?.iter().enumerate() {
            let path = at(&rpath, "Vulnerabilities", i);
            let id = opt_str(vuln, &path, "VulnerabilityID")?
                .ok_or_else(|| field(&path, "VulnerabilityID", "a string"))?;
            let purl = vuln
                .get("PkgIdentifier")
                .map(|p| opt_str(p, &format!("{path}.PkgIdentifier"), "PURL"))
                .transpose()?
                .flatten();
            let package = Package {
                name: str_or_empty(vuln, &path, "PkgName")?.to_owned(),
                version: str_or_empty(vuln, &path, "InstalledVersion")?.to_owned(),
                purl: purl.map(ToOwned::to_owned),
                ecosystem: ecosystem.map(ToOwned::to_owned),
                direct: None,
            };
            let message = opt_str(vuln, &path, "Title")?
                .or(opt_str(vuln, &path, "Description")?)
                .unwrap_or(id);
            let aliases = opt_array(vuln, &path, "VendorIDs")?
                .iter()
                .filter_map(Value::as_str)
                .map(ToOwned::to_owned)
                .collect();
            let location = (!target.is_empty()).then(|| Location {
                path: normalise_path(target),
                line: None,
            });
            let mut f = vuln_finding(
                "trivy",
                category,
                id,
                aliases,
                package,
                severity_word(opt_str(vuln, &path, "Severity")?),
                message,
                location,
            );
            f.fixed_version = opt_str(vuln, &path, "FixedVersion")?
                .filter(|s| !s.is_empty())
                .map(ToOwned::to_owned);
            (f.layer, f.layer_index) = layer_of(vuln, &path)?;
            findings.push(f);
        }
        for (i, secret) in opt_array(result, &rpath, "Secrets")?.iter().enumerate() {
            let path = at(&rpath, "Secrets", i);
            let rule = opt_str(secret, &path, "RuleID")?.ok_or_else(|| field(&path, "RuleID", "a string"))?;
            let line = crate::json::opt_u64(secret, &path, "StartLine")?;
            let mut f = crate::secrets::secret_finding(
                "trivy",
                rule,
                target,
                line,
                opt_str(secret, &path, "Title")?.unwrap_or(rule),
                opt_str(secret, &path, "Severity")?.and_then(Severity::from_word),
            );
            (f.layer, f.layer_index) = layer_of(secret, &path)?;
            findings.push(f);
        }
    }
    Ok(findings)
}

pub(crate) fn read_grype(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    let source = v.get("source");
    let image = source.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("image");
    let category = if image {
        Category::Container
    } else {
        Category::Dependencies
    };
    let layers: Vec<&str> = source
        .and_then(|s| s.get("target"))
        .and_then(|t| t.get("layers"))
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|x| x.get("digest").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut findings = Vec::new();
    for (i, m) in opt_array(v, "$", "matches")?.iter().enumerate() {
        let path = at("$", "matches", i);
        let vuln = m
            .get("vulnerability")
            .ok_or_else(|| field(&path, "vulnerability", "an object"))?;
        let vpath = format!("{path}.vulnerability");
        let id = opt_str(vuln, &vpath, "id")?.ok_or_else(|| field(&vpath, "id", "a string"))?;
        let artifact = m
            .get("artifact")
            .ok_or_else(|| field(&path, "artifact", "an object"))?;
        let apath = format!("{path}.artifact");
        let package = Package {
            name: str_or_empty(artifact, &apath, "name")?.to_owned(),
            version: str_or_empty(artifact, &apath, "version")?.to_owned(),
            purl: opt_str(artifact, &apath, "purl")?
                .filter(|p| !p.is_empty())
                .map(ToOwned::to_owned),
            ecosystem: opt_str(artifact, &apath, "type")?.map(ToOwned::to_owned),
            direct: None,
        };
        let aliases = opt_array(m, &path, "relatedVulnerabilities")?
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .map(ToOwned::to_owned)
            .collect();
        let first_location = opt_array(artifact, &apath, "locations")?.first();
        let location = first_location
            .and_then(|l| l.get("path"))
            .and_then(Value::as_str)
            .map(|p| Location {
                path: normalise_path(p),
                line: None,
            });
        let message = opt_str(vuln, &vpath, "description")?.unwrap_or(id);
        let mut f = vuln_finding(
            "grype",
            category,
            id,
            aliases,
            package,
            severity_word(opt_str(vuln, &vpath, "severity")?),
            message,
            location,
        );
        if let Some(fix) = vuln.get("fix") {
            let versions: Vec<&str> = opt_array(fix, &format!("{vpath}.fix"), "versions")?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            f.fixed_version = (!versions.is_empty()).then(|| versions.join(", "));
        }
        if let Some(layer) = first_location
            .and_then(|l| l.get("layerID"))
            .and_then(Value::as_str)
        {
            f.layer = Some(layer.to_owned());
            f.layer_index = layers.iter().position(|d| *d == layer).map(|i| i as u64);
        }
        findings.push(f);
    }
    Ok(findings)
}

pub(crate) fn read_osv(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    let mut findings = Vec::new();
    for (r, result) in opt_array(v, "$", "results")?.iter().enumerate() {
        let rpath = at("$", "results", r);
        let source = result
            .get("source")
            .or_else(|| result.get("packageSource"))
            .and_then(|s| s.get("path"))
            .and_then(Value::as_str)
            .map(|p| Location {
                path: normalise_path(p),
                line: None,
            });
        for (p, pkg) in opt_array(result, &rpath, "packages")?.iter().enumerate() {
            let ppath = at(&rpath, "packages", p);
            let info = pkg
                .get("package")
                .ok_or_else(|| field(&ppath, "package", "an object"))?;
            let ipath = format!("{ppath}.package");
            let package = Package {
                name: str_or_empty(info, &ipath, "name")?.to_owned(),
                version: str_or_empty(info, &ipath, "version")?.to_owned(),
                purl: opt_str(info, &ipath, "purl")?.map(ToOwned::to_owned),
                ecosystem: opt_str(info, &ipath, "ecosystem")?.map(ToOwned::to_owned),
                direct: None,
            };
            let vulns = opt_array(pkg, &ppath, "vulnerabilities")?;
            let summary_of = |id: &str| {
                vulns
                    .iter()
                    .find(|v| v.get("id").and_then(Value::as_str) == Some(id))
                    .and_then(|v| v.get("summary").or_else(|| v.get("details")))
                    .and_then(Value::as_str)
            };
            let word_of = |id: &str| {
                vulns
                    .iter()
                    .find(|v| v.get("id").and_then(Value::as_str) == Some(id))
                    .and_then(|v| v.get("database_specific"))
                    .and_then(|d| d.get("severity"))
                    .and_then(Value::as_str)
            };
            let groups = opt_array(pkg, &ppath, "groups")?;
            if groups.is_empty() {
                for (i, vuln) in vulns.iter().enumerate() {
                    let vpath = at(&ppath, "vulnerabilities", i);
                    let id = opt_str(vuln, &vpath, "id")?.ok_or_else(|| field(&vpath, "id", "a string"))?;
                    let aliases = string_list(vuln, &vpath, "aliases")?;
                    let severity = severity_word(word_of(id));
                    findings.push(vuln_finding(
                        "osv-scanner",
                        Category::Dependencies,
                        id,
                        aliases,
                        package.clone(),
                        severity,
                        summary_of(id).unwrap_or(id),
                        source.clone(),
                    ));
                }
            }
            for (g, group) in groups.iter().enumerate() {
                let gpath = at(&ppath, "groups", g);
                let ids = string_list(group, &gpath, "ids")?;
                let Some(id) = ids.first() else {
                    return Err(field(&gpath, "ids", "a non-empty array of strings"));
                };
                let mut aliases = string_list(group, &gpath, "aliases")?;
                aliases.extend(ids.iter().skip(1).cloned());
                let severity = match opt_score(group, &gpath, "max_severity")? {
                    Some(score) => Severity::from_score(score),
                    None => severity_word(ids.iter().find_map(|i| word_of(i))),
                };
                findings.push(vuln_finding(
                    "osv-scanner",
                    Category::Dependencies,
                    id,
                    aliases,
                    package.clone(),
                    severity,
                    ids.iter().find_map(|i| summary_of(i)).unwrap_or(id),
                    source.clone(),
                ));
            }
        }
    }
    Ok(findings)
}

fn string_list(v: &Value, path: &str, key: &str) -> Result<Vec<String>, ReadErrorKind> {
    opt_array(v, path, key)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.as_str()
                .map(ToOwned::to_owned)
                .ok_or_else(|| field(path, &format!("{key}[{i}]"), "a string"))
        })
        .collect()
}

pub(crate) fn read_npm_audit(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    match v.get("auditReportVersion").and_then(Value::as_u64) {
        Some(2) => {}
        _ => return Err(field("$", "auditReportVersion", "2 (npm 7 or later)")),
    }
    let mut findings = Vec::new();
    let Some(vulns) = opt_object(v, "$", "vulnerabilities")? else {
        return Ok(findings);
    };
    for (name, entry) in vulns {
        let epath = format!("$.vulnerabilities[{}]", Value::String(name.clone()));
        let direct = entry.get("isDirect").and_then(Value::as_bool);
        for (i, via) in opt_array(entry, &epath, "via")?.iter().enumerate() {
            // A string names the package through which the advisory arrives; that package has its own entry.
            let Value::Object(_) = via else { continue };
            let vpath = at(&epath, "via", i);
            let url = str_or_empty(via, &vpath, "url")?;
            let id = url
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(ToOwned::to_owned)
                .or_else(|| via.get("source").map(|s| format!("npm-advisory-{s}")))
                .ok_or_else(|| field(&vpath, "url", "an advisory URL"))?;
            let dependency = opt_str(via, &vpath, "dependency")?.unwrap_or(name);
            let range = str_or_empty(via, &vpath, "range")?;
            let package = Package {
                name: dependency.to_owned(),
                version: range.to_owned(),
                purl: None,
                ecosystem: Some("npm".to_owned()),
                direct: if dependency == name { direct } else { None },
            };
            let nodes = opt_array(entry, &epath, "nodes")?;
            let location = nodes.first().and_then(Value::as_str).map(|n| Location {
                path: normalise_path(n),
                line: None,
            });
            let severity = match via
                .get("cvss")
                .map(|c| opt_score(c, &format!("{vpath}.cvss"), "score"))
                .transpose()?
            {
                Some(Some(score)) if score > 0.0 => Severity::from_score(score),
                _ => severity_word(opt_str(via, &vpath, "severity")?),
            };
            findings.push(vuln_finding(
                "npm-audit",
                Category::Dependencies,
                &id,
                Vec::new(),
                package,
                severity,
                opt_str(via, &vpath, "title")?.unwrap_or(&id),
                location,
            ));
        }
    }
    Ok(findings)
}

pub(crate) fn read_cyclonedx(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    // bom-ref -> (name, version, purl), over nested components without recursion.
    let mut components: BTreeMap<String, Package> = BTreeMap::new();
    let mut stack: Vec<(&Value, String)> = Vec::new();
    for (i, c) in opt_array(v, "$", "components")?.iter().enumerate() {
        stack.push((c, at("$", "components", i)));
    }
    if let Some(component) = v.get("metadata").and_then(|m| m.get("component")) {
        stack.push((component, "$.metadata.component".to_owned()));
    }
    while let Some((c, path)) = stack.pop() {
        if let Some(r) = opt_str(c, &path, "bom-ref")? {
            components.insert(
                r.to_owned(),
                Package {
                    name: str_or_empty(c, &path, "name")?.to_owned(),
                    version: str_or_empty(c, &path, "version")?.to_owned(),
                    purl: opt_str(c, &path, "purl")?.map(ToOwned::to_owned),
                    ecosystem: None,
                    direct: None,
                },
            );
        }
        for (i, child) in opt_array(c, &path, "components")?.iter().enumerate() {
            stack.push((child, at(&path, "components", i)));
        }
    }
    let mut findings = Vec::new();
    for (i, vuln) in opt_array(v, "$", "vulnerabilities")?.iter().enumerate() {
        let path = at("$", "vulnerabilities", i);
        let id = opt_str(vuln, &path, "id")?.ok_or_else(|| field(&path, "id", "a string"))?;
        let mut severity: Option<Severity> = None;
        for (r, rating) in opt_array(vuln, &path, "ratings")?.iter().enumerate() {
            let rpath = at(&path, "ratings", r);
            let this = match opt_str(rating, &rpath, "severity")?.and_then(Severity::from_word) {
                Some(s) => Some(s),
                None => opt_score(rating, &rpath, "score")?.map(Severity::from_score),
            };
            // The most severe rating counts.
            severity = match (severity, this) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let aliases = opt_array(vuln, &path, "references")?
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .map(ToOwned::to_owned)
            .collect::<Vec<_>>();
        let suppressed = match vuln.get("analysis") {
            Some(a) => {
                let apath = format!("{path}.analysis");
                match opt_str(a, &apath, "state")? {
                    Some(
                        state @ ("not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree"),
                    ) => Some(Suppression {
                        source: "vex".to_owned(),
                        status: state.to_owned(),
                        justification: opt_str(a, &apath, "justification")?
                            .or(opt_str(a, &apath, "detail")?)
                            .map(ToOwned::to_owned),
                        document: None,
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        let message = opt_str(vuln, &path, "description")?
            .or(opt_str(vuln, &path, "detail")?)
            .unwrap_or(id);
        let affects = opt_array(vuln, &path, "affects")?;
        if affects.is_empty() {
            return Err(field(&path, "affects", "a non-empty array"));
        }
        for (a, affect) in affects.iter().enumerate() {
            let apath = at(&path, "affects", a);
            let r = opt_str(affect, &apath, "ref")?.ok_or_else(|| field(&apath, "ref", "a string"))?;
            let package = components.get(r).cloned().unwrap_or_else(|| Package {
                name: r.to_owned(),
                version: String::new(),
                purl: r.starts_with("pkg:").then(|| r.to_owned()),
                ecosystem: None,
                direct: None,
            });
            let mut f = vuln_finding(
                "cyclonedx",
                Category::Dependencies,
                id,
                aliases.clone(),
                package,
                severity.unwrap_or(Severity::Medium),
                message,
                None,
            );
            f.suppressed = suppressed.clone().map(Box::new);
            findings.push(f);
        }
    }
    Ok(findings)
}
