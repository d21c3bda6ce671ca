//! `provenant gate`: the quality and security gates. `policy init` writes the platform default,
//! `evaluate` holds the evidence against the policy and records a signed decision, `exception create`
//! signs an exception for one finding.

mod json;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use provenant_attest::ResourceDescriptor;
use provenant_digest::{Algorithm, Digest};
use provenant_findings::Normalised;
use provenant_gate::evaluate::{CustomResult, ExceptionInput, GateResult};
use provenant_gate::exception::{Exception, ExceptionScope};
use provenant_gate::policy::TeamConfig;
use provenant_gate::predicate::PolicyRecord;
use provenant_gate::{Context, Decision, Policy, Status, Subject, Verdict};

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{KeylessArgs, RegistryArgs};
use crate::output::{print_bytes, print_json, to_stdout};

/// Largest evidence file read.
const MAX_EVIDENCE: u64 = provenant_findings::MAX_INPUT as u64;
/// Largest policy, team, roles, rule, key or exception file read.
const MAX_SMALL: u64 = 16 << 20;

/// `provenant gate ...`: the rest of the command line, parsed by [`GateCli`]. `gate evaluate` takes its own
/// `--output text|json|sarif`, which the global `--output` (text or json) cannot carry, and `gate exception
/// create` its own `--output text|json`: an `--output` after `gate` is the gate parser's.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct GateArgs {
    /// `policy init`, `evaluate` or `exception create`, with their options (`provenant gate --help`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "COMMAND")]
    pub(crate) args: Vec<String>,
}

/// The gate commands' own parser.
#[derive(Debug, Parser)]
#[command(name = "provenant gate", max_term_width = 100)]
#[command(
    after_help = "Exit status: 0 passed, 1 a gate blocks (reported on stdout), 2 usage or runtime error."
)]
pub(crate) struct GateCli {
    #[command(subcommand)]
    pub(crate) command: GateCommand,
}

/// `provenant gate`.
#[derive(Debug, Subcommand)]
pub(crate) enum GateCommand {
    /// The gate policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Evaluate evidence against the policy: exit 0 pass, 1 block, 2 bad input.
    Evaluate(Box<EvaluateArgs>),
    /// Signed exceptions for single findings.
    #[command(subcommand)]
    Exception(ExceptionCommand),
}

/// `provenant gate policy`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Write the platform default policy (YAML).
    Init(PolicyInitArgs),
}

/// `provenant gate policy init`.
#[derive(Debug, Args)]
pub(crate) struct PolicyInitArgs {
    /// Where to write it (default: standard output).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
    /// Output format of the report (the global `--output` given before `gate` when absent). JSON names
    /// the file (`null` for standard output, the policy then in `content`) and the policy's digest.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) output: Option<OutputFormat>,
}

/// `provenant gate exception`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExceptionCommand {
    /// Sign an exception for one finding.
    Create(Box<ExceptionCreateArgs>),
}

/// `provenant gate exception create`.
#[derive(Debug, Args)]
#[command(after_help = "The exception is an in-toto statement (predicate type \
https://provenant.dev/attestation/gate-exception/v1) about the finding id, signed into a sigstore bundle. \
`gate evaluate` applies it only when the signer holds ROLE in --roles, it has not expired and the finding \
id matches.")]
pub(crate) struct ExceptionCreateArgs {
    /// The finding id, as `gate evaluate` prints it.
    #[arg(long, value_name = "ID")]
    pub(crate) finding: String,
    /// Who owns the risk (email).
    #[arg(long, value_name = "EMAIL")]
    pub(crate) owner: String,
    /// Why the finding may pass.
    #[arg(long, value_name = "TEXT")]
    pub(crate) rationale: String,
    /// Last day it applies (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub(crate) expires: String,
    /// The role the approver signs as.
    #[arg(long, value_name = "ROLE")]
    pub(crate) role: String,
    /// Only for this repository.
    #[arg(long, value_name = "REPO")]
    pub(crate) repository: Option<String>,
    /// Only for this artefact digest (sha256:HEX).
    #[arg(long, value_name = "DIGEST", value_parser = crate::args::parse_digest)]
    pub(crate) digest: Option<provenant_digest::Digest>,
    /// Sign with this key instead of keylessly.
    #[arg(long, value_name = "K")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// Where to write the signed exception.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Output format of the report (the global `--output` given before `gate` when absent).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) output: Option<OutputFormat>,
}

/// How `gate evaluate` renders its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GateOutput {
    /// A table for people.
    Text,
    /// The decision as JSON.
    Json,
    /// SARIF 2.1.0, one run per gate.
    Sarif,
}

