//! `provenant change-record IMAGE@DIGEST --env NAME`: the change record of a promotion, generated from
//! pipeline metadata alone (the ledger, and the repository's commits with `--repo`), written as
//! canonical JSON (RFC 8785) or Markdown, and appended to the ledger.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use provenant_env::change_record::ChangeRecord;

use crate::Outcome;
use crate::args::{
    EnvironmentsArgs, GlobalArgs, ImageByDigest, LedgerArg, OutputFormat, RegistryArgs, parse_image_by_digest,
};
use crate::output::{print_bytes, to_stdout};

/// A document format other than `--output`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DocumentFormat {
    /// Markdown, for a person (a change request's description).
    Markdown,
}

/// `provenant change-record`.
#[derive(Debug, Args)]
#[command(
    after_help = "Every field comes from the ledger: the build provenances' source commits of \
the environment's current digest and of the image, their SBOMs, the newest gate decision signed by the \
gate's role (its exceptions and vulnerabilities), the approvals for the environment, the environment's \
strategy and change windows, and the current digest as the rollback target. Evidence attached to the \
image as referrers (provenance, SBOMs, gate decisions, approvals) is read too: each bundle is verified for \
a holder of a role of the roles file, and what verifies and the ledger lacks is appended to it first; \
nothing unverified is used. --output json writes the \
record as canonical JSON (RFC 8785) with no trailing newline, so its SHA-256 is the change digest an \
approval names (approve --change-digest); the record is appended to the ledger as a change-record/v1 \
statement about the image."
)]
pub(crate) struct ChangeRecordArgs {
    /// The image, by digest (REGISTRY/REPO@sha256:HEX or oci:DIR@sha256:HEX).
    #[arg(value_name = "IMAGE@DIGEST", value_parser = parse_image_by_digest)]
    pub(crate) image: ImageByDigest,
    /// The environment it is to be promoted into.
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) environment: String,
    /// A clone of the source repository: the changelog of the commit range, from Conventional Commits.
    #[arg(long, value_name = "DIR")]
    pub(crate) repo: Option<PathBuf>,
    /// Write the record in this format instead.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<DocumentFormat>,
    #[command(flatten)]
    pub(crate) environments: EnvironmentsArgs,
    #[command(flatten)]
    pub(crate) ledger: LedgerArg,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

pub(crate) fn run(global: &GlobalArgs, args: &ChangeRecordArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !(args.format.is_some() && global.output == OutputFormat::Json),
        "--format markdown and --output json are two formats: give one"
    );
    let reference = &args.image.reference;
    let digest = args.image.digest;
    let loaded = args.environments.load()?;
    let store = args.ledger.open()?;
    // The ledger's integration time: SOURCE_DATE_EPOCH when set, else now.
    let at = crate::shared::now_unix()?;
    // Evidence attached to the image, as a governed promotion reads it: each bundle verified for a
    // holder of a role; what verifies and the ledger lacks is appended before the record is made.
    let client = args.registry.client(None)?;
    let image = provenant_registry::open_store(reference, &client, false)?;
    let found = provenant_env::attached::discover(image.as_ref(), &digest)?;
    let selection = provenant_env::attached::select(
        store.as_ref(),
        &digest,
        &found,
        &loaded.roles,
        loaded.trusted_root.as_ref(),
    )?;
    if !selection.to_append.is_empty() {
        store
            .append(&selection.to_append, at)
            .context("cannot append the evidence attached to the image to the ledger")?;
    }
    if !global.quiet {
        report_referrers(&selection.verdicts);
    }
    let mut record = provenant_env::change_record::generate(&provenant_env::change_record::Inputs {
        store: store.as_ref(),
        environments: &loaded.file,
        environment: &args.environment,
        digest: &digest,
        roles: &loaded.roles,
        trusted_root: loaded.trusted_root.as_ref(),
    })?;
    if let Some(dir) = &args.repo {
        record.changelog = Some(changelog(dir, &record)?);
    }
    let canonical = record.canonical()?;
    let change_digest = provenant_digest::Algorithm::Sha256.hash_bytes(&canonical);
    let entry = record.statement(&args.image.repository)?;
    let appended = store
        .append(std::slice::from_ref(&entry), at)
        .context("cannot record the change record in the ledger")?;
    let index = appended.first().map_or(0, |a| a.index);
    if !global.quiet {
        eprintln!("change record {change_digest}: ledger entry {index}");
    }
    match (global.output, args.format) {
        (OutputFormat::Json, _) => print_bytes(&canonical)?,
        (OutputFormat::Text, Some(DocumentFormat::Markdown)) => {
            to_stdout(|w| markdown(w, &record, &change_digest))?;
        }
        (OutputFormat::Text, None) => to_stdout(|w| summary(w, &record, &change_digest, index))?,
    }
    Ok(Outcome::Success)
}

