//! Argument structures. Each command's arguments are parsed here and validated before any work starts;
//! the groups several commands flatten (trust, signer, registry, source refs) live in submodules, so no
//! command module imports another.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod admission;
mod deploy;
mod environments;
mod ledger;
mod range;
mod registry;
mod signer;
mod source;
mod trust;

pub(crate) use admission::DecisionArgs;
pub(crate) use deploy::{
    AppendedRecord, CdeventsArgs, ImageByDigest, RecordSignerArgs, RecordTrustArgs, parse_digest,
    parse_image_by_digest, parse_time, record_time,
};
pub(crate) use environments::{EnvironmentsArgs, GovernedArgs};
pub(crate) use ledger::{
    LedgerArg, NOTE_KEY_PEM_LABEL, NoteKeyArg, check_key_is_the_ledgers, load_note_key, load_roles,
    note_key_password, sign_checkpoint,
};
pub(crate) use range::RangeArgs;
pub(crate) use registry::{RegistryArgs, parse_reference};
pub(crate) use signer::{KeylessArgs, PackagingSignerArgs};
pub(crate) use source::{SourceRefArgs, ref_expectation};
pub(crate) use trust::{SignerArgs, TRUSTED_ROOT_HELP, TrustArgs};

/// `provenant --version`: version, commit and build date, all fixed at build time.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PROVENANT_COMMIT"),
    ", built ",
    env!("PROVENANT_BUILD_DATE"),
    ")"
);

/// The pipeline stages the top-level help lists the commands under, in order. clap 4.5 puts every
/// subcommand under one heading, so the help template lists them from this table, the one place that
/// says which stage a command belongs to (a test checks that every command is in exactly one).
pub(crate) const STAGES: &[(&str, &[&str])] = &[
    ("Source", &["source", "version", "changelog"]),
    (
        "Build and provenance",
        &["build", "provenance", "verify-provenance", "repro", "digest"],
    ),
    (
        "Signing and verification",
        &[
            "sign",
            "attest",
            "verify",
            "verify-attestation",
            "verify-vsa",
            "verify-npm-package",
            "verify-pypi-package",
            "verify-github-attestation",
            "keys",
            "conformance",
        ],
    ),
    ("SBOMs", &["sbom"]),
    ("Images and promotion", &["oci", "promote", "verify-image"]),
    (
        "Governance",
        &["gate", "scan", "env", "approve", "change-record", "exceptions"],
    ),
    (
        "Deployment",
        &["deploy", "rollback", "release", "admission", "verify-deploy"],
    ),
    ("Audit", &["ledger", "lineage"]),
    ("Pipelines", &["init"]),
    ("Shell and manual", &["completions", "man", "help"]),
];

/// Parses the arguments that a command hands on to a parser of its own (`scan`, `source`, `gate`), under the
/// name `name`. `Err` is the outcome of a usage error (2) or of `--help` (0), already printed.
pub(crate) fn parse_nested<C: clap::Parser, A: Clone + Into<std::ffi::OsString>>(
    name: &str,
    args: &[A],
) -> Result<C, crate::Outcome> {
    let command_line =
        std::iter::once(std::ffi::OsString::from(name)).chain(args.iter().cloned().map(Into::into));
    C::try_parse_from(command_line).map_err(|e| {
        // Nothing to do when stderr or stdout is gone: the outcome still says what happened.
        let _ = e.print();
        if e.use_stderr() {
            crate::Outcome::Error
        } else {
            crate::Outcome::Success
        }
    })
}

/// The command line, with the top-level help listing the commands by stage ([`STAGES`]).
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut cmd = Cli::command();
    cmd.build();
    let header = cmd.get_styles().get_header();
    let (on, off) = (header.render().to_string(), header.render_reset().to_string());
    let listing = stage_listing(&cmd, &on, &off);
    cmd.help_template(format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{listing}{on}Options:{off}\n{{options}}{{after-help}}"
    ))
}

/// Width of the help's lines (the `max_term_width` below).
const HELP_WIDTH: usize = 100;

