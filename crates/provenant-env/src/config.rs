//! The environments file (`environments.yaml`): the environments in promotion order, each with its
//! repository, who may promote into it, its trigger and what a promotion into it requires.
//!
//! Parsing is strict (`deny_unknown_fields`, every value checked) and every error names the file with a
//! line and column. The order of the list is the promotion order: the first environment is the entry (an
//! image enters it by being built and pushed there, with packaging provenance signed by a role) and every
//! later one needs the digest recorded as promoted into the one before it, which no setting turns off.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::duration::Duration;

/// The only version of the file format.
pub const VERSION: u32 = 1;

/// The environments file, as read from YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an environments file: a mapping with version, roles and environments")]
pub struct EnvironmentsFile {
    /// Always 1.
    pub version: u32,
    /// The roles file (`roles: {NAME: {keys: [...], identities: [...]}}`), relative to this file.
    pub roles: String,
    /// The environments in promotion order.
    pub environments: Vec<Environment>,
}

/// One environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an environment: a mapping with name, repository, promote_roles and requires")]
pub struct Environment {
    /// Its name (lower-case letters, digits and `-`).
    pub name: Name,
    /// The repository images are promoted into (`registry/path`, or `oci:DIR` for an OCI layout).
    pub repository: String,
    /// The roles whose holders may promote into it (sign its promotion records).
    pub promote_roles: Vec<Name>,
    /// What starts a promotion into it.
    pub trigger: Trigger,
    /// What a promotion into it requires.
    #[serde(default)]
    pub requires: Requires,
    /// A configuration file or directory for this environment, relative to the environments file; its
    /// digest is recorded with each promotion and `env status` reports it when it changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The planned deployment strategy (`rolling`, `blue-green`, `canary`, `feature-flag`), for the
    /// change record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<provenant_records::deployment::Strategy>,
}

/// What starts a promotion into an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Trigger {
    /// Every commit on the main line.
    OnCommit,
    /// A merge into the main line.
    OnMerge,
    /// A release candidate (a tag).
    OnReleaseCandidate,
    /// An explicit approval.
    OnApproval,
}

impl Trigger {
    /// The spelling in the file.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::OnCommit => "on-commit",
            Trigger::OnMerge => "on-merge",
            Trigger::OnReleaseCandidate => "on-release-candidate",
            Trigger::OnApproval => "on-approval",
        }
    }
}

/// What a promotion into an environment requires (besides, for every environment after the first, the
/// digest recorded as promoted into the previous one, which is implied by the order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the requirements of an environment: a mapping of provenance, gate_decision, approvals, change_windows, rollback_tested")]
pub struct Requires {
    /// The entry (first environment only): build and packaging provenance for the digest signed by a role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<ProvenanceRule>,
    /// A passing gate decision for the digest (required for every environment after the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_decision: Option<GateRule>,
    /// Approvals for the digest and this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalRule>,
    /// When a promotion may happen (any one window; none listed: any time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub change_windows: Vec<ChangeWindow>,
    /// A tested rollback path: a recorded rollback into this environment before the promotion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback_tested: bool,
}

/// The entry requirement: provenance signed by a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a provenance requirement: a mapping with role")]
pub struct ProvenanceRule {
    /// The role that signs build and packaging provenance (`ci`).
    pub role: Name,
}

/// The gate decision requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a gate decision requirement: a mapping with role and optionally max_age")]
pub struct GateRule {
    /// The role that signs gate decisions (`ci`).
    pub role: Name,
    /// The oldest a decision may be (`24h`, `7d`); none: any age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<Duration>,
}

