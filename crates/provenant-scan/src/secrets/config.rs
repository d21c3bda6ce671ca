//! gitleaks' configuration format (`gitleaks.toml`, 8.x): rules, allowlists and `[extend]`.
//!
//! Keys are matched case-insensitively, as gitleaks' configuration reader (viper) does. Patterns are Go
//! RE2 regular expressions, translated by [`crate::gore2`]; a pattern that still does not compile is
//! listed in [`Config::unsupported`] with its rule and reason, never dropped silently.

use std::collections::{BTreeMap, BTreeSet};

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::gore2;

/// Largest configuration file read (bytes).
pub const MAX_CONFIG_BYTES: usize = 8 << 20;
/// How many levels of `[extend]` are followed, as gitleaks does.
const MAX_EXTEND_DEPTH: usize = 2;
/// Compiled-size limit per pattern; gitleaks' generic rules are large.
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// Provenant's own default rules (see docs/scan.md), used when no configuration is given and by
/// `[extend] useDefault = true`.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML itself is malformed.
    #[error("{origin}: not valid TOML: {message}")]
    Toml {
        /// Where the text came from.
        origin: String,
        /// The TOML parser's message (line and column included).
        message: String,
    },
    /// The file is larger than [`MAX_CONFIG_BYTES`].
    #[error("{origin}: the configuration is {size} bytes, more than the {limit} accepted")]
    TooLarge {
        /// Where the text came from.
        origin: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A rule or allowlist breaks one of gitleaks' own validation rules.
    #[error("{origin}: {problem}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// What is wrong, naming the rule or allowlist.
        problem: String,
    },
    /// An `[extend] path` could not be read.
    #[error("{origin}: cannot read the extended configuration {path}: {reason}")]
    Extend {
        /// The configuration that extends.
        origin: String,
        /// The path it names.
        path: String,
        /// Why it could not be read (part of the message, so not also a source).
        reason: ExtendError,
    },
}

/// Why an [`ExtendResolver`] did not return an `[extend] path`'s text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtendError {
    /// The resolver reads no extended configuration (see [`NoExtend`]).
    #[error("extending {path} is not allowed here")]
    NotAllowed {
        /// The path named.
        path: String,
    },
    /// The extended configuration could not be read.
    #[error("{0}")]
    Read(std::io::Error),
}

/// A pattern the `regex` crate cannot compile even after translation: the rule (or allowlist) is
/// reported, and the rule does not run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unsupported {
    /// The rule's id, or `allowlist` for a global allowlist.
    pub rule_id: String,
    /// Which field: `regex`, `path`, `allowlists.regexes`, `allowlists.paths`.
    pub field: String,
    /// The Go pattern as written.
    pub pattern: String,
    /// Why it was refused.
    pub reason: String,
}

/// How an allowlist's checks combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Any check suffices (the default).
    Or,
    /// Every check that is set must hold.
    And,
}

/// What an allowlist's regexes are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexTarget {
    /// The extracted secret (the default).
    Secret,
    /// The whole match of the rule's regex.
    Match,
    /// The line(s) holding the match.
    Line,
}

/// An allowlist (global or per rule).
#[derive(Debug, Clone)]
pub struct Allowlist {
    /// Free text.
    pub description: String,
    /// How the checks combine.
    pub condition: Condition,
    /// Commits: a directory scan has none, so an allowlist with commits never matches by commit.
    pub commits: Vec<String>,
    /// The path patterns, joined as gitleaks joins them.
    pub paths: Option<Regex>,
    /// How many path patterns there were.
    pub path_count: usize,
    /// What the regexes are matched against.
    pub regex_target: RegexTarget,
    /// The content patterns, joined.
    pub regexes: Option<Regex>,
    /// How many content patterns there were.
    pub regex_count: usize,
    /// Stop words (lower-cased).
    pub stopwords: Vec<String>,
    stopword_matcher: Option<AhoCorasick>,
}

impl Allowlist {
    /// Whether `path` matches one of the path patterns.
    #[must_use]
    pub fn path_allowed(&self, path: &str) -> bool {
        !path.is_empty() && self.paths.as_ref().is_some_and(|re| re.is_match(path.as_bytes()))
    }

