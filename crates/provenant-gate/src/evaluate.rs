//! Evaluation of normalised evidence against a policy into a [`Decision`].
//!
//! The decision borrows the findings' strings from the evidence (a large report lists 100,000 of them,
//! each in a gate or the backlog): nothing is copied but what the evaluation composes.

use std::borrow::Cow;

use provenant_findings::{Category, Finding, Format, Normalised, Severity};
use rayon::prelude::*;
use serde::Serialize;

use crate::exception::{Exception, SignedException, parse_date};
use crate::policy::{AppliesTo, GateConfig, Policy, Scope};

/// The evaluated artefact.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// Its digests (`sha256:<hex>`).
    pub digests: Vec<String>,
    /// Whether it is an image.
    pub image: bool,
    /// The image repository (`registry/name`), when it is an image.
    pub repository: Option<String>,
    /// Identifiers VEX products may use for it (digests, references, package URLs).
    pub ids: Vec<String>,
    /// The base image's layers (their digests and diff ids), when the image's manifest names its base
    /// (`org.opencontainers.image.base.digest`): the container gate's `base` scope is then these layers,
    /// matched against each finding's layer, whatever the policy's `base_layers` says.
    pub base_layers: Option<Vec<String>>,
}

/// One exception file given, verified or not.
#[derive(Debug, Clone)]
pub struct ExceptionInput {
    /// The file, as given.
    pub file: String,
    /// The verified exception, or what it claims (when readable) and why it was not verified.
    pub result: Result<SignedException, (Option<Exception>, String)>,
}

/// A finding of a custom rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFinding {
    /// Its id (the rule's, or derived from the rule id and message).
    pub id: String,
    /// Severity (default high).
    pub severity: Severity,
    /// Where, when the rule says.
    pub location: Option<String>,
    /// What the rule says.
    pub message: String,
}

/// What one custom rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomResult {
    /// The rule's id (its gate id in the decision).
    pub id: String,
    /// Its findings.
    pub findings: Vec<CustomFinding>,
}

/// Everything an evaluation reads.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The evidence.
    pub evidence: &'a Normalised,
    /// The effective policy (platform with team choices applied).
    pub policy: &'a Policy,
    /// The artefact.
    pub subject: &'a Subject,
    /// The exception files.
    pub exceptions: &'a [ExceptionInput],
    /// Today, in days since 1970-01-01 (UTC), for expiry.
    pub today: i64,
    /// Custom rule results.
    pub custom: &'a [CustomResult],
}

/// pass or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every gate passed or did not apply.
    Pass,
    /// At least one gate blocks.
    Block,
}

/// A gate's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Passed.
    Pass,
    /// Blocks.
    Block,
    /// Does not apply (not required and no evidence, or an image gate for a non-image).
    NotApplicable,
}

/// How a listed finding was let through, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionRef {
    /// `exception`, `vex` or `sarif`.
    pub source: String,
    /// `applied`, `refused` or `suppressed`.
    pub status: String,
    /// The exception file or VEX document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The exception's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The exception's expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Why it was refused, or the VEX justification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a finding is: a path and, when known, a line. Written (and serialised) as `PATH:LINE` or
/// `PATH`; kept in its parts so that listing 100,000 findings writes each once, where it is output,
/// rather than composing a string for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot<'a> {
    /// The path (or, for a custom rule's finding, the location as the rule wrote it).
    pub path: Cow<'a, str>,
    /// The line.
    pub line: Option<u64>,
}

impl Spot<'_> {
    /// A location written as text, read as the SARIF output reads it: `PATH:LINE` when it ends with
    /// `:` and a line number above zero, else all of it a path.
    #[must_use]
    pub fn parse(text: &str) -> Spot<'_> {
        let split = text
            .rsplit_once(':')
            .and_then(|(path, line)| Some((path, line.parse::<u64>().ok().filter(|&l| l > 0)?)));
        match split {
            Some((path, line)) => Spot {
                path: Cow::Borrowed(path),
                line: Some(line),
            },
            None => Spot::text(text),
        }
    }

    /// A location given as text (a custom rule's), kept as it is written.
    #[must_use]
    pub fn text(text: &str) -> Spot<'_> {
        Spot {
            path: Cow::Borrowed(text),
            line: None,
        }
    }

    /// The same location, owning its path.
    #[must_use]
    pub fn into_owned(self) -> Spot<'static> {
        Spot {
            path: owned(self.path),
            line: self.line,
        }
    }
}

impl std::fmt::Display for Spot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

