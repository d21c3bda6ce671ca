//! `provenant lineage verify`: an image's lineage back to its source commit, edge by edge.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_lineage::{Edge, EdgeKind, Expectations, Trust, Verdict};
use provenant_registry::open_store;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{RegistryArgs, SignerArgs, TrustArgs};
use crate::output::{print_bytes, print_json, skipped_names, to_stdout, write_skipped};

#[derive(Debug, Subcommand)]
pub(crate) enum LineageCommand {
    /// Verify an image back to the commit it came from, through the evidence attached to it, and with
    /// --env down to its deployments, through the ledger.
    Verify(VerifyArgs),
    /// Which artefacts and images contain a commit, package, vulnerability or file, and where they run.
    Where(WhereArgs),
    /// Verify as `verify` does and write one self-contained HTML report for auditors.
    Report(ReportArgs),
}

/// `provenant lineage report`.
#[derive(Debug, Args)]
#[command(
    after_help = "Takes every flag of `lineage verify`. The report is one HTML file with inline styles and \
an inline SVG graph, no script and no network request: the chain as a graph and a table (each edge with \
its verdict, signer and evidence digest), the SBOM, the gate decision, the approvals and how to \
re-verify it offline. Exit 0 when every edge holds, 1 when any breaks (the report is written either way)."
)]
pub(crate) struct ReportArgs {
    /// Where to write the report.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    verify: VerifyArgs,
}

/// `provenant lineage where`.
#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("needle").required(true).args(["commit", "purl", "cve", "file"])),
    after_help = "Answered from the ledger's indexes: build provenances (--commit), SBOM statements \
(--purl; a version range such as pkg:npm/lodash@<4.17.21 works for npm, cargo, golang and pypi), \
vulnerability statements and gate decisions (--cve) and provenance materials (--file); each artefact is \
followed to the images that package it and to the deployment and rollback records of each environment. \
See docs/lineage.md."
)]
pub(crate) struct WhereArgs {
    /// A source commit (full id).
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// A package URL, with an optional version or range (`pkg:npm/lodash@<4.17.21`).
    #[arg(long, value_name = "PURL")]
    purl: Option<String>,
    /// A vulnerability id (`CVE-…`, `GHSA-…`).
    #[arg(long, value_name = "ID")]
    cve: Option<String>,
    /// A file's digest (`sha256:…`).
    #[arg(long, value_name = "DIGEST")]
    file: Option<String>,
    #[command(flatten)]
    ledger: crate::args::LedgerArg,
}

/// How the lineage is drawn besides text and JSON (`--output mermaid|dot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Graph {
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz digraph.
    Dot,
}

