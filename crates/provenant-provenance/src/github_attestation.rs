//! GitHub artifact attestations (`actions/attest-build-provenance`: a SLSA v1 provenance with GitHub's
//! build type `https://actions.github.io/buildtypes/workflow/v1` in a sigstore v0.3 bundle), verified
//! with slsa-verifier's `verify-github-attestation` semantics and order.
//!
//! Unlike [`crate::verify`], the builder is read from the signing certificate: the reusable workflow that
//! signed must be the builder the caller names (there is no default), at a `vX.Y.Z` release tag, and the
//! provenance must record exactly that builder at that tag. Then the source, the artefact's digest and
//! the ref are checked as for any provenance. Each failure is its own [`AttestationError`] variant.

use std::fmt;

use provenant_digest::Digest;
use provenant_sigstore::{
    Artifact, Bundle, IdentityPolicy, Policy, SanMatcher, Verified, Verifier, VerifyError,
};
use provenant_slsa::policy::{self, PolicyError, SourceUri};
use provenant_slsa::{FieldError, PredicateError, Provenance};
use serde_json::Value;

use crate::gha_identity::{
    WorkflowIdentity, builder_matches, is_release_tag, split_builder, workflow_identity,
};
use crate::{IN_TOTO_PAYLOAD_TYPE, RefExpectation, parse_statement, signed_subject_digest};

/// GitHub's build type for workflow runs, which artifact attestations record.
pub const GITHUB_ACTIONS_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";

/// What the attestation must say.
#[derive(Debug, Clone)]
pub struct AttestationExpectations {
    /// The source repository.
    pub source: SourceUri,
    /// The trusted builder: the reusable workflow that signed (`https://github.com/ORG/REPO/.github/workflows/F.yml`,
    /// optionally `@vX.Y.Z`). Required: without it no workflow is trusted.
    pub builder_id: Option<String>,
    /// The branch, tag or versioned tag, when to be checked.
    pub git_ref: Option<RefExpectation>,
}

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AttestationCheck {
    /// The bundle's signature, certificate and log entries.
    Signature,
    /// The signing workflow.
    Builder,
    /// The source repository.
    Source,
    /// The statement and its predicate.
    Provenance,
    /// The artefact's digest.
    Subject,
    /// The branch, tag or versioned tag.
    Ref,
}

impl fmt::Display for AttestationCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttestationCheck::Signature => "signature",
            AttestationCheck::Builder => "builder",
            AttestationCheck::Source => "source",
            AttestationCheck::Provenance => "provenance",
            AttestationCheck::Subject => "subject",
            AttestationCheck::Ref => "ref",
        })
    }
}

/// A check of a GitHub attestation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// The bundle carries no DSSE in-toto statement, or one without a usable subject digest.
    #[error("statement check failed: {source}")]
    Statement {
        /// The field at fault.
        #[source]
        source: FieldError,
    },
    /// The bundle's signature, certificate or log entry did not verify.
    #[error("signature check failed: {0}")]
    Signature(#[source] VerifyError),
    /// The certificate lacks, or has a malformed, workflow claim.
    #[error("builder check failed: the signing certificate's {claim} is {reason}")]
    CertificateClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate was issued for another OIDC issuer than GitHub Actions'.
    #[error(
        "builder check failed: the certificate's OIDC issuer is {}, not {}",
        .actual.as_deref().unwrap_or("absent"),
        crate::npm::GITHUB_ISSUER
    )]
    Issuer {
        /// The issuer.
        actual: Option<String>,
    },
    /// The signing workflow is not the trusted builder (or none was named).
    #[error("builder check failed: the attestation was signed by {signer}, which is not the trusted builder {}", expected.as_deref().unwrap_or("(none given)"))]
    UntrustedWorkflow {
        /// The signing workflow with its ref.
        signer: String,
        /// The builder named.
        expected: Option<String>,
    },
    /// The signing workflow ran at a ref that is not a `vX.Y.Z` tag.
    #[error("builder check failed: the builder {workflow} ran at {git_ref:?}, not a vX.Y.Z release tag")]
    BuilderRef {
        /// The workflow.
        workflow: String,
        /// Its ref.
        git_ref: String,
    },
    /// The certificate was issued to a workflow run of another repository.
    #[error(
        "source check failed: the certificate was issued for repository {actual:?}, expected {expected:?}"
    )]
    CertificateSource {
        /// The repository expected (`ORG/REPO`).
        expected: String,
        /// The certificate's.
        actual: String,
    },
    /// The payload or predicate type is not a SLSA provenance.
    #[error("provenance check failed: the {field} is {actual:?}, expected {expected}")]
    NotProvenance {
        /// The field.
        field: &'static str,
        /// Its value.
        actual: String,
        /// What is accepted.
        expected: String,
    },
    /// The predicate does not parse.
    #[error("provenance check failed: {0}")]
    Predicate(#[source] PredicateError),
    /// The build type is not GitHub's.
    #[error("provenance check failed: build type {build_type:?} is not {GITHUB_ACTIONS_BUILD_TYPE}")]
    BuildType {
        /// The build type.
        build_type: String,
    },
    /// The provenance records another builder than the one that signed.
    #[error("builder check failed: the provenance's builder is {actual:?}, but {expected} signed it")]
    BuilderMismatch {
        /// The signing workflow with its ref.
        expected: String,
        /// The provenance's `builder.id`.
        actual: String,
    },
    /// A policy check on the provenance failed.
    #[error("{check} check failed: {source}")]
    Policy {
        /// Which check.
        check: AttestationCheck,
        /// Why.
        #[source]
        source: PolicyError,
    },
}