/// The approvals requirement: `count` approvals from distinct identities holding one of `roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an approvals requirement: a mapping with roles, count and separation_of_duties")]
pub struct ApprovalRule {
    /// The roles whose holders' approvals count.
    pub roles: Vec<Name>,
    /// How many distinct identities must approve (m of the n holders).
    #[serde(default = "one")]
    pub count: u32,
    /// Separation of duties: an approval by the commit's author or committer, or by the identity that
    /// signed the build or packaging provenance, does not count.
    #[serde(default = "yes")]
    pub separation_of_duties: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// A change window, in UTC: either weekly (`days`, `start`, `end`) or fixed (`from`, `until`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a change window: a mapping with days, start and end")]
pub struct ChangeWindow {
    /// Weekly: the days (`mon` … `sun`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Weekday>,
    /// Weekly: the start of the window on those days (`HH:MM`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<TimeOfDay>,
    /// Weekly: its end (`HH:MM`, UTC, exclusive; before `start` for a window across midnight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<TimeOfDay>,
    /// Fixed: the first instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Instant>,
    /// Fixed: the end (RFC 3339, exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Instant>,
}

impl ChangeWindow {
    /// Whether `unix_seconds` falls in this window.
    #[must_use]
    pub fn contains(&self, unix_seconds: i64) -> bool {
        if let (Some(from), Some(until)) = (&self.from, &self.until) {
            return from.unix <= unix_seconds && unix_seconds < until.unix;
        }
        let (Some(start), Some(end)) = (self.start, self.end) else {
            return false;
        };
        let day = unix_seconds.div_euclid(86_400);
        let minute = u32::try_from(unix_seconds.rem_euclid(86_400) / 60).unwrap_or(0);
        // 1970-01-01 was a Thursday.
        let weekday = Weekday::from_index(u8::try_from((day + 3).rem_euclid(7)).unwrap_or(0));
        let (start, end) = (start.minutes(), end.minutes());
        if start < end {
            self.days.contains(&weekday) && start <= minute && minute < end
        } else {
            // Across midnight: the evening of a listed day or the morning after it.
            let yesterday = Weekday::from_index(u8::try_from((day + 2).rem_euclid(7)).unwrap_or(0));
            (self.days.contains(&weekday) && minute >= start)
                || (self.days.contains(&yesterday) && minute < end)
        }
    }

    /// The window as one line (`mon,tue 09:00-17:00 UTC`, `2026-12-01T00:00:00Z..2026-12-02T00:00:00Z`).
    #[must_use]
    pub fn describe(&self) -> String {
        if let (Some(from), Some(until)) = (&self.from, &self.until) {
            return format!("{}..{}", from.text, until.text);
        }
        let days: Vec<&str> = self.days.iter().map(|d| d.as_str()).collect();
        format!(
            "{} {}-{} UTC",
            days.join(","),
            self.start.map(|t| t.to_string()).unwrap_or_default(),
            self.end.map(|t| t.to_string()).unwrap_or_default()
        )
    }
}

/// A day of the week, as the file spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // the days of the week
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn from_index(i: u8) -> Weekday {
        match i {
            0 => Weekday::Mon,
            1 => Weekday::Tue,
            2 => Weekday::Wed,
            3 => Weekday::Thu,
            4 => Weekday::Fri,
            5 => Weekday::Sat,
            _ => Weekday::Sun,
        }
    }

    /// The spelling in the file.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }
}

/// A time of day, `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    fn minutes(self) -> u32 {
        u32::from(self.hour) * 60 + u32::from(self.minute)
    }

    fn parse(text: &str) -> Option<TimeOfDay> {
        let (h, m) = text.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (hour, minute) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
        (hour < 24 && minute < 60).then_some(TimeOfDay { hour, minute })
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TimeOfDay::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not a time of day: write HH:MM (24-hour, UTC), such as 09:00"
            ))
        })
    }
}

/// An instant written in RFC 3339 (`2026-12-01T09:00:00Z`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    text: String,
    unix: i64,
}

impl Instant {
    /// Reads an RFC 3339 instant.
    #[must_use]
    pub fn parse(text: &str) -> Option<Instant> {
        if text.len() > 64 {
            return None;
        }
        let ts: jiff::Timestamp = text.parse().ok()?;
        Some(Instant {
            text: text.to_owned(),
            unix: ts.as_second(),
        })
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn unix(&self) -> i64 {
        self.unix
    }
}

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Instant::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not an RFC 3339 instant, such as 2026-12-01T09:00:00Z"
            ))
        })
    }
}

/// A name of an environment or role: 1 to 63 lower-case letters, digits and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Checks a name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Name> {
        let mut bytes = text.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        (first_ok && rest_ok && text.len() <= 63 && !text.ends_with('-')).then(|| Name(text.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Name::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not a valid name: use 1 to 63 lower-case letters, digits and '-', starting with a letter"
            ))
        })
    }
}

