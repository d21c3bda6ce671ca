//! npm packages published with provenance: the attestation set the registry serves for a version
//! (`GET /-/npm/v1/attestations/<name>@<version>`) verified against the tarball, with slsa-verifier's
//! `verify-npm-package` semantics and order.
//!
//! An attestation set holds two sigstore bundles:
//!
//! - the **provenance** (SLSA v0.2 or v1), signed keylessly by the GitHub Actions workflow that built
//!   and published the package — either the npm CLI itself (`npm publish --provenance`, builder
//!   `https://github.com/actions/runner[/github-hosted]`) or a trusted reusable workflow of the SLSA
//!   generator's delegator framework (such as `builder_nodejs_slsa3.yml`);
//! - the **publish attestation** (`https://github.com/npm/attestation/tree/main/specs/publish/v0.1`),
//!   signed by the npm registry's key, which the caller supplies as npm's `keys.json` ([`RegistryKeys`]).
//!
//! [`verify_package`] runs the checks in this order, each failure its own [`NpmError`] variant:
//!
//! 1. the provenance bundle verifies under the trusted root (chain, SCT, log), for a GitHub identity;
//! 2. the signing certificate's workflow: the OIDC issuer, a trusted delegator workflow at a `vX.Y.Z`
//!    tag or else the npm CLI on a runner whose kind (GitHub-hosted or self-hosted) matches the builder
//!    id asked; the certificate's source repository; the builder id the provenance records; the source
//!    URI and the tarball's sha512 in the provenance; the branch or tag asked; and, when the npm CLI wrote
//!    the provenance (its claims are not those of a trusted builder), that every claim it makes about
//!    the run equals what the certificate says;
//! 3. the publish attestation verifies (log entry and the registry's key named by the bundle);
//! 4. the tarball's sha512 is a subject of the publish attestation;
//! 5. payload and statement types, and predicate types, of both attestations;
//! 6. the package name, then the version, in the provenance subject (`pkg:npm/<name>@<version>`) and
//!    in the publish attestation.
//!
//! Nothing here does I/O: the caller reads the files and hashes the tarball.
//!
//! ```
//! use provenant_provenance::npm::{AttestationSet, NpmCheck, NpmError};
//!
//! // An attestation set must hold both attestations; what is wrong is named.
//! let err = AttestationSet::from_json(br#"{"attestations": []}"#).unwrap_err();
//! assert!(matches!(err, NpmError::MissingAttestation { .. }));
//! assert_eq!(err.check(), NpmCheck::Attestations);
//! assert!(err.to_string().contains("no SLSA provenance attestation and no npm publish attestation"), "{err}");
//! ```

use std::fmt;

use provenant_digest::{Algorithm, Digest};
use provenant_sigstore::{
    Artifact, Bundle, FulcioExtension, IdentityPolicy, Policy, PublicKey, SanMatcher, Verified, Verifier,
    VerifyError,
};
use provenant_slsa::policy::{self, PolicyError, SourceUri};
use provenant_slsa::{FieldError, PredicateError, Provenance, Subject};
use serde_json::Value;

use crate::gha_identity::{
    GITHUB, WorkflowIdentity, builder_matches, is_release_tag, split_builder, workflow_identity,
};
use crate::{IN_TOTO_PAYLOAD_TYPE, RefExpectation, STATEMENT_TYPES, parse_statement};

/// The largest attestation set read (the registry's are a few tens of KiB).
pub const MAX_ATTESTATION_SET_BYTES: usize = 4 << 20;

/// The largest `keys.json` read.
pub const MAX_KEYS_BYTES: usize = 1 << 20;

/// The predicate type prefix of npm's publish attestation.
pub const PUBLISH_PREDICATE_PREFIX: &str = "https://github.com/npm/attestation/tree/main/specs/publish/";

/// The key usage of the registry key that signs publish attestations.
pub const ATTESTATION_KEY_USAGE: &str = "npm:attestations";

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The npm CLI's builder id in older provenance (GitHub-hosted runners).
pub const NPM_CLI_LEGACY_BUILDER: &str = "https://github.com/actions/runner";
/// The npm CLI's builder id on GitHub-hosted runners.
pub const NPM_CLI_HOSTED_BUILDER: &str = "https://github.com/actions/runner/github-hosted";
/// The npm CLI's builder id on self-hosted runners.
pub const NPM_CLI_SELF_HOSTED_BUILDER: &str = "https://github.com/actions/runner/self-hosted";

/// The SLSA generator's delegator workflows (the BYOB framework), trusted to sign for the builders
/// that call them.
pub const DELEGATOR_WORKFLOWS: &[&str] = &[
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml",
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_lowperms-generic_slsa3.yml",
];

/// Build types, by the builder that may write them.
const BYOB_BUILD_TYPE: &str = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0";
const NPM_CLI_BUILD_TYPE_V1: &str = "https://github.com/npm/cli/gha@v1";
const NPM_CLI_BUILD_TYPE_V2: &str = "https://github.com/npm/cli/gha/v2";
const NPM_CLI_GHA_BUILD_TYPE: &str = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";

const HOSTED_SUFFIX: &str = "/github-hosted";

/// One attestation of the set, as served.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The predicate type the registry lists for it (checked again in the signed statement).
    pub predicate_type: String,
    /// Its sigstore bundle.
    pub bundle: Bundle,
}

/// The two attestations of an npm package version.
#[derive(Debug, Clone)]
pub struct AttestationSet {
    /// The SLSA provenance.
    pub provenance: Attestation,
    /// npm's publish attestation.
    pub publish: Attestation,
}