/// What was done with each bundle attached to the image, on stderr (stdout is the record).
fn report_referrers(verdicts: &[provenant_env::attached::Verdict]) {
    use provenant_env::attached::Use;
    if verdicts.is_empty() {
        return;
    }
    let appended = verdicts.iter().filter(|v| v.used == Use::Appended).count();
    eprintln!(
        "referrers: {} signed bundle(s) attached, {appended} appended to the ledger",
        verdicts.len()
    );
    for v in verdicts {
        if let (Use::NotUsed, Some(why)) = (&v.used, &v.reason) {
            let what = if v.predicate_type.is_empty() {
                "(no statement)"
            } else {
                v.predicate_type.as_str()
            };
            eprintln!("  not used  {what} {}: {why}", v.bundle_digest);
        }
    }
}

/// The changelog of the record's commit range, read from the clone in `dir`.
fn changelog(
    dir: &std::path::Path,
    record: &ChangeRecord,
) -> anyhow::Result<provenant_source::changelog::Changelog> {
    let repo = provenant_source::git::open(dir)?;
    let Some(spec) = record.commits.spec() else {
        anyhow::bail!(
            "--repo {} was given, but the ledger names no source commit for {}: the build provenances of the current digest and of the image must record them",
            dir.display(),
            if record.commits.to.is_none() {
                "the image"
            } else {
                "the environment's current digest"
            }
        );
    };
    let range = provenant_source::git::read_range(&repo, &spec)
        .with_context(|| format!("cannot read the commits {spec} in {}", dir.display()))?;
    Ok(provenant_source::changelog::of_range(&range))
}

fn or_none(v: Option<&str>) -> &str {
    v.unwrap_or("none")
}

fn summary(
    w: &mut impl Write,
    record: &ChangeRecord,
    change_digest: &provenant_digest::Digest,
    index: u64,
) -> std::io::Result<()> {
    writeln!(
        w,
        "change record {change_digest} (ledger entry {index}): {} into {}",
        record.digest, record.environment
    )?;
    writeln!(
        w,
        "  rollback target: {}",
        or_none(record.rollback_target.as_ref().map(|r| r.digest.as_str()))
    )?;
    writeln!(
        w,
        "  commits: {}..{}",
        or_none(record.commits.from.as_deref()),
        or_none(record.commits.to.as_deref())
    )?;
    match &record.gate {
        Some(g) => {
            writeln!(
                w,
                "  gate: {} ({}), {} exception(s), {} vulnerability(ies)",
                g.decision,
                g.digest,
                g.exceptions.len(),
                record.vulnerabilities.len()
            )?;
        }
        None => w.write_all(b"  gate: no decision signed by the gate's role\n")?,
    }
    if let Some(s) = &record.sbom {
        writeln!(
            w,
            "  packages: {} added, {} removed, {} upgraded",
            s.added.len(),
            s.removed.len(),
            s.upgraded.len()
        )?;
    }
    writeln!(w, "  approvals: {}", record.approvals.len())
}

/// The record for a person: one section per part, in the JSON's order.
fn markdown(
    w: &mut impl Write,
    record: &ChangeRecord,
    change_digest: &provenant_digest::Digest,
) -> std::io::Result<()> {
    writeln!(
        w,
        "# Change record: {} into {}\n",
        record.digest, record.environment
    )?;
    writeln!(w, "Change digest: `{change_digest}`\n")?;
    w.write_all(b"## Artefacts\n\n")?;
    writeln!(w, "- image `{}`", record.digest)?;
    for a in &record.artefacts {
        writeln!(w, "- {} `{}`", a.name, a.digest)?;
    }
    w.write_all(b"\n## Rollback target\n\n")?;
    match &record.rollback_target {
        Some(r) => {
            writeln!(w, "`{}`, in {} since {}\n", r.digest, record.environment, r.since)?;
        }
        None => {
            writeln!(
                w,
                "None: nothing was promoted into {} before.\n",
                record.environment
            )?;
        }
    }
    changes(w, record)?;
    gate_and_vulnerabilities(w, record)?;
    w.write_all(b"\n## Approvals\n\n")?;
    if record.approvals.is_empty() {
        w.write_all(b"None.\n")?;
    }
    for a in &record.approvals {
        writeln!(w, "- {} as {} at {}", a.identity, a.role, a.timestamp)?;
    }
    w.write_all(b"\n## Planned deployment\n\n")?;
    writeln!(
        w,
        "Strategy: {}",
        record
            .deployment
            .strategy
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "not stated".to_owned())
    )?;
    if record.deployment.windows.is_empty() {
        w.write_all(b"Window: any time\n")?;
    }
    for window in &record.deployment.windows {
        writeln!(w, "Window: {window}")?;
    }
    Ok(())
}

