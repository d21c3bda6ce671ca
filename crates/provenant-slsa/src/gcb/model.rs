//! The provenance summary `gcloud artifacts docker images describe IMAGE --show-provenance --format json`
//! prints, and the two in-toto statements Google Cloud Build signs, read with the decoding rules of
//! slsa-verifier (Go's `encoding/json` into typed structures): unknown fields are ignored, `null` reads as
//! the field's zero value, an absent list or map differs from an empty one, and a field of the wrong JSON
//! type is an error. Field names are matched exactly (Go would also accept other letter cases; matching
//! exactly can only refuse more).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The largest provenance summary read. Real summaries are tens of kilobytes.
pub const MAX_SUMMARY_BYTES: usize = 16 * 1024 * 1024;

/// Why a provenance summary could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    /// The document is larger than [`MAX_SUMMARY_BYTES`].
    #[error("provenance summary is {size} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The document is not JSON of the summary's shape.
    #[error("malformed provenance summary at {path}: {reason}")]
    Malformed {
        /// The JSON path of the value at fault (`.` for the document).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a signed payload is not a statement of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The payload is not JSON of the statement's shape.
    #[error("signed payload is not a statement: {path}: {reason}")]
    Malformed {
        /// The JSON path of the value at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `_type` is not an in-toto Statement type.
    #[error("signed statement _type is {found:?}, expected one of {}", .expected.join(", "))]
    StatementType {
        /// The `_type` found.
        found: String,
        /// The types accepted.
        expected: &'static [&'static str],
    },
    /// `predicateType` is not the one the signing key signs.
    #[error("signed statement predicateType is {found:?}, expected {expected:?} for this signing key")]
    PredicateType {
        /// The `predicateType` found.
        found: String,
        /// The type expected.
        expected: &'static str,
    },
}

fn from_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, (String, String)> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// `null` reads as the type's zero value, as Go decodes it.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A value Go decodes into `interface{}`: any JSON, compared as Go's `reflect.DeepEqual` compares what
/// `encoding/json` produced (every number a float64, `null` equal to an absent field).
#[derive(Debug, Clone, Default)]
pub struct AnyJson(pub Value);

impl<'de> Deserialize<'de> for AnyJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(AnyJson)
    }
}

fn go_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| go_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| go_equal(v, w)))
        }
        _ => a == b,
    }
}

impl PartialEq for AnyJson {
    fn eq(&self, other: &Self) -> bool {
        go_equal(&self.0, &other.0)
    }
}

/// An RFC 3339 time as Go's `time.Time` decodes it; equal when the instant and the UTC offset are.
#[derive(Debug, Clone, Copy)]
pub struct GoTime(pub DateTime<FixedOffset>);

impl PartialEq for GoTime {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 && self.0.offset() == other.0.offset()
    }
}

impl<'de> Deserialize<'de> for GoTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(GoTime)
            .map_err(|e| serde::de::Error::custom(format!("not an RFC 3339 time {s:?}: {e}")))
    }
}

/// An in-toto digest set as Go reads it: `None` when absent or `null`.
pub type GoDigestSet = Option<BTreeMap<String, String>>;

/// The provenance summary: the image and the provenance entries Artifact Registry holds for it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProvenanceSummary {
    /// `image_summary`: which image the summary describes.
    #[serde(deserialize_with = "nullable")]
    pub image_summary: ImageSummary,
    /// `provenance_summary`: the provenance entries.
    #[serde(deserialize_with = "nullable")]
    pub provenance_summary: ProvenanceList,
}

/// `image_summary`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ImageSummary {
    /// `sha256:<hex>` of the image manifest.
    #[serde(deserialize_with = "nullable")]
    pub digest: String,
    /// `REGISTRY/PROJECT/REPOSITORY/IMAGE@sha256:<hex>`.
    #[serde(deserialize_with = "nullable")]
    pub fully_qualified_digest: String,
    /// The registry host.
    #[serde(deserialize_with = "nullable")]
    pub registry: String,
    /// The Artifact Registry repository.
    #[serde(deserialize_with = "nullable")]
    pub repository: String,
}

