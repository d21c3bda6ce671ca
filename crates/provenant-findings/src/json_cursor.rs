//! A cursor over JSON text that walks objects and arrays and finds where each value ends, without
//! parsing it: one pass over a large document that splits out the parts a reader wants (a SARIF log's
//! results) for a real parser to read, in parallel.
//!
//! The cursor checks the structure it walks (separators, brackets, strings) but not the contents of the
//! values it skips: a caller hands every span it keeps to `serde_json`, which checks it. It fails
//! (`None`) on anything it does not take for JSON, and on nesting deeper than [`MAX_DEPTH`], so that a
//! span is never deeper than `serde_json`'s recursion limit allows wherever it sits in a document.

/// Deepest nesting of a skipped value (`serde_json` refuses more than 128 levels in a whole document).
pub(crate) const MAX_DEPTH: usize = 64;

/// A position in JSON text.
pub(crate) struct Cursor<'a> {
    /// The text, as bytes.
    text: &'a [u8],
    /// The same text (every span starts and ends at an ASCII byte, on a character boundary).
    str: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// At the start of `text`.
    pub(crate) fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            text: text.as_bytes(),
            str: text,
            pos: 0,
        }
    }

    /// Past any whitespace (JSON's: space, tab, line feed, carriage return).
    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.pos == self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// The value at the cursor (after whitespace), skipped: its text. `None` when no value starts here,
    /// a string or container does not end, brackets do not pair at its ends, or it nests deeper than
    /// [`MAX_DEPTH`].
    pub(crate) fn value(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        let end = match self.peek()? {
            b'"' => string_end(self.text, start + 1)?,
            open @ (b'{' | b'[') => container_end(self.text, start, open)?,
            _ => {
                let len = self
                    .text
                    .get(start..)?
                    .iter()
                    .position(|&b| ends_scalar(b))
                    .unwrap_or(self.text.len() - start);
                if len == 0 {
                    return None;
                }
                start + len
            }
        };
        self.pos = end;
        self.str.get(start..end)
    }

    /// Walks the object at the cursor: `member` is called with each key's text (quotes included, not
    /// decoded) and must take the member's value from the cursor.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Cursor<'a>, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.sequence(b'{', b'}', |c| {
            if c.peek()? != b'"' {
                return None;
            }
            let key = c.value()?;
            c.skip_whitespace();
            c.eat(b':')?;
            c.taking(|c| member(c, key))
        })
    }

    /// Walks the array at the cursor: `element` is called for each element and must take it from the
    /// cursor.
    pub(crate) fn array(&mut self, mut element: impl FnMut(&mut Cursor<'a>) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', |c| c.taking(&mut element))
    }

    /// `open`, then items separated by commas (each read by `item`, at its first byte), then `close`.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Cursor<'a>) -> Option<()>,
    ) -> Option<()> {
        self.skip_whitespace();
        self.eat(open)?;
        self.skip_whitespace();
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            item(self)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b if b == close => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// What `read` does, which must take a value from the cursor.
    fn taking(&mut self, read: impl FnOnce(&mut Cursor<'a>) -> Option<()>) -> Option<()> {
        let before = self.pos;
        read(self)?;
        (self.pos != before).then_some(())
    }

    /// Whether the value at the cursor is `null` (taken from the cursor when it is).
    pub(crate) fn null(&mut self) -> bool {
        self.skip_whitespace();
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let null = rest.starts_with(b"null") && rest.get(4).is_none_or(|&b| ends_scalar(b));
        if null {
            self.pos += 4;
        }
        null
    }
}

/// Whether `b` ends a number or literal: a separator, a closing bracket or whitespace.
fn ends_scalar(b: u8) -> bool {
    matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
}

/// The position after the string whose contents start at `from` (after its opening quote).
fn string_end(text: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr::memchr2(b'"', b'\\', text.get(from..)?)?;
        if text.get(i) == Some(&b'"') {
            return Some(i + 1);
        }
        // An escape: the byte after the backslash is never the string's end.
        from = i + 2;
    }
}

/// The position after the object or array opened by `open` at `start`.
fn container_end(text: &[u8], start: usize, open: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => {
                i = string_end(text, i + 1)?;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    // The ends pair; whatever is inside is checked by the parser the span goes to.
                    let close = if open == b'{' { b'}' } else { b']' };
                    return (b == close).then_some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of an array, as the cursor splits it.
    fn elements(text: &str) -> Option<Vec<&str>> {
        let mut c = Cursor::new(text);
        let mut out = Vec::new();
        c.array(|c| {
            out.push(c.value()?);
            Some(())
        })?;
        c.at_end().then_some(out)
    }

    #[test]
    fn the_cursor_splits_an_array_into_the_values_serde_reads() {
        let text = r#" [ 1 , -2.5e3,"a\"b\\",{"k": [1, {"x": "]}"}]} , [] ,{},null,true ,"\\" ] "#;
        let got = elements(text).unwrap();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let expected: Vec<serde_json::Value> = value.as_array().unwrap().clone();
        assert_eq!(got.len(), expected.len());
        for (span, value) in got.iter().zip(&expected) {
            assert_eq!(
                &serde_json::from_str::<serde_json::Value>(span).unwrap(),
                value,
                "{span}"
            );
        }
        assert_eq!(elements("[]").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn the_cursor_refuses_what_is_not_the_structure_of_json() {
        for text in [
            "",
            "[",
            "[1",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,,2]",
            "[\"a]",
            "[{]",
            "[{\"a\": 1]]",
            "[[1}]",
            "{}",
            "[1] x",
            "[\"a\\\"]",
        ] {
            assert!(elements(text).is_none(), "{text:?}");
        }
        let deep = format!("[{}{}]", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(elements(&deep).is_none());
        let deep_enough = format!("[{}{}]", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(elements(&deep_enough).unwrap().len(), 1);
    }

    #[test]
    fn the_cursor_walks_an_object_member_by_member() {
        let text = r#"{"a": 1, "b\"": {"c": [2]} ,"d":null}"#;
        let mut c = Cursor::new(text);
        let mut seen = Vec::new();
        c.object(|c, key| {
            if key == r#""d""# {
                assert!(c.null());
                seen.push((key, "null"));
            } else {
                seen.push((key, c.value()?));
            }
            Some(())
        })
        .unwrap();
        assert!(c.at_end());
        assert_eq!(
            seen,
            [(r#""a""#, "1"), (r#""b\"""#, r#"{"c": [2]}"#), (r#""d""#, "null")]
        );
        for text in [
            r#"{"a" 1}"#,
            "{a: 1}",
            r#"{"a": 1,}"#,
            r#"{"a": 1 "b": 2}"#,
            r#"{"a": }"#,
        ] {
            let mut c = Cursor::new(text);
            assert!(c.object(|c, _| c.value().map(drop)).is_none(), "{text}");
        }
        // A reader that takes nothing from the cursor would walk in place: refused.
        assert!(Cursor::new("[1]").array(|_| Some(())).is_none());
        assert!(Cursor::new(r#"{"a": 1}"#).object(|_, _| Some(())).is_none());
        assert!(!Cursor::new("nullx").null());
        assert!(Cursor::new(" null,").null());
    }
}
