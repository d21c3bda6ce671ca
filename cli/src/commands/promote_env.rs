//! `provenant promote SRC@DIGEST --env NAME --environments FILE`: the governed promotion. The
//! requirements of the environment are evaluated from the ledger and the image's referrers (verified
//! evidence attached to the image that the ledger lacks is appended to it first); the image is copied to the
//! environment's repository only when every one holds; every attempt, promoted or refused, is recorded
//! in the ledger as a signed promotion/v1 statement. Nothing bypasses a requirement.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use provenant_env::EnvironmentsFile;
use provenant_env::attached;
use provenant_env::requirements::{Evaluation, EvidenceKind, SourceUse};
use provenant_records::Record as _;
use provenant_records::promotion::{EvidenceRef, Outcome as RecordOutcome, Promotion, Reason};

use crate::Outcome;
use crate::args::{GlobalArgs, GovernedArgs, KeylessArgs, LedgerArg, OutputFormat, RegistryArgs, TrustArgs};
use crate::output::{print_json, to_stdout};

/// What a governed promotion needs from `promote`'s arguments.
pub(crate) struct Governed<'a> {
    pub(crate) source: &'a provenant_oci::Reference,
    pub(crate) options: &'a GovernedArgs,
    pub(crate) ledger: &'a LedgerArg,
    pub(crate) keyless: &'a KeylessArgs,
    pub(crate) trust: &'a TrustArgs,
    pub(crate) registry: &'a RegistryArgs,
    pub(crate) src_creds: Option<&'a str>,
    pub(crate) dest_creds: Option<&'a str>,
    pub(crate) jobs: usize,
}

/// The largest environments file read.
const MAX_ENVIRONMENTS_BYTES: u64 = 1 << 20;

fn predicate_type(kind: EvidenceKind) -> &'static str {
    use provenant_attest::predicate as p;
    match kind {
        EvidenceKind::Promotion => p::PROVENANT_PROMOTION_V1,
        EvidenceKind::GateDecision => p::PROVENANT_GATE_DECISION_V1,
        EvidenceKind::Approval => p::PROVENANT_APPROVAL_V1,
        _ => p::SLSA_PROVENANCE_V1,
    }
}

