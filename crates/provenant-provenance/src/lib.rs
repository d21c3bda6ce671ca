//! Verification of SLSA provenance, with slsa-verifier's semantics, for any builder the caller trusts.
//!
//! [`verify`] takes one or more sigstore bundles carrying a DSSE-signed in-toto statement and runs
//! the checks in a fixed order, each with its own error ([`Check`] names them):
//!
//! 1. **signature** — the bundle verifies under the trusted root and the signer policy (a certificate
//!    identity, or a public key) through `provenant-sigstore`;
//! 2. **statement** — the payload is an in-toto Statement (v1, or v0.1 as older generators write) with a
//!    non-empty subject list of known digest algorithms;
//! 3. **subject** — a subject carries the artefact's digest;
//! 4. **predicate** — the predicate type is SLSA provenance v1 or v0.2 and the predicate parses strictly;
//! 5. **builder** — `builder.id` is the trusted builder;
//! 6. **source** — the source repository is the expected one;
//! 7. **ref** — the branch, tag or versioned tag, when asked;
//! 8. **build level** — the evidence reaches the level asked.
//!
//! With several bundles, the artefact verifies when one of them passes every check (as slsa-verifier
//! accepts one valid signature among invalid ones); otherwise the error of the bundle that got furthest
//! is returned. [`vsa_statement`] summarises a success as a Verification Summary Attestation v1.
//!
//! Two verifiers follow slsa-verifier's other commands: [`npm`] (`verify-npm-package`: an npm tarball
//! against the registry's provenance and publish attestations) and [`github_attestation`]
//! (`verify-github-attestation`: the signing reusable workflow is the builder).
//!
//! The crate does no I/O: the caller reads bundles and artefacts and writes what it is given.
//!
//! ```
//! use provenant_provenance::{Check, parse_statement};
//!
//! // The statement check, on its own: an empty subject list is refused, naming the field.
//! let statement = br#"{"_type": "https://in-toto.io/Statement/v1", "subject": [],
//!     "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}}"#;
//! let err = parse_statement(statement).unwrap_err();
//! assert_eq!(err.field, "subject");
//! // Checks run in a fixed order; a failure further along means more checks passed.
//! assert!(Check::Signature < Check::Subject && Check::Source < Check::Ref);
//! ```
#![forbid(unsafe_code)]

pub mod cosign;
pub mod gcb;
mod gha_identity;
pub mod github_attestation;
pub mod npm;
pub mod npm_registry;
pub mod pypi;
mod vsa_verify;

use std::fmt;

pub use vsa_verify::{VsaError, verify_vsa};

use provenant_digest::{Algorithm, Digest};
use provenant_sigstore::{Artifact, Bundle, Policy, Verified, Verifier, VerifyError};
use provenant_slsa::policy::{self, BuilderId, PolicyError, SourceUri};
use provenant_slsa::vsa::{self, VerificationResult, VsaV1};
use provenant_slsa::{
    FieldError, PredicateError, Provenance, ResourceDescriptor, Subject, Timestamp, parse_subjects,
};
use serde_json::{Value, json};

/// The in-toto Statement types accepted on input and the DSSE payload type of statements, as
/// `provenant-attest` defines them.
pub use provenant_attest::{IN_TOTO_PAYLOAD_TYPE, STATEMENT_TYPES};

/// The verifier id recorded in the VSAs this crate writes.
pub const VERIFIER_ID: &str = "https://github.com/provenant-dev/provenant/verifiers/verify-provenance";

/// The policy URI recorded in the VSAs this crate writes.
pub const POLICY_URI: &str = "https://github.com/provenant-dev/provenant/policies/slsa-provenance/v1";

/// Which ref the build must have run for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum RefExpectation {
    /// A branch name (`main`).
    Branch(String),
    /// An exact tag (`v1.2.3`).
    Tag(String),
    /// A semantic-version prefix (`v1`, `v1.2`).
    VersionedTag(String),
}

