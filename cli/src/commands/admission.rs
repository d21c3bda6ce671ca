//! `provenant admission serve|manifests` and `provenant verify-deploy`: only digests promoted into an
//! environment run there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use provenant_admission::environments::{self, MAX_ENVIRONMENTS_BYTES};
use provenant_admission::manifests::{self, Options};
use provenant_admission::source::LedgerPromotions;
use provenant_admission::{Decider, Namespaces, Reason};
use serde::Serialize;

use crate::Outcome;
use crate::args::{DecisionArgs, GlobalArgs, OutputFormat, load_roles};
use crate::commands::read_bounded;
use crate::output::print_json;

/// Largest certificate, key, CA bundle or trusted root read.
const MAX_SMALL: u64 = 1 << 20;

/// `provenant admission`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdmissionCommand {
    /// Serve the Kubernetes validating admission webhook over HTTPS (POST /validate, /healthz, /readyz, /metrics).
    #[command(
        after_help = "Every image of a Pod or pod template must name a digest promoted into the \
namespace's environment (a verified promotion record in the ledger, signed by a holder of the environment's \
promote role). Anything that prevents an answer (ledger unreachable or inconsistent, timeout) denies."
    )]
    Serve(Box<ServeArgs>),
    /// Print the Kubernetes objects that install the webhook: namespace, service account, deployment, service and webhook configuration.
    Manifests(ManifestsArgs),
}

/// `provenant admission serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The environments file (environment names and their promote roles).
    #[arg(long, value_name = "FILE")]
    environments: PathBuf,
    #[command(flatten)]
    decision: DecisionArgs,
    /// Address to listen on (HTTPS).
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The serving certificate chain (PEM).
    #[arg(long, value_name = "C")]
    tls_cert: PathBuf,
    /// The serving private key (PEM).
    #[arg(long, value_name = "K")]
    tls_key: PathBuf,
    /// A namespace and the environment it deploys to; repeat for each namespace.
    #[arg(long, value_name = "NAMESPACE=ENV", value_parser = parse_pair)]
    namespace_env: Vec<(String, String)>,
    /// The environment of every namespace not named by --namespace-env (without it they are denied).
    #[arg(long, value_name = "ENV")]
    default_env: Option<String>,
}

/// `provenant admission manifests`.
#[derive(Debug, Args)]
pub(crate) struct ManifestsArgs {
    /// The webhook's own namespace (excluded from admission).
    #[arg(long, value_name = "NS")]
    namespace: String,
    /// The webhook's image, by digest.
    #[arg(long, value_name = "IMAGE@DIGEST")]
    image: String,
    /// The CA certificate that signed the webhook's serving certificate (PEM).
    #[arg(long, value_name = "FILE")]
    ca_bundle: PathBuf,
    /// The ledger the webhook reads (passed to its --ledger).
    #[arg(long, value_name = "L")]
    ledger: Option<String>,
    /// Namespace to environment mappings passed to the webhook.
    #[arg(long, value_name = "NAMESPACE=ENV", value_parser = parse_pair)]
    namespace_env: Vec<(String, String)>,
    /// The webhook's --default-env.
    #[arg(long, value_name = "ENV")]
    default_env: Option<String>,
}

/// `provenant verify-deploy`.
#[derive(Debug, Args)]
pub(crate) struct VerifyDeployArgs {
    /// The image, by digest.
    #[arg(value_name = "IMAGE@DIGEST")]
    image: String,
    /// The environment it is deployed to.
    #[arg(long, value_name = "NAME")]
    env: String,
    /// The environments file.
    #[arg(long, value_name = "FILE", default_value = "environments.yaml")]
    environments: PathBuf,
    #[command(flatten)]
    decision: DecisionArgs,
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((ns, env)) if !ns.is_empty() && !env.is_empty() => Ok((ns.to_owned(), env.to_owned())),
        _ => Err(format!("expected NAMESPACE=ENV, got {text:?}")),
    }
}

pub(crate) fn run(global: &GlobalArgs, command: &AdmissionCommand) -> anyhow::Result<Outcome> {
    match command {
        AdmissionCommand::Serve(args) => serve(args),
        AdmissionCommand::Manifests(args) => manifests(global, args),
    }
}

