//! `provenant sbom`: generate, validate and diff software bills of materials.

// The help text names formats (CycloneDX, SPDX); backticks would show in `--help`.
#![allow(clippy::doc_markdown)]

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_digest::{Algorithm, NoProgress};
use provenant_sbom::{Root, Sbom, cyclonedx, spdx_validate, spdx23, validate};
use serde::Serialize;
use serde_json::Value;

use crate::Outcome;
use crate::args::{GlobalArgs, KeylessArgs, OutputFormat, RegistryArgs};
use crate::output::{print_bytes, print_json, to_stdout};
use crate::shared::write_atomic;

/// Upper bound on an SBOM document read into memory.
const MAX_DOC_BYTES: u64 = 256 << 20;

/// `provenant sbom` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SbomCommand {
    /// Catalog a directory or a lockfile and write a CycloneDX or SPDX SBOM.
    Generate(GenerateArgs),
    /// Validate a CycloneDX or SPDX JSON document (structure and semantics); exit 1 when invalid.
    Validate(ValidateArgs),
    /// Compare the components of two SBOMs: added, removed, changed versions and licences.
    Diff(DiffArgs),
    /// Generate the SBOM of a target and sign it as an in-toto statement about the target's digest.
    Attest(AttestArgs),
    /// Convert a CycloneDX or SPDX JSON document (ours, syft's, cdxgen's, ...) to another format or
    /// CycloneDX version; what cannot be carried over is listed on stderr.
    Convert(ConvertArgs),
}

/// What `generate` and `attest` catalog, and how the SBOM is written.
#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// A directory, a single lockfile or package database, or an image: oci:PATH[:tag|@digest] or
    /// registry/repo@sha256:….
    pub(crate) target: String,
    /// For an image index: the platform to catalog (os/arch[/variant]).
    #[arg(long, default_value = "linux/amd64")]
    pub(crate) platform: String,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// `cyclonedx-json` (1.6), `cyclonedx-json@1.5`, `cyclonedx-json@1.7` or `spdx-json` (2.3).
    #[arg(long, default_value = "cyclonedx-json")]
    pub(crate) format: String,
    /// Leave out paths matching this glob (repeatable): relative to the target's root, or paths in an
    /// image's filesystem; `*`, `?`, `[…]` within a segment, `**` across segments. Excluded directories
    /// are not entered.
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
}

impl SourceArgs {
    fn target(&self, strict: bool) -> Target<'_> {
        Target {
            spec: &self.target,
            platform: &self.platform,
            registry: &self.registry,
            strict,
            exclude: &self.exclude,
        }
    }
}

/// `provenant sbom generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "An image is read from its layers as streams (whiteouts applied, every blob verified, nothing \
unpacked); the SBOM then describes the image manifest's digest (a container component with a pkg:oci purl), and \
each component names the layer that put its file there."
)]
pub(crate) struct GenerateArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Write the SBOM here instead of standard output.
    #[arg(short = 'o', long = "output-file")]
    pub(crate) output_file: Option<PathBuf>,
    /// Exit 2 when any file could not be cataloged (the SBOM would be incomplete).
    #[arg(long)]
    pub(crate) strict: bool,
}

/// `provenant sbom attest`.
#[derive(Debug, Args)]
#[command(
    after_help = "The statement's subject is the target's digest: a file's SHA-256, a directory's tree digest, \
an image's manifest digest. Its predicate is the SBOM, of type https://cyclonedx.org/bom (CycloneDX) or \
https://spdx.dev/Document (SPDX). With --key the bundle is signed by that key and carries no log entry; without \
it the statement is signed keylessly (Fulcio, Rekor, optional timestamp). --attach also attaches the bundle to \
the image as a referrer. Verify with `provenant verify-attestation SUBJECT --bundle OUT --type …`."
)]
pub(crate) struct AttestArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Refuse to attest an incomplete SBOM (any file that could not be cataloged): exit 2.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Sign with this key (cosign's encrypted format or PKCS#8/SEC1 PEM) instead of keylessly.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// Where to write the bundle.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: PathBuf,
    /// Also write the unsigned statement here.
    #[arg(long, value_name = "FILE")]
    pub(crate) statement: Option<PathBuf>,
    /// Also attach the bundle to the image (an image target only).
    #[arg(long)]
    pub(crate) attach: bool,
}

