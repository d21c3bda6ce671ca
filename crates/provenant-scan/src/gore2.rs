//! Go RE2 (`regexp` package) syntax translated to the `regex` crate's syntax.
//!
//! gitleaks compiles its rules with Go's `regexp`. The `regex` crate accepts almost the same language;
//! the differences that change what a pattern means or whether it compiles are rewritten here:
//!
//! - `\d`, `\w`, `\s` and `\b` (and their negations) are ASCII-only in Go and Unicode-aware in `regex`:
//!   they become explicit ASCII classes and `(?-u:\b)`.
//! - A `{` that does not start a valid counted repetition is a literal in Go and an error in `regex`.
//! - `\Q…\E` quoting, octal escapes (`\123`) and `\C` do not exist in `regex`.
//! - Inside a class, `[` (other than `[:name:]`), `&&`, `--` and `~~` are literal in Go and nested
//!   classes or set operations in `regex`.
//!
//! Anything else is passed through unchanged; the `regex` crate then reports what it still cannot
//! compile, and the caller lists such a rule as unsupported instead of dropping it silently.

use std::fmt::Write as _;

const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = "\\t\\n\\x0C\\r ";

/// Why a Go pattern could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranslateError {
    /// The pattern ends with a lone backslash.
    #[error("the pattern ends with a lone backslash")]
    TrailingBackslash,
    /// `\1`…`\7` not followed by another octal digit: a backreference, which RE2 refuses.
    #[error("backreferences (\\{digit}) are not supported by RE2")]
    Backreference {
        /// The digit.
        digit: char,
    },
    /// A character class is not closed.
    #[error("a character class opened at byte {offset} is not closed")]
    UnclosedClass {
        /// Byte offset of the `[`.
        offset: usize,
    },
}

