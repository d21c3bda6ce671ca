//! Detection on one fragment of a file, as gitleaks 8.30 does it (locations, secret groups, entropy,
//! allowlists, `gitleaks:allow`, composite rules, and the preference of specific rules over generic ones).

use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Finding;
use super::config::{Allowlist, Condition, Config, RegexTarget, Rule};
use super::decode::{self, DEFAULT_MAX_DECODE_DEPTH, Decoder};
use super::entropy::shannon_entropy;

const ALLOW_SIGNATURE: &[u8] = b"gitleaks:allow";

/// One piece of a file: gitleaks reads files in pieces of about 100 kB.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    /// The bytes.
    pub raw: &'a [u8],
    /// The file's path as gitleaks names it (the scanned root joined with the relative path).
    pub file: &'a str,
    /// The path relative to the scanned root, `/`-separated.
    pub path: &'a str,
    /// The line number of the fragment's first line (1-based).
    pub start_line: usize,
}

/// The compiled detector: a configuration, its keyword prefilter and the decoding depth.
#[derive(Debug)]
pub struct Detector {
    config: Config,
    max_decode_depth: usize,
    prefilter: Option<AhoCorasick>,
    keywords: Vec<String>,
    /// For each rule, the indices of its keywords in `keywords`.
    rule_keywords: Vec<Vec<usize>>,
}

/// The text one detection pass reads: the fragment itself, or its decoding with the decoder that
/// maps it back.
#[derive(Clone, Copy)]
struct Pass<'a> {
    current: &'a [u8],
    decoder: Option<&'a Decoder>,
}

struct Location {
    start_line: usize,
    end_line: usize,
    start_column: usize,
    end_column: usize,
    start_line_index: usize,
    end_line_index: usize,
}

