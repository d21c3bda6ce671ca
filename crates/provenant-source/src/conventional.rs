//! Conventional Commits 1.0.0 messages (<https://www.conventionalcommits.org/en/v1.0.0/>), as data.
//!
//! A message is `type(scope)!: description`, then optionally a blank line and a body, then optionally
//! footers (`Token: value` or `Token #value`, git's trailer convention). This module parses one message
//! into a [`Message`] or a [`ParseError`] that names what is wrong and where (1-based line and column).
//!
//! Rules applied (the specification's numbered items):
//! - the type is a noun (letters, digits after the first letter, `-`), compared without regard to case;
//! - the scope, when present, is a non-empty noun in parentheses (any characters but `(`, `)` and line ends);
//! - `!` immediately before the `:` marks a breaking change; the `:` must be followed by one space and a
//!   non-empty description;
//! - the body begins one blank line after the description (a second line that is not blank is an error);
//! - footers begin at the first paragraph (a line following a blank line) that starts with a footer token;
//!   a token is a word with `-` in place of spaces (`Reviewed-by`), or `BREAKING CHANGE`; the separator is
//!   `: ` or ` #`; a value runs until the next line that starts a footer, so values may span lines;
//! - `BREAKING CHANGE` and its synonym `BREAKING-CHANGE` must be uppercase and carry a description.
//!
//! Parsing is one pass over the lines, allocates in proportion to the message, and refuses messages over
//! [`MAX_MESSAGE_BYTES`].

use std::fmt;

/// The longest message parsed; longer ones are refused before any work.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The footer token that marks a breaking change (also accepted as [`BREAKING_CHANGE_HYPHEN`]).
pub const BREAKING_CHANGE: &str = "BREAKING CHANGE";
/// `BREAKING CHANGE`'s synonym as a footer token.
pub const BREAKING_CHANGE_HYPHEN: &str = "BREAKING-CHANGE";

/// A parsed Conventional Commits message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The type as written (`feat`, `Fix`, …); compare with [`Message::is_type`].
    pub kind: String,
    /// The scope, without its parentheses.
    pub scope: Option<String>,
    /// Whether the header carries `!` before the colon.
    pub bang: bool,
    /// The description (the header after `: `).
    pub description: String,
    /// The body, without the blank lines around it; `None` when there is none.
    pub body: Option<String>,
    /// The footers, in order.
    pub footers: Vec<Footer>,
}

/// One footer (git trailer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The token (`Reviewed-by`, `Refs`, `BREAKING CHANGE`).
    pub token: String,
    /// Which separator followed the token.
    pub separator: Separator,
    /// The value, lines joined by `\n`, trailing blank lines removed.
    pub value: String,
}

/// A footer's separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `Token: value`.
    Colon,
    /// `Token #value`.
    Hash,
}

impl Footer {
    /// Whether this footer is `BREAKING CHANGE` or `BREAKING-CHANGE`.
    #[must_use]
    pub fn is_breaking(&self) -> bool {
        self.token == BREAKING_CHANGE || self.token == BREAKING_CHANGE_HYPHEN
    }
}

impl Message {
    /// Whether the type is `kind`, ignoring ASCII case (the specification's item 15).
    #[must_use]
    pub fn is_type(&self, kind: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
    }

    /// The type in lowercase, the form used for grouping.
    #[must_use]
    pub fn kind_lowercase(&self) -> String {
        self.kind.to_ascii_lowercase()
    }

    /// Whether the message marks a breaking change (`!` or a breaking footer).
    #[must_use]
    pub fn is_breaking(&self) -> bool {
        self.bang || self.footers.iter().any(Footer::is_breaking)
    }

    /// The breaking-change descriptions: each breaking footer's value, else the description when only `!`
    /// marks it.
    #[must_use]
    pub fn breaking_notes(&self) -> Vec<&str> {
        let notes: Vec<&str> = self
            .footers
            .iter()
            .filter(|f| f.is_breaking())
            .map(|f| f.value.as_str())
            .collect();
        if notes.is_empty() && self.bang {
            vec![self.description.as_str()]
        } else {
            notes
        }
    }
}

