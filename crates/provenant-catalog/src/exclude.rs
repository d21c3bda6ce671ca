//! Paths left out of a catalog, by glob (syft's `--exclude`): patterns are matched against a path relative
//! to the target's root (for an image, a path in its final filesystem), `/`-separated, with a leading `./`
//! or `/` ignored. `*` matches within one path segment, `?` one character, `[abc]`, `[a-z]` and `[!abc]` a
//! class, `\` escapes, and a `**` segment any number of segments (none included). A directory that matches
//! is not entered, so nothing below it is read; a file below an excluded directory is excluded too.

/// Longest pattern accepted, in bytes.
const MAX_PATTERN_BYTES: usize = 4096;

/// A pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid exclude pattern {pattern:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidPattern {
    /// The pattern (truncated to 160 characters).
    pub pattern: String,
    /// Why.
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    Any,
    AnyRun,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments.
    Deep,
    Glob(Vec<Token>),
}

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

/// A set of exclude patterns; empty excludes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclude {
    patterns: Vec<Pattern>,
}

fn parse_segment(seg: &str, bad: &dyn Fn(&'static str) -> InvalidPattern) -> Result<Segment, InvalidPattern> {
    if seg == "**" {
        return Ok(Segment::Deep);
    }
    let mut tokens = Vec::new();
    let mut chars = seg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Token::Literal(
                chars.next().ok_or_else(|| bad("it ends with a lone \\"))?,
            )),
            '?' => tokens.push(Token::Any),
            '*' => {
                if chars.peek() == Some(&'*') {
                    return Err(bad("** must be a whole path segment"));
                }
                tokens.push(Token::AnyRun);
            }
            '[' => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let Some(c) = chars.next() else {
                        return Err(bad("a [ class is not closed"));
                    };
                    if c == ']' && !first {
                        break;
                    }
                    first = false;
                    let lo = if c == '\\' {
                        chars.next().ok_or_else(|| bad("it ends with a lone \\"))?
                    } else {
                        c
                    };
                    let mut lookahead = chars.clone();
                    if lookahead.next() == Some('-') && lookahead.peek().is_some_and(|n| *n != ']') {
                        chars.next();
                        let hi = chars.next().ok_or_else(|| bad("a [ class is not closed"))?;
                        if hi < lo {
                            return Err(bad("a class range runs backwards"));
                        }
                        ranges.push((lo, hi));
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                tokens.push(Token::Class { negated, ranges });
            }
            other => tokens.push(Token::Literal(other)),
        }
    }
    Ok(Segment::Glob(tokens))
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, InvalidPattern> {
        let bad = |reason: &'static str| InvalidPattern {
            pattern: text.chars().take(160).collect(),
            reason,
        };
        if text.len() > MAX_PATTERN_BYTES {
            return Err(bad("longer than 4096 bytes"));
        }
        let body = text.strip_prefix("./").unwrap_or(text).trim_start_matches('/');
        let body = body.strip_suffix('/').unwrap_or(body);
        if body.is_empty() {
            return Err(bad("it names no path"));
        }
        let mut segments = Vec::new();
        for seg in body.split('/') {
            match seg {
                "" => return Err(bad("it has an empty path segment (//)")),
                "." | ".." => return Err(bad(". and .. segments are not allowed")),
                _ => {}
            }
            let parsed = parse_segment(seg, &bad)?;
            // Consecutive ** are one.
            if !(parsed == Segment::Deep && segments.last() == Some(&Segment::Deep)) {
                segments.push(parsed);
            }
        }
        Ok(Pattern {
            text: text.to_owned(),
            segments,
        })
    }

    /// Whether the whole of `path` (its segments) matches.
    fn matches(&self, path: &[&str]) -> bool {
        // ok[j]: the first i pattern segments match the first j path segments.
        let mut ok: Vec<bool> = std::iter::once(true).chain(path.iter().map(|_| false)).collect();
        for seg in &self.segments {
            ok = match seg {
                Segment::Deep => {
                    let mut reached = false;
                    ok.iter()
                        .map(|here| {
                            reached |= *here;
                            reached
                        })
                        .collect()
                }
                Segment::Glob(tokens) => std::iter::once(false)
                    .chain(
                        ok.iter()
                            .zip(path)
                            .map(|(here, name)| *here && glob(tokens, name)),
                    )
                    .collect(),
            };
        }
        ok.last().copied().unwrap_or(false)
    }
}

/// Whether one segment's tokens match `name` entirely (a linear-time wildcard match).
fn glob(tokens: &[Token], name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let (mut t, mut c) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&here) = chars.get(c) {
        match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, c));
                t += 1;
                continue;
            }
            Some(Token::Any) => {
                t += 1;
                c += 1;
                continue;
            }
            Some(Token::Literal(l)) if *l == here => {
                t += 1;
                c += 1;
                continue;
            }
            Some(Token::Class { negated, ranges })
                if ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&here)) != *negated =>
            {
                t += 1;
                c += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, sc)) => {
                t = st + 1;
                c = sc + 1;
                star = Some((st, sc + 1));
            }
            None => return false,
        }
    }
    tokens
        .get(t..)
        .unwrap_or_default()
        .iter()
        .all(|tok| *tok == Token::AnyRun)
}

impl Exclude {
    /// Parses `patterns`; the first invalid one is the error.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Exclude, InvalidPattern> {
        Ok(Exclude {
            patterns: patterns
                .iter()
                .map(|p| Pattern::parse(p.as_ref()))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether there is no pattern.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns as given.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }

    /// Whether `rel` (relative to the target's root, `/`-separated, a leading `/` or `./` ignored) or a
    /// directory above it is excluded.
    #[must_use]
    pub fn excludes(&self, rel: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let rel = rel.strip_prefix("./").unwrap_or(rel).trim_start_matches('/');
        let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        (1..=segments.len()).any(|k| {
            let prefix = segments.get(..k).unwrap_or_default();
            self.patterns.iter().any(|p| p.matches(prefix))
        })
    }
}
