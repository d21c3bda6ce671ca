//! Either version of provenance, and the facts a verifier reads from it.

use serde_json::Value;

use crate::common::{DigestSet, KNOWN_DIGEST_ALGORITHMS};
use crate::error::{FieldError, PredicateError};
use crate::{v1, v02};

/// The provenance predicate types this crate reads, newest first.
pub const PROVENANCE_PREDICATE_TYPES: &[&str] = &[v1::PREDICATE_TYPE, v02::PREDICATE_TYPE];

/// Upper bound on the subjects of one statement; more is refused rather than walked.
pub const MAX_SUBJECTS: usize = 100_000;

/// A parsed SLSA provenance predicate of a supported version.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Provenance {
    /// SLSA provenance v0.2.
    V02(Box<v02::ProvenanceV02>),
    /// SLSA Build provenance v1.
    V1(Box<v1::ProvenanceV1>),
}

/// Which SLSA provenance version a predicate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProvenanceVersion {
    /// `https://slsa.dev/provenance/v0.2`.
    V02,
    /// `https://slsa.dev/provenance/v1`.
    V1,
}

impl ProvenanceVersion {
    /// The predicate type URI of this version.
    #[must_use]
    pub const fn predicate_type(self) -> &'static str {
        match self {
            ProvenanceVersion::V02 => v02::PREDICATE_TYPE,
            ProvenanceVersion::V1 => v1::PREDICATE_TYPE,
        }
    }

    /// The version named by a predicate type, if it is a provenance type this crate reads.
    pub fn from_predicate_type(predicate_type: &str) -> Result<ProvenanceVersion, PredicateError> {
        match predicate_type {
            v1::PREDICATE_TYPE => Ok(ProvenanceVersion::V1),
            v02::PREDICATE_TYPE => Ok(ProvenanceVersion::V02),
            other => Err(PredicateError::UnsupportedPredicateType {
                predicate_type: other.chars().take(200).collect(),
                expected: PROVENANCE_PREDICATE_TYPES,
            }),
        }
    }
}

impl Provenance {
    /// Parses the predicate of a statement whose `predicateType` is `predicate_type`.
    pub fn parse(predicate_type: &str, predicate: &Value) -> Result<Provenance, PredicateError> {
        Ok(match ProvenanceVersion::from_predicate_type(predicate_type)? {
            ProvenanceVersion::V1 => Provenance::V1(Box::new(v1::ProvenanceV1::from_json(predicate)?)),
            ProvenanceVersion::V02 => Provenance::V02(Box::new(v02::ProvenanceV02::from_json(predicate)?)),
        })
    }

    /// The version of this provenance.
    #[must_use]
    pub fn version(&self) -> ProvenanceVersion {
        match self {
            Provenance::V02(_) => ProvenanceVersion::V02,
            Provenance::V1(_) => ProvenanceVersion::V1,
        }
    }

    /// `builder.id` (v0.2) or `runDetails.builder.id` (v1).
    #[must_use]
    pub fn builder_id(&self) -> &str {
        match self {
            Provenance::V02(p) => &p.builder.id,
            Provenance::V1(p) => &p.run_details.builder.id,
        }
    }

    /// The build type URI.
    #[must_use]
    pub fn build_type(&self) -> &str {
        match self {
            Provenance::V02(p) => &p.build_type,
            Provenance::V1(p) => &p.build_definition.build_type,
        }
    }