    /// Whether `target` matches one of the content patterns.
    #[must_use]
    pub fn regex_allowed(&self, target: &[u8]) -> bool {
        !target.is_empty() && self.regexes.as_ref().is_some_and(|re| re.is_match(target))
    }

    /// Whether the (lower-cased) secret contains a stop word.
    #[must_use]
    pub fn contains_stopword(&self, secret: &[u8]) -> bool {
        if secret.is_empty() {
            return false;
        }
        self.stopword_matcher
            .as_ref()
            .is_some_and(|ac| ac.is_match(secret.to_ascii_lowercase().as_slice()))
    }
}

/// A rule that must also match near a rule's finding (gitleaks' composite rules).
#[derive(Debug, Clone)]
pub struct Required {
    /// The other rule's id.
    pub rule_id: String,
    /// At most this many lines apart.
    pub within_lines: Option<i64>,
    /// At most this many columns apart.
    pub within_columns: Option<i64>,
}

/// A detection rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Free text.
    pub description: String,
    /// The content pattern (`None` for a path-only rule).
    pub regex: Option<Regex>,
    /// Which capture group holds the secret (0: the first non-empty group).
    pub secret_group: usize,
    /// Minimum Shannon entropy of the secret (0: no check).
    pub entropy: f64,
    /// The path pattern.
    pub path: Option<Regex>,
    /// Lower-cased keywords; the rule runs only on text containing one (none: always).
    pub keywords: Vec<String>,
    /// Tags for reports.
    pub tags: Vec<String>,
    /// Allowlists of this rule.
    pub allowlists: Vec<Allowlist>,
    /// Rules that must match near this one.
    pub required: Vec<Required>,
    /// Only used as a required part of another rule.
    pub skip_report: bool,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The title.
    pub title: String,
    /// Rules in gitleaks' order (the file's, then extended rules, sorted when extended).
    pub rules: Vec<Rule>,
    /// Global allowlists (those without `targetRules`).
    pub allowlists: Vec<Allowlist>,
    /// Patterns that did not compile.
    pub unsupported: Vec<Unsupported>,
    /// The configuration file's path as given (gitleaks never scans its own configuration file).
    pub path: Option<String>,
}

/// Reads an `[extend] path`.
pub trait ExtendResolver {
    /// The text of the configuration at `path`, or why it cannot be read.
    fn read(&self, path: &str) -> Result<String, ExtendError>;
}

/// A resolver that refuses every `[extend] path` (for parsing untrusted text in isolation).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExtend;

impl ExtendResolver for NoExtend {
    fn read(&self, path: &str) -> Result<String, ExtendError> {
        Err(ExtendError::NotAllowed {
            path: path.to_owned(),
        })
    }
}