/// An environments file that cannot be used. Every variant gives the line and column (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not valid YAML, or a field of the wrong shape (unknown fields included).
    #[error("{file}: line {line}, column {column}: {reason}")]
    Syntax {
        /// The file as named by the caller.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// Well-formed values that do not make a usable promotion path.
    #[error("{file}: line {line}, column {column}: {key}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line of the environment concerned (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The key (`environments[2].requires.gate_decision`).
        key: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
}

/// The largest environments file read (1 MiB).
pub const MAX_FILE_BYTES: usize = 1 << 20;

fn syntax(file: &str, e: &yaml_serde::Error) -> ConfigError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let text = e.to_string();
    // The library appends its own "at line L column C"; the position is ours to print.
    let reason = text
        .split(" at line ")
        .next()
        .unwrap_or(&text)
        .trim_end_matches(',')
        .to_owned();
    ConfigError::Syntax {
        file: file.to_owned(),
        line,
        column,
        reason,
    }
}

/// The line and column of the `name:` key of environment `index` (0, 0 when not found): found by
/// counting `name:` keys at the indentation of the list items, which is what the checks after parsing
/// need to point at.
fn locate(source: &str, index: usize) -> (usize, usize) {
    let mut seen = 0usize;
    let mut in_list = false;
    for (n, raw) in source.lines().enumerate() {
        let trimmed = raw.trim_start();
        if raw.starts_with("environments:") {
            in_list = true;
            continue;
        }
        if !in_list {
            continue;
        }
        if !raw.is_empty() && !raw.starts_with([' ', '-', '#']) {
            in_list = false;
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            if seen == index {
                let column = raw.len() - trimmed.len() + 3;
                let column = if item.trim_start().starts_with("name:") {
                    column
                } else {
                    column - 2
                };
                return (n + 1, column);
            }
            seen += 1;
        }
    }
    (0, 0)
}

/// What makes a change window unusable, if anything.
fn window_problem(window: &ChangeWindow) -> Option<&'static str> {
    let weekly = !window.days.is_empty() || window.start.is_some() || window.end.is_some();
    let fixed = window.from.is_some() || window.until.is_some();
    let complete_weekly = !window.days.is_empty() && window.start.is_some() && window.end.is_some();
    let complete_fixed = window.from.is_some() && window.until.is_some();
    if weekly && fixed {
        Some("give either days, start and end (weekly) or from and until (fixed), not both")
    } else if weekly && !complete_weekly {
        Some("a weekly window needs days, start and end")
    } else if fixed && !complete_fixed {
        Some("a fixed window needs from and until")
    } else if !weekly && !fixed {
        Some("give days, start and end (weekly) or from and until (fixed)")
    } else if window.start.is_some() && window.start == window.end {
        Some("start and end are the same time: the window would be empty")
    } else if let (Some(from), Some(until)) = (&window.from, &window.until) {
        (from.unix >= until.unix).then_some("from must be before until")
    } else {
        None
    }
}

