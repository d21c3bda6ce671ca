//! `provenant verify`, `provenant verify-attestation` and `provenant conformance`: sigstore bundles
//! checked offline against a trusted root.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_digest::Digest;
use provenant_oci::{ManifestRef, Reference};
use provenant_registry::{Store, open_store};
use provenant_sigstore::{
    Artifact, Bundle, FulcioExtension, IdentityPolicy, Policy, PublicKey, SanMatcher, TrustedRoot, Verified,
    Verifier, VerifyError,
};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::commands::attached;
use crate::commands::oci::RegistryArgs;
use crate::output::{print_bytes, print_json};

/// Largest artefact read into memory; larger ones are streamed.
const MAX_IN_MEMORY: u64 = 64 << 20;
/// Largest bundle, trusted root or key file read.
const MAX_DOCUMENT: u64 = 64 << 20;

const TRUSTED_ROOT_HELP: &str = "Provenant embeds no trusted root: give the trusted_root.json of the \
sigstore instance you trust with --trusted-root (or PROVENANT_TRUSTED_ROOT). Verification is always offline.";

/// Who signed: a public key, or a certificate identity (with its issuer and extensions).
#[derive(Debug, Args, Clone)]
pub(crate) struct SignerArgs {
    /// Public key (PEM) a keyed bundle must verify with.
    #[arg(long, value_name = "PUB", group = "signer")]
    pub(crate) key: Option<PathBuf>,
    /// The certificate's SAN (email or URI) must equal this.
    #[arg(long, value_name = "ID", group = "signer")]
    pub(crate) certificate_identity: Option<String>,
    /// The certificate's whole SAN must match this regular expression (anchored at both ends).
    #[arg(long, value_name = "RE", group = "signer")]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// The certificate's OIDC issuer extension must equal this.
    #[arg(long, value_name = "ISS", conflicts_with = "key")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// A Fulcio extension must equal a value: NAME=VALUE, NAME one of source-repository-uri,
    /// source-repository-ref, source-repository-digest, build-signer-uri, build-config-uri,
    /// build-trigger, runner-environment, … (repeatable).
    #[arg(long, value_name = "NAME=VALUE", conflicts_with = "key")]
    pub(crate) certificate_extension: Vec<String>,
}

/// Where the trust comes from.
#[derive(Debug, Args, Clone)]
pub(crate) struct TrustArgs {
    /// The `trusted_root.json` to verify against (required: none is embedded).
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Verify without network access. Provenant always does; accepted for cosign compatibility.
    #[arg(long)]
    pub(crate) offline: bool,
    /// DANGEROUS: accept a bundle without transparency-log evidence (for private instances that run no
    /// log); an RFC 3161 timestamp is then the only proof of the signing time.
    #[arg(long)]
    pub(crate) insecure_ignore_tlog: bool,
    /// DANGEROUS: accept a Fulcio certificate without a verified Signed Certificate Timestamp.
    #[arg(long)]
    pub(crate) insecure_ignore_sct: bool,
}

const IMAGE_HELP: &str = "An image reference by digest (registry/repo@sha256:… or oci:PATH@sha256:…) in place \
of the artefact needs no --bundle: the sigstore bundles attached to the image (referrers API, referrers tag \
index, cosign tags) are tried, and the first that verifies for the image digest is named; when none does, \
each candidate's reason is listed (exit 1). A tag is refused unless --resolve-tag.";