impl AttestationError {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> AttestationCheck {
        match self {
            AttestationError::Statement { .. } | AttestationError::Signature(_) => {
                AttestationCheck::Signature
            }
            AttestationError::CertificateClaim { .. }
            | AttestationError::Issuer { .. }
            | AttestationError::UntrustedWorkflow { .. }
            | AttestationError::BuilderRef { .. }
            | AttestationError::BuilderMismatch { .. } => AttestationCheck::Builder,
            AttestationError::CertificateSource { .. } => AttestationCheck::Source,
            AttestationError::NotProvenance { .. }
            | AttestationError::Predicate(_)
            | AttestationError::BuildType { .. } => AttestationCheck::Provenance,
            AttestationError::Policy { check, .. } => *check,
        }
    }
}

/// An attestation that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    /// The builder verified: the signing workflow with its release tag.
    pub builder_id: String,
    /// The source commit, from the certificate.
    pub source_commit: Option<String>,
    /// The provenance statement.
    pub statement: Value,
    /// The older GitHub certificate extensions the signer's claims were read from, because the
    /// certificate predates their successors; empty for today's certificates.
    pub older_extensions: Vec<provenant_sigstore::FulcioExtension>,
}

/// The signing workflow: GitHub's issuer, the trusted builder at a release tag, the expected repository.
/// Returns the certificate's claims and the signer (`workflow@ref`).
fn check_builder(
    verified: &Verified,
    expectations: &AttestationExpectations,
) -> Result<(WorkflowIdentity, String), AttestationError> {
    let workflow = workflow_identity(verified).map_err(|c| AttestationError::CertificateClaim {
        claim: c.claim,
        reason: c.reason,
    })?;
    if verified.issuer.as_deref() != Some(crate::npm::GITHUB_ISSUER) {
        return Err(AttestationError::Issuer {
            actual: verified.issuer.clone(),
        });
    }
    let signer = format!("{}@{}", workflow.workflow, workflow.workflow_ref);
    let trusted = expectations
        .builder_id
        .as_deref()
        .filter(|b| !b.is_empty())
        .is_some_and(|b| builder_matches(&signer, b));
    if !trusted {
        return Err(AttestationError::UntrustedWorkflow {
            signer,
            expected: expectations.builder_id.clone(),
        });
    }
    if !is_release_tag(&workflow.workflow_ref) {
        return Err(AttestationError::BuilderRef {
            workflow: workflow.workflow.clone(),
            git_ref: workflow.workflow_ref.clone(),
        });
    }
    if let Some(expected) = workflow.other_repository_than(&expectations.source) {
        return Err(AttestationError::CertificateSource {
            expected,
            actual: workflow.repository.clone(),
        });
    }

    Ok((workflow, signer))
}