/// `--output mermaid|dot` after `lineage`: the global `--output` knows text and json only, so these two
/// become `--graph` before parsing (the one place the lineage command reads the raw command line).
pub(crate) fn rewrite_output(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if !args.iter().any(|a| a == "lineage") {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.into_iter().peekable();
    while let Some(a) = iter.next() {
        if a == "--output" && iter.peek().is_some_and(|v| v == "mermaid" || v == "dot") {
            out.push("--graph".into());
        } else if a == "--output=mermaid" || a == "--output=dot" {
            out.push("--graph".into());
            out.push(
                a.to_string_lossy()
                    .trim_start_matches("--output=")
                    .to_owned()
                    .into(),
            );
        } else {
            out.push(a);
        }
    }
    out
}

/// `provenant lineage verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Walks image → packaging provenance (signed by --key/--certificate-identity, \
subject the image digest) → each packaged file (present in the image with that digest) → its build \
provenance (signed by --build-key/--build-certificate-identity, default the same signer; builder among \
--builder-id) → the source commit (--commit, --source-uri, --branch, --repo). SBOMs attached must describe \
the image. An OCI artifact (oci push) verifies the same way: its layers by title and digest stand for the \
image's files, under packaging provenance of the artifact build type. Exit 0 when every edge holds, 1 naming \
each broken edge. See docs/lineage.md."
)]
pub(crate) struct VerifyArgs {
    /// The image (or OCI artifact), by digest: registry/repo@sha256:… or oci:PATH@sha256:….
    image: String,
    /// Accept an image given by tag: resolve it once and verify that digest.
    #[arg(long)]
    resolve_tag: bool,
    /// The commit the files must have been built from (full, or at least 7 hex digits).
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The source repository the builds must record (`github.com/ORG/REPO` or a URL).
    #[arg(long, value_name = "URI")]
    source_uri: Option<provenant_slsa::policy::SourceUri>,
    /// A trusted builder id (`URI` or `URI@version`); repeatable. Without it, any builder id signed by
    /// the trusted build signer is accepted.
    #[arg(long = "builder-id", value_name = "URI")]
    builder_ids: Vec<provenant_slsa::policy::BuilderId>,
    /// A local clone: the commit must exist there (and be on --branch, else reachable from HEAD).
    #[arg(long, value_name = "PATH")]
    repo: Option<PathBuf>,
    /// The branch the commit must be on (checked in --repo, else as the build provenance records it).
    #[arg(long, value_name = "NAME")]
    branch: Option<String>,
    /// Packaged files that need no build provenance (glob on the path in the image); repeatable.
    #[arg(long, value_name = "GLOB")]
    allow_unattested: Vec<String>,
    /// Fail when no SBOM describing the image is attached.
    #[arg(long)]
    require_sbom: bool,
    /// Who packages: the signer of the packaging provenance.
    #[command(flatten)]
    signer: SignerArgs,
    /// Public key the build provenance must verify with (default: the packager's signer).
    #[arg(long, value_name = "PUB", conflicts_with_all = ["build_certificate_identity", "build_certificate_identity_regexp"])]
    build_key: Option<PathBuf>,
    /// The build provenance certificate's SAN must equal this.
    #[arg(long, value_name = "ID")]
    build_certificate_identity: Option<String>,
    /// The build provenance certificate's SAN must match this regular expression.
    #[arg(long, value_name = "RE")]
    build_certificate_identity_regexp: Option<String>,
    /// The build provenance certificate's OIDC issuer must equal this.
    #[arg(long, value_name = "ISS")]
    build_certificate_oidc_issuer: Option<String>,
    /// Verify the governed chain below the image down to this environment: gate decision, approvals,
    /// each promotion in order, configuration, deployments, rollbacks and release baselines, from the
    /// ledger.
    #[arg(long = "env", value_name = "NAME")]
    env: Option<String>,
    /// The environments file (order, repositories, promote roles, requirements).
    #[arg(long, value_name = "FILE", default_value = "environments.yaml")]
    environments: PathBuf,
    /// The roles file (default: the one the environments file names, relative to it).
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
    /// A role whose holders sign the source stage's attestations (`source check`); repeatable.
    #[arg(long = "source-role", value_name = "ROLE", default_value = "ci")]
    source_roles: Vec<String>,
    /// Break the lineage when a build's commit has no source attestation signed by a --source-role
    /// holder in the ledger (otherwise it is shown as absent).
    #[arg(long)]
    require_source_attestation: bool,
    /// A role whose holders sign deployment, rollback and release-health records; repeatable.
    #[arg(long = "deploy-role", value_name = "ROLE", default_value = "deployer")]
    deploy_roles: Vec<String>,
    /// Draw the lineage as a graph (`--output mermaid|dot` is the same).
    #[arg(long, value_enum, value_name = "FORMAT")]
    graph: Option<Graph>,
    #[command(flatten)]
    ledger: crate::args::LedgerArg,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

impl VerifyArgs {
    /// The build signer: the --build-* flags when any is given, else the packager's.
    fn build_signer(&self) -> SignerArgs {
        let given = self.build_key.is_some()
            || self.build_certificate_identity.is_some()
            || self.build_certificate_identity_regexp.is_some();
        if !given {
            return self.signer.clone();
        }
        SignerArgs {
            key: self.build_key.clone(),
            certificate_identity: self.build_certificate_identity.clone(),
            certificate_identity_regexp: self.build_certificate_identity_regexp.clone(),
            certificate_oidc_issuer: self.build_certificate_oidc_issuer.clone(),
            certificate_extension: Vec::new(),
        }
    }
}

pub(crate) fn run(global: &GlobalArgs, command: &LineageCommand) -> anyhow::Result<Outcome> {
    match command {
        LineageCommand::Verify(args) => verify(global, args),
        LineageCommand::Where(args) => where_(global, args),
        LineageCommand::Report(args) => report(global, args),
    }
}

fn expectations(args: &VerifyArgs) -> anyhow::Result<Expectations> {
    let allow_unattested = if args.allow_unattested.is_empty() {
        None
    } else {
        let mut set = globset::GlobSetBuilder::new();
        for g in &args.allow_unattested {
            set.add(globset::Glob::new(g).with_context(|| format!("invalid --allow-unattested {g:?}"))?);
        }
        Some(set.build()?)
    };
    if let Some(c) = &args.commit {
        anyhow::ensure!(
            c.len() >= 7 && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()),
            "--commit {c:?} is not a commit id (7 to 64 hex digits)"
        );
    }
    Ok(Expectations {
        commit: args.commit.clone(),
        source: args.source_uri.clone(),
        builder_ids: args.builder_ids.clone(),
        repo: args.repo.clone(),
        branch: args.branch.clone(),
        allow_unattested,
        require_sbom: args.require_sbom,
    })
}

fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let report = verified(args)?;
    render_report(global, args, &report)
}

fn report(global: &GlobalArgs, args: &ReportArgs) -> anyhow::Result<Outcome> {
    let report = verified(&args.verify)?;
    let v = &args.verify;
    let mut environments = Vec::new();
    if v.env.is_some()
        && let Ok(bytes) = super::read_bounded(
            &v.environments,
            provenant_lineage::environments::MAX_ENVIRONMENTS_BYTES as u64,
            "environments file",
        )
        && let Ok(parsed) = provenant_lineage::environments::Environments::from_yaml(
            &v.environments.display().to_string(),
            &bytes,
        )
        && let Ok(chain) = parsed.chain_to("", v.env.as_deref().unwrap_or_default())
    {
        environments = chain.iter().map(|e| e.name.clone()).collect();
    }
    let mut command = format!(
        "provenant lineage verify {}@{}",
        reference_name(&v.image),
        report.digest
    );
    if let Some(env) = &v.env {
        let _ = write!(
            command,
            " --env {env} --environments {} --ledger {}",
            v.environments.display(),
            v.ledger.ledger
        );
    }
    let context = provenant_lineage::html::ReportContext {
        image: v.image.clone(),
        environment: v.env.clone(),
        environments,
        ledger: v.env.as_ref().map(|_| v.ledger.ledger.to_string()),
        verify_command: command,
    };
    let html = provenant_lineage::html::render(&report, &context);
    crate::shared::write_atomic(&args.out, html.as_bytes())?;
    match global.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "verified": report.verified,
            "digest": report.digest.to_string(),
            "report": args.out.display().to_string(),
        }))?,
        OutputFormat::Text => print_bytes(
            format!(
                "lineage {}; report written to {}\n",
                if report.verified { "verified" } else { "BROKEN" },
                args.out.display()
            )
            .as_bytes(),
        )?,
    }
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// The image reference without its tag or digest.
fn reference_name(image: &str) -> &str {
    image.split_once('@').map_or(image, |(n, _)| n)
}

fn verified(args: &VerifyArgs) -> anyhow::Result<provenant_lineage::Report> {
    let reference = args
        .image
        .parse::<provenant_oci::Reference>()
        .with_context(|| format!("invalid reference {:?}", args.image))?;
    let expectations = expectations(args)?;
    let packager = args.trust.policy_for(provenant_evidence::Role::single(
        "packager",
        args.signer.policy()?,
    ))?;
    let builder = args.trust.policy_for(provenant_evidence::Role::single(
        "builder",
        args.build_signer().policy()?,
    ))?;
    let client = args.registry.client(None)?;
    let store = open_store(&reference, &client, false)?;
    let tags = if args.resolve_tag {
        provenant_registry::TagPolicy::ResolveOnce
    } else {
        provenant_registry::TagPolicy::Refuse
    };
    let digest = provenant_registry::resolve_digest(store.as_ref(), &reference, tags)?;
    let trust = Trust {
        packager: &packager,
        builder: &builder,
    };
    let mut report = {
        let progress = crate::progress::Reporter::bytes(None, "reading the image's layers");
        provenant_lineage::verify(store.as_ref(), &digest, &trust, &expectations, &progress)?
    };
    if let Some(env) = &args.env {
        governed(args, env, &client, &mut report)?;
    }
    Ok(report)
}

