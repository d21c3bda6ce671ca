//! Argument structures. Each command's arguments are parsed here and validated before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `provenant --version`: version, commit and build date, all fixed at build time.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PROVENANT_COMMIT"),
    ", built ",
    env!("PROVENANT_BUILD_DATE"),
    ")"
);

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
    /// Built-in scanners: secrets (gitleaks-compatible), hygiene, pinning.
    Scan(crate::commands::scan::ScanArgs),
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