impl Serialize for Spot<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A finding as a decision lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionFinding<'a> {
    /// Stable id.
    pub id: Cow<'a, str>,
    /// Severity.
    pub severity: Severity,
    /// Rule or vulnerability id.
    pub rule: Cow<'a, str>,
    /// `path:line`, `path`, or null.
    pub location: Option<Spot<'a>>,
    /// What is wrong.
    pub message: Cow<'a, str>,
    /// The exception or suppression that applies (or was refused); null when none. Boxed: most
    /// findings have none, and a decision lists 100,000 findings.
    pub exception: Option<Box<ExceptionRef>>,
    /// Whether it blocks the gate.
    #[serde(skip)]
    pub blocks: bool,
}

/// One entry of a gate's exception log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionLog {
    /// The exception file.
    pub file: String,
    /// The finding it names.
    pub finding: String,
    /// Owner.
    pub owner: String,
    /// Rationale.
    pub rationale: String,
    /// Expiry.
    pub expires: String,
    /// The role it claims.
    pub role: String,
    /// Who signed it, when the signature verified.
    pub approver: Option<String>,
    /// `applied` or `refused`.
    pub status: String,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One gate's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult<'a> {
    /// Gate id (or custom rule id).
    pub id: String,
    /// Status.
    pub status: Status,
    /// The measured value (pass rate, line rate, blocking findings), when measured.
    pub value: Option<f64>,
    /// The threshold it is held to.
    pub threshold: Option<f64>,
    /// Blocking findings (with any exception or suppression that lets one through).
    pub findings: Vec<DecisionFinding<'a>>,
    /// Every exception used or refused for this gate.
    pub exceptions: Vec<ExceptionLog>,
}

/// A finding for the backlog (never blocks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogItem<'a> {
    /// Stable id.
    pub id: Cow<'a, str>,
    /// The gate.
    pub gate: Cow<'a, str>,
    /// Severity.
    pub severity: Severity,
    /// Rule.
    pub rule: Cow<'a, str>,
    /// `path:line`, when known.
    pub location: Option<Spot<'a>>,
    /// What.
    pub message: Cow<'a, str>,
}

/// An evidence file consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceEntry {
    /// Path as given.
    pub path: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Format read.
    pub format: Format,
}

/// A critical finding that blocks, for `--notify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice<'a> {
    /// The gate.
    pub gate: String,
    /// The finding.
    pub finding: DecisionFinding<'a>,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision<'a> {
    /// pass or block.
    pub decision: Verdict,
    /// Every gate, in policy order, then custom rules.
    pub gates: Vec<GateResult<'a>>,
    /// Findings that never block, for sprint review.
    pub backlog: Vec<BacklogItem<'a>>,
    /// Every evidence file consumed.
    pub evidence: Vec<EvidenceEntry>,
    /// Blocking critical findings (not serialised in the decision; the notify payload).
    #[serde(skip)]
    pub notices: Vec<Notice<'a>>,
}

fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

impl DecisionFinding<'_> {
    /// The same finding, owning its strings.
    #[must_use]
    pub fn into_owned(self) -> DecisionFinding<'static> {
        DecisionFinding {
            id: owned(self.id),
            severity: self.severity,
            rule: owned(self.rule),
            location: self.location.map(Spot::into_owned),
            message: owned(self.message),
            exception: self.exception,
            blocks: self.blocks,
        }
    }
}

impl Decision<'_> {
    /// The same decision, owning its strings (it no longer borrows from the evidence).
    #[must_use]
    pub fn into_owned(self) -> Decision<'static> {
        Decision {
            decision: self.decision,
            gates: self
                .gates
                .into_iter()
                .map(|g| GateResult {
                    id: g.id,
                    status: g.status,
                    value: g.value,
                    threshold: g.threshold,
                    findings: g.findings.into_iter().map(DecisionFinding::into_owned).collect(),
                    exceptions: g.exceptions,
                })
                .collect(),
            backlog: self
                .backlog
                .into_iter()
                .map(|b| BacklogItem {
                    id: owned(b.id),
                    gate: owned(b.gate),
                    severity: b.severity,
                    rule: owned(b.rule),
                    location: b.location.map(Spot::into_owned),
                    message: owned(b.message),
                })
                .collect(),
            evidence: self.evidence,
            notices: self
                .notices
                .into_iter()
                .map(|n| Notice {
                    gate: n.gate,
                    finding: n.finding.into_owned(),
                })
                .collect(),
        }
    }
}

fn location_of(f: &Finding) -> Option<Spot<'_>> {
    f.location.as_ref().map(|l| Spot {
        path: Cow::Borrowed(l.path.as_str()),
        line: l.line,
    })
}

