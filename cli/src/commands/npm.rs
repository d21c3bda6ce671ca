//! `provenant verify-npm-package`: an npm tarball against the attestations the registry serves for it
//! (SLSA provenance and npm's publish attestation), like slsa-verifier's `verify-npm-package`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::npm::{
    AttestationSet, MAX_ATTESTATION_SET_BYTES, MAX_KEYS_BYTES, Missing, NpmCheck, NpmError,
    PackageExpectations, RegistryKeys, verify_package,
};
use provenant_provenance::npm_registry::{
    MAX_VERSION_DOCUMENT_BYTES, VersionSignatures, verify_registry_signatures,
};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{SourceRefArgs, TrustArgs};
use crate::output::{print_json, skipped_names, to_stdout, write_skipped};

/// `provenant verify-npm-package`.
#[derive(Debug, Args)]
#[command(
    after_help = "Verifies each tarball (its sha512) against the attestation set npm's registry serves \
for the version (GET https://registry.npmjs.org/-/npm/v1/attestations/NAME@VERSION). Checks, in \
slsa-verifier's order, each with its own failure: the provenance bundle under the trusted root (certificate \
chain, SCT, transparency log); the signing workflow (GitHub's OIDC issuer; the SLSA generator's delegator at a \
vX.Y.Z tag, or the npm CLI on a runner of the kind --builder-id names); the certificate's repository; the \
provenance's builder id, source, sha512 subject and ref; for the npm CLI, every claim of the provenance \
against the certificate; the publish attestation under the registry key it names (from --npm-keys); the \
tarball in it; statement and predicate types; the package name, then the version. npm's keys.json is the \
sigstore TUF repository's registry.npmjs.org/keys.json target. Exit status 0 verified, 1 a check failed \
(reported on stdout), 2 usage or runtime error."
)]
pub(crate) struct VerifyNpmPackageArgs {
    /// The package tarball(s) (`npm pack` output, or the registry's `.tgz`).
    #[arg(value_name = "TARBALL", required = true)]
    pub(crate) tarballs: Vec<PathBuf>,
    /// The attestation set the registry serves for the version (JSON). Required unless
    /// `--provenance optional`.
    #[arg(long, value_name = "FILE")]
    pub(crate) attestations_path: Option<PathBuf>,
    /// Whether the package must carry provenance: `required`, or `optional` (a package published
    /// without provenance is then checked by its registry signature alone).
    #[arg(long, value_enum, default_value_t = ProvenanceRequirement::Required)]
    pub(crate) provenance: ProvenanceRequirement,
    /// The version document the registry serves (`npm view NAME@VERSION --json`, or
    /// `GET /NAME/VERSION`): its `dist.signatures` (what `npm audit signatures` checks) are verified
    /// with the registry keys of --npm-keys, over `NAME@VERSION:INTEGRITY`, for the tarball's sha512.
    #[arg(long, value_name = "FILE")]
    pub(crate) registry_signatures: Option<PathBuf>,
    /// The expected package name (`@scope/name` or `name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) package_name: Option<String>,
    /// The expected package version.
    #[arg(long, value_name = "VERSION")]
    pub(crate) package_version: Option<String>,
    /// The expected source repository (`github.com/ORG/REPO`, or a URL).
    #[arg(long, value_name = "URI")]
    pub(crate) source_uri: provenant_slsa::policy::SourceUri,
    /// The builder: `https://github.com/actions/runner/github-hosted` for `npm publish --provenance`
    /// (…/self-hosted on self-hosted runners), or the trusted workflow's id. Required by the builder
    /// check.
    #[arg(long, value_name = "URI")]
    pub(crate) builder_id: Option<String>,
    #[command(flatten)]
    pub(crate) source_ref: SourceRefArgs,
    /// npm's registry keys (`keys.json`: the sigstore TUF repository's `registry.npmjs.org/keys.json`
    /// target, or the registry's `/-/npm/v1/keys`).
    #[arg(long, value_name = "FILE", env = "PROVENANT_NPM_KEYS")]
    pub(crate) npm_keys: PathBuf,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Print the verified provenance statement on stdout.
    #[arg(long)]
    pub(crate) print_provenance: bool,
}