    /// The source as the build's configuration names it, with its ref (`git+https://host/org/repo@ref`):
    /// v0.2 `invocation.configSource.uri`; v1 `externalParameters.workflow` (`repository@ref`, GitHub's
    /// build types) or `externalParameters.source` (a URI or a resource descriptor's `uri`).
    #[must_use]
    pub fn config_source_uri(&self) -> Option<String> {
        match self {
            Provenance::V02(p) => p.invocation.config_source.uri.clone(),
            Provenance::V1(p) => {
                let ext = &p.build_definition.external_parameters;
                if let Some(Value::Object(wf)) = ext.get("workflow")
                    && let (Some(Value::String(repo)), Some(Value::String(r))) =
                        (wf.get("repository"), wf.get("ref"))
                {
                    let repo = if repo.starts_with("git+") {
                        repo.clone()
                    } else {
                        format!("git+{repo}")
                    };
                    return Some(format!("{repo}@{r}"));
                }
                match ext.get("source") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Object(o)) => o.get("uri").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                }
            }
        }
    }

    /// The source as the materials record it: the first material (v0.2) or resolved dependency (v1).
    #[must_use]
    pub fn material_source_uri(&self) -> Option<String> {
        match self {
            Provenance::V02(p) => p.materials.first().and_then(|m| m.uri.clone()),
            Provenance::V1(p) => p
                .build_definition
                .resolved_dependencies
                .first()
                .and_then(|d| d.uri.clone()),
        }
    }

    /// The git ref the build ran for (`refs/heads/main`, `refs/tags/v1.2.3`), from the configuration URI.
    #[must_use]
    pub fn source_ref(&self) -> Option<String> {
        let uri = self.config_source_uri()?;
        uri.split_once('@').map(|(_, r)| r.to_owned())
    }

    /// For a build of a tag, the branch the tag was pushed from, when the builder recorded it (GitHub's
    /// push event `base_ref`).
    #[must_use]
    pub fn tag_base_ref(&self) -> Option<String> {
        let payload = match self {
            Provenance::V02(p) => p
                .invocation
                .environment
                .as_ref()
                .and_then(|e| e.get("github_event_payload")),
            Provenance::V1(p) => p
                .build_definition
                .internal_parameters
                .as_ref()
                .and_then(|i| i.get("GITHUB_EVENT_PAYLOAD")),
        };
        payload
            .and_then(|p| p.get("base_ref"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// One subject of a statement: a name and its digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The subject's name (a file name, an image reference), possibly empty.
    pub name: String,
    /// Its digests, algorithm to lowercase hex.
    pub digest: DigestSet,
}

/// Reads a statement's `subject` list strictly: a non-empty array of objects, each with a non-empty
/// digest set of known algorithms and at least one sha256 or sha512 to match artefacts against.
pub fn parse_subjects(subject: &Value) -> Result<Vec<Subject>, FieldError> {
    let Value::Array(items) = subject else {
        return Err(FieldError::new("subject", "must be an array"));
    };
    if items.is_empty() {
        return Err(FieldError::new(
            "subject",
            "is empty: a statement must name at least one subject",
        ));
    }
    if items.len() > MAX_SUBJECTS {
        return Err(FieldError::new(
            "subject",
            format!("has {} entries, more than {MAX_SUBJECTS}", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("subject[{i}]");
        let Value::Object(obj) = item else {
            return Err(FieldError::new(path, "must be an object"));
        };
        let name = match obj.get("name") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(FieldError::new(format!("{path}.name"), "must be a string")),
        };
        let Some(Value::Object(digests)) = obj.get("digest") else {
            return Err(FieldError::new(
                format!("{path}.digest"),
                "is missing or not an object",
            ));
        };
        if digests.is_empty() {
            return Err(FieldError::new(format!("{path}.digest"), "is empty"));
        }
        let mut set = DigestSet::new();
        for (algorithm, value) in digests {
            let Value::String(hex) = value else {
                return Err(FieldError::new(
                    format!("{path}.digest.{algorithm}"),
                    "must be a string",
                ));
            };
            set.insert_unchecked(algorithm.clone(), hex.clone());
        }
        crate::common::validate_digest_set(&format!("{path}.digest"), &set)?;
        if !set.contains_key("sha256") && !set.contains_key("sha512") {
            return Err(FieldError::new(
                format!("{path}.digest"),
                format!(
                    "has no sha256 or sha512 digest to match an artefact against (has {:?}; known: {})",
                    set.iter().map(|(a, _)| a).collect::<Vec<_>>(),
                    KNOWN_DIGEST_ALGORITHMS.len()
                ),
            ));
        }
        out.push(Subject { name, digest: set });
    }
    Ok(out)
}