/// Where in a message: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a message is not a Conventional Commits 1.0 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The message is empty or only whitespace.
    #[error("the message is empty: it must start with `type: description`")]
    Empty,
    /// The message exceeds [`MAX_MESSAGE_BYTES`].
    #[error("the message has {len} bytes, more than the {max} parsed")]
    TooLong {
        /// The message's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The header does not start with a type.
    #[error("{at}: the header must start with a type (a word such as feat or fix), found {found}")]
    MissingType {
        /// Where.
        at: Position,
        /// What was found instead, described.
        found: Found,
    },
    /// A character that cannot be in a type or follow it.
    #[error("{at}: expected `(scope)`, `!` or `: ` after the type, found {found}")]
    UnexpectedAfterType {
        /// Where.
        at: Position,
        /// What was found.
        found: Found,
    },
    /// `(` without its `)` on the header line.
    #[error("{at}: the scope opened here is not closed by `)` on the header line")]
    UnclosedScope {
        /// Where the `(` is.
        at: Position,
    },
    /// `()`.
    #[error("{at}: the scope is empty; write a noun between the parentheses or leave them out")]
    EmptyScope {
        /// Where the `(` is.
        at: Position,
    },
    /// A `(` inside the scope.
    #[error("{at}: a scope cannot contain `(`")]
    NestedScope {
        /// Where.
        at: Position,
    },
    /// After the scope, neither `!` nor `:`.
    #[error("{at}: expected `!` or `: ` after the scope, found {found}")]
    UnexpectedAfterScope {
        /// Where.
        at: Position,
        /// What was found.
        found: Found,
    },
    /// After `!`, no `:`.
    #[error("{at}: expected `: ` after `!`, found {found}")]
    UnexpectedAfterBang {
        /// Where.
        at: Position,
        /// What was found.
        found: Found,
    },
    /// The colon is not followed by exactly one space.
    #[error("{at}: the colon must be followed by one space and the description, found {found}")]
    MissingSpace {
        /// Where.
        at: Position,
        /// What was found.
        found: Found,
    },
    /// Nothing after `: `.
    #[error("{at}: the description after `: ` is empty")]
    EmptyDescription {
        /// Where.
        at: Position,
    },
    /// The line after the header is not blank.
    #[error("line 2: the body must begin one blank line after the description, found text")]
    MissingBlankLine,
    /// A breaking-change footer in other than uppercase.
    #[error(
        "{at}: the footer token `{token}` must be written in uppercase ({BREAKING_CHANGE} or {BREAKING_CHANGE_HYPHEN})"
    )]
    BreakingNotUppercase {
        /// Where.
        at: Position,
        /// The token as written.
        token: String,
    },
    /// A breaking-change footer without a description.
    #[error("{at}: the `{token}` footer needs a description after the separator")]
    EmptyBreakingChange {
        /// Where.
        at: Position,
        /// The token.
        token: String,
    },
}

/// What the parser found where it expected something else.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    /// The end of the header line.
    EndOfLine,
    /// A character.
    Char(char),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::EndOfLine => f.write_str("the end of the line"),
            Found::Char(' ') => f.write_str("a space"),
            Found::Char('\t') => f.write_str("a tab"),
            Found::Char(c) if c.is_control() => write!(f, "the control character U+{:04X}", u32::from(*c)),
            Found::Char(c) => write!(f, "`{c}`"),
        }
    }
}

/// Parses `message` (a commit message as git stores it; a trailing newline and `\r\n` line ends are
/// accepted).
pub fn parse(message: &str) -> Result<Message, ParseError> {
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLong {
            len: message.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let lines: Vec<&str> = message
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut lines_iter = lines.iter();
    let header = lines_iter.next().copied().unwrap_or_default();
    if message.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let (kind, scope, bang, description) = parse_header(header)?;

    let rest: Vec<&str> = lines_iter.copied().collect();
    if rest.first().is_some_and(|second| !second.trim().is_empty()) {
        return Err(ParseError::MissingBlankLine);
    }
    // `rest[i]` is line `i + 2`.
    let footer_start = rest.iter().enumerate().position(|(i, line)| {
        let after_blank = i > 0 && rest.get(i - 1).is_some_and(|p| p.trim().is_empty());
        after_blank && footer_head(line).is_some()
    });
    let body_lines = match footer_start {
        Some(start) => rest.get(..start).unwrap_or_default(),
        None => &rest[..],
    };
    let body = trim_blank_lines(body_lines);
    let mut footers: Vec<Footer> = Vec::new();
    if let Some(start) = footer_start {
        let mut current: Option<(Footer, Vec<&str>, usize)> = None;
        for (offset, line) in rest.iter().enumerate().skip(start) {
            let line_no = offset + 2;
            if let Some((token, separator, value)) = footer_head(line) {
                if let Some((footer, cont, at)) = current.take() {
                    footers.push(finish_footer(footer, &cont, at)?);
                }
                check_breaking_case(token, line_no)?;
                current = Some((
                    Footer {
                        token: token.to_owned(),
                        separator,
                        value: String::new(),
                    },
                    vec![value],
                    line_no,
                ));
            } else if let Some((_, cont, _)) = current.as_mut() {
                cont.push(line);
            }
        }
        if let Some((footer, cont, at)) = current.take() {
            footers.push(finish_footer(footer, &cont, at)?);
        }
    }
    Ok(Message {
        kind: kind.to_owned(),
        scope: scope.map(str::to_owned),
        bang,
        description: description.to_owned(),
        body,
        footers,
    })
}

fn finish_footer(mut footer: Footer, lines: &[&str], line: usize) -> Result<Footer, ParseError> {
    footer.value = trim_blank_lines(lines).unwrap_or_default();
    if footer.is_breaking() && footer.value.trim().is_empty() {
        return Err(ParseError::EmptyBreakingChange {
            at: Position {
                line,
                column: footer.token.chars().count() + 1,
            },
            token: footer.token,
        });
    }
    Ok(footer)
}

fn check_breaking_case(token: &str, line: usize) -> Result<(), ParseError> {
    let upper = token.to_ascii_uppercase();
    if (upper == BREAKING_CHANGE || upper == BREAKING_CHANGE_HYPHEN) && token != upper {
        return Err(ParseError::BreakingNotUppercase {
            at: Position { line, column: 1 },
            token: token.to_owned(),
        });
    }
    Ok(())
}

/// Joins lines with `\n` after removing leading and trailing blank lines; `None` when nothing remains.
fn trim_blank_lines(lines: &[&str]) -> Option<String> {
    let first = lines.iter().position(|l| !l.trim().is_empty())?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty())?;
    lines.get(first..=last).map(|kept| kept.join("\n"))
}

