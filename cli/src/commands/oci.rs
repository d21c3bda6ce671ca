//! `provenant oci …` (image, push, pull, attach, discover) and `provenant promote`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::attached;
use provenant_oci::manifest::{ANNOTATION_CREATED, ANNOTATION_TITLE, to_bytes};
use provenant_oci::{Descriptor, ImageManifest, Manifest, ManifestRef, Platform, Reference, media};
use provenant_registry::referrers::{self, Referrer};
use provenant_registry::{Store, open_store};
use serde::Serialize;

use crate::Outcome;
use crate::args::{
    GlobalArgs, OutputFormat, PackagingSignerArgs, RegistryArgs, SignerArgs, TrustArgs, parse_reference,
};
use crate::output::{print_bytes, print_json, skipped_names, to_stdout, with_skipped, write_skipped};

/// Default artifact type of `oci push` without `--artifact-type` (as oras uses).
const DEFAULT_ARTIFACT_TYPE: &str = "application/vnd.unknown.artifact.v1";
/// Deepest referrer tree `oci discover` prints.
const MAX_DISCOVER_DEPTH: usize = 16;

#[derive(Debug, Subcommand)]
pub(crate) enum OciCommand {
    /// Build a reproducible image from a directory (no daemon): same input, same digest.
    Image(Box<ImageArgs>),
    /// Push files as an OCI artifact (like `oras push`).
    Push(PushArgs),
    /// Pull an artifact's files into a directory (like `oras pull`).
    Pull(PullArgs),
    /// Attach a bundle, SBOM or file to an image as a referrer.
    Attach(AttachArgs),
    /// List everything attached to an image: referrers API, referrers tag index and cosign tags.
    Discover(DiscoverArgs),
}

/// `provenant oci image`.
#[derive(Debug, Args)]
#[command(
    after_help = "Entries are sorted, owned by 0:0, timed at SOURCE_DATE_EPOCH (or 0), with modes 0755 for \
directories and executables and 0644 otherwise; the layer is gzip with a fixed header."
)]
pub(crate) struct ImageArgs {
    /// The directory that becomes the image's root filesystem.
    dir: PathBuf,
    /// Where to write it: oci:PATH[:tag] or registry/repo[:tag].
    #[arg(value_parser = parse_reference)]
    reference: Reference,
    /// Entrypoint (repeat for each argument).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    entrypoint: Vec<String>,
    /// Default arguments (repeat for each argument).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    cmd: Vec<String>,
    /// Environment variable NAME=value (repeatable; replaces the default PATH).
    #[arg(long, value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Platform os/arch[/variant].
    #[arg(long, default_value = "linux/amd64")]
    platform: String,
    #[command(flatten)]
    packaging: PackagingSignerArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `provenant oci push`.
#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    /// Destination: registry/repo[:tag] or oci:PATH[:tag].
    #[arg(value_parser = parse_reference)]
    reference: Reference,
    /// Files to push, each optionally with its media type (`FILE:MEDIATYPE`).
    #[arg(required = true, value_name = "FILE[:MEDIATYPE]")]
    files: Vec<String>,
    /// The artifact type of the manifest.
    #[arg(long, default_value = DEFAULT_ARTIFACT_TYPE)]
    artifact_type: String,
    /// Manifest annotation KEY=VALUE (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    annotations: Vec<String>,
    #[command(flatten)]
    packaging: PackagingSignerArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `provenant oci pull`.
#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// Source: registry/repo[:tag|@digest] or oci:PATH[:tag|@digest].
    #[arg(value_parser = parse_reference)]
    reference: Reference,
    /// Directory to write the files into.
    #[arg(short, long)]
    output_dir: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `provenant oci attach`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["bundle", "sbom", "file"])))]