fn category_of(id: &str) -> Option<Category> {
    Some(match id {
        "sast" => Category::Sast,
        "lint" => Category::Lint,
        "dependencies" => Category::Dependencies,
        "container" => Category::Container,
        "secrets" => Category::Secrets,
        "hygiene" => Category::Hygiene,
        "pinning" => Category::Pinning,
        _ => return None,
    })
}

fn synthetic(id: String, rule: &'static str, message: String) -> DecisionFinding<'static> {
    DecisionFinding {
        id: Cow::Owned(id),
        severity: Severity::High,
        rule: Cow::Borrowed(rule),
        location: None,
        message: Cow::Owned(message),
        exception: None,
        blocks: true,
    }
}

fn pct(v: f64) -> String {
    format!("{v:.1}%")
}

/// What the gate's required evidence is called in its "no evidence" message.
fn evidence_words(id: &str) -> &'static str {
    match id {
        "tests" => "test results",
        "coverage" => "coverage reports",
        "sast" => "static analysis (SAST) results",
        "dependencies" => "dependency vulnerability reports",
        "secrets" => "secret scan results",
        "container" => "container image scan results",
        "lint" => "lint results",
        "hygiene" => "hygiene scan results",
        "pinning" => "pinning scan results",
        _ => "results",
    }
}

/// Evaluates the evidence.
#[must_use]
pub fn evaluate<'a>(ctx: &Context<'a>) -> Decision<'a> {
    let mut gates = Vec::new();
    let mut backlog = Vec::new();
    let mut notices = Vec::new();
    for (id, config) in ctx.policy.gates.all() {
        let result = match id {
            "tests" => tests_gate(ctx, config),
            "coverage" => coverage_gate(ctx, config),
            _ => findings_gate(ctx, id, config, &mut backlog),
        };
        gates.push(result);
    }
    for custom in ctx.custom {
        gates.push(custom_gate(ctx, custom, &mut backlog));
    }
    for gate in &gates {
        for f in &gate.findings {
            let applied = f.exception.as_ref().is_some_and(|e| e.status != "refused");
            if f.blocks && !applied && f.severity == Severity::Critical {
                notices.push(Notice {
                    gate: gate.id.clone(),
                    finding: f.clone(),
                });
            }
        }
    }
    let decision = if gates.iter().any(|g| g.status == Status::Block) {
        Verdict::Block
    } else {
        Verdict::Pass
    };
    Decision {
        decision,
        gates,
        backlog: sorted_backlog(backlog),
        evidence: ctx
            .evidence
            .evidence
            .iter()
            .map(|e| EvidenceEntry {
                path: e.path.clone(),
                digest: e.digest.clone(),
                format: e.format,
            })
            .collect(),
        notices,
    }
}

/// The backlog sorted by severity, gate and id (stably: equal ones keep their order). The small keys
/// are sorted (in parallel), not the items, which are then put in place by swaps.
fn sorted_backlog(mut backlog: Vec<BacklogItem<'_>>) -> Vec<BacklogItem<'_>> {
    // Gates are few: each is sorted by its rank among them rather than by its name, and ids by their
    // first bytes before the whole id (see `sort_prefix`), so most comparisons need no `memcmp`.
    let mut gates: Vec<&str> = Vec::new();
    for b in &backlog {
        if gates.last() != Some(&b.gate.as_ref()) {
            gates.push(b.gate.as_ref());
        }
    }
    gates.sort_unstable();
    gates.dedup();
    let mut last: Option<(&str, usize)> = None;
    let mut keys: Vec<(Severity, usize, u128, &str)> = Vec::with_capacity(backlog.len());
    for b in &backlog {
        let gate = b.gate.as_ref();
        let rank = match last {
            Some((name, rank)) if name == gate => rank,
            _ => gates.binary_search(&gate).unwrap_or_default(),
        };
        last = Some((gate, rank));
        keys.push((
            b.severity,
            rank,
            provenant_findings::sort_prefix(&b.id),
            b.id.as_ref(),
        ));
    }
    // The findings come sorted by category, severity and id: one gate's backlog is in order already,
    // and then needs neither the sort nor the items moved.
    if keys.is_sorted() {
        return backlog;
    }
    provenant_findings::Order::by_keys(keys, |_, _| false).apply(&mut backlog);
    backlog
}

fn has_evidence(ctx: &Context<'_>, config: &GateConfig, category: Option<Category>) -> bool {
    ctx.evidence
        .evidence
        .iter()
        .any(|e| config.evidence.contains(&e.format) && category.is_none_or(|c| e.categories.contains(&c)))
}

fn no_evidence(id: &str, config: &GateConfig, threshold: Option<f64>) -> GateResult<'static> {
    let (status, findings) = if config.required {
        (
            Status::Block,
            vec![synthetic(
                format!("{id}/no-evidence"),
                "evidence-required",
                format!("no {} were supplied", evidence_words(id)),
            )],
        )
    } else {
        (Status::NotApplicable, Vec::new())
    };
    GateResult {
        id: id.to_owned(),
        status,
        value: None,
        threshold,
        findings,
        exceptions: Vec::new(),
    }
}

