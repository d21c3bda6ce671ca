//! Bounds on what the text parsers allocate: proportional to a file's content, never to its line count.
//!
//! The TOML, YAML and JSON libraries keep a record per token (a blank line or a comment is one) or per
//! value, many times the size of the bytes it stands for. So before a lockfile reaches one of them:
//!
//! - TOML: blank and comment-only lines (outside multi-line strings) are left out ([`toml_content`]):
//!   they carry nothing a cataloger reads, and a file padded with newlines then costs what its content does;
//! - every format: the number of values is estimated in one pass over the bytes ([`too_many_values`]),
//!   and a file holding more than [`MAX_VALUES`] is refused with a warning (the largest real lockfiles
//!   hold a few hundred thousand);
//! - YAML: the nesting depth of flow collections (`[`, `{`) is checked first ([`yaml_flow_depth`]): the
//!   YAML scanner spends time proportional to the depth on every token, so a file of nested brackets
//!   would take quadratic time before the deserialiser's recursion limit refused it.

use std::borrow::Cow;

use crate::Warning;

/// Most values (tokens of a TOML file, scalars and collections of JSON and YAML, entries of line formats)
/// a lockfile may hold; more is refused with a warning.
pub const MAX_VALUES: usize = 4_000_000;

/// Deepest nesting of YAML flow collections read (the YAML deserialiser's own recursion limit).
pub const MAX_YAML_DEPTH: usize = 128;

/// The state of the TOML scanner between characters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TomlState {
    Normal,
    Basic,
    Literal,
    MultiBasic,
    MultiLiteral,
}

/// The lines of a TOML document that carry something: `(line number, line with its newline)`, leaving
/// out blank and comment-only lines outside multi-line strings.
fn toml_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut state = TomlState::Normal;
    text.split_inclusive('\n')
        .enumerate()
        .filter_map(move |(i, line)| {
            let at_start = state;
            state = toml_scan(line, state);
            let trimmed = line.trim_start_matches([' ', '\t', '\r', '\n']);
            let empty = trimmed.is_empty() || trimmed.starts_with('#');
            (at_start != TomlState::Normal || !empty).then_some((i + 1, line))
        })
}

/// The state after `line`, from `state` before it.
fn toml_scan(line: &str, mut state: TomlState) -> TomlState {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let triple = |q: u8| b.get(i..i + 3).is_some_and(|s| s.iter().all(|&x| x == q));
        match state {
            TomlState::Normal => match c {
                b'#' => break,
                b'"' if triple(b'"') => {
                    state = TomlState::MultiBasic;
                    i += 2;
                }
                b'\'' if triple(b'\'') => {
                    state = TomlState::MultiLiteral;
                    i += 2;
                }
                b'"' => state = TomlState::Basic,
                b'\'' => state = TomlState::Literal,
                _ => {}
            },
            TomlState::Basic | TomlState::MultiBasic if c == b'\\' => i += 1,
            TomlState::Basic if c == b'"' => state = TomlState::Normal,
            TomlState::Literal if c == b'\'' => state = TomlState::Normal,
            TomlState::MultiBasic if triple(b'"') => {
                state = TomlState::Normal;
                i += 2;
            }
            TomlState::MultiLiteral if triple(b'\'') => {
                state = TomlState::Normal;
                i += 2;
            }
            _ => {}
        }
        i += 1;
    }
    // A single-line string does not continue past its line (the parser reports it).
    match state {
        TomlState::Basic | TomlState::Literal => TomlState::Normal,
        s => s,
    }
}

/// `text` without its blank and comment-only lines (outside multi-line strings), which carry nothing a
/// cataloger reads; borrowed when there are none. Lines of the result map back with [`toml_line`].
#[must_use]
pub fn toml_content(text: &str) -> Cow<'_, str> {
    let kept: usize = toml_lines(text).map(|(_, l)| l.len()).sum();
    if kept == text.len() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(kept);
    for (_, line) in toml_lines(text) {
        out.push_str(line);
    }
    Cow::Owned(out)
}

/// The line of `text` that is line `line` (1-based) of [`toml_content`]`(text)`.
#[must_use]
pub fn toml_line(text: &str, line: usize) -> usize {
    toml_lines(text)
        .nth(line.saturating_sub(1))
        .map_or(line, |(n, _)| n)
}