/// `provenant gate evaluate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Evidence files are recognised by content: JUnit XML; lcov, Cobertura, JaCoCo, coverage.py \
and llvm-cov coverage; SARIF 2.1.0 and checkstyle; trivy, grype, OSV-scanner, npm audit v2 and CycloneDX \
vulnerabilities; OpenVEX; gitleaks, trivy and detect-secrets secrets. A file that cannot be read is an \
error (exit 2) naming the file. Exit 0 pass, 1 block, 2 bad input."
)]
pub(crate) struct EvaluateArgs {
    /// The platform policy (default: the built-in platform default).
    #[arg(long, value_name = "P")]
    pub(crate) policy: Option<PathBuf>,
    /// The team's choices within the platform's ranges, and custom Rego rules.
    #[arg(long, value_name = "F")]
    pub(crate) team_config: Option<PathBuf>,
    /// Evidence files (a directory: every file under it).
    #[arg(long, value_name = "PATH", num_args = 1.., required_unless_present = "source")]
    pub(crate) evidence: Vec<PathBuf>,
    /// Run the built-in scanners (secrets, hygiene with the policy's gate-checked globs, pinning) over
    /// this source tree and read their SARIF as evidence (`source:secrets.sarif`, …).
    #[arg(long, value_name = "DIR")]
    pub(crate) source: Option<PathBuf>,
    /// An SBOM (`CycloneDX` or SPDX JSON) whose dependency graph says which dependencies are direct.
    #[arg(long, value_name = "FILE")]
    pub(crate) sbom: Option<PathBuf>,
    /// Who may sign exceptions (YAML roles file).
    #[arg(long, value_name = "FILE")]
    pub(crate) roles: Option<PathBuf>,
    /// Signed exceptions.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "roles")]
    pub(crate) exceptions: Vec<PathBuf>,
    /// Trusted root for keyless exception signatures.
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// The artefact the decision is about: a file, or IMAGE@sha256:HEX.
    #[arg(long, value_name = "FILE|IMAGE@DIGEST")]
    pub(crate) subject: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GateOutput::Text)]
    pub(crate) output: GateOutput,
    /// Write the signed decision (in-toto gate-decision statement in a sigstore bundle) here.
    #[arg(long, value_name = "OUT", requires = "subject")]
    pub(crate) bundle: Option<PathBuf>,
    /// Sign the decision with this key instead of keylessly.
    #[arg(long, value_name = "K", requires = "bundle")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// Attach the signed decision to the image subject as a referrer.
    #[arg(long, requires = "bundle")]
    pub(crate) attach: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// Also write in-toto's test-result statement (signed like the decision) here.
    #[arg(long, value_name = "OUT", requires = "bundle")]
    pub(crate) test_result: Option<PathBuf>,
    /// Also write in-toto's vulns statement (v0.1, signed like the decision) for each vulnerability
    /// report into this directory, as `N-NAME.vulns.sigstore.json` in evidence order.
    #[arg(long, value_name = "DIR", requires = "bundle")]
    pub(crate) vulns: Option<PathBuf>,
    /// POST a JSON notice (Slack-compatible `text`) naming the artefact, gate and findings here when a
    /// critical finding blocks.
    #[arg(long, value_name = "URL")]
    pub(crate) notify: Option<String>,
    /// Write medium and low findings here, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub(crate) backlog: Option<PathBuf>,
}

pub(crate) fn run(global: &GlobalArgs, args: &GateArgs) -> anyhow::Result<Outcome> {
    // Help goes to stdout with exit 0, usage errors to stderr with exit 2.
    let cli: GateCli = match crate::args::parse_nested("provenant gate", &args.args) {
        Ok(cli) => cli,
        Err(outcome) => return Ok(outcome),
    };
    match &cli.command {
        GateCommand::Policy(PolicyCommand::Init(args)) => policy_init(global, args),
        GateCommand::Evaluate(args) => evaluate(args),
        GateCommand::Exception(ExceptionCommand::Create(args)) => exception_create(global, args),
    }
}

fn policy_init(global: &GlobalArgs, args: &PolicyInitArgs) -> anyhow::Result<Outcome> {
    let text = provenant_gate::DEFAULT_POLICY;
    let digest = provenant_digest::Algorithm::Sha256.hash_bytes(text.as_bytes());
    let mut report = serde_json::Map::new();
    report.insert("digest".to_owned(), digest.to_string().into());
    crate::output::emit_generated(
        args.output.unwrap_or(global.output),
        args.out.as_deref(),
        args.force,
        text,
        report,
        &format!(" ({digest})"),
    )?;
    Ok(Outcome::Success)
}

