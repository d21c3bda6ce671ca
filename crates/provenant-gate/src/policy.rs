//! The gate policy: the platform's (every value with its allowed range) and a team's choices within it.

use provenant_findings::{Format, Severity};
use serde::{Deserialize, Serialize};

/// The platform default, as `provenant gate policy init` writes it.
pub const DEFAULT_POLICY: &str = include_str!("default-policy.yaml");

/// The gate ids, in the order decisions list them.
pub const GATE_IDS: [&str; 9] = [
    "tests",
    "coverage",
    "sast",
    "dependencies",
    "secrets",
    "container",
    "lint",
    "hygiene",
    "pinning",
];

/// A policy or team file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
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
    /// A policy value that contradicts itself (a value outside its own range, an unknown version).
    #[error("{file}: {key}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// The dotted key (`gates.coverage.min_line_rate`).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A team value outside the range the platform allows.
    #[error("{file}: {key} = {value} is outside the platform's allowed range {range}")]
    OutOfRange {
        /// The team file.
        file: String,
        /// The dotted key.
        key: String,
        /// The value the team chose.
        value: String,
        /// The allowed range or values, as the platform states them.
        range: String,
    },
}

/// A number with the range a team may choose it from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The platform's value.
    pub value: f64,
    /// `[lowest, highest]` a team may choose.
    pub range: [f64; 2],
}

/// A severity with the severities a team may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityLimit {
    /// The platform's value.
    pub value: Severity,
    /// What a team may choose.
    pub allowed: Vec<Severity>,
}

/// Which findings of a vulnerability gate are in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Direct dependencies only (dependencies gate); a dependency not known to be transitive counts
    /// as direct.
    Direct,
    /// The image's base layers only (container gate).
    Base,
    /// Everything.
    All,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Direct => "direct",
            Scope::Base => "base",
            Scope::All => "all",
        }
    }
}

/// A scope with the scopes a team may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeLimit {
    /// The platform's value.
    pub value: Scope,
    /// What a team may choose.
    pub allowed: Vec<Scope>,
}

/// When a gate applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    /// Every evaluation.
    #[default]
    Always,
    /// Only when the subject is an image or an image scan is among the evidence.
    Image,
}

/// One gate's settings. Which fields a gate reads depends on the gate (see docs/gates.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// A required gate without evidence blocks.
    pub required: bool,
    /// When it applies.
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// The evidence formats it reads.
    pub evidence: Vec<Format>,
    /// tests: the lowest pass rate (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_pass_rate: Option<Limit>,
    /// tests: the fewest tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tests: Option<Limit>,
    /// coverage: the lowest line coverage (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_line_rate: Option<Limit>,
    /// Finding gates: the least severe finding that blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_at: Option<SeverityLimit>,
    /// Finding gates: how many blocking findings are tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_findings: Option<Limit>,
    /// dependencies and container: which findings are in scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeLimit>,
    /// container: how many layers from the bottom are the base image's, when the image does not name
    /// its base (`org.opencontainers.image.base.digest`; absent: every layer counts as base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_layers: Option<u64>,
    /// hygiene: the gate-checked files (globs relative to the source tree; a glob without `/` matches at
    /// any depth) that `gate evaluate --source` hands to the hygiene scanner (absent: the scanner's
    /// defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// secrets: whether `gate evaluate --source` reads the source tree's own `.gitleaks.toml` (rules and
    /// allowlists) rather than Provenant's default rules. Absent: it does not (the tree under evaluation
    /// does not choose the rules it is held to). Set by the platform only: a team file cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_config: Option<bool>,
}

/// The nine gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // each field is the gate of that id
pub struct Gates {
    pub tests: GateConfig,
    pub coverage: GateConfig,
    pub sast: GateConfig,
    pub dependencies: GateConfig,
    pub secrets: GateConfig,
    pub container: GateConfig,
    pub lint: GateConfig,
    pub hygiene: GateConfig,
    pub pinning: GateConfig,
}