/// What the provenance must say.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expectations {
    /// The trusted builder (`URI` or `URI@version`).
    #[serde(serialize_with = "as_display")]
    pub builder_id: BuilderId,
    /// The source repository.
    #[serde(serialize_with = "as_display")]
    pub source: SourceUri,
    /// The ref, when it is to be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<RefExpectation>,
    /// The minimum SLSA build level, when it is to be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_level: Option<u8>,
    /// `workflow_dispatch` inputs that must be recorded with these values (slsa-verifier's
    /// `--build-workflow-input`); empty to skip the check.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub workflow_inputs: std::collections::BTreeMap<String, String>,
}

fn as_display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Check {
    /// The bundle's signature, certificate and log entries.
    Signature,
    /// The in-toto statement.
    Statement,
    /// A subject has the artefact's digest.
    Subject,
    /// The predicate type and the predicate.
    Predicate,
    /// The builder id.
    Builder,
    /// The source repository.
    Source,
    /// The branch, tag or versioned tag.
    Ref,
    /// The recorded workflow inputs.
    WorkflowInputs,
    /// The build level.
    BuildLevel,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::Signature => "signature",
            Check::Statement => "statement",
            Check::Subject => "subject",
            Check::Predicate => "predicate",
            Check::Builder => "builder",
            Check::Source => "source",
            Check::Ref => "ref",
            Check::WorkflowInputs => "workflow inputs",
            Check::BuildLevel => "build level",
        })
    }
}

/// A check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// No bundle was given.
    #[error("no provenance bundle given")]
    NoBundle,
    /// The bundle's signature did not verify.
    #[error("signature check failed: {0}")]
    Signature(#[source] VerifyError),
    /// The bundle carries no DSSE in-toto statement.
    #[error(
        "statement check failed: the bundle carries {found}, not a DSSE envelope with an in-toto statement"
    )]
    NotAStatement {
        /// What it carries.
        found: String,
    },
    /// The statement is malformed.
    #[error("statement check failed: {0}")]
    Statement(#[source] FieldError),
    /// The predicate type or the predicate is not acceptable.
    #[error("predicate check failed: {0}")]
    Predicate(#[source] PredicateError),
    /// The recorded workflow inputs differ from those expected.
    #[error("workflow inputs check failed: {0}")]
    WorkflowInputs(#[source] provenant_slsa::workflow_inputs::WorkflowInputsError),
    /// A policy check failed.
    #[error("{check} check failed: {source}")]
    Policy {
        /// Which check.
        check: Check,
        /// Why.
        #[source]
        source: PolicyError,
    },
}

impl ProvenanceError {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            ProvenanceError::NoBundle | ProvenanceError::Signature(_) => Check::Signature,
            ProvenanceError::NotAStatement { .. } | ProvenanceError::Statement(_) => Check::Statement,
            ProvenanceError::Predicate(_) => Check::Predicate,
            ProvenanceError::WorkflowInputs(_) => Check::WorkflowInputs,
            ProvenanceError::Policy { check, .. } => *check,
        }
    }
}

/// A bundle to verify, with a name for reports (its path).
#[derive(Debug)]
pub struct Input<'a> {
    /// The bundle.
    pub bundle: &'a Bundle,
    /// Its bytes' digest, recorded in the VSA.
    pub digest: Digest,
    /// Its name (a path).
    pub name: String,
}

/// A provenance that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedProvenance {
    /// The statement, as JSON.
    pub statement: Value,
    /// The parsed predicate.
    pub provenance: Provenance,
    /// The subject that matched the artefact.
    pub subject: Subject,
    /// The provenance's builder id.
    pub builder_id: BuilderId,
    /// The SLSA build level the evidence supports.
    pub build_level: u8,
    /// What the signature check established.
    pub signer: Verified,
    /// Which bundle verified (its index among the inputs).
    pub bundle_index: usize,
}

fn policy(check: Check) -> impl Fn(PolicyError) -> ProvenanceError {
    move |source| ProvenanceError::Policy { check, source }
}