/// `provenant sbom validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The SBOM (CycloneDX JSON or SPDX 2.3 JSON).
    pub(crate) file: PathBuf,
}

/// `provenant sbom diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The older SBOM.
    pub(crate) a: PathBuf,
    /// The newer SBOM.
    pub(crate) b: PathBuf,
}

/// `provenant sbom convert`.
#[derive(Debug, Args)]
#[command(
    after_help = "Components (by purl), hashes, SPDX licence expressions, suppliers, evidence, the dependency graph \
and the root are carried over. Anything else the source states (CPEs, files, free-text licences, tool-specific \
properties, ...) is listed on stderr, and under \"lost\" with --output json. The creation time is the source's; \
SOURCE_DATE_EPOCH (or the clock) only when it states none."
)]
pub(crate) struct ConvertArgs {
    /// The SBOM to convert (CycloneDX JSON 1.2 to 1.7, or SPDX 2.2/2.3 JSON).
    pub(crate) file: PathBuf,
    /// `cyclonedx-json` (1.6), `cyclonedx-json@1.5`, `cyclonedx-json@1.7` or `spdx-json` (2.3).
    #[arg(long)]
    pub(crate) format: String,
    /// Write the converted SBOM here instead of standard output.
    #[arg(short = 'o', long = "output-file")]
    pub(crate) output_file: Option<PathBuf>,
}

enum Format {
    CycloneDx(cyclonedx::SpecVersion),
    Spdx,
}

fn parse_format(s: &str) -> anyhow::Result<Format> {
    Ok(match s {
        "cyclonedx-json" | "cyclonedx-json@1.6" => Format::CycloneDx(cyclonedx::SpecVersion::V1_6),
        "cyclonedx-json@1.5" => Format::CycloneDx(cyclonedx::SpecVersion::V1_5),
        "cyclonedx-json@1.7" => Format::CycloneDx(cyclonedx::SpecVersion::V1_7),
        "spdx-json" | "spdx-json@2.3" => Format::Spdx,
        other => anyhow::bail!(
            "unknown SBOM format {other:?}: expected cyclonedx-json[@1.5|@1.6|@1.7] or spdx-json"
        ),
    })
}

pub(crate) fn run(global: &GlobalArgs, command: &SbomCommand) -> anyhow::Result<Outcome> {
    match command {
        SbomCommand::Generate(args) => generate(args),
        SbomCommand::Validate(args) => validate_cmd(global, args),
        SbomCommand::Diff(args) => diff(global, args),
        SbomCommand::Convert(args) => convert(global, args),
        SbomCommand::Attest(args) => attest(global, args),
    }
}

/// Catalogs an image; returns what was found and the SBOM's root.
fn catalog_image(
    target: &Target<'_>,
    reference: &provenant_oci::Reference,
    exclude: &provenant_catalog::Exclude,
) -> anyhow::Result<(provenant_catalog::Catalog, Root)> {
    use provenant_oci::{Manifest, ManifestRef, Reference};
    let client = target.registry.client(None)?;
    let store = provenant_registry::open_store(reference, &client, false)?;
    // A layout's tag is the caller's own directory; a registry's tag is refused.
    let digest = provenant_registry::resolve_digest(
        store.as_ref(),
        reference,
        provenant_registry::TagPolicy::ResolveLayoutOnly,
    )?;
    let mut fetched = store.get_manifest(&ManifestRef::Digest(digest))?;
    if let Manifest::Index(index) = &fetched.manifest {
        let wanted = provenant_oci::Platform::parse(target.platform)
            .with_context(|| format!("--platform {:?} is not os/arch[/variant]", target.platform))?;
        let found = index.manifests.iter().find(|d| {
            d.platform.as_ref().is_some_and(|p| {
                p.os == wanted.os
                    && p.architecture == wanted.architecture
                    && (wanted.variant.is_none() || p.variant == wanted.variant)
            })
        });
        let Some(found) = found else {
            let available: Vec<String> = index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
                .collect();
            anyhow::bail!(
                "{reference} has no {wanted} image; it has: {}",
                available.join(", ")
            );
        };
        fetched = store.get_manifest(&ManifestRef::Digest(found.digest))?;
    }
    let Manifest::Image(manifest) = &fetched.manifest else {
        anyhow::bail!("{reference}: an index inside an index is not cataloged");
    };
    let progress = crate::progress::Reporter::bytes(
        Some(manifest.layers.iter().map(|l| l.size).sum()),
        "reading the image's layers",
    );
    let found =
        provenant_catalog::image::catalog_image_excluding(store.as_ref(), manifest, &progress, exclude)
            .with_context(|| format!("reading the layers of {reference}"))?;
    progress.finish();
    let (name, repository_url) = match reference {
        Reference::Registry(r) => {
            let repo = r.repository.to_string();
            let name = repo.rsplit('/').next().unwrap_or(&repo).to_owned();
            (name, Some(repo))
        }
        Reference::Layout(l) => (root_name(&l.path), None),
    };
    let root = Root::image(&name, fetched.digest, repository_url.as_deref())?;
    Ok((found, root))
}