/// `provenant verify`.
#[derive(Debug, Args)]
#[command(after_help = format!("{TRUSTED_ROOT_HELP}\n\n{IMAGE_HELP}"))]
pub(crate) struct VerifyArgs {
    /// The artefact: a file, its digest as sha256:HEX, or an image (registry/repo@sha256:… or
    /// oci:PATH@sha256:…).
    #[arg(value_name = "FILE|sha256:HEX|IMAGE")]
    pub(crate) artifact: String,
    /// The sigstore bundle (v0.1, v0.2 or v0.3); for an image, default: the bundles attached to it.
    #[arg(long, value_name = "B")]
    pub(crate) bundle: Option<PathBuf>,
    /// Accept an image given by tag: resolve it once and verify that digest.
    #[arg(long)]
    pub(crate) resolve_tag: bool,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `provenant verify-attestation`.
#[derive(Debug, Args)]
#[command(after_help = format!("{TRUSTED_ROOT_HELP}\n\n{IMAGE_HELP}"))]
pub(crate) struct VerifyAttestationArgs {
    /// The subject: a file, its digest as sha256:HEX, or an image (registry/repo@sha256:… or
    /// oci:PATH@sha256:…).
    #[arg(value_name = "SUBJECT")]
    pub(crate) subject: String,
    /// The sigstore bundle holding a DSSE-signed in-toto statement; for an image, default: the
    /// bundles attached to it.
    #[arg(long, value_name = "B")]
    pub(crate) bundle: Option<PathBuf>,
    /// Accept an image given by tag: resolve it once and verify that digest.
    #[arg(long)]
    pub(crate) resolve_tag: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// The statement's predicateType must be this URI.
    #[arg(long = "type", value_name = "URI")]
    pub(crate) predicate_type: Option<String>,
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
}

/// `provenant conformance`: the sigstore-conformance CLI protocol.
#[derive(Debug, Args)]
pub(crate) struct ConformanceArgs {
    #[command(subcommand)]
    pub(crate) command: ConformanceCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConformanceCommand {
    /// verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL |
    /// --key PEM) [--trusted-root FILE] `FILE_OR_DIGEST`
    VerifyBundle(ConformanceVerifyArgs),
    /// sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root F]
    /// [--signing-config F] FILE
    SignBundle(ConformanceSignArgs),
}

/// `provenant conformance verify-bundle`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit 0 when the bundle verifies, 1 when it does not. Without --trusted-root the root \
comes from PROVENANT_TRUSTED_ROOT (or PROVENANT_STAGING_TRUSTED_ROOT with --staging): none is embedded."
)]
pub(crate) struct ConformanceVerifyArgs {
    /// Use the staging instance's trusted root (`PROVENANT_STAGING_TRUSTED_ROOT`).
    #[arg(long)]
    pub(crate) staging: bool,
    /// The bundle to verify.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// Expected SAN.
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "certificate_oidc_issuer",
        conflicts_with = "key"
    )]
    pub(crate) certificate_identity: Option<String>,
    /// Expected OIDC issuer.
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// PEM public key of a keyed bundle.
    #[arg(
        long,
        value_name = "PATH_TO_KEY",
        required_unless_present = "certificate_identity"
    )]
    pub(crate) key: Option<PathBuf>,
    /// A custom trusted root.
    #[arg(long, value_name = "TRUSTROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// The artefact path, or sha256:HEX.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub(crate) file_or_digest: String,
}

/// An artefact named on the command line.
enum Input {
    Path(PathBuf),
    Digest(Digest),
    Image(Reference),
}

/// `sha256:HEX` (or `sha512:HEX`) of the right length that is not a path on disk is a digest (the
/// conformance protocol's rule); an existing path is a file; `oci:…`, anything naming a digest with
/// `@`, or anything at all when no bundle is given, is an image reference; anything else is a path.
fn parse_input(s: &str, bundle_given: bool) -> anyhow::Result<Input> {
    if (s.starts_with("sha256:") || s.starts_with("sha512:"))
        && !Path::new(s).exists()
        && let Ok(d) = s.parse::<Digest>()
    {
        return Ok(Input::Digest(d));
    }
    if Path::new(s).exists() || (bundle_given && !s.starts_with("oci:") && !s.contains('@')) {
        return Ok(Input::Path(PathBuf::from(s)));
    }
    let reference = s
        .parse::<Reference>()
        .with_context(|| format!("{s:?} is neither a file, a digest (sha256:HEX) nor an image reference"))?;
    Ok(Input::Image(reference))
}

/// The image's store and digest; a tag is resolved only with `resolve_tag`.
fn open_image(
    reference: &Reference,
    resolve_tag: bool,
    registry: &RegistryArgs,
) -> anyhow::Result<(Box<dyn Store>, Digest)> {
    let client = registry.client(None)?;
    let store = open_store(reference, &client, false)?;
    let digest = match (reference.digest(), reference.tag()) {
        (Some(d), _) => *d,
        (None, Some(tag)) if resolve_tag => {
            let fetched = store.get_manifest(&ManifestRef::Tag(tag.clone()))?;
            tracing::info!(%tag, digest = %fetched.digest, "resolved the tag");
            fetched.digest
        }
        (None, Some(_)) => anyhow::bail!(
            "{reference} names a tag (or is not a file): verify an image by digest (…@sha256:…) or pass --resolve-tag"
        ),
        (None, None) => anyhow::bail!("{reference} names no digest"),
    };
    Ok((store, digest))
}

/// With a bundle given, an image stands for its digest.
fn image_as_digest(input: Input, resolve_tag: bool, registry: &RegistryArgs) -> anyhow::Result<Input> {
    Ok(match input {
        Input::Image(reference) => Input::Digest(open_image(&reference, resolve_tag, registry)?.1),
        other => other,
    })
}

/// The verifier of a command whose verification checks the signer's identity itself (npm packages,
/// GitHub attestations): the policy given only selects keyless trust material, so a trusted root is
/// required.
pub(crate) fn load_keyless_verifier(trust: &TrustArgs) -> anyhow::Result<Verifier> {
    let keyless = Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(String::new())));
    load_verifier(trust, &keyless)
}

