//! `provenant deploy record`: the signed deployment record (`deployment/v1`) appended to the ledger as
//! its sigstore bundle, optionally attached to the image, and announced as a `CDEvents`
//! `service.deployed` event.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use provenant_deploy::cdevents::{Event, EventInput};
use provenant_deploy::http::Deadlines;
use provenant_records::Check;
use provenant_records::Record as _;
use provenant_records::deployment::{Deployment, Strategy};
use serde_json::json;

use crate::Outcome;
use crate::args::{
    CdeventsArgs, GlobalArgs, ImageByDigest, OutputFormat, RecordSignerArgs, RegistryArgs,
    parse_image_by_digest, record_time,
};
use crate::output::{print_json, to_stdout};

/// `provenant deploy`.
#[derive(Debug, Subcommand)]
pub(crate) enum DeployCommand {
    /// Record a deployment: a signed deployment/v1 statement appended to the ledger.
    #[command(
        after_help = "The record is signed (--key, else keyless) and appended to the ledger as its \
sigstore bundle, so anyone can verify it from the ledger. With --cdevents-sink, a CDEvents 0.5.1 \
service.deployed event is POSTed after the record is in the ledger; if that fails, the record stays, the \
report names its ledger index, and the exit status is 2."
    )]
    Record(RecordArgs),
}

/// `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StrategyArg {
    Rolling,
    BlueGreen,
    Canary,
    FeatureFlag,
}

/// `--health`, `--smoke`, `--readiness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckArg {
    Pass,
    Fail,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Rolling => Strategy::Rolling,
            StrategyArg::BlueGreen => Strategy::BlueGreen,
            StrategyArg::Canary => Strategy::Canary,
            StrategyArg::FeatureFlag => Strategy::FeatureFlag,
        }
    }
}

impl From<CheckArg> for Check {
    fn from(c: CheckArg) -> Self {
        match c {
            CheckArg::Pass => Check::Pass,
            CheckArg::Fail => Check::Fail,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// The image deployed, by digest.
    #[arg(value_name = "IMAGE@DIGEST", value_parser = parse_image_by_digest)]
    image: ImageByDigest,
    /// The environment deployed to.
    #[arg(long = "env", value_name = "NAME")]
    environment: String,
    /// How it was rolled out.
    #[arg(long, value_enum)]
    strategy: StrategyArg,
    /// The health check's result.
    #[arg(long, value_enum)]
    health: Option<CheckArg>,
    /// The smoke tests' result.
    #[arg(long, value_enum)]
    smoke: Option<CheckArg>,
    /// The readiness check's result.
    #[arg(long, value_enum)]
    readiness: Option<CheckArg>,
    /// The share of traffic the canary receives (with --strategy canary).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    canary_percent: Option<u8>,
    #[command(flatten)]
    signer: RecordSignerArgs,
    /// Attach the signed record to the image as a referrer.
    #[arg(long)]
    attach: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    cdevents: CdeventsArgs,
}

pub(crate) fn run(global: &GlobalArgs, command: &DeployCommand) -> anyhow::Result<Outcome> {
    match command {
        DeployCommand::Record(args) => record(global, args),
    }
}

fn record(global: &GlobalArgs, args: &RecordArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        args.canary_percent.is_none() || args.strategy == StrategyArg::Canary,
        "--canary-percent needs --strategy canary"
    );
    let (now, timestamp) = record_time()?;
    let deployment = Deployment {
        environment: args.environment.clone(),
        strategy: args.strategy.into(),
        health: args.health.map(Into::into),
        smoke: args.smoke.map(Into::into),
        readiness: args.readiness.map(Into::into),
        canary_percent: args.canary_percent,
        timestamp: timestamp.clone(),
    };
    let statement = deployment.to_statement(&args.image.repository, &args.image.digest);
    let store = args.signer.ledger.open()?;
    let crate::args::AppendedRecord {
        bundle: bundle_bytes,
        index,
        digest: bundle_digest,
    } = args
        .signer
        .sign_and_append(&statement, store.as_ref(), now, "deployment record")?;
    if args.attach {
        attach(args, &bundle_bytes)?;
    }
    let event = args.cdevents.cdevents_sink.as_deref().map(|sink| {
        let input = EventInput {
            source: &args.cdevents.cdevents_source,
            id: &bundle_digest.to_string(),
            environment: &args.environment,
            repository: &args.image.repository,
            digest: &args.image.digest,
            timestamp: &timestamp,
        };
        let event = Event::service_deployed(&input);
        (
            sink,
            provenant_deploy::sink::send_event(sink, &event, Deadlines::default()),
        )
    });
    let event_json = event.as_ref().map(|(sink, result)| match result {
        Ok(status) => json!({"sink": sink, "status": status}),
        Err(e) => json!({"sink": sink, "error": e.to_string()}),
    });
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "subject": format!("{}@{}", args.image.repository, args.image.digest),
            "environment": args.environment,
            "ledgerIndex": index,
            "bundleDigest": bundle_digest.to_string(),
            "attached": args.attach,
            "event": event_json,
        }))?,
        OutputFormat::Text => to_stdout(|w| {
            writeln!(
                w,
                "Deployment of {}@{} to {} recorded: ledger entry {index}",
                args.image.repository, args.image.digest, args.environment
            )?;
            if let Some((sink, result)) = &event {
                match result {
                    Ok(status) => {
                        writeln!(w, "service.deployed sent to {sink} (HTTP {status})")?;
                    }
                    Err(e) => {
                        writeln!(w, "service.deployed NOT sent: {e}")?;
                    }
                }
            }
            Ok(())
        })?,
    }
    if let Some((_, Err(e))) = &event {
        anyhow::bail!(
            "the deployment is recorded (ledger entry {index}) but the event could not be sent: {e}"
        );
    }
    Ok(Outcome::Success)
}

fn attach(args: &RecordArgs, bundle: &[u8]) -> anyhow::Result<()> {
    let client = args.registry.client(None)?;
    let store = provenant_registry::open_store(&args.image.reference, &client, false)?;
    let manifest = store.get_manifest(&provenant_oci::ManifestRef::Digest(args.image.digest))?;
    let annotations = BTreeMap::from([
        (
            "dev.sigstore.bundle.content".to_owned(),
            "dsse-envelope".to_owned(),
        ),
        (
            "dev.sigstore.bundle.predicateType".to_owned(),
            provenant_attest::predicate::PROVENANT_DEPLOYMENT_V1.to_owned(),
        ),
    ]);
    provenant_evidence::attached::attach_document(
        store.as_ref(),
        &manifest,
        bundle,
        provenant_oci::media::SIGSTORE_BUNDLE_V03,
        "deployment.sigstore.json",
        annotations,
    )
    .context("cannot attach the deployment record")?;
    Ok(())
}