/// What `generate` and `attest` catalog, and how.
struct Target<'a> {
    spec: &'a str,
    platform: &'a str,
    registry: &'a RegistryArgs,
    strict: bool,
    exclude: &'a [String],
}

/// Catalogs the target into an SBOM; for an image, also returns its reference.
fn build_sbom(target: &Target<'_>) -> anyhow::Result<(Sbom, Option<provenant_oci::Reference>)> {
    let created = crate::shared::now_unix()?;
    let exclude = provenant_catalog::Exclude::new(target.exclude)?;
    let path = Path::new(target.spec);
    let (found, root, image) = if path.exists() {
        let mut found = provenant_catalog::catalog_excluding(path, &exclude)?;
        // Replaced by the target's digest below, or removed when there is none.
        let mut root = Root::new(&root_name(path), Algorithm::Sha256.hash_bytes(b""));
        match provenant_digest::digest_path(Algorithm::Sha256, path, &NoProgress) {
            Ok(d) => root.digest = Some(d.digest),
            // A directory that cannot be read whole has no tree digest: the SBOM says so and is incomplete.
            Err(e) if path.is_dir() => {
                root.digest = None;
                found.warnings.push(provenant_catalog::Warning::new(
                    &root_name(path),
                    None,
                    format!(
                        "cannot digest the directory ({e}): the SBOM names no digest for it \
                         (make every file readable to attest it)"
                    ),
                ));
            }
            Err(e) => return Err(e).with_context(|| format!("digesting {}", path.display())),
        }
        (found, root, None)
    } else {
        let reference = target.spec.parse::<provenant_oci::Reference>().with_context(|| {
            format!(
                "{} is neither a file or directory nor an image reference",
                target.spec
            )
        })?;
        let (found, root) = catalog_image(target, &reference, &exclude)?;
        (found, root, Some(reference))
    };
    for w in &found.warnings {
        eprintln!("warning: {w}");
    }
    if target.strict && !found.warnings.is_empty() {
        anyhow::bail!(
            "{} file(s) could not be cataloged and --strict is set",
            found.warnings.len()
        );
    }
    let mut sbom = Sbom::new(root, created);
    for c in found.components {
        sbom.add(c);
    }
    sbom.warnings = found.warnings.iter().map(ToString::to_string).collect();
    Ok((sbom, image))
}

fn render(sbom: &Sbom, format: &Format) -> String {
    let mut text = match format {
        Format::CycloneDx(v) => cyclonedx::write(sbom, *v),
        Format::Spdx => spdx23::write(sbom),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn generate(args: &GenerateArgs) -> anyhow::Result<Outcome> {
    let format = parse_format(&args.source.format)?;
    let (sbom, _) = build_sbom(&args.source.target(args.strict))?;
    let text = render(&sbom, &format);
    match &args.output_file {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
        }
        None => print_bytes(text.as_bytes())?,
    }
    Ok(Outcome::Success)
}

/// The in-toto predicate type of an SBOM format.
fn predicate_type(format: &Format) -> &'static str {
    match format {
        Format::CycloneDx(_) => provenant_attest::predicate::CYCLONEDX,
        Format::Spdx => provenant_attest::predicate::SPDX,
    }
}

