//! `provenant verify-image`: verify a container image's SLSA provenance with slsa-verifier's
//! `verify-image` semantics and flags. The provenance file's format decides the verifier; today that is
//! Google Cloud Build's provenance summary (`gcloud artifacts docker images describe IMAGE
//! --show-provenance --format json`), verified offline against Cloud Build's public KMS keys.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::gcb::{self, GcbExpectations, GcbKeys, ImageReferenceError};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::print_json;

/// The largest provenance file read.
const MAX_PROVENANCE_BYTES: u64 = provenant_slsa::gcb::model::MAX_SUMMARY_BYTES as u64;

/// The largest public key file read from the key directory.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Arguments of `provenant verify-image`.
#[derive(Debug, Args)]
#[command(
    after_help = "IMAGE must be immutable: [REGISTRY/]REPOSITORY[:TAG]@sha256:HEX. The provenance is \
Google Cloud Build's provenance summary, as `gcloud artifacts docker images describe IMAGE \
--show-provenance --format json` prints it. Checks, in order, as slsa-verifier makes them: the builder id \
names Cloud Build; a signature verifies with the Cloud KMS key its key id names (--gcb-key-dir); the \
builder and build type; a subject has the image digest; the source; the entry's kind and resource URI; \
the image summary; the readable copy of the statement matches the signed one; the branch, tag or \
versioned tag. Exit status 0 verified, 1 a check failed (reported on stdout), 2 usage or runtime error."
)]
pub(crate) struct VerifyImageArgs {
    /// The image, by digest: `[REGISTRY/]REPOSITORY[:TAG]@sha256:HEX`.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// The provenance file: a Google Cloud Build provenance summary (JSON).
    #[arg(long, value_name = "FILE")]
    provenance_path: PathBuf,
    /// The expected source (`github.com/ORG/REPO`, a URL, or the `gs://` source of a GCS build).
    #[arg(long, value_name = "URI")]
    source_uri: String,
    /// The trusted builder: `https://cloudbuild.googleapis.com/GoogleHostedWorker`, optionally `@v0.2` or
    /// `@v0.3` to pin its version.
    #[arg(long, value_name = "URI")]
    builder_id: String,
    /// The branch the build must have run on (Cloud Build provenance does not record it: always fails).
    #[arg(long, value_name = "BRANCH")]
    source_branch: Option<String>,
    /// The exact tag the build must have run for.
    #[arg(long, value_name = "TAG", conflicts_with = "source_versioned_tag")]
    source_tag: Option<String>,
    /// A semantic version prefix the build's tag must match (`v1`, `v1.2`, `v1.2.3`).
    #[arg(long, value_name = "vX[.Y[.Z]]")]
    source_versioned_tag: Option<String>,
    /// A directory of Cloud Build's public keys, one PEM `<NAME>.key` per Cloud KMS key: the region
    /// (`us-west2.key`, `global.key`) for the `builtByGCB` keys, `global-pae-provenanceSigner_1.key` and
    /// `global-pae-google-hosted-worker_1.key` for the global ones (the layout slsa-verifier uses).
    #[arg(long, value_name = "DIR", env = "PROVENANT_GCB_KEY_DIR")]
    gcb_key_dir: Option<PathBuf>,
    /// Print the verified provenance statement (the signed payload) on stdout.
    #[arg(long)]
    print_provenance: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    verified: bool,
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicate_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance_entry: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn read_bounded(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= max,
        "{} is larger than {max} bytes",
        path.display()
    );
    Ok(bytes)
}

/// Reads every `*.key` of `dir` as a PEM public key named by its file stem.
fn read_gcb_keys(dir: &Path) -> anyhow::Result<GcbKeys> {
    let mut keys = GcbKeys::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the GCB key directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read the GCB key directory {}", dir.display()))?;
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("key") || !path.is_file() {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .with_context(|| format!("{}: the key's name is not UTF-8", path.display()))?;
        let text = String::from_utf8(read_bounded(&path, MAX_KEY_BYTES)?)
            .with_context(|| format!("{} is not a PEM file", path.display()))?;
        let key = provenant_keys::PublicKey::from_pem(&text)
            .with_context(|| format!("cannot read the public key {}", path.display()))?;
        keys.insert(name, key)
            .with_context(|| format!("cannot use {}", path.display()))?;
    }
    anyhow::ensure!(
        !keys.is_empty(),
        "{} holds no `<NAME>.key` public key (see docs/provenance.md, \"Google Cloud Build\")",
        dir.display()
    );
    Ok(keys)
}

