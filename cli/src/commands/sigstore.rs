//! `provenant verify`, `provenant verify-attestation` and `provenant conformance`: sigstore bundles
//! checked offline against a trusted root.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_digest::Digest;
use provenant_evidence::attached::{self, Want};
use provenant_evidence::{
    EvidenceBundle, EvidenceError, Signer, TrustPolicy, VerifiedSignature, VerifiedStatement,
};
use provenant_oci::Reference;
use provenant_registry::{Store, open_store};
use provenant_sigstore::Artifact;
use serde::Serialize;

use crate::Outcome;
use crate::args::{
    GlobalArgs, KeylessArgs, OutputFormat, RegistryArgs, SignerArgs, TRUSTED_ROOT_HELP, TrustArgs,
};
use crate::output::{self, LogEntryReport, print_json};

/// Largest artefact read into memory; larger ones are streamed.
const MAX_IN_MEMORY: u64 = 64 << 20;
/// Largest bundle, trusted root or key file read.
const MAX_DOCUMENT: u64 = 64 << 20;

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
    let tags = if resolve_tag {
        provenant_registry::TagPolicy::ResolveOnce
    } else {
        provenant_registry::TagPolicy::Refuse
    };
    let digest = provenant_registry::resolve_digest(store.as_ref(), reference, tags)
        .with_context(|| format!("{reference} is not a file"))?;
    Ok((store, digest))
}

/// With a bundle given, an image stands for its digest.
fn image_as_digest(input: Input, resolve_tag: bool, registry: &RegistryArgs) -> anyhow::Result<Input> {
    Ok(match input {
        Input::Image(reference) => Input::Digest(open_image(&reference, resolve_tag, registry)?.1),
        other => other,
    })
}

/// Verifies the signature for the input; `Err(EvidenceError)` is a verification failure (exit 1), an
/// anyhow error a runtime one.
fn verify_input(
    policy: &TrustPolicy,
    input: &Input,
    bundle: &EvidenceBundle,
) -> anyhow::Result<Result<VerifiedSignature, EvidenceError>> {
    let result = match input {
        Input::Digest(d) => policy.verify_signature(Artifact::Digest(*d), bundle),
        Input::Image(r) => anyhow::bail!("{r} must be resolved to a digest first"),
        Input::Path(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open artefact {}", path.display()))?;
            let len = file.metadata().map_or(u64::MAX, |m| m.len());
            if len <= MAX_IN_MEMORY {
                let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                file.take(MAX_IN_MEMORY + 1)
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("cannot read artefact {}", path.display()))?;
                policy.verify_signature(Artifact::Bytes(&bytes), bundle)
            } else {
                policy.verify_signature_reader(std::io::BufReader::new(file), bundle)
            }
        }
    };
    match result {
        // Missing trust material is a usage error, not a verdict on the bundle.
        Err(EvidenceError::NoTrustedRoot) => anyhow::bail!("no trusted root: {TRUSTED_ROOT_HELP}"),
        other => Ok(other),
    }
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
    /// Checks the trust policy skipped (`transparency-log`, `sct`): a verification that skipped one
    /// says so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<&'static str>,
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
            skipped: Vec::new(),
            statement: None,
            candidates: Vec::new(),
        }
    }

    /// The report of a verification under `policy`, listing the checks it skips even when it fails.
    fn skipping(mut self, policy: &TrustPolicy) -> Self {
        self.skipped = crate::output::skipped_names(&policy.skipped());
        self
    }

    fn fill(&mut self, signature: &VerifiedSignature) {
        let v = &signature.verified;
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
        self.log_entries = v.log_entries.iter().map(LogEntryReport::from).collect();
        self.skipped = signature.skipped.iter().map(|c| c.name()).collect();
    }

    fn fill_statement(&mut self, statement: &VerifiedStatement) {
        self.fill(&statement.signature);
        self.statement = serde_json::to_value(&statement.statement).ok();
    }

    fn fail(&mut self, error: &EvidenceError) {
        self.fail_with(error.check().name(), error.to_string());
    }

    fn fail_with(&mut self, check: &'static str, error: String) {
        self.verified = false;
        self.check = Some(check);
        self.error = Some(error);
    }

    fn render_text(&self, w: &mut impl Write) -> std::io::Result<()> {
        if self.verified {
            writeln!(w, "Verified OK: {} ({})", self.artifact, self.bundle)?;
            if let Some(id) = &self.identity {
                writeln!(w, "  identity: {id}")?;
            }
            if let Some(iss) = &self.issuer {
                writeln!(w, "  issuer: {iss}")?;
            }
            for (name, value) in &self.extensions {
                writeln!(w, "  {name}: {value}")?;
            }
            if !self.older_extensions_used.is_empty() {
                writeln!(
                    w,
                    "  the certificate predates the extensions asked for: checked against {}",
                    self.older_extensions_used.join(", ")
                )?;
            }
            for e in &self.log_entries {
                writeln!(
                    w,
                    "  log entry: {} index {} (log {})",
                    e.kind, e.log_index, e.log_id
                )?;
            }
            for time in &self.verified_times {
                writeln!(w, "  verified time: {time}")?;
            }
        } else {
            writeln!(
                w,
                "Verification FAILED: {} ({}): {}",
                self.artifact,
                self.bundle,
                self.error.as_deref().unwrap_or("unknown error")
            )?;
            for c in &self.candidates {
                writeln!(
                    w,
                    "  referrer {} ({}): {}: {}",
                    c.referrer, c.schemes, c.check, c.error
                )?;
            }
        }
        output::write_skipped(w, &self.skipped)
    }

    /// The text report followed by the statement exactly as signed.
    fn render_with_payload(&self, w: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
        self.render_text(w)?;
        w.write_all(payload)?;
        if !payload.ends_with(b"\n") {
            writeln!(w)?;
        }
        Ok(())
    }
}

