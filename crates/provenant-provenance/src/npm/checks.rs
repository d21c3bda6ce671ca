//! The individual checks of an npm package and their typed outcomes: which check ran ([`NpmCheck`]),
//! which attestation a finding is about ([`Which`]), what failed ([`NpmError`]); and the checks of the
//! source, the tarball's digest, the attestations' headers and the package name and version. The
//! signer and builder checks are in `builder`, the npm CLI's claims against its certificate in `claims`.

use std::fmt;

use provenant_digest::Digest;
use provenant_sigstore::VerifyError;
use provenant_slsa::policy::{self, PolicyError, SourceUri};
use provenant_slsa::{FieldError, PredicateError, Provenance, Subject};
use serde_json::Value;

use super::PackageExpectations;
use super::attestations::PUBLISH_PREDICATE_PREFIX;
use super::builder::{
    GITHUB_ISSUER, NPM_CLI_BUILD_TYPE_V1, NPM_CLI_HOSTED_BUILDER, NPM_CLI_LEGACY_BUILDER,
    NPM_CLI_SELF_HOSTED_BUILDER,
};
use super::keys::ATTESTATION_KEY_USAGE;
use crate::{IN_TOTO_PAYLOAD_TYPE, STATEMENT_TYPES};

/// Which attestation a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Which {
    /// The SLSA provenance.
    Provenance,
    /// npm's publish attestation.
    Publish,
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Which::Provenance => "provenance",
            Which::Publish => "publish attestation",
        })
    }
}

/// What an attestation set lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Missing {
    /// The SLSA provenance.
    Provenance,
    /// npm's publish attestation.
    Publish,
    /// Both.
    Both,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::Provenance => "SLSA provenance attestation",
            Missing::Publish => "npm publish attestation",
            Missing::Both => "SLSA provenance attestation and no npm publish attestation",
        })
    }
}

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NpmCheck {
    /// The attestation set itself.
    Attestations,
    /// The provenance bundle's signature, certificate and log entry.
    ProvenanceSignature,
    /// The signing workflow and the builder id.
    Builder,
    /// The source repository (certificate and provenance).
    Source,
    /// The provenance predicate.
    Provenance,
    /// The tarball's digest.
    Digest,
    /// The branch, tag or versioned tag.
    Ref,
    /// The npm CLI's claims against its certificate.
    Certificate,
    /// The publish attestation's signature and registry key.
    PublishSignature,
    /// Payload, statement and predicate types.
    Headers,
    /// The package name.
    PackageName,
    /// The package version.
    PackageVersion,
}

impl fmt::Display for NpmCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NpmCheck::Attestations => "attestations",
            NpmCheck::ProvenanceSignature => "provenance signature",
            NpmCheck::Builder => "builder",
            NpmCheck::Source => "source",
            NpmCheck::Provenance => "provenance",
            NpmCheck::Digest => "digest",
            NpmCheck::Ref => "ref",
            NpmCheck::Certificate => "certificate",
            NpmCheck::PublishSignature => "publish signature",
            NpmCheck::Headers => "headers",
            NpmCheck::PackageName => "package name",
            NpmCheck::PackageVersion => "package version",
        })
    }
}