/// If `line` starts a footer, its token, separator and the value's first line.
fn footer_head(line: &str) -> Option<(&str, Separator, &str)> {
    for breaking in [
        BREAKING_CHANGE,
        "breaking change",
        "Breaking Change",
        "Breaking change",
    ] {
        if let Some(after) = line.strip_prefix(breaking) {
            if let Some(value) = after.strip_prefix(": ") {
                return Some((line.get(..breaking.len())?, Separator::Colon, value));
            }
            if let Some(value) = after.strip_prefix(" #") {
                return Some((line.get(..breaking.len())?, Separator::Hash, value));
            }
        }
    }
    let token_len = line
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
        .map_or(line.len(), |(i, _)| i);
    if token_len == 0 {
        return None;
    }
    let token = line.get(..token_len)?;
    if !token.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let after = line.get(token_len..)?;
    if let Some(value) = after.strip_prefix(": ") {
        Some((token, Separator::Colon, value))
    } else if let Some(value) = after.strip_prefix(" #") {
        Some((token, Separator::Hash, value))
    } else {
        None
    }
}

type Header<'a> = (&'a str, Option<&'a str>, bool, &'a str);

fn parse_header(header: &str) -> Result<Header<'_>, ParseError> {
    let at = |index: usize| Position {
        line: 1,
        column: header.get(..index).map_or(1, |s| s.chars().count() + 1),
    };
    let found = |index: usize| {
        header
            .get(index..)
            .and_then(|s| s.chars().next())
            .map_or(Found::EndOfLine, Found::Char)
    };
    // The type: a letter, then letters, digits and `-`.
    let type_end = header
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
        .map_or(header.len(), |(i, _)| i);
    let kind = header.get(..type_end).unwrap_or_default();
    if !kind.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ParseError::MissingType {
            at: at(0),
            found: found(0),
        });
    }
    let mut index = type_end;
    let mut scope = None;
    if header.get(index..).is_some_and(|s| s.starts_with('(')) {
        let open = index;
        let inner_start = open + 1;
        let rest = header.get(inner_start..).unwrap_or_default();
        let Some(close_rel) = rest.find(')') else {
            return Err(ParseError::UnclosedScope { at: at(open) });
        };
        let inner = rest.get(..close_rel).unwrap_or_default();
        if let Some(nested) = inner.find('(') {
            return Err(ParseError::NestedScope {
                at: at(inner_start + nested),
            });
        }
        if inner.trim().is_empty() {
            return Err(ParseError::EmptyScope { at: at(open) });
        }
        scope = Some(inner);
        index = inner_start + close_rel + 1;
        let next = header.get(index..).and_then(|s| s.chars().next());
        if !matches!(next, Some('!' | ':')) {
            return Err(ParseError::UnexpectedAfterScope {
                at: at(index),
                found: found(index),
            });
        }
    }
    let mut bang = false;
    if header.get(index..).is_some_and(|s| s.starts_with('!')) {
        bang = true;
        index += 1;
        if !header.get(index..).is_some_and(|s| s.starts_with(':')) {
            return Err(ParseError::UnexpectedAfterBang {
                at: at(index),
                found: found(index),
            });
        }
    }
    if !header.get(index..).is_some_and(|s| s.starts_with(':')) {
        return Err(ParseError::UnexpectedAfterType {
            at: at(index),
            found: found(index),
        });
    }
    index += 1;
    if !header.get(index..).is_some_and(|s| s.starts_with(' ')) {
        return Err(ParseError::MissingSpace {
            at: at(index),
            found: found(index),
        });
    }
    index += 1;
    if header
        .get(index..)
        .is_some_and(|s| s.starts_with(char::is_whitespace))
    {
        return Err(ParseError::MissingSpace {
            at: at(index),
            found: found(index),
        });
    }
    let description = header.get(index..).unwrap_or_default().trim_end();
    if description.is_empty() {
        return Err(ParseError::EmptyDescription { at: at(index) });
    }
    Ok((kind, scope, bang, description))
}