fn render_report(
    global: &GlobalArgs,
    args: &VerifyArgs,
    report: &provenant_lineage::Report,
) -> anyhow::Result<Outcome> {
    if let Some(graph) = args.graph {
        let text = match graph {
            Graph::Mermaid => provenant_lineage::graph::mermaid(&report.lineage),
            Graph::Dot => provenant_lineage::graph::dot(&report.lineage),
        };
        print_bytes(text.as_bytes())?;
        return Ok(if report.verified {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| render_text(w, report))?,
    }
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Asks each environment's repository whether it holds the image, through the registry client.
struct RegistryPresence<'a> {
    client: &'a std::sync::Arc<provenant_registry::remote::Client>,
}

impl provenant_lineage::governance::Presence for RegistryPresence<'_> {
    fn holds(
        &self,
        repository: &str,
        digest: &provenant_digest::Digest,
    ) -> Result<bool, provenant_lineage::governance::PresenceError> {
        use provenant_lineage::governance::PresenceError;
        let reference = format!("{repository}@{digest}")
            .parse::<provenant_oci::Reference>()
            .map_err(|source| PresenceError::Repository {
                repository: repository.to_owned(),
                source,
            })?;
        let store = match open_store(&reference, self.client, false) {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        match store.get_manifest(&provenant_oci::ManifestRef::Digest(*digest)) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

fn governed(
    args: &VerifyArgs,
    env: &str,
    client: &std::sync::Arc<provenant_registry::remote::Client>,
    report: &mut provenant_lineage::Report,
) -> anyhow::Result<()> {
    use provenant_lineage::environments::{Environments, MAX_ENVIRONMENTS_BYTES};
    let file = args.environments.display().to_string();
    let bytes = super::read_bounded(
        &args.environments,
        MAX_ENVIRONMENTS_BYTES as u64,
        "environments file",
    )?;
    let environments = Environments::from_yaml(&file, &bytes)?;
    let chain = environments.chain_to(&file, env)?;
    let roles_path = match (&args.roles, &environments.roles) {
        (Some(p), _) => p.clone(),
        (None, Some(r)) => args
            .environments
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(r),
        (None, None) => anyhow::bail!("{file} names no roles file: give --roles"),
    };
    let roles = crate::args::load_roles(&roles_path)?;
    let trusted_root = crate::shared::trusted_root(args.trust.trusted_root.as_deref())?;
    let store = args.ledger.open()?;
    let presence = RegistryPresence { client };
    let source = provenant_lineage::governance::SourceRule {
        roles: args.source_roles.clone(),
        required: args.require_source_attestation,
    };
    let g = provenant_lineage::governance::Governance {
        store: store.as_ref(),
        roles: &roles,
        trusted_root: trusted_root.as_ref(),
        chain,
        record_roles: &args.deploy_roles,
        presence: Some(&presence),
        source: &source,
    };
    provenant_lineage::governance::extend(report, &g)?;
    Ok(())
}

fn where_(global: &GlobalArgs, args: &WhereArgs) -> anyhow::Result<Outcome> {
    use provenant_lineage::reverse::Needle;
    let needle = match (&args.commit, &args.purl, &args.cve, &args.file) {
        (Some(c), _, _, _) => {
            anyhow::ensure!(
                c.len() >= 40 && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()),
                "--commit {c:?} is not a full commit id (40 or 64 hex digits)"
            );
            Needle::Commit(c.clone())
        }
        (_, Some(p), _, _) => Needle::Purl(provenant_lineage::version::PurlQuery::parse(p)?),
        (_, _, Some(id), _) => {
            anyhow::ensure!(
                provenant_ledger::entry::is_vulnerability_id(id),
                "--cve {id:?} is not a vulnerability id (CVE-…, GHSA-…, OSV-…, PYSEC-…, RUSTSEC-…, GO-…)"
            );
            Needle::Cve(id.clone())
        }
        (_, _, _, Some(d)) => Needle::File(
            d.parse()
                .with_context(|| format!("--file {d:?} is not a digest"))?,
        ),
        _ => anyhow::bail!("give one of --commit, --purl, --cve or --file"),
    };
    let store = args.ledger.open()?;
    let report = provenant_lineage::reverse::find(store.as_ref(), &needle)?;
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| render_found(w, &report))?,
    }
    Ok(Outcome::Success)
}

/// What the ledger records containing the needle: each artefact, and where it went.
fn render_found(w: &mut impl Write, report: &provenant_lineage::reverse::WhereReport) -> std::io::Result<()> {
    if report.artefacts.is_empty() {
        writeln!(w, "the ledger records nothing containing {}", report.query)?;
    }
    for a in &report.artefacts {
        let names = if a.names.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.names.join(", "))
        };
        writeln!(w, "{}{names}", a.digest)?;
        for v in &a.via {
            writeln!(
                w,
                "  found by {} in ledger entry {} ({})",
                v.matched, v.index, v.predicate_type
            )?;
        }
        for image in &a.contained_in {
            writeln!(w, "  packaged in image {image}")?;
        }
        for p in &a.promoted {
            writeln!(
                w,
                "  promoted into {} at {} (ledger entry {})",
                p.environment,
                provenant_oci::config::rfc3339(p.time),
                p.index
            )?;
        }
        for r in &a.deployed {
            writeln!(
                w,
                "  {} {} since {} (ledger entry {})",
                if r.now { "runs in" } else { "ran in" },
                r.environment,
                provenant_oci::config::rfc3339(r.since),
                r.index
            )?;
        }
    }
    if report.truncated {
        writeln!(
            w,
            "(cut at {} artefacts)",
            provenant_lineage::reverse::MAX_ARTEFACTS
        )?;
    }
    Ok(())
}