pub(crate) fn load_verifier(trust: &TrustArgs, policy: &Policy) -> anyhow::Result<Verifier> {
    let root = match (trust.trusted_root.as_deref(), policy) {
        (Some(path), _) => TrustedRoot::from_json(&super::read_bounded(path, MAX_DOCUMENT, "trusted root")?)
            .with_context(|| format!("cannot use trusted root {}", path.display()))?,
        // A keyed bundle with the log waived needs no trust material but the key.
        (None, Policy::Key(_)) if trust.insecure_ignore_tlog => TrustedRoot::empty()?,
        (None, _) => anyhow::bail!("no trusted root: {TRUSTED_ROOT_HELP}"),
    };
    let mut verifier = Verifier::new(&root).context("cannot use the trusted root")?;
    if trust.insecure_ignore_tlog {
        tracing::warn!("--insecure-ignore-tlog: transparency-log evidence is NOT checked");
        verifier = verifier.dangerously_skip_transparency_log();
    }
    if trust.insecure_ignore_sct {
        tracing::warn!("--insecure-ignore-sct: the certificate's SCT is NOT checked");
        verifier = verifier.dangerously_skip_sct();
    }
    Ok(verifier)
}

pub(crate) fn build_policy(signer: &SignerArgs) -> anyhow::Result<Policy> {
    if let Some(key) = &signer.key {
        let pem = String::from_utf8(super::read_bounded(key, MAX_DOCUMENT, "public key")?)
            .with_context(|| format!("public key {} is not PEM text", key.display()))?;
        return Ok(Policy::Key(
            PublicKey::from_pem(&pem).with_context(|| format!("cannot use public key {}", key.display()))?,
        ));
    }
    let san = match (&signer.certificate_identity, &signer.certificate_identity_regexp) {
        (Some(id), _) => SanMatcher::Exact(id.clone()),
        (None, Some(re)) => {
            SanMatcher::regex(re).with_context(|| format!("invalid --certificate-identity-regexp {re:?}"))?
        }
        (None, None) => anyhow::bail!(
            "say who must have signed: --key PUB, --certificate-identity ID or --certificate-identity-regexp RE"
        ),
    };
    let mut policy = IdentityPolicy::new(san);
    if let Some(issuer) = &signer.certificate_oidc_issuer {
        policy = policy.with_issuer(issuer.clone());
    }
    for ext in &signer.certificate_extension {
        let (name, value) = ext
            .split_once('=')
            .with_context(|| format!("--certificate-extension {ext:?} is not NAME=VALUE"))?;
        let extension: FulcioExtension = name.parse().map_err(|e: String| anyhow::anyhow!(e))?;
        policy = policy.with_extension(extension, value);
    }
    Ok(Policy::Identity(policy))
}

/// Verifies; `Err(VerifyError)` is a verification failure (exit 1), an anyhow error a runtime one.
fn verify_input(
    verifier: &Verifier,
    input: &Input,
    bundle: &Bundle,
    policy: &Policy,
) -> anyhow::Result<Result<Verified, VerifyError>> {
    Ok(match input {
        Input::Digest(d) => verifier.verify(Artifact::Digest(*d), bundle, policy),
        Input::Image(r) => anyhow::bail!("{r} must be resolved to a digest first"),
        Input::Path(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open artefact {}", path.display()))?;
            let len = file.metadata().map_or(u64::MAX, |m| m.len());
            if len <= MAX_IN_MEMORY {
                let mut bytes = Vec::with_capacity(len as usize);
                file.take(MAX_IN_MEMORY + 1)
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("cannot read artefact {}", path.display()))?;
                verifier.verify(Artifact::Bytes(&bytes), bundle, policy)
            } else {
                verifier.verify_reader(std::io::BufReader::new(file), bundle, policy)
            }
        }
    })
}

#[derive(Serialize)]
struct Report<'a> {
    verified: bool,
    artifact: &'a str,
    bundle: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: BTreeMap<&'static str, String>,
    /// The older GitHub extensions the identity policy's extensions were checked against (early-2023
    /// certificates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    older_extensions_used: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrated_time: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified_times: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    log_entries: Vec<LogEntryReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<serde_json::Value>,
    /// For an image without --bundle: each attached bundle tried that did not verify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<CandidateReport>,
}

#[derive(Serialize)]
struct CandidateReport {
    referrer: String,
    schemes: String,
    check: &'static str,
    error: String,
}

#[derive(Serialize)]
struct LogEntryReport {
    kind: String,
    log_index: u64,
    log_id: String,
}

