//! The source checks over a range read from git: each commit's message (`conventional`), each commit's
//! signature (`signed`), each changed file's owner (`owned`) and, with reviews, each changed file's
//! approval by an owner (`approved`). The report lists every result, passing or not, in a fixed order
//! (commits as the range lists them, files sorted), and passes only when every result does.

use std::collections::BTreeSet;

use crate::allowed_signers::AllowedSigners;
use crate::codeowners::CodeOwners;
use crate::conventional;
use crate::git::{Commit, RangeRead};
use crate::openpgp::{self, Keyring};
use crate::reviews::{Approvals, Members};
use crate::signature::{self, Format};

/// A check the caller may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// Conventional Commits messages.
    Conventional,
    /// Signed commits.
    Signed,
    /// Owned files.
    Owned,
}

impl Requirement {
    /// The requirement's name, as `--require` spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Requirement::Conventional => "conventional",
            Requirement::Signed => "signed",
            Requirement::Owned => "owned",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "conventional" => Some(Self::Conventional),
            "signed" => Some(Self::Signed),
            "owned" => Some(Self::Owned),
            _ => None,
        }
    }
}

/// A single result's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check passed.
    Pass,
    /// The check failed.
    Fail,
    /// The check could not be made (an unsupported signature format): never a pass.
    Unsupported,
}

/// One check's result on one commit or file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckResult {
    /// `conventional`, `signed`, `owned` or `approved`.
    pub check: &'static str,
    /// The outcome.
    pub status: Status,
    /// Why, in a sentence.
    pub detail: String,
}

impl CheckResult {
    fn new(check: &'static str, status: Status, detail: impl Into<String>) -> Self {
        Self {
            check,
            status,
            detail: detail.into(),
        }
    }
}

/// The results for one commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitReport {
    /// The full id.
    pub id: String,
    /// The first 12 hex digits.
    pub short_id: String,
    /// The subject line.
    pub subject: String,
    /// The committer's email.
    pub committer: String,
    /// The author's email (separation of duties bars the author, as the committer, from approving).
    pub author: String,
    /// The results.
    pub checks: Vec<CheckResult>,
}

/// The results for one changed file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The path.
    pub path: String,
    /// The owners of the rule that matched last.
    pub owners: Vec<String>,
    /// That rule's line in CODEOWNERS.
    pub rule_line: Option<usize>,
    /// Owners' logins that approved (with reviews).
    pub approved_by: Vec<String>,
    /// The results.
    pub checks: Vec<CheckResult>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The range as given.
    pub range: String,
    /// `A`, resolved.
    pub base: String,
    /// `B`, resolved.
    pub head: String,
    /// Their merge base, from which changed files are counted.
    pub merge_base: Option<String>,
    /// What was required.
    pub required: Vec<Requirement>,
    /// Whether reviews were checked.
    pub reviews_checked: bool,
    /// Per commit.
    pub commits: Vec<CommitReport>,
    /// Per changed file (with `owned`).
    pub files: Vec<FileReport>,
    /// Whether every result passed.
    pub passed: bool,
}

impl Report {
    /// Every failing result, as (what, result): `what` is a commit's short id and subject or a path.
    #[must_use]
    pub fn failures(&self) -> Vec<(String, &CheckResult)> {
        let mut out = Vec::new();
        for c in &self.commits {
            for r in c.checks.iter().filter(|r| r.status != Status::Pass) {
                out.push((format!("{} {}", c.short_id, c.subject), r));
            }
        }
        for f in &self.files {
            for r in f.checks.iter().filter(|r| r.status != Status::Pass) {
                out.push((f.path.clone(), r));
            }
        }
        out
    }
}

/// What the checks are made against.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// Required checks.
    pub required: BTreeSet<Requirement>,
    /// SSH signers.
    pub allowed_signers: Option<&'a AllowedSigners>,
    /// `OpenPGP` keys.
    pub keyring: Option<&'a Keyring>,
    /// Code owners.
    pub codeowners: Option<&'a CodeOwners>,
    /// Approvals from reviews, with the members of teams and email owners.
    pub approvals: Option<(&'a Approvals, &'a Members)>,
    /// The time of judgement an `OpenPGP` signature's own expiration time is judged at (the check's time);
    /// when not given, each commit's committer time.
    pub judged_at: Option<openpgp::Instant>,
}

/// Runs the required checks over `range`.
#[must_use]
pub fn run(range: &RangeRead, inputs: &Inputs<'_>) -> Report {
    let commits: Vec<CommitReport> = range
        .commits
        .iter()
        .map(|commit| {
            let mut checks = Vec::new();
            if inputs.required.contains(&Requirement::Conventional) {
                checks.push(check_conventional(commit));
            }
            if inputs.required.contains(&Requirement::Signed) {
                checks.push(check_signed(commit, inputs));
            }
            CommitReport {
                id: commit.id.clone(),
                short_id: commit.short_id().to_owned(),
                subject: commit.subject().to_owned(),
                committer: commit.committer.email.clone(),
                author: commit.author.email.clone(),
                checks,
            }
        })
        .collect();
    let files = if inputs.required.contains(&Requirement::Owned) || inputs.approvals.is_some() {
        range
            .changed_paths
            .iter()
            .map(|path| check_file(path, inputs))
            .collect()
    } else {
        Vec::new()
    };
    let passed = commits
        .iter()
        .flat_map(|c| &c.checks)
        .chain(files.iter().flat_map(|f| &f.checks))
        .all(|r| r.status == Status::Pass);
    Report {
        range: range.spec.clone(),
        base: range.base.clone(),
        head: range.head.clone(),
        merge_base: range.merge_base.clone(),
        required: inputs.required.iter().copied().collect(),
        reviews_checked: inputs.approvals.is_some(),
        commits,
        files,
        passed,
    }
}