// ---------- raw (serde) form ----------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    title: String,
    extend: RawExtend,
    rules: Vec<RawRule>,
    allowlist: Option<RawGlobalAllowlist>,
    allowlists: Vec<RawGlobalAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawExtend {
    path: String,
    usedefault: bool,
    disabledrules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRule {
    id: String,
    description: String,
    path: String,
    regex: String,
    secretgroup: i64,
    entropy: f64,
    keywords: Vec<String>,
    tags: Vec<String>,
    allowlist: Option<RawAllowlist>,
    allowlists: Vec<RawAllowlist>,
    required: Vec<RawRequired>,
    skipreport: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRequired {
    id: String,
    withinlines: Option<i64>,
    withincolumns: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawAllowlist {
    description: String,
    condition: String,
    commits: Vec<String>,
    paths: Vec<String>,
    regextarget: String,
    regexes: Vec<String>,
    stopwords: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawGlobalAllowlist {
    targetrules: Vec<String>,
    #[serde(flatten)]
    allowlist: RawAllowlist,
}

/// Lower-cases every table key (viper's keys are case-insensitive) and turns integers given for
/// `entropy` into floats.
fn normalise(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::Table(table) => {
            let mut out = toml::map::Map::new();
            for (key, value) in table {
                let key = key.to_ascii_lowercase();
                let value = match (key.as_str(), value) {
                    #[allow(clippy::cast_precision_loss)] // entropies are small numbers
                    ("entropy", toml::Value::Integer(i)) => toml::Value::Float(i as f64),
                    (_, v) => normalise(v),
                };
                out.insert(key, value);
            }
            toml::Value::Table(out)
        }
        toml::Value::Array(items) => toml::Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

struct Builder<'a> {
    origin: String,
    resolver: &'a dyn ExtendResolver,
    unsupported: Vec<Unsupported>,
}

impl Config {
    /// Parses a configuration's text. `origin` names it in errors; `resolver` reads `[extend] path`.
    pub fn parse(text: &str, origin: &str, resolver: &dyn ExtendResolver) -> Result<Config, ConfigError> {
        let mut builder = Builder {
            origin: origin.to_owned(),
            resolver,
            unsupported: Vec::new(),
        };
        let mut config = builder.translate(text, origin, 0)?;
        config.unsupported = builder.unsupported;
        Ok(config)
    }

    /// Provenant's default rules.
    pub fn default_rules() -> Result<Config, ConfigError> {
        Config::parse(DEFAULT_RULES, "default rules", &NoExtend)
    }

    /// Every keyword of every rule, lower-cased and deduplicated, sorted.
    #[must_use]
    pub fn keywords(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(String::as_str))
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }
}

fn invalid(origin: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_owned(),
        problem: problem.into(),
    }
}

impl Builder<'_> {
    fn compile(&mut self, rule_id: &str, field: &str, patterns: &[&str]) -> Option<Regex> {
        let mut translated = Vec::new();
        for pattern in patterns {
            let result = gore2::translate(pattern)
                .map_err(|e| e.to_string())
                .and_then(|t| build_regex(&t).map(|_| t).map_err(|e| e.to_string()));
            match result {
                Ok(t) => translated.push(t),
                Err(reason) => self.unsupported.push(Unsupported {
                    rule_id: rule_id.to_owned(),
                    field: field.to_owned(),
                    pattern: (*pattern).to_owned(),
                    reason,
                }),
            }
        }
        match translated.len() {
            0 => None,
            1 => translated.first().and_then(|t| build_regex(t).ok()),
            _ => {
                // gitleaks joins an allowlist's patterns into one `(?:a|b|…)`.
                let joined = format!("(?:{})", translated.join("|"));
                match build_regex(&joined) {
                    Ok(re) => Some(re),
                    Err(e) => {
                        self.unsupported.push(Unsupported {
                            rule_id: rule_id.to_owned(),
                            field: field.to_owned(),
                            pattern: joined,
                            reason: e.to_string(),
                        });
                        None
                    }
                }
            }
        }
    }

    fn allowlist(&mut self, owner: &str, raw: &RawAllowlist, origin: &str) -> Result<Allowlist, ConfigError> {
        let condition = match raw.condition.to_ascii_uppercase().as_str() {
            "AND" | "&&" => Condition::And,
            "" | "OR" | "||" => Condition::Or,
            other => {
                return Err(invalid(
                    origin,
                    format!("{owner}: unknown allowlist condition '{other}' (expected 'and', 'or')"),
                ));
            }
        };
        let regex_target = match raw.regextarget.as_str() {
            "" | "secret" => RegexTarget::Secret,
            "match" => RegexTarget::Match,
            "line" => RegexTarget::Line,
            other => {
                return Err(invalid(
                    origin,
                    format!("{owner}: unknown allowlist regexTarget '{other}' (expected 'match', 'line')"),
                ));
            }
        };
        if raw.commits.is_empty()
            && raw.paths.is_empty()
            && raw.regexes.is_empty()
            && raw.stopwords.is_empty()
        {
            return Err(invalid(
                origin,
                format!(
                    "{owner}: an allowlist must contain at least one check for: commits, paths, regexes, or stopwords"
                ),
            ));
        }
        let paths: Vec<&str> = raw.paths.iter().map(String::as_str).collect();
        let regexes: Vec<&str> = raw.regexes.iter().map(String::as_str).collect();
        let path_re = self.compile(owner, "allowlists.paths", &paths);
        let regex_re = self.compile(owner, "allowlists.regexes", &regexes);
        let stopwords: Vec<String> = raw
            .stopwords
            .iter()
            .map(|s| s.to_lowercase())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let stopword_matcher = if stopwords.is_empty() {
            None
        } else {
            AhoCorasick::new(&stopwords).ok()
        };
        Ok(Allowlist {
            description: raw.description.clone(),
            condition,
            commits: raw.commits.iter().map(|c| c.trim().to_lowercase()).collect(),
            paths: path_re,
            path_count: paths.len(),
            regex_target,
            regexes: regex_re,
            regex_count: regexes.len(),
            stopwords,
            stopword_matcher,
        })
    }

    #[allow(clippy::too_many_lines)] // one pass mirroring gitleaks' own translation, kept in one place
    fn translate(&mut self, text: &str, origin: &str, depth: usize) -> Result<Config, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                origin: origin.to_owned(),
                size: text.len(),
                limit: MAX_CONFIG_BYTES,
            });
        }
        let value: toml::Value = toml::from_str(text).map_err(|e| ConfigError::Toml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let raw: RawConfig = normalise(value)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml {
                origin: origin.to_owned(),
                message: e.to_string(),
            })?;

        let mut rules: Vec<Rule> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for mut vr in raw.rules {
            let regex = if vr.regex.is_empty() {
                None
            } else {
                self.compile(&vr.id, "regex", &[&vr.regex])
            };
            let path = if vr.path.is_empty() {
                None
            } else {
                self.compile(&vr.id, "path", &[&vr.path])
            };
            let regex_failed = !vr.regex.is_empty() && regex.is_none();
            let path_failed = !vr.path.is_empty() && path.is_none();
            if vr.allowlist.is_some() && !vr.allowlists.is_empty() {
                return Err(invalid(
                    origin,
                    format!(
                        "{}: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlists]]",
                        vr.id
                    ),
                ));
            }
            if let Some(old) = vr.allowlist.take() {
                vr.allowlists.push(old);
            }
            let mut allowlists = Vec::new();
            for a in &vr.allowlists {
                allowlists.push(self.allowlist(&vr.id, a, origin)?);
            }
            let mut required = Vec::new();
            for r in &vr.required {
                if r.id.is_empty() {
                    return Err(invalid(
                        origin,
                        format!("{}: [[rules.required]] rule ID is empty", vr.id),
                    ));
                }
                required.push(Required {
                    rule_id: r.id.clone(),
                    within_lines: r.withinlines,
                    within_columns: r.withincolumns,
                });
            }
            let secret_group = usize::try_from(vr.secretgroup).map_err(|_| {
                invalid(
                    origin,
                    format!("{}: secretGroup {} is negative", vr.id, vr.secretgroup),
                )
            })?;
            let rule = Rule {
                id: vr.id.clone(),
                description: vr.description,
                regex,
                secret_group,
                entropy: vr.entropy,
                path,
                keywords: vr.keywords.iter().map(|k| k.to_lowercase()).collect(),
                tags: vr.tags,
                allowlists,
                required,
                skip_report: vr.skipreport,
            };
            if regex_failed || path_failed {
                // Listed in `unsupported`; the rule cannot run as written. An empty id is still an error.
                if rule.id.trim().is_empty() {
                    return Err(invalid(origin, "a rule's id is missing or empty"));
                }
                continue;
            }
            if let Some(&i) = index.get(&rule.id) {
                if let Some(slot) = rules.get_mut(i) {
                    *slot = rule;
                }
            } else {
                index.insert(rule.id.clone(), rules.len());
                rules.push(rule);
            }
        }
        for rule in &rules {
            for r in &rule.required {
                if !index.contains_key(&r.rule_id) {
                    return Err(invalid(
                        origin,
                        format!(
                            "{}: [[rules.required]] rule ID '{}' does not exist",
                            rule.id, r.rule_id
                        ),
                    ));
                }
            }
        }

        let mut config = Config {
            title: raw.title,
            rules,
            ..Config::default()
        };

        if raw.allowlist.is_some() && !raw.allowlists.is_empty() {
            return Err(invalid(
                origin,
                "[allowlist] is deprecated, it cannot be used alongside [[allowlists]]",
            ));
        }
        let mut targeted: Vec<(String, Allowlist)> = Vec::new();
        for a in raw.allowlist.iter().chain(raw.allowlists.iter()) {
            let allowlist = self.allowlist("allowlist", &a.allowlist, origin)?;
            if a.targetrules.is_empty() {
                config.allowlists.push(allowlist);
            } else {
                for id in &a.targetrules {
                    targeted.push((id.clone(), allowlist.clone()));
                }
            }
        }

        if depth < MAX_EXTEND_DEPTH {
            let ext = &raw.extend;
            if !ext.path.is_empty() && ext.usedefault {
                return Err(invalid(
                    origin,
                    "unable to load config due to extend.path and extend.useDefault being set",
                ));
            }
            let base = if ext.usedefault {
                Some(self.translate(DEFAULT_RULES, "default rules", depth + 1)?)
            } else if ext.path.is_empty() {
                None
            } else {
                let text = self
                    .resolver
                    .read(&ext.path)
                    .map_err(|reason| ConfigError::Extend {
                        origin: origin.to_owned(),
                        path: ext.path.clone(),
                        reason,
                    })?;
                Some(self.translate(&text, &ext.path, depth + 1)?)
            };
            if let Some(base) = base {
                extend(&mut config, base, &ext.disabledrules);
            }
        }

        if depth == 0 {
            for rule in &config.rules {
                validate_rule(rule, origin)?;
            }
            for (id, allowlist) in targeted {
                let Some(rule) = config.rules.iter_mut().find(|r| r.id == id) else {
                    return Err(invalid(
                        origin,
                        format!("[[allowlists]] target rule ID '{id}' does not exist"),
                    ));
                };
                rule.allowlists.push(allowlist);
            }
        }
        let _ = &self.origin;
        Ok(config)
    }
}