impl<'a> Report<'a> {
    fn new(artifact: &'a str, bundle: String) -> Report<'a> {
        Report {
            verified: false,
            artifact,
            bundle,
            check: None,
            error: None,
            identity: None,
            issuer: None,
            extensions: BTreeMap::new(),
            older_extensions_used: Vec::new(),
            integrated_time: None,
            verified_times: Vec::new(),
            log_entries: Vec::new(),
            statement: None,
            candidates: Vec::new(),
        }
    }

    fn fill(&mut self, v: &Verified) {
        self.verified = true;
        self.identity.clone_from(&v.identity);
        self.issuer.clone_from(&v.issuer);
        self.extensions = v
            .extensions
            .iter()
            .map(|(e, val)| (e.name(), val.clone()))
            .collect();
        self.older_extensions_used = v.older_extensions_used.iter().map(|e| e.name()).collect();
        self.integrated_time = v.integrated_time.map(|t| t.to_string());
        self.verified_times = v.verified_times.iter().map(ToString::to_string).collect();
        self.log_entries = v
            .log_entries
            .iter()
            .map(|e| LogEntryReport {
                kind: e.kind.to_string(),
                log_index: e.log_index,
                log_id: e.log_id.clone(),
            })
            .collect();
    }

    fn fail(&mut self, check: &'static str, error: String) {
        self.verified = false;
        self.check = Some(check);
        self.error = Some(error);
    }

    fn text(&self) -> String {
        let mut t = String::new();
        if self.verified {
            let _ = writeln!(t, "Verified OK: {} ({})", self.artifact, self.bundle);
            if let Some(id) = &self.identity {
                let _ = writeln!(t, "  identity: {id}");
            }
            if let Some(iss) = &self.issuer {
                let _ = writeln!(t, "  issuer: {iss}");
            }
            for (name, value) in &self.extensions {
                let _ = writeln!(t, "  {name}: {value}");
            }
            if !self.older_extensions_used.is_empty() {
                let _ = writeln!(
                    t,
                    "  the certificate predates the extensions asked for: checked against {}",
                    self.older_extensions_used.join(", ")
                );
            }
            for e in &self.log_entries {
                let _ = writeln!(
                    t,
                    "  log entry: {} index {} (log {})",
                    e.kind, e.log_index, e.log_id
                );
            }
            for time in &self.verified_times {
                let _ = writeln!(t, "  verified time: {time}");
            }
        } else {
            let _ = writeln!(
                t,
                "Verification FAILED: {} ({}): {}",
                self.artifact,
                self.bundle,
                self.error.as_deref().unwrap_or("unknown error")
            );
            for c in &self.candidates {
                let _ = writeln!(
                    t,
                    "  referrer {} ({}): {}: {}",
                    c.referrer, c.schemes, c.check, c.error
                );
            }
        }
        t
    }
}

fn render(global: &GlobalArgs, report: &Report<'_>) -> anyhow::Result<Outcome> {
    match global.output {
        OutputFormat::Json => print_json(report)?,
        OutputFormat::Text => print_bytes(report.text().as_bytes())?,
    }
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Parses the bundle; a malformed bundle is a verification failure, not a usage error.
fn load_bundle(path: &Path) -> anyhow::Result<Result<Bundle, String>> {
    let data = super::read_bounded(path, MAX_DOCUMENT, "bundle")?;
    Ok(Bundle::from_json(&data).map_err(|e| e.to_string()))
}

pub(crate) fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let policy = build_policy(&args.signer)?;
    let verifier = load_verifier(&args.trust, &policy)?;
    let input = parse_input(&args.artifact, args.bundle.is_some())?;
    let Some(bundle_path) = &args.bundle else {
        let image = ImageCheck::attached_to(
            &input,
            "artefact",
            args.resolve_tag,
            &args.registry,
            &verifier,
            &policy,
        )?;
        return verify_image(global, &image, Want::Signature);
    };
    let input = image_as_digest(input, args.resolve_tag, &args.registry)?;
    let mut report = Report::new(&args.artifact, bundle_path.display().to_string());
    match load_bundle(bundle_path)? {
        Err(e) => report.fail("bundle", e),
        Ok(bundle) => match verify_input(&verifier, &input, &bundle, &policy)? {
            Ok(v) => report.fill(&v),
            Err(e) => report.fail(e.check(), e.to_string()),
        },
    }
    render(global, &report)
}

pub(crate) fn verify_attestation(
    global: &GlobalArgs,
    args: &VerifyAttestationArgs,
) -> anyhow::Result<Outcome> {
    let policy = build_policy(&args.signer)?;
    let verifier = load_verifier(&args.trust, &policy)?;
    let input = parse_input(&args.subject, args.bundle.is_some())?;
    let Some(bundle_path) = &args.bundle else {
        let image = ImageCheck::attached_to(
            &input,
            "subject",
            args.resolve_tag,
            &args.registry,
            &verifier,
            &policy,
        )?;
        return verify_image(global, &image, Want::Attestation(args.predicate_type.as_deref()));
    };
    let input = image_as_digest(input, args.resolve_tag, &args.registry)?;
    let mut report = Report::new(&args.subject, bundle_path.display().to_string());
    let bundle = match load_bundle(bundle_path)? {
        Ok(b) => b,
        Err(e) => {
            report.fail("bundle", e);
            return render(global, &report);
        }
    };
    if bundle.dsse_payload().is_none() {
        report.fail(
            "bundle",
            "the bundle holds a message signature, not a DSSE-signed attestation".into(),
        );
        return render(global, &report);
    }
    let outcome = match verify_input(&verifier, &input, &bundle, &policy)? {
        Ok(v) => v,
        Err(e) => {
            report.fail(e.check(), e.to_string());
            return render(global, &report);
        }
    };
    report.fill(&outcome);
    match check_statement(&outcome, args.predicate_type.as_deref()) {
        Ok(statement) => report.statement = Some(statement),
        Err(e) => report.fail(e.check(), e.to_string()),
    }
    match (global.output, &report.statement) {
        (OutputFormat::Text, Some(_)) if report.verified => {
            // The statement exactly as signed.
            let mut text = report.text().into_bytes();
            if let Some((_, payload)) = &outcome.dsse {
                text.extend_from_slice(payload);
                if !payload.ends_with(b"\n") {
                    text.push(b'\n');
                }
            }
            print_bytes(&text)?;
            Ok(Outcome::Success)
        }
        _ => render(global, &report),
    }
}

/// What an attached bundle must be.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// Any signature over the image digest (message signature or DSSE).
    Signature,
    /// A DSSE in-toto attestation, of this predicate type when given.
    Attestation(Option<&'a str>),
}

/// An image whose attached bundles are tried.
struct ImageCheck<'a> {
    reference: &'a Reference,
    resolve_tag: bool,
    registry: &'a RegistryArgs,
    verifier: &'a Verifier,
    policy: &'a Policy,
}