fn manifests(global: &GlobalArgs, args: &ManifestsArgs) -> anyhow::Result<Outcome> {
    provenant_admission::decision::image_digest(&args.image)
        .map_err(|(_, message)| anyhow::anyhow!("--image: {message}"))?;
    let ca_bundle = read_bounded(&args.ca_bundle, MAX_SMALL, "CA bundle")?;
    anyhow::ensure!(
        std::str::from_utf8(&ca_bundle).is_ok_and(|t| t.contains("-----BEGIN CERTIFICATE-----")),
        "--ca-bundle {} is not a PEM certificate",
        args.ca_bundle.display()
    );
    let options = Options {
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        ca_bundle,
        ledger: args.ledger.clone(),
        namespace_env: args.namespace_env.clone(),
        default_env: args.default_env.clone(),
    };
    match global.output {
        // A v1 List of the same objects: `kubectl apply -f` reads it as it reads the YAML stream.
        OutputFormat::Json => print_json(&manifests::list(&options)?)?,
        OutputFormat::Text => crate::output::print_bytes(manifests::render(&options)?.as_bytes())?,
    }
    Ok(Outcome::Success)
}

/// The decider over the ledger, the environments file and the roles file.
fn decider(
    environments_file: &Path,
    decision: &DecisionArgs,
    namespaces: Namespaces,
) -> anyhow::Result<Decider> {
    let text = read_bounded(
        environments_file,
        MAX_ENVIRONMENTS_BYTES as u64,
        "environments file",
    )?;
    let promote = environments::read(&environments_file.display().to_string(), &text)
        .with_context(|| format!("cannot use environments file {}", environments_file.display()))?;
    let roles_path = match (&decision.roles, &promote.roles_file) {
        (Some(p), _) => p.clone(),
        (None, Some(rel)) => environments_file.parent().unwrap_or(Path::new(".")).join(rel),
        (None, None) => anyhow::bail!(
            "no roles file: the environments file {} names none; pass --roles",
            environments_file.display()
        ),
    };
    let roles =
        load_roles(&roles_path).with_context(|| format!("cannot use roles file {}", roles_path.display()))?;
    let trusted_root = crate::shared::trusted_root(decision.trusted_root.as_deref())?;
    let store = provenant_admission::ledger::open(&decision.ledger.ledger, decision.ledger.token()?)
        .with_context(|| format!("cannot open the ledger {}", decision.ledger.ledger))?;
    let source = LedgerPromotions::new(store, roles, promote, trusted_root);
    Ok(Decider::new(Arc::new(source), namespaces, decision.deadline()))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(args: &ServeArgs) -> anyhow::Result<Outcome> {
    let namespaces = Namespaces {
        map: args.namespace_env.iter().cloned().collect(),
        default: args.default_env.clone(),
    };
    let decider = Arc::new(decider(&args.environments, &args.decision, namespaces)?);
    let cert = read_bounded(&args.tls_cert, MAX_SMALL, "TLS certificate")?;
    let key = zeroize::Zeroizing::new(read_bounded(&args.tls_key, MAX_SMALL, "TLS key")?);
    let tls = provenant_admission::server::tls_config(&cert, &key)?;
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::warn!(address = %args.listen, ledger = %args.decision.ledger.ledger, "admission webhook listening");
    let rt = runtime()?;
    rt.block_on(async move {
        let handle = provenant_admission::server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            }
        });
        provenant_admission::server::serve(listener, tls, decider, handle).await
    })
    .context("the webhook server failed")?;
    Ok(Outcome::Success)
}

/// `verify-deploy --output json`.
#[derive(Debug, Serialize)]
struct VerifyDeployReport<'a> {
    image: &'a str,
    environment: &'a str,
    admitted: bool,
    reason: &'static str,
    message: String,
}

pub(crate) fn verify_deploy(global: &GlobalArgs, args: &VerifyDeployArgs) -> anyhow::Result<Outcome> {
    let decider = decider(&args.environments, &args.decision, Namespaces::default())?;
    let rt = runtime()?;
    let decision = rt.block_on(decider.decide_image_with_deadline(&args.image, &args.env));
    let admitted = decision.reason == Reason::Promoted;
    let report = VerifyDeployReport {
        image: &args.image,
        environment: &args.env,
        admitted,
        reason: decision.reason.as_str(),
        message: decision.message,
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let verdict = if admitted { "admitted" } else { "refused" };
            crate::output::print_bytes(format!("{verdict}: {}\n", report.message).as_bytes())?;
        }
    }
    Ok(if admitted {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