impl Gates {
    /// The gates with their ids, in decision order.
    #[must_use]
    pub fn all(&self) -> [(&'static str, &GateConfig); 9] {
        [
            ("tests", &self.tests),
            ("coverage", &self.coverage),
            ("sast", &self.sast),
            ("dependencies", &self.dependencies),
            ("secrets", &self.secrets),
            ("container", &self.container),
            ("lint", &self.lint),
            ("hygiene", &self.hygiene),
            ("pinning", &self.pinning),
        ]
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut GateConfig> {
        Some(match id {
            "tests" => &mut self.tests,
            "coverage" => &mut self.coverage,
            "sast" => &mut self.sast,
            "dependencies" => &mut self.dependencies,
            "secrets" => &mut self.secrets,
            "container" => &mut self.container,
            "lint" => &mut self.lint,
            "hygiene" => &mut self.hygiene,
            "pinning" => &mut self.pinning,
            _ => return None,
        })
    }
}

/// What exceptions may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionPolicy {
    /// Roles whose holders may approve exceptions.
    pub roles: Vec<String>,
    /// Whether a secret may be excepted.
    pub allow_secrets: bool,
    /// Whether a critical finding may be excepted.
    pub allow_critical: bool,
}

/// The platform policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Always 1.
    pub version: u32,
    /// The gates.
    pub gates: Gates,
    /// The exception rules.
    pub exceptions: ExceptionPolicy,
}

/// A team's choice for one gate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // the same settings as [`GateConfig`]'s, as plain values
pub struct TeamGate {
    #[serde(default)]
    pub min_pass_rate: Option<f64>,
    #[serde(default)]
    pub min_tests: Option<f64>,
    #[serde(default)]
    pub min_line_rate: Option<f64>,
    #[serde(default)]
    pub block_at: Option<Severity>,
    #[serde(default)]
    pub max_findings: Option<f64>,
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// A custom rule in Rego.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's gate id in the decision (must not be a built-in gate id).
    pub id: String,
    /// The `.rego` file, relative to the team file.
    pub rego: String,
    /// The query whose results are the rule's findings (default `data.<package>.deny`).
    #[serde(default)]
    pub query: Option<String>,
    /// What the rule checks, for people.
    #[serde(default)]
    pub description: Option<String>,
}

/// A team file (`--team-config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    /// Always 1.
    pub version: u32,
    /// Per-gate choices.
    #[serde(default)]
    pub gates: std::collections::BTreeMap<String, TeamGate>,
    /// Custom rules.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

fn syntax(file: &str, e: &yaml_serde::Error) -> PolicyError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let text = e.to_string();
    // The library appends its own "at line L column C"; the position is ours to print.
    let reason = text
        .split(" at line ")
        .next()
        .unwrap_or(&text)
        .trim_end_matches(',')
        .to_owned();
    PolicyError::Syntax {
        file: file.to_owned(),
        line,
        column,
        reason,
    }
}

/// A team's choice among the values the platform allows for one setting (`key`): refused when the gate
/// has no such setting or the value is outside what is allowed; otherwise it replaces the platform's.
fn choose<T: Copy + PartialEq>(
    file: &str,
    key: &str,
    value: Option<T>,
    limit: Option<(&mut T, &[T])>,
    label: fn(T) -> &'static str,
) -> Result<(), PolicyError> {
    let Some(value) = value else {
        return Ok(());
    };
    let Some((current, allowed)) = limit else {
        let gate = key.split('.').nth(1).unwrap_or_default();
        return Err(invalid(
            file,
            key.to_owned(),
            format!("gate {gate} has no such setting"),
        ));
    };
    if !allowed.contains(&value) {
        return Err(PolicyError::OutOfRange {
            file: file.to_owned(),
            key: key.to_owned(),
            value: label(value).to_owned(),
            range: allowed.iter().map(|v| label(*v)).collect::<Vec<_>>().join(", "),
        });
    }
    *current = value;
    Ok(())
}

fn invalid(file: &str, key: String, reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        file: file.to_owned(),
        key,
        reason: reason.into(),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)] // integral and small, checked above
        let i = v as i64;
        i.to_string()
    } else {
        v.to_string()
    }
}

impl Policy {
    /// The platform default.
    pub fn platform_default() -> Result<Policy, PolicyError> {
        Policy::from_yaml("default policy", DEFAULT_POLICY.as_bytes())
    }