/// Reads a statement strictly through the one in-toto Statement parser
/// ([`provenant_attest::Statement::from_json`]: type, subjects, predicate type, no unknown fields), then
/// requires a predicate object and reads the subjects as provenance subjects (a sha256 or sha512 each).
/// The statement comes back as JSON for the predicate readers.
pub fn parse_statement(payload: &[u8]) -> Result<(Value, Vec<Subject>), FieldError> {
    let statement = provenant_attest::Statement::from_json(payload).map_err(|e| match e {
        provenant_attest::StatementError::Field { field, reason } => FieldError {
            field,
            reason: reason.to_owned(),
        },
        other => FieldError {
            field: "(statement)".into(),
            reason: other.to_string(),
        },
    })?;
    if !statement.predicate.is_object() {
        return Err(FieldError {
            field: "predicate".into(),
            reason: "not an object".into(),
        });
    }
    let statement = serde_json::to_value(statement).map_err(|e| FieldError {
        field: "(statement)".into(),
        reason: e.to_string(),
    })?;
    let subjects = parse_subjects(statement.get("subject").unwrap_or(&Value::Null))?;
    Ok((statement, subjects))
}

/// The digest the signature check binds the bundle to: the first sha256/sha512 subject of its
/// statement. The signature covers the whole statement, so any subject proves the same thing; the
/// artefact itself is matched against every subject by the subject check that follows.
pub(crate) fn signed_subject_digest(bundle: &Bundle) -> Option<Digest> {
    let (_, payload) = bundle.dsse_payload()?;
    let (_, subjects) = parse_statement(payload).ok()?;
    subjects.iter().find_map(|s| {
        s.digest
            .get("sha256")
            .and_then(|h| Digest::from_hex(Algorithm::Sha256, h).ok())
            .or_else(|| {
                s.digest
                    .get("sha512")
                    .and_then(|h| Digest::from_hex(Algorithm::Sha512, h).ok())
            })
    })
}

fn verify_one(
    verifier: &Verifier,
    signer_policy: &Policy,
    input: &Input<'_>,
    artefact: &Digest,
    expectations: &Expectations,
) -> Result<VerifiedProvenance, ProvenanceError> {
    let bundle = input.bundle;
    let Some(bound_digest) = signed_subject_digest(bundle) else {
        // Let the signature check speak first when the bundle is not even a statement.
        if bundle.dsse_payload().is_none() {
            return Err(ProvenanceError::NotAStatement {
                found: format!("{:?}", bundle.content_kind()),
            });
        }
        let (_, payload) = bundle.dsse_payload().unwrap_or(("", b""));
        return Err(parse_statement(payload).err().map_or_else(
            || {
                ProvenanceError::Statement(FieldError {
                    field: "subject".into(),
                    reason: "no usable digest".into(),
                })
            },
            ProvenanceError::Statement,
        ));
    };
    let signer = verifier
        .verify(Artifact::Digest(bound_digest), bundle, signer_policy)
        .map_err(ProvenanceError::Signature)?;
    let Some((payload_type, payload)) = &signer.dsse else {
        return Err(ProvenanceError::NotAStatement {
            found: format!("{:?}", bundle.content_kind()),
        });
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(ProvenanceError::NotAStatement {
            found: format!("DSSE payload type {payload_type:?}"),
        });
    }
    let (statement, subjects) = parse_statement(payload).map_err(ProvenanceError::Statement)?;
    policy::check_subject(&subjects, artefact).map_err(policy(Check::Subject))?;
    let subject = subjects
        .iter()
        .find(|s| {
            s.digest
                .get(artefact.algorithm().name())
                .is_some_and(|h| *h == artefact.hex())
        })
        .cloned()
        .unwrap_or_else(|| Subject {
            name: String::new(),
            digest: provenant_slsa::DigestSet::new(),
        });
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let provenance = Provenance::parse(predicate_type, statement.get("predicate").unwrap_or(&Value::Null))
        .map_err(ProvenanceError::Predicate)?;
    let builder_id =
        policy::check_builder_id(&provenance, &expectations.builder_id).map_err(policy(Check::Builder))?;
    policy::check_source(&provenance, &expectations.source).map_err(policy(Check::Source))?;
    let ref_check = match &expectations.git_ref {
        None => Ok(()),
        Some(RefExpectation::Branch(b)) => policy::check_branch(&provenance, b),
        Some(RefExpectation::Tag(t)) => policy::check_tag(&provenance, t),
        Some(RefExpectation::VersionedTag(v)) => policy::check_versioned_tag(&provenance, v),
    };
    ref_check.map_err(policy(Check::Ref))?;
    provenant_slsa::workflow_inputs::check_workflow_inputs(
        statement.get("predicate").unwrap_or(&Value::Null),
        &expectations.workflow_inputs,
    )
    .map_err(ProvenanceError::WorkflowInputs)?;
    let level = policy::achieved_build_level(&builder_id, true);
    if let Some(required) = expectations.build_level {
        policy::check_build_level(required, level).map_err(policy(Check::BuildLevel))?;
    }
    Ok(VerifiedProvenance {
        statement,
        provenance,
        subject,
        builder_id,
        build_level: level,
        signer,
        bundle_index: 0,
    })
}