pub(crate) struct AttachArgs {
    /// The subject, by digest: registry/repo@sha256:… or oci:PATH@sha256:….
    #[arg(value_parser = parse_reference)]
    subject: Reference,
    /// A sigstore bundle.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// An SBOM (`CycloneDX` or SPDX JSON).
    #[arg(long)]
    sbom: Option<PathBuf>,
    /// Any file (needs --artifact-type).
    #[arg(long, requires = "artifact_type")]
    file: Option<PathBuf>,
    /// Artifact type (and media type) of --file.
    #[arg(long)]
    artifact_type: Option<String>,
    /// Manifest annotation KEY=VALUE (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    annotations: Vec<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `provenant oci discover`.
#[derive(Debug, Args)]
pub(crate) struct DiscoverArgs {
    /// The image: registry/repo[:tag|@digest] or oci:PATH[:tag|@digest].
    #[arg(value_parser = parse_reference)]
    reference: Reference,
    /// Only referrers of this artifact type (at the first level).
    #[arg(long)]
    artifact_type: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `provenant promote`.
#[derive(Debug, Args)]
#[command(
    after_help = "Copies the manifest (or index with every platform manifest), every blob and every \
referrer, preserving digests; mounts within a registry, streams between stores, skips what the destination \
has; tags are written last. A source given by tag is refused unless --resolve-tag."
)]
pub(crate) struct PromoteArgs {
    /// The source, by digest: registry/repo@sha256:… or oci:PATH@sha256:….
    #[arg(value_parser = parse_reference)]
    pub(crate) source: Reference,
    /// Destinations: registry/repo[:tag] or oci:PATH[:tag] (several tags of one destination may be given).
    #[arg(
        required_unless_present = "environment",
        conflicts_with = "environment",
        value_name = "DST_REPO[:TAG]",
        value_parser = parse_reference
    )]
    destinations: Vec<Reference>,
    /// Accept a source given by tag: resolve it once, print and record the digest.
    #[arg(long)]
    resolve_tag: bool,
    /// Credentials for the source registry, USER:PASSWORD.
    #[arg(
        long,
        env = "PROVENANT_SRC_CREDS",
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    pub(crate) src_creds: Option<String>,
    /// Credentials for the destination registry, USER:PASSWORD.
    #[arg(
        long,
        env = "PROVENANT_DEST_CREDS",
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    pub(crate) dest_creds: Option<String>,
    /// Concurrent blob copies.
    #[arg(long, default_value_t = 4)]
    pub(crate) jobs: usize,
    /// Do not carry referrers.
    #[arg(long)]
    no_referrers: bool,
    /// Require a verified sigstore bundle (attached as a referrer) for the source, before copying, and
    /// again at the destination before tagging: who must have signed (--key, --certificate-identity…).
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// With a signer: the verified bundle must be a DSSE attestation with this predicate type.
    #[arg(long, value_name = "URI")]
    attestation_type: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// A governed promotion into an environment.
    #[command(flatten)]
    pub(crate) governed: crate::args::GovernedArgs,
    /// The ledger a governed promotion reads its evidence from and records the attempt in.
    #[command(flatten)]
    pub(crate) ledger: crate::args::LedgerArg,
    /// How a governed promotion signs its record (with --record-key, or keylessly).
    #[command(flatten)]
    pub(crate) keyless: crate::args::KeylessArgs,
}

pub(crate) fn run(global: &GlobalArgs, command: OciCommand) -> anyhow::Result<Outcome> {
    match command {
        OciCommand::Image(a) => image(global, &a),
        OciCommand::Push(a) => push(global, &a),
        OciCommand::Pull(a) => pull(global, &a),
        OciCommand::Attach(a) => attach(global, &a),
        OciCommand::Discover(a) => discover(global, &a),
    }
}

/// `--resolve-tag` as the registry's tag policy.
fn tag_policy(resolve_tag: bool) -> provenant_registry::TagPolicy {
    if resolve_tag {
        provenant_registry::TagPolicy::ResolveOnce
    } else {
        provenant_registry::TagPolicy::Refuse
    }
}

