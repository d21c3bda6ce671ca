//! `provenant verify-npm-package`: an npm tarball against the attestations the registry serves for it
//! (SLSA provenance and npm's publish attestation), like slsa-verifier's `verify-npm-package`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_provenance::npm::{
    AttestationSet, MAX_ATTESTATION_SET_BYTES, MAX_KEYS_BYTES, NpmCheck, PackageExpectations, RegistryKeys,
    verify_package,
};
use serde::Serialize;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::args::{SourceRefArgs, TrustArgs};
use crate::output::print_json;

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
    /// The attestation set the registry serves for the version (JSON).
    #[arg(long, value_name = "FILE")]
    pub(crate) attestations_path: PathBuf,
    /// The expected package name (`@scope/name` or `name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) package_name: Option<String>,
    /// The expected package version.
    #[arg(long, value_name = "VERSION")]
    pub(crate) package_version: Option<String>,
    /// The expected source repository (`github.com/ORG/REPO`, or a URL).
    #[arg(long, value_name = "URI")]
    pub(crate) source_uri: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<NpmCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn verify_npm_package(
    global: &GlobalArgs,
    args: &VerifyNpmPackageArgs,
) -> anyhow::Result<Outcome> {
    // Validate everything before any verification work.
    let expectations = PackageExpectations {
        source: args.source_uri.parse()?,
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
    let attestations = AttestationSet::from_json(&super::read_bounded(
        &args.attestations_path,
        MAX_ATTESTATION_SET_BYTES as u64,
        "attestations",
    )?)
    .with_context(|| format!("cannot read attestations {}", args.attestations_path.display()))?;
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
            failed_check: None,
            error: None,
        };
        match verify_package(verifier, &keys, &attestations, &digest, &expectations) {
            Ok(passed) => {
                if args.print_provenance {
                    print_json(&passed.provenance)?;
                }
                report.verified = true;
                report.package = Some(format!("{}@{}", passed.package_name, passed.package_version));
                report.builder_id = Some(passed.builder_id);
                report.trusted_builder = Some(passed.trusted_builder);
                report.signer = Some(passed.signer);
                report.source_commit = passed.source_commit;
            }
            Err(e) => {
                report.failed_check = Some(e.check());
                report.error = Some(e.to_string());
                outcome = Outcome::Failure;
            }
        }
        reports.push(report);
    }
    match global.output {
        OutputFormat::Json => print_json(&reports)?,
        OutputFormat::Text => {
            let mut out = std::io::stdout().lock();
            for r in &reports {
                if r.verified {
                    writeln!(
                        out,
                        "Verified npm package {} ({}): built by {} from {} at {}, published by the npm registry",
                        r.package.as_deref().unwrap_or(""),
                        r.tarball,
                        r.builder_id.as_deref().unwrap_or(""),
                        expectations.source,
                        r.source_commit.as_deref().unwrap_or("an unrecorded commit"),
                    )?;
                } else {
                    writeln!(out, "FAILED {}: {}", r.tarball, r.error.as_deref().unwrap_or(""))?;
                }
            }
        }
    }
    Ok(outcome)
}