fn tests_gate<'a>(ctx: &Context<'a>, config: &GateConfig) -> GateResult<'a> {
    let threshold = config.min_pass_rate.map(|l| l.value);
    let Some(tests) = ctx
        .evidence
        .tests
        .as_ref()
        .filter(|_| has_evidence(ctx, config, None))
    else {
        return no_evidence("tests", config, threshold);
    };
    let mut findings = Vec::new();
    let ran = tests.passed + tests.failed + tests.errors;
    #[allow(clippy::cast_precision_loss)] // test counts far below 2^52
    let ran_f = ran as f64;
    if let Some(min) = config.min_tests
        && ran_f < min.value
    {
        findings.push(synthetic(
            "tests/min-tests".to_owned(),
            "min-tests",
            format!("{ran} tests ran; at least {} are required", min.value),
        ));
    }
    if let Some(min) = threshold
        && tests.pass_rate < min
        && ran > 0
    {
        for case in &tests.cases {
            let rule = match case.outcome {
                provenant_findings::TestOutcome::Failed => "test-failed",
                provenant_findings::TestOutcome::Error => "test-error",
                _ => continue,
            };
            findings.push(DecisionFinding {
                id: Cow::Owned(format!("test:{}", case.name)),
                severity: Severity::High,
                rule: Cow::Borrowed(rule),
                location: case.location.as_ref().map(|l| Spot {
                    path: Cow::Borrowed(l.path.as_str()),
                    line: l.line,
                }),
                message: match &case.message {
                    Some(m) => Cow::Borrowed(m.as_str()),
                    None => Cow::Owned(format!("{} did not pass", case.name)),
                },
                exception: None,
                blocks: true,
            });
        }
        findings.push(synthetic(
            "tests/pass-rate".to_owned(),
            "pass-rate",
            format!(
                "{} of {ran} tests did not pass ({} < {})",
                tests.failed + tests.errors,
                pct(tests.pass_rate),
                pct(min)
            ),
        ));
    }
    GateResult {
        id: "tests".to_owned(),
        status: if findings.is_empty() {
            Status::Pass
        } else {
            Status::Block
        },
        value: Some(tests.pass_rate),
        threshold,
        findings,
        exceptions: Vec::new(),
    }
}