/// Whether `bytes` is a Cloud Build provenance summary rather than another provenance format.
fn is_gcb_summary(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| o.contains_key("provenance_summary") || o.contains_key("image_summary"))
        })
        .unwrap_or(false)
}

pub(crate) fn verify_image(global: &GlobalArgs, args: &VerifyImageArgs) -> anyhow::Result<Outcome> {
    let mut report = Report {
        verified: false,
        image: args.image.clone(),
        builder_id: None,
        predicate_type: None,
        key: None,
        provenance_entry: None,
        failed_check: None,
        error: None,
    };
    // Like slsa-verifier, the image reference is checked first: a tag can move, a digest cannot.
    let image = match gcb::immutable_image_digest(&args.image) {
        Ok(d) => d,
        Err(e @ ImageReferenceError::Mutable { .. }) => {
            report.failed_check = Some("immutable-reference");
            report.error = Some(e.to_string());
            render(global, &report)?;
            return Ok(Outcome::Failure);
        }
        Err(e) => return Err(e.into()),
    };
    let provenance = read_bounded(&args.provenance_path, MAX_PROVENANCE_BYTES)?;
    anyhow::ensure!(
        is_gcb_summary(&provenance),
        "{} is not a Google Cloud Build provenance summary (`gcloud artifacts docker images describe IMAGE \
         --show-provenance --format json`); for provenance in a sigstore bundle, use `provenant \
         verify-provenance sha256:HEX --bundle FILE`",
        args.provenance_path.display()
    );
    let key_dir = args.gcb_key_dir.as_deref().context(
        "Google Cloud Build provenance is signed with Cloud Build's Cloud KMS keys: give their directory \
         with --gcb-key-dir (or PROVENANT_GCB_KEY_DIR); docs/provenance.md says how to fetch them",
    )?;
    let keys = read_gcb_keys(key_dir)?;
    let expected = GcbExpectations {
        image,
        source_uri: args.source_uri.clone(),
        builder_id: Some(args.builder_id.clone()),
        branch: args.source_branch.clone(),
        tag: args.source_tag.clone(),
        versioned_tag: args.source_versioned_tag.clone(),
    };
    let outcome = match gcb::verify_gcb(&provenance, &keys, &expected) {
        Ok(verified) => {
            if args.print_provenance {
                let statement: serde_json::Value =
                    serde_json::from_slice(&verified.payload).context("the verified payload is not JSON")?;
                print_json(&statement)?;
            }
            report.verified = true;
            report.builder_id = Some(verified.builder_id.to_string());
            report.predicate_type = Some(verified.statement.header().predicate_type.clone());
            report.key = Some(verified.key);
            report.provenance_entry = Some(verified.entry);
            Outcome::Success
        }
        Err(e) => {
            report.failed_check = Some(e.check());
            report.error = Some(e.to_string());
            Outcome::Failure
        }
    };
    render(global, &report)?;
    Ok(outcome)
}

fn render(global: &GlobalArgs, report: &Report) -> anyhow::Result<()> {
    match global.output {
        OutputFormat::Json => print_json(report)?,
        OutputFormat::Text => {
            let mut out = std::io::stdout().lock();
            if report.verified {
                writeln!(
                    out,
                    "Verified build using builder {} ({}), signed by Cloud Build key {:?}",
                    report.builder_id.as_deref().unwrap_or(""),
                    report.predicate_type.as_deref().unwrap_or(""),
                    report.key.as_deref().unwrap_or("")
                )?;
                writeln!(out, "PASSED: SLSA verification passed for {}", report.image)?;
            } else {
                writeln!(
                    out,
                    "FAILED: SLSA verification failed ({}): {}",
                    report.failed_check.unwrap_or(""),
                    report.error.as_deref().unwrap_or("")
                )?;
            }
        }
    }
    Ok(())
}