impl<'a> ImageCheck<'a> {
    /// Without `--bundle`, the bundles attached to the image `input` names are checked; `what` names the
    /// positional argument in the error when it is not an image.
    fn attached_to(
        input: &'a Input,
        what: &str,
        resolve_tag: bool,
        registry: &'a crate::commands::oci::RegistryArgs,
        verifier: &'a Verifier,
        policy: &'a Policy,
    ) -> anyhow::Result<ImageCheck<'a>> {
        let Input::Image(reference) = input else {
            anyhow::bail!("--bundle is needed unless the {what} is an image reference");
        };
        Ok(ImageCheck {
            reference,
            resolve_tag,
            registry,
            verifier,
            policy,
        })
    }
}

/// One attached bundle checked for the image digest (and, for an attestation, as an in-toto
/// statement of the wanted predicate type); `Err` names the failed check and why.
fn check_attached(
    image: &ImageCheck<'_>,
    digest: &Digest,
    bundle: &Bundle,
    want: Want<'_>,
) -> Result<(Verified, Option<serde_json::Value>), (&'static str, String)> {
    if matches!(want, Want::Attestation(_)) && bundle.dsse_payload().is_none() {
        return Err((
            "bundle",
            "the bundle holds a message signature, not a DSSE-signed attestation".into(),
        ));
    }
    let verified = image
        .verifier
        .verify(Artifact::Digest(*digest), bundle, image.policy)
        .map_err(|e| (e.check(), e.to_string()))?;
    let statement = match want {
        Want::Signature => None,
        Want::Attestation(t) => Some(check_statement(&verified, t).map_err(|e| (e.check(), e.to_string()))?),
    };
    Ok((verified, statement))
}