/// `--provenance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProvenanceRequirement {
    /// The attestation set must hold the provenance and the publish attestation.
    Required,
    /// A package without provenance is checked by its registry signature alone.
    Optional,
}

/// The check a tarball failed: one of the attestation checks, or the registry signature.
#[derive(Serialize)]
#[serde(untagged)]
enum FailedCheck {
    Npm(NpmCheck),
    Registry(&'static str),
}

#[derive(Serialize)]
struct PackageReport {
    tarball: String,
    sha512: String,
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trusted_builder: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_commit: Option<String>,
    /// The older GitHub certificate extensions the signer's claims were read from (early-2023
    /// provenance).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    older_certificate_extensions: Vec<&'static str>,
    /// Whether the provenance was verified (false: the package has none, and `--provenance optional`).
    provenance: bool,
    /// The registry key whose `dist.signatures` entry verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_signature_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<FailedCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Checks skipped by request (`transparency-log`, `sct`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    skipped: Vec<&'static str>,
}

pub(crate) fn verify_npm_package(
    global: &GlobalArgs,
    args: &VerifyNpmPackageArgs,
) -> anyhow::Result<Outcome> {
    // Validate everything before any verification work.
    let expectations = PackageExpectations {
        source: args.source_uri.clone(),
        builder_id: args.builder_id.clone(),
        package_name: args.package_name.clone(),
        package_version: args.package_version.clone(),
        git_ref: args.source_ref.expectation(),
    };
    let keys = RegistryKeys::from_json(&super::read_bounded(
        &args.npm_keys,
        MAX_KEYS_BYTES as u64,
        "npm keys",
    )?)
    .with_context(|| format!("cannot use npm keys {}", args.npm_keys.display()))?;
    // A set that lacks an attestation is a failed verification of every tarball (exit 1); one that
    // cannot be read is a runtime error (exit 2).
    let optional = args.provenance == ProvenanceRequirement::Optional;
    let (attestations, registry) = read_evidence(args)?;
    // The identity is checked by the npm verification itself.
    let trust = args.trust.keyless_policy()?;
    let verifier = trust.verifier();

    let mut reports = Vec::with_capacity(args.tarballs.len());
    let mut outcome = Outcome::Success;
    for tarball in &args.tarballs {
        let digest = provenant_digest::Algorithm::Sha512
            .hash_file(tarball, &provenant_digest::NoProgress)
            .with_context(|| format!("cannot hash the tarball {}", tarball.display()))?;
        let mut report = PackageReport {
            tarball: tarball.display().to_string(),
            sha512: digest.to_string(),
            verified: false,
            package: None,
            builder_id: None,
            trusted_builder: None,
            signer: None,
            source_commit: None,
            older_certificate_extensions: Vec::new(),
            provenance: false,
            registry_signature_key: None,
            failed_check: None,
            error: None,
            skipped: skipped_names(&trust.skipped()),
        };
        if let Some(version) = &registry {
            match verify_registry_signatures(&keys, version, &digest, None) {
                Ok(v) => report.registry_signature_key = Some(v.key_id),
                Err(e) => {
                    report.failed_check = Some(FailedCheck::Registry("registry-signature"));
                    report.error = Some(e.to_string());
                    outcome = Outcome::Failure;
                    reports.push(report);
                    continue;
                }
            }
        }
        let result = match &attestations {
            Ok(set) => verify_package(verifier, &keys, set, &digest, &expectations),
            // No provenance, and none required: the registry signature (checked above) is the check.
            Err((Missing::Provenance | Missing::Both, _)) if optional => {
                report.verified = true;
                report.package = registry.as_ref().map(|v| format!("{}@{}", v.name, v.version));
                reports.push(report);
                continue;
            }
            Err((missing, count)) => Err(NpmError::MissingAttestation {
                missing: *missing,
                count: *count,
            }),
        };
        match result {
            Ok(passed) => {
                if args.print_provenance {
                    print_json(&passed.provenance)?;
                }
                report.verified = true;
                report.provenance = true;
                report.package = Some(format!("{}@{}", passed.package_name, passed.package_version));
                report.builder_id = Some(passed.builder_id);
                report.trusted_builder = Some(passed.trusted_builder);
                report.signer = Some(passed.signer);
                report.source_commit = passed.source_commit;
                report.older_certificate_extensions =
                    passed.older_extensions.iter().map(|e| e.name()).collect();
            }
            Err(e) => {
                report.failed_check = Some(FailedCheck::Npm(e.check()));
                report.error = Some(e.to_string());
                outcome = Outcome::Failure;
            }
        }
        reports.push(report);
    }
    match global.output {
        OutputFormat::Json => print_json(&reports)?,
        OutputFormat::Text => to_stdout(|w| render_text(w, &reports, &expectations.source))?,
    }
    Ok(outcome)
}

/// The text report: one line per tarball.
fn render_text(
    w: &mut impl Write,
    reports: &[PackageReport],
    source: &provenant_slsa::policy::SourceUri,
) -> std::io::Result<()> {
    for r in reports {
        if r.verified && !r.provenance {
            writeln!(
                w,
                "Verified npm package {} ({}): signed by the npm registry (key {}); no provenance (optional)",
                r.package.as_deref().unwrap_or(""),
                r.tarball,
                r.registry_signature_key.as_deref().unwrap_or(""),
            )?;
        } else if r.verified {
            writeln!(
                w,
                "Verified npm package {} ({}): built by {} from {} at {}, published by the npm registry",
                r.package.as_deref().unwrap_or(""),
                r.tarball,
                r.builder_id.as_deref().unwrap_or(""),
                source,
                r.source_commit.as_deref().unwrap_or("an unrecorded commit"),
            )?;
            if !r.older_certificate_extensions.is_empty() {
                writeln!(
                    w,
                    "  the signing certificate predates Fulcio's source repository extensions: read from {} \
                     (repository and owner ids, run and runner kind not verified)",
                    r.older_certificate_extensions.join(", ")
                )?;
            }
            if let Some(key) = &r.registry_signature_key {
                writeln!(w, "  registry signature verified with key {key}")?;
            }
        } else {
            writeln!(w, "FAILED {}: {}", r.tarball, r.error.as_deref().unwrap_or(""))?;
        }
        write_skipped(w, &r.skipped)?;
    }
    Ok(())
}

/// What a set lacks, when it lacks something.
type Attestations = Result<AttestationSet, (Missing, usize)>;

/// The attestation set (or what it lacks) and the registry's version document, read and checked for
/// usage errors before any verification.
fn read_evidence(args: &VerifyNpmPackageArgs) -> anyhow::Result<(Attestations, Option<VersionSignatures>)> {
    let optional = args.provenance == ProvenanceRequirement::Optional;
    let attestations = match &args.attestations_path {
        None if optional => Err((Missing::Both, 0)),
        None => anyhow::bail!(
            "give --attestations-path FILE, or --provenance optional with --registry-signatures FILE \
             for a package published without provenance"
        ),
        Some(path) => match AttestationSet::from_json(&super::read_bounded(
            path,
            MAX_ATTESTATION_SET_BYTES as u64,
            "attestations",
        )?) {
            Ok(set) => Ok(set),
            Err(NpmError::MissingAttestation { missing, count }) => Err((missing, count)),
            Err(other) => {
                return Err(
                    anyhow::Error::new(other).context(format!("cannot read attestations {}", path.display()))
                );
            }
        },
    };
    if optional && args.registry_signatures.is_none() {
        anyhow::bail!(
            "--provenance optional needs --registry-signatures FILE: a package without provenance is \
             checked by its registry signature"
        );
    }
    let registry = match &args.registry_signatures {
        None => None,
        Some(path) => Some(
            VersionSignatures::from_json(&super::read_bounded(
                path,
                MAX_VERSION_DOCUMENT_BYTES as u64,
                "npm version document",
            )?)
            .with_context(|| format!("cannot read the registry signatures {}", path.display()))?,
        ),
    };
    Ok((attestations, registry))
}