/// The store `reference` names and the manifest it names there by tag or digest (`pull`, `discover`).
fn open_named_manifest(
    reference: &Reference,
    registry: &RegistryArgs,
) -> anyhow::Result<(Reference, Box<dyn Store>, provenant_registry::FetchedManifest)> {
    let reference = reference.clone();
    let manifest_ref = reference
        .manifest_ref()
        .context("the reference names neither a tag nor a digest")?;
    let client = registry.client(None)?;
    let store = open_store(&reference, &client, false)?;
    let fetched = store.get_manifest(&manifest_ref)?;
    Ok((reference, store, fetched))
}

fn parse_annotations(list: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    list.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("annotation {a:?} is not KEY=VALUE"))
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageReport {
    reference: String,
    digest: Digest,
    size: u64,
    config: Digest,
    layer: Digest,
    layer_size: u64,
    diff_id: Digest,
    entries: usize,
    files: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<Digest>,
}

fn image(global: &GlobalArgs, args: &ImageArgs) -> anyhow::Result<Outcome> {
    let reference = args.reference.clone();
    let platform = Platform::parse(&args.platform)
        .with_context(|| format!("--platform {:?} is not os/arch[/variant]", args.platform))?;
    let mut options = provenant_image::ImageOptions {
        platform,
        ..Default::default()
    }
    .with_epoch(super::source_date_epoch()?);
    if !args.entrypoint.is_empty() {
        options.entrypoint = Some(args.entrypoint.clone());
    }
    if !args.cmd.is_empty() {
        options.cmd = Some(args.cmd.clone());
    }
    if !args.env.is_empty() {
        options.env.clone_from(&args.env);
    }
    let client = args.registry.client(None)?;
    let store = open_store(&reference, &client, true)?;
    let built = provenant_image::build(&args.dir, &options, store.as_ref())
        .with_context(|| format!("building an image from {}", args.dir.display()))?;
    if let Some(tag) = reference.tag() {
        store.put_manifest(&built.manifest, media::OCI_MANIFEST, Some(tag))?;
    }
    let full = reference.with(reference.tag().cloned(), Some(built.digest));
    let provenance = if args.packaging.requested()? {
        Some(attach_packaging_provenance(
            args,
            &options,
            &built,
            &reference,
            store.as_ref(),
        )?)
    } else {
        None
    };
    match global.output {
        OutputFormat::Json => print_json(&ImageReport {
            reference: full.to_string(),
            digest: built.digest,
            size: built.size,
            config: built.config,
            layer: built.layer,
            layer_size: built.layer_size,
            diff_id: built.diff_id,
            entries: built.entries,
            files: built.files.len(),
            provenance,
        })?,
        OutputFormat::Text => {
            if let Some(p) = provenance {
                eprintln!(
                    "packaging provenance ({} file(s)) attached as {}@{p}",
                    built.files.len(),
                    reference.location()
                );
            }
            print_bytes(format!("{full}\n").as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}

/// Signs the image's packaging provenance and attaches it as a referrer; returns the referrer digest.
fn attach_packaging_provenance(
    args: &ImageArgs,
    options: &provenant_image::ImageOptions,
    built: &provenant_image::BuiltImage,
    reference: &Reference,
    store: &dyn Store,
) -> anyhow::Result<Digest> {
    let finished_on =
        crate::shared::source_date_epoch_timestamp()?.unwrap_or_else(|| provenant_build::now(None));
    let name = reference.location();
    let statement = provenant_image::provenance::statement(
        built,
        options,
        &provenant_image::provenance::Packaging {
            name: &name,
            builder_id: &args.packaging.builder_id,
            finished_on,
        },
    )
    .context("the packaging provenance is invalid")?;
    sign_and_attach_packaging(&args.packaging, &statement, built.digest, store)
}

/// Signs a packaging provenance `statement` (with `key`, else keyless) and attaches it as a referrer of
/// the manifest `subject`; returns the referrer digest. One path for images and artifacts.
fn sign_and_attach_packaging(
    packaging: &PackagingSignerArgs,
    statement: &serde_json::Value,
    subject: Digest,
    store: &dyn Store,
) -> anyhow::Result<Digest> {
    let mut bytes = serde_json::to_vec_pretty(statement)?;
    bytes.push(b'\n');
    let bundle = packaging.signing.sign_statement(
        packaging.key.as_deref(),
        &bytes,
        packaging.provenance_bundle.as_deref(),
        "packaging provenance",
    )?;
    let bundle_bytes = bundle.to_json_v0_3()?;
    let subject = store.get_manifest(&ManifestRef::Digest(subject))?;
    let annotations = attached::bundle_annotations(&bundle);
    let attached = attach_document(
        store,
        &subject,
        &bundle_bytes,
        media::SIGSTORE_BUNDLE_V03,
        "packaging.provenance.sigstore.json",
        annotations,
    )?;
    Ok(attached.digest)
}

/// Pushes `bytes` as the single layer of an artifact whose subject is `subject`, and makes it
/// discoverable (referrers API, else the referrers tag index).
fn attach_document(
    store: &dyn Store,
    subject: &provenant_registry::FetchedManifest,
    bytes: &[u8],
    media_type: &str,
    title: &str,
    annotations: BTreeMap<String, String>,
) -> anyhow::Result<referrers::Attached> {
    let annotations = crate::shared::with_created(annotations)?;
    Ok(attached::attach_document(
        store,
        subject,
        bytes,
        media_type,
        title,
        annotations,
    )?)
}

fn put_small_blob(store: &dyn Store, bytes: &[u8]) -> anyhow::Result<Digest> {
    let digest = Algorithm::Sha256.hash_bytes(bytes);
    if store.blob_size(&digest)?.is_none() {
        store.put_blob(&digest, bytes.len() as u64, &mut &bytes[..])?;
    }
    Ok(digest)
}

fn put_file_blob(store: &dyn Store, path: &Path) -> anyhow::Result<(Digest, u64)> {
    let digest = Algorithm::Sha256
        .hash_file(path, &provenant_digest::NoProgress)
        .with_context(|| format!("hashing {}", path.display()))?;
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if store.blob_size(&digest)?.is_none() {
        let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        store.put_blob(&digest, size, &mut file)?;
    }
    Ok((digest, size))
}

fn file_title(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn artifact_manifest(
    artifact_type: &str,
    layers: Vec<Descriptor>,
    subject: Option<Descriptor>,
    mut annotations: BTreeMap<String, String>,
) -> anyhow::Result<ImageManifest> {
    // The image-spec requires at least one layer: an artifact without files carries the empty descriptor.
    let layers = if layers.is_empty() {
        vec![Descriptor::empty()]
    } else {
        layers
    };
    if let Some(epoch) = super::source_date_epoch()? {
        annotations
            .entry(ANNOTATION_CREATED.to_owned())
            .or_insert_with(|| provenant_oci::config::rfc3339(epoch));
    }
    Ok(ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(artifact_type.to_owned()),
        config: Descriptor::empty(),
        layers,
        subject,
        annotations: (!annotations.is_empty()).then_some(annotations),
    })
}

fn push(global: &GlobalArgs, args: &PushArgs) -> anyhow::Result<Outcome> {
    let reference = args.reference.clone();
    let client = args.registry.client(None)?;
    let store = open_store(&reference, &client, true)?;
    let sign_packaging = args.packaging.requested()?;
    let mut layers = Vec::new();
    let mut packaged = Vec::new();
    for spec in &args.files {
        // FILE:MEDIATYPE, where a media type contains '/'; a ':' in a plain file name stays part of it.
        let (path, media_type) = match spec.rsplit_once(':') {
            Some((p, m)) if m.contains('/') && !p.is_empty() => (PathBuf::from(p), m.to_owned()),
            _ => (PathBuf::from(spec), media::OCTET_STREAM.to_owned()),
        };
        let (digest, size) = put_file_blob(store.as_ref(), &path)?;
        packaged.push(provenant_image::provenance::PackagedFile {
            name: file_title(&path),
            media_type: media_type.clone(),
            digest,
        });
        let mut d = Descriptor::new(&media_type, digest, size);
        d.annotations = Some(
            [(ANNOTATION_TITLE.to_owned(), file_title(&path))]
                .into_iter()
                .collect(),
        );
        layers.push(d);
    }
    put_small_blob(store.as_ref(), media::EMPTY_JSON)?;
    let manifest = artifact_manifest(
        &args.artifact_type,
        layers,
        None,
        parse_annotations(&args.annotations)?,
    )?;
    let bytes = to_bytes(&manifest);
    let put = store.put_manifest(&bytes, media::OCI_MANIFEST, reference.tag())?;
    let full = reference.with(reference.tag().cloned(), Some(put.digest));
    let provenance = if sign_packaging {
        Some(attach_artifact_provenance(
            args,
            put.digest,
            &packaged,
            &reference,
            store.as_ref(),
        )?)
    } else {
        None
    };
    match global.output {
        OutputFormat::Json => {
            let mut report = serde_json::Map::new();
            report.insert("reference".into(), serde_json::json!(full.to_string()));
            report.insert("digest".into(), serde_json::json!(put.digest));
            if let Some(p) = provenance {
                report.insert("provenance".into(), serde_json::json!(p));
            }
            print_json(&report)?;
        }
        OutputFormat::Text => {
            if let Some(p) = provenance {
                eprintln!(
                    "packaging provenance ({} file(s)) attached as {}@{p}",
                    packaged.len(),
                    reference.location()
                );
            }
            print_bytes(format!("{full}\n").as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}

/// Signs an artifact's packaging provenance (subject the artifact manifest `digest`, the pushed files as
/// its resolved dependencies) and attaches it as a referrer; returns the referrer digest.
fn attach_artifact_provenance(
    args: &PushArgs,
    digest: Digest,
    files: &[provenant_image::provenance::PackagedFile],
    reference: &Reference,
    store: &dyn Store,
) -> anyhow::Result<Digest> {
    let finished_on =
        crate::shared::source_date_epoch_timestamp()?.unwrap_or_else(|| provenant_build::now(None));
    let name = reference.location();
    let statement = provenant_image::provenance::artifact_statement(
        &digest,
        &args.artifact_type,
        files,
        &provenant_image::provenance::Packaging {
            name: &name,
            builder_id: &args.packaging.builder_id,
            finished_on,
        },
    )
    .context("the packaging provenance is invalid")?;
    sign_and_attach_packaging(&args.packaging, &statement, digest, store)
}

fn safe_file_name(title: &str) -> Option<&str> {
    let ok = !title.is_empty() && title != "." && title != ".." && !title.contains(['/', '\\', '\0']);
    ok.then_some(title)
}

fn pull(global: &GlobalArgs, args: &PullArgs) -> anyhow::Result<Outcome> {
    let (reference, store, fetched) = open_named_manifest(&args.reference, &args.registry)?;
    let Manifest::Image(manifest) = &fetched.manifest else {
        bail!("{reference} is an index; pull a platform manifest by digest");
    };
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("creating {}", args.output_dir.display()))?;
    let mut written = Vec::new();
    for layer in &manifest.layers {
        let hex = layer.digest.hex();
        let name = layer
            .annotation(ANNOTATION_TITLE)
            .and_then(safe_file_name)
            .unwrap_or(&hex)
            .to_owned();
        let target = args.output_dir.join(&name);
        let mut reader = store.open_blob(&layer.digest, Some(layer.size))?;
        provenant_evidence::fs::write_atomic_with(&target, |file| std::io::copy(&mut reader, file).map(drop))
            .map_err(|e| match e {
                provenant_evidence::fs::StreamWriteError::Fill(e) => anyhow::Error::from(
                    provenant_registry::StoreError::from_io(format!("pulling {}", layer.digest), e),
                ),
                provenant_evidence::fs::StreamWriteError::Write(e) => anyhow::Error::from(e),
            })?;
        written.push(serde_json::json!({ "path": target.to_string_lossy(), "digest": layer.digest, "size": layer.size }));
    }
    match global.output {
        OutputFormat::Json => {
            print_json(&serde_json::json!({ "digest": fetched.digest, "files": written }))?;
        }
        OutputFormat::Text => to_stdout(|w| {
            for file in &written {
                writeln!(
                    w,
                    "{}  {}",
                    file["digest"].as_str().unwrap_or(""),
                    file["path"].as_str().unwrap_or("")
                )?;
            }
            writeln!(w, "pulled {}@{}", reference.location(), fetched.digest)
        })?,
    }
    Ok(Outcome::Success)
}

fn read_json_file(path: &Path) -> anyhow::Result<(Vec<u8>, serde_json::Value)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= provenant_registry::MAX_SMALL_BLOB_BYTES,
        "{} is too large",
        path.display()
    );
    let doc = serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))?;
    Ok((bytes, doc))
}

#[allow(clippy::too_many_lines)] // one linear flow: read, classify, push, report
fn attach(global: &GlobalArgs, args: &AttachArgs) -> anyhow::Result<Outcome> {
    let reference = args.subject.clone();
    let Some(subject_digest) = reference.digest().copied() else {
        bail!("attach needs the subject by digest (…@sha256:…), not by tag: resolve it first");
    };
    let client = args.registry.client(None)?;
    let store = open_store(&reference, &client, false)?;
    let subject = store.get_manifest(&ManifestRef::Digest(subject_digest))?;
    let mut annotations = parse_annotations(&args.annotations)?;
    let (path, bytes, media_type) = if let Some(path) = &args.bundle {
        let (bytes, doc) = read_json_file(path)?;
        let media_type = doc
            .get("mediaType")
            .and_then(|m| m.as_str())
            .unwrap_or(media::SIGSTORE_BUNDLE_V03);
        anyhow::ensure!(
            media_type.starts_with("application/vnd.dev.sigstore.bundle"),
            "{} is not a sigstore bundle (mediaType {media_type:?})",
            path.display()
        );
        let bundle = provenant_sigstore::Bundle::from_json(&bytes)
            .with_context(|| format!("{} is not a sigstore bundle", path.display()))?;
        annotations.extend(attached::bundle_annotations(&bundle));
        let media_type = if media_type.contains("+json") {
            media_type.to_owned()
        } else {
            media::SIGSTORE_BUNDLE_V03.to_owned()
        };
        (path.clone(), bytes, media_type)
    } else if let Some(path) = &args.sbom {
        let (bytes, doc) = read_json_file(path)?;
        let media_type = if doc.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
            media::CYCLONEDX_JSON
        } else if doc.get("spdxVersion").is_some() {
            media::SPDX_JSON
        } else {
            bail!(
                "{} is neither a CycloneDX nor an SPDX JSON document",
                path.display()
            );
        };
        (path.clone(), bytes, media_type.to_owned())
    } else if let (Some(path), Some(t)) = (&args.file, &args.artifact_type) {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        (path.clone(), bytes, t.clone())
    } else {
        bail!("one of --bundle, --sbom or --file with --artifact-type is required");
    };
    let attached = attach_document(
        store.as_ref(),
        &subject,
        &bytes,
        &media_type,
        &file_title(&path),
        annotations,
    )?;
    let scheme = if attached.via_api {
        "referrers API"
    } else {
        "referrers tag index"
    };
    match global.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "subject": subject_digest,
            "referrer": attached.digest,
            "artifactType": media_type,
            "scheme": if attached.via_api { "referrers-api" } else { "tag-index" },
        }))?,
        OutputFormat::Text => print_bytes(
            format!(
                "{}@{} ({media_type}, {scheme})\n",
                reference.location(),
                attached.digest
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TreeNode {
    #[serde(flatten)]
    referrer: Referrer,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    referrers: Vec<TreeNode>,
}

fn tree(
    store: &dyn Store,
    subject: &Digest,
    tags: &[provenant_oci::Tag],
    filter: Option<&str>,
    depth: usize,
    seen: &mut Vec<Digest>,
) -> anyhow::Result<Vec<TreeNode>> {
    if depth > MAX_DISCOVER_DEPTH {
        return Ok(Vec::new());
    }
    let list = referrers::discover(store, subject, Some(tags))?;
    let list = if depth == 0 {
        referrers::filter_artifact_type(list, filter)
    } else {
        list
    };
    let mut out = Vec::new();
    for r in list {
        if seen.contains(&r.descriptor.digest) {
            continue;
        }
        seen.push(r.descriptor.digest);
        let children = tree(store, &r.descriptor.digest, tags, filter, depth + 1, seen)?;
        out.push(TreeNode {
            referrer: r,
            referrers: children,
        });
    }
    Ok(out)
}

fn render_tree(w: &mut impl Write, nodes: &[TreeNode], prefix: &str) -> std::io::Result<()> {
    for (i, n) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        let d = &n.referrer.descriptor;
        let schemes: Vec<String> = n
            .referrer
            .schemes
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        writeln!(
            w,
            "{prefix}{} {} {} [{}]{}",
            if last { "└──" } else { "├──" },
            d.artifact_type.as_deref().unwrap_or("(no artifact type)"),
            d.digest,
            schemes.join(", "),
            n.referrer
                .cosign_tag
                .as_deref()
                .map(|t| format!(" tag {t}"))
                .unwrap_or_default()
        )?;
        render_tree(
            w,
            &n.referrers,
            &format!("{prefix}{}", if last { "    " } else { "│   " }),
        )?;
    }
    Ok(())
}

fn discover(global: &GlobalArgs, args: &DiscoverArgs) -> anyhow::Result<Outcome> {
    let (reference, store, subject) = open_named_manifest(&args.reference, &args.registry)?;
    let tags = store.tags()?;
    let nodes = tree(
        store.as_ref(),
        &subject.digest,
        &tags,
        args.artifact_type.as_deref(),
        0,
        &mut Vec::new(),
    )?;
    match global.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "subject": { "reference": reference.location(), "digest": subject.digest, "mediaType": subject.media_type },
            "referrers": nodes,
        }))?,
        OutputFormat::Text => to_stdout(|w| {
            writeln!(w, "{}@{}", reference.location(), subject.digest)?;
            render_tree(w, &nodes, "")
        })?,
    }
    Ok(Outcome::Success)
}