/// Translates a Go `regexp` pattern into an equivalent `regex` crate pattern.
pub fn translate(pattern: &str) -> Result<String, TranslateError> {
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        match c {
            '\\' => {
                i = escape(&chars, i, &mut out, false)?;
            }
            '[' => {
                i = class(&chars, i, offset, &mut out)?;
            }
            '{' => {
                if let Some(len) = counted_repetition(&chars, i) {
                    for &(_, ch) in chars.iter().skip(i).take(len) {
                        out.push(ch);
                    }
                    i += len;
                } else {
                    out.push_str("\\{");
                    i += 1;
                }
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The length in chars of a valid Go counted repetition (`{n}`, `{n,}`, `{n,m}`, n and m ≤ 1000) at `i`.
fn counted_repetition(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let digits = |j: &mut usize| -> Option<u32> {
        let start = *j;
        let mut value: u32 = 0;
        while let Some(&(_, d)) = chars.get(*j) {
            let Some(v) = d.to_digit(10) else { break };
            value = value.saturating_mul(10).saturating_add(v);
            *j += 1;
        }
        (*j > start).then_some(value)
    };
    let min = digits(&mut j)?;
    if min > 1000 {
        return None;
    }
    match chars.get(j).map(|&(_, c)| c) {
        Some('}') => Some(j + 1 - i),
        Some(',') => {
            j += 1;
            if chars.get(j).map(|&(_, c)| c) == Some('}') {
                return Some(j + 1 - i);
            }
            let max = digits(&mut j)?;
            if max > 1000 || max < min || chars.get(j).map(|&(_, c)| c) != Some('}') {
                return None;
            }
            Some(j + 1 - i)
        }
        _ => None,
    }
}

/// Translates the escape starting at `chars[i]` (a backslash); returns the index after it.
fn escape(
    chars: &[(usize, char)],
    i: usize,
    out: &mut String,
    in_class: bool,
) -> Result<usize, TranslateError> {
    let Some(&(_, next)) = chars.get(i + 1) else {
        return Err(TranslateError::TrailingBackslash);
    };
    let class = |negated: bool, body: &str, out: &mut String| match (in_class, negated) {
        (true, false) => out.push_str(body),
        (_, true) => {
            let _ = write!(out, "[^{body}]");
        }
        (false, false) => {
            let _ = write!(out, "[{body}]");
        }
    };
    match next {
        'd' => class(false, ASCII_DIGIT, out),
        'D' => class(true, ASCII_DIGIT, out),
        'w' => class(false, ASCII_WORD, out),
        'W' => class(true, ASCII_WORD, out),
        's' => class(false, ASCII_SPACE, out),
        'S' => class(true, ASCII_SPACE, out),
        'b' if !in_class => out.push_str("(?-u:\\b)"),
        'B' if !in_class => out.push_str("(?-u:\\B)"),
        'C' if !in_class => out.push_str("(?s-u:.)"),
        'Q' => {
            // Literal text up to `\E` or the end of the pattern.
            let mut j = i + 2;
            while let Some(&(_, ch)) = chars.get(j) {
                if ch == '\\' && chars.get(j + 1).map(|&(_, c)| c) == Some('E') {
                    return Ok(j + 2);
                }
                push_literal(ch, out);
                j += 1;
            }
            return Ok(j);
        }
        '1'..='7' if !chars.get(i + 2).is_some_and(|&(_, c)| c.is_digit(8)) => {
            return Err(TranslateError::Backreference { digit: next });
        }
        '0'..='7' => {
            // Go: up to three octal digits. (`\8`, `\9` are errors in both.)
            let mut value: u32 = 0;
            let mut j = i + 1;
            while j < i + 4 {
                match chars.get(j).and_then(|&(_, c)| c.to_digit(8)) {
                    Some(d) => value = value * 8 + d,
                    None => break,
                }
                j += 1;
            }
            let _ = write!(out, "\\x{{{value:X}}}");
            return Ok(j);
        }
        _ => {
            out.push('\\');
            out.push(next);
            // \p{..}, \x{..}: copy the braces verbatim.
            if matches!(next, 'p' | 'P' | 'x') && chars.get(i + 2).map(|&(_, c)| c) == Some('{') {
                let mut j = i + 2;
                while let Some(&(_, ch)) = chars.get(j) {
                    out.push(ch);
                    j += 1;
                    if ch == '}' {
                        break;
                    }
                }
                return Ok(j);
            }
            if next == 'x' {
                // Two hex digits follow.
                for k in 0..2 {
                    if let Some(&(_, ch)) = chars.get(i + 2 + k) {
                        out.push(ch);
                    }
                }
                return Ok((i + 4).min(chars.len()));
            }
        }
    }
    Ok(i + 2)
}

fn push_literal(ch: char, out: &mut String) {
    if regex_syntax_meta(ch) {
        out.push('\\');
    }
    out.push(ch);
}

fn regex_syntax_meta(ch: char) -> bool {
    matches!(
        ch,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

/// Translates the class starting at `chars[i]` (a `[`); returns the index after its `]`.
fn class(
    chars: &[(usize, char)],
    i: usize,
    offset: usize,
    out: &mut String,
) -> Result<usize, TranslateError> {
    out.push('[');
    let mut j = i + 1;
    if chars.get(j).map(|&(_, c)| c) == Some('^') {
        out.push('^');
        j += 1;
    }
    // A `]` right after `[` or `[^` is a literal.
    if chars.get(j).map(|&(_, c)| c) == Some(']') {
        out.push_str("\\]");
        j += 1;
    }
    loop {
        let Some(&(_, c)) = chars.get(j) else {
            return Err(TranslateError::UnclosedClass { offset });
        };
        match c {
            ']' => {
                out.push(']');
                return Ok(j + 1);
            }
            '\\' => j = escape(chars, j, out, true)?,
            '[' => {
                // `[:name:]` is a POSIX class in both; any other `[` is a literal in Go.
                if chars.get(j + 1).map(|&(_, c)| c) == Some(':') {
                    let mut k = j + 2;
                    let mut closed = None;
                    while let Some(&(_, ch)) = chars.get(k) {
                        if ch == ':' && chars.get(k + 1).map(|&(_, c)| c) == Some(']') {
                            closed = Some(k + 2);
                            break;
                        }
                        if !(ch.is_ascii_alphabetic() || ch == '^') {
                            break;
                        }
                        k += 1;
                    }
                    if let Some(end) = closed {
                        for &(_, ch) in chars.iter().take(end).skip(j) {
                            out.push(ch);
                        }
                        j = end;
                        continue;
                    }
                }
                out.push_str("\\[");
                j += 1;
            }
            '&' | '~' => {
                out.push('\\');
                out.push(c);
                j += 1;
            }
            '-' if chars.get(j + 1).map(|&(_, c)| c) == Some('-') => {
                out.push_str("\\-");
                j += 1;
            }
            _ => {
                out.push(c);
                j += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn t(p: &str) -> String {
        translate(p).unwrap_or_default()
    }

    #[test]
    fn braces_that_are_not_repetitions_are_literals() {
        assert_eq!(t(r"^\${(?:[A-Z_]+)}$"), r"^\$\{(?:[A-Z_]+)\}$");
        assert_eq!(t(r"a{2,5}b{3}c{1,}"), r"a{2,5}b{3}c{1,}");
        assert_eq!(
            t(r"import[ \t]+{[ \t\w,]+}"),
            r"import[ \t]+\{[ \t0-9A-Za-z_,]+\}"
        );
    }

    #[test]
    fn perl_classes_are_ascii() {
        assert_eq!(t(r"\d\W"), "[0-9][^0-9A-Za-z_]");
        assert_eq!(t(r"[\w.-]"), "[0-9A-Za-z_.-]");
        assert_eq!(t(r"[^\S]"), r"[^[^\t\n\x0C\r ]]");
        assert_eq!(t(r"\bkey\b"), r"(?-u:\b)key(?-u:\b)");
    }

    #[test]
    fn quoting_octal_and_class_literals() {
        assert_eq!(t(r"\Qa.b\E+"), r"a\.b+");
        assert_eq!(t(r"\101"), r"\x{41}");
        assert_eq!(t(r"[[a]"), r"[\[a]");
        assert_eq!(t(r"[[:alpha:]&~]"), r"[[:alpha:]\&\~]");
        assert_eq!(t(r"[]a]"), r"[\]a]");
    }
}