fn attest(global: &GlobalArgs, args: &AttestArgs) -> anyhow::Result<Outcome> {
    use provenant_attest::{ResourceDescriptor, Statement};
    let format = parse_format(&args.source.format)?;
    let (sbom, image) = build_sbom(&args.source.target(args.strict))?;
    anyhow::ensure!(
        !args.attach || image.is_some(),
        "--attach needs an image target (oci:PATH… or registry/repo@sha256:…), not {}",
        args.source.target
    );
    let digest = sbom
        .root
        .digest
        .context("the SBOM's root has no digest to attest")?;
    // The document `generate` writes, as a value (no text round trip).
    let predicate = match &format {
        Format::CycloneDx(v) => cyclonedx::to_value(&sbom, *v),
        Format::Spdx => spdx23::to_value(&sbom),
    };
    let statement = Statement::new(
        vec![ResourceDescriptor::for_digest(&sbom.root.name, &digest)],
        predicate_type(&format).to_owned(),
        predicate,
    );
    statement.validate()?;
    let bytes = statement.to_json();
    if let Some(path) = &args.statement {
        write_atomic(path, &bytes)?;
    }
    let bundle =
        args.keyless
            .sign_statement(args.key.as_deref(), &bytes, Some(&args.bundle), "SBOM statement")?;
    let bundle_bytes = bundle.to_json_v0_3()?;
    let mut attached = None;
    if let (true, Some(reference)) = (args.attach, &image) {
        let client = args.source.registry.client(None)?;
        let store = provenant_registry::open_store(reference, &client, false)?;
        let subject = store.get_manifest(&provenant_oci::ManifestRef::Digest(digest))?;
        let annotations =
            crate::shared::with_created(provenant_evidence::attached::bundle_annotations(&bundle))?;
        let done = provenant_evidence::attached::attach_document(
            store.as_ref(),
            &subject,
            &bundle_bytes,
            provenant_oci::media::SIGSTORE_BUNDLE_V03,
            "sbom.sigstore.json",
            annotations,
        )?;
        attached = Some(done.digest);
    }
    let report = AttestReport {
        subject: format!("{}@{digest}", sbom.root.name),
        predicate_type: predicate_type(&format),
        components: sbom.components.len(),
        incomplete: sbom.is_incomplete(),
        bundle: args.bundle.display().to_string(),
        signed_with: if args.key.is_some() { "key" } else { "keyless" },
        attached: attached.map(|d| d.to_string()),
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| {
            writeln!(
                w,
                "Wrote {} ({} SBOM of {} with {} component(s), signed {})",
                report.bundle,
                report.predicate_type,
                report.subject,
                report.components,
                if args.key.is_some() {
                    "with the key"
                } else {
                    "keylessly"
                }
            )?;
            if let Some(a) = &report.attached {
                writeln!(w, "attached to the image as {a}")?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct AttestReport {
    subject: String,
    predicate_type: &'static str,
    components: usize,
    incomplete: bool,
    bundle: String,
    signed_with: &'static str,
    attached: Option<String>,
}

#[derive(Serialize)]
struct LostJson<'a> {
    what: &'a str,
    count: usize,
    examples: &'a [String],
}

#[derive(Serialize)]
struct ConvertReport<'a> {
    file: String,
    from: String,
    to: &'a str,
    output: Option<String>,
    components: usize,
    lost: Vec<LostJson<'a>>,
}

fn convert(global: &GlobalArgs, args: &ConvertArgs) -> anyhow::Result<Outcome> {
    let format = parse_format(&args.format)?;
    let doc = read_doc(&args.file)?;
    let mut read = provenant_sbom::read::read(&doc, crate::shared::now_unix()?)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let (text, more) = match format {
        Format::CycloneDx(v) => (
            cyclonedx::write(&read.sbom, v),
            cyclonedx::write_losses(&read.sbom),
        ),
        Format::Spdx => (spdx23::write(&read.sbom), spdx23::write_losses(&read.sbom)),
    };
    read.lost.extend(more);
    read.lost.sort_by(|a, b| a.what.cmp(&b.what));
    let from = match &read.source {
        provenant_sbom::read::SourceFormat::CycloneDx(v) => format!("cyclonedx-json@{v}"),
        provenant_sbom::read::SourceFormat::Spdx(v) => {
            format!("spdx-json@{}", v.trim_start_matches("SPDX-"))
        }
        _ => "unknown".to_owned(),
    };
    match &args.output_file {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
        }
        None => print_bytes(text.as_bytes())?,
    }
    let report = ConvertReport {
        file: args.file.display().to_string(),
        from,
        to: &args.format,
        output: args.output_file.as_ref().map(|p| p.display().to_string()),
        components: read.sbom.components.len(),
        lost: read
            .lost
            .iter()
            .map(|l| LostJson {
                what: &l.what,
                count: l.count,
                examples: &l.examples,
            })
            .collect(),
    };
    match (global.output, &args.output_file) {
        // The document went to a file: the report is the command's output.
        (OutputFormat::Json, Some(_)) => print_json(&report)?,
        // The document is on standard output: the report goes to stderr, on one line.
        (OutputFormat::Json, None) => eprintln!("{}", serde_json::to_string(&report)?),
        (OutputFormat::Text, _) => {
            for l in &read.lost {
                let at = l.examples.first().map_or("", String::as_str);
                eprintln!("not carried over: {} (x{}, first at {at})", l.what, l.count);
            }
            eprintln!(
                "converted {} ({}) to {}: {} component(s), {} kind(s) of information not carried over",
                report.file,
                report.from,
                report.to,
                report.components,
                read.lost.len()
            );
        }
    }
    Ok(Outcome::Success)
}

fn root_name(target: &Path) -> String {
    let abs = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_owned());
    abs.file_name()
        .map_or_else(|| "root".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn read_doc(path: &Path) -> anyhow::Result<Value> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut buf = Vec::new();
    file.take(MAX_DOC_BYTES + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        buf.len() as u64 <= MAX_DOC_BYTES,
        "{} is larger than {MAX_DOC_BYTES} bytes",
        path.display()
    );
    serde_json::from_slice(&buf).with_context(|| format!("{} is not JSON", path.display()))
}

fn is_spdx(doc: &Value) -> bool {
    doc.get("spdxVersion").is_some()
}

#[derive(Serialize)]
struct FindingJson<'a> {
    path: &'a str,
    message: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct ValidateReport<'a> {
    file: String,
    format: &'static str,
    valid: bool,
    findings: Vec<FindingJson<'a>>,
}