/// gitleaks' `location`: line and column of a match from the fragment's newline offsets, with its
/// exact conventions (columns count from the previous newline character itself).
fn location(newlines: &[usize], raw: &[u8], start: usize, end: usize) -> Location {
    let fallback = [raw.len()];
    let newlines: &[usize] = if newlines.is_empty() { &fallback } else { newlines };
    let mut loc = Location {
        start_line: 0,
        end_line: 0,
        start_column: 0,
        end_column: 0,
        start_line_index: 0,
        end_line_index: 0,
    };
    let mut prev = 0usize;
    let mut line_set = false;
    let mut last_line = 0usize;
    for (line, &nl) in newlines.iter().enumerate() {
        last_line = line;
        if prev <= start && start < nl {
            line_set = true;
            loc.start_line = line;
            loc.end_line = line;
            loc.start_column = start - prev + 1;
            loc.start_line_index = prev;
            loc.end_line_index = nl;
        }
        if prev < end && end <= nl {
            loc.end_line = line;
            loc.end_column = end - prev;
            loc.end_line_index = nl;
        }
        prev = nl;
    }
    if !line_set {
        loc.start_column = start.saturating_sub(prev) + 1;
        loc.end_column = end.saturating_sub(prev);
        loc.start_line = last_line + 1;
        loc.end_line = last_line + 1;
        // The line runs on to the next newline or carriage return.
        let rest = raw.get(end..).unwrap_or_default();
        loc.end_line_index = end
            + rest
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .unwrap_or(rest.len());
    }
    loc
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Column (1-based, in Unicode scalar values) of byte `offset` within its line.
fn char_column(raw: &[u8], offset: usize) -> usize {
    let offset = offset.min(raw.len());
    let line_start = raw
        .get(..offset)
        .and_then(|b| memchr::memrchr(b'\n', b))
        .map_or(0, |i| i + 1);
    raw.get(line_start..offset)
        .map_or(1, |b| String::from_utf8_lossy(b).chars().count() + 1)
}

/// Most keyword bytes the prefilter is built as a DFA for. Short keywords (`sk`, `ey`) occur
/// everywhere, so the automaton steps through nearly every byte, and a DFA steps fastest; but its size
/// grows with its states (about one per keyword byte) times its byte classes, so a configuration with a
/// great many keywords gets the automaton the library picks instead. gitleaks' own configuration has
/// about 1,500 keyword bytes; this bound keeps the DFA to a few megabytes.
const MAX_DFA_KEYWORD_BYTES: usize = 16 * 1024;

/// The automaton for the keyword prefilter (see [`MAX_DFA_KEYWORD_BYTES`]).
fn prefilter_kind(keywords: &[String]) -> Option<aho_corasick::AhoCorasickKind> {
    let bytes: usize = keywords.iter().map(String::len).sum();
    (bytes <= MAX_DFA_KEYWORD_BYTES).then_some(aho_corasick::AhoCorasickKind::DFA)
}

impl Detector {
    /// Compiles the prefilter for a configuration.
    #[must_use]
    pub fn new(config: Config) -> Detector {
        let keywords = config.keywords();
        let prefilter = if keywords.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(prefilter_kind(&keywords))
                .build(&keywords)
                .ok()
        };
        let rule_keywords = config
            .rules
            .iter()
            .map(|r| {
                r.keywords
                    .iter()
                    .filter_map(|k| keywords.binary_search(k).ok())
                    .collect()
            })
            .collect();
        Detector {
            config,
            max_decode_depth: DEFAULT_MAX_DECODE_DEPTH,
            prefilter,
            keywords,
            rule_keywords,
        }
    }

    /// Decodes encoded text up to `depth` passes (gitleaks' `--max-decode-depth`; 0: no decoding),
    /// at most [`decode::MAX_DECODE_DEPTH`].
    #[must_use]
    pub fn with_max_decode_depth(mut self, depth: usize) -> Detector {
        self.max_decode_depth = depth.min(decode::MAX_DECODE_DEPTH);
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether a path is skipped by a global allowlist during the walk (any allowlist's paths).
    #[must_use]
    pub fn walk_skips(&self, file: &str) -> bool {
        self.config.allowlists.iter().any(|a| a.path_allowed(file))
    }

    /// Whether a file is skipped before reading: its path matches a global allowlist's path check
    /// (gitleaks' `checkCommitOrPathAllowed`), or it is the configuration file itself.
    #[must_use]
    pub fn file_allowed(&self, file: &str) -> bool {
        if self.config.path.as_deref() == Some(file) {
            return true;
        }
        path_or_commit_allowed(&self.config.allowlists, file)
    }

    /// Findings in one fragment (the file-level global allowlist already checked by the caller): the
    /// text as it is, then each decoding pass up to the depth, as gitleaks' `DetectContext` loops.
    #[must_use]
    pub fn detect(&self, fragment: &Fragment<'_>) -> Vec<Finding> {
        let mut newlines: Option<Vec<usize>> = None;
        let mut findings = self.detect_pass(
            fragment,
            Pass {
                current: fragment.raw,
                decoder: None,
            },
            &mut newlines,
        );
        if self.max_decode_depth > 0 {
            let mut decoder = Decoder::default();
            let mut current: Option<Vec<u8>> = None;
            for _ in 0..self.max_decode_depth {
                let text = current.as_deref().unwrap_or(fragment.raw);
                let Some(next) = decoder.pass(text) else { break };
                let pass = Pass {
                    current: &next,
                    decoder: Some(&decoder),
                };
                findings.extend(self.detect_pass(fragment, pass, &mut newlines));
                current = Some(next);
            }
        }
        filter_generic(findings)
    }

    /// Every rule whose keywords occur in the pass's text, over that text.
    fn detect_pass(
        &self,
        fragment: &Fragment<'_>,
        pass: Pass<'_>,
        newlines: &mut Option<Vec<usize>>,
    ) -> Vec<Finding> {
        let mut present = vec![false; self.keywords.len()];
        if let Some(ac) = &self.prefilter {
            let mut remaining = present.len();
            for m in ac.find_overlapping_iter(pass.current) {
                if let Some(slot) = present.get_mut(m.pattern().as_usize())
                    && !*slot
                {
                    *slot = true;
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        let mut findings = Vec::new();
        for (rule, kws) in self.config.rules.iter().zip(&self.rule_keywords) {
            let run =
                rule.keywords.is_empty() || kws.iter().any(|&k| present.get(k).copied().unwrap_or(false));
            if run {
                findings.extend(self.detect_rule(fragment, pass, rule, false, newlines));
            }
        }
        findings
    }

    #[allow(clippy::too_many_lines)] // gitleaks' detectRule, step by step
    fn detect_rule(
        &self,
        fragment: &Fragment<'_>,
        pass: Pass<'_>,
        rule: &Rule,
        inherited: bool,
        newlines: &mut Option<Vec<usize>>,
    ) -> Vec<Finding> {
        let decoded = pass.decoder.is_some_and(|d| !d.current().is_empty());
        let mut findings = Vec::new();
        if rule.skip_report && !inherited {
            return findings;
        }
        if path_or_commit_allowed(&rule.allowlists, fragment.file) {
            return findings;
        }
        if let Some(path_re) = &rule.path {
            let path_matches = path_re.is_match(fragment.file.as_bytes());
            if rule.regex.is_none() {
                if path_matches && !decoded {
                    findings.push(Finding {
                        rule_id: rule.id.clone(),
                        description: rule.description.clone(),
                        file: fragment.file.to_owned(),
                        path: fragment.path.to_owned(),
                        matched: format!("file detected: {}", fragment.file),
                        tags: rule.tags.clone(),
                        ..Finding::default()
                    });
                }
                return findings;
            }
            if !path_matches {
                return findings;
            }
        }
        let Some(regex) = &rule.regex else { return findings };
        let raw = fragment.raw;
        let mut matches = regex.find_iter(pass.current).peekable();
        if matches.peek().is_none() {
            return findings;
        }
        let newlines = newlines.get_or_insert_with(|| memchr::memchr_iter(b'\n', raw).collect());
        for m in matches {
            let whole = m.as_bytes();
            let trimmed_front = whole.iter().take_while(|&&b| b == b'\n').count();
            let trimmed_back = whole.iter().rev().take_while(|&&b| b == b'\n').count();
            let secret_bytes = whole
                .get(trimmed_front..whole.len().saturating_sub(trimmed_back))
                .unwrap_or_default();
            let mut tags = rule.tags.clone();
            let mut current_line: Option<&[u8]> = None;
            let (start, end) = match pass.decoder.filter(|_| decoded) {
                Some(passes) => {
                    // Only what overlaps text decoded in this pass is new.
                    let segments = passes.overlapping(m.start(), m.end());
                    if segments.is_empty() {
                        continue;
                    }
                    tags.extend(decode::tags(&segments));
                    current_line = Some(decode::current_line(&segments, pass.current));
                    passes.adjust(&segments, m.start(), m.end())
                }
                // gitleaks moves the end back by the trimmed length but keeps the start.
                None => (m.start(), m.start() + secret_bytes.len()),
            };
            let mut loc = location(newlines, raw, start, end);
            if end > loc.end_line_index {
                loc.end_line_index = end;
            }
            let line = raw
                .get(loc.start_line_index..loc.end_line_index)
                .unwrap_or_default();
            if contains(line, ALLOW_SIGNATURE) {
                continue;
            }
            let current_line = current_line.unwrap_or(line);
            let mut secret: &[u8] = secret_bytes;
            if let Some(caps) = regex.captures(secret_bytes)
                && caps.len() >= 2
            {
                {
                    if rule.secret_group > 0 {
                        if caps.len() <= rule.secret_group {
                            continue;
                        }
                        secret = caps.get(rule.secret_group).map_or(&[][..], |g| g.as_bytes());
                    } else if let Some(g) = (1..caps.len())
                        .filter_map(|i| caps.get(i))
                        .find(|g| !g.as_bytes().is_empty())
                    {
                        secret = g.as_bytes();
                    }
                }
            }
            let entropy = shannon_entropy(secret);
            if rule.entropy != 0.0 && entropy <= rule.entropy {
                continue;
            }
            if finding_allowed(
                &self.config.allowlists,
                fragment.file,
                secret,
                secret_bytes,
                current_line,
            ) || finding_allowed(
                &rule.allowlists,
                fragment.file,
                secret,
                secret_bytes,
                current_line,
            ) {
                continue;
            }
            let (line_start, line_end) = (
                fragment.start_line + loc.start_line,
                fragment.start_line + loc.end_line,
            );
            findings.push(Finding {
                rule_id: rule.id.clone(),
                description: rule.description.clone(),
                file: fragment.file.to_owned(),
                path: fragment.path.to_owned(),
                start_line: line_start,
                end_line: line_end,
                start_column: loc.start_column,
                end_column: loc.end_column,
                column: char_column(raw, start),
                end_column_exclusive: char_column(raw, end),
                matched: lossy(secret_bytes),
                secret: lossy(secret),
                #[allow(clippy::cast_possible_truncation)] // gitleaks reports a float32
                entropy: entropy as f32,
                tags,
            });
        }
        if inherited || rule.required.is_empty() {
            return findings;
        }
        self.required(fragment, pass, rule, findings)
    }

    /// gitleaks' composite rules: keep a finding only when every required rule matched near it.
    fn required(
        &self,
        fragment: &Fragment<'_>,
        pass: Pass<'_>,
        rule: &Rule,
        primary: Vec<Finding>,
    ) -> Vec<Finding> {
        if primary.is_empty() {
            return primary;
        }
        let mut collected: Vec<(usize, Vec<Finding>)> = Vec::new();
        for (i, req) in rule.required.iter().enumerate() {
            if let Some(other) = self.config.rules.iter().find(|r| r.id == req.rule_id) {
                let mut nl = None;
                collected.push((i, self.detect_rule(fragment, pass, other, true, &mut nl)));
            }
        }
        primary
            .into_iter()
            .filter(|p| {
                let mut found: BTreeSet<&str> = BTreeSet::new();
                for (i, others) in &collected {
                    let Some(req) = rule.required.get(*i) else {
                        continue;
                    };
                    for o in others {
                        let lines_ok = req.within_lines.is_none_or(|w| {
                            (i64::try_from(p.start_line).unwrap_or(i64::MAX)
                                - i64::try_from(o.start_line).unwrap_or(i64::MAX))
                            .abs()
                                <= w
                        });
                        let cols_ok = req.within_columns.is_none_or(|w| {
                            (i64::try_from(p.start_column).unwrap_or(i64::MAX)
                                - i64::try_from(o.start_column).unwrap_or(i64::MAX))
                            .abs()
                                <= w
                        });
                        if lines_ok && cols_ok {
                            found.insert(o.rule_id.as_str());
                        }
                    }
                }
                !found.is_empty() && rule.required.iter().all(|r| found.contains(r.rule_id.as_str()))
            })
            .collect()
    }
}

/// gitleaks' `checkCommitOrPathAllowed` for a directory scan (there is no commit).
fn path_or_commit_allowed(allowlists: &[Allowlist], file: &str) -> bool {
    for a in allowlists {
        let path_allowed = a.path_allowed(file);
        let allowed = match a.condition {
            Condition::And => {
                if a.regex_count > 0 || !a.stopwords.is_empty() {
                    continue;
                }
                // Commits never match without a commit; paths must.
                (a.commits.is_empty()) && (a.path_count == 0 || path_allowed)
            }
            Condition::Or => path_allowed,
        };
        if allowed {
            return true;
        }
    }
    false
}

/// gitleaks' `checkFindingAllowed` for a directory scan.
fn finding_allowed(allowlists: &[Allowlist], file: &str, secret: &[u8], matched: &[u8], line: &[u8]) -> bool {
    for a in allowlists {
        let target = match a.regex_target {
            RegexTarget::Secret => secret,
            RegexTarget::Match => matched,
            RegexTarget::Line => line,
        };
        let regex_allowed = a.regex_allowed(target);
        let stopword = a.contains_stopword(secret);
        let allowed = match a.condition {
            Condition::And => {
                let mut all = true;
                if !a.commits.is_empty() {
                    all = false;
                }
                if a.path_count > 0 {
                    all &= a.path_allowed(file);
                }
                if a.regex_count > 0 {
                    all &= regex_allowed;
                }
                if !a.stopwords.is_empty() {
                    all &= stopword;
                }
                all
            }
            Condition::Or => regex_allowed || stopword,
        };
        if allowed {
            return true;
        }
    }
    false
}

/// gitleaks' `filter`: a finding of a rule whose id contains "generic" is dropped when a non-generic
/// rule found a secret containing it on the same line.
fn filter_generic(findings: Vec<Finding>) -> Vec<Finding> {
    let keep: Vec<bool> = findings
        .iter()
        .map(|f| {
            if !f.rule_id.to_lowercase().contains("generic") {
                return true;
            }
            !findings.iter().any(|g| {
                f.start_line == g.start_line
                    && f.rule_id != g.rule_id
                    && g.secret.contains(f.secret.as_str())
                    && !g.rule_id.to_lowercase().contains("generic")
            })
        })
        .collect();
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Detector, Fragment, MAX_DFA_KEYWORD_BYTES, location, prefilter_kind};
    use crate::secrets::config::{Config, NoExtend};

    /// A configuration of one rule with `n` keywords of eight letters, the last one `tokenkey`.
    fn many_keywords(n: usize) -> Config {
        let mut keywords: Vec<String> = (0..n.saturating_sub(1))
            .map(|i| {
                let letters: String = format!("{i:08}")
                    .bytes()
                    .map(|d| char::from(b'a' + (d - b'0')))
                    .collect();
                format!("\"{letters}\"")
            })
            .collect();
        keywords.push("\"tokenkey\"".to_owned());
        let text = format!(
            "[[rules]]\nid = \"t\"\nregex = '''tokenkey=([a-z0-9]{{12}})'''\nkeywords = [{}]\n",
            keywords.join(", ")
        );
        Config::parse(&text, "test", &NoExtend).unwrap()
    }

    #[test]
    fn the_keyword_prefilter_is_a_dfa_only_while_it_stays_small() {
        for (n, dfa) in [
            (10, true),
            (MAX_DFA_KEYWORD_BYTES / 8, true),
            (MAX_DFA_KEYWORD_BYTES / 8 + 1, false),
        ] {
            let config = many_keywords(n);
            assert_eq!(prefilter_kind(&config.keywords()).is_some(), dfa, "{n} keywords");
            // Either automaton finds the same.
            let detector = Detector::new(config);
            let raw = b"a = 1\nTOKENKEY=abcdef123456\ntokenkey=abcdef123456\n";
            let found = detector.detect(&Fragment {
                raw,
                file: "f",
                path: "f",
                start_line: 1,
            });
            assert_eq!(found.len(), 1, "{n} keywords: {found:?}");
            assert_eq!(found[0].start_line, 3);
        }
    }

    #[test]
    fn columns_count_from_the_previous_newline_as_gitleaks_does() {
        let raw = b"ab\ncdKEY\n";
        let nl = [2usize, 8];
        let loc = location(&nl, raw, 5, 8);
        assert_eq!((loc.start_line, loc.start_column, loc.end_column), (1, 4, 6));
        let first = location(&nl, raw, 0, 2);
        assert_eq!(
            (first.start_line, first.start_column, first.end_column),
            (0, 1, 2)
        );
    }

    #[test]
    fn a_match_on_a_last_line_without_newline() {
        let raw = b"a\nKEY # gitleaks:allow\r";
        let loc = location(&[1], raw, 2, 5);
        assert_eq!((loc.start_line, loc.start_column, loc.end_column), (1, 2, 4));
        // The line (for gitleaks:allow and line allowlists) starts at the fragment and ends at the \r.
        assert_eq!((loc.start_line_index, loc.end_line_index), (0, raw.len() - 1));
    }
}