/// `verify`/`verify-attestation` of an image without --bundle: the first attached bundle that
/// verifies for the image digest wins; otherwise every candidate's reason is reported (exit 1).
fn verify_image(global: &GlobalArgs, image: &ImageCheck<'_>, want: Want<'_>) -> anyhow::Result<Outcome> {
    let (store, digest) = open_image(image.reference, image.resolve_tag, image.registry)?;
    let artifact = format!("{}@{digest}", image.reference.location());
    let candidates = attached::bundle_referrers(store.as_ref(), &digest)?;
    let mut failed = Vec::new();
    for r in &candidates {
        let referrer = r.descriptor.digest.to_string();
        let schemes = attached::schemes(r);
        let result = attached::read_bundle(store.as_ref(), &r.descriptor.digest)
            .map_err(|e| ("bundle", e))
            .and_then(|bundle| check_attached(image, &digest, &bundle, want).map(|ok| (bundle, ok)));
        match result {
            Ok((_, (verified, statement))) => {
                let mut report = Report::new(&artifact, format!("referrer {referrer} ({schemes})"));
                report.fill(&verified);
                if global.output == OutputFormat::Text
                    && statement.is_some()
                    && let Some((_, payload)) = &verified.dsse
                {
                    // The statement exactly as signed.
                    let mut text = report.text().into_bytes();
                    text.extend_from_slice(payload);
                    if !payload.ends_with(b"\n") {
                        text.push(b'\n');
                    }
                    print_bytes(&text)?;
                    return Ok(Outcome::Success);
                }
                report.statement = statement;
                return render(global, &report);
            }
            Err((check, error)) => failed.push(CandidateReport {
                referrer,
                schemes,
                check,
                error,
            }),
        }
    }
    let what = if matches!(want, Want::Attestation(_)) {
        "DSSE attestation"
    } else {
        "sigstore bundle"
    };
    let mut report = Report::new(&artifact, format!("attached to {}", store.location()));
    if candidates.is_empty() {
        report.fail(
            "referrers",
            "no sigstore bundle is attached to the image".to_owned(),
        );
    } else {
        report.fail(
            "referrers",
            format!(
                "none of the {} {what}(s) attached verified for {digest}",
                candidates.len()
            ),
        );
    }
    report.candidates = failed;
    render(global, &report)
}

/// The verified payload must be an in-toto Statement v1 (of the required predicate type).
fn check_statement(verified: &Verified, want_type: Option<&str>) -> Result<serde_json::Value, VerifyError> {
    let Some((payload_type, payload)) = &verified.dsse else {
        return Err(VerifyError::UnsupportedBundle {
            detail: "no DSSE payload".into(),
        });
    };
    if payload_type != provenant_sigstore::IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::UnsupportedBundle {
            detail: format!(
                "DSSE payloadType is {payload_type:?}, not {}",
                provenant_sigstore::IN_TOTO_PAYLOAD_TYPE
            ),
        });
    }
    let statement: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| VerifyError::UnsupportedBundle {
            detail: format!("the payload is not a JSON statement: {e}"),
        })?;
    let statement_type = statement
        .get("_type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    if !matches!(
        statement_type,
        "https://in-toto.io/Statement/v1" | "https://in-toto.io/Statement/v0.1"
    ) {
        return Err(VerifyError::UnsupportedBundle {
            detail: format!(
                "the payload's _type {statement_type:?} is not an in-toto Statement (v1 or v0.1)"
            ),
        });
    }
    let got = statement
        .get("predicateType")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    if let Some(want) = want_type
        && got != want
    {
        return Err(VerifyError::PredicateTypeMismatch {
            got: got.to_owned(),
            want: want.to_owned(),
        });
    }
    Ok(statement)
}

pub(crate) fn conformance(global: &GlobalArgs, args: &ConformanceArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        ConformanceCommand::VerifyBundle(a) => conformance_verify(global, a),
        ConformanceCommand::SignBundle(a) => conformance_sign(global, a),
    }
}

fn conformance_verify(global: &GlobalArgs, args: &ConformanceVerifyArgs) -> anyhow::Result<Outcome> {
    let env_root = if args.staging {
        "PROVENANT_STAGING_TRUSTED_ROOT"
    } else {
        "PROVENANT_TRUSTED_ROOT"
    };
    let root = args
        .trusted_root
        .clone()
        .or_else(|| std::env::var_os(env_root).map(PathBuf::from));
    let signer = SignerArgs {
        key: args.key.clone(),
        certificate_identity: args.certificate_identity.clone(),
        certificate_identity_regexp: None,
        certificate_oidc_issuer: args.certificate_oidc_issuer.clone(),
        certificate_extension: Vec::new(),
    };
    let verify_args = VerifyArgs {
        artifact: args.file_or_digest.clone(),
        bundle: Some(args.bundle.clone()),
        resolve_tag: false,
        registry: RegistryArgs::default(),
        signer,
        trust: TrustArgs {
            trusted_root: root,
            offline: true,
            insecure_ignore_tlog: false,
            insecure_ignore_sct: false,
        },
    };
    // A key or trusted root the suite hands over that cannot be used is a rejection too.
    match verify(global, &verify_args) {
        Ok(outcome) => Ok(outcome),
        Err(e) if verify_args.trust.trusted_root.is_some() => {
            let mut report = Report::new(&args.file_or_digest, args.bundle.display().to_string());
            report.fail("input", format!("{e:#}"));
            render(global, &report)
        }
        Err(e) => Err(e),
    }
}