fn validate_cmd(global: &GlobalArgs, args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let doc = read_doc(&args.file)?;
    let (format, findings) = if is_spdx(&doc) {
        ("spdx-json", spdx_validate::spdx(&doc))
    } else {
        ("cyclonedx-json", validate::cyclonedx(&doc))
    };
    let valid = findings.is_empty();
    match global.output {
        OutputFormat::Json => print_json(&ValidateReport {
            file: args.file.display().to_string(),
            format,
            valid,
            findings: findings
                .iter()
                .map(|f| FindingJson {
                    path: &f.path,
                    message: &f.message,
                    kind: match f.kind {
                        validate::Kind::Schema => "schema",
                        _ => "semantic",
                    },
                })
                .collect(),
        })?,
        OutputFormat::Text => to_stdout(|w| {
            for f in &findings {
                writeln!(w, "{}: {}", f.path, f.message)?;
            }
            if valid {
                writeln!(w, "{}: valid {format}", args.file.display())?;
            } else {
                writeln!(
                    w,
                    "{}: invalid {format} ({} finding(s))",
                    args.file.display(),
                    findings.len()
                )?;
            }
            Ok(())
        })?,
    }
    Ok(if valid { Outcome::Success } else { Outcome::Failure })
}

/// One side of `sbom diff`, read into the SBOM model by `provenant-sbom`'s reader (any tool's CycloneDX
/// or SPDX JSON).
fn read_sbom(path: &Path) -> anyhow::Result<Sbom> {
    let doc = read_doc(path)?;
    let read = provenant_sbom::read::read(&doc, 0).with_context(|| format!("reading {}", path.display()))?;
    Ok(read.sbom)
}

fn diff(global: &GlobalArgs, args: &DiffArgs) -> anyhow::Result<Outcome> {
    let report = provenant_sbom::diff::diff(&read_sbom(&args.a)?, &read_sbom(&args.b)?);
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => to_stdout(|w| {
            for e in &report.added {
                writeln!(w, "+ {}", e.purl)?;
            }
            for e in &report.removed {
                writeln!(w, "- {}", e.purl)?;
            }
            for c in &report.changed {
                write!(w, "~ {}: {} -> {}", c.package, c.before.version, c.after.version)?;
                if c.license_changed {
                    write!(
                        w,
                        " (licence {} -> {})",
                        c.before.license.as_deref().unwrap_or("none"),
                        c.after.license.as_deref().unwrap_or("none")
                    )?;
                }
                writeln!(w)?;
            }
            writeln!(
                w,
                "{} added, {} removed, {} changed",
                report.added.len(),
                report.removed.len(),
                report.changed.len()
            )
        })?,
    }
    Ok(Outcome::Success)
}
