//! `provenant verify-image`: verify a container image's SLSA provenance with slsa-verifier's
//! `verify-image` semantics and flags. The provenance file's format decides the verifier; today that is
//! Google Cloud Build's provenance summary (`gcloud artifacts docker images describe IMAGE
//! --show-provenance --format json`), verified offline against Cloud Build's public KMS keys.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::gcb::{self, GcbExpectations, GcbKeys, ImageReferenceError};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{RegistryArgs, TrustArgs};
use crate::output::{print_json, skipped_names, to_stdout, write_json, write_skipped};

/// The largest provenance file read.
const MAX_PROVENANCE_BYTES: u64 = provenant_slsa::gcb::model::MAX_SUMMARY_BYTES as u64;

/// The largest public key file read from the key directory.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Arguments of `provenant verify-image`.
#[derive(Debug, Args)]
#[command(
    after_help = "IMAGE must be immutable: [REGISTRY/]REPOSITORY[:TAG]@sha256:HEX, or oci:PATH@sha256:HEX.

With --provenance-path, the provenance is Google Cloud Build's provenance summary, as `gcloud artifacts \
docker images describe IMAGE --show-provenance --format json` prints it. Checks, in order, as slsa-verifier \
makes them: the builder id names Cloud Build; a signature verifies with the Cloud KMS key its key id names \
(--gcb-key-dir); the builder and build type; a subject has the image digest; the source; the entry's kind \
and resource URI; the image summary; the readable copy of the statement matches the signed one; the \
branch, tag or versioned tag.

Without it, the cosign attestations attached to the image (the SLSA GitHub generator's container \
workflow; cosign's .att tag, or a `cosign save` layout) are verified against --trusted-root with the \
--builder-id workflow as the certificate identity, then the provenance checks of verify-provenance run.