/// A check of an npm package failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpmError {
    /// The attestation set is malformed or lacks one of the two attestations.
    #[error("attestations check failed: invalid npm attestations: {reason}")]
    Attestations {
        /// Why.
        reason: String,
    },
    /// The attestation set is well formed but lacks the provenance, the publish attestation or both
    /// (a package published without provenance): a failed verification, not an unreadable input.
    #[error(
        "attestations check failed: the package has no {missing} ({count} attestations in the set): \
         it cannot be verified without both"
    )]
    MissingAttestation {
        /// What is missing.
        missing: Missing,
        /// How many attestations the set holds.
        count: usize,
    },
    /// npm's `keys.json` is malformed.
    #[error("invalid npm registry keys: {reason}")]
    RegistryKeys {
        /// Why.
        reason: String,
    },
    /// A bundle's signature, certificate or log entry did not verify.
    #[error("{which} signature check failed: {source}")]
    Signature {
        /// Which bundle.
        which: Which,
        /// Why.
        #[source]
        source: VerifyError,
    },
    /// A bundle's statement is not readable.
    #[error("{which} statement check failed: {source}")]
    Statement {
        /// Which bundle.
        which: Which,
        /// The field at fault.
        #[source]
        source: FieldError,
    },
    /// The signing certificate lacks, or has a malformed, workflow claim.
    #[error("builder check failed: the signing certificate's {claim} is {reason}")]
    CertificateClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate was issued for another OIDC issuer than GitHub Actions'.
    #[error(
        "builder check failed: the certificate's OIDC issuer is {}, not {GITHUB_ISSUER}",
        .actual.as_deref().unwrap_or("absent")
    )]
    Issuer {
        /// The issuer.
        actual: Option<String>,
    },
    /// A trusted delegator workflow signed at a ref that is not a `vX.Y.Z` tag.
    #[error(
        "builder check failed: the trusted workflow {workflow} ran at {git_ref:?}, not a vX.Y.Z release tag"
    )]
    BuilderRef {
        /// The workflow.
        workflow: String,
        /// Its ref.
        git_ref: String,
    },
    /// No builder id was given: one is required.
    #[error(
        "builder check failed: no expected builder id (give {NPM_CLI_HOSTED_BUILDER} for the npm CLI, or the trusted workflow's id)"
    )]
    NoBuilderId,
    /// The npm CLI ran on a runner whose kind is unknown to the certificate.
    #[error(
        "builder check failed: the certificate does not say whether the runner was GitHub-hosted or self-hosted"
    )]
    RunnerUnknown,
    /// The builder id asked is not one the npm CLI can be (when no trusted workflow signed).
    #[error(
        "builder check failed: builder {builder_id:?} is not supported: expected {NPM_CLI_HOSTED_BUILDER}, {NPM_CLI_LEGACY_BUILDER} or {NPM_CLI_SELF_HOSTED_BUILDER}"
    )]
    UnsupportedBuilder {
        /// The builder id asked.
        builder_id: String,
    },
    /// The runner kind in the certificate contradicts the builder id.
    #[error(
        "builder check failed: builder {builder_id} asked, but the certificate says the runner was {runner}"
    )]
    RunnerMismatch {
        /// The builder id asked.
        builder_id: String,
        /// The certificate's runner environment.
        runner: String,
    },
    /// This builder does not write provenance of this predicate type.
    #[error("builder check failed: builder {builder} does not write {predicate_type} provenance")]
    BuilderNotForPredicate {
        /// The builder.
        builder: String,
        /// The predicate type.
        predicate_type: String,
    },
    /// This builder does not write provenance of this build type.
    #[error("provenance check failed: build type {build_type:?} is not one builder {builder} writes")]
    BuildType {
        /// The builder.
        builder: String,
        /// The build type.
        build_type: String,
    },
    /// The provenance names another builder than the one asked.
    #[error("builder check failed: the provenance's builder is {actual:?}, expected {expected:?}")]
    BuilderMismatch {
        /// The builder id asked.
        expected: String,
        /// The provenance's `builder.id`.
        actual: String,
    },
    /// The certificate was issued to a workflow of another repository.
    #[error(
        "source check failed: the certificate was issued for repository {actual:?}, expected {expected:?}"
    )]
    CertificateSource {
        /// The repository expected (`ORG/REPO`).
        expected: String,
        /// The certificate's.
        actual: String,
    },
    /// The provenance predicate does not parse.
    #[error("provenance check failed: {0}")]
    Predicate(#[source] PredicateError),
    /// The provenance's source or ref check failed.
    #[error("{check} check failed: {source}")]
    Policy {
        /// Which check.
        check: NpmCheck,
        /// Why.
        #[source]
        source: PolicyError,
    },
    /// The tarball's sha512 is not a subject of an attestation.
    #[error("digest check failed: the tarball's digest {tarball} is not a subject of the {which}")]
    DigestMismatch {
        /// Which attestation.
        which: Which,
        /// The tarball's digest.
        tarball: Digest,
    },
    /// The npm CLI's provenance claims something its certificate contradicts or cannot vouch for.
    #[error(
        "certificate check failed: the provenance's {claim} is `{provenance}`, the certificate says {}",
        .certificate.as_deref().map_or_else(|| "nothing".to_owned(), |c| format!("`{c}`"))
    )]
    CertificateMismatch {
        /// The claim.
        claim: String,
        /// The provenance's value.
        provenance: String,
        /// The certificate's value (`None` when it states none).
        certificate: Option<String>,
    },
    /// The npm CLI's provenance makes a claim nothing can verify.
    #[error("certificate check failed: the provenance claims {claim}, which cannot be verified")]
    NonVerifiableClaim {
        /// The claim.
        claim: String,
    },
    /// The publish bundle names no key, or one not in the registry's keys.
    #[error(
        "publish signature check failed: the registry key {} (usage {ATTESTATION_KEY_USAGE}) is not among the trusted npm keys",
        .key_id.as_deref().unwrap_or("(none named by the bundle)")
    )]
    UnknownRegistryKey {
        /// The key id the bundle names.
        key_id: Option<String>,
    },
    /// The registry key was not valid when the publish attestation was logged.
    #[error("publish signature check failed: the registry key {key_id} was not valid at {signed_at}")]
    RegistryKeyNotValid {
        /// The key id.
        key_id: String,
        /// When the attestation was logged.
        signed_at: String,
    },
    /// A payload type, statement type or predicate type is not the expected one.
    #[error("headers check failed: the {which}'s {field} is {actual:?}, expected {expected}")]
    Headers {
        /// Which attestation.
        which: Which,
        /// The field.
        field: &'static str,
        /// Its value.
        actual: String,
        /// What is accepted.
        expected: String,
    },
    /// The provenance's subject is not a single `pkg:npm/` purl.
    #[error(
        "package name check failed: the provenance's subject {subject:?} is not a single pkg:npm/<name>@<version>"
    )]
    InvalidPackageSubject {
        /// The subject name(s).
        subject: String,
    },
    /// The subject's name is not valid percent-encoding.
    #[error("package name check failed: {subject:?} is not valid percent-encoding")]
    InvalidEncoding {
        /// The subject name.
        subject: String,
    },
    /// The package name differs.
    #[error("package name check failed: the {which} names package {actual:?}, expected {expected:?}")]
    PackageName {
        /// Which attestation.
        which: Which,
        /// Its name.
        actual: String,
        /// The name expected.
        expected: String,
    },
    /// The package version differs.
    #[error("package version check failed: the {which} names version {actual:?}, expected {expected:?}")]
    PackageVersion {
        /// Which attestation.
        which: Which,
        /// Its version.
        actual: String,
        /// The version expected.
        expected: String,
    },
}

