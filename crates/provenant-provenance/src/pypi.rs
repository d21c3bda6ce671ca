//! PyPI attestations (PEP 740): a distribution against the attestation objects PyPI's integrity API
//! serves for it (a provenance object, or a single attestation), with the Trusted Publisher policy of
//! GitHub and GitLab publishers checked against the signing certificate.
//!
//! An attestation is a DSSE envelope (`statement`, `signature`) with its verification material (the
//! Fulcio certificate and the Rekor entries); it is verified as the equivalent sigstore bundle v0.3 by
//! the trust core, then: the statement's single subject names the distribution's file and its sha256,
//! the predicate type is `https://docs.pypi.org/attestations/publish/v1` or SLSA provenance v1, and the
//! certificate was issued to the publisher (GitHub: `https://github.com/ORG/REPO`, the workflow file;
//! GitLab: `https://gitlab.com/GROUP/PROJECT`, the CI configuration file).
//!
//! Nothing here does I/O: the caller reads the files and hashes the distribution.
// "PyPI" is the index's name, not an identifier to put in backticks.
#![allow(clippy::doc_markdown)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provenant_digest::{Algorithm, Digest};
use provenant_sigstore::{
    Artifact, Bundle, FulcioExtension, IdentityPolicy, Policy, SanMatcher, Verifier, VerifyError,
    extension_or_older,
};
use serde_json::{Value, json};

/// The largest attestation or provenance object accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 8 << 20;

/// PyPI's publish attestation predicate.
pub const PUBLISH_PREDICATE_TYPE: &str = "https://docs.pypi.org/attestations/publish/v1";

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const GITLAB_ISSUER: &str = "https://gitlab.com";

/// A Trusted Publisher, as the provenance object names it or the user expects it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Publisher {
    /// A GitHub Actions workflow: `ORG/REPO`, the workflow file name (`release.yml`), when checked.
    GitHub {
        /// `ORG/REPO`.
        repository: String,
        /// The workflow file name under `.github/workflows/`.
        workflow: Option<String>,
    },
    /// A GitLab CI/CD pipeline: `GROUP/PROJECT`, the CI configuration file, when checked.
    GitLab {
        /// `GROUP/PROJECT`.
        repository: String,
        /// The CI configuration file path (`.gitlab-ci.yml`).
        workflow: Option<String>,
    },
}

/// A PyPI attestation check failed, or its input is unreadable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PyPiError {
    /// The document is malformed; `field` is its JSON path.
    #[error("invalid PyPI attestation: field `{field}` {reason}")]
    Malformed {
        /// The JSON path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The signature, certificate or log entry does not verify.
    #[error("signature check failed: {0}")]
    Signature(#[source] VerifyError),
    /// The statement does not describe this distribution.
    #[error("subject check failed: {0}")]
    Subject(String),
    /// The predicate type is not one PyPI attests.
    #[error(
        "predicate check failed: predicate type {0} is neither {PUBLISH_PREDICATE_TYPE} nor SLSA provenance v1"
    )]
    PredicateType(String),
    /// The certificate was not issued to the publisher.
    #[error("publisher check failed: {0}")]
    Publisher(String),
}

impl PyPiError {
    /// The check's short name, for JSON reports.
    #[must_use]
    pub fn check(&self) -> &'static str {
        match self {
            PyPiError::Malformed { .. } => "attestation",
            PyPiError::Signature(_) => "signature",
            PyPiError::Subject(_) => "subject",
            PyPiError::PredicateType(_) => "predicate",
            PyPiError::Publisher(_) => "publisher",
        }
    }
}