Exit status 0 verified, 1 a check failed (reported on stdout), 2 usage or runtime error."
)]
pub(crate) struct VerifyImageArgs {
    /// The image, by digest: `[REGISTRY/]REPOSITORY[:TAG]@sha256:HEX`.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// The provenance file: a Google Cloud Build provenance summary (JSON). Without it, the image's
    /// cosign attestations (SLSA GitHub generator) are read from its registry or OCI layout.
    #[arg(long, value_name = "FILE")]
    provenance_path: Option<PathBuf>,
    /// The expected source (`github.com/ORG/REPO`, a URL, or the `gs://` source of a GCS build).
    #[arg(long, value_name = "URI")]
    source_uri: String,
    /// The trusted builder: `https://cloudbuild.googleapis.com/GoogleHostedWorker`, optionally `@v0.2` or
    /// `@v0.3` to pin its version.
    #[arg(long, value_name = "URI")]
    builder_id: provenant_slsa::policy::BuilderId,
    /// The branch the build must have run on (Cloud Build provenance does not record it, so with
    /// --provenance-path this check always fails, as in slsa-verifier).
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
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    registry: RegistryArgs,
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
    attestation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Checks skipped by request (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: Vec<&'static str>,
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
        let text = String::from_utf8(super::read_bounded(&path, MAX_KEY_BYTES, "key")?)
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
        attestation: None,
        failed_check: None,
        error: None,
        skipped: skipped_names(&args.trust.skipped()),
    };
    // Like slsa-verifier, the image reference is checked first: a tag can move, a digest cannot.
    let image = match gcb::immutable_image_digest(&args.image) {
        Ok(d) => d,
        Err(e @ ImageReferenceError::Mutable { .. }) => {
            report.failed_check = Some("immutable-reference".to_owned());
            report.error = Some(e.to_string());
            to_stdout(|w| render(w, global.output, &report))?;
            return Ok(Outcome::Failure);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(provenance_path) = &args.provenance_path else {
        return verify_attested_image(global, args, image, report);
    };
    let provenance = super::read_bounded(provenance_path, MAX_PROVENANCE_BYTES, "provenance")?;
    anyhow::ensure!(
        is_gcb_summary(&provenance),
        "{} is not a Google Cloud Build provenance summary (`gcloud artifacts docker images describe IMAGE \
         --show-provenance --format json`); for provenance in a sigstore bundle, use `provenant \
         verify-provenance sha256:HEX --bundle FILE`, and for cosign attestations attached to the image, \
         leave out --provenance-path",
        provenance_path.display()
    );
    let key_dir = args.gcb_key_dir.as_deref().context(
        "Google Cloud Build provenance is signed with Cloud Build's Cloud KMS keys: give their directory \
         with --gcb-key-dir (or PROVENANT_GCB_KEY_DIR); docs/provenance.md says how to fetch them",
    )?;
    let keys = read_gcb_keys(key_dir)?;
    let expected = GcbExpectations {
        image,
        source_uri: args.source_uri.clone(),
        builder_id: Some(args.builder_id.to_string()),
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
            if provenant_slsa::gcb::source_uri(&verified.statement).is_ok_and(|u| u.starts_with("gs://")) {
                // As slsa-verifier warns: such a build has no version-controlled source to match.
                tracing::warn!(
                    "this build was not configured with a repository trigger: its source is a Cloud Storage \
                     archive, not a version-controlled repository"
                );
            }
            report.verified = true;
            report.builder_id = Some(verified.builder_id.to_string());
            report.predicate_type = Some(verified.statement.header().predicate_type.clone());
            report.key = Some(verified.key);
            report.provenance_entry = Some(verified.entry);
            Outcome::Success
        }
        Err(e) => {
            report.failed_check = Some(e.check().to_owned());
            report.error = Some(e.to_string());
            Outcome::Failure
        }
    };
    to_stdout(|w| render(w, global.output, &report))?;
    Ok(outcome)
}

fn render(w: &mut impl Write, output: OutputFormat, report: &Report) -> std::io::Result<()> {
    match output {
        OutputFormat::Json => write_json(w, report),
        OutputFormat::Text => {
            if report.verified {
                match (&report.key, &report.attestation) {
                    (Some(key), _) => writeln!(
                        w,
                        "Verified build using builder {} ({}), signed by Cloud Build key {key:?}",
                        report.builder_id.as_deref().unwrap_or(""),
                        report.predicate_type.as_deref().unwrap_or(""),
                    )?,
                    (None, attestation) => writeln!(
                        w,
                        "Verified build using builder {} ({}), attestation {}",
                        report.builder_id.as_deref().unwrap_or(""),
                        report.predicate_type.as_deref().unwrap_or(""),
                        attestation.as_deref().unwrap_or("")
                    )?,
                }
                writeln!(w, "PASSED: SLSA verification passed for {}", report.image)?;
            } else {
                writeln!(
                    w,
                    "FAILED: SLSA verification failed ({}): {}",
                    report.failed_check.as_deref().unwrap_or(""),
                    report.error.as_deref().unwrap_or("")
                )?;
            }
            write_skipped(w, &report.skipped)
        }
    }
}

/// The OIDC issuer of GitHub Actions, which certifies the SLSA GitHub generator's workflows.
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The cosign attestation manifests of `image` in `store`: the `sha256-<hex>.att` tag, and in an OCI
/// layout written by `cosign save`, the manifests its index marks as attestations.
fn attestation_manifests(
    store: &dyn provenant_registry::Store,
    reference: &provenant_oci::Reference,
    image: &provenant_digest::Digest,
) -> anyhow::Result<Vec<provenant_registry::FetchedManifest>> {
    use provenant_oci::{CosignKind, ManifestRef, cosign_tag};
    let mut found = Vec::new();
    // Only a tag the store does not have means "no attestation": a registry that cannot be reached or
    // answers with an error is a runtime error (exit 2), never a failed verification.
    let tag = cosign_tag(image, CosignKind::Attestation);
    match store.get_manifest(&ManifestRef::Tag(tag.clone())) {
        Ok(m) => found.push(m),
        Err(e) if e.is_not_found() => tracing::debug!(error = %e, "no cosign attestation tag"),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "cannot read the cosign attestation tag {tag} of {}",
                store.location()
            )));
        }
    }
    if let provenant_oci::Reference::Layout(l) = reference {
        let index = provenant_registry::layout::Layout::open(&l.path)?.index()?;
        for d in &index.manifests {
            let is_att = d
                .annotations
                .as_ref()
                .and_then(|a| a.get("kind"))
                .is_some_and(|k| k == "dev.cosignproject.cosign/atts");
            if is_att && !found.iter().any(|m| m.digest == d.digest) {
                found.push(store.get_manifest(&ManifestRef::Digest(d.digest))?);
            }
        }
    }
    Ok(found)
}

