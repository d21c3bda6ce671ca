//! Small helpers for reading `serde_json` values with JSON-path errors.

use serde_json::Value;

use crate::ReadErrorKind;

pub(crate) fn field(path: &str, key: &str, expected: &'static str) -> ReadErrorKind {
    ReadErrorKind::Field {
        path: format!("{path}.{key}"),
        expected,
    }
}

/// `v[key]` as a string, `None` when absent or null, an error when another type.
pub(crate) fn opt_str<'a>(v: &'a Value, path: &str, key: &str) -> Result<Option<&'a str>, ReadErrorKind> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field(path, key, "a string")),
    }
}

/// `v[key]` as a string, `""` when absent.
pub(crate) fn str_or_empty<'a>(v: &'a Value, path: &str, key: &str) -> Result<&'a str, ReadErrorKind> {
    Ok(opt_str(v, path, key)?.unwrap_or_default())
}

/// `v[key]` as an array, empty when absent or null, an error when another type.
pub(crate) fn opt_array<'a>(v: &'a Value, path: &str, key: &str) -> Result<&'a [Value], ReadErrorKind> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(field(path, key, "an array")),
    }
}

/// `v[key]` as an object, when present.
pub(crate) fn opt_object<'a>(
    v: &'a Value,
    path: &str,
    key: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>, ReadErrorKind> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(field(path, key, "an object")),
    }
}

/// `v[key]` as an unsigned integer (also from a string of digits), when present.
pub(crate) fn opt_u64(v: &Value, path: &str, key: &str) -> Result<Option<u64>, ReadErrorKind> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| field(path, key, "a non-negative integer")),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| field(path, key, "a non-negative integer")),
        Some(_) => Err(field(path, key, "a non-negative integer")),
    }
}

/// A number or a numeric string as `f64`, when present.
pub(crate) fn opt_score(v: &Value, path: &str, key: &str) -> Result<Option<f64>, ReadErrorKind> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| field(path, key, "a number")),
        Some(_) => Err(field(path, key, "a number")),
    }
}

/// The path of element `i` of the array at `path.key`.
pub(crate) fn at(path: &str, key: &str, i: usize) -> String {
    format!("{path}.{key}[{i}]")
}

/// Text bounded to `max` characters, on one line.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let first = text.trim().lines().next().unwrap_or_default();
    // No more bytes than `max` means no more characters than `max`: nothing to cut.
    if first.len() <= max {
        return first.to_owned();
    }
    let mut out: String = first.chars().take(max).collect();
    if first.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}