fn check_conventional(commit: &Commit) -> CheckResult {
    if commit.is_merge() {
        return CheckResult::new(
            "conventional",
            Status::Pass,
            "merge commit: its message is git's, not checked (as commitlint's default ignores)",
        );
    }
    match conventional::parse(&commit.message) {
        Ok(m) => {
            let scope = m
                .scope
                .as_deref()
                .map(|s| format!(", scope {s}"))
                .unwrap_or_default();
            let breaking = if m.is_breaking() { ", breaking" } else { "" };
            CheckResult::new(
                "conventional",
                Status::Pass,
                format!("type {}{scope}{breaking}", m.kind),
            )
        }
        Err(e) => CheckResult::new("conventional", Status::Fail, e.to_string()),
    }
}

fn check_signed(commit: &Commit, inputs: &Inputs<'_>) -> CheckResult {
    let Some(signed) = &commit.signature else {
        return CheckResult::new("signed", Status::Fail, "the commit is not signed");
    };
    let email = &commit.committer.email;
    match Format::detect(&signed.armored) {
        Format::Ssh => {
            let Some(signers) = inputs.allowed_signers else {
                return CheckResult::new(
                    "signed",
                    Status::Fail,
                    "SSH signature, but no allowed-signers file was given to check it against",
                );
            };
            match signature::verify_ssh(
                &signed.armored,
                &signed.payload,
                signers,
                email,
                commit.committer.time,
            ) {
                Ok(v) => CheckResult::new(
                    "signed",
                    Status::Pass,
                    format!(
                        "SSH signature by {} for {email} (allowed-signers line {})",
                        v.fingerprint, v.line
                    ),
                ),
                Err(e) => CheckResult::new("signed", Status::Fail, e.to_string()),
            }
        }
        Format::Openpgp => {
            let Some(keyring) = inputs.keyring else {
                return CheckResult::new(
                    "signed",
                    Status::Fail,
                    "OpenPGP signature, but no keyring was given to check it against",
                );
            };
            let judged_at = inputs
                .judged_at
                .unwrap_or_else(|| openpgp::Instant(u64::try_from(commit.committer.time).unwrap_or(0)));
            match openpgp::verify_pgp(&signed.armored, &signed.payload, keyring, email, judged_at) {
                Ok(v) => CheckResult::new(
                    "signed",
                    Status::Pass,
                    format!(
                        "OpenPGP signature by {} ({}), made at {}",
                        v.fingerprint, v.user_id, v.signed_at
                    ),
                ),
                Err(e) => CheckResult::new("signed", Status::Fail, e.to_string()),
            }
        }
        Format::X509 => CheckResult::new(
            "signed",
            Status::Unsupported,
            "X.509 signature (gitsign or gpgsm): not verified by Provenant, so not accepted",
        ),
        Format::Unknown => {
            CheckResult::new("signed", Status::Fail, "the signature's format is not recognised")
        }
    }
}

fn check_file(path: &str, inputs: &Inputs<'_>) -> FileReport {
    let mut report = FileReport {
        path: path.to_owned(),
        owners: Vec::new(),
        rule_line: None,
        approved_by: Vec::new(),
        checks: Vec::new(),
    };
    let ownership = inputs.codeowners.and_then(|c| c.owners_of(path));
    if let Some(o) = &ownership {
        report.owners = o
            .rule
            .owners
            .iter()
            .map(crate::codeowners::Owner::spelling)
            .collect();
        report.rule_line = Some(o.rule.line);
    }
    if inputs.required.contains(&Requirement::Owned) {
        report.checks.push(match &ownership {
            None => CheckResult::new("owned", Status::Fail, "no CODEOWNERS rule matches the file"),
            Some(o) if o.rule.owners.is_empty() => CheckResult::new(
                "owned",
                Status::Fail,
                format!(
                    "the CODEOWNERS rule `{}` (line {}) leaves it without owners",
                    o.rule.pattern, o.rule.line
                ),
            ),
            Some(o) => CheckResult::new(
                "owned",
                Status::Pass,
                format!("owned by {} (line {})", report.owners.join(" "), o.rule.line),
            ),
        });
    }
    if let Some((approvals, members)) = inputs.approvals {
        let owners = ownership.map(|o| o.rule.owners.clone()).unwrap_or_default();
        let mut unresolved = Vec::new();
        let mut approved_by = BTreeSet::new();
        let mut stale = BTreeSet::new();
        for owner in &owners {
            match members.logins(owner) {
                None => unresolved.push(owner.spelling()),
                Some(logins) => {
                    approved_by.extend(logins.intersection(&approvals.approved).cloned());
                    stale.extend(logins.intersection(&approvals.stale).cloned());
                }
            }
        }
        report.approved_by = approved_by.iter().cloned().collect();
        let result = if owners.is_empty() {
            CheckResult::new(
                "approved",
                Status::Fail,
                "no owner can approve: the file has no code owner",
            )
        } else if !approved_by.is_empty() {
            CheckResult::new(
                "approved",
                Status::Pass,
                format!("approved by {}", report.approved_by.join(", ")),
            )
        } else {
            let mut why = vec![format!(
                "no approval of the head commit by an owner ({})",
                report.owners.join(" ")
            )];
            if !stale.is_empty() {
                why.push(format!(
                    "approvals of an earlier commit by {} do not count",
                    stale.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            if approvals.author_approved {
                why.push("the author's own approval does not count".into());
            }
            if !unresolved.is_empty() {
                why.push(format!(
                    "{} not resolved to users (give their members with --teams)",
                    unresolved.join(" ")
                ));
            }
            CheckResult::new("approved", Status::Fail, why.join("; "))
        };
        report.checks.push(result);
    }
    report
}
