//! SARIF 2.1.0 for every scanner: one run, the rules that the results name, one physical location per
//! result relative to the scanned root (`%SRCROOT%`), columns in Unicode scalar values.

use std::fmt::Write as _;

use serde_json::{Value, json};

/// SARIF levels used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Blocks.
    Error,
    /// Worth fixing.
    Warning,
    /// Informational.
    Note,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A rule as SARIF describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its id (`ruleId` of its results).
    pub id: String,
    /// One sentence.
    pub description: String,
    /// Default level.
    pub level: Level,
}

/// Where a result is: a path relative to the root, and optionally a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// First line (1-based).
    pub start_line: usize,
    /// First column (1-based).
    pub start_column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column after the last character.
    pub end_column: usize,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Result {
    /// The rule's id.
    pub rule_id: String,
    /// Level.
    pub level: Level,
    /// What was found (never a secret).
    pub message: String,
    /// The path relative to the scanned root, `/`-separated.
    pub path: String,
    /// The region, when the result is inside the file.
    pub region: Option<Region>,
    /// A stable fingerprint (rule, path and what identifies the finding).
    pub fingerprint: String,
}

/// One run of one scanner.
#[derive(Debug, Clone)]
pub struct Run {
    /// The tool's name.
    pub tool: String,
    /// Its version.
    pub version: String,
    /// Every rule the tool applied, in order.
    pub rules: Vec<Rule>,
    /// Results, in order.
    pub results: Vec<Result>,
    /// The scanned root as a `file://` URI ending in `/`, when known.
    pub root_uri: Option<String>,
}

/// Percent-encodes a relative path for a URI reference (RFC 3986 unreserved characters and `/` stay).
#[must_use]
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A `file://` URI for an absolute directory, ending in `/`.
#[must_use]
pub fn dir_uri(abs: &str) -> String {
    let mut uri = format!("file://{}", uri_path(abs));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The SARIF document.
#[must_use]
pub fn document(run: &Run) -> Value {
    let rules: Vec<Value> = run
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": r.description},
                "defaultConfiguration": {"level": r.level.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = run
        .results
        .iter()
        .map(|r| {
            let mut physical = serde_json::Map::new();
            physical.insert(
                "artifactLocation".into(),
                json!({"uri": uri_path(&r.path), "uriBaseId": "SRCROOT"}),
            );
            if let Some(region) = &r.region {
                physical.insert(
                    "region".into(),
                    json!({
                        "startLine": region.start_line.max(1),
                        "startColumn": region.start_column.max(1),
                        "endLine": region.end_line.max(region.start_line).max(1),
                        "endColumn": region.end_column.max(1),
                    }),
                );
            }
            let mut result = serde_json::Map::new();
            result.insert("ruleId".into(), json!(r.rule_id));
            if let Some(i) = run.rules.iter().position(|x| x.id == r.rule_id) {
                result.insert("ruleIndex".into(), json!(i));
            }
            result.insert("level".into(), json!(r.level.as_str()));
            result.insert("message".into(), json!({"text": r.message}));
            result.insert("locations".into(), json!([{"physicalLocation": physical}]));
            result.insert(
                "partialFingerprints".into(),
                json!({"provenantFinding/v1": r.fingerprint}),
            );
            Value::Object(result)
        })
        .collect();
    let mut run_value = serde_json::Map::new();
    run_value.insert(
        "tool".into(),
        json!({"driver": {
            "name": run.tool,
            "version": run.version,
            "informationUri": "https://github.com/provenant-dev/provenant",
            "rules": rules,
        }}),
    );
    if let Some(root) = &run.root_uri {
        run_value.insert("originalUriBaseIds".into(), json!({"SRCROOT": {"uri": root}}));
    }
    run_value.insert("columnKind".into(), json!("unicodeCodePoints"));
    run_value.insert("results".into(), Value::Array(results));
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run_value],
    })
}

#[cfg(test)]
mod tests {
    use super::{dir_uri, uri_path};

    #[test]
    fn uris() {
        assert_eq!(uri_path("a b/c#.txt"), "a%20b/c%23.txt");
        assert_eq!(dir_uri("/tmp/x"), "file:///tmp/x/");
    }
}
