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

mod attestations;
mod builder;
mod checks;
mod claims;
mod keys;

use provenant_digest::Digest;
use provenant_sigstore::{Artifact, FulcioExtension, IdentityPolicy, Policy, SanMatcher, Verified, Verifier};
use provenant_slsa::policy::{self, SourceUri};
use provenant_slsa::{Provenance, Subject};
use serde_json::Value;

pub use attestations::{Attestation, AttestationSet, MAX_ATTESTATION_SET_BYTES, PUBLISH_PREDICATE_PREFIX};
pub use builder::{
    DELEGATOR_WORKFLOWS, GITHUB_ISSUER, NPM_CLI_HOSTED_BUILDER, NPM_CLI_LEGACY_BUILDER,
    NPM_CLI_SELF_HOSTED_BUILDER,
};
pub use checks::{Missing, NpmCheck, NpmError, Which};
pub use keys::{ATTESTATION_KEY_USAGE, MAX_KEYS_BYTES, RegistryKey, RegistryKeys};

use crate::gha_identity::{WorkflowIdentity, workflow_identity};
use crate::{IN_TOTO_PAYLOAD_TYPE, RefExpectation};
use attestations::{bound_digest, statement_of};
use builder::{build_types, check_recorded_builder, check_signer};
use checks::{check_headers, check_package, check_source, digest_in, publish_package};
use claims::check_against_certificate;

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