impl NpmError {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> NpmCheck {
        match self {
            NpmError::Attestations { .. }
            | NpmError::MissingAttestation { .. }
            | NpmError::RegistryKeys { .. } => NpmCheck::Attestations,
            NpmError::Signature {
                which: Which::Provenance,
                ..
            } => NpmCheck::ProvenanceSignature,
            NpmError::Signature {
                which: Which::Publish,
                ..
            }
            | NpmError::UnknownRegistryKey { .. }
            | NpmError::RegistryKeyNotValid { .. } => NpmCheck::PublishSignature,
            NpmError::Statement { .. } | NpmError::Headers { .. } => NpmCheck::Headers,
            NpmError::CertificateClaim { .. }
            | NpmError::Issuer { .. }
            | NpmError::BuilderRef { .. }
            | NpmError::NoBuilderId
            | NpmError::RunnerUnknown
            | NpmError::UnsupportedBuilder { .. }
            | NpmError::RunnerMismatch { .. }
            | NpmError::BuilderNotForPredicate { .. }
            | NpmError::BuilderMismatch { .. } => NpmCheck::Builder,
            NpmError::CertificateSource { .. } => NpmCheck::Source,
            NpmError::Predicate(_) | NpmError::BuildType { .. } => NpmCheck::Provenance,
            NpmError::Policy { check, .. } => *check,
            NpmError::DigestMismatch { .. } => NpmCheck::Digest,
            NpmError::CertificateMismatch { .. } | NpmError::NonVerifiableClaim { .. } => {
                NpmCheck::Certificate
            }
            NpmError::InvalidPackageSubject { .. }
            | NpmError::InvalidEncoding { .. }
            | NpmError::PackageName { .. } => NpmCheck::PackageName,
            NpmError::PackageVersion { .. } => NpmCheck::PackageVersion,
        }
    }
}

/// The source check of slsa-verifier: the configuration source and the material must name the
/// repository, and each other; npm CLI provenance of build type `gha@v1` records the material without
/// a ref, which is then accepted by repository alone.
pub(crate) fn check_source(provenance: &Provenance, expected: &SourceUri) -> Result<(), NpmError> {
    let policy_error = |source| NpmError::Policy {
        check: NpmCheck::Source,
        source,
    };
    if provenance.build_type() == NPM_CLI_BUILD_TYPE_V1
        && let (Some(config), Some(material)) =
            (provenance.config_source_uri(), provenance.material_source_uri())
        && !material.contains('@')
    {
        let repo = config.split_once('@').map_or(config.as_str(), |(r, _)| r);
        for (uri, field) in [
            (repo, "invocation.configSource.uri"),
            (material.as_str(), "materials[0].uri"),
        ] {
            if uri.trim_end_matches('/') != expected.as_str() {
                return Err(policy_error(PolicyError::SourceMismatch {
                    expected: expected.clone(),
                    actual: uri.chars().take(500).collect(),
                    field,
                }));
            }
        }
        return Ok(());
    }
    policy::check_source(provenance, expected).map_err(policy_error)
}