/// The commands under their stage headings, each with its one-line description wrapped as clap wraps.
fn stage_listing(cmd: &clap::Command, on: &str, off: &str) -> String {
    use std::fmt::Write as _;
    let width = STAGES
        .iter()
        .flat_map(|(_, names)| names.iter())
        .map(|n| n.len())
        .max()
        .unwrap_or(0);
    let indent = width + 4;
    let mut out = String::new();
    for (heading, names) in STAGES.iter().filter(|(_, names)| !names.is_empty()) {
        let _ = writeln!(out, "{on}{heading}:{off}");
        for name in *names {
            let about = cmd
                .find_subcommand(name)
                .and_then(clap::Command::get_about)
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut line = format!("  {name:<width$}  ");
            let mut used = indent;
            for word in about.split_whitespace() {
                if used > indent && used + 1 + word.len() > HELP_WIDTH {
                    let _ = write!(line, "\n{:indent$}", "");
                    used = indent;
                } else if used > indent {
                    line.push(' ');
                    used += 1;
                }
                line.push_str(word);
                used += word.len();
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    out
}

/// Provenant gives every software artefact a verifiable lineage: digests, signatures, provenance, SBOMs
/// and images, checked offline and by digest.
#[derive(Debug, Parser)]
#[command(name = "provenant", version = LONG_VERSION, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Exit status: 0 verified or passed, 1 verification or policy failure, 2 usage or runtime error."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub(crate) struct GlobalArgs {
    /// Output format of the command's report.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

/// How a report is rendered on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Lines for people (and, for `digest`, for sha256sum-style tools).
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compute or check content digests of files and directory trees.
    Digest(DigestArgs),
    /// Reproducible-build checks: build under varied conditions and explain every difference.
    Repro(crate::commands::repro::ReproArgs),
    /// Run a build and record SLSA provenance for its outputs.
    Build(crate::commands::provenance::BuildArgs),
    /// Record SLSA provenance for a build that already ran.
    #[command(subcommand)]
    Provenance(crate::commands::provenance::ProvenanceCommand),
    /// Verify SLSA provenance for an artefact, like slsa-verifier, for any trusted builder.
    VerifyProvenance(crate::commands::provenance::VerifyProvenanceArgs),
    /// Verify an npm package tarball against its registry attestations, like slsa-verifier's
    /// verify-npm-package.
    VerifyNpmPackage(crate::commands::npm::VerifyNpmPackageArgs),
    /// Verify a Python distribution (wheel or sdist) against its PEP 740 attestations and Trusted
    /// Publisher.
    VerifyPypiPackage(crate::commands::pypi::VerifyPypiPackageArgs),
    /// Verify a GitHub artifact attestation for an artefact, like slsa-verifier's
    /// verify-github-attestation.
    VerifyGithubAttestation(crate::commands::github_attestation::VerifyGithubAttestationArgs),
    /// Verify a key-signed SLSA Verification Summary Attestation, like slsa-verifier's verify-vsa.
    VerifyVsa(crate::commands::vsa::VerifyVsaArgs),
    /// Verify a container image's SLSA provenance (Cloud Build, GitHub generator), like slsa-verifier.
    VerifyImage(crate::commands::verify_image::VerifyImageArgs),
    /// OCI images and artifacts: build reproducible images, push, pull, attach and discover referrers.
    #[command(subcommand)]
    Oci(crate::commands::oci::OciCommand),
    /// Copy an image by digest with every platform manifest, blob and referrer, digests preserved.
    Promote(crate::commands::oci::PromoteArgs),
    /// Verify an image's lineage: packaging and build provenance back to the source commit.
    #[command(subcommand)]
    Lineage(crate::commands::lineage::LineageCommand),
    /// Sign a file into a sigstore bundle (keyless: Fulcio certificate, Rekor entry, optional timestamp).
    Sign(crate::commands::sigstore::SignArgs),
    /// Verify an artefact's sigstore bundle offline against a trusted root.
    Verify(crate::commands::sigstore::VerifyArgs),
    /// Verify a DSSE-signed in-toto attestation for a subject and print the statement.
    VerifyAttestation(crate::commands::sigstore::VerifyAttestationArgs),
    /// The sigstore-conformance client protocol (for running that suite against Provenant).
    Conformance(crate::commands::sigstore::ConformanceArgs),
    /// Sign an in-toto statement about files or digests (DSSE in a sigstore bundle).
    Attest(crate::commands::attest::AttestArgs),
    /// Generate cosign-compatible key pairs and print public keys.
    #[command(subcommand)]
    Keys(crate::commands::keys::KeysCommand),
    /// Generate SBOMs from lockfiles and package databases; validate SBOM documents.
    #[command(subcommand)]
    Sbom(crate::commands::sbom::SbomCommand),
    /// The audit ledger: an append-only, verifiable transparency log of pipeline events.
    #[command(subcommand)]
    Ledger(crate::commands::ledger::LedgerCommand),
    /// Deploy admission: a Kubernetes webhook admitting only digests promoted into the namespace's environment.
    #[command(subcommand)]
    Admission(crate::commands::admission::AdmissionCommand),
    /// Check that an image digest was promoted into an environment (for runtimes without admission).
    VerifyDeploy(crate::commands::admission::VerifyDeployArgs),
    /// Quality and security gates: evaluate scanners' evidence against the policy, sign the decision.
    Gate(crate::commands::gate::GateArgs),
    /// Built-in scanners: secrets (gitleaks-compatible), hygiene, pinning.
    Scan(crate::commands::scan::ScanArgs),
    /// Write a governed eight-stage pipeline from its template, or check one for drift.
    Init(crate::commands::init::InitArgs),
    /// Environments: the promotion path (dev, test, uat, prod) and what each environment requires.
    #[command(subcommand)]
    Env(crate::commands::env::EnvCommand),
    /// Approve an image digest for an environment: a signed approval, appended to the ledger.
    Approve(Box<crate::commands::approve::ApproveArgs>),
    /// The change record of a promotion, generated from the ledger: commits, changelog, SBOM changes,
    /// gate decision, approvals, deployment plan and rollback target.
    ChangeRecord(Box<crate::commands::change_record::ChangeRecordArgs>),
    /// The gate exception log: every exception used or refused, from the ledger's gate decisions.
    #[command(subcommand)]
    Exceptions(crate::commands::exceptions::ExceptionsCommand),
    /// Deployment records: a signed deployment/v1 statement in the ledger, and a deployment event.
    #[command(subcommand)]
    Deploy(crate::commands::deploy::DeployCommand),
    /// Rollback: the environment's rollback plan, and signed rollback records with notification.
    #[command(subcommand)]
    Rollback(crate::commands::rollback::RollbackCommand),
    /// Release health: SLIs before and after a release from Prometheus, and whether it is complete.
    #[command(subcommand)]
    Release(crate::commands::release::ReleaseCommand),
    /// Source-stage checks over a git range: Conventional Commits, signed commits, code owners and their
    /// approvals.
    Source(crate::commands::source::SourceArgs),
    /// The next semantic version from the last vX.Y.Z tag and the Conventional Commits since.
    #[command(subcommand)]
    Version(crate::commands::version::VersionCommand),
    /// A Markdown changelog of a git range, grouped by Conventional Commits type.
    Changelog(crate::commands::changelog::ChangelogArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout.
    Man,
}

/// `provenant digest`.
#[derive(Debug, Args)]
#[command(
    after_help = "A file's digest is that of its content, as sha256sum computes it. A directory's digest \
is the Provenant tree digest (docs/tree-digest.md): it covers relative paths, file types, executable bits, \
symlink targets and contents, and nothing else. '-' reads standard input."
)]
pub(crate) struct DigestArgs {
    /// Files or directories to digest ('-' for standard input).
    #[arg(
        required_unless_present = "check",
        conflicts_with = "check",
        value_name = "PATH"
    )]
    pub(crate) paths: Vec<PathBuf>,
    /// Hash algorithm.
    #[arg(short, long, value_enum, default_value_t = AlgorithmArg::Sha256)]
    pub(crate) algorithm: AlgorithmArg,
    /// Print bare hex as sha256sum/sha512sum do, instead of the `sha256:<hex>` form.
    #[arg(long)]
    pub(crate) plain: bool,
    /// Verify the digests listed in LIST ('-' for standard input); accepts this command's output,
    /// sha256sum/sha512sum output and BSD-style `SHA256 (path) = hex` lines.
    #[arg(short, long, value_name = "LIST")]
    pub(crate) check: Option<PathBuf>,
    /// With --check: a malformed line is an error (exit 2) instead of a warning.
    #[arg(long, requires = "check")]
    pub(crate) strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AlgorithmArg {
    Sha256,
    Sha512,
}

impl From<AlgorithmArg> for provenant_digest::Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Sha256 => provenant_digest::Algorithm::Sha256,
            AlgorithmArg::Sha512 => provenant_digest::Algorithm::Sha512,
        }
    }
}

/// `provenant completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::{STAGES, command};

    #[test]
    fn every_command_is_listed_under_exactly_one_stage() {
        let cmd = command();
        let mut listed: Vec<&str> = STAGES.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        let mut all: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
        listed.sort_unstable();
        all.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(before, listed.len(), "a command is listed under two stages");
        assert_eq!(listed, all, "the stages table and the commands differ");
    }

    #[test]
    fn the_top_level_help_lists_commands_by_stage() {
        let help = command().render_long_help().to_string();
        let build = help.find("Build and provenance:").unwrap();
        let signing = help.find("Signing and verification:").unwrap();
        let audit = help.find("Audit:").unwrap();
        assert!(build < signing && signing < audit, "{help}");
        assert!(help[audit..].contains("lineage"), "{help}");
        let governance = help.find("Governance:").unwrap();
        assert!(signing < governance && governance < audit, "{help}");
        assert!(help[governance..audit].contains("gate"), "{help}");
        assert!(help[audit..].contains("ledger"), "{help}");
    }
}