/// `provenance_summary`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProvenanceList {
    /// The provenance entries (Container Analysis occurrences), in order.
    #[serde(deserialize_with = "nullable")]
    pub provenance: Vec<ProvenanceEntry>,
}

/// One provenance entry: the signed envelope, and beside it unsigned metadata and a readable copy of
/// the statement (which must agree with the signed one).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProvenanceEntry {
    /// The readable copies of the statement.
    #[serde(deserialize_with = "nullable")]
    pub build: BuildText,
    /// The occurrence kind; `BUILD` for provenance.
    #[serde(deserialize_with = "nullable")]
    pub kind: String,
    /// The image the occurrence is about, `https://HOST/PATH@sha256:<hex>`.
    #[serde(rename = "resourceUri", deserialize_with = "nullable")]
    pub resource_uri: String,
    /// The DSSE envelope, kept as written: its signatures are decoded only when verified.
    #[serde(deserialize_with = "nullable")]
    pub envelope: RawEnvelope,
}

/// `build`: the unsigned, readable copies of the signed statement.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BuildText {
    /// `intotoStatement`: the SLSA v0.1 statement, its predicate under `slsaProvenance`.
    #[serde(rename = "intotoStatement", deserialize_with = "nullable")]
    pub intoto_statement: TextStatementV01,
    /// `inTotoSlsaProvenanceV1`: the SLSA v1.0 statement.
    #[serde(rename = "inTotoSlsaProvenanceV1", deserialize_with = "nullable")]
    pub in_toto_slsa_provenance_v1: StatementV1,
}

/// A DSSE envelope as the summary carries it, undecoded.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RawEnvelope {
    /// `payloadType`.
    #[serde(rename = "payloadType", deserialize_with = "nullable")]
    pub payload_type: String,
    /// `payload`, base64.
    #[serde(deserialize_with = "nullable")]
    pub payload: String,
    /// `signatures`.
    #[serde(deserialize_with = "nullable")]
    pub signatures: Vec<RawSignature>,
}

/// One DSSE signature, undecoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawSignature {
    /// `keyid`: the Cloud KMS key version that signed.
    #[serde(deserialize_with = "nullable")]
    pub keyid: String,
    /// `sig`, base64 (standard or URL-safe alphabet).
    #[serde(deserialize_with = "nullable")]
    pub sig: String,
}

impl ProvenanceSummary {
    /// Reads a provenance summary.
    pub fn from_json(bytes: &[u8]) -> Result<ProvenanceSummary, SummaryError> {
        if bytes.len() > MAX_SUMMARY_BYTES {
            return Err(SummaryError::TooLarge {
                size: bytes.len(),
                max: MAX_SUMMARY_BYTES,
            });
        }
        from_json(bytes).map_err(|(path, reason)| SummaryError::Malformed { path, reason })
    }
}

/// The in-toto Statement header as in-toto-golang reads it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StatementHeader {
    /// `_type`.
    #[serde(rename = "_type", deserialize_with = "nullable")]
    pub statement_type: String,
    /// `predicateType`.
    #[serde(rename = "predicateType", deserialize_with = "nullable")]
    pub predicate_type: String,
    /// `subject`; `None` when absent or `null`.
    pub subject: Option<Vec<GoSubject>>,
}

/// A statement subject.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct GoSubject {
    /// `name`.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// `digest`.
    pub digest: GoDigestSet,
}

/// The SLSA v0.1 statement GCB signs (`predicate`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StatementV01 {
    /// The header.
    #[serde(flatten)]
    pub header: StatementHeader,
    /// `predicate`.
    #[serde(deserialize_with = "nullable")]
    pub predicate: PredicateV01,
}

/// The readable copy of a v0.1 statement (`slsaProvenance` instead of `predicate`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TextStatementV01 {
    /// The header.
    #[serde(flatten)]
    pub header: StatementHeader,
    /// `slsaProvenance`.
    #[serde(rename = "slsaProvenance", deserialize_with = "nullable")]
    pub slsa_provenance: PredicateV01,
}