/// `url.QueryUnescape`: `%XX` escapes and `+` as a space.
fn query_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `name@version` (`@scope/name@version`) split; `None` with more than one version separator.
fn split_package(s: &str) -> Option<(String, String)> {
    let (scope, rest) = match s.strip_prefix('@') {
        Some(r) => ("@", r),
        None => ("", s),
    };
    let mut parts = rest.split('@');
    let name = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default();
    if parts.next().is_some() {
        return None;
    }
    Some((format!("{scope}{name}"), version.to_owned()))
}

/// The provenance subject's package name and version (`pkg:npm/<percent-encoded name>@<version>`).
fn provenance_package(subjects: &[Subject]) -> Result<(String, String), NpmError> {
    let [only] = subjects else {
        return Err(NpmError::InvalidPackageSubject {
            subject: subjects
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let encoded = only
        .name
        .strip_prefix("pkg:npm/")
        .ok_or_else(|| NpmError::InvalidPackageSubject {
            subject: only.name.clone(),
        })?;
    let decoded = query_unescape(encoded).ok_or_else(|| NpmError::InvalidEncoding {
        subject: only.name.clone(),
    })?;
    split_package(&decoded).ok_or_else(|| NpmError::InvalidPackageSubject {
        subject: only.name.clone(),
    })
}

/// The publish predicate's `name` and `version`.
pub(crate) fn publish_package(statement: &Value) -> (String, String) {
    let field = |k: &str| {
        statement
            .pointer(&format!("/predicate/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (field("name"), field("version"))
}

pub(crate) fn check_headers(which: Which, payload_type: &str, statement: &Value) -> Result<(), NpmError> {
    let headers = |field, actual: &str, expected: String| NpmError::Headers {
        which,
        field,
        actual: actual.chars().take(200).collect(),
        expected,
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(headers("payload type", payload_type, IN_TOTO_PAYLOAD_TYPE.into()));
    }
    let kind = statement.get("_type").and_then(Value::as_str).unwrap_or_default();
    if !STATEMENT_TYPES.contains(&kind) {
        return Err(headers(
            "statement type",
            kind,
            format!("one of {STATEMENT_TYPES:?}"),
        ));
    }
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ok = match which {
        Which::Provenance => provenant_slsa::PROVENANCE_PREDICATE_TYPES.contains(&predicate_type),
        Which::Publish => predicate_type.starts_with(PUBLISH_PREDICATE_PREFIX),
    };
    if !ok {
        let expected = match which {
            Which::Provenance => format!("one of {:?}", provenant_slsa::PROVENANCE_PREDICATE_TYPES),
            Which::Publish => format!("a type starting with {PUBLISH_PREDICATE_PREFIX}"),
        };
        return Err(headers("predicate type", predicate_type, expected));
    }
    Ok(())
}

pub(crate) fn digest_in(subjects: &[Subject], tarball: &Digest) -> bool {
    policy::check_subject(subjects, tarball).is_ok()
}

/// Step 6: the package name, then the version, in both attestations.
pub(crate) fn check_package(
    expectations: &PackageExpectations,
    subjects: &[Subject],
    published_name: &str,
    published_version: &str,
) -> Result<(), NpmError> {
    if let Some(expected) = &expectations.package_name {
        let (name, _) = provenance_package(subjects)?;
        let publish_short = split_package(published_name).ok_or_else(|| NpmError::InvalidPackageSubject {
            subject: published_name.to_owned(),
        })?;
        for (which, actual) in [
            (Which::Provenance, name),
            (Which::Publish, publish_short.0),
            (Which::Publish, published_name.to_owned()),
        ] {
            if actual != *expected {
                return Err(NpmError::PackageName {
                    which,
                    actual,
                    expected: expected.clone(),
                });
            }
        }
    }
    if let Some(expected) = &expectations.package_version {
        let (_, version) = provenance_package(subjects)?;
        for (which, actual) in [
            (Which::Provenance, version),
            (Which::Publish, published_version.to_owned()),
        ] {
            if actual != *expected {
                return Err(NpmError::PackageVersion {
                    which,
                    actual,
                    expected: expected.clone(),
                });
            }
        }
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_split_like_slsa_verifier() {
        assert_eq!(
            split_package("@scope/name@1.0.0"),
            Some(("@scope/name".into(), "1.0.0".into()))
        );
        assert_eq!(split_package("name"), Some(("name".into(), String::new())));
        assert_eq!(split_package("a@b@c"), None);
        assert_eq!(query_unescape("%40scope/a+b").as_deref(), Some("@scope/a b"));
        assert_eq!(query_unescape("%4"), None);
        assert_eq!(query_unescape("%zz"), None);
    }
}