fn render(global: &GlobalArgs, report: &Report<'_>) -> anyhow::Result<Outcome> {
    match global.output {
        OutputFormat::Json => print_json(report)?,
        OutputFormat::Text => output::to_stdout(|w| report.render_text(w))?,
    }
    Ok(if report.verified {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Parses the bundle; a malformed bundle is a verification failure, not a usage error.
fn load_bundle(path: &Path) -> anyhow::Result<Result<EvidenceBundle, EvidenceError>> {
    let data = super::read_bounded(path, MAX_DOCUMENT, "bundle")?;
    Ok(EvidenceBundle::from_json(&data))
}

pub(crate) fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let policy = args.trust.policy(&args.signer)?;
    let input = parse_input(&args.artifact, args.bundle.is_some())?;
    let Some(bundle_path) = &args.bundle else {
        let image = ImageCheck::attached_to(&input, "artefact", args.resolve_tag, &args.registry, &policy)?;
        return verify_image(global, &image, Want::Signature);
    };
    let input = image_as_digest(input, args.resolve_tag, &args.registry)?;
    let mut report = Report::new(&args.artifact, bundle_path.display().to_string()).skipping(&policy);
    match load_bundle(bundle_path)? {
        Err(e) => report.fail(&e),
        Ok(bundle) => match verify_input(&policy, &input, &bundle)? {
            Ok(v) => report.fill(&v),
            Err(e) => report.fail(&e),
        },
    }
    render(global, &report)
}

pub(crate) fn verify_attestation(
    global: &GlobalArgs,
    args: &VerifyAttestationArgs,
) -> anyhow::Result<Outcome> {
    let policy = args.trust.policy(&args.signer)?;
    let input = parse_input(&args.subject, args.bundle.is_some())?;
    let Some(bundle_path) = &args.bundle else {
        let image = ImageCheck::attached_to(&input, "subject", args.resolve_tag, &args.registry, &policy)?;
        return verify_image(global, &image, Want::Attestation(args.predicate_type.as_deref()));
    };
    let input = image_as_digest(input, args.resolve_tag, &args.registry)?;
    let mut report = Report::new(&args.subject, bundle_path.display().to_string()).skipping(&policy);
    let bundle = match load_bundle(bundle_path)? {
        Ok(b) if b.bundle.dsse_payload().is_some() => b,
        Ok(_) => {
            report.fail(&EvidenceError::NotAttestation);
            return render(global, &report);
        }
        Err(e) => {
            report.fail(&e);
            return render(global, &report);
        }
    };
    let verified = match verify_input(&policy, &input, &bundle)?
        .and_then(|signature| VerifiedStatement::from_signature(signature, args.predicate_type.as_deref()))
    {
        Ok(v) => v,
        Err(e) => {
            report.fail(&e);
            return render(global, &report);
        }
    };
    report.fill_statement(&verified);
    match global.output {
        OutputFormat::Text => {
            output::to_stdout(|w| report.render_with_payload(w, &verified.payload))?;
            Ok(Outcome::Success)
        }
        OutputFormat::Json => render(global, &report),
    }
}

/// An image whose attached bundles are tried.
struct ImageCheck<'a> {
    reference: &'a Reference,
    resolve_tag: bool,
    registry: &'a RegistryArgs,
    policy: &'a TrustPolicy,
}

impl<'a> ImageCheck<'a> {
    /// Without `--bundle`, the bundles attached to the image `input` names are checked; `what` names the
    /// positional argument in the error when it is not an image.
    fn attached_to(
        input: &'a Input,
        what: &str,
        resolve_tag: bool,
        registry: &'a RegistryArgs,
        policy: &'a TrustPolicy,
    ) -> anyhow::Result<ImageCheck<'a>> {
        let Input::Image(reference) = input else {
            anyhow::bail!("--bundle is needed unless the {what} is an image reference");
        };
        Ok(ImageCheck {
            reference,
            resolve_tag,
            registry,
            policy,
        })
    }
}