fn malformed(field: &str, reason: impl Into<String>) -> PyPiError {
    PyPiError::Malformed {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// One PEP 740 attestation, read as the sigstore bundle it is equivalent to.
#[derive(Debug, Clone)]
pub struct Attestation {
    bundle: Bundle,
}

impl Attestation {
    /// Reads an attestation object (`{"version": 1, "verification_material": {"certificate",
    /// "transparency_entries"}, "envelope": {"statement", "signature"}}`).
    pub fn from_json(bytes: &[u8]) -> Result<Attestation, PyPiError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(malformed("", format!("is more than {MAX_DOCUMENT_BYTES} bytes")));
        }
        provenant_sigstore::check_unique_keys(bytes, "attestation")
            .map_err(|e| malformed("", e.to_string()))?;
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| malformed("", format!("is not JSON: {e}")))?;
        Attestation::from_value(&doc, "")
    }

    fn from_value(doc: &Value, at: &str) -> Result<Attestation, PyPiError> {
        let field = |p: &str| format!("{at}{p}");
        if doc.get("version").and_then(Value::as_u64) != Some(1) {
            return Err(malformed(&field("version"), "is not 1"));
        }
        let text = |pointer: &str| -> Result<&str, PyPiError> {
            doc.pointer(pointer).and_then(Value::as_str).ok_or_else(|| {
                malformed(
                    &field(&pointer[1..].replace('/', ".")),
                    "is missing or not a string",
                )
            })
        };
        let certificate = text("/verification_material/certificate")?;
        let statement = text("/envelope/statement")?;
        let signature = text("/envelope/signature")?;
        let entries = doc
            .pointer("/verification_material/transparency_entries")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                malformed(
                    &field("verification_material.transparency_entries"),
                    "is missing or empty",
                )
            })?;
        for (name, value) in [
            ("certificate", certificate),
            ("statement", statement),
            ("signature", signature),
        ] {
            B64.decode(value)
                .map_err(|e| malformed(&field(name), format!("is not base64: {e}")))?;
        }
        let bundle = json!({
            "mediaType": provenant_sigstore::MEDIA_TYPE_V0_3,
            "verificationMaterial": {
                "certificate": {"rawBytes": certificate},
                "tlogEntries": entries,
            },
            "dsseEnvelope": {
                "payload": statement,
                "payloadType": provenant_sigstore::IN_TOTO_PAYLOAD_TYPE,
                "signatures": [{"sig": signature}],
            },
        });
        let bundle = Bundle::from_json(bundle.to_string().as_bytes())
            .map_err(|e| malformed(&field("verification_material"), e.to_string()))?;
        Ok(Attestation { bundle })
    }

    /// The equivalent sigstore bundle.
    #[must_use]
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }
}

/// A provenance object: `{"version": 1, "attestation_bundles": [{"publisher", "attestations"}]}`.
#[derive(Debug, Clone)]
pub struct ProvenanceObject {
    /// Each bundle's publisher (as PyPI recorded it) and attestations.
    pub bundles: Vec<(Publisher, Vec<Attestation>)>,
}

impl ProvenanceObject {
    /// Reads a provenance object as PyPI's integrity API serves it.
    pub fn from_json(bytes: &[u8]) -> Result<ProvenanceObject, PyPiError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(malformed("", format!("is more than {MAX_DOCUMENT_BYTES} bytes")));
        }
        provenant_sigstore::check_unique_keys(bytes, "provenance object")
            .map_err(|e| malformed("", e.to_string()))?;
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| malformed("", format!("is not JSON: {e}")))?;
        if doc.get("version").and_then(Value::as_u64) != Some(1) {
            return Err(malformed("version", "is not 1"));
        }
        let list = doc
            .get("attestation_bundles")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("attestation_bundles", "is missing or not an array"))?;
        let mut bundles = Vec::with_capacity(list.len());
        for (i, b) in list.iter().enumerate() {
            let at = format!("attestation_bundles[{i}].");
            let p = b
                .get("publisher")
                .ok_or_else(|| malformed(&format!("{at}publisher"), "is missing"))?;
            let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
            let repository = s("repository").ok_or_else(|| {
                malformed(&format!("{at}publisher.repository"), "is missing or not a string")
            })?;
            let publisher = match s("kind").as_deref() {
                Some("GitHub") => Publisher::GitHub {
                    repository,
                    workflow: s("workflow"),
                },
                Some("GitLab") => Publisher::GitLab {
                    repository,
                    workflow: s("workflow_filepath"),
                },
                _ => {
                    return Err(malformed(
                        &format!("{at}publisher.kind"),
                        "is neither GitHub nor GitLab",
                    ));
                }
            };
            let attestations = b
                .get("attestations")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed(&format!("{at}attestations"), "is missing or not an array"))?
                .iter()
                .enumerate()
                .map(|(j, a)| Attestation::from_value(a, &format!("{at}attestations[{j}].")))
                .collect::<Result<Vec<_>, _>>()?;
            bundles.push((publisher, attestations));
        }
        Ok(ProvenanceObject { bundles })
    }
}

/// What a verified attestation established.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    /// The predicate type.
    pub predicate_type: String,
    /// The signing identity (the certificate's SAN).
    pub signer: String,
    /// The older GitHub certificate extensions the publisher was checked against, when the certificate
    /// predates their successors.
    pub older_extensions: Vec<FulcioExtension>,
}

