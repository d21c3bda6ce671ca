//! SLSA provenance v0.2 (`https://slsa.dev/provenance/v0.2`), still what most generators emit.

use serde::{Deserialize, Serialize};

use crate::common::{DigestSet, Timestamp, validate_digest_set};
use crate::error::{FieldError, PredicateError, from_value};
use crate::v1::require_uri;

/// The predicate type of SLSA provenance v0.2.
pub const PREDICATE_TYPE: &str = provenant_attest::predicate::SLSA_PROVENANCE_V0_2;

/// A SLSA v0.2 provenance predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceV02 {
    /// The build platform.
    pub builder: BuilderV02,
    /// A URI naming the build's template.
    pub build_type: String,
    /// What started the build.
    #[serde(default)]
    pub invocation: Invocation,
    /// The steps of the build, in the builder's own form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_config: Option<serde_json::Value>,
    /// Metadata of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataV02>,
    /// Artefacts the build read: the source first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<Material>,
}

/// `builder` of v0.2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuilderV02 {
    /// URI of the build platform.
    pub id: String,
}

/// `invocation` of v0.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Where the build's top-level configuration came from.
    #[serde(default)]
    pub config_source: ConfigSource,
    /// Parameters given by the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    /// The builder's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<serde_json::Value>,
}

/// `invocation.configSource` of v0.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSource {
    /// URI of the configuration (for git: `git+https://host/org/repo@ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the configuration source (for git: `sha1` of the commit).
    #[serde(default)]
    pub digest: DigestSet,
    /// The entry point in the configuration (e.g. the workflow file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
}

/// `metadata` of v0.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataV02 {
    /// The builder's identifier of this run.
    #[serde(
        default,
        rename = "buildInvocationID",
        alias = "buildInvocationId",
        skip_serializing_if = "Option::is_none"
    )]
    pub build_invocation_id: Option<String>,
    /// When the build started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_started_on: Option<Timestamp>,
    /// When the build finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_finished_on: Option<Timestamp>,
    /// Which parts of the provenance claim to be complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<Completeness>,
    /// Whether the builder claims the build is reproducible.
    #[serde(default)]
    pub reproducible: bool,
}

/// `metadata.completeness` of v0.2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// `parameters` are complete.
    #[serde(default)]
    pub parameters: bool,
    /// `environment` is complete.
    #[serde(default)]
    pub environment: bool,
    /// `materials` are complete.
    #[serde(default)]
    pub materials: bool,
}

/// One entry of `materials`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Material {
    /// URI of the material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Digests of the material.
    #[serde(default)]
    pub digest: DigestSet,
}

impl ProvenanceV02 {
    /// Parses and validates a predicate, naming the first field at fault.
    pub fn from_json(predicate: &serde_json::Value) -> Result<ProvenanceV02, PredicateError> {
        let malformed = |source| PredicateError::Malformed {
            predicate_type: PREDICATE_TYPE,
            source,
        };
        let p: ProvenanceV02 = from_value(predicate).map_err(malformed)?;
        p.validate().map_err(malformed)?;
        Ok(p)
    }

    /// Checks what serde cannot: non-empty identifiers and valid digest sets.
    pub fn validate(&self) -> Result<(), FieldError> {
        require_uri("builder.id", &self.builder.id)?;
        require_uri("buildType", &self.build_type)?;
        validate_digest_set(
            "invocation.configSource.digest",
            &self.invocation.config_source.digest,
        )?;
        for (i, m) in self.materials.iter().enumerate() {
            validate_digest_set(&format!("materials[{i}].digest"), &m.digest)?;
        }
        Ok(())
    }
}