fn coverage_gate(ctx: &Context<'_>, config: &GateConfig) -> GateResult<'static> {
    let threshold = config.min_line_rate.map(|l| l.value);
    let Some(coverage) = ctx
        .evidence
        .coverage
        .as_ref()
        .filter(|_| has_evidence(ctx, config, None))
    else {
        return no_evidence("coverage", config, threshold);
    };
    let mut findings = Vec::new();
    if let Some(min) = threshold
        && coverage.line_rate < min
    {
        findings.push(synthetic(
            "coverage/line-rate".to_owned(),
            "line-rate",
            format!(
                "line coverage {} ({} of {} lines) is below {}",
                pct(coverage.line_rate),
                coverage.lines_hit,
                coverage.lines_found,
                pct(min)
            ),
        ));
    }
    GateResult {
        id: "coverage".to_owned(),
        status: if findings.is_empty() {
            Status::Pass
        } else {
            Status::Block
        },
        value: Some(coverage.line_rate),
        threshold,
        findings,
        exceptions: Vec::new(),
    }
}

fn in_scope(f: &Finding, config: &GateConfig, subject: &Subject) -> bool {
    match config.scope.as_ref().map(|s| s.value) {
        None | Some(Scope::All) => true,
        // A dependency not known to be transitive counts as direct (fail closed).
        Some(Scope::Direct) => f.package.as_ref().and_then(|p| p.direct) != Some(false),
        // A layer not known to be above the base counts as base: the image's own base first, then the
        // policy's bottom N layers.
        Some(Scope::Base) => match (&subject.base_layers, &f.layer) {
            (Some(base), Some(layer)) => base.contains(layer),
            (Some(_), None) => true,
            (None, _) => match (config.base_layers, f.layer_index) {
                (Some(n), Some(i)) => i < n,
                _ => true,
            },
        },
    }
}

/// The exceptions for `finding`, each applied or refused, and whether one applies.
fn apply_exceptions(
    ctx: &Context<'_>,
    finding_id: &str,
    category: Option<Category>,
    severity: Severity,
    log: &mut Vec<ExceptionLog>,
) -> Option<ExceptionRef> {
    let mut chosen: Option<ExceptionRef> = None;
    for input in ctx.exceptions {
        let (exception, approver, verified_error) = match &input.result {
            Ok(s) => (&s.exception, Some(s.approver.clone()), None),
            Err((Some(e), reason)) => (e, None, Some(reason.clone())),
            Err((None, _)) => continue,
        };
        if exception.finding != finding_id {
            continue;
        }
        let policy = &ctx.policy.exceptions;
        let refusal = verified_error.or_else(|| {
            if !policy.roles.contains(&exception.role) {
                return Some(format!(
                    "role {} may not approve exceptions under this policy",
                    exception.role
                ));
            }
            match parse_date(&exception.expires) {
                Some(day) if day >= ctx.today => {}
                _ => return Some(format!("expired on {}", exception.expires)),
            }
            if category == Some(Category::Secrets) && !policy.allow_secrets {
                return Some("secrets cannot be excepted under this policy".to_owned());
            }
            if severity == Severity::Critical && !policy.allow_critical {
                return Some("critical findings cannot be excepted under this policy".to_owned());
            }
            if let Some(scope) = &exception.scope {
                if let Some(d) = &scope.digest
                    && !ctx.subject.digests.contains(d)
                {
                    return Some(format!("limited to artefact {d}, which is not the one evaluated"));
                }
                if let Some(r) = &scope.repository
                    && ctx.subject.repository.as_deref() != Some(r.as_str())
                {
                    return Some(format!(
                        "limited to repository {r}, which is not the one evaluated"
                    ));
                }
            }
            None
        });
        let status = if refusal.is_some() { "refused" } else { "applied" };
        log.push(ExceptionLog {
            file: input.file.clone(),
            finding: exception.finding.clone(),
            owner: exception.owner.clone(),
            rationale: exception.rationale.clone(),
            expires: exception.expires.clone(),
            role: exception.role.clone(),
            approver,
            status: status.to_owned(),
            reason: refusal.clone(),
        });
        let this = ExceptionRef {
            source: "exception".to_owned(),
            status: status.to_owned(),
            file: Some(input.file.clone()),
            owner: Some(exception.owner.clone()),
            expires: Some(exception.expires.clone()),
            reason: refusal,
        };
        if chosen.as_ref().is_none_or(|c| c.status == "refused") {
            chosen = Some(this);
        }
    }
    chosen
}

/// Where one finding goes: listed in its gate, in the backlog, or nowhere (info, or suppressed below
/// the blocking severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Gate,
    Backlog,
    Nowhere,
}

fn place(f: &Finding, config: &GateConfig, subject: &Subject, block_at: Severity) -> Place {
    if in_scope(f, config, subject) && f.severity <= block_at {
        Place::Gate
    } else if f.suppressed.is_none() && f.severity != Severity::Info {
        Place::Backlog
    } else {
        Place::Nowhere
    }
}

/// A finding the backlog lists.
fn backlog_item<'a>(f: &'a Finding, gate: &'static str) -> BacklogItem<'a> {
    BacklogItem {
        id: Cow::Borrowed(f.id.as_str()),
        gate: Cow::Borrowed(gate),
        severity: f.severity,
        rule: Cow::Borrowed(f.rule.as_str()),
        location: location_of(f),
        message: Cow::Borrowed(f.message.as_str()),
    }
}

/// A finding its gate lists, with the suppression or exception that lets it through (or was refused),
/// and the exceptions used or refused for it (none unless an exception names it).
fn gate_finding<'a>(
    ctx: &Context<'a>,
    f: &'a Finding,
    category: Option<Category>,
) -> (DecisionFinding<'a>, Vec<ExceptionLog>) {
    let mut log = Vec::new();
    let exception = if let Some(s) = &f.suppressed {
        Some(Box::new(ExceptionRef {
            source: s.source.clone(),
            status: "suppressed".to_owned(),
            file: s.document.clone(),
            owner: None,
            expires: None,
            reason: Some(match &s.justification {
                Some(j) => format!("{}: {j}", s.status),
                None => s.status.clone(),
            }),
        }))
    } else {
        apply_exceptions(ctx, &f.id, category, f.severity, &mut log).map(Box::new)
    };
    let let_through = exception.as_ref().is_some_and(|e| e.status != "refused");
    let finding = DecisionFinding {
        id: Cow::Borrowed(f.id.as_str()),
        severity: f.severity,
        rule: Cow::Borrowed(f.rule.as_str()),
        location: location_of(f),
        message: Cow::Borrowed(f.message.as_str()),
        exception,
        blocks: !let_through,
    };
    (finding, log)
}