/// The provenance must record exactly the signing workflow at its tag (slsa-verifier's full match).
fn check_recorded_builder(recorded: &str, signer: &str) -> Result<(), AttestationError> {
    let exact = match (split_builder(recorded), split_builder(signer)) {
        (Some((rn, Some(rv))), Some((sn, Some(sv)))) => {
            rn == sn && (rv == sv || sv.strip_prefix("refs/tags/") == Some(rv))
        }
        _ => false,
    };
    if exact {
        Ok(())
    } else {
        Err(AttestationError::BuilderMismatch {
            expected: signer.to_owned(),
            actual: recorded.chars().take(500).collect(),
        })
    }
}

/// Verifies a GitHub artifact attestation for the artefact (see the module documentation).
pub fn verify_github_attestation(
    verifier: &Verifier,
    bundle: &Bundle,
    artefact: &Digest,
    expectations: &AttestationExpectations,
) -> Result<VerifiedAttestation, AttestationError> {
    // The signature, for any GitHub workflow identity: which one is checked next. The artefact is
    // matched against the subjects after the provenance checks, in slsa-verifier's order.
    let bound = signed_subject_digest(bundle).ok_or_else(|| AttestationError::Statement {
        source: bundle
            .dsse_payload()
            .and_then(|(_, p)| parse_statement(p).err())
            .unwrap_or_else(|| FieldError {
                field: "subject".into(),
                reason: format!(
                    "no DSSE statement with a sha256 or sha512 subject (the bundle carries {:?})",
                    bundle.content_kind()
                ),
            }),
    })?;
    let github_identity =
        SanMatcher::regex("https://github\\.com/.+").map_err(|e| AttestationError::CertificateClaim {
            claim: "subject alternative name",
            reason: e.to_string(),
        })?;
    let passed = verifier
        .verify(
            Artifact::Digest(bound),
            bundle,
            &Policy::Identity(IdentityPolicy::new(github_identity)),
        )
        .map_err(AttestationError::Signature)?;

    let (workflow, signer) = check_builder(&passed, expectations)?;

    // The provenance.
    let not_provenance = |field, actual: &str, expected: String| AttestationError::NotProvenance {
        field,
        actual: actual.chars().take(200).collect(),
        expected,
    };
    let Some((payload_type, payload)) = &passed.dsse else {
        return Err(not_provenance(
            "payload type",
            "(none)",
            IN_TOTO_PAYLOAD_TYPE.into(),
        ));
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(not_provenance(
            "payload type",
            payload_type,
            IN_TOTO_PAYLOAD_TYPE.into(),
        ));
    }
    let (statement, subjects) =
        parse_statement(payload).map_err(|source| AttestationError::Statement { source })?;
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if predicate_type != provenant_slsa::v1::PREDICATE_TYPE {
        return Err(not_provenance(
            "predicate type",
            predicate_type,
            provenant_slsa::v1::PREDICATE_TYPE.into(),
        ));
    }
    let provenance = Provenance::parse(predicate_type, statement.get("predicate").unwrap_or(&Value::Null))
        .map_err(AttestationError::Predicate)?;
    if provenance.build_type() != GITHUB_ACTIONS_BUILD_TYPE {
        return Err(AttestationError::BuildType {
            build_type: provenance.build_type().chars().take(200).collect(),
        });
    }
    check_recorded_builder(provenance.builder_id(), &signer)?;
    policy::check_source(&provenance, &expectations.source).map_err(|source| AttestationError::Policy {
        check: AttestationCheck::Source,
        source,
    })?;
    policy::check_subject(&subjects, artefact).map_err(|source| AttestationError::Policy {
        check: AttestationCheck::Subject,
        source,
    })?;
    let ref_check = match &expectations.git_ref {
        None => Ok(()),
        Some(RefExpectation::Branch(b)) => policy::check_branch(&provenance, b),
        Some(RefExpectation::Tag(t)) => policy::check_tag(&provenance, t),
        Some(RefExpectation::VersionedTag(v)) => policy::check_versioned_tag(&provenance, v),
    };
    ref_check.map_err(|source| AttestationError::Policy {
        check: AttestationCheck::Ref,
        source,
    })?;
    Ok(VerifiedAttestation {
        builder_id: signer,
        source_commit: workflow.commit,
        statement,
        older_extensions: workflow.older_extensions,
    })
}