/// An upper bound on the number of tokens or values in `text`: every punctuation byte, and every run of
/// letters and digits. Whitespace carries none of its own.
#[must_use]
pub fn value_estimate(text: &[u8]) -> usize {
    let mut count = 0usize;
    let mut in_word = false;
    for &c in text {
        let word = c.is_ascii_alphanumeric() || c >= 0x80 || matches!(c, b'_' | b'-' | b'.' | b'+');
        if word {
            count += usize::from(!in_word);
        } else if !c.is_ascii_whitespace() {
            count += 1;
        }
        in_word = word;
    }
    count
}

/// A warning when `text` holds more than [`MAX_VALUES`] values by [`value_estimate`].
#[must_use]
pub fn too_many_values(file: &str, text: &[u8]) -> Option<Warning> {
    let n = value_estimate(text);
    (n > MAX_VALUES).then(|| {
        Warning::new(
            file,
            None,
            format!(
                "holds about {n} values, more than the {MAX_VALUES} a lockfile is read with: not read \
                 (split it, or catalog the project it locks)"
            ),
        )
    })
}

/// A YAML scanner reduced to what decides where flow collections open and close, following libyaml's
/// rules: tokens start after whitespace or an indicator; quoted scalars run to their closing quote; a plain
/// scalar takes in quotes and, in block context, brackets; in flow context it ends at `,[]{}`, and it
/// continues onto following lines (in block context, onto lines indented more than the one it started on);
/// a block scalar (`|`, `>`) takes the lines indented more than its own.
struct YamlScan<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
    depth: usize,
}

impl YamlScan<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    fn bump(&mut self) {
        if self.peek(0) == Some(b'\n') {
            self.line += 1;
            self.line_start = self.i + 1;
        }
        self.i += 1;
    }

    /// The indentation of the line the scanner is on.
    fn indent(&self) -> usize {
        self.b
            .get(self.line_start..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| **c == b' ')
            .count()
    }

    fn skip_to_eol(&mut self) {
        while self.peek(0).is_some_and(|c| c != b'\n') {
            self.i += 1;
        }
    }

    /// Skips spaces, tabs, line breaks and comments; whether a line break was among them.
    fn skip_blank(&mut self) -> bool {
        let mut broke = false;
        while let Some(c) = self.peek(0) {
            match c {
                b' ' | b'\t' | b'\r' => self.bump(),
                b'\n' => {
                    broke = true;
                    self.bump();
                }
                b'#' => self.skip_to_eol(),
                _ => break,
            }
        }
        broke
    }

    fn quoted(&mut self, q: u8) {
        self.bump();
        while let Some(c) = self.peek(0) {
            if q == b'"' && c == b'\\' {
                self.bump();
            } else if c == q {
                if q == b'\'' && self.peek(1) == Some(b'\'') {
                    self.bump();
                } else {
                    self.bump();
                    return;
                }
            }
            self.bump();
        }
    }

    fn ends_plain(&self, c: u8) -> bool {
        let next_blank = self.peek(1).is_none_or(|n| n.is_ascii_whitespace());
        (c == b':'
            && (next_blank
                || (self.depth > 0 && matches!(self.peek(1), Some(b',' | b'[' | b']' | b'{' | b'}')))))
            || (self.depth > 0 && matches!(c, b',' | b'[' | b']' | b'{' | b'}'))
    }

    fn plain(&mut self) {
        let start_indent = self.indent();
        loop {
            while let Some(c) = self.peek(0) {
                if c.is_ascii_whitespace() || self.ends_plain(c) {
                    break;
                }
                self.bump();
            }
            // Whitespace: the scalar goes on unless a comment, an indicator or (in block context) a line
            // indented no more than its first follows.
            let save = (self.i, self.line, self.line_start);
            let mut broke = false;
            while let Some(c) = self.peek(0) {
                if !c.is_ascii_whitespace() {
                    break;
                }
                broke |= c == b'\n';
                self.bump();
            }
            let stop = match self.peek(0) {
                None | Some(b'#') => true,
                Some(c) => self.ends_plain(c) || (broke && self.depth == 0 && self.indent() <= start_indent),
            };
            if stop {
                (self.i, self.line, self.line_start) = save;
                return;
            }
        }
    }

    fn block_scalar(&mut self) {
        let own = self.indent();
        self.skip_to_eol();
        while self.peek(0) == Some(b'\n') {
            let rest = self.b.get(self.i + 1..).unwrap_or_default();
            let spaces = rest.iter().take_while(|c| **c == b' ').count();
            let blank = rest.get(spaces).is_none_or(|c| matches!(c, b'\n' | b'\r'));
            if !blank && spaces <= own {
                return;
            }
            self.bump();
            self.skip_to_eol();
        }
    }

    fn run(&mut self, file: &str) -> Result<(), Warning> {
        loop {
            self.skip_blank();
            let Some(c) = self.peek(0) else {
                return Ok(());
            };
            let next_blank = self.peek(1).is_none_or(|n| n.is_ascii_whitespace());
            match c {
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > MAX_YAML_DEPTH {
                        return Err(Warning::new(
                            file,
                            Some(self.line),
                            format!(
                                "column {}: flow collections nest deeper than {MAX_YAML_DEPTH}: not read",
                                self.i - self.line_start + 1
                            ),
                        ));
                    }
                    self.bump();
                }
                b']' | b'}' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.bump();
                }
                b',' => self.bump(),
                b'\'' | b'"' => self.quoted(c),
                b'|' | b'>' if self.depth == 0 => self.block_scalar(),
                b'-' | b'?' | b':' if next_blank => self.bump(),
                _ => {
                    let before = self.i;
                    self.plain();
                    if self.i == before {
                        self.bump();
                    }
                }
            }
        }
    }
}