impl AttestationSet {
    /// Reads the registry's attestation set: `{"attestations": [{"predicateType", "bundle"}, …]}` with
    /// one SLSA provenance (v0.2 or v1) and one publish attestation; a set without either is
    /// [`NpmError::MissingAttestation`], a failed verification. When a type
    /// appears more than once, the last one is taken, as slsa-verifier does.
    pub fn from_json(bytes: &[u8]) -> Result<AttestationSet, NpmError> {
        let bad = |reason: String| NpmError::Attestations { reason };
        if bytes.len() > MAX_ATTESTATION_SET_BYTES {
            return Err(bad(format!(
                "{} bytes, more than the {MAX_ATTESTATION_SET_BYTES} accepted",
                bytes.len()
            )));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        // A member named twice anywhere (a second `bundle` or `dsseEnvelope`) is refused: the map
        // above kept one of them silently.
        provenant_sigstore::check_unique_keys(bytes, "attestation set").map_err(|e| bad(e.to_string()))?;
        let list = doc
            .get("attestations")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `attestations` array".into()))?;
        let (mut provenance, mut publish) = (None, None);
        for (i, entry) in list.iter().enumerate() {
            let predicate_type = entry
                .get("predicateType")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    bad(format!(
                        "attestations[{i}].predicateType: missing or not a string"
                    ))
                })?;
            let is_provenance = provenant_slsa::PROVENANCE_PREDICATE_TYPES.contains(&predicate_type);
            let is_publish = predicate_type.starts_with(PUBLISH_PREDICATE_PREFIX);
            if !(is_provenance || is_publish) {
                continue;
            }
            let bundle_json = entry
                .get("bundle")
                .ok_or_else(|| bad(format!("attestations[{i}].bundle: missing")))?;
            let raw = serde_json::to_vec(bundle_json).map_err(|e| bad(e.to_string()))?;
            let bundle =
                Bundle::from_json(&raw).map_err(|e| bad(format!("attestations[{i}].bundle: {e}")))?;
            let attestation = Attestation {
                predicate_type: predicate_type.to_owned(),
                bundle,
            };
            if is_provenance {
                provenance = Some(attestation);
            } else {
                publish = Some(attestation);
            }
        }
        let count = list.len();
        match (provenance, publish) {
            (Some(provenance), Some(publish)) => Ok(AttestationSet { provenance, publish }),
            (None, Some(_)) => Err(NpmError::MissingAttestation {
                missing: Missing::Provenance,
                count,
            }),
            (Some(_), None) => Err(NpmError::MissingAttestation {
                missing: Missing::Publish,
                count,
            }),
            (None, None) => Err(NpmError::MissingAttestation {
                missing: Missing::Both,
                count,
            }),
        }
    }
}

/// A registry public key from npm's `keys.json`.
#[derive(Debug, Clone)]
pub struct RegistryKey {
    /// Its id (`SHA256:<base64>`), as bundles name it in their public-key hint.
    pub key_id: String,
    /// What it signs (`npm:attestations`, `npm:signatures`).
    pub usage: String,
    /// The key.
    pub public_key: PublicKey,
    /// Valid from (inclusive), when stated.
    pub valid_from: Option<jiff::Timestamp>,
    /// Valid until (exclusive), when stated.
    pub valid_until: Option<jiff::Timestamp>,
    /// Whether it comes from the registry's own listing (`/-/npm/v1/keys`), whose keys sign both
    /// attestations and `dist.signatures`.
    pub from_registry_listing: bool,
}

/// npm's registry keys, as published in `keys.json` (the sigstore TUF repository's
/// `registry.npmjs.org/keys.json` target, or `https://registry.npmjs.org/-/npm/v1/keys`).
#[derive(Debug, Clone, Default)]
pub struct RegistryKeys {
    keys: Vec<RegistryKey>,
}

fn key_field<'a>(key: &'a Value, i: usize, path: &[&str]) -> Result<&'a Value, NpmError> {
    let mut v = key;
    for p in path {
        v = v.get(*p).ok_or_else(|| NpmError::RegistryKeys {
            reason: format!("keys[{i}].{}: missing", path.join(".")),
        })?;
    }
    Ok(v)
}

fn key_time(v: Option<&Value>, i: usize, name: &str) -> Result<Option<jiff::Timestamp>, NpmError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|e| NpmError::RegistryKeys {
            reason: format!("keys[{i}].publicKey.validFor.{name}: {e}"),
        }),
        Some(_) => Err(NpmError::RegistryKeys {
            reason: format!("keys[{i}].publicKey.validFor.{name}: not a string"),
        }),
    }
}

impl RegistryKeys {
    /// Reads `keys.json`: `{"keys": [{"keyId", "keyUsage", "publicKey": {"rawBytes" (base64 DER
    /// SubjectPublicKeyInfo), "keyDetails", "validFor": {"start", "end"?}}}]}`. The registry's other
    /// form, `{"keys": [{"keyid", "key", "expires", …}]}` (`/-/npm/v1/keys`), is read too.
    pub fn from_json(bytes: &[u8]) -> Result<RegistryKeys, NpmError> {
        use base64::Engine as _;
        let bad = |reason: String| NpmError::RegistryKeys { reason };
        if bytes.len() > MAX_KEYS_BYTES {
            return Err(bad(format!("more than {MAX_KEYS_BYTES} bytes")));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `keys` array".into()))?;
        let mut keys = Vec::with_capacity(list.len());
        for (i, key) in list.iter().enumerate() {
            let text = |v: &Value, what: &str| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("keys[{i}].{what}: not a string")))
            };
            let from_registry_listing = key.get("keyId").is_none();
            let (key_id, usage, raw, valid_from, valid_until) = if key.get("keyId").is_some() {
                (
                    text(key_field(key, i, &["keyId"])?, "keyId")?,
                    text(key_field(key, i, &["keyUsage"])?, "keyUsage")?,
                    text(
                        key_field(key, i, &["publicKey", "rawBytes"])?,
                        "publicKey.rawBytes",
                    )?,
                    key_time(key.pointer("/publicKey/validFor/start"), i, "start")?,
                    key_time(key.pointer("/publicKey/validFor/end"), i, "end")?,
                )
            } else {
                (
                    text(key_field(key, i, &["keyid"])?, "keyid")?,
                    // The registry's own listing holds only its signing keys, which also sign attestations.
                    ATTESTATION_KEY_USAGE.to_owned(),
                    text(key_field(key, i, &["key"])?, "key")?,
                    None,
                    key_time(key.get("expires"), i, "expires")?,
                )
            };
            let der = base64::engine::general_purpose::STANDARD
                .decode(raw.as_bytes())
                .map_err(|e| bad(format!("keys[{i}]: the key is not base64: {e}")))?;
            let public_key = PublicKey::from_spki_der(&der).map_err(|e| bad(format!("keys[{i}]: {e}")))?;
            keys.push(RegistryKey {
                key_id,
                usage,
                public_key,
                valid_from,
                valid_until,
                from_registry_listing,
            });
        }
        Ok(RegistryKeys { keys })
    }

    /// The keys read.
    #[must_use]
    pub fn keys(&self) -> &[RegistryKey] {
        &self.keys
    }

    /// The key with this id and usage.
    #[must_use]
    pub fn find(&self, key_id: &str, usage: &str) -> Option<&RegistryKey> {
        self.keys.iter().find(|k| k.key_id == key_id && k.usage == usage)
    }
}