/// The SLSA GitHub generator's image provenance: the cosign attestations attached to the image,
/// each verified by the trust core (certificate of the builder's workflow, issued to GitHub Actions),
/// then the provenance checks of `verify-provenance`.
fn verify_attested_image(
    global: &GlobalArgs,
    args: &VerifyImageArgs,
    image: provenant_digest::Digest,
    mut report: Report,
) -> anyhow::Result<Outcome> {
    use provenant_provenance::Expectations;
    use provenant_sigstore::{IdentityPolicy, Policy, SanMatcher};

    let reference: provenant_oci::Reference = args.image.parse()?;
    // `NAME@vX.Y.Z` is the short form of the workflow's `NAME@refs/tags/vX.Y.Z`, as slsa-verifier reads it.
    let builder = args.builder_id.clone();
    let builder = match builder.version() {
        Some(v) if !v.starts_with("refs/") => format!("{}@refs/tags/{v}", builder.name()).parse()?,
        _ => builder,
    };
    let san = match builder.version() {
        Some(_) => format!("^{}$", regex_escape(&builder.to_string())),
        None => format!(
            "^{}@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$",
            regex_escape(builder.name())
        ),
    };
    let policy = Policy::Identity(IdentityPolicy::new(SanMatcher::regex(&san)?).with_issuer(GITHUB_ISSUER));
    let trust = args
        .trust
        .policy_for(provenant_evidence::Role::single("builder", policy))?;
    let expectations = Expectations {
        builder_id: builder,
        source: args.source_uri.parse()?,
        git_ref: crate::args::ref_expectation(
            args.source_branch.as_deref(),
            args.source_tag.as_deref(),
            args.source_versioned_tag.as_deref(),
        ),
        build_level: None,
        workflow_inputs: std::collections::BTreeMap::new(),
    };
    let client = args.registry.client(None)?;
    let store = provenant_registry::open_store(&reference, &client, false)?;
    let mut bundles = Vec::new();
    let mut unreadable = Vec::new();
    for manifest in attestation_manifests(store.as_ref(), &reference, &image)? {
        let provenant_oci::Manifest::Image(m) = &manifest.manifest else {
            continue;
        };
        for (i, layer) in m.layers.iter().enumerate() {
            if layer.media_type != provenant_provenance::cosign::DSSE_LAYER_MEDIA_TYPE {
                continue;
            }
            let name = format!("{}#{i}", manifest.digest);
            let envelope =
                provenant_registry::read_small_blob(store.as_ref(), &layer.digest, Some(layer.size))?;
            let annotations = layer.annotations.clone().unwrap_or_default();
            match provenant_provenance::cosign::bundle_from_cosign_layer(&envelope, &annotations) {
                Ok(bundle) => bundles.push((bundle, layer.digest, name)),
                Err(e) => unreadable.push(format!("{name}: {e}")),
            }
        }
    }
    if bundles.is_empty() {
        report.failed_check = Some("attestation".to_owned());
        report.error = Some(if unreadable.is_empty() {
            format!("no cosign attestation is attached to {}", args.image)
        } else {
            format!("no attestation can be verified: {}", unreadable.join("; "))
        });
        to_stdout(|w| render(w, global.output, &report))?;
        return Ok(Outcome::Failure);
    }
    let inputs = crate::shared::verification_inputs(&bundles);
    let outcome = match provenant_provenance::verify(
        trust.verifier(),
        trust.signer_policy(),
        &inputs,
        &image,
        &expectations,
    ) {
        Ok(passed) => {
            if args.print_provenance {
                print_json(&passed.statement)?;
            }
            report.verified = true;
            report.builder_id = Some(passed.builder_id.to_string());
            report.predicate_type = Some(passed.provenance.version().predicate_type().to_owned());
            report.attestation = inputs.get(passed.bundle_index).map(|i| i.name.clone());
            Outcome::Success
        }
        Err(e) => {
            report.failed_check = Some(e.check().to_string());
            report.error = Some(e.to_string());
            Outcome::Failure
        }
    };
    to_stdout(|w| render(w, global.output, &report))?;
    Ok(outcome)
}

/// `text` with every regular-expression metacharacter escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
