//! `provenant`: the command-line interface of Provenant.
//!
//! This binary is deliberately thin: it parses arguments into validated options ([`args`]), calls the
//! library crates, and renders their results as text or JSON ([`output`]). No verification or format
//! logic lives here.
//!
//! Exit codes: 0 verified or passed, 1 a verification or policy failure, 2 a usage or runtime error.
#![forbid(unsafe_code)]
// The binary is where output is rendered; only it may print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod output;
mod progress;
mod shared;

use std::process::ExitCode;

use crate::args::{Cli, Command};

/// What a command concluded, when it ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything verified or passed: exit 0.
    Success,
    /// A verification or policy check failed and was reported: exit 1.
    Failure,
    /// The command reported runtime errors for some inputs (already printed): exit 2.
    Error,
}

impl Outcome {
    fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::Error => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    let parsed = args::command()
        .try_get_matches_from(commands::lineage::rewrite_output(std::env::args_os().collect()))
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with exit 0, usage errors to stderr with exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_tracing(cli.global.verbose, cli.global.quiet);
    match run(cli) {
        Ok(outcome) => outcome.exit_code(),
        // The reader of standard output went away (`provenant man | head`): the output was not all
        // delivered, so not a success, but there is nobody to tell.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether `e` is, at its root, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let global = cli.global;
    match cli.command {
        Command::Digest(args) => commands::digest::run(&global, &args),
        Command::Repro(args) => commands::repro::run(&global, &args),
        Command::Build(args) => commands::provenance::build(&global, &args),
        Command::Provenance(command) => commands::provenance::provenance(&global, &command),
        Command::VerifyProvenance(args) => commands::provenance::verify_provenance(&global, &args),
        Command::VerifyNpmPackage(args) => commands::npm::verify_npm_package(&global, &args),
        Command::VerifyPypiPackage(args) => commands::pypi::verify_pypi_package(&global, &args),
        Command::VerifyGithubAttestation(args) => {
            commands::github_attestation::verify_github_attestation_command(&global, &args)
        }
        Command::VerifyVsa(args) => commands::vsa::verify_vsa(&global, &args),
        Command::VerifyImage(args) => commands::verify_image::verify_image(&global, &args),
        Command::Oci(command) => commands::oci::run(&global, command),
        Command::Promote(args) if args.governed.environment.is_some() => {
            commands::promote_env::run(&global, &governed(&args))
        }
        Command::Promote(args) => commands::oci::promote(&global, &args),
        Command::Lineage(command) => commands::lineage::run(&global, &command),
        Command::Attest(args) => commands::attest::run(&global, &args),
        Command::Keys(command) => commands::keys::run(&global, &command),
        Command::Sbom(command) => commands::sbom::run(&global, &command),
        Command::Ledger(command) => commands::ledger::run(&global, &command),
        Command::Admission(command) => commands::admission::run(&global, &command),
        Command::VerifyDeploy(args) => commands::admission::verify_deploy(&global, &args),
        Command::Gate(args) => commands::gate::run(&global, &args),
        Command::Scan(args) => commands::scan::run(&global, &args),
        Command::Init(args) => commands::init::run(&global, &args),
        Command::Env(command) => commands::env::run(&global, &command),
        Command::Approve(args) => commands::approve::run(&global, &args),
        Command::ChangeRecord(args) => commands::change_record::run(&global, &args),
        Command::Exceptions(command) => commands::exceptions::run(&global, &command),
        Command::Deploy(command) => commands::deploy::run(&global, &command),
        Command::Rollback(command) => commands::rollback::run(&global, &command),
        Command::Release(command) => commands::release::run(&global, &command),
        Command::Source(args) => commands::source::run(&global, &args),
        Command::Version(command) => commands::version::run(&global, &command),
        Command::Changelog(args) => commands::changelog::run(&global, &args),
        Command::Completions(args) => commands::meta::completions(&args),
        Command::Man => commands::meta::man(),
        Command::Sign(args) => commands::sigstore::sign(&global, &args),
        Command::Verify(args) => commands::sigstore::verify(&global, &args),
        Command::VerifyAttestation(args) => commands::sigstore::verify_attestation(&global, &args),
        Command::Conformance(args) => commands::sigstore::conformance(&global, &args),
    }
}

/// Logs go to stderr through tracing. `-v` raises the level (info, debug, trace), `-q` lowers it to
/// errors only; `RUST_LOG` overrides both. Whatever the level, the transport crates' trace output is
/// never let through: it dumps the bytes on the wire, `Authorization` headers and tokens included.
fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // The wire filter keeps the level filter's hint, so that events below the level (the transport
    // crates' per-read trace calls, through `log` too) are dropped where they are made rather than
    // built and filtered one by one.
    let hint = filter
        .max_level_hint()
        .unwrap_or(tracing_subscriber::filter::LevelFilter::TRACE);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_filter(filter)
        .with_filter(
            tracing_subscriber::filter::filter_fn(|meta| !is_wire_trace(*meta.level(), meta.target()))
                .with_max_level_hint(hint),
        );
    tracing_subscriber::registry().with(layer).init();
}

/// Crates whose trace-level logs show what goes over the wire (headers with credentials, token
/// responses) in text or hex.
const WIRE_LEVEL_CRATES: [&str; 7] = [
    "ureq",
    "ureq_proto",
    "rustls",
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
];

/// Whether an event is transport trace output, which may hold credentials.
fn is_wire_trace(level: tracing::Level, target: &str) -> bool {
    level == tracing::Level::TRACE
        && WIRE_LEVEL_CRATES.iter().any(|c| {
            target
                .strip_prefix(c)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

/// A governed promotion's inputs, taken from `promote`'s arguments (here, so that no command module
/// imports another).
fn governed(a: &commands::oci::PromoteArgs) -> commands::promote_env::Governed<'_> {
    commands::promote_env::Governed {
        source: &a.source,
        options: &a.governed,
        ledger: &a.ledger,
        keyless: &a.keyless,
        trust: &a.trust,
        registry: &a.registry,
        src_creds: a.src_creds.as_deref(),
        dest_creds: a.dest_creds.as_deref(),
        jobs: a.jobs,
    }
}