impl EnvironmentsFile {
    /// Reads and checks an environments file. `file` names it in errors.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<EnvironmentsFile, ConfigError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ConfigError::Syntax {
                file: file.to_owned(),
                line: 0,
                column: 0,
                reason: format!(
                    "the file has {} bytes, more than the {MAX_FILE_BYTES} an environments file may have",
                    bytes.len()
                ),
            });
        }
        let parsed: EnvironmentsFile = yaml_serde::from_slice(bytes).map_err(|e| syntax(file, &e))?;
        let source = String::from_utf8_lossy(bytes);
        parsed.check(file, &source)?;
        Ok(parsed)
    }

    // One check after another, each naming its key: splitting it would only scatter them.
    #[allow(clippy::too_many_lines)]
    fn check(&self, file: &str, source: &str) -> Result<(), ConfigError> {
        let invalid = |index: Option<usize>, key: String, reason: String| {
            let (line, column) = index.map_or((0, 0), |i| locate(source, i));
            ConfigError::Invalid {
                file: file.to_owned(),
                line,
                column,
                key,
                reason,
            }
        };
        if self.version != VERSION {
            return Err(invalid(None, "version".into(), format!("must be {VERSION}")));
        }
        if self.roles.trim().is_empty() {
            return Err(invalid(
                None,
                "roles".into(),
                "name the roles file (roles.yaml), relative to this file".into(),
            ));
        }
        if self.environments.is_empty() {
            return Err(invalid(
                None,
                "environments".into(),
                "list at least one environment".into(),
            ));
        }
        let mut names = BTreeSet::new();
        let mut repositories = BTreeSet::new();
        for (i, env) in self.environments.iter().enumerate() {
            let key = |k: &str| format!("environments[{i}]{k}");
            if !names.insert(env.name.as_str()) {
                return Err(invalid(
                    Some(i),
                    key(".name"),
                    format!("environment '{}' is listed twice", env.name),
                ));
            }
            let repository = env.repository.trim();
            if repository.is_empty() || repository.contains(char::is_whitespace) {
                return Err(invalid(
                    Some(i),
                    key(".repository"),
                    "name the repository images are promoted into, without spaces".into(),
                ));
            }
            if repository.contains('@')
                || repository
                    .rsplit('/')
                    .next()
                    .is_some_and(|last| last.contains(':') && !repository.starts_with("oci:"))
            {
                return Err(invalid(
                    Some(i),
                    key(".repository"),
                    format!("'{repository}' names a tag or digest: name the repository only"),
                ));
            }
            if !repositories.insert(repository) {
                return Err(invalid(
                    Some(i),
                    key(".repository"),
                    format!(
                        "repository '{repository}' is used by two environments: each environment has its own"
                    ),
                ));
            }
            if env.promote_roles.is_empty() {
                return Err(invalid(
                    Some(i),
                    key(".promote_roles"),
                    "name at least one role whose holders may promote into this environment".into(),
                ));
            }
            let req = &env.requires;
            if i == 0 && req.provenance.is_none() {
                return Err(invalid(
                    Some(i),
                    key(".requires.provenance"),
                    format!(
                        "'{}' is the entry environment: it must require build and packaging provenance signed by a role (provenance: {{role: ci}})",
                        env.name
                    ),
                ));
            }
            if i > 0 && req.provenance.is_some() {
                return Err(invalid(
                    Some(i),
                    key(".requires.provenance"),
                    "only the first environment is entered by provenance; every later one is entered by a recorded promotion from the one before".into(),
                ));
            }
            if i > 0 && req.gate_decision.is_none() {
                return Err(invalid(
                    Some(i),
                    key(".requires.gate_decision"),
                    format!(
                        "'{}' comes after the entry environment: it must require a passing signed gate decision (gate_decision: {{role: ci}})",
                        env.name
                    ),
                ));
            }
            if let Some(approvals) = &req.approvals {
                if approvals.roles.is_empty() {
                    return Err(invalid(
                        Some(i),
                        key(".requires.approvals.roles"),
                        "name at least one role whose holders' approvals count".into(),
                    ));
                }
                if approvals.count == 0 {
                    return Err(invalid(
                        Some(i),
                        key(".requires.approvals.count"),
                        "must be at least 1 (leave approvals out to require none)".into(),
                    ));
                }
            }
            for (w, window) in req.change_windows.iter().enumerate() {
                let reason = window_problem(window);
                if let Some(reason) = reason {
                    return Err(invalid(
                        Some(i),
                        key(&format!(".requires.change_windows[{w}]")),
                        reason.into(),
                    ));
                }
            }
            if let Some(config) = &env.config
                && config.trim().is_empty()
            {
                return Err(invalid(
                    Some(i),
                    key(".config"),
                    "name a file or directory, or leave config out".into(),
                ));
            }
        }
        Ok(())
    }

    /// The environment named `name`, with its position in the order.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<(usize, &Environment)> {
        self.environments
            .iter()
            .enumerate()
            .find(|(_, e)| e.name.as_str() == name)
    }

    /// The environment before `index` in the order (none for the entry).
    #[must_use]
    pub fn previous(&self, index: usize) -> Option<&Environment> {
        index.checked_sub(1).and_then(|p| self.environments.get(p))
    }

    /// The environments' names in order, for messages.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.environments.iter().map(|e| e.name.as_str()).collect()
    }
}