/// A SLSA provenance v0.1 predicate.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PredicateV01 {
    /// `builder`.
    #[serde(deserialize_with = "nullable")]
    pub builder: BuilderV01,
    /// `recipe`.
    #[serde(deserialize_with = "nullable")]
    pub recipe: RecipeV01,
    /// `metadata`; `None` when absent or `null`.
    pub metadata: Option<MetadataV01>,
    /// `materials`; `None` when absent or `null`.
    pub materials: Option<Vec<MaterialV01>>,
}

/// `builder` of v0.1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BuilderV01 {
    /// `id`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
}

/// `recipe` of v0.1.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RecipeV01 {
    /// `type` (the build type).
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub recipe_type: String,
    /// `entryPoint`.
    #[serde(rename = "entryPoint", deserialize_with = "nullable")]
    pub entry_point: String,
    /// `arguments`: for GCB, the Cloud Build `Build` resource.
    pub arguments: AnyJson,
    /// `environment`.
    pub environment: AnyJson,
}

/// `metadata` of v0.1.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MetadataV01 {
    /// `buildStartedOn`.
    #[serde(rename = "buildStartedOn")]
    pub build_started_on: Option<GoTime>,
    /// `buildFinishedOn`.
    #[serde(rename = "buildFinishedOn")]
    pub build_finished_on: Option<GoTime>,
    /// `completeness`.
    #[serde(deserialize_with = "nullable")]
    pub completeness: CompletenessV01,
    /// `reproducible`.
    #[serde(deserialize_with = "nullable")]
    pub reproducible: bool,
}

/// `metadata.completeness` of v0.1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CompletenessV01 {
    /// `arguments`.
    #[serde(deserialize_with = "nullable")]
    pub arguments: bool,
    /// `environment`.
    #[serde(deserialize_with = "nullable")]
    pub environment: bool,
    /// `materials`.
    #[serde(deserialize_with = "nullable")]
    pub materials: bool,
}

/// A material of v0.1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MaterialV01 {
    /// `uri`.
    #[serde(deserialize_with = "nullable")]
    pub uri: String,
    /// `digest`.
    pub digest: GoDigestSet,
}

/// The SLSA v1.0 statement GCB signs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StatementV1 {
    /// The header.
    #[serde(flatten)]
    pub header: StatementHeader,
    /// `predicate`.
    #[serde(deserialize_with = "nullable")]
    pub predicate: PredicateV1,
}

/// A SLSA Build provenance v1 predicate as in-toto-golang reads it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PredicateV1 {
    /// `buildDefinition`.
    #[serde(rename = "buildDefinition", deserialize_with = "nullable")]
    pub build_definition: BuildDefinitionV1,
    /// `runDetails`.
    #[serde(rename = "runDetails", deserialize_with = "nullable")]
    pub run_details: RunDetailsV1,
}

/// `buildDefinition`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BuildDefinitionV1 {
    /// `buildType`.
    #[serde(rename = "buildType", deserialize_with = "nullable")]
    pub build_type: String,
    /// `externalParameters`.
    #[serde(rename = "externalParameters")]
    pub external_parameters: AnyJson,
    /// `internalParameters`.
    #[serde(rename = "internalParameters")]
    pub internal_parameters: AnyJson,
    /// `resolvedDependencies`.
    #[serde(rename = "resolvedDependencies")]
    pub resolved_dependencies: Option<Vec<ResourceDescriptorV1>>,
}

/// `runDetails`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RunDetailsV1 {
    /// `builder`.
    #[serde(deserialize_with = "nullable")]
    pub builder: BuilderV1,
    /// `metadata`.
    #[serde(deserialize_with = "nullable")]
    pub metadata: BuildMetadataV1,
    /// `byproducts`.
    pub byproducts: Option<Vec<ResourceDescriptorV1>>,
}

