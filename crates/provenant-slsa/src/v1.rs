//! SLSA Build provenance v1 (`https://slsa.dev/provenance/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::{ResourceDescriptor, Timestamp};
use crate::error::{FieldError, PredicateError, from_value};

/// The predicate type of SLSA Build provenance v1.
pub const PREDICATE_TYPE: &str = provenant_attest::predicate::SLSA_PROVENANCE_V1;

/// A SLSA v1 provenance predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceV1 {
    /// The inputs of the build.
    pub build_definition: BuildDefinition,
    /// The particular run of the build.
    pub run_details: RunDetails,
}

/// What the build was asked to do (`buildDefinition`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// A URI naming the template the build followed; it defines how to read the parameters.
    pub build_type: String,
    /// The parameters under the control of the build's caller: what a verifier checks.
    pub external_parameters: serde_json::Map<String, serde_json::Value>,
    /// Parameters set by the builder itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<serde_json::Map<String, serde_json::Value>>,
    /// Artefacts the build fetched or read: the source first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// How the build ran (`runDetails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// The build platform.
    pub builder: Builder,
    /// Metadata of this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    /// Other outputs of the build (logs, intermediate files) that are not subjects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// The build platform (`runDetails.builder`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Builder {
    /// URI of the build platform and the trust placed in it.
    pub id: String,
    /// Versions of the builder's components.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
    /// Dependencies of the builder itself (toolchains, images).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builder_dependencies: Vec<ResourceDescriptor>,
}

/// Metadata of a run (`runDetails.metadata`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifies this run on the builder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// When the build started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<Timestamp>,
    /// When the build finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<Timestamp>,
}

impl ProvenanceV1 {
    /// Parses and validates a predicate, naming the first field at fault.
    pub fn from_json(predicate: &serde_json::Value) -> Result<ProvenanceV1, PredicateError> {
        let malformed = |source| PredicateError::Malformed {
            predicate_type: PREDICATE_TYPE,
            source,
        };
        let p: ProvenanceV1 = from_value(predicate).map_err(malformed)?;
        p.validate().map_err(malformed)?;
        Ok(p)
    }

    /// Checks what serde cannot: non-empty identifiers, valid descriptors and digest sets, ordered times.
    pub fn validate(&self) -> Result<(), FieldError> {
        let bd = &self.build_definition;
        require_uri("buildDefinition.buildType", &bd.build_type)?;
        for (i, d) in bd.resolved_dependencies.iter().enumerate() {
            d.validate(&format!("buildDefinition.resolvedDependencies[{i}]"))?;
        }
        let rd = &self.run_details;
        require_uri("runDetails.builder.id", &rd.builder.id)?;
        for (i, d) in rd.builder.builder_dependencies.iter().enumerate() {
            d.validate(&format!("runDetails.builder.builderDependencies[{i}]"))?;
        }
        for (i, d) in rd.byproducts.iter().enumerate() {
            d.validate(&format!("runDetails.byproducts[{i}]"))?;
        }
        if let Some(BuildMetadata {
            started_on: Some(s),
            finished_on: Some(f),
            ..
        }) = &rd.metadata
            && f < s
        {
            return Err(FieldError::new(
                "runDetails.metadata.finishedOn",
                format!("{f} is before startedOn {s}"),
            ));
        }
        Ok(())
    }

    /// The predicate as JSON.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A field that must hold a URI: non-empty with a scheme.
pub(crate) fn require_uri(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    let scheme_ok = value.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if !scheme_ok {
        return Err(FieldError::new(
            field,
            format!("{value:?} is not a URI (it has no scheme)"),
        ));
    }
    Ok(())
}
