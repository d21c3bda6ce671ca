//! SARIF 2.1.0 and checkstyle XML.
//!
//! A SARIF result's severity is its `security-severity` property (the result's, else its rule's: 9.0+
//! critical, 7.0+ high, 4.0+ medium, above 0 low), else its level (the result's, else the rule's
//! `defaultConfiguration.level`, else `warning`): `error` high, `warning` medium, `note` low, `none`
//! info. Only results of kind `fail` (the default) are findings. Which gate a run's results belong to
//! follows from its tool: linters go to `lint`, secret scanners to `secrets`, Provenant's own
//! `hygiene` and `pinning` scanners to theirs, anything else to `sast`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::json::{at, field, one_line, opt_array, opt_object, opt_score, opt_str, opt_u64};
use crate::{
    Category, Finding, Location, ReadErrorKind, Severity, Suppression, normalise_path, rule_finding_id,
};

/// Longest message kept per finding.
pub(crate) const MAX_MESSAGE: usize = 1000;

/// The gate of a tool's findings, from its name.
#[must_use]
pub(crate) fn category_of_tool(tool: &str) -> Category {
    const LINTERS: [&str; 17] = [
        "eslint",
        "clippy",
        "ruff",
        "pylint",
        "flake8",
        "golangci",
        "checkstyle",
        "shellcheck",
        "hadolint",
        "actionlint",
        "stylelint",
        "rubocop",
        "ktlint",
        "detekt",
        "pmd",
        "mypy",
        "tflint",
    ];
    let t = tool.to_ascii_lowercase();
    if t.contains("gitleaks")
        || t.contains("detect-secrets")
        || t.contains("secret")
        || t.contains("trufflehog")
    {
        Category::Secrets
    } else if t.contains("hygiene") {
        Category::Hygiene
    } else if t.contains("pinning") {
        Category::Pinning
    } else if LINTERS.iter().any(|l| t.contains(l)) {
        Category::Lint
    } else {
        Category::Sast
    }
}

pub(crate) fn level_severity(level: &str) -> Option<Severity> {
    match level {
        "error" => Some(Severity::High),
        "warning" => Some(Severity::Medium),
        "note" => Some(Severity::Low),
        "none" => Some(Severity::Info),
        _ => None,
    }
}

struct Rule<'a> {
    level: Option<&'a str>,
    security_severity: Option<f64>,
    name: Option<&'a str>,
}