/// `verify`/`verify-attestation` of an image without --bundle: the first attached bundle that
/// verifies for the image digest wins; otherwise every candidate's reason is reported (exit 1).
fn verify_image(global: &GlobalArgs, image: &ImageCheck<'_>, want: Want<'_>) -> anyhow::Result<Outcome> {
    let (store, digest) = open_image(image.reference, image.resolve_tag, image.registry)?;
    let artifact = format!("{}@{digest}", image.reference.location());
    let rejected = match attached::verify_attached(image.policy, store.as_ref(), &digest, want)? {
        Ok(found) => {
            let referrer = found.referrer.descriptor.digest.to_string();
            let schemes = attached::scheme_names(&found.referrer).join(", ");
            let mut report = Report::new(&artifact, format!("referrer {referrer} ({schemes})"));
            let Some(statement) = &found.statement else {
                report.fill(&found.signature);
                return render(global, &report);
            };
            report.fill_statement(statement);
            if global.output == OutputFormat::Text {
                output::to_stdout(|w| report.render_with_payload(w, &statement.payload))?;
                return Ok(Outcome::Success);
            }
            return render(global, &report);
        }
        Err(rejected) => rejected,
    };
    let what = if matches!(want, Want::Attestation(_)) {
        "DSSE attestation"
    } else {
        "sigstore bundle"
    };
    let mut report =
        Report::new(&artifact, format!("attached to {}", store.location())).skipping(image.policy);
    if rejected.is_empty() {
        report.fail_with(
            "referrers",
            "no sigstore bundle is attached to the image".to_owned(),
        );
    } else {
        report.fail_with(
            "referrers",
            format!(
                "none of the {} {what}(s) attached verified for {digest}",
                rejected.len()
            ),
        );
    }
    report.candidates = rejected
        .into_iter()
        .map(|r| CandidateReport {
            referrer: r.referrer.descriptor.digest.to_string(),
            schemes: attached::scheme_names(&r.referrer).join(", "),
            check: r.check.name(),
            error: r.error,
        })
        .collect();
    render(global, &report)
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
            report.fail_with("input", format!("{e:#}"));
            render(global, &report)
        }
        Err(e) => Err(e),
    }
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

/// Signs `payload` with the one signer and writes and reports the bundle.
fn sign_to(
    global: &GlobalArgs,
    signer: &Signer,
    payload: Payload<'_>,
    out: &Path,
) -> anyhow::Result<Outcome> {
    let done = match payload {
        Payload::File(path) => signer.sign_file(path)?,
        Payload::Statement(bytes) => signer.sign_statement(bytes)?,
    };
    output::print_signed(global.output, &done, out)?;
    Ok(Outcome::Success)
}

#[derive(Clone, Copy)]
enum Payload<'a> {
    File(&'a Path),
    Statement(&'a [u8]),
}

pub(crate) fn sign(global: &GlobalArgs, args: &SignArgs) -> anyhow::Result<Outcome> {
    let signer = args.keyless.signer(args.key.as_deref())?;
    sign_to(global, &signer, Payload::File(&args.file), &args.bundle)
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
    let signer = keyless.signer_for(None, args.staging)?;
    sign_to(global, &signer, payload, &args.bundle)
}