pub(crate) fn run(global: &GlobalArgs, args: &Governed<'_>) -> anyhow::Result<Outcome> {
    let g = args.options;
    let name = g.environment.as_deref().context("--env is required")?;
    let file_path = g
        .environments
        .as_deref()
        .context("--env needs --environments FILE")?;
    let bytes = super::read_bounded(file_path, MAX_ENVIRONMENTS_BYTES, "environments file")?;
    let environments = EnvironmentsFile::from_yaml(&file_path.display().to_string(), &bytes)?;
    let base = file_path.parent().unwrap_or_else(|| Path::new("."));
    let roles = crate::args::load_roles(&base.join(&environments.roles))?;
    let (index, env) = environments.find(name).with_context(|| {
        format!(
            "there is no environment {name} in {} (it has {})",
            file_path.display(),
            environments.names().join(", ")
        )
    })?;
    let trusted_root = crate::shared::trusted_root(args.trust.trusted_root.as_deref())?;
    let source = args.source;
    let digest = *source.digest().with_context(|| {
        format!(
            "a governed promotion takes the source by digest, not {}",
            args.source
        )
    })?;
    let store = args.ledger.open()?;
    let config_digest = provenant_env::config_digest::config_digest(base, env)?;

    let src_client = args.registry.client(args.src_creds)?;
    let src = provenant_registry::open_store(source, &src_client, false)?;
    let (evaluation, referrers) = evaluate_until(
        g.wait,
        &Sources {
            ledger: store.as_ref(),
            image: src.as_ref(),
        },
        &environments,
        (index, name),
        &digest,
        &roles,
        trusted_root.as_ref(),
    )?;

    let repository = env.repository.trim();
    let copied = if evaluation.holds() {
        Some(copy(args, src.as_ref(), &digest, repository, name)?)
    } else {
        None
    };

    let at = crate::shared::now_unix_i64()?;
    let record = record(
        &evaluation,
        name,
        repository,
        source,
        &digest,
        config_digest.as_ref(),
        at,
    )?;
    let statement = record.to_statement(repository, &digest);
    let bundle = args
        .keyless
        .sign_statement(
            g.record_key.as_deref(),
            &statement.to_json(),
            None,
            "promotion record",
        )?
        .to_json_v0_3()?;
    let appended = store
        .append(std::slice::from_ref(&bundle), u64::try_from(at).unwrap_or(0))
        .context("cannot record the promotion in the ledger")?;
    let ledger_index = appended.first().map(|a| a.index);

    let promoted = evaluation.holds();
    match global.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "environment": name,
            "digest": digest.to_string(),
            "outcome": if promoted { "promoted" } else { "refused" },
            "repository": repository,
            "requirements": evaluation.requirements,
            "approvals": evaluation.approvals,
            "config_digest": config_digest.map(|d| d.to_string()),
            "ledger_index": ledger_index,
            "referrers": referrers,
            "source_attestations": evaluation.source_attestations,
            "copy": copied,
        }))?,
        OutputFormat::Text => to_stdout(|w| {
            render(w, &evaluation, name, repository, &digest, promoted)?;
            render_referrers(w, &referrers)
        })?,
    }
    Ok(if promoted {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Where a governed promotion reads its evidence: the ledger, and the image's referrers.
struct Sources<'a> {
    ledger: &'a dyn provenant_ledger_store::LedgerStore,
    image: &'a dyn provenant_registry::Store,
}

/// Evaluates the requirements from the ledger and the image's referrers: verified evidence attached to
/// the image that the ledger lacks is appended to it first. With `wait`, polls both with backoff
/// (250 ms doubling to 10 s) until the requirements hold or the time runs out. Returns the evaluation
/// and what was done with each attached bundle.
fn evaluate_until(
    wait: Option<provenant_env::Duration>,
    sources: &Sources<'_>,
    environments: &EnvironmentsFile,
    (index, name): (usize, &str),
    digest: &provenant_digest::Digest,
    roles: &provenant_evidence::roles::Roles,
    trusted_root: Option<&provenant_sigstore::TrustedRoot>,
) -> anyhow::Result<(Evaluation, Vec<attached::Verdict>)> {
    let started = std::time::Instant::now();
    let limit = wait.map_or(std::time::Duration::ZERO, |w| {
        std::time::Duration::from_secs(w.as_secs())
    });
    let mut pause = std::time::Duration::from_millis(250);
    let mut appended = std::collections::BTreeSet::new();
    loop {
        let at = crate::shared::now_unix_i64()?;
        let found = attached::discover(sources.image, digest)?;
        let selection = attached::select(sources.ledger, digest, &found, roles, trusted_root)?;
        if !selection.to_append.is_empty() {
            sources
                .ledger
                .append(&selection.to_append, u64::try_from(at).unwrap_or(0))
                .context("cannot append the evidence attached to the image to the ledger")?;
        }
        let mut verdicts = selection.verdicts;
        for v in &mut verdicts {
            if v.used == attached::Use::Appended {
                appended.insert(v.bundle_digest.clone());
            } else if appended.contains(&v.bundle_digest) {
                v.used = attached::Use::Appended;
            }
        }
        let (_, mut inputs) = provenant_env::gather::gather(
            sources.ledger,
            environments,
            name,
            digest,
            roles,
            trusted_root,
            at,
        )?;
        inputs.approvals.extend(selection.other_approvals);
        let evaluation = provenant_env::requirements::evaluate(environments, index, &inputs)
            .context("the environment vanished from the file")?;
        let waited = started.elapsed();
        if evaluation.holds() || waited >= limit {
            return Ok((evaluation, verdicts));
        }
        std::thread::sleep(pause.min(limit.saturating_sub(waited)));
        pause = (pause * 2).min(std::time::Duration::from_secs(10));
    }
}

/// Copies the image by digest, referrers carried, to the environment's repository with `--tag`s.
fn copy(
    args: &Governed<'_>,
    src: &dyn provenant_registry::Store,
    digest: &provenant_digest::Digest,
    repository: &str,
    name: &str,
) -> anyhow::Result<provenant_promote::Report> {
    let destination: provenant_oci::Reference = repository
        .parse()
        .with_context(|| format!("the repository {repository} of {name} is not a reference"))?;
    let tags = args
        .options
        .tags
        .iter()
        .map(|t| {
            t.parse::<provenant_oci::Tag>()
                .with_context(|| format!("invalid tag {t}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dst_client = args.registry.client(args.dest_creds)?;
    let dst = provenant_registry::open_store(&destination, &dst_client, true)?;
    let options = provenant_promote::PromoteOptions {
        tags,
        concurrency: args.jobs,
        referrers: true,
    };
    // The requirements were verified from the ledger before; the copy itself checks every digest.
    Ok(provenant_promote::promote(
        src,
        digest,
        dst.as_ref(),
        &options,
        &provenant_promote::NoVerification,
    )?)
}

fn record(
    evaluation: &Evaluation,
    name: &str,
    repository: &str,
    source: &provenant_oci::Reference,
    digest: &provenant_digest::Digest,
    config_digest: Option<&provenant_digest::Digest>,
    at: i64,
) -> anyhow::Result<Promotion> {
    let promoted = evaluation.holds();
    Ok(Promotion {
        environment: name.to_owned(),
        outcome: if promoted {
            RecordOutcome::Promoted
        } else {
            RecordOutcome::Refused
        },
        source: Some(format!("{}@{digest}", source.location())),
        repository: repository.to_owned(),
        previous_environment: evaluation.previous_environment.clone(),
        reasons: evaluation
            .failures()
            .map(|(r, why)| Reason {
                requirement: r.name().to_owned(),
                message: why.to_string(),
            })
            .collect(),
        evidence: evaluation
            .evidence
            .iter()
            .map(|(kind, d)| EvidenceRef {
                predicate_type: predicate_type(*kind).to_owned(),
                digest: d.to_string(),
            })
            .collect(),
        config_digest: config_digest.map(ToString::to_string),
        timestamp: jiff::Timestamp::from_second(at)
            .context("the time is out of range")?
            .to_string(),
    })
}

fn render(
    w: &mut impl Write,
    evaluation: &Evaluation,
    name: &str,
    repository: &str,
    digest: &provenant_digest::Digest,
    promoted: bool,
) -> std::io::Result<()> {
    if promoted {
        writeln!(w, "promoted {digest} into {name} ({repository})")?;
    } else {
        writeln!(
            w,
            "REFUSED: {digest} was not promoted into {name}; nothing was copied"
        )?;
    }
    for c in &evaluation.requirements {
        match &c.failure {
            None => {
                writeln!(w, "  ok       {}", c.requirement.name())?;
            }
            Some(why) => {
                writeln!(w, "  missing  {}: {why}", c.requirement.name())?;
            }
        }
    }
    for a in &evaluation.approvals {
        match &a.rejection {
            None => {
                writeln!(w, "  approval by {} as {} counts", a.identity, a.role)?;
            }
            Some(why) => {
                let who = if a.identity.is_empty() {
                    a.bundle_digest.as_str()
                } else {
                    a.identity.as_str()
                };
                writeln!(w, "  approval by {who} does not count: {why}")?;
            }
        }
    }
    for s in &evaluation.source_attestations {
        if let (SourceUse::Refused, Some(why)) = (&s.used, &s.reason) {
            writeln!(
                w,
                "  source attestation of {} (ledger entry {}) refused, {} check failed: {why}",
                s.commit,
                s.ledger_index,
                s.check.as_deref().unwrap_or("bundle")
            )?;
        }
    }
    Ok(())
}

fn render_referrers(w: &mut impl Write, referrers: &[attached::Verdict]) -> std::io::Result<()> {
    let appended = referrers
        .iter()
        .filter(|v| v.used == attached::Use::Appended)
        .count();
    if referrers.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "  referrers: {} signed bundle(s) attached, {appended} appended to the ledger",
        referrers.len()
    )?;
    for v in referrers {
        let what = if v.predicate_type.is_empty() {
            "(no statement)"
        } else {
            v.predicate_type.as_str()
        };
        match (&v.used, &v.reason) {
            (attached::Use::Appended, _) => {
                writeln!(w, "    appended  {what} {}", v.bundle_digest)?;
            }
            (attached::Use::NotUsed, Some(why)) => {
                writeln!(w, "    not used  {} {}: {why}", v.predicate_type, v.bundle_digest)?;
            }
            _ => {}
        }
    }
    Ok(())
}