/// Deserialises the TOML `text` of `file` (a `what`) after [`toml_content`] and [`too_many_values`]; errors
/// name the line of `text`.
pub(crate) fn toml_from_str<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    what: &str,
) -> Result<T, Warning> {
    let content = toml_content(text);
    if let Some(w) = too_many_values(file, content.as_bytes()) {
        return Err(w);
    }
    toml::from_str(&content).map_err(|e| {
        let line = e
            .span()
            .map(|s| toml_line(text, crate::line_of(&content, s.start)));
        Warning::new(file, line, format!("not a {what}: {}", e.message()))
    })
}

/// Deserialises the JSON `text` of `file` after [`too_many_values`]; errors name the line.
pub(crate) fn json_from_str<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, Warning> {
    if let Some(w) = too_many_values(file, text.as_bytes()) {
        return Err(w);
    }
    serde_json::from_str(text).map_err(|e| Warning::new(file, Some(e.line()), format!("not JSON: {e}")))
}

/// Deserialises the YAML `text` of `file` (a `what`) after [`too_many_values`] and [`yaml_flow_depth`].
pub(crate) fn yaml_from_str<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    what: &str,
) -> Result<T, Warning> {
    if let Some(w) = too_many_values(file, text.as_bytes()) {
        return Err(w);
    }
    yaml_flow_depth(file, text)?;
    yaml_serde::from_str(text)
        .map_err(|e| Warning::new(file, e.location().map(|l| l.line()), format!("not a {what}: {e}")))
}

/// Checks that no flow collection of the YAML `text` nests deeper than [`MAX_YAML_DEPTH`], stopping at the
/// first byte past the limit, in one pass (see `YamlScan` for the rules it follows).
///
/// # Errors
///
/// A warning naming the line and column where the limit was passed.
pub fn yaml_flow_depth(file: &str, text: &str) -> Result<(), Warning> {
    YamlScan {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        depth: 0,
    }
    .run(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_padding_is_left_out_but_strings_are_kept() {
        let text = "a = 1\n\n   \n# c\nb = \"\"\"x\n\n# not a comment\n\"\"\"\n\r\nc = '#' # d\n";
        assert_eq!(
            toml_content(text),
            "a = 1\nb = \"\"\"x\n\n# not a comment\n\"\"\"\nc = '#' # d\n"
        );
        assert_eq!(toml_line(text, 1), 1);
        assert_eq!(toml_line(text, 2), 5);
        assert_eq!(toml_line(text, 6), 10);
        assert!(matches!(toml_content("a = 1\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn values_are_estimated_from_words_and_punctuation() {
        assert_eq!(value_estimate(b"name = \"itoa\"\n\n\n   "), 5);
        assert_eq!(value_estimate(b"[1,2]"), 5);
    }

    #[test]
    fn yaml_depth_ignores_quoted_brackets_and_comments() {
        let deep = "[".repeat(200);
        assert!(yaml_flow_depth("f", &format!("a: '{deep}'\nb: \"{deep}\" # {deep}\n")).is_ok());
        let w = yaml_flow_depth("f", &format!("a: 1\nb: {deep}\n")).unwrap_err();
        assert_eq!(w.line, Some(2));
        assert!(w.message.starts_with("column 132:"), "{w}");
    }
}
