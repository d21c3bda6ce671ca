//! git's allowed-signers file (`gpg.ssh.allowedSignersFile`, the ALLOWED SIGNERS format of
//! `ssh-keygen(1)`), as data, and the decision whether an SSH key may sign for an identity.
//!
//! Each line is `principals [options] keytype base64-key [comment]`; empty lines and lines starting with
//! `#` are ignored. Principals are a pattern list (`*`, `?`, and `!` for negation, as `ssh_config(5)`'s
//! PATTERNS), matched against the committer's email. Options are comma-separated, case-insensitive:
//! `namespaces="git,…"` (a pattern list the signature's namespace must match), `valid-after=` and
//! `valid-before=` (`YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`, compared with the commit's committer time, as
//! git does) and `cert-authority`.
//!
//! Deviations from OpenSSH, each failing closed: timestamps without `Z` are read as UTC (OpenSSH uses the
//! verifying machine's time zone, which would make the decision depend on where it runs); a
//! `cert-authority` line is kept but never authorises a signature (certificates are reported as
//! unsupported); an unknown option is an error for the whole file rather than a skipped line.

use std::fmt;

use ssh_key::PublicKey;

/// The largest allowed-signers file parsed.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// A parsed allowed-signers file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    entries: Vec<AllowedSigner>,
}

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The 1-based line it came from.
    pub line: usize,
    /// The principal patterns, as written (comma-separated in the file).
    pub principals: Vec<String>,
    /// Whether the line carries `cert-authority`.
    pub cert_authority: bool,
    /// The `namespaces=` patterns, when the option is present.
    pub namespaces: Option<Vec<String>>,
    /// `valid-after`, in seconds since the Unix epoch.
    pub valid_after: Option<i64>,
    /// `valid-before`, in seconds since the Unix epoch.
    pub valid_before: Option<i64>,
    /// The key.
    pub key: PublicKey,
}

/// Why an allowed-signers file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("the allowed-signers file has {len} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A `"` without its closing quote.
    #[error("line {line}: a double quote is not closed")]
    UnterminatedQuote {
        /// The line.
        line: usize,
    },
    /// A line with principals but no key.
    #[error("line {line}: expected `principals [options] keytype base64-key`, the key is missing")]
    MissingKey {
        /// The line.
        line: usize,
    },
    /// An option this reader does not know.
    #[error(
        "line {line}: unknown option `{option}` (known: cert-authority, namespaces=, valid-after=, valid-before=)"
    )]
    UnknownOption {
        /// The line.
        line: usize,
        /// The option's name.
        option: String,
    },
    /// An option that needs a value has none.
    #[error("line {line}: the option `{option}` needs a value")]
    MissingValue {
        /// The line.
        line: usize,
        /// The option's name.
        option: String,
    },
    /// A timestamp that is not `YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`.
    #[error("line {line}: `{value}` is not a timestamp of the form YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]")]
    BadTimestamp {
        /// The line.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// The key does not parse.
    #[error("line {line}: the {keytype} key does not parse: {reason}")]
    BadKey {
        /// The line.
        line: usize,
        /// The key type as written.
        keytype: String,
        /// The parser's reason.
        reason: String,
    },
    /// An empty principal list.
    #[error("line {line}: the principals field is empty")]
    EmptyPrincipals {
        /// The line.
        line: usize,
    },
}

/// Why a key may not sign for an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No line holds the key.
    #[error("the signing key {fingerprint} is not in the allowed-signers file")]
    UnknownKey {
        /// The key's SHA-256 fingerprint.
        fingerprint: String,
    },
    /// Lines hold the key, but no principal pattern of theirs matches the email.
    #[error("the signing key {fingerprint} is allowed for {principals}, not for the committer {email}")]
    PrincipalMismatch {
        /// The key's SHA-256 fingerprint.
        fingerprint: String,
        /// The committer's email.
        email: String,
        /// The principal patterns of the key's lines.
        principals: String,
    },
    /// The key's line does not allow the namespace.
    #[error("line {line}: the key is not allowed to sign in the namespace {namespace}")]
    Namespace {
        /// The line.
        line: usize,
        /// The signature's namespace.
        namespace: String,
    },
    /// The commit is older than `valid-after`.
    #[error("line {line}: the key is valid after {valid_after} (Unix time), the commit is dated {time}")]
    NotYetValid {
        /// The line.
        line: usize,
        /// The bound.
        valid_after: i64,
        /// The commit time.
        time: i64,
    },
    /// The commit is newer than `valid-before`.
    #[error("line {line}: the key is valid before {valid_before} (Unix time), the commit is dated {time}")]
    Expired {
        /// The line.
        line: usize,
        /// The bound.
        valid_before: i64,
        /// The commit time.
        time: i64,
    },
    /// Only a `cert-authority` line matches: SSH certificates are not supported.
    #[error("line {line}: cert-authority lines are not supported (SSH certificates are not verified)")]
    CertAuthorityUnsupported {
        /// The line.
        line: usize,
    },
}