fn exception_create(global: &GlobalArgs, args: &ExceptionCreateArgs) -> anyhow::Result<Outcome> {
    let scope = (args.repository.is_some() || args.digest.is_some()).then(|| ExceptionScope {
        repository: args.repository.clone(),
        digest: args.digest.map(|d| d.to_string()),
    });
    let exception = Exception {
        finding: args.finding.clone(),
        owner: args.owner.clone(),
        rationale: args.rationale.clone(),
        expires: args.expires.clone(),
        role: args.role.clone(),
        scope,
    };
    let statement = exception.statement()?;
    let bundle = args
        .keyless
        .sign_statement(args.key.as_deref(), &statement.to_json(), None, "statement")
        .context("cannot sign the exception")?;
    crate::shared::write_atomic(&args.out, &bundle.to_json_v0_3()?)?;
    match args.output.unwrap_or(global.output) {
        OutputFormat::Json => print_json(&serde_json::json!({
            "exception": args.out.display().to_string(),
            "finding": exception.finding,
            "owner": exception.owner,
            "role": exception.role,
            "expires": exception.expires,
        }))?,
        OutputFormat::Text => print_bytes(
            format!(
                "Wrote {} (exception for {} until {}, signed as {})\n",
                args.out.display(),
                exception.finding,
                exception.expires,
                exception.role
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

/// Every file under `path` (itself when a file), sorted.
fn evidence_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read evidence {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read directory {}", dir.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One evidence file, read.
struct ReadEvidence {
    path: PathBuf,
    /// The path as the decision names it.
    name: String,
    /// `sha256:<hex>` of its bytes.
    digest: String,
    evidence: provenant_findings::Evidence,
    /// The scanner that wrote a vulnerability report, when `--vulns` asks for its statement.
    scanner: Option<provenant_findings::ScannerInfo>,
}

/// Reads, hashes and parses every evidence file under `given`, in order. The files are independent:
/// they are read in parallel (each one hashed while it is parsed), and the first error in the order
/// the files are given is the one reported, as if they had been read one after the other.
fn read_evidence(given: &[PathBuf], vulns: bool) -> anyhow::Result<Vec<ReadEvidence>> {
    use rayon::prelude::*;
    let mut files: Vec<anyhow::Result<PathBuf>> = Vec::new();
    for path in given {
        match evidence_files(path) {
            Ok(found) => files.extend(found.into_iter().map(Ok)),
            Err(e) => {
                files.push(Err(e));
                break;
            }
        }
    }
    let read = |path: anyhow::Result<PathBuf>| -> anyhow::Result<ReadEvidence> {
        let path = path?;
        let bytes = super::read_bounded(&path, MAX_EVIDENCE, "evidence")?;
        let name = path.display().to_string();
        // The parse first, on this thread: the hash is what an idle thread takes over.
        let (evidence, digest) = rayon::join(
            || provenant_findings::read(&name, &bytes),
            || Algorithm::Sha256.hash_bytes(&bytes).to_string(),
        );
        let evidence = evidence?;
        let scanner = match &evidence {
            provenant_findings::Evidence::Findings {
                format, categories, ..
            } if vulns
                && categories.iter().any(|c| {
                    matches!(
                        c,
                        provenant_findings::Category::Dependencies | provenant_findings::Category::Container
                    )
                }) =>
            {
                Some(provenant_findings::scanner_info(*format, &bytes))
            }
            _ => None,
        };
        Ok(ReadEvidence {
            path,
            name,
            digest,
            evidence,
            scanner,
        })
    };
    // Largest first: reading the largest file (a SARIF log's scan) is the longest piece of work that
    // runs on one thread, so it starts at once and the smaller files and the hashes fill the other
    // threads. The results are put back in the order given.
    let mut order: Vec<(u64, usize, anyhow::Result<PathBuf>)> = files
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let size = path
                .as_ref()
                .ok()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
            (size, i, path)
        })
        .collect();
    order.sort_by_key(|(size, i, _)| (std::cmp::Reverse(*size), *i));
    let mut results: Vec<(usize, anyhow::Result<ReadEvidence>)> = order
        .into_par_iter()
        .map(|(_, i, path)| (i, read(path)))
        .collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The subject: its descriptor, and what the evaluation needs to know of it.
fn subject(spec: Option<&str>) -> anyhow::Result<(Vec<ResourceDescriptor>, Subject)> {
    let Some(spec) = spec else {
        return Ok((Vec::new(), Subject::default()));
    };
    let path = Path::new(spec);
    if path.is_file() {
        let digest = Algorithm::Sha256
            .hash_file(path, &provenant_digest::NoProgress)
            .with_context(|| format!("subject {spec}"))?;
        let subject = Subject {
            digests: vec![digest.to_string()],
            image: false,
            repository: None,
            ids: vec![digest.to_string(), spec.to_owned()],
            base_layers: None,
        };
        return Ok((vec![ResourceDescriptor::for_digest(spec, &digest)], subject));
    }
    let (name, digest) = spec
        .rsplit_once('@')
        .with_context(|| format!("subject {spec:?} is neither a file nor IMAGE@sha256:HEX"))?;
    let digest: Digest = digest
        .parse()
        .with_context(|| format!("subject {spec:?}: the digest is not sha256:HEX"))?;
    // registry/repo[:tag]: the repository is the name without its tag.
    let repository = match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => name,
    };
    let subject = Subject {
        digests: vec![digest.to_string()],
        image: true,
        repository: Some(repository.to_owned()),
        ids: vec![
            digest.to_string(),
            spec.to_owned(),
            format!(
                "pkg:oci/{}@{}",
                repository.rsplit('/').next().unwrap_or(repository),
                digest.to_string().replace(':', "%3A")
            ),
        ],
        base_layers: None,
    };
    Ok((vec![ResourceDescriptor::for_digest(name, &digest)], subject))
}

#[allow(clippy::too_many_lines)] // one straight pass: read, evaluate, record, render
fn evaluate(args: &EvaluateArgs) -> anyhow::Result<Outcome> {
    // Policy: the platform's, then the team's choices within it.
    let mut policies = Vec::new();
    let (platform, platform_bytes, platform_name) = match &args.policy {
        Some(path) => {
            let bytes = super::read_bounded(path, MAX_SMALL, "policy")?;
            let name = path.display().to_string();
            (Policy::from_yaml(&name, &bytes)?, bytes, name)
        }
        None => (
            Policy::platform_default()?,
            provenant_gate::DEFAULT_POLICY.as_bytes().to_vec(),
            "default".to_owned(),
        ),
    };
    policies.push(PolicyRecord {
        kind: "platform",
        path: platform_name,
        digest: Algorithm::Sha256.hash_bytes(&platform_bytes).to_string(),
    });
    let mut policy = platform.clone();
    let mut rule_sources = Vec::new();
    let mut team = TeamConfig::default();
    if let Some(path) = &args.team_config {
        let bytes = super::read_bounded(path, MAX_SMALL, "team config")?;
        let name = path.display().to_string();
        team = TeamConfig::from_yaml(&name, &bytes)?;
        policy = platform.with_team(&name, &team)?;
        policies.push(PolicyRecord {
            kind: "team",
            path: name,
            digest: Algorithm::Sha256.hash_bytes(&bytes).to_string(),
        });
        let base = path.parent().unwrap_or(Path::new("."));
        for rule in &team.rules {
            let rego_path = base.join(&rule.rego);
            let source = String::from_utf8(super::read_bounded(&rego_path, MAX_SMALL, "Rego rule")?)
                .with_context(|| format!("Rego rule {} is not UTF-8 text", rego_path.display()))?;
            rule_sources.push((rego_path.display().to_string(), source));
        }
    }

    // Evidence, each file read by content; any unreadable file is an error naming it.
    let (subjects, mut subject) = subject(args.subject.as_deref())?;
    if subject.image
        && let Some(spec) = args.subject.as_deref()
        && oci_layout_artifact(&args.registry, spec)
    {
        // A file packaged as an OCI artifact is no image: gates that apply to images do not apply.
        subject.image = false;
    }
    let mut normalised = Normalised::new();
    let mut vuln_reports = Vec::new();
    for file in read_evidence(&args.evidence, args.vulns.is_some())? {
        let ReadEvidence {
            path,
            name,
            digest,
            evidence,
            scanner,
        } = file;
        if let Some(scanner) = scanner
            && let provenant_findings::Evidence::Findings { findings, .. } = &evidence
        {
            let findings: Vec<_> = findings.iter().filter(|f| f.package.is_some()).cloned().collect();
            vuln_reports.push((path, findings, scanner));
        }
        normalised.add(&name, &digest, evidence);
    }
    if let Some(dir) = &args.source {
        for (name, digest, evidence) in source_evidence(dir, &policy)? {
            normalised.add(&name, &digest, evidence);
        }
    }
    let sbom = match &args.sbom {
        Some(path) => {
            let bytes = super::read_bounded(path, 256 << 20, "SBOM")?;
            let doc: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("SBOM {} is not JSON", path.display()))?;
            Some(
                provenant_sbom::read::read(&doc, 0)
                    .with_context(|| format!("cannot read SBOM {}", path.display()))?
                    .sbom,
            )
        }
        None => None,
    };
    normalised.finish(&subject.ids, sbom.as_ref());
    // The container gate's base layers: those of the base image the image's manifest names.
    let image_scan = normalised
        .evidence
        .iter()
        .any(|e| e.categories.contains(&provenant_findings::Category::Container));
    if subject.image
        && image_scan
        && policy.gates.container.scope.as_ref().map(|s| s.value) == Some(provenant_gate::policy::Scope::Base)
        && let Some(spec) = args.subject.as_deref()
    {
        subject.base_layers = base_layers(&args.registry, spec)?;
    }

    // Custom rules.
    // The evidence becomes Rego's input only when there are rules to read it (with 100,000 findings,
    // building it costs more than the rest of the evaluation).
    let rules: Vec<provenant_gate::rego::Rule<'_>> = team
        .rules
        .iter()
        .zip(&rule_sources)
        .map(|(config, (file, source))| provenant_gate::rego::Rule { config, file, source })
        .collect();
    let custom: Vec<CustomResult> = if rules.is_empty() {
        Vec::new()
    } else {
        provenant_gate::rego::run_rules(&rules, &serde_json::to_value(&normalised)?)?
    };

    // Exceptions: verified against the roles file; a refused one is kept with its reason.
    let mut exceptions = Vec::new();
    if let Some(roles_path) = &args.roles {
        let holders = crate::args::load_roles(roles_path)?;
        let root = crate::shared::trusted_root(args.trusted_root.as_deref())?;
        for path in &args.exceptions {
            let bytes = super::read_bounded(path, MAX_SMALL, "exception")?;
            let result = provenant_gate::exception::verify_exception(&bytes, &holders, root.as_ref())
                .map_err(|e| {
                    (
                        provenant_gate::exception::read_unverified(&bytes).ok(),
                        e.to_string(),
                    )
                });
            if let Err((None, reason)) = &result {
                anyhow::bail!("exception {}: {reason}", path.display());
            }
            exceptions.push(ExceptionInput {
                file: path.display().to_string(),
                result,
            });
        }
    }

    let now = crate::shared::now_unix()?;
    #[allow(clippy::cast_possible_wrap)] // days since 1970 fit in i64
    let today = (now / 86_400) as i64;
    let decision = provenant_gate::evaluate(&Context {
        evidence: &normalised,
        policy: &policy,
        subject: &subject,
        exceptions: &exceptions,
        today,
        custom: &custom,
    });

    if let Some(path) = &args.backlog {
        let mut lines = Vec::new();
        for item in &decision.backlog {
            serde_json::to_writer(&mut lines, item)?;
            lines.push(b'\n');
        }
        crate::shared::write_atomic(path, &lines)?;
    }
    if let Some(bundle_path) = &args.bundle {
        let evaluated_at = provenant_sbom::rfc3339(now);
        let statement = provenant_gate::predicate::decision_statement(
            subjects.clone(),
            &decision,
            &policies,
            &evaluated_at,
            env!("CARGO_PKG_VERSION"),
        );
        statement.validate()?;
        let bundle = args
            .keyless
            .sign_statement(args.key.as_deref(), &statement.to_json(), None, "statement")
            .context("cannot sign the gate decision")?;
        let bundle_bytes = bundle.to_json_v0_3()?;
        crate::shared::write_atomic(bundle_path, &bundle_bytes)?;
        if let Some(path) = &args.test_result {
            let test_statement =
                provenant_gate::predicate::test_result_statement(subjects.clone(), &normalised)
                    .context("--test-result: no test results were supplied")?;
            let bundle = args
                .keyless
                .sign_statement(args.key.as_deref(), &test_statement.to_json(), None, "statement")
                .context("cannot sign the test-result statement")?;
            crate::shared::write_atomic(path, &bundle.to_json_v0_3()?)?;
        }
        if let Some(dir) = &args.vulns {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            for (i, (path, findings, scanner)) in vuln_reports.iter().enumerate() {
                let statement = provenant_gate::predicate::vulns_statement(
                    subjects.clone(),
                    findings,
                    scanner,
                    &evaluated_at,
                );
                statement.validate()?;
                let bundle = args
                    .keyless
                    .sign_statement(args.key.as_deref(), &statement.to_json(), None, "statement")
                    .with_context(|| format!("cannot sign the vulns statement of {}", path.display()))?;
                let stem = path
                    .file_name()
                    .map_or_else(|| "report".to_owned(), |n| n.to_string_lossy().into_owned());
                let out = dir.join(format!("{}-{stem}.vulns.sigstore.json", i + 1));
                crate::shared::write_atomic(&out, &bundle.to_json_v0_3()?)?;
            }
        }
        if args.attach {
            attach(args, &bundle_bytes)?;
        }
    }
    if let Some(url) = &args.notify
        && !decision.notices.is_empty()
    {
        notify(url, args.subject.as_deref().unwrap_or("(no subject)"), &decision)?;
    }

    match args.output {
        GateOutput::Json => json::print(&decision)?,
        GateOutput::Sarif => print_json(&provenant_gate::sarif::to_sarif(
            &decision,
            env!("CARGO_PKG_VERSION"),
        ))?,
        GateOutput::Text => to_stdout(|w| render_text(w, &decision, args.backlog.as_deref()))?,
    }
    let outcome = match decision.decision {
        Verdict::Pass => Outcome::Success,
        Verdict::Block => Outcome::Failure,
    };
    // The process exits next: the evidence and the decision (with 100,000 findings, a million
    // strings) are left to the operating system rather than freed one by one.
    std::mem::forget(decision);
    std::mem::forget(normalised);
    Ok(outcome)
}

/// The built-in scanners' SARIF over `dir`, each read as evidence under its synthetic path
/// (`source:secrets.sarif`, `source:hygiene.sarif`, `source:pinning.sarif`) with the digest of its bytes.
fn source_evidence(
    dir: &Path,
    policy: &Policy,
) -> anyhow::Result<Vec<(String, String, provenant_findings::Evidence)>> {
    let include = policy.gates.hygiene.include.clone().unwrap_or_default();
    let reports = provenant_scan::source::scan_source(
        dir,
        &include,
        policy.gates.secrets.repository_config.unwrap_or(false),
        provenant_scan::secrets::decode::DEFAULT_MAX_DECODE_DEPTH,
        0,
    )?;
    let mut out = Vec::new();
    for report in reports {
        let name = format!("source:{}.sarif", report.scanner);
        let digest = Algorithm::Sha256.hash_bytes(&report.sarif).to_string();
        let evidence = provenant_findings::read(&name, &report.sarif)?;
        out.push((name, digest, evidence));
    }
    Ok(out)
}

/// The most manifests of a base image index examined.
const MAX_BASE_CANDIDATES: usize = 64;

/// The base image's layers of the image `spec` (`IMAGE@DIGEST` or `oci:PATH@DIGEST`) when its manifest
/// names its base (`provenant_gate::base`): the base manifest is read by that digest from the image's
/// own store, else from the repository the base name annotation gives (an index's platform manifests
/// are the candidates). `None` when the manifest names no base (the policy's `base_layers` applies).
/// Whether the subject `spec` is an OCI artifact in a local OCI layout (`oci:DIR@DIGEST` whose manifest
/// has an `artifactType` or the empty config, as `oci push` writes): no image. Anything else, or a
/// manifest that cannot be read, counts as an image, so the gates that apply to images still apply.
fn oci_layout_artifact(registry: &RegistryArgs, spec: &str) -> bool {
    use provenant_oci::{Manifest, ManifestRef, media};
    if !spec.starts_with("oci:") {
        return false;
    }
    let Ok(reference) = spec.parse::<provenant_oci::Reference>() else {
        return false;
    };
    let Some(digest) = reference.digest().copied() else {
        return false;
    };
    let Ok(client) = registry.client(None) else {
        return false;
    };
    let Ok(store) = provenant_registry::open_store(&reference, &client, false) else {
        return false;
    };
    match store.get_manifest(&ManifestRef::Digest(digest)) {
        Ok(fetched) => match &fetched.manifest {
            Manifest::Image(m) => m.artifact_type.is_some() || m.config.media_type == media::OCI_EMPTY,
            Manifest::Index(_) => false,
        },
        Err(_) => false,
    }
}

fn base_layers(registry: &RegistryArgs, spec: &str) -> anyhow::Result<Option<Vec<String>>> {
    use provenant_gate::base::{BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION};
    use provenant_oci::{Manifest, ManifestRef};
    let reference: provenant_oci::Reference = spec
        .parse()
        .with_context(|| format!("subject {spec} is not an image reference"))?;
    let Some(digest) = reference.digest().copied() else {
        return Ok(None);
    };
    let client = registry.client(None)?;
    let store = provenant_registry::open_store(&reference, &client, false)
        .with_context(|| format!("cannot open {spec} to find its base image"))?;
    let fetched = store
        .get_manifest(&ManifestRef::Digest(digest))
        .with_context(|| format!("cannot read the manifest of {spec} to find its base image"))?;
    let Manifest::Image(image) = &fetched.manifest else {
        return Ok(None);
    };
    let annotation = |key: &str| {
        image
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    };
    let Some(base_digest) = annotation(BASE_DIGEST_ANNOTATION) else {
        return Ok(None);
    };
    let base_digest: Digest = base_digest.parse().with_context(|| {
        format!("{spec}: the annotation {BASE_DIGEST_ANNOTATION} = {base_digest:?} is not a digest")
    })?;
    let cannot =
        || format!("cannot read the base image {base_digest} that {spec} names ({BASE_DIGEST_ANNOTATION})");
    let mut other_store: Option<Box<dyn provenant_registry::Store>> = None;
    let base = match store.get_manifest(&ManifestRef::Digest(base_digest)) {
        Ok(m) => m,
        Err(first) => {
            let other = annotation(BASE_NAME_ANNOTATION)
                .and_then(|n| n.parse::<provenant_oci::Reference>().ok())
                .filter(|r| matches!(r, provenant_oci::Reference::Registry(_)));
            let Some(other) = other else {
                return Err(anyhow::Error::new(first).context(cannot()));
            };
            let opened = provenant_registry::open_store(&other, &client, false)?;
            let m = opened
                .get_manifest(&ManifestRef::Digest(base_digest))
                .with_context(cannot)?;
            other_store = Some(opened);
            m
        }
    };
    let base_store = other_store.as_deref().unwrap_or(store.as_ref());
    let candidates: Vec<provenant_oci::ImageManifest> = match base.manifest {
        Manifest::Image(b) => vec![b],
        Manifest::Index(index) => index
            .manifests
            .iter()
            .take(MAX_BASE_CANDIDATES)
            .filter_map(|child| base_store.get_manifest(&ManifestRef::Digest(child.digest)).ok())
            .filter_map(|m| match m.manifest {
                Manifest::Image(b) => Some(b),
                Manifest::Index(_) => None,
            })
            .collect(),
    };
    let config_bytes =
        provenant_registry::read_small_blob(store.as_ref(), &image.config.digest, Some(image.config.size))
            .with_context(|| format!("cannot read the configuration of {spec}"))?;
    let config: provenant_oci::config::ImageConfig = serde_json::from_slice(&config_bytes)
        .with_context(|| format!("the configuration of {spec} is not an image configuration"))?;
    let layers = provenant_gate::base::base_layers(image, &config, &candidates).with_context(|| {
        format!(
            "{spec} names {base_digest} as its base image ({BASE_DIGEST_ANNOTATION}), but its layers are not \
             the first of the image's: the annotation does not describe this image"
        )
    })?;
    Ok(Some(layers))
}

fn attach(args: &EvaluateArgs, bundle: &[u8]) -> anyhow::Result<()> {
    let spec = args
        .subject
        .as_deref()
        .context("--attach needs --subject IMAGE@sha256:HEX")?;
    let reference: provenant_oci::Reference = spec
        .parse()
        .with_context(|| format!("--attach needs an image subject, not {spec}"))?;
    let digest = *reference
        .digest()
        .with_context(|| format!("--attach needs the image by digest, not {spec}"))?;
    let client = args.registry.client(None)?;
    let store = provenant_registry::open_store(&reference, &client, false)?;
    let manifest = store.get_manifest(&provenant_oci::ManifestRef::Digest(digest))?;
    let annotations = BTreeMap::from([
        (
            "dev.sigstore.bundle.content".to_owned(),
            "dsse-envelope".to_owned(),
        ),
        (
            "dev.sigstore.bundle.predicateType".to_owned(),
            provenant_gate::predicate::GATE_DECISION_PREDICATE.to_owned(),
        ),
    ]);
    provenant_evidence::attached::attach_document(
        store.as_ref(),
        &manifest,
        bundle,
        provenant_oci::media::SIGSTORE_BUNDLE_V03,
        "gate-decision.sigstore.json",
        annotations,
    )?;
    Ok(())
}

/// POSTs the notice for blocking critical findings, with a 10-second deadline.
fn notify(url: &str, artefact: &str, decision: &Decision<'_>) -> anyhow::Result<()> {
    let mut text = format!(
        "Gate blocked {artefact}: {} critical finding(s)",
        decision.notices.len()
    );
    for n in &decision.notices {
        let _ = write!(
            text,
            "\n• {} {} {}{}",
            n.gate,
            n.finding.id,
            n.finding.message,
            n.finding
                .location
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        );
    }
    let body = serde_json::json!({
        "text": text,
        "artefact": artefact,
        "decision": decision.decision,
        "gates": decision.notices.iter().map(|n| n.gate.as_str()).collect::<std::collections::BTreeSet<_>>(),
        "findings": decision.notices,
    });
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .new_agent();
    agent
        .post(url)
        .header("content-type", "application/json")
        .send(serde_json::to_vec(&body)?.as_slice())
        .with_context(|| format!("cannot notify {url}"))?;
    Ok(())
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Block => "BLOCK",
        Status::NotApplicable => "n/a",
    }
}

fn number(gate: &GateResult<'_>, v: Option<f64>) -> String {
    match (gate.id.as_str(), v) {
        (_, None) => "-".to_owned(),
        ("tests" | "coverage", Some(v)) => format!("{v:.1}%"),
        (_, Some(v)) => format!("{v}"),
    }
}

#[allow(clippy::too_many_lines)] // one table and three lists, in reading order
fn render_text(
    w: &mut impl Write,
    decision: &Decision<'_>,
    backlog_file: Option<&Path>,
) -> std::io::Result<()> {
    writeln!(
        w,
        "{:<16} {:<7} {:>9} {:>10}  BLOCKING",
        "GATE", "STATUS", "VALUE", "THRESHOLD"
    )?;
    for g in &decision.gates {
        let blocking = g.findings.iter().filter(|f| f.blocks).count();
        writeln!(
            w,
            "{:<16} {:<7} {:>9} {:>10}  {}",
            g.id,
            status_word(g.status),
            number(g, g.value),
            number(g, g.threshold),
            blocking
        )?;
    }
    let blocking: Vec<_> = decision
        .gates
        .iter()
        .flat_map(|g| g.findings.iter().map(move |f| (g, f)))
        .collect();
    if !blocking.is_empty() {
        writeln!(w, "\nFindings:")?;
        for (g, f) in blocking {
            let location = f
                .location
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string);
            writeln!(
                w,
                "  {} {} {} {}: {}",
                g.id, f.severity, location, f.rule, f.message
            )?;
            match &f.exception {
                Some(e) if e.status == "applied" => {
                    writeln!(
                        w,
                        "      excepted until {} (owner {}, {})",
                        e.expires.as_deref().unwrap_or("-"),
                        e.owner.as_deref().unwrap_or("-"),
                        e.file.as_deref().unwrap_or("-")
                    )?;
                }
                Some(e) if e.status == "suppressed" => {
                    writeln!(
                        w,
                        "      suppressed by {}: {}",
                        e.source,
                        e.reason.as_deref().unwrap_or("-")
                    )?;
                }
                Some(e) => {
                    writeln!(
                        w,
                        "      exception {} refused: {}",
                        e.file.as_deref().unwrap_or("-"),
                        e.reason.as_deref().unwrap_or("-")
                    )?;
                }
                None if f.blocks && !f.id.contains('/') => {
                    writeln!(w, "      exception would need: --finding {}", f.id)?;
                }
                None => {}
            }
        }
    }
    let log: Vec<_> = decision.gates.iter().flat_map(|g| g.exceptions.iter()).collect();
    if !log.is_empty() {
        writeln!(w, "\nExceptions:")?;
        for e in log {
            writeln!(
                w,
                "  {} {} (owner {}, until {}, role {}{}): {}{}",
                e.status,
                e.finding,
                e.owner,
                e.expires,
                e.role,
                e.approver
                    .as_deref()
                    .map(|a| format!(", approved by {a}"))
                    .unwrap_or_default(),
                e.rationale,
                e.reason.as_deref().map(|r| format!(" — {r}")).unwrap_or_default()
            )?;
        }
    }
    if !decision.backlog.is_empty() {
        writeln!(
            w,
            "\nBacklog: {} finding(s){}",
            decision.backlog.len(),
            backlog_file
                .map(|p| format!(", written to {}", p.display()))
                .unwrap_or_default()
        )?;
    }
    writeln!(
        w,
        "\nDecision: {}",
        match decision.decision {
            Verdict::Pass => "pass",
            Verdict::Block => "BLOCK",
        }
    )
}