fn findings_gate<'a>(
    ctx: &Context<'a>,
    id: &'static str,
    config: &GateConfig,
    backlog: &mut Vec<BacklogItem<'a>>,
) -> GateResult<'a> {
    let category = category_of(id);
    let threshold = config.max_findings.map(|l| l.value);
    let evidence = has_evidence(ctx, config, category);
    if config.applies_to == AppliesTo::Image && !ctx.subject.image && !evidence {
        return GateResult {
            id: id.to_owned(),
            status: Status::NotApplicable,
            value: None,
            threshold,
            findings: Vec::new(),
            exceptions: Vec::new(),
        };
    }
    if !evidence {
        return no_evidence(id, config, threshold);
    }
    let block_at = config.block_at.as_ref().map_or(Severity::High, |b| b.value);
    // A large report lists 100,000 findings. Each is first placed (in parallel, a byte each); then
    // the gate's list (with each finding's exception log beside it) and the backlog are each built in
    // parallel straight into their vectors, in order, with nothing moved afterwards.
    let of_gate: Vec<&'a Finding> = ctx
        .evidence
        .findings
        .iter()
        .filter(|f| Some(f.category) == category)
        .collect();
    let mut places: Vec<Place> = Vec::new();
    of_gate
        .par_iter()
        .with_min_len(1024)
        .map(|f| place(f, config, ctx.subject, block_at))
        .collect_into_vec(&mut places);
    let listed_at = |want: Place| -> Vec<&'a Finding> {
        of_gate
            .iter()
            .zip(&places)
            .filter(|(_, p)| **p == want)
            .map(|(f, _)| *f)
            .collect()
    };
    let (mut findings, mut logs) = (Vec::new(), Vec::new());
    listed_at(Place::Gate)
        .par_iter()
        .with_min_len(1024)
        .map(|f| gate_finding(ctx, f, category))
        .unzip_into_vecs(&mut findings, &mut logs);
    backlog.par_extend(
        listed_at(Place::Backlog)
            .par_iter()
            .with_min_len(1024)
            .map(|f| backlog_item(f, id)),
    );
    let log: Vec<ExceptionLog> = logs.into_iter().flatten().collect();
    let blocking = findings.iter().filter(|f| f.blocks).count();
    #[allow(clippy::cast_precision_loss)] // finding counts far below 2^52
    let value = blocking as f64;
    let status = if value > threshold.unwrap_or(0.0) {
        Status::Block
    } else {
        Status::Pass
    };
    GateResult {
        id: id.to_owned(),
        status,
        value: Some(value),
        threshold,
        findings,
        exceptions: log,
    }
}