impl AllowedSigners {
    /// Parses an allowed-signers file.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(ParseError::TooLarge {
                len: text.len(),
                max: MAX_FILE_BYTES,
            });
        }
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            entries.push(parse_line(trimmed, line)?);
        }
        Ok(Self { entries })
    }

    /// The lines read.
    #[must_use]
    pub fn entries(&self) -> &[AllowedSigner] {
        &self.entries
    }

    /// Decides whether `key` may sign in `namespace` for the identity `email` at `time` (Unix seconds):
    /// the first line holding the key whose principals match the email, whose namespaces (if any) allow
    /// the namespace and whose validity covers the time. When none does, the refusal of the closest line.
    pub fn authorize(
        &self,
        key: &PublicKey,
        email: &str,
        namespace: &str,
        time: i64,
    ) -> Result<&AllowedSigner, Refusal> {
        let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
        let with_key: Vec<&AllowedSigner> = self
            .entries
            .iter()
            .filter(|e| e.key.key_data() == key.key_data())
            .collect();
        if with_key.is_empty() {
            return Err(Refusal::UnknownKey { fingerprint });
        }
        let for_email: Vec<&&AllowedSigner> = with_key
            .iter()
            .filter(|e| match_pattern_list(email, &e.principals) == PatternMatch::Positive)
            .collect();
        let Some(first) = for_email.first() else {
            let principals = with_key
                .iter()
                .map(|e| e.principals.join(","))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Refusal::PrincipalMismatch {
                fingerprint,
                email: email.to_owned(),
                principals,
            });
        };
        let mut refusal = None;
        for entry in &for_email {
            match entry.allows(namespace, time) {
                Ok(()) => return Ok(entry),
                Err(r) => {
                    refusal.get_or_insert(r);
                }
            }
        }
        Err(refusal.unwrap_or(Refusal::CertAuthorityUnsupported { line: first.line }))
    }
}

impl AllowedSigner {
    fn allows(&self, namespace: &str, time: i64) -> Result<(), Refusal> {
        if self.cert_authority {
            return Err(Refusal::CertAuthorityUnsupported { line: self.line });
        }
        if let Some(namespaces) = &self.namespaces
            && match_pattern_list(namespace, namespaces) != PatternMatch::Positive
        {
            return Err(Refusal::Namespace {
                line: self.line,
                namespace: namespace.to_owned(),
            });
        }
        if let Some(valid_after) = self.valid_after
            && time < valid_after
        {
            return Err(Refusal::NotYetValid {
                line: self.line,
                valid_after,
                time,
            });
        }
        if let Some(valid_before) = self.valid_before
            && time > valid_before
        {
            return Err(Refusal::Expired {
                line: self.line,
                valid_before,
                time,
            });
        }
        Ok(())
    }
}

/// Splits the next whitespace-separated field, honouring double quotes; returns the field (quotes
/// removed) and the rest.
fn next_field(s: &str, line: usize) -> Result<Option<(String, &str)>, ParseError> {
    let s = s.trim_start();
    if s.is_empty() {
        return Ok(None);
    }
    let mut field = String::new();
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return Ok(Some((field, s.get(i..).unwrap_or_default()))),
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(ParseError::UnterminatedQuote { line });
    }
    Ok(Some((field, "")))
}

/// Key type names that start the key field (so that a line without options is told from one with).
fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-")
        || s.starts_with("ecdsa-sha2-")
        || s.starts_with("sk-ssh-")
        || s.starts_with("sk-ecdsa-")
}

