//! Placeholder substitution in the embedded templates.
//!
//! Two forms: `{{name}}` anywhere in a line is replaced by a value; a line holding only `{{> part}}`
//! (after indentation) is replaced by the named part's lines, each indented like the placeholder.
//! `${{ … }}` (a GitHub Actions expression) is left alone, as is any `{{` not followed by a name.
//! Everything is explicit: an unknown name is an error, never an empty string.

use std::collections::BTreeMap;

/// A placeholder that names nothing known.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderError {
    /// `{{name}}` without a value.
    #[error("template {template}, line {line}: no value for `{{{{{name}}}}}`")]
    UnknownValue {
        /// The template.
        template: String,
        /// 1-based line.
        line: usize,
        /// The placeholder's name.
        name: String,
    },
    /// `{{> part}}` without a part.
    #[error("template {template}, line {line}: no part `{name}`")]
    UnknownPart {
        /// The template.
        template: String,
        /// 1-based line.
        line: usize,
        /// The part's name.
        name: String,
    },
    /// `{{` opened and never closed on its line.
    #[error("template {template}, line {line}: unclosed `{{{{`")]
    Unclosed {
        /// The template.
        template: String,
        /// 1-based line.
        line: usize,
    },
}

/// Renders `text`: parts first (one level: a part's own placeholders are values only), then values.
///
/// # Errors
/// A [`RenderError`] naming the template, line and placeholder.
pub fn render(
    template: &str,
    text: &str,
    values: &BTreeMap<String, String>,
    parts: &BTreeMap<&str, &str>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed
            .strip_prefix("{{>")
            .and_then(|r| r.strip_suffix("}}"))
            .map(str::trim)
        {
            let part = parts.get(name).ok_or_else(|| RenderError::UnknownPart {
                template: template.to_owned(),
                line: i + 1,
                name: name.to_owned(),
            })?;
            let indent = line.get(..line.len() - trimmed.len()).unwrap_or_default();
            for part_line in part.lines() {
                if part_line.is_empty() {
                    out.push('\n');
                    continue;
                }
                let rendered = substitute(template, i + 1, part_line, values)?;
                out.push_str(indent);
                out.push_str(&rendered);
                out.push('\n');
            }
            continue;
        }
        out.push_str(&substitute(template, i + 1, line, values)?);
        out.push('\n');
    }
    Ok(out)
}

/// Replaces the `{{name}}` placeholders of one line.
fn substitute(
    template: &str,
    line_no: usize,
    line: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("{{") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after = from.get(2..).unwrap_or_default();
        let is_expression = before.ends_with('$');
        let starts_name = after.starts_with(|c: char| c.is_ascii_lowercase());
        if is_expression || !starts_name {
            out.push_str("{{");
            rest = after;
            continue;
        }
        let end = after.find("}}").ok_or_else(|| RenderError::Unclosed {
            template: template.to_owned(),
            line: line_no,
        })?;
        let name = after.get(..end).unwrap_or_default();
        let value = values.get(name).ok_or_else(|| RenderError::UnknownValue {
            template: template.to_owned(),
            line: line_no,
            name: name.to_owned(),
        })?;
        out.push_str(value);
        rest = after.get(end + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parts_and_expressions() {
        let values = BTreeMap::from([("a".to_owned(), "x".to_owned())]);
        let parts = BTreeMap::from([("p", "one {{a}}\n\ntwo")]);
        let out = render("t", "k: {{a}} ${{ github.ref }}\n  {{> p}}\n", &values, &parts).unwrap();
        assert_eq!(out, "k: x ${{ github.ref }}\n  one x\n\n  two\n");
        assert!(matches!(
            render("t", "{{b}}", &values, &parts),
            Err(RenderError::UnknownValue { line: 1, .. })
        ));
        assert!(matches!(
            render("t", "x\n {{> q}}", &values, &parts),
            Err(RenderError::UnknownPart { line: 2, .. })
        ));
        assert!(matches!(
            render("t", "{{a", &values, &parts),
            Err(RenderError::Unclosed { line: 1, .. })
        ));
    }
}