/// The verified lineage as a tree, then its broken edges and the checks skipped.
fn render_text(w: &mut impl Write, report: &provenant_lineage::Report) -> std::io::Result<()> {
    render(w, &report.lineage, "", true, true)?;
    let broken = report.lineage.broken_edges();
    if broken.is_empty() {
        writeln!(w, "\nlineage verified: every edge holds")?;
    } else {
        writeln!(w, "\nlineage BROKEN at {} edge(s):", broken.len())?;
        for e in broken {
            let check = e.check.map(|c| format!(" [check: {c}]")).unwrap_or_default();
            writeln!(w, "  {}: {}{check}", label(e), e.detail)?;
        }
    }
    write_skipped(w, &skipped_names(&report.skipped))
}

fn kind_name(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Image => "image",
        EdgeKind::Layers => "layers",
        EdgeKind::PackagingProvenance => "packaging provenance",
        EdgeKind::File => "file",
        EdgeKind::BuildProvenance => "build provenance",
        EdgeKind::Source => "source",
        EdgeKind::Sbom => "sbom",
        EdgeKind::Reproducibility => "reproducibility",
        EdgeKind::Signature => "signature",
        EdgeKind::Environment => "environment",
        EdgeKind::Gate => "gate",
        EdgeKind::Approval => "approval",
        EdgeKind::Promotion => "promotion",
        EdgeKind::Deployment => "deployment",
        EdgeKind::Rollback => "rollback",
        EdgeKind::ReleaseHealth => "release-health",
        EdgeKind::Config => "config",
        _ => "edge",
    }
}

/// An edge's kind, and its target when it has one.
fn label(edge: &Edge) -> String {
    match (edge.kind, edge.target.is_empty()) {
        (EdgeKind::Image, _) => edge.target.clone(),
        (kind, true) => kind_name(kind).to_owned(),
        (kind, false) => format!("{} {}", kind_name(kind), edge.target),
    }
}

fn render(w: &mut impl Write, edge: &Edge, prefix: &str, last: bool, root: bool) -> std::io::Result<()> {
    let mark = match edge.verdict {
        Verdict::Holds => "✓",
        Verdict::Broken => "✗",
        _ => "·",
    };
    let evidence = edge
        .evidence
        .map(|d| format!(" [{}]", short_digest(&d)))
        .unwrap_or_default();
    let branch = if root {
        ""
    } else if last {
        "└── "
    } else {
        "├── "
    };
    let label = label(edge);
    writeln!(w, "{prefix}{branch}{mark} {label}{evidence}")?;
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    if !edge.detail.is_empty() {
        let bar = if edge.edges.is_empty() { "  " } else { "│ " };
        writeln!(w, "{child_prefix}{bar}  {}", edge.detail)?;
    }
    for (i, child) in edge.edges.iter().enumerate() {
        render(w, child, &child_prefix, i + 1 == edge.edges.len(), false)?;
    }
    Ok(())
}

fn short_digest(d: &provenant_digest::Digest) -> String {
    let hex = d.hex();
    format!("{}:{}", d.algorithm().name(), hex.get(..12).unwrap_or(&hex))
}

#[cfg(test)]
mod tests {
    use super::rewrite_output;

    fn words(args: &[&str]) -> Vec<std::ffi::OsString> {
        args.iter().map(Into::into).collect()
    }

    #[test]
    fn output_mermaid_and_dot_become_graph_for_lineage_only() {
        assert_eq!(
            rewrite_output(words(&[
                "provenant",
                "lineage",
                "verify",
                "x",
                "--output",
                "mermaid"
            ])),
            words(&["provenant", "lineage", "verify", "x", "--graph", "mermaid"])
        );
        assert_eq!(
            rewrite_output(words(&["provenant", "--output=dot", "lineage", "verify", "x"])),
            words(&["provenant", "--graph", "dot", "lineage", "verify", "x"])
        );
        let json = words(&["provenant", "lineage", "where", "--output", "json"]);
        assert_eq!(rewrite_output(json.clone()), json);
        let other = words(&["provenant", "ledger", "query", "--output", "mermaid"]);
        assert_eq!(rewrite_output(other.clone()), other);
    }
}