fn parse_line(text: &str, line: usize) -> Result<AllowedSigner, ParseError> {
    let Some((principals, rest)) = next_field(text, line)? else {
        return Err(ParseError::MissingKey { line });
    };
    let principals: Vec<String> = principals
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err(ParseError::EmptyPrincipals { line });
    }
    let Some((second, mut rest)) = next_field(rest, line)? else {
        return Err(ParseError::MissingKey { line });
    };
    let mut entry_options = Options::default();
    let keytype = if is_key_type(&second) {
        second
    } else {
        entry_options = parse_options(&second, line)?;
        let Some((keytype, after)) = next_field(rest, line)? else {
            return Err(ParseError::MissingKey { line });
        };
        rest = after;
        keytype
    };
    let Some((base64, _comment)) = next_field(rest, line)? else {
        return Err(ParseError::MissingKey { line });
    };
    let key = PublicKey::from_openssh(&format!("{keytype} {base64}")).map_err(|e| ParseError::BadKey {
        line,
        keytype: keytype.clone(),
        reason: e.to_string(),
    })?;
    Ok(AllowedSigner {
        line,
        principals,
        cert_authority: entry_options.cert_authority,
        namespaces: entry_options.namespaces,
        valid_after: entry_options.valid_after,
        valid_before: entry_options.valid_before,
        key,
    })
}

#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<Vec<String>>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
}

/// Splits an options field at commas outside double quotes (the quotes were already removed by
/// `next_field`, which is how OpenSSH's own reader sees `namespaces="a,b"` too: the value list is
/// then the remaining comma-separated names up to the next known option).
fn parse_options(field: &str, line: usize) -> Result<Options, ParseError> {
    let mut options = Options::default();
    let mut in_namespaces = false;
    let mut namespaces: Vec<String> = Vec::new();
    let mut saw_namespaces = false;
    for part in field.split(',') {
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(v)),
            None => (part.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", None) => {
                options.cert_authority = true;
                in_namespaces = false;
            }
            ("namespaces", Some(v)) => {
                saw_namespaces = true;
                namespaces.push(v.to_owned());
                in_namespaces = true;
            }
            ("valid-after", Some(v)) => {
                options.valid_after = Some(parse_timestamp(v, line)?);
                in_namespaces = false;
            }
            ("valid-before", Some(v)) => {
                options.valid_before = Some(parse_timestamp(v, line)?);
                in_namespaces = false;
            }
            ("namespaces" | "valid-after" | "valid-before", None) => {
                return Err(ParseError::MissingValue { line, option: name });
            }
            // The continuation of a quoted list value: `namespaces="git,file"`.
            (_, None) if in_namespaces => namespaces.push(part.to_owned()),
            _ => return Err(ParseError::UnknownOption { line, option: name }),
        }
    }
    if saw_namespaces {
        namespaces.retain(|n| !n.is_empty());
        options.namespaces = Some(namespaces);
    }
    Ok(options)
}

fn parse_timestamp(value: &str, line: usize) -> Result<i64, ParseError> {
    let bad = || ParseError::BadTimestamp {
        line,
        value: value.to_owned(),
    };
    let digits = value.strip_suffix(['Z', 'z']).unwrap_or(value);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 8 | 12 | 14) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, ParseError> {
        digits
            .get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = match digits.len() {
        12 => (num(8..10)?, num(10..12)?, 0),
        14 => (num(8..10)?, num(10..12)?, num(12..14)?),
        _ => (0, 0, 0),
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The outcome of matching a string against a pattern list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternMatch {
    /// A positive pattern matched and no negated one did.
    Positive,
    /// A negated pattern matched.
    Negated,
    /// Nothing matched.
    None,
}

impl fmt::Display for PatternMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PatternMatch::Positive => "matched",
            PatternMatch::Negated => "excluded",
            PatternMatch::None => "not matched",
        })
    }
}

/// Matches `s` against a pattern list as OpenSSH's `match_pattern_list`: any negated pattern (`!p`) that
/// matches excludes; otherwise any positive pattern that matches includes. Case-sensitive.
#[must_use]
pub fn match_pattern_list(s: &str, patterns: &[String]) -> PatternMatch {
    let mut positive = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(s, negated) {
                return PatternMatch::Negated;
            }
        } else if wildcard_match(s, pattern) {
            positive = true;
        }
    }
    if positive {
        PatternMatch::Positive
    } else {
        PatternMatch::None
    }
}

/// `*` matches any run of characters, `?` one character; everything else itself. Iterative, with one
/// backtracking point, so the work is at most the product of the lengths.
#[must_use]
pub fn wildcard_match(s: &str, pattern: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some('?') => {
                si += 1;
                pi += 1;
            }
            Some(c) if Some(c) == s.get(si) => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((star_p, star_s)) => {
                    pi = star_p + 1;
                    si = star_s + 1;
                    star = Some((star_p, star_s + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}