/// Verifies the artefact's provenance: succeeds when one bundle passes every check, else returns the
/// error of the bundle whose verification got furthest (the first such bundle on a tie).
pub fn verify(
    verifier: &Verifier,
    signer_policy: &Policy,
    inputs: &[Input<'_>],
    artefact: &Digest,
    expectations: &Expectations,
) -> Result<VerifiedProvenance, ProvenanceError> {
    let mut best: Option<ProvenanceError> = None;
    for (index, input) in inputs.iter().enumerate() {
        match verify_one(verifier, signer_policy, input, artefact, expectations) {
            Ok(mut passed) => {
                passed.bundle_index = index;
                return Ok(passed);
            }
            Err(e) => {
                if best.as_ref().is_none_or(|b| e.check() > b.check()) {
                    best = Some(e);
                }
            }
        }
    }
    Err(best.unwrap_or(ProvenanceError::NoBundle))
}

/// A VSA v1 statement for a verified artefact: the verifier, the policy (with the digest of the
/// expectations), the bundle verified, the result and the SLSA build level reached.
#[must_use]
pub fn vsa_statement(
    verified: &VerifiedProvenance,
    artefact: &Digest,
    expectations: &Expectations,
    input: &Input<'_>,
    time_verified: Timestamp,
    resource_uri: &str,
) -> Value {
    let expectations_json = serde_json::to_vec(expectations).unwrap_or_default();
    let policy_digest = Algorithm::Sha256.hash_bytes(&expectations_json);
    let set = |d: &Digest| provenant_slsa::DigestSet::from([(d.algorithm().name().to_owned(), d.hex())]);
    let predicate = VsaV1 {
        verifier: vsa::Verifier {
            id: VERIFIER_ID.to_owned(),
            version: std::collections::BTreeMap::from([(
                "provenant".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )]),
        },
        time_verified,
        resource_uri: resource_uri.to_owned(),
        policy: ResourceDescriptor::uri_with_digest(POLICY_URI, set(&policy_digest)),
        // The VSA schema allows only `uri` and `digest` here.
        input_attestations: vec![ResourceDescriptor::uri_with_digest(
            input.name.clone(),
            set(&input.digest),
        )],
        verification_result: VerificationResult::Passed,
        verified_levels: vec![format!("SLSA_BUILD_LEVEL_{}", verified.build_level)],
        dependency_levels: std::collections::BTreeMap::new(),
        slsa_version: Some("1.0".to_owned()),
    };
    let name = if verified.subject.name.is_empty() {
        resource_uri.to_owned()
    } else {
        verified.subject.name.clone()
    };
    json!({
        "_type": provenant_attest::STATEMENT_V1,
        "subject": [{ "name": name, "digest": set(artefact) }],
        "predicateType": vsa::PREDICATE_TYPE,
        "predicate": predicate.to_json(),
    })
}