/// `runDetails.builder`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BuilderV1 {
    /// `id`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// `version`.
    pub version: Option<BTreeMap<String, String>>,
    /// `builderDependencies`.
    #[serde(rename = "builderDependencies")]
    pub builder_dependencies: Option<Vec<ResourceDescriptorV1>>,
}

/// `runDetails.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BuildMetadataV1 {
    /// `invocationId`.
    #[serde(
        rename = "invocationId",
        alias = "invocationID",
        deserialize_with = "nullable"
    )]
    pub invocation_id: String,
    /// `startedOn`.
    #[serde(rename = "startedOn")]
    pub started_on: Option<GoTime>,
    /// `finishedOn`.
    #[serde(rename = "finishedOn")]
    pub finished_on: Option<GoTime>,
}

/// An in-toto v1 resource descriptor.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceDescriptorV1 {
    /// `uri`.
    #[serde(deserialize_with = "nullable")]
    pub uri: String,
    /// `digest`.
    pub digest: GoDigestSet,
    /// `name`.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// `downloadLocation`.
    #[serde(rename = "downloadLocation", deserialize_with = "nullable")]
    pub download_location: String,
    /// `mediaType`.
    #[serde(rename = "mediaType", deserialize_with = "nullable")]
    pub media_type: String,
    /// `content`, base64.
    pub content: Option<String>,
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, AnyJson>>,
}

/// The in-toto Statement types slsa-verifier accepts for GCB (v1 and v0.1, as `provenant-attest` reads).
pub const STATEMENT_TYPES: &[&str] = &provenant_attest::STATEMENT_TYPES;

fn check_header(header: &StatementHeader, expected_predicate: &'static str) -> Result<(), StatementError> {
    if !STATEMENT_TYPES.contains(&header.statement_type.as_str()) {
        return Err(StatementError::StatementType {
            found: header.statement_type.chars().take(200).collect(),
            expected: STATEMENT_TYPES,
        });
    }
    if header.predicate_type != expected_predicate {
        return Err(StatementError::PredicateType {
            found: header.predicate_type.chars().take(200).collect(),
            expected: expected_predicate,
        });
    }
    Ok(())
}

/// A statement whose signature verified, of the version its signing key signs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GcbStatement {
    /// SLSA provenance v0.1 (builders `@v0.2` and `@v0.3`).
    V01(Box<StatementV01>),
    /// SLSA Build provenance v1.0.
    V1(Box<StatementV1>),
}

impl GcbStatement {
    /// Reads a signed payload as a SLSA v0.1 statement.
    pub fn parse_v01(payload: &[u8]) -> Result<GcbStatement, StatementError> {
        let s: StatementV01 =
            from_json(payload).map_err(|(path, reason)| StatementError::Malformed { path, reason })?;
        check_header(&s.header, super::PREDICATE_V01)?;
        Ok(GcbStatement::V01(Box::new(s)))
    }

    /// Reads a signed payload as a SLSA v1.0 statement.
    pub fn parse_v1(payload: &[u8]) -> Result<GcbStatement, StatementError> {
        let s: StatementV1 =
            from_json(payload).map_err(|(path, reason)| StatementError::Malformed { path, reason })?;
        check_header(&s.header, super::PREDICATE_V1)?;
        Ok(GcbStatement::V1(Box::new(s)))
    }

    /// The statement header.
    #[must_use]
    pub fn header(&self) -> &StatementHeader {
        match self {
            GcbStatement::V01(s) => &s.header,
            GcbStatement::V1(s) => &s.header,
        }
    }

    /// The predicate's builder id.
    #[must_use]
    pub fn builder_id(&self) -> &str {
        match self {
            GcbStatement::V01(s) => &s.predicate.builder.id,
            GcbStatement::V1(s) => &s.predicate.run_details.builder.id,
        }
    }

    /// The build type (`recipe.type` in v0.1).
    #[must_use]
    pub fn build_type(&self) -> &str {
        match self {
            GcbStatement::V01(s) => &s.predicate.recipe.recipe_type,
            GcbStatement::V1(s) => &s.predicate.build_definition.build_type,
        }
    }
}
