//! Checksum lists: the lines `provenant digest` prints and `provenant digest --check` reads.
//!
//! Three line forms are read, so that lists made by other tools check unchanged:
//!
//! - `sha256:<hex>  <path>`: Provenant's own form (the OCI digest spelling);
//! - `<hex>  <path>` or `<hex> *<path>`: GNU coreutils `sha256sum`/`sha512sum`, the algorithm inferred
//!   from the hex length;
//! - `SHA256 (<path>) = <hex>`: the BSD/`--tag` form.
//!
//! As in coreutils, a line that starts with `\` has its path escaped: `\\` for a backslash, `\n` for a
//! newline and `\r` for a carriage return. Empty lines and lines starting with `#` are ignored. This
//! module only parses and formats bytes; it does no I/O.

use crate::algorithm::Algorithm;
use crate::digest::{Digest, ParseError};

/// One well-formed line of a checksum list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// One-based line number.
    pub line: usize,
    /// The digest the line expects.
    pub expected: Digest,
    /// The path, unescaped, as raw bytes.
    pub path: Vec<u8>,
}

/// A line that is not a checksum line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct Malformed {
    /// One-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: MalformedReason,
}

/// Why a line is not a checksum line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedReason {
    /// No digest/path separator was found.
    #[error("expected '<digest>  <path>', '<hex>  <path>' or 'SHA256 (<path>) = <hex>'")]
    NoSeparator,
    /// The digest part does not parse.
    #[error(transparent)]
    Digest(#[from] ParseError),
    /// Bare hex whose length matches no algorithm.
    #[error("{len} hex characters match no supported algorithm (64 for sha256, 128 for sha512)")]
    UnknownHexLength {
        /// Number of characters.
        len: usize,
    },
    /// An escaped path has a `\` followed by something other than `\`, `n` or `r`.
    #[error("invalid escape sequence in path")]
    BadEscape,
}

/// How [`format_line`] spells the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `sha256:<hex>  <path>`.
    Prefixed,
    /// `<hex>  <path>`, byte-identical to `sha256sum`/`sha512sum` output.
    Coreutils,
}

/// Parses a whole list; malformed lines are returned beside the good ones so the caller decides
/// whether they are fatal.
#[must_use]
pub fn parse(input: &[u8]) -> (Vec<Entry>, Vec<Malformed>) {
    let mut entries = Vec::new();
    let mut malformed = Vec::new();
    for (index, raw) in input.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() || raw.first() == Some(&b'#') {
            continue;
        }
        match parse_line(raw) {
            Ok((expected, path)) => entries.push(Entry { line, expected, path }),
            Err(reason) => malformed.push(Malformed { line, reason }),
        }
    }
    (entries, malformed)
}

fn parse_line(raw: &[u8]) -> Result<(Digest, Vec<u8>), MalformedReason> {
    let (escaped, rest) = match raw.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (digest, path) = if let Some(parsed) = parse_bsd(rest)? {
        parsed
    } else {
        let space = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or(MalformedReason::NoSeparator)?;
        let (token, tail) = rest.split_at(space);
        // After the first space comes ' ' (text mode) or '*' (binary mode), then the path.
        let path = match tail.get(1) {
            Some(b' ' | b'*') => tail.get(2..).unwrap_or_default(),
            _ => return Err(MalformedReason::NoSeparator),
        };
        if path.is_empty() {
            return Err(MalformedReason::NoSeparator);
        }
        let token = std::str::from_utf8(token).map_err(|_| MalformedReason::NoSeparator)?;
        let digest = if token.contains(':') {
            token.parse::<Digest>()?
        } else {
            let algorithm = Algorithm::from_hex_len(token.len())
                .ok_or(MalformedReason::UnknownHexLength { len: token.len() })?;
            Digest::from_hex(algorithm, token)?
        };
        (digest, path)
    };
    let path = if escaped { unescape(path)? } else { path.to_vec() };
    Ok((digest, path))
}

/// `SHA256 (path) = hex`; `Ok(None)` when the line is not in this form at all.
fn parse_bsd(rest: &[u8]) -> Result<Option<(Digest, &[u8])>, MalformedReason> {
    let algorithm = if rest.starts_with(b"SHA256 (") {
        Algorithm::Sha256
    } else if rest.starts_with(b"SHA512 (") {
        Algorithm::Sha512
    } else {
        return Ok(None);
    };
    let body = rest.get(8..).unwrap_or_default();
    let split = body
        .windows(4)
        .rposition(|w| w == b") = ")
        .ok_or(MalformedReason::NoSeparator)?;
    let path = body.get(..split).unwrap_or_default();
    let hex = std::str::from_utf8(body.get(split + 4..).unwrap_or_default())
        .map_err(|_| MalformedReason::NoSeparator)?;
    Ok(Some((Digest::from_hex(algorithm, hex)?, path)))
}

fn unescape(path: &[u8]) -> Result<Vec<u8>, MalformedReason> {
    let mut out = Vec::with_capacity(path.len());
    let mut bytes = path.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next() {
                Some(b'\\') => out.push(b'\\'),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                _ => return Err(MalformedReason::BadEscape),
            }
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

/// Appends one list line (with its trailing newline) for `digest` of `path` to `out`, escaping the
/// path as coreutils does when it contains a backslash, newline or carriage return.
pub fn format_line(out: &mut Vec<u8>, digest: &Digest, path: &[u8], style: Style) {
    let needs_escape = path.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    if needs_escape {
        out.push(b'\\');
    }
    match style {
        Style::Prefixed => out.extend_from_slice(digest.to_string().as_bytes()),
        Style::Coreutils => out.extend_from_slice(digest.hex().as_bytes()),
    }
    out.extend_from_slice(b"  ");
    if needs_escape {
        for &b in path {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
    } else {
        out.extend_from_slice(path);
    }
    out.push(b'\n');
}