/// What the package must be.
#[derive(Debug, Clone)]
pub struct PackageExpectations {
    /// The source repository it was built from.
    pub source: SourceUri,
    /// The builder: `https://github.com/actions/runner/github-hosted` (or the short
    /// `https://github.com/actions/runner`, or `…/self-hosted`) for the npm CLI, or the trusted
    /// workflow's id (`…/builder_nodejs_slsa3.yml`). Required, as slsa-verifier requires it.
    pub builder_id: Option<String>,
    /// The package name (`@scope/name` or `name`), when to be checked.
    pub package_name: Option<String>,
    /// The package version, when to be checked.
    pub package_version: Option<String>,
    /// The branch, tag or versioned tag, when to be checked.
    pub git_ref: Option<RefExpectation>,
}

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

/// A package whose attestations passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    /// The builder verified: the trusted workflow's id as the provenance records it, or the npm CLI's
    /// builder id asked.
    pub builder_id: String,
    /// Whether a trusted workflow built it (the SLSA generator's delegator) rather than the npm CLI in
    /// the user's own workflow.
    pub trusted_builder: bool,
    /// The workflow identity of the provenance's signing certificate.
    pub signer: String,
    /// The source commit, from the certificate.
    pub source_commit: Option<String>,
    /// The provenance statement.
    pub provenance: Value,
    /// The publish attestation statement.
    pub publish: Value,
    /// The package name the publish attestation records.
    pub package_name: String,
    /// The package version the publish attestation records.
    pub package_version: String,
    /// The older GitHub certificate extensions (`github-workflow-repository`, …) the signer's claims
    /// were read from, because the certificate predates their successors (early-2023 provenance);
    /// empty for today's certificates. The claims only the newer extensions carry (repository and
    /// owner ids, run, runner kind) were then not verified.
    pub older_extensions: Vec<FulcioExtension>,
}

/// The digest the signature check binds a bundle to: its statement's first sha512/sha256 subject
/// (the signature covers the whole statement; the tarball is matched against the subjects afterwards).
fn bound_digest(bundle: &Bundle, which: Which) -> Result<Digest, NpmError> {
    let statement_error = |source| NpmError::Statement { which, source };
    let (_, payload) = bundle.dsse_payload().ok_or_else(|| {
        statement_error(FieldError {
            field: "dsseEnvelope".into(),
            reason: format!(
                "the bundle carries {:?}, not a DSSE envelope",
                bundle.content_kind()
            ),
        })
    })?;
    let (_, subjects) = parse_statement(payload).map_err(statement_error)?;
    subjects
        .iter()
        .find_map(|s| {
            s.digest
                .get("sha512")
                .and_then(|h| Digest::from_hex(Algorithm::Sha512, h).ok())
                .or_else(|| {
                    s.digest
                        .get("sha256")
                        .and_then(|h| Digest::from_hex(Algorithm::Sha256, h).ok())
                })
        })
        .ok_or_else(|| {
            statement_error(FieldError {
                field: "subject".into(),
                reason: "no sha512 or sha256 digest".into(),
            })
        })
}

fn statement_of(verified: &Verified, which: Which) -> Result<(String, Value, Vec<Subject>), NpmError> {
    let Some((payload_type, payload)) = &verified.dsse else {
        return Err(NpmError::Statement {
            which,
            source: FieldError {
                field: "dsseEnvelope".into(),
                reason: "missing".into(),
            },
        });
    };
    let (statement, subjects) =
        parse_statement(payload).map_err(|source| NpmError::Statement { which, source })?;
    Ok((payload_type.clone(), statement, subjects))
}

/// The build types a builder writes, per predicate type (slsa-verifier's registry; the npm CLI on
/// self-hosted runners is not supported there either).
fn build_types(builder: &str, predicate_type: &str) -> Option<&'static [&'static str]> {
    let v1 = predicate_type == provenant_slsa::v1::PREDICATE_TYPE;
    if DELEGATOR_WORKFLOWS.contains(&builder) {
        return Some(&[BYOB_BUILD_TYPE]);
    }
    match (builder, v1) {
        (NPM_CLI_LEGACY_BUILDER | NPM_CLI_HOSTED_BUILDER, false) => {
            Some(&[NPM_CLI_BUILD_TYPE_V1, NPM_CLI_BUILD_TYPE_V2])
        }
        (NPM_CLI_HOSTED_BUILDER, true) => Some(&[NPM_CLI_GHA_BUILD_TYPE]),
        _ => None,
    }
}