    /// Reads a platform policy. `file` names it in errors.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<Policy, PolicyError> {
        let policy: Policy = yaml_serde::from_slice(bytes).map_err(|e| syntax(file, &e))?;
        policy.check(file)?;
        Ok(policy)
    }

    fn check(&self, file: &str) -> Result<(), PolicyError> {
        if self.version != 1 {
            return Err(invalid(file, "version".into(), "must be 1"));
        }
        for (id, gate) in self.gates.all() {
            let key = |k: &str| format!("gates.{id}.{k}");
            for (name, limit) in [
                ("min_pass_rate", gate.min_pass_rate),
                ("min_tests", gate.min_tests),
                ("min_line_rate", gate.min_line_rate),
                ("max_findings", gate.max_findings),
            ] {
                if let Some(l) = limit
                    && !(l.range[0] <= l.value && l.value <= l.range[1])
                {
                    return Err(invalid(
                        file,
                        key(name),
                        format!(
                            "the value {} is outside its own range {}–{}",
                            fmt_num(l.value),
                            fmt_num(l.range[0]),
                            fmt_num(l.range[1])
                        ),
                    ));
                }
            }
            if let Some(b) = &gate.block_at
                && !b.allowed.contains(&b.value)
            {
                return Err(invalid(
                    file,
                    key("block_at"),
                    "the value is not among its allowed values",
                ));
            }
            if let Some(s) = &gate.scope
                && !s.allowed.contains(&s.value)
            {
                return Err(invalid(
                    file,
                    key("scope"),
                    "the value is not among its allowed values",
                ));
            }
            if gate.evidence.is_empty() {
                return Err(invalid(
                    file,
                    key("evidence"),
                    "a gate must list the evidence it reads",
                ));
            }
        }
        Ok(())
    }

    /// Applies a team file: each value the team sets must lie within the platform's range, and only
    /// settings the platform defines for that gate may be set.
    pub fn with_team(&self, file: &str, team: &TeamConfig) -> Result<Policy, PolicyError> {
        let mut out = self.clone();
        for (id, choice) in &team.gates {
            let Some(gate) = out.gates.get_mut(id) else {
                return Err(invalid(
                    file,
                    format!("gates.{id}"),
                    format!("not a gate (the gates are {})", GATE_IDS.join(", ")),
                ));
            };
            let numbers = [
                ("min_pass_rate", choice.min_pass_rate, &mut gate.min_pass_rate),
                ("min_tests", choice.min_tests, &mut gate.min_tests),
                ("min_line_rate", choice.min_line_rate, &mut gate.min_line_rate),
                ("max_findings", choice.max_findings, &mut gate.max_findings),
            ];
            for (name, value, limit) in numbers {
                let Some(value) = value else { continue };
                let key = format!("gates.{id}.{name}");
                let Some(limit) = limit.as_mut() else {
                    return Err(invalid(file, key, format!("gate {id} has no such setting")));
                };
                if !(limit.range[0] <= value && value <= limit.range[1]) {
                    return Err(PolicyError::OutOfRange {
                        file: file.to_owned(),
                        key,
                        value: fmt_num(value),
                        range: format!("{}–{}", fmt_num(limit.range[0]), fmt_num(limit.range[1])),
                    });
                }
                limit.value = value;
            }
            choose(
                file,
                &format!("gates.{id}.block_at"),
                choice.block_at,
                gate.block_at
                    .as_mut()
                    .map(|l| (&mut l.value, l.allowed.as_slice())),
                Severity::as_str,
            )?;
            choose(
                file,
                &format!("gates.{id}.scope"),
                choice.scope,
                gate.scope.as_mut().map(|l| (&mut l.value, l.allowed.as_slice())),
                Scope::as_str,
            )?;
        }
        for (i, rule) in team.rules.iter().enumerate() {
            if GATE_IDS.contains(&rule.id.as_str()) || rule.id.is_empty() {
                return Err(invalid(
                    file,
                    format!("rules[{i}].id"),
                    format!("{:?} is empty or the id of a built-in gate", rule.id),
                ));
            }
            if team.rules.iter().take(i).any(|r| r.id == rule.id) {
                return Err(invalid(
                    file,
                    format!("rules[{i}].id"),
                    format!("{} is used twice", rule.id),
                ));
            }
        }
        Ok(out)
    }
}

impl TeamConfig {
    /// Reads a team file. `file` names it in errors.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<TeamConfig, PolicyError> {
        let team: TeamConfig = yaml_serde::from_slice(bytes).map_err(|e| syntax(file, &e))?;
        if team.version != 1 {
            return Err(invalid(file, "version".into(), "must be 1"));
        }
        Ok(team)
    }
}