/// Production public-good endpoints, used when neither flags nor a signing config name the services.
const PUBLIC_GOOD_FULCIO: &str = "https://fulcio.sigstore.dev";
const PUBLIC_GOOD_REKOR: &str = "https://rekor.sigstore.dev";
const STAGING_FULCIO: &str = "https://fulcio.sigstage.dev";
const STAGING_REKOR: &str = "https://rekor.sigstage.dev";

/// Keyless signing services and identity.
#[derive(Debug, Args, Clone)]
pub(crate) struct KeylessArgs {
    /// OIDC identity token, or a file holding one (else `SIGSTORE_ID_TOKEN`, else GitHub Actions'
    /// ambient token).
    #[arg(long, value_name = "T", env = "SIGSTORE_ID_TOKEN", hide_env_values = true)]
    pub(crate) identity_token: Option<String>,
    /// Fulcio URL (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) fulcio_url: Option<String>,
    /// Rekor URL (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) rekor_url: Option<String>,
    /// Rekor API version of --rekor-url.
    #[arg(long, value_name = "1|2", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub(crate) rekor_version: u8,
    /// RFC 3161 timestamp authority endpoint (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) timestamp_server_url: Option<String>,
    /// A sigstore signing config (or client trust config) naming the services.
    #[arg(long, value_name = "F")]
    pub(crate) signing_config: Option<PathBuf>,
}

/// `provenant sign`.
#[derive(Debug, Args)]
#[command(
    after_help = "Keyless: the identity token buys a short-lived Fulcio certificate for a fresh key; \
the signature is logged in Rekor and, with a timestamp authority, timestamped. Without --signing-config or \
URLs, the public-good instance is used. The bundle is written as v0.3."
)]
pub(crate) struct SignArgs {
    /// The file to sign.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Sign with this key (cosign's encrypted format or PKCS#8/SEC1 PEM) instead of keylessly; the
    /// bundle then names the key by a hint and carries no log entry.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: PathBuf,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
}

pub(crate) fn services(k: &KeylessArgs, staging: bool) -> anyhow::Result<provenant_sigstore_sign::Services> {
    use provenant_sigstore_sign::{RekorVersion, Services};
    let mut s = match &k.signing_config {
        Some(path) => {
            Services::from_signing_config(&super::read_bounded(path, MAX_DOCUMENT, "signing config")?)
                .with_context(|| format!("cannot use signing config {}", path.display()))?
        }
        None if staging => Services::new(STAGING_FULCIO, STAGING_REKOR),
        None => Services::new(PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR),
    };
    if let Some(u) = &k.fulcio_url {
        s = s.with_fulcio(u.clone());
    }
    if let Some(u) = &k.rekor_url {
        let version = if k.rekor_version == 2 {
            RekorVersion::V2
        } else {
            RekorVersion::V1
        };
        s = s.with_rekor(u.clone(), version);
    }
    if let Some(u) = &k.timestamp_server_url {
        s = s.with_tsa(u.clone());
    }
    Ok(s)
}