/// The source check of slsa-verifier: the configuration source and the material must name the
/// repository, and each other; npm CLI provenance of build type `gha@v1` records the material without
/// a ref, which is then accepted by repository alone.
fn check_source(provenance: &Provenance, expected: &SourceUri) -> Result<(), NpmError> {
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

fn mismatch(claim: impl Into<String>, provenance: impl Into<String>, certificate: Option<&str>) -> NpmError {
    NpmError::CertificateMismatch {
        claim: claim.into(),
        provenance: provenance.into(),
        certificate: certificate.map(str::to_owned),
    }
}

/// A provenance value that must equal the certificate's, when the provenance states it.
fn equal_claim(claim: &str, value: Option<&Value>, certificate: Option<&str>) -> Result<(), NpmError> {
    let Some(value) = value else {
        return Ok(());
    };
    let Some(text) = value.as_str() else {
        return Err(mismatch(claim, value.to_string(), certificate));
    };
    if certificate == Some(text) {
        Ok(())
    } else {
        Err(mismatch(claim, text, certificate))
    }
}

/// `equal_claim` for a claim that no extension of an early-2023 certificate (the older GitHub
/// extensions alone) can carry: repository and owner ids, workflow digest, run. Such a certificate
/// cannot vouch for it either way, so the claim is left unverified (and is not reported); a
/// certificate with the newer extensions must vouch for it as always.
fn vouched_claim(
    workflow: &WorkflowIdentity,
    claim: &str,
    value: Option<&Value>,
    certificate: Option<&str>,
) -> Result<(), NpmError> {
    if certificate.is_none() && !workflow.older_extensions.is_empty() {
        return Ok(());
    }
    equal_claim(claim, value, certificate)
}

/// The run id and attempt of the certificate (`<id>/attempts/<n>`).
fn certificate_run(workflow: &WorkflowIdentity) -> Result<Option<(String, String)>, NpmError> {
    let Some(run) = &workflow.run else {
        return Ok(None);
    };
    let parts: Vec<&str> = run.split('/').collect();
    match parts.as_slice() {
        [id, _, attempt] => Ok(Some(((*id).to_owned(), (*attempt).to_owned()))),
        _ => Err(NpmError::CertificateClaim {
            claim: "run invocation URI",
            reason: format!("{run:?}, not <run>/attempts/<n>"),
        }),
    }
}

/// The environment variables npm CLI provenance v0.2 may record: those its certificate vouches for.
const V02_ENVIRONMENT: &[&str] = &[
    "GITHUB_EVENT_NAME",
    "GITHUB_REF",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_WORKFLOW_SHA",
];

/// What the npm CLI's provenance says about its run must be what its certificate says: the npm CLI is
/// not a trusted builder, so only the claims the certificate vouches for may be made, and those must
/// agree (slsa-verifier's "forgeable" checks).
fn check_against_certificate(
    provenance: &Provenance,
    predicate: &Value,
    subjects: &[Subject],
    workflow: &WorkflowIdentity,
) -> Result<(), NpmError> {
    let run = certificate_run(workflow)?;
    let v02 = matches!(provenance, Provenance::V02(_));
    check_run_parameters(v02, predicate, workflow, run.as_ref())?;
    check_run_metadata(
        v02,
        predicate,
        run.as_ref(),
        !workflow.older_extensions.is_empty(),
    )?;
    // One subject, with a sha512 digest (what the registry records).
    match subjects {
        [only] if only.digest.contains_key("sha512") => {}
        _ => {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!("{} subjects, expected one with a sha512 digest", subjects.len()),
            });
        }
    }
    // The workflow file that ran.
    let trigger_path = if v02 {
        predicate.pointer("/invocation/configSource/entryPoint")
    } else {
        predicate.pointer("/buildDefinition/externalParameters/workflow/path")
    };
    if let Some(path) = trigger_path {
        equal_claim("workflow path", Some(path), workflow.config_path.as_deref())?;
    }
    // Exactly the source as resolved dependency.
    let deps = if v02 {
        predicate.pointer("/materials")
    } else {
        predicate.pointer("/buildDefinition/resolvedDependencies")
    };
    let n = deps.and_then(Value::as_array).map_or(0, Vec::len);
    if n != 1 {
        return Err(NpmError::NonVerifiableClaim {
            claim: format!("{n} resolved dependencies, expected the source alone"),
        });
    }
    if v02 {
        match predicate.get("buildConfig") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(other) => {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("buildConfig {other}"),
                });
            }
        }
    }
    Ok(())
}

/// The parameters the npm CLI records about its run, against the certificate.
fn check_run_parameters(
    v02: bool,
    predicate: &Value,
    workflow: &WorkflowIdentity,
    run: Option<&(String, String)>,
) -> Result<(), NpmError> {
    if v02 {
        // invocation.environment: only the variables the certificate can vouch for.
        let env = predicate.pointer("/invocation/environment");
        let Some(Value::Object(env)) = env else {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!(
                    "invocation.environment {}",
                    env.map_or("(none)".into(), Value::to_string)
                ),
            });
        };
        if let Some(unknown) = env.keys().find(|k| !V02_ENVIRONMENT.contains(&k.as_str())) {
            return Err(mismatch(
                format!("invocation.environment.{unknown}"),
                "(set)",
                None,
            ));
        }
        let field = |k: &str| env.get(k);
        equal_claim(
            "GITHUB_EVENT_NAME",
            field("GITHUB_EVENT_NAME"),
            workflow.trigger.as_deref(),
        )?;
        equal_claim(
            "GITHUB_REPOSITORY",
            field("GITHUB_REPOSITORY"),
            Some(&workflow.repository),
        )?;
        equal_claim("GITHUB_REF", field("GITHUB_REF"), workflow.git_ref.as_deref())?;
        vouched_claim(
            workflow,
            "GITHUB_REPOSITORY_ID",
            field("GITHUB_REPOSITORY_ID"),
            workflow.repository_id.as_deref(),
        )?;
        vouched_claim(
            workflow,
            "GITHUB_REPOSITORY_OWNER_ID",
            field("GITHUB_REPOSITORY_OWNER_ID"),
            workflow.owner_id.as_deref(),
        )?;
        equal_claim("GITHUB_SHA", field("GITHUB_SHA"), workflow.commit.as_deref())?;
        equal_claim(
            "GITHUB_WORKFLOW_REF",
            field("GITHUB_WORKFLOW_REF"),
            Some(&workflow.workflow_path_ref),
        )?;
        vouched_claim(
            workflow,
            "GITHUB_WORKFLOW_SHA",
            field("GITHUB_WORKFLOW_SHA"),
            workflow.workflow_digest.as_deref(),
        )?;
        if field("GITHUB_RUN_ID").is_some() || field("GITHUB_RUN_ATTEMPT").is_some() {
            let (id, attempt) = run.map_or((None, None), |(i, a)| (Some(i.as_str()), Some(a.as_str())));
            vouched_claim(workflow, "GITHUB_RUN_ID", field("GITHUB_RUN_ID"), id)?;
            vouched_claim(
                workflow,
                "GITHUB_RUN_ATTEMPT",
                field("GITHUB_RUN_ATTEMPT"),
                attempt,
            )?;
        }
        // invocation.parameters: none may be claimed.
        match predicate.pointer("/invocation/parameters") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(other) => {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("invocation.parameters {other}"),
                });
            }
        }
    } else {
        // buildDefinition.internalParameters.github: only what the certificate vouches for.
        let github = predicate.pointer("/buildDefinition/internalParameters/github");
        let Some(Value::Object(github)) = github else {
            return Err(NpmError::NonVerifiableClaim {
                claim: "buildDefinition.internalParameters without a `github` object".into(),
            });
        };
        for (k, v) in github {
            let certificate = match k.as_str() {
                "event_name" => workflow.trigger.as_deref(),
                "repository_id" => workflow.repository_id.as_deref(),
                "repository_owner_id" => workflow.owner_id.as_deref(),
                _ => return Err(mismatch(format!("internalParameters.github.{k}"), "(set)", None)),
            };
            let claim = format!("internalParameters.github.{k}");
            if k == "event_name" {
                equal_claim(&claim, Some(v), certificate)?;
            } else {
                vouched_claim(workflow, &claim, Some(v), certificate)?;
            }
        }
    }
    Ok(())
}

