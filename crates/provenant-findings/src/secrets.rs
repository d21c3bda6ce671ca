//! Secret reports: gitleaks JSON and detect-secrets JSON (trivy's secrets are read with its report).
//!
//! A finding never carries the secret: only the rule, the file and the line. Secrets without a
//! severity from their scanner are `critical`.

use serde_json::Value;

use crate::json::{field, one_line, opt_array, opt_str, opt_u64, str_or_empty};
use crate::{Category, Finding, Location, ReadErrorKind, Severity, normalise_path, rule_finding_id};

pub(crate) fn secret_finding(
    tool: &str,
    rule: &str,
    file: &str,
    line: Option<u64>,
    message: &str,
    severity: Option<Severity>,
) -> Finding {
    let path = normalise_path(file);
    let fingerprint = line.map(|l| l.to_string()).unwrap_or_default();
    Finding {
        id: rule_finding_id(rule, Some(&path), &fingerprint),
        category: Category::Secrets,
        severity: severity.unwrap_or(Severity::Critical),
        rule: rule.to_owned(),
        location: (!path.is_empty()).then_some(Location { path, line }),
        message: one_line(message, 300),
        tool: tool.to_owned(),
        package: None,
        aliases: Vec::new(),
        fixed_version: None,
        layer: None,
        layer_index: None,
        suppressed: None,
    }
}

pub(crate) fn read_gitleaks(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    let Value::Array(items) = v else {
        return Err(field("$", "", "an array of gitleaks findings"));
    };
    let mut findings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("$[{i}]");
        let rule = opt_str(item, &path, "RuleID")?.ok_or_else(|| field(&path, "RuleID", "a string"))?;
        let file = str_or_empty(item, &path, "File")?;
        let line = opt_u64(item, &path, "StartLine")?;
        let description = opt_str(item, &path, "Description")?.unwrap_or(rule);
        findings.push(secret_finding("gitleaks", rule, file, line, description, None));
    }
    Ok(findings)
}

pub(crate) fn read_detect_secrets(v: &Value) -> Result<Vec<Finding>, ReadErrorKind> {
    let Some(Value::Object(results)) = v.get("results") else {
        return Err(field("$", "results", "an object"));
    };
    let mut findings = Vec::new();
    for (file, list) in results {
        let fpath = format!("$.results[{}]", Value::String(file.clone()));
        let Value::Array(list) = list else {
            return Err(ReadErrorKind::Field {
                path: fpath,
                expected: "an array",
            });
        };
        for (i, item) in list.iter().enumerate() {
            let path = format!("{fpath}[{i}]");
            let kind = opt_str(item, &path, "type")?.ok_or_else(|| field(&path, "type", "a string"))?;
            let line = opt_u64(item, &path, "line_number")?;
            let filename = opt_str(item, &path, "filename")?.unwrap_or(file);
            let rule = kind.to_ascii_lowercase().replace(' ', "-");
            findings.push(secret_finding(
                "detect-secrets",
                &rule,
                filename,
                line,
                kind,
                None,
            ));
        }
    }
    let _ = opt_array(v, "$", "plugins_used")?;
    Ok(findings)
}