#[allow(clippy::too_many_lines)] // one linear flow: resolve, group destinations, verify, promote, report
pub(crate) fn promote(global: &GlobalArgs, args: &PromoteArgs) -> anyhow::Result<Outcome> {
    let source = args.source.clone();
    let src_client = args.registry.client(args.src_creds.as_deref())?;
    let src = open_store(&source, &src_client, false)?;
    let digest = provenant_registry::resolve_digest(src.as_ref(), &source, tag_policy(args.resolve_tag))?;
    if source.digest().is_none() && global.output == OutputFormat::Text {
        eprintln!("resolved {source} to {digest}");
    }
    // Group destinations by location: several tags of one destination are written together.
    let mut destinations: Vec<(Reference, Vec<provenant_oci::Tag>)> = Vec::new();
    for d in &args.destinations {
        let r = d.clone();
        anyhow::ensure!(r.digest().is_none(), "destination {d} must not name a digest");
        if let Some((_, tags)) = destinations
            .iter_mut()
            .find(|(x, _)| x.location() == r.location())
        {
            tags.extend(r.tag().cloned());
        } else {
            let tags = r.tag().cloned().into_iter().collect();
            destinations.push((r, tags));
        }
    }
    let signer = &args.signer;
    let verifier: Box<dyn provenant_promote::Verifier> = if signer.key.is_some()
        || signer.certificate_identity.is_some()
        || signer.certificate_identity_regexp.is_some()
    {
        anyhow::ensure!(
            !args.no_referrers,
            "verification needs the bundles at the destination: drop --no-referrers"
        );
        Box::new(provenant_promote::EvidenceVerifier {
            policy: args.trust.policy(signer)?,
            required: match &args.attestation_type {
                Some(t) => provenant_promote::Required::Attestation(Some(t.clone())),
                None => provenant_promote::Required::Signature,
            },
        })
    } else {
        anyhow::ensure!(
            args.attestation_type.is_none(),
            "--attestation-type needs a signer (--key or --certificate-identity)"
        );
        Box::new(provenant_promote::NoVerification)
    };
    let dst_client = args.registry.client(args.dest_creds.as_deref())?;
    let mut reports = Vec::new();
    for (dst_ref, tags) in destinations {
        // Within one registry, one client serves both sides (so that mounts carry the source's scope).
        let same_registry = matches!((&source, &dst_ref), (Reference::Registry(a), Reference::Registry(b))
            if a.repository.registry() == b.repository.registry());
        let client = if same_registry { &src_client } else { &dst_client };
        let dst = open_store(&dst_ref, client, true)?;
        let options = provenant_promote::PromoteOptions {
            tags,
            concurrency: args.jobs,
            referrers: !args.no_referrers,
        };
        let result =
            provenant_promote::promote(src.as_ref(), &digest, dst.as_ref(), &options, verifier.as_ref());
        match result {
            Ok(report) => reports.push((dst_ref.location(), report)),
            Err(e) => {
                let (side, failure) = match &e {
                    provenant_promote::PromoteError::SourceVerification { source, .. } => ("source", source),
                    provenant_promote::PromoteError::DestinationVerification { source, .. } => {
                        ("destination", source)
                    }
                    _ => return Err(e.into()),
                };
                let skipped = skipped_names(&verifier.skipped());
                match global.output {
                    OutputFormat::Json => print_json(&with_skipped(
                        serde_json::json!({
                        "promoted": false,
                        "source": source.location(),
                        "digest": digest,
                        "destination": dst_ref.location(),
                        "failedAt": side,
                        "failure": failure,
                        "error": e.to_string(),
                        }),
                        &skipped,
                    ))?,
                    OutputFormat::Text => to_stdout(|w| {
                        writeln!(w, "FAILED: {e}")?;
                        write_skipped(w, &skipped)
                    })?,
                }
                return Ok(Outcome::Failure);
            }
        }
    }
    match global.output {
        OutputFormat::Json => print_json(&with_skipped(
            serde_json::json!({
            "promoted": true,
            "source": source.location(),
            "digest": digest,
            "resolvedFrom": source.digest().is_none().then(|| source.tag().map(ToString::to_string)).flatten(),
            "destinations": reports.iter().map(|(loc, r)| serde_json::json!({ "destination": loc, "report": r })).collect::<Vec<_>>(),
            }),
            &skipped_names(&verifier.skipped()),
        ))?,
        OutputFormat::Text => to_stdout(|w| {
            for (loc, r) in &reports {
                writeln!(
                    w,
                    "{loc}@{}\n  manifests: {} copied, {} skipped\n  blobs: {} copied ({} bytes), {} mounted ({} bytes), {} skipped\n  referrers carried: {}\n  tags: {}",
                    r.digest,
                    r.manifests_copied,
                    r.manifests_skipped,
                    r.blobs_copied,
                    r.bytes_copied,
                    r.blobs_mounted,
                    r.bytes_mounted,
                    r.blobs_skipped,
                    r.referrers.len(),
                    if r.tags.is_empty() {
                        "(none)".to_owned()
                    } else {
                        r.tags.join(", ")
                    }
                )?;
            }
            write_skipped(w, &skipped_names(&verifier.skipped()))
        })?,
    }
    Ok(Outcome::Success)
}