fn validate_rule(rule: &Rule, origin: &str) -> Result<(), ConfigError> {
    if rule.id.trim().is_empty() {
        return Err(invalid(
            origin,
            format!(
                "a rule's id is missing or empty (description: {})",
                rule.description
            ),
        ));
    }
    if rule.regex.is_none() && rule.path.is_none() {
        return Err(invalid(
            origin,
            format!(
                "{}: both regex and path are empty, this rule will have no effect",
                rule.id
            ),
        ));
    }
    if let Some(re) = &rule.regex {
        let groups = re.captures_len().saturating_sub(1);
        if rule.secret_group > groups {
            return Err(invalid(
                origin,
                format!(
                    "{}: invalid regex secret group {}, max regex secret group {}",
                    rule.id, rule.secret_group, groups
                ),
            ));
        }
    }
    Ok(())
}

/// Merges `base` (an extended configuration) into `config` as gitleaks' `extend` does.
fn extend(config: &mut Config, base: Config, disabled: &[String]) {
    let disabled: BTreeSet<&str> = disabled.iter().map(String::as_str).collect();
    let mut added = false;
    for mut base_rule in base.rules {
        if disabled.contains(base_rule.id.as_str()) {
            continue;
        }
        if let Some(current) = config.rules.iter_mut().find(|r| r.id == base_rule.id) {
            if !current.description.is_empty() {
                base_rule.description = std::mem::take(&mut current.description);
            }
            if current.entropy != 0.0 {
                base_rule.entropy = current.entropy;
            }
            if current.secret_group != 0 {
                base_rule.secret_group = current.secret_group;
            }
            if current.regex.is_some() {
                base_rule.regex = current.regex.take();
            }
            if current.path.is_some() {
                base_rule.path = current.path.take();
            }
            base_rule.tags.append(&mut current.tags);
            base_rule.keywords.append(&mut current.keywords);
            base_rule.allowlists.append(&mut current.allowlists);
            *current = base_rule;
        } else {
            config.rules.push(base_rule);
            added = true;
        }
    }
    config.allowlists.extend(base.allowlists);
    let _ = added;
    // gitleaks sorts its rule order after extending.
    config.rules.sort_by(|a, b| a.id.cmp(&b.id));
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}