/// The invocation id and the claims about the run the certificate cannot vouch for.
fn check_run_metadata(
    v02: bool,
    predicate: &Value,
    run: Option<&(String, String)>,
    older_certificate: bool,
) -> Result<(), NpmError> {
    // The run: invocation id against the certificate's run and attempt.
    let invocation = if v02 {
        predicate.pointer("/metadata/buildInvocationId")
    } else {
        predicate.pointer("/runDetails/metadata/invocationId")
    };
    if let Some(invocation) = invocation.and_then(Value::as_str).filter(|s| !s.is_empty()) {
        let claimed = if v02 {
            invocation.split_once('-').filter(|(_, a)| !a.contains('-'))
        } else {
            let parts: Vec<&str> = invocation.trim_start_matches(GITHUB).split('/').collect();
            match parts.as_slice() {
                [_, _, _, _, id, _, attempt] => Some((*id, *attempt)),
                _ => None,
            }
        };
        let Some((id, attempt)) = claimed else {
            return Err(mismatch("invocation id", invocation, None));
        };
        let (cert_id, cert_attempt) = run.map_or((None, None), |(i, a)| (Some(i.as_str()), Some(a.as_str())));
        // An early-2023 certificate names no run: the invocation id is left unverified.
        let unvouchable = run.is_none() && older_certificate;
        if cert_id != Some(id) && !unvouchable {
            return Err(mismatch("run id", id, cert_id));
        }
        if cert_attempt != Some(attempt) && !unvouchable {
            return Err(mismatch("run attempt", attempt, cert_attempt));
        }
    }
    // Times the certificate cannot vouch for.
    let times: &[&str] = if v02 {
        &["/metadata/buildStartedOn", "/metadata/buildFinishedOn"]
    } else {
        &[
            "/runDetails/metadata/startedOn",
            "/runDetails/metadata/finishedOn",
        ]
    };
    for pointer in times {
        if let Some(v) = predicate.pointer(pointer).filter(|v| !v.is_null()) {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!("{} {v}", pointer.trim_start_matches('/').replace('/', ".")),
            });
        }
    }
    if v02 {
        if predicate.pointer("/metadata/reproducible") == Some(&Value::Bool(true)) {
            return Err(NpmError::NonVerifiableClaim {
                claim: "metadata.reproducible true".into(),
            });
        }
        for c in ["parameters", "environment", "materials"] {
            if predicate.pointer(&format!("/metadata/completeness/{c}")) == Some(&Value::Bool(true)) {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("metadata.completeness.{c} true"),
                });
            }
        }
    }
    Ok(())
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
fn publish_package(statement: &Value) -> (String, String) {
    let field = |k: &str| {
        statement
            .pointer(&format!("/predicate/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (field("name"), field("version"))
}

fn check_headers(which: Which, payload_type: &str, statement: &Value) -> Result<(), NpmError> {
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

fn digest_in(subjects: &[Subject], tarball: &Digest) -> bool {
    policy::check_subject(subjects, tarball).is_ok()
}

/// The builder step: who signed, and which builder that makes it.
struct Builder {
    /// The builder whose provenance format applies (the delegator, or the npm CLI id asked).
    provenance_format: String,
    /// The builder id the provenance must record.
    expected: String,
    trusted: bool,
}

fn check_signer(
    verified: &Verified,
    workflow: &WorkflowIdentity,
    expectations: &PackageExpectations,
) -> Result<Builder, NpmError> {
    if verified.issuer.as_deref() != Some(GITHUB_ISSUER) {
        return Err(NpmError::Issuer {
            actual: verified.issuer.clone(),
        });
    }
    let delegator = DELEGATOR_WORKFLOWS.contains(&workflow.workflow.as_str());
    if delegator && !is_release_tag(&workflow.workflow_ref) {
        return Err(NpmError::BuilderRef {
            workflow: workflow.workflow.clone(),
            git_ref: workflow.workflow_ref.clone(),
        });
    }
    if let Some(expected) = workflow.other_repository_than(&expectations.source) {
        return Err(NpmError::CertificateSource {
            expected,
            actual: workflow.repository.clone(),
        });
    }
    let builder_id = expectations.builder_id.clone().ok_or(NpmError::NoBuilderId)?;
    if delegator {
        if let Some(hosted) = &workflow.hosted
            && hosted != "github-hosted"
        {
            return Err(NpmError::RunnerMismatch {
                builder_id,
                runner: hosted.clone(),
            });
        }
        return Ok(Builder {
            provenance_format: workflow.workflow.clone(),
            expected: builder_id,
            trusted: true,
        });
    }
    // A certificate from before the Runner Environment extension (early 2023, the older GitHub
    // extensions alone) cannot say which kind of runner ran: only the older builder id, which claims
    // no kind, is accepted for it.
    if workflow.hosted.is_none()
        && !workflow.older_extensions.is_empty()
        && builder_id == NPM_CLI_LEGACY_BUILDER
    {
        return Ok(Builder {
            provenance_format: builder_id.clone(),
            expected: builder_id,
            trusted: false,
        });
    }
    let hosted = workflow.hosted.clone().ok_or(NpmError::RunnerUnknown)?;
    let want = match builder_id.as_str() {
        NPM_CLI_LEGACY_BUILDER | NPM_CLI_HOSTED_BUILDER => "github-hosted",
        NPM_CLI_SELF_HOSTED_BUILDER => "self-hosted",
        _ => return Err(NpmError::UnsupportedBuilder { builder_id }),
    };
    if hosted != want {
        return Err(NpmError::RunnerMismatch {
            builder_id,
            runner: hosted,
        });
    }
    let name = split_builder(&builder_id)
        .map_or(builder_id.as_str(), |(n, _)| n)
        .to_owned();
    Ok(Builder {
        provenance_format: name,
        expected: builder_id,
        trusted: false,
    })
}

/// The provenance's builder id against the one asked, loosely; older provenance records the npm CLI's
/// builder without the runner kind, which means GitHub-hosted.
fn check_recorded_builder(recorded: &str, expected: &str) -> Result<(), NpmError> {
    let builder_ok = builder_matches(recorded, expected)
        || match expected.strip_suffix(HOSTED_SUFFIX) {
            Some(short) => builder_matches(recorded, short),
            None => builder_matches(recorded, &format!("{expected}{HOSTED_SUFFIX}")),
        };
    if builder_ok {
        Ok(())
    } else {
        Err(NpmError::BuilderMismatch {
            expected: expected.to_owned(),
            actual: recorded.chars().take(500).collect(),
        })
    }
}

/// What the provenance step established.
struct ProvenanceStep {
    signed: Verified,
    workflow: WorkflowIdentity,
    trusted: bool,
    /// The builder id verified.
    builder_id: String,
    payload_type: String,
    statement: Value,
    subjects: Vec<Subject>,
}

/// Steps 1 and 2: the provenance's signature, its signer and builder, and its claims.
fn verify_provenance_step(
    verifier: &Verifier,
    attestations: &AttestationSet,
    tarball: &Digest,
    expectations: &PackageExpectations,
) -> Result<ProvenanceStep, NpmError> {
    // 1. The provenance's signature, for any GitHub workflow identity: who it is is checked next.
    let bundle = &attestations.provenance.bundle;
    let github_identity =
        SanMatcher::regex("https://github\\.com/.+").map_err(|e| NpmError::CertificateClaim {
            claim: "subject alternative name",
            reason: e.to_string(),
        })?;
    let signed = verifier
        .verify(
            Artifact::Digest(bound_digest(bundle, Which::Provenance)?),
            bundle,
            &Policy::Identity(IdentityPolicy::new(github_identity)),
        )
        .map_err(|source| NpmError::Signature {
            which: Which::Provenance,
            source,
        })?;

    // 2. The signer, the builder, and the provenance.
    let workflow = workflow_identity(&signed).map_err(|c| NpmError::CertificateClaim {
        claim: c.claim,
        reason: c.reason,
    })?;
    let builder = check_signer(&signed, &workflow, expectations)?;
    let (payload_type, statement, subjects) = statement_of(&signed, Which::Provenance)?;
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(NpmError::Headers {
            which: Which::Provenance,
            field: "payload type",
            actual: payload_type,
            expected: IN_TOTO_PAYLOAD_TYPE.into(),
        });
    }
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let predicate = statement.get("predicate").unwrap_or(&Value::Null);
    if !provenant_slsa::PROVENANCE_PREDICATE_TYPES.contains(&predicate_type) {
        return Err(NpmError::Headers {
            which: Which::Provenance,
            field: "predicate type",
            actual: predicate_type.chars().take(200).collect(),
            expected: format!("one of {:?}", provenant_slsa::PROVENANCE_PREDICATE_TYPES),
        });
    }
    let accepted = build_types(&builder.provenance_format, predicate_type).ok_or_else(|| {
        NpmError::BuilderNotForPredicate {
            builder: builder.provenance_format.clone(),
            predicate_type: predicate_type.to_owned(),
        }
    })?;
    let provenance = Provenance::parse(predicate_type, predicate).map_err(NpmError::Predicate)?;
    if !accepted.contains(&provenance.build_type()) {
        return Err(NpmError::BuildType {
            builder: builder.provenance_format.clone(),
            build_type: provenance.build_type().chars().take(200).collect(),
        });
    }
    let recorded = provenance.builder_id();
    check_recorded_builder(recorded, &builder.expected)?;
    check_source(&provenance, &expectations.source)?;
    if !digest_in(&subjects, tarball) {
        return Err(NpmError::DigestMismatch {
            which: Which::Provenance,
            tarball: *tarball,
        });
    }
    let ref_check = match &expectations.git_ref {
        None => Ok(()),
        Some(RefExpectation::Branch(b)) => policy::check_branch(&provenance, b),
        Some(RefExpectation::Tag(t)) => policy::check_tag(&provenance, t),
        Some(RefExpectation::VersionedTag(v)) => policy::check_versioned_tag(&provenance, v),
    };
    ref_check.map_err(|source| NpmError::Policy {
        check: NpmCheck::Ref,
        source,
    })?;
    if !builder.trusted {
        check_against_certificate(&provenance, predicate, &subjects, &workflow)?;
    }

    let builder_id = if builder.trusted {
        recorded.to_owned()
    } else {
        builder.expected
    };
    Ok(ProvenanceStep {
        signed,
        workflow,
        trusted: builder.trusted,
        builder_id,
        payload_type,
        statement,
        subjects,
    })
}

/// Step 6: the package name, then the version, in both attestations.
fn check_package(
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

/// Verifies an npm package's attestations against its tarball's sha512, with slsa-verifier's
/// semantics and order (see the module documentation).
pub fn verify_package(
    verifier: &Verifier,
    keys: &RegistryKeys,
    attestations: &AttestationSet,
    tarball: &Digest,
    expectations: &PackageExpectations,
) -> Result<VerifiedPackage, NpmError> {
    let step = verify_provenance_step(verifier, attestations, tarball, expectations)?;
    // 3. The publish attestation, signed by the registry key it names.
    let publish_bundle = &attestations.publish.bundle;
    let hint = publish_bundle.public_key_hint();
    let key = hint
        .and_then(|h| keys.find(h, ATTESTATION_KEY_USAGE))
        .ok_or_else(|| NpmError::UnknownRegistryKey {
            key_id: hint.map(str::to_owned),
        })?;
    let published = verifier
        .verify(
            Artifact::Digest(bound_digest(publish_bundle, Which::Publish)?),
            publish_bundle,
            &Policy::Key(key.public_key.clone()),
        )
        .map_err(|source| NpmError::Signature {
            which: Which::Publish,
            source,
        })?;
    if let Some(at) = published.integrated_time
        && (key.valid_from.is_some_and(|f| at < f) || key.valid_until.is_some_and(|u| at >= u))
    {
        return Err(NpmError::RegistryKeyNotValid {
            key_id: key.key_id.clone(),
            signed_at: at.to_string(),
        });
    }
    let (publish_payload_type, publish_statement, publish_subjects) =
        statement_of(&published, Which::Publish)?;

    // 4. The tarball in the publish attestation.
    if !digest_in(&publish_subjects, tarball) {
        return Err(NpmError::DigestMismatch {
            which: Which::Publish,
            tarball: *tarball,
        });
    }

    // 5. Headers of both.
    check_headers(Which::Provenance, &step.payload_type, &step.statement)?;
    check_headers(Which::Publish, &publish_payload_type, &publish_statement)?;

    // 6. Name, then version.
    let (package_name, package_version) = publish_package(&publish_statement);
    check_package(expectations, &step.subjects, &package_name, &package_version)?;
    Ok(VerifiedPackage {
        builder_id: step.builder_id,
        trusted_builder: step.trusted,
        signer: step.signed.identity.clone().unwrap_or_default(),
        source_commit: step.workflow.commit.clone(),
        provenance: step.statement,
        publish: publish_statement,
        package_name,
        package_version,
        older_extensions: step.workflow.older_extensions.clone(),
    })
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

    #[test]
    fn builder_ids_match_loosely() {
        assert!(builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml"
        ));
        assert!(builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml@v1.6.0"
        ));
        assert!(!builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml@v1.6.1"
        ));
        assert!(!builder_matches("https://x/b.yml", "https://x/c.yml"));
        assert!(is_release_tag("refs/tags/v1.6.0"));
        assert!(!is_release_tag("refs/tags/v1.6"));
        assert!(!is_release_tag("refs/heads/main"));
        assert!(!is_release_tag("refs/tags/v1.6.0-rc.1"));
    }

    /// The certificate of the npm CLI run that published `@trishankatdatadog/supreme-goggles@1.0.5`.
    fn supreme_workflow() -> WorkflowIdentity {
        WorkflowIdentity {
            repository: "trishankatdatadog/supreme-goggles".into(),
            commit: Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
            git_ref: Some("refs/tags/v1.0.5".into()),
            repository_id: Some("636292006".into()),
            owner_id: Some("33133073".into()),
            workflow:
                "https://github.com/trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml"
                    .into(),
            workflow_ref: "refs/tags/v1.0.5".into(),
            workflow_path_ref:
                "trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5".into(),
            workflow_digest: Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
            hosted: Some("github-hosted".into()),
            trigger: Some("release".into()),
            config_path: Some(".github/workflows/npm-publish.yml".into()),
            run: Some("4994975790/attempts/1".into()),
            older_extensions: Vec::new(),
        }
    }

    /// The same run as an early-2023 certificate would describe it: the SAN, the issuer and the older
    /// GitHub extensions (`.2`–`.6`) alone.
    fn supreme_early_2023() -> Verified {
        Verified {
            identity: Some(
                "https://github.com/trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5"
                    .into(),
            ),
            issuer: Some(GITHUB_ISSUER.into()),
            extensions: vec![
                (FulcioExtension::GithubWorkflowTrigger, "release".into()),
                (FulcioExtension::GithubWorkflowSha, "38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
                (FulcioExtension::GithubWorkflowName, "Node.js Package".into()),
                (FulcioExtension::GithubWorkflowRepository, "trishankatdatadog/supreme-goggles".into()),
                (FulcioExtension::GithubWorkflowRef, "refs/tags/v1.0.5".into()),
            ],
            integrated_time: None,
            verified_times: Vec::new(),
            log_entries: Vec::new(),
            dsse: None,
            older_extensions_used: Vec::new(),
        }
    }

    /// Issue 15, item 1: early-2023 npm provenance, whose certificate carries only Fulcio's older GitHub
    /// extensions, verifies: the repository, commit, ref and trigger come from the older extensions
    /// (which are named), the workflow path from the SAN, and the claims no such certificate can carry
    /// are left unverified; a claim it does carry that the provenance contradicts still fails, and only
    /// the npm CLI's older builder id (which claims no runner kind) is accepted.
    #[test]
    fn early_2023_certificates_with_only_older_extensions_verify() {
        let verified = supreme_early_2023();
        let workflow = workflow_identity(&verified).unwrap();
        assert_eq!(workflow.repository, "trishankatdatadog/supreme-goggles");
        assert_eq!(
            workflow.commit.as_deref(),
            Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba")
        );
        assert_eq!(workflow.git_ref.as_deref(), Some("refs/tags/v1.0.5"));
        assert_eq!(workflow.trigger.as_deref(), Some("release"));
        assert_eq!(
            workflow.config_path.as_deref(),
            Some(".github/workflows/npm-publish.yml")
        );
        assert_eq!(
            workflow.older_extensions,
            [
                FulcioExtension::GithubWorkflowTrigger,
                FulcioExtension::GithubWorkflowSha,
                FulcioExtension::GithubWorkflowRepository,
                FulcioExtension::GithubWorkflowRef,
            ]
        );
        check(&supreme_v02(), &workflow).unwrap();
        check(&supreme_v1(), &workflow).unwrap();
        for (name, value) in [
            ("GITHUB_SHA", "0000"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REPOSITORY", "other/repo"),
        ] {
            let mut forged = supreme_v02();
            forged["invocation"]["environment"][name] = value.into();
            let err = check(&forged, &workflow).expect_err(name);
            assert_eq!(err.check(), NpmCheck::Certificate, "{name}: {err}");
        }
        let expectations = |builder: &str| PackageExpectations {
            source: "github.com/trishankatdatadog/supreme-goggles".parse().unwrap(),
            builder_id: Some(builder.into()),
            package_name: None,
            package_version: None,
            git_ref: None,
        };
        let builder = check_signer(&verified, &workflow, &expectations(NPM_CLI_LEGACY_BUILDER)).unwrap();
        assert_eq!(builder.expected, NPM_CLI_LEGACY_BUILDER);
        let Err(err) = check_signer(&verified, &workflow, &expectations(NPM_CLI_HOSTED_BUILDER)) else {
            panic!("a runner kind the certificate cannot state was accepted");
        };
        assert!(matches!(err, NpmError::RunnerUnknown), "{err}");
        // The same certificate with the newer extensions as well is read from those alone.
        let mut both = verified.clone();
        both.extensions.push((
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/trishankatdatadog/supreme-goggles".into(),
        ));
        assert_eq!(
            workflow_identity(&both).unwrap().older_extensions,
            [
                FulcioExtension::GithubWorkflowTrigger,
                FulcioExtension::GithubWorkflowSha,
                FulcioExtension::GithubWorkflowRef,
            ]
        );
    }

    /// Its SLSA v0.2 provenance, as the npm CLI wrote it.
    fn supreme_v02() -> Value {
        serde_json::json!({
            "buildType": "https://github.com/npm/cli/gha/v2",
            "builder": {"id": "https://github.com/actions/runner"},
            "invocation": {
                "configSource": {
                    "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                    "digest": {"sha1": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"},
                    "entryPoint": ".github/workflows/npm-publish.yml"
                },
                "parameters": {},
                "environment": {
                    "GITHUB_EVENT_NAME": "release",
                    "GITHUB_REF": "refs/tags/v1.0.5",
                    "GITHUB_REPOSITORY": "trishankatdatadog/supreme-goggles",
                    "GITHUB_REPOSITORY_ID": "636292006",
                    "GITHUB_REPOSITORY_OWNER_ID": "33133073",
                    "GITHUB_RUN_ATTEMPT": "1",
                    "GITHUB_RUN_ID": "4994975790",
                    "GITHUB_SHA": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba",
                    "GITHUB_WORKFLOW_REF": "trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5",
                    "GITHUB_WORKFLOW_SHA": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"
                }
            },
            "metadata": {
                "buildInvocationId": "4994975790-1",
                "completeness": {"parameters": false, "environment": false, "materials": false},
                "reproducible": false
            },
            "materials": [{
                "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                "digest": {"sha1": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"}
            }]
        })
    }

    fn supreme_v1() -> Value {
        serde_json::json!({
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {"workflow": {
                    "ref": "refs/tags/v1.0.5",
                    "repository": "https://github.com/trishankatdatadog/supreme-goggles",
                    "path": ".github/workflows/npm-publish.yml"
                }},
                "internalParameters": {"github": {
                    "event_name": "release", "repository_id": "636292006", "repository_owner_id": "33133073"
                }},
                "resolvedDependencies": [{
                    "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                    "digest": {"gitCommit": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"}
                }]
            },
            "runDetails": {
                "builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {"invocationId": "https://github.com/trishankatdatadog/supreme-goggles/actions/runs/4994975790/attempts/1"}
            }
        })
    }

    fn subjects() -> Vec<Subject> {
        provenant_slsa::parse_subjects(&serde_json::json!([{
            "name": "pkg:npm/%40trishankatdatadog/supreme-goggles@1.0.5",
            "digest": {"sha512": "1e2ebece757250876cde9d0f6c636ed6e0088a23a6c477fe0cd1afcc11800a5ba0c932f4a57a12537063d49d717bb7ae76b8a2938b3d48e7f02617f6564ad919"}
        }]))
        .unwrap()
    }

    fn check(predicate: &Value, workflow: &WorkflowIdentity) -> Result<(), NpmError> {
        let predicate_type = if predicate.get("buildDefinition").is_some() {
            provenant_slsa::v1::PREDICATE_TYPE
        } else {
            provenant_slsa::v02::PREDICATE_TYPE
        };
        let provenance = Provenance::parse(predicate_type, predicate).unwrap();
        check_against_certificate(&provenance, predicate, &subjects(), workflow)
    }

    type Edit = fn(&mut Value);

    /// Forged or unverifiable claims, each edited into a valid predicate, and what the error names.
    #[allow(clippy::too_many_lines)] // One line per case: a table, not logic.
    fn forged_claims() -> Vec<(&'static str, Edit, &'static str)> {
        vec![
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_SHA"] = "0000".into(),
                "GITHUB_SHA",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_EVENT_NAME"] = "push".into(),
                "GITHUB_EVENT_NAME",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_REF"] = "refs/heads/main".into(),
                "GITHUB_REF",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_RUN_ID"] = "1".into(),
                "GITHUB_RUN_ID",
            ),
            (
                "v02",
                |p| {
                    p["invocation"]["environment"]["GITHUB_WORKFLOW_REF"] =
                        "x/y/.github/workflows/a.yml@refs/tags/v1.0.5".into();
                },
                "GITHUB_WORKFLOW_REF",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["RUNNER_OS"] = "Linux".into(),
                "RUNNER_OS",
            ),
            (
                "v02",
                |p| p["invocation"]["parameters"] = serde_json::json!({"a": 1}),
                "invocation.parameters",
            ),
            (
                "v02",
                |p| p["metadata"]["buildInvocationId"] = "4994975790-2".into(),
                "run attempt",
            ),
            (
                "v02",
                |p| p["metadata"]["buildStartedOn"] = "2023-05-01T00:00:00Z".into(),
                "buildStartedOn",
            ),
            (
                "v02",
                |p| p["metadata"]["reproducible"] = true.into(),
                "reproducible",
            ),
            (
                "v02",
                |p| p["metadata"]["completeness"]["materials"] = true.into(),
                "completeness.materials",
            ),
            (
                "v02",
                |p| p["invocation"]["configSource"]["entryPoint"] = ".github/workflows/other.yml".into(),
                "workflow path",
            ),
            (
                "v02",
                |p| {
                    let m = p["materials"][0].clone();
                    p["materials"].as_array_mut().unwrap().push(m);
                },
                "2 resolved dependencies",
            ),
            (
                "v02",
                |p| p["buildConfig"] = serde_json::json!({"steps": []}),
                "buildConfig",
            ),
            (
                "v1",
                |p| p["buildDefinition"]["internalParameters"]["github"]["repository_id"] = "1".into(),
                "repository_id",
            ),
            (
                "v1",
                |p| {
                    p["buildDefinition"]["internalParameters"]["github"]["runner_environment"] =
                        "github-hosted".into();
                },
                "runner_environment",
            ),
            (
                "v1",
                |p| {
                    p["runDetails"]["metadata"]["invocationId"] =
                        "https://github.com/trishankatdatadog/supreme-goggles/actions/runs/42/attempts/1"
                            .into();
                },
                "run id",
            ),
            (
                "v1",
                |p| p["runDetails"]["metadata"]["finishedOn"] = "2023-05-01T00:00:00Z".into(),
                "finishedOn",
            ),
            (
                "v1",
                |p| {
                    p["buildDefinition"]["externalParameters"]["workflow"]["path"] =
                        ".github/workflows/other.yml".into();
                },
                "workflow path",
            ),
        ]
    }

    /// The npm CLI's claims are checked against its certificate: each forged or unverifiable claim is
    /// refused with the claim named.
    #[test]
    fn npm_cli_claims_must_match_the_certificate() {
        let workflow = supreme_workflow();
        check(&supreme_v02(), &workflow).unwrap();
        check(&supreme_v1(), &workflow).unwrap();

        let cases = forged_claims();
        for (version, edit, named) in &cases {
            let mut predicate = if *version == "v1" {
                supreme_v1()
            } else {
                supreme_v02()
            };
            edit(&mut predicate);
            let err = check(&predicate, &workflow).expect_err(named);
            assert_eq!(err.check(), NpmCheck::Certificate, "{named}: {err}");
            assert!(err.to_string().contains(named), "{named}: {err}");
        }

        // A certificate without the run cannot vouch for a recorded run id.
        let mut no_run = supreme_workflow();
        no_run.run = None;
        let err = check(&supreme_v02(), &no_run).unwrap_err();
        assert!(matches!(err, NpmError::CertificateMismatch { .. }), "{err}");
    }
}
