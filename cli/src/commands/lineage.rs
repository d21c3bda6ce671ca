//! `provenant lineage verify`: an image's lineage back to its source commit, edge by edge.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_lineage::{Edge, EdgeKind, Expectations, Trust, Verdict};
use provenant_registry::open_store;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{RegistryArgs, SignerArgs, TrustArgs};
use crate::output::{print_bytes, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum LineageCommand {
    /// Verify an image back to the commit it came from, through the evidence attached to it.
    Verify(VerifyArgs),
}

/// `provenant lineage verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Walks image → packaging provenance (signed by --key/--certificate-identity, \
subject the image digest) → each packaged file (present in the image with that digest) → its build \
provenance (signed by --build-key/--build-certificate-identity, default the same signer; builder among \
--builder-id) → the source commit (--commit, --source-uri, --branch, --repo). SBOMs attached must describe \
the image. Exit 0 when every edge holds, 1 naming each broken edge. See docs/lineage.md."
)]
pub(crate) struct VerifyArgs {
    /// The image, by digest: registry/repo@sha256:… or oci:PATH@sha256:….
    image: String,
    /// Accept an image given by tag: resolve it once and verify that digest.
    #[arg(long)]
    resolve_tag: bool,
    /// The commit the files must have been built from (full, or at least 7 hex digits).
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The source repository the builds must record (`github.com/ORG/REPO` or a URL).
    #[arg(long, value_name = "URI")]
    source_uri: Option<String>,
    /// A trusted builder id (`URI` or `URI@version`); repeatable. Without it, any builder id signed by
    /// the trusted build signer is accepted.
    #[arg(long = "builder-id", value_name = "URI")]
    builder_ids: Vec<String>,
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
        source: args
            .source_uri
            .as_deref()
            .map(str::parse)
            .transpose()
            .context("invalid --source-uri")?,
        builder_ids: args
            .builder_ids
            .iter()
            .map(|b| b.parse().with_context(|| format!("invalid --builder-id {b:?}")))
            .collect::<anyhow::Result<_>>()?,
        repo: args.repo.clone(),
        branch: args.branch.clone(),
        allow_unattested,
        require_sbom: args.require_sbom,
    })
}

fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
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
    let report = {
        let progress = crate::progress::Reporter::bytes(None, "reading the image's layers");
        provenant_lineage::verify(store.as_ref(), &digest, &trust, &expectations, &progress)?
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let mut text = String::new();
            render(&mut text, &report.lineage, "", true, true);
            let broken = report.lineage.broken_edges();
            if broken.is_empty() {
                let _ = writeln!(text, "\nlineage verified: every edge holds");
            } else {
                let _ = writeln!(text, "\nlineage BROKEN at {} edge(s):", broken.len());
                for e in broken {
                    let check = e.check.map(|c| format!(" [{c}]")).unwrap_or_default();
                    let _ = writeln!(text, "  {}{check}: {}", label(e), e.detail);
                }
            }
            print_bytes(text.as_bytes())?;
        }
    }
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
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

fn render(out: &mut String, edge: &Edge, prefix: &str, last: bool, root: bool) {
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
    let _ = writeln!(out, "{prefix}{branch}{mark} {label}{evidence}");
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    if !edge.detail.is_empty() {
        let bar = if edge.edges.is_empty() { "  " } else { "│ " };
        let _ = writeln!(out, "{child_prefix}{bar}  {}", edge.detail);
    }
    for (i, child) in edge.edges.iter().enumerate() {
        render(out, child, &child_prefix, i + 1 == edge.edges.len(), false);
    }
}

fn short_digest(d: &provenant_digest::Digest) -> String {
    let hex = d.hex();
    format!("{}:{}", d.algorithm().name(), hex.get(..12).unwrap_or(&hex))
}