/// `--identity-token` takes the token itself or, as cosign does, a file holding it.
fn token_or_file(value: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let looks_like_jwt = value.trim().split('.').count() == 3 && !value.contains('/');
    if !looks_like_jwt && Path::new(value).is_file() {
        let bytes = super::read_bounded(Path::new(value), MAX_DOCUMENT, "identity token file")?;
        let text = String::from_utf8(bytes).context("the identity token file is not text")?;
        return Ok(zeroize::Zeroizing::new(text.trim().to_owned()));
    }
    Ok(zeroize::Zeroizing::new(value.to_owned()))
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[derive(Serialize)]
struct SignReport {
    bundle: String,
    identity: String,
    issuer: String,
    log_entries: Vec<LogEntryReport>,
    rfc3161_timestamps: usize,
}

fn sign_keyless(
    global: &GlobalArgs,
    keyless: &KeylessArgs,
    staging: bool,
    payload: Payload<'_>,
    out: &Path,
) -> anyhow::Result<Outcome> {
    let services = services(keyless, staging)?;
    let explicit_token = keyless.identity_token.as_deref().map(token_or_file).transpose()?;
    let rt = runtime()?;
    let bundle = rt.block_on(async {
        let token =
            provenant_sigstore_sign::IdentityToken::resolve(explicit_token.as_deref().map(String::as_str))
                .await?;
        tracing::info!(
            identity = token.identity(),
            issuer = token.issuer(),
            "signing keylessly"
        );
        let signer = provenant_sigstore_sign::KeylessSigner::new(services, &token);
        let bundle = match payload {
            Payload::File(path) => {
                let file =
                    std::fs::File::open(path).map_err(|e| provenant_sigstore_sign::SignError::Artifact {
                        detail: format!("{}: {e}", path.display()),
                    })?;
                Box::pin(signer.sign_reader(std::io::BufReader::new(file))).await?
            }
            Payload::Statement(bytes) => signer.sign_statement(bytes).await?,
        };
        Ok::<_, provenant_sigstore_sign::SignError>((
            bundle,
            token.identity().to_owned(),
            token.issuer().to_owned(),
        ))
    });
    let (bundle, identity, issuer) = bundle?;
    let json = bundle.to_json_v0_3()?;
    write_atomically(out, &json)?;
    let report = SignReport {
        bundle: out.display().to_string(),
        identity,
        issuer,
        log_entries: bundle
            .log_entries()
            .iter()
            .map(|e| LogEntryReport {
                kind: e.kind.to_string(),
                log_index: e.log_index,
                log_id: e.log_id.clone(),
            })
            .collect(),
        rfc3161_timestamps: bundle.rfc3161_timestamp_count(),
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let mut t = format!(
                "Wrote {} (signed as {}, issuer {})\n",
                report.bundle, report.identity, report.issuer
            );
            for e in &report.log_entries {
                let _ = writeln!(
                    t,
                    "  log entry: {} index {} (log {})",
                    e.kind, e.log_index, e.log_id
                );
            }
            print_bytes(t.as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}

/// Signs a statement keylessly (for `provenant attest`).
pub(crate) fn sign_statement_keyless(
    global: &GlobalArgs,
    keyless: &KeylessArgs,
    statement: &[u8],
    out: &Path,
) -> anyhow::Result<Outcome> {
    sign_keyless(global, keyless, false, Payload::Statement(statement), out)
}

#[derive(Serialize)]
struct KeyedSignReport {
    bundle: String,
    key_hint: String,
    key_kind: String,
    content: &'static str,
}

/// Signs `payload` with a local key: a statement in a DSSE envelope, or an artefact's bytes.
pub(crate) fn sign_keyed(
    global: &GlobalArgs,
    key_path: &Path,
    payload: &[u8],
    statement: bool,
    out: &Path,
) -> anyhow::Result<Outcome> {
    use provenant_sigstore_sign::keyed;
    let key = crate::commands::keys::load_signing_key(key_path)?;
    let bundle = if statement {
        keyed::sign_statement(&key, payload)?
    } else {
        keyed::sign_blob(&key, payload)?
    };
    write_atomically(out, &bundle.to_json_v0_3()?)?;
    let report = KeyedSignReport {
        bundle: out.display().to_string(),
        key_hint: keyed::key_hint(&key)?,
        key_kind: key.kind().name().to_owned(),
        content: if statement {
            "dsseEnvelope"
        } else {
            "messageSignature"
        },
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_bytes(
            format!(
                "Wrote {} ({}, signed with {} key {}; no transparency-log entry)\n",
                report.bundle, report.content, report.key_kind, report.key_hint
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

#[derive(Clone, Copy)]
enum Payload<'a> {
    File(&'a Path),
    Statement(&'a [u8]),
}

/// Writes `bytes` to `path` through a temporary file in the same directory, so a reader never sees a
/// half-written bundle.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn sign(global: &GlobalArgs, args: &SignArgs) -> anyhow::Result<Outcome> {
    if let Some(key) = &args.key {
        let bytes =
            std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
        return sign_keyed(global, key, &bytes, false, &args.bundle);
    }
    sign_keyless(
        global,
        &args.keyless,
        false,
        Payload::File(&args.file),
        &args.bundle,
    )
}

/// `provenant conformance sign-bundle`.
#[derive(Debug, Args)]
pub(crate) struct ConformanceSignArgs {
    /// Use the staging instance.
    #[arg(long)]
    pub(crate) staging: bool,
    /// FILE is an in-toto statement to sign in a DSSE envelope.
    #[arg(long)]
    pub(crate) in_toto: bool,
    /// The OIDC identity token.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) identity_token: String,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: PathBuf,
    /// A custom trusted root (accepted for the protocol; signing needs only the signing config).
    #[arg(long, value_name = "TRUSTROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// A custom signing config.
    #[arg(long, value_name = "SIGNINGCONFIG")]
    pub(crate) signing_config: Option<PathBuf>,
    /// The artefact (or statement) to sign.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

fn conformance_sign(global: &GlobalArgs, args: &ConformanceSignArgs) -> anyhow::Result<Outcome> {
    let keyless = KeylessArgs {
        identity_token: Some(args.identity_token.clone()),
        fulcio_url: None,
        rekor_url: None,
        rekor_version: 1,
        timestamp_server_url: None,
        signing_config: args.signing_config.clone(),
    };
    let statement;
    let payload = if args.in_toto {
        statement = super::read_bounded(&args.file, MAX_DOCUMENT, "statement")?;
        Payload::Statement(&statement)
    } else {
        Payload::File(&args.file)
    };
    sign_keyless(global, &keyless, args.staging, payload, &args.bundle)
}
