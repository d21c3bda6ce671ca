//! gitleaks' JSON report format (8.30's `report.Finding`, as `--report-format json` writes it:
//! one-space indentation, fields in its order, Go's string escaping), with every secret redacted.

use std::fmt::Write as _;

use super::{Finding, REDACTED};

/// Go's `encoding/json` string escaping (HTML-safe, as its encoder does by default).
fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The report: a JSON array of findings, secrets redacted, ending with a newline.
#[must_use]
pub fn gitleaks_json(findings: &[Finding]) -> String {
    let mut out = String::from("[");
    for (i, f) in findings.iter().enumerate() {
        out.push_str(if i == 0 { "\n {\n" } else { ",\n {\n" });
        let secret = if f.secret.is_empty() {
            String::new()
        } else {
            REDACTED.to_owned()
        };
        let fields_str: [(&str, &str); 3] =
            [("RuleID", &f.rule_id), ("Description", &f.description), ("", "")];
        for (k, v) in fields_str.iter().take(2) {
            let _ = write!(out, "  \"{k}\": ");
            go_string(v, &mut out);
            out.push_str(",\n");
        }
        for (k, v) in [
            ("StartLine", f.start_line),
            ("EndLine", f.end_line),
            ("StartColumn", f.start_column),
            ("EndColumn", f.end_column),
        ] {
            let _ = writeln!(out, "  \"{k}\": {v},");
        }
        for (k, v) in [
            ("Match", f.redacted_match()),
            ("Secret", secret),
            ("File", f.file.clone()),
            ("SymlinkFile", String::new()),
            ("Commit", String::new()),
        ] {
            let _ = write!(out, "  \"{k}\": ");
            go_string(&v, &mut out);
            out.push_str(",\n");
        }
        let _ = writeln!(out, "  \"Entropy\": {},", f.entropy);
        for k in ["Author", "Email", "Date", "Message"] {
            let _ = writeln!(out, "  \"{k}\": \"\",");
        }
        if f.tags.is_empty() {
            out.push_str("  \"Tags\": [],\n");
        } else {
            out.push_str("  \"Tags\": [");
            for (j, t) in f.tags.iter().enumerate() {
                out.push_str(if j == 0 { "\n   " } else { ",\n   " });
                go_string(t, &mut out);
            }
            out.push_str("\n  ],\n");
        }
        out.push_str("  \"Fingerprint\": ");
        go_string(&f.fingerprint(), &mut out);
        out.push_str("\n }");
    }
    out.push_str(if findings.is_empty() { "]\n" } else { "\n]\n" });
    out
}

#[cfg(test)]
mod tests {
    use super::gitleaks_json;
    use crate::secrets::Finding;

    #[test]
    fn empty_and_escaped() {
        assert_eq!(gitleaks_json(&[]), "[]\n");
        let f = Finding {
            rule_id: "r".into(),
            description: "a <b>".into(),
            file: "x.txt".into(),
            matched: "k=SECRET".into(),
            secret: "SECRET".into(),
            entropy: 2.0,
            start_line: 1,
            ..Finding::default()
        };
        let out = gitleaks_json(&[f]);
        assert!(out.contains("\"Description\": \"a \\u003cb\\u003e\""));
        assert!(out.contains("\"Match\": \"k=REDACTED\""));
        assert!(out.contains("\"Entropy\": 2,"));
        assert!(!out.contains("SECRET"));
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(parsed[0]["Fingerprint"], "x.txt:r:1");
    }
}