fn custom_gate<'a>(
    ctx: &Context<'a>,
    custom: &'a CustomResult,
    backlog: &mut Vec<BacklogItem<'a>>,
) -> GateResult<'a> {
    let mut findings = Vec::new();
    let mut log = Vec::new();
    let mut blocking = 0u64;
    for f in &custom.findings {
        if f.severity > Severity::High {
            if f.severity != Severity::Info {
                backlog.push(BacklogItem {
                    id: Cow::Borrowed(f.id.as_str()),
                    gate: Cow::Borrowed(custom.id.as_str()),
                    severity: f.severity,
                    rule: Cow::Borrowed(custom.id.as_str()),
                    location: f.location.as_deref().map(Spot::text),
                    message: Cow::Borrowed(f.message.as_str()),
                });
            }
            continue;
        }
        let exception = apply_exceptions(ctx, &f.id, None, f.severity, &mut log).map(Box::new);
        let let_through = exception.as_ref().is_some_and(|e| e.status != "refused");
        if !let_through {
            blocking += 1;
        }
        findings.push(DecisionFinding {
            id: Cow::Borrowed(f.id.as_str()),
            severity: f.severity,
            rule: Cow::Borrowed(custom.id.as_str()),
            location: f.location.as_deref().map(Spot::text),
            message: Cow::Borrowed(f.message.as_str()),
            exception,
            blocks: !let_through,
        });
    }
    #[allow(clippy::cast_precision_loss)] // finding counts far below 2^52
    let value = blocking as f64;
    GateResult {
        id: custom.id.clone(),
        status: if blocking > 0 { Status::Block } else { Status::Pass },
        value: Some(value),
        threshold: Some(0.0),
        findings,
        exceptions: log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_sorts_as_a_stable_sort_by_severity_gate_and_id_would() {
        let gates = [
            "sast",
            "lint",
            "dependencies",
            "a-custom-rule-with-a-long-name",
            "a-custom-rule-with-a-long-nam",
        ];
        let severities = [Severity::Medium, Severity::Low, Severity::Info];
        let mut random = provenant_testkit::Lcg::new(17);
        let mut next = |n: usize| random.below(n);
        let backlog: Vec<BacklogItem<'static>> = (0..3_000)
            .map(|i| BacklogItem {
                // Ids longer than the 16 bytes compared first, sharing them, and some repeated.
                id: Cow::Owned(format!("rule-with-a-long-id@{:04}", next(400))),
                gate: Cow::Borrowed(gates[next(5)]),
                severity: severities[next(3)],
                rule: Cow::Borrowed("r"),
                location: None,
                message: Cow::Owned(format!("item {i}")),
            })
            .collect();
        let mut expected = backlog.clone();
        expected.sort_by(|a, b| (a.severity, &a.gate, &a.id).cmp(&(b.severity, &b.gate, &b.id)));
        assert_eq!(sorted_backlog(backlog), expected);
        // In order already (one gate's backlog is), and out of order only at the very end.
        assert_eq!(sorted_backlog(expected.clone()), expected);
        let mut late = expected.clone();
        let n = late.len();
        late.swap(0, n - 1);
        let mut stable = late.clone();
        stable.sort_by(|a, b| (a.severity, &a.gate, &a.id).cmp(&(b.severity, &b.gate, &b.id)));
        assert_ne!(late, stable);
        assert_eq!(sorted_backlog(late), stable);
    }

    /// A finding's location is written `PATH:LINE` (or `PATH`); a custom rule's exactly as the rule wrote
    /// it; and the SARIF output reads a line from either.
    #[test]
    fn locations_are_written_as_path_and_line_and_custom_ones_as_given() {
        let normalised = Normalised::new();
        let policy = Policy::platform_default().unwrap();
        let subject = Subject::default();
        let custom = [CustomResult {
            id: "team-rule".to_owned(),
            findings: ["src/a.py:+5", "src/b.py:7", "C:/c.py", "d \"e\".py:0"]
                .into_iter()
                .enumerate()
                .map(|(i, l)| CustomFinding {
                    id: format!("team-rule/{i}"),
                    severity: Severity::High,
                    location: Some(l.to_owned()),
                    message: "m".to_owned(),
                })
                .collect(),
        }];
        let ctx = Context {
            evidence: &normalised,
            policy: &policy,
            subject: &subject,
            exceptions: &[],
            today: 20_000,
            custom: &custom,
        };
        let decision = evaluate(&ctx);
        let gate = decision.gates.iter().find(|g| g.id == "team-rule").unwrap();
        let json = serde_json::to_value(gate).unwrap();
        let written: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["location"].as_str().unwrap())
            .collect();
        assert_eq!(written, ["src/a.py:+5", "src/b.py:7", "C:/c.py", "d \"e\".py:0"]);
        let sarif = serde_json::to_value(crate::sarif::to_sarif(&decision, "0")).unwrap();
        let run = sarif["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["properties"]["gate"] == "team-rule")
            .unwrap();
        let read: Vec<(&str, Option<u64>)> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let p = &r["locations"][0]["physicalLocation"];
                (
                    p["artifactLocation"]["uri"].as_str().unwrap(),
                    p["region"]["startLine"].as_u64(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                ("src/a.py", Some(5)),
                ("src/b.py", Some(7)),
                ("C:/c.py", None),
                ("d \"e\".py:0", None)
            ]
        );
        let spot = Spot {
            path: Cow::Borrowed("src/x.py"),
            line: Some(12),
        };
        assert_eq!(spot.to_string(), "src/x.py:12");
        assert_eq!(serde_json::to_string(&spot).unwrap(), "\"src/x.py:12\"");
        assert_eq!(Spot::parse("src/x.py:12"), spot);
    }

    /// Several thousand SAST findings of every severity, some suppressed.
    fn many_sast_findings() -> Vec<Finding> {
        use provenant_findings::{Location, Suppression};
        let severities = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ];
        let mut random = provenant_testkit::Lcg::new(29);
        (0..5_000u64)
            .map(|i| Finding {
                id: format!("rule-{}@{i:016x}", i % 13),
                category: Category::Sast,
                severity: severities[random.below(5)],
                rule: format!("rule-{}", i % 13),
                location: (i % 4 != 0).then(|| Location {
                    path: format!("src/m{}.py", i % 50),
                    line: (i % 3 != 0).then_some(i % 997 + 1),
                }),
                message: format!("finding {i}"),
                tool: "semgrep".to_owned(),
                package: None,
                aliases: Vec::new(),
                fixed_version: None,
                layer: None,
                layer_index: None,
                suppressed: (random.below(9) == 0).then(|| {
                    Box::new(Suppression {
                        source: "sarif".to_owned(),
                        status: "inSource".to_owned(),
                        justification: (i % 2 == 0).then(|| "reviewed".to_owned()),
                        document: None,
                    })
                }),
            })
            .collect()
    }

    /// Exceptions scattered through `findings`: applied, expired, unverified, unreadable, and some
    /// findings named by two.
    fn scattered_exceptions(findings: &[Finding]) -> Vec<ExceptionInput> {
        use crate::exception::{Exception, SignedException};
        let exception = |f: &Finding, expires: &str| Exception {
            finding: f.id.clone(),
            owner: "owner@example.com".to_owned(),
            rationale: "scheduled".to_owned(),
            expires: expires.to_owned(),
            role: "security-lead".to_owned(),
            scope: None,
        };
        let signed = |f: &Finding, expires: &str| SignedException {
            exception: exception(f, expires),
            approver: "sec.pub".to_owned(),
        };
        let mut exceptions = Vec::new();
        for (n, f) in findings.iter().enumerate().step_by(97) {
            let result = match n % 4 {
                0 => Ok(signed(f, "2999-12-31")),
                1 => Ok(signed(f, "2000-01-01")),
                2 => Err((
                    Some(exception(f, "2999-12-31")),
                    "the signature does not verify".to_owned(),
                )),
                _ => Err((None, "not an exception".to_owned())),
            };
            exceptions.push(ExceptionInput {
                file: format!("exception-{n}.json"),
                result,
            });
            if n % 5 == 0 {
                exceptions.push(ExceptionInput {
                    file: format!("exception-{n}-again.json"),
                    result: Ok(signed(f, "2999-12-31")),
                });
            }
        }
        exceptions
    }

    /// The gate's list, its exception log and the backlog, as placing the findings one after another
    /// gives them (the evaluation builds them in parallel).
    #[test]
    fn findings_placed_in_parallel_are_what_placing_them_in_order_gives() {
        let mut normalised = Normalised::new();
        normalised.add(
            "semgrep.sarif",
            "sha256:00",
            provenant_findings::Evidence::Findings {
                format: Format::Sarif,
                findings: many_sast_findings(),
                categories: [Category::Sast].into(),
            },
        );
        normalised.finish(&[], None);
        let exceptions = scattered_exceptions(&normalised.findings);
        let policy = Policy::platform_default().unwrap();
        let subject = Subject::default();
        let ctx = Context {
            evidence: &normalised,
            policy: &policy,
            subject: &subject,
            exceptions: &exceptions,
            today: 20_000,
            custom: &[],
        };
        let config = &policy.gates.sast;
        let block_at = config.block_at.as_ref().map_or(Severity::High, |b| b.value);
        let (mut listed, mut log, mut backlog) = (Vec::new(), Vec::new(), Vec::new());
        for f in &normalised.findings {
            match place(f, config, &subject, block_at) {
                Place::Gate => {
                    let (finding, mut exceptions) = gate_finding(&ctx, f, Some(Category::Sast));
                    listed.push(finding);
                    log.append(&mut exceptions);
                }
                Place::Backlog => backlog.push(backlog_item(f, "sast")),
                Place::Nowhere => {}
            }
        }
        let mut got_backlog = Vec::new();
        let gate = findings_gate(&ctx, "sast", config, &mut got_backlog);
        assert!(
            listed.len() > 1024 && backlog.len() > 1024,
            "both lists are built in parallel"
        );
        assert!(log.iter().any(|l| l.status == "applied") && log.iter().any(|l| l.status == "refused"));
        assert_eq!(gate.findings, listed);
        assert_eq!(gate.exceptions, log);
        assert_eq!(got_backlog, backlog);
        #[allow(clippy::cast_precision_loss)] // a few thousand findings
        let blocking = listed.iter().filter(|f| f.blocks).count() as f64;
        assert_eq!(gate.value, Some(blocking));
    }
}