/// Verifies one attestation for the distribution `filename` whose sha256 is `sha256`, issued to
/// `publisher` (and, when given, for the deployment `environment` the certificate names).
pub fn verify_attestation(
    verifier: &Verifier,
    attestation: &Attestation,
    filename: &str,
    sha256: &Digest,
    publisher: &Publisher,
    environment: Option<&str>,
) -> Result<VerifiedAttestation, PyPiError> {
    // Any identity signs; whether it is the publisher's is checked below, naming what differs.
    let any = SanMatcher::regex(".+").map_err(|e| PyPiError::Publisher(e.to_string()))?;
    let checked = verifier
        .verify(
            Artifact::Digest(*sha256),
            &attestation.bundle,
            &Policy::Identity(IdentityPolicy::new(any)),
        )
        .map_err(PyPiError::Signature)?;
    // The statement: one subject, this file, this digest.
    let (_, payload) = checked
        .dsse
        .as_ref()
        .ok_or_else(|| PyPiError::Subject("the attestation carries no statement".into()))?;
    let predicate_type = check_statement(payload, filename, sha256)?;
    // The publisher, from the certificate.
    let ext = |e| extension_or_older(&checked.extensions, e);
    let (issuer, host, repository, workflow) = match publisher {
        Publisher::GitHub { repository, workflow } => {
            (GITHUB_ISSUER, "https://github.com", repository, workflow)
        }
        Publisher::GitLab { repository, workflow } => {
            (GITLAB_ISSUER, "https://gitlab.com", repository, workflow)
        }
    };
    if checked.issuer.as_deref() != Some(issuer) {
        return Err(PyPiError::Publisher(format!(
            "the certificate's OIDC issuer is {}, not {issuer}",
            checked.issuer.as_deref().unwrap_or("absent")
        )));
    }
    let want = format!("{host}/{repository}");
    let mut older = Vec::new();
    match ext(FulcioExtension::SourceRepositoryUri) {
        Some((uri, from)) if uri == want => {
            if from != FulcioExtension::SourceRepositoryUri {
                older.push(from);
            }
        }
        got => {
            return Err(PyPiError::Publisher(format!(
                "the certificate's source repository is {}, not {want}",
                got.map_or_else(|| "absent".to_owned(), |(v, _)| v)
            )));
        }
    }
    if let Some(workflow) = workflow {
        // The workflow that ran: the Build Config URI, or (older certificates) the SAN.
        let config = ext(FulcioExtension::BuildConfigUri)
            .map(|(v, _)| v)
            .or_else(|| checked.identity.clone())
            .unwrap_or_default();
        let path = config.split_once('@').map_or(config.as_str(), |(p, _)| p);
        let expected = match publisher {
            Publisher::GitHub { .. } => format!("{want}/.github/workflows/{workflow}"),
            Publisher::GitLab { .. } => format!("{want}//{workflow}"),
        };
        if path != expected {
            return Err(PyPiError::Publisher(format!(
                "the workflow that ran is {path}, not {expected}"
            )));
        }
    }
    if let Some(want) = environment {
        let got = ext(FulcioExtension::DeploymentEnvironment).map(|(v, _)| v);
        if got.as_deref() != Some(want) {
            return Err(PyPiError::Publisher(format!(
                "the certificate's deployment environment is {}, not {want}",
                got.as_deref().unwrap_or("absent")
            )));
        }
    }
    Ok(VerifiedAttestation {
        predicate_type,
        signer: checked.identity.unwrap_or_default(),
        older_extensions: older,
    })
}

/// The statement: one subject, the distribution's file name and sha256; a predicate type PyPI attests.
/// Returns the predicate type.
fn check_statement(payload: &[u8], filename: &str, sha256: &Digest) -> Result<String, PyPiError> {
    let statement: Value = serde_json::from_slice(payload)
        .map_err(|e| PyPiError::Subject(format!("the statement is not JSON: {e}")))?;
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let [subject] = subjects else {
        return Err(PyPiError::Subject(format!(
            "{} subjects, expected the distribution alone",
            subjects.len()
        )));
    };
    let name = subject.get("name").and_then(Value::as_str).unwrap_or_default();
    if name != filename {
        return Err(PyPiError::Subject(format!(
            "the subject is {name}, not the distribution {filename}"
        )));
    }
    let digest = subject
        .pointer("/digest/sha256")
        .and_then(Value::as_str)
        .and_then(|h| Digest::from_hex(Algorithm::Sha256, h).ok());
    if digest != Some(*sha256) {
        return Err(PyPiError::Subject(format!(
            "the subject's sha256 is not the distribution's {sha256}"
        )));
    }
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if predicate_type != PUBLISH_PREDICATE_TYPE && predicate_type != provenant_slsa::v1::PREDICATE_TYPE {
        return Err(PyPiError::PredicateType(
            predicate_type.chars().take(200).collect(),
        ));
    }
    Ok(predicate_type.to_owned())
}
