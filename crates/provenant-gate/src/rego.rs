//! Custom rules in Rego, evaluated with regorus over the normalised evidence (`input`), so that OPA
//! users' policies carry over.
//!
//! A rule's query (default `data.<package>.deny`) must give a set or array. Each element is a finding:
//! a string (its message, severity high), or an object with `msg` (or `message`) and optionally
//! `severity` (`critical` … `info`), `id` and `location`.

use provenant_findings::{Severity, rule_finding_id};
use serde_json::Value;

use crate::evaluate::{CustomFinding, CustomResult};
use crate::policy::RuleConfig;

/// A custom rule that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegoError {
    /// The Rego source does not compile.
    #[error("rule {rule} ({file}): {reason}")]
    Compile {
        /// The rule id.
        rule: String,
        /// The .rego file.
        file: String,
        /// The interpreter's message.
        reason: String,
    },
    /// The query failed or gave something other than a set or array of findings.
    #[error("rule {rule} ({file}): query {query}: {reason}")]
    Query {
        /// The rule id.
        rule: String,
        /// The .rego file.
        file: String,
        /// The query.
        query: String,
        /// What went wrong.
        reason: String,
    },
}

/// One rule with its source.
#[derive(Debug, Clone)]
pub struct Rule<'a> {
    /// Its configuration.
    pub config: &'a RuleConfig,
    /// The `.rego` file as named for messages.
    pub file: &'a str,
    /// Its source text.
    pub source: &'a str,
}

fn package_of(source: &str) -> Option<&str> {
    source.lines().find_map(|l| {
        let l = l.trim();
        l.strip_prefix("package ").map(str::trim)
    })
}

/// Evaluates each rule on `input` (the normalised evidence as JSON).
pub fn run_rules(rules: &[Rule<'_>], input: &Value) -> Result<Vec<CustomResult>, RegoError> {
    let input_json = input.to_string();
    let mut results = Vec::new();
    for rule in rules {
        let compile = |reason: String| RegoError::Compile {
            rule: rule.config.id.clone(),
            file: rule.file.to_owned(),
            reason,
        };
        let query = match &rule.config.query {
            Some(q) => q.clone(),
            None => format!(
                "data.{}.deny",
                package_of(rule.source).ok_or_else(|| compile("no package declaration".to_owned()))?
            ),
        };
        let query_error = |reason: String| RegoError::Query {
            rule: rule.config.id.clone(),
            file: rule.file.to_owned(),
            query: query.clone(),
            reason,
        };
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(rule.file.to_owned(), rule.source.to_owned())
            .map_err(|e| compile(e.to_string()))?;
        engine
            .set_input_json(&input_json)
            .map_err(|e| query_error(e.to_string()))?;
        let value = engine
            .eval_rule(query.clone())
            .map_err(|e| query_error(e.to_string()))?;
        let json = if value == regorus::Value::Undefined {
            Value::Array(Vec::new())
        } else {
            let text = value.to_json_str().map_err(|e| query_error(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| query_error(e.to_string()))?
        };
        let Value::Array(items) = json else {
            return Err(query_error("the result is not a set or an array".to_owned()));
        };
        let mut findings = Vec::new();
        for item in items {
            let (message, severity, id, location) = match &item {
                Value::String(s) => (s.clone(), Severity::High, None, None),
                Value::Object(o) => {
                    let message = o
                        .get("msg")
                        .or_else(|| o.get("message"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| query_error("a finding object has no msg".to_owned()))?
                        .to_owned();
                    let severity = match o.get("severity").and_then(Value::as_str) {
                        Some(s) => Severity::from_word(s).ok_or_else(|| {
                            query_error(format!(
                                "severity {s:?} is not critical, high, medium, low or info"
                            ))
                        })?,
                        None => Severity::High,
                    };
                    let id = o.get("id").and_then(Value::as_str).map(ToOwned::to_owned);
                    let location = o.get("location").and_then(Value::as_str).map(ToOwned::to_owned);
                    (message, severity, id, location)
                }
                _ => {
                    return Err(query_error(
                        "a finding is neither a string nor an object".to_owned(),
                    ));
                }
            };
            findings.push(CustomFinding {
                id: id.unwrap_or_else(|| rule_finding_id(&rule.config.id, location.as_deref(), &message)),
                severity,
                location,
                message,
            });
        }
        findings.sort_by(|a, b| (a.severity, &a.id).cmp(&(b.severity, &b.id)));
        results.push(CustomResult {
            id: rule.config.id.clone(),
            findings,
        });
    }
    Ok(results)
}