/// The commits, the changelog and the SBOM changes.
fn changes(w: &mut impl Write, record: &ChangeRecord) -> std::io::Result<()> {
    w.write_all(b"## Commits\n\n")?;
    writeln!(
        w,
        "From `{}` to `{}`{}\n",
        or_none(record.commits.from.as_deref()),
        or_none(record.commits.to.as_deref()),
        record
            .commits
            .repository
            .as_deref()
            .map(|r| format!(" in {r}"))
            .unwrap_or_default()
    )?;
    if let Some(c) = &record.changelog {
        for b in &c.breaking {
            writeln!(w, "- **BREAKING** {} ({})", b.text, short(&b.commit))?;
        }
        for s in &c.sections {
            writeln!(w, "### {}\n", s.title)?;
            for i in &s.items {
                let scope = i
                    .scope
                    .as_deref()
                    .map(|s| format!("**{s}:** "))
                    .unwrap_or_default();
                writeln!(w, "- {scope}{} ({})", i.text, short(&i.commit))?;
            }
            writeln!(w)?;
        }
    }
    w.write_all(b"## SBOM changes\n\n")?;
    match &record.sbom {
        None => w.write_all(b"Not known: the ledger does not hold an SBOM of both digests.\n\n")?,
        Some(s) => {
            for e in &s.added {
                writeln!(w, "- added `{}`", e.purl)?;
            }
            for e in &s.removed {
                writeln!(w, "- removed `{}`", e.purl)?;
            }
            for c in &s.upgraded {
                writeln!(
                    w,
                    "- upgraded `{}` {} → {}",
                    c.package, c.before.version, c.after.version
                )?;
            }
            if s.added.is_empty() && s.removed.is_empty() && s.upgraded.is_empty() {
                w.write_all(b"No package changed.\n")?;
            }
            writeln!(w)?;
        }
    }
    Ok(())
}

/// The gate decision with its exceptions, and the vulnerabilities it lists.
fn gate_and_vulnerabilities(w: &mut impl Write, record: &ChangeRecord) -> std::io::Result<()> {
    w.write_all(b"## Gate decision\n\n")?;
    match &record.gate {
        None => w.write_all(b"None signed by the gate's role.\n\n")?,
        Some(g) => {
            writeln!(
                w,
                "**{}** at {}, signed by {} (`{}`)\n",
                g.decision, g.evaluated_at, g.signer, g.digest
            )?;
            for e in &g.exceptions {
                let status = match e.status {
                    provenant_env::exceptions::Use::Used => "used",
                    _ => "refused",
                };
                writeln!(
                    w,
                    "- exception for {} ({}): {status}, owner {}, expires {}, approved by {}: {}",
                    e.finding,
                    e.gate,
                    e.owner,
                    e.expires,
                    e.approver.as_deref().unwrap_or("nobody verified"),
                    e.rationale
                )?;
            }
            if !g.exceptions.is_empty() {
                writeln!(w)?;
            }
        }
    }
    w.write_all(b"## Vulnerabilities\n\n")?;
    if record.vulnerabilities.is_empty() {
        w.write_all(b"None listed by the gate decision.\n")?;
    }
    for v in &record.vulnerabilities {
        writeln!(
            w,
            "- {} ({}, {}){}: {}",
            v.id,
            v.severity,
            v.gate,
            v.exception
                .as_deref()
                .map(|e| format!(" exception {e}"))
                .unwrap_or_default(),
            v.message
        )?;
    }
    Ok(())
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