fn read_rules<'a>(
    component: &'a Value,
    path: &str,
    rules: &mut Vec<(String, Rule<'a>)>,
) -> Result<(), ReadErrorKind> {
    for (i, rule) in opt_array(component, path, "rules")?.iter().enumerate() {
        let rpath = at(path, "rules", i);
        let id = opt_str(rule, &rpath, "id")?.unwrap_or_default().to_owned();
        let level = match rule.get("defaultConfiguration") {
            Some(c) => opt_str(c, &format!("{rpath}.defaultConfiguration"), "level")?,
            None => None,
        };
        let security_severity = match rule.get("properties") {
            Some(p) => opt_score(p, &format!("{rpath}.properties"), "security-severity")?,
            None => None,
        };
        let name = opt_str(rule, &rpath, "name")?;
        rules.push((
            id,
            Rule {
                level,
                security_severity,
                name,
            },
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_lines)] // one pass over a run: rules, then results in order
pub(crate) fn read_sarif(v: &Value) -> Result<(Vec<Finding>, BTreeSet<Category>), ReadErrorKind> {
    if let Some(version) = opt_str(v, "$", "version")?
        && version != "2.1.0"
    {
        return Err(field("$", "version", "\"2.1.0\" (only SARIF 2.1.0 is read)"));
    }
    let mut findings = Vec::new();
    let mut categories = BTreeSet::new();
    let Some(Value::Array(runs)) = v.get("runs") else {
        return Err(field("$", "runs", "an array"));
    };
    for (r, run) in runs.iter().enumerate() {
        let rpath = at("$", "runs", r);
        let driver = run
            .get("tool")
            .and_then(|t| t.get("driver"))
            .ok_or_else(|| field(&rpath, "tool.driver", "an object"))?;
        let dpath = format!("{rpath}.tool.driver");
        let tool = opt_str(driver, &dpath, "name")?.unwrap_or("unknown").to_owned();
        let category = category_of_tool(&tool);
        categories.insert(category);
        let mut driver_rules = Vec::new();
        read_rules(driver, &dpath, &mut driver_rules)?;
        let mut extensions = Vec::new();
        if let Some(tool_obj) = run.get("tool") {
            for (e, ext) in opt_array(tool_obj, &format!("{rpath}.tool"), "extensions")?
                .iter()
                .enumerate()
            {
                let mut rules = Vec::new();
                read_rules(ext, &at(&format!("{rpath}.tool"), "extensions", e), &mut rules)?;
                extensions.push(rules);
            }
        }
        let by_id: BTreeMap<&str, &Rule<'_>> = driver_rules
            .iter()
            .chain(extensions.iter().flatten())
            .map(|(id, rule)| (id.as_str(), rule))
            .collect();
        for (i, result) in opt_array(run, &rpath, "results")?.iter().enumerate() {
            let path = at(&rpath, "results", i);
            if !result.is_object() {
                return Err(ReadErrorKind::Field {
                    path,
                    expected: "an object",
                });
            }
            if let Some(kind) = opt_str(result, &path, "kind")?
                && kind != "fail"
            {
                continue;
            }
            let rule_ref = result.get("rule");
            let rule_index = match rule_ref {
                Some(r) => opt_u64(r, &format!("{path}.rule"), "index")?,
                None => None,
            }
            .or(opt_u64(result, &path, "ruleIndex")?);
            let rule_id = opt_str(result, &path, "ruleId")?
                .or(rule_ref.and_then(|r| r.get("id")).and_then(Value::as_str));
            let indexed = rule_index.and_then(|i| driver_rules.get(usize::try_from(i).ok()?));
            let (rule_id, rule) = match (rule_id, indexed) {
                (Some(id), _) => (id.to_owned(), by_id.get(id).copied()),
                (None, Some((id, rule))) => (id.clone(), Some(rule)),
                (None, None) => ("unknown".to_owned(), None),
            };
            let level = opt_str(result, &path, "level")?
                .or(rule.and_then(|r| r.level))
                .unwrap_or("warning");
            let security = match result.get("properties") {
                Some(p) => opt_score(p, &format!("{path}.properties"), "security-severity")?,
                None => None,
            }
            .or(rule.and_then(|r| r.security_severity));
            let severity = match security {
                Some(score) => Severity::from_score(score),
                None => level_severity(level)
                    .ok_or_else(|| field(&path, "level", "none, note, warning or error"))?,
            };
            let message = result
                .get("message")
                .and_then(|m| m.get("text").or_else(|| m.get("markdown")))
                .and_then(Value::as_str)
                .or(rule.and_then(|r| r.name))
                .unwrap_or_default();
            let location = first_location(result, &path)?;
            let fingerprint = fingerprint(result, &path, location.as_ref())?;
            let suppressed = suppression(result, &path)?;
            findings.push(Finding {
                id: rule_finding_id(&rule_id, location.as_ref().map(|l| l.path.as_str()), &fingerprint),
                category,
                severity,
                rule: rule_id,
                location,
                message: one_line(message, MAX_MESSAGE),
                tool: tool.clone(),
                package: None,
                aliases: Vec::new(),
                fixed_version: None,
                layer: None,
                layer_index: None,
                suppressed: suppressed.map(Box::new),
            });
        }
    }
    Ok((findings, categories))
}

fn first_location(result: &Value, path: &str) -> Result<Option<Location>, ReadErrorKind> {
    let Some(loc) = opt_array(result, path, "locations")?.first() else {
        return Ok(None);
    };
    let lpath = format!("{path}.locations[0]");
    let Some(physical) = loc.get("physicalLocation") else {
        return Ok(None);
    };
    let ppath = format!("{lpath}.physicalLocation");
    let uri = match physical.get("artifactLocation") {
        Some(a) => opt_str(a, &format!("{ppath}.artifactLocation"), "uri")?,
        None => None,
    };
    let line = match physical.get("region") {
        Some(r) => opt_u64(r, &format!("{ppath}.region"), "startLine")?,
        None => None,
    };
    Ok(uri.map(|uri| Location {
        path: normalise_path(&percent_decode(uri)),
        line,
    }))
}

/// SARIF URIs percent-encode spaces and the like.
pub(crate) fn percent_decode(uri: &str) -> String {
    if !uri.contains('%') {
        return uri.to_owned();
    }
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(text) = std::str::from_utf8(hex)
            && let Ok(decoded) = u8::from_str_radix(text, 16)
        {
            out.push(decoded);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The scanner's own fingerprint when it gives one (sorted by key, first), else the start line.
fn fingerprint(result: &Value, path: &str, location: Option<&Location>) -> Result<String, ReadErrorKind> {
    for key in ["fingerprints", "partialFingerprints"] {
        if let Some(prints) = opt_object(result, path, key)?
            && let Some((k, v)) = prints.iter().min_by(|a, b| a.0.cmp(b.0))
            && let Some(v) = v.as_str()
            // semgrep writes a placeholder when it cannot log in.
            && !v.contains("requires login")
        {
            return Ok(format!("{k}={v}"));
        }
    }
    Ok(location
        .and_then(|l| l.line)
        .map(|l| l.to_string())
        .unwrap_or_default())
}

fn suppression(result: &Value, path: &str) -> Result<Option<Suppression>, ReadErrorKind> {
    for (i, s) in opt_array(result, path, "suppressions")?.iter().enumerate() {
        let spath = at(path, "suppressions", i);
        let status = opt_str(s, &spath, "status")?.unwrap_or("accepted");
        if status == "accepted" {
            return Ok(Some(Suppression {
                source: "sarif".to_owned(),
                status: opt_str(s, &spath, "kind")?.unwrap_or("external").to_owned(),
                justification: opt_str(s, &spath, "justification")?.map(ToOwned::to_owned),
                document: None,
            }));
        }
    }
    Ok(None)
}

pub(crate) fn read_checkstyle(doc: &roxmltree::Document<'_>) -> Result<Vec<Finding>, ReadErrorKind> {
    let mut findings = Vec::new();
    for file in doc
        .root_element()
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "file")
    {
        let name = file.attribute("name").ok_or_else(|| ReadErrorKind::Element {
            line: doc.text_pos_at(file.range().start).row as usize,
            element: "file".to_owned(),
            problem: "has no name attribute".to_owned(),
        })?;
        let path = normalise_path(name);
        for error in file
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "error")
        {
            let severity = match error.attribute("severity").unwrap_or("error") {
                "error" => Severity::High,
                "warning" => Severity::Medium,
                "info" => Severity::Low,
                _ => Severity::Info,
            };
            let line = error.attribute("line").and_then(|l| l.parse::<u64>().ok());
            let rule = error.attribute("source").unwrap_or("checkstyle").to_owned();
            let location = Location {
                path: path.clone(),
                line,
            };
            findings.push(Finding {
                id: rule_finding_id(
                    &rule,
                    Some(&path),
                    &line.map(|l| l.to_string()).unwrap_or_default(),
                ),
                category: Category::Lint,
                severity,
                rule,
                location: Some(location),
                message: one_line(error.attribute("message").unwrap_or_default(), MAX_MESSAGE),
                tool: "checkstyle".to_owned(),
                package: None,
                aliases: Vec::new(),
                fixed_version: None,
                layer: None,
                layer_index: None,
                suppressed: None,
            });
        }
    }
    Ok(findings)
}
