//! Google Cloud Build provenance, as slsa-verifier verifies it (`verify-image` with a
//! `https://cloudbuild.googleapis.com/GoogleHostedWorker` builder id).
//!
//! Cloud Build does not publish its provenance as a sigstore bundle: Artifact Registry returns a
//! *provenance summary* ([`model::ProvenanceSummary`]) whose entries each hold a DSSE envelope signed by
//! a Cloud KMS key, an unsigned readable copy of the signed statement, and unsigned metadata. This
//! module owns that format and every check slsa-verifier makes after the signature, as pure functions
//! over the statement whose signature verified ([`model::GcbStatement`]); the signature itself is
//! verified by the caller (`provenant-provenance`), which picks the key from the envelope's `keyid`.
//!
//! The checks, in slsa-verifier's order: [`verify_builder`] (the builder id is a known GCB one, matches
//! the expected id, and the build type fits the builder version), [`verify_subject`],
//! [`verify_source`], [`verify_metadata`] (occurrence kind and resource URI), [`verify_image_summary`],
//! [`verify_text`] (the readable copy says what the signed statement says), then [`verify_branch`],
//! [`verify_tag`] and [`verify_versioned_tag`] when asked.
//!
//! ```
//! use provenant_slsa::gcb::{KeySelection, check_gcb_builder_expected};
//!
//! // The signature's key id names the key: here the regional key of us-west2, which signs the
//! // payload's SHA-256; a key id of another project names no key at all.
//! let key = KeySelection::from_key_id(
//!     "projects/verified-builder/locations/us-west2/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1",
//! );
//! assert_eq!(key.as_ref().map(KeySelection::key_name), Some("us-west2"));
//! assert!(KeySelection::from_key_id("projects/someone/locations/us-west2/keyRings/k/cryptoKeys/c").is_none());
//! // Only a Cloud Build builder id selects this verifier.
//! check_gcb_builder_expected("https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3")?;
//! assert!(check_gcb_builder_expected("https://github.com/org/repo/.github/workflows/b.yml").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod model;

use provenant_digest::{Algorithm, Digest};
use serde_json::Value;

use crate::policy::{self, BuilderId, PolicyError};
use model::{GcbStatement, ProvenanceEntry, ProvenanceSummary};

/// The builder name of Google Cloud Build's hosted workers; slsa-verifier routes a builder id with this
/// name (with or without `@version`) to its GCB verifier.
pub const BUILDER_NAME: &str = "https://cloudbuild.googleapis.com/GoogleHostedWorker";

/// Builder ids of SLSA v0.1 provenance.
pub const V01_BUILDER_IDS: &[&str] = &[
    "https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2",
    "https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3",
];

/// Builder ids of SLSA v1.0 provenance (it carries no version).
pub const V1_BUILDER_IDS: &[&str] = &[BUILDER_NAME];

/// The predicate type of the v0.1 statements GCB signs.
pub const PREDICATE_V01: &str = provenant_attest::predicate::SLSA_PROVENANCE_V0_1;

/// The predicate type of the v1.0 statements GCB signs.
pub const PREDICATE_V1: &str = provenant_attest::predicate::SLSA_PROVENANCE_V1;

/// The only build type of GCB v1.0 provenance.
pub const V1_BUILD_TYPE: &str = "https://cloud.google.com/build/gcb-buildtypes/google-worker/v1";

/// The recipe types (before `@version`) of builder `@v0.3`.
pub const V03_RECIPE_PREFIXES: &[&str] = &[
    "https://cloudbuild.googleapis.com/CloudBuildYaml@",
    "https://cloudbuild.googleapis.com/CloudBuildSteps@",
];

/// `recipe.arguments.@type` of v0.1 provenance: the Cloud Build `Build` resource.
pub const RECIPE_ARGUMENTS_TYPE: &str = "type.googleapis.com/google.devtools.cloudbuild.v1.Build";

/// The DSSE payload type of the envelopes.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The Cloud KMS key version that signs v1.0 provenance (over the DSSE PAE).
pub const V1_GLOBAL_PAE_KEY_ID: &str = "projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/google-hosted-worker/cryptoKeyVersions/1";

/// The Cloud KMS key version that signs v0.1 provenance globally (over the DSSE PAE).
pub const V01_GLOBAL_PAE_KEY_ID: &str = "projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/provenanceSigner/cryptoKeyVersions/1";

/// How a signature's `keyid` selects the key that must have made it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySelection {
    /// A global key signing the DSSE pre-authentication encoding; `name` is the key's file name
    /// (`global-pae-google-hosted-worker_1`, `global-pae-provenanceSigner_1`), `v1` whether it signs v1.0
    /// statements (otherwise v0.1).
    GlobalPae {
        /// The key's name.
        name: &'static str,
        /// Whether the key signs SLSA v1.0 statements.
        v1: bool,
    },
    /// A regional `builtByGCB` key signing the SHA-256 of the payload itself (not the PAE): the legacy
    /// scheme of v0.1 provenance. `region` is the location in the key id (`us-west2`, `global`).
    Regional {
        /// The region named by the key id.
        region: String,
    },
}

impl KeySelection {
    /// The key a `keyid` names, or `None` for a key id slsa-verifier ignores.
    #[must_use]
    pub fn from_key_id(keyid: &str) -> Option<KeySelection> {
        match keyid {
            V1_GLOBAL_PAE_KEY_ID => Some(KeySelection::GlobalPae {
                name: "global-pae-google-hosted-worker_1",
                v1: true,
            }),
            V01_GLOBAL_PAE_KEY_ID => Some(KeySelection::GlobalPae {
                name: "global-pae-provenanceSigner_1",
                v1: false,
            }),
            _ => keyid
                .strip_prefix("projects/verified-builder/locations/")
                .and_then(|r| r.strip_suffix("/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1"))
                .map(|region| KeySelection::Regional {
                    region: region.to_owned(),
                }),
        }
    }

    /// The name of the key file (without `.key`) this selection needs.
    #[must_use]
    pub fn key_name(&self) -> &str {
        match self {
            KeySelection::GlobalPae { name, .. } => name,
            KeySelection::Regional { region } => region,
        }
    }
}

/// Whether the provenance's builder (from [`verify_builder`]) is the `expected` one, as slsa-verifier's
/// loose match decides: same name, and the same version when `expected` names one. `expected` is read
/// with GCB's rule (`NAME[@VERSION]`, one `@` at most); the match is [`BuilderId::matches`].
pub fn check_builder(actual: &BuilderId, expected: &str) -> Result<(), GcbPolicyError> {
    let (name, version) = split_builder_id(expected)?;
    if BuilderId::from_parts(name, version).matches(actual) {
        Ok(())
    } else {
        Err(GcbPolicyError::BuilderMismatch {
            expected: expected.chars().take(300).collect(),
            actual: actual.to_string(),
        })
    }
}

/// slsa-verifier's `ParseBuilderID`: `name` or `name@version`, one `@` at most, no empty version.
fn split_builder_id(id: &str) -> Result<(&str, Option<&str>), GcbPolicyError> {
    let malformed = || GcbPolicyError::MalformedBuilderId {
        value: id.chars().take(300).collect(),
    };
    let mut parts = id.split('@');
    let name = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => Ok((name, None)),
        (Some(v), None) if !v.is_empty() => Ok((name, Some(v))),
        _ => Err(malformed()),
    }
}

/// Why a GCB statement records no usable tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// A field the tag is read from is not an object.
    #[error("{field} is not an object")]
    NotAnObject {
        /// The field's path.
        field: &'static str,
    },
    /// The substitutions map is missing or not an object.
    #[error("no substitutions map")]
    NoSubstitutions,
    /// The substitution is missing.
    #[error("no {name} in the substitutions")]
    Missing {
        /// The substitution's name.
        name: &'static str,
    },
    /// The substitution is not a string.
    #[error("{name} is not a string")]
    NotAString {
        /// The substitution's name.
        name: &'static str,
    },
    /// The configuration source's ref cannot be read.
    #[error("{0}")]
    ConfigSource(Box<GcbPolicyError>),
    /// `TAG_NAME` and the configuration source's ref name different tags.
    #[error("TAG_NAME {tag:?} and buildConfigSource.ref {reference:?} disagree")]
    Disagree {
        /// `TAG_NAME`.
        tag: String,
        /// `buildConfigSource.ref`.
        reference: String,
    },
}

/// A check on GCB provenance failed. Each variant names the check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GcbPolicyError {
    /// The expected builder id is not a GCB builder, so the GCB verifier does not apply.
    #[error("builder {expected:?} is not a Google Cloud Build builder (expected {BUILDER_NAME}[@VERSION])")]
    UnsupportedBuilder {
        /// The builder id given.
        expected: String,
    },
    /// A builder id is not `name[@version]`.
    #[error("malformed builder id {value:?}: expected NAME or NAME@VERSION")]
    MalformedBuilderId {
        /// The builder id.
        value: String,
    },
    /// The signed statement's builder id is not one GCB uses for its predicate type.
    #[error("builder id {actual:?} is not a GCB builder for {predicate_type} (expected one of {})", .expected.join(", "))]
    InvalidBuilderId {
        /// The builder id in the statement.
        actual: String,
        /// The statement's predicate type.
        predicate_type: &'static str,
        /// The builder ids GCB uses for it.
        expected: &'static [&'static str],
    },
    /// The builder differs from the expected one.
    #[error("builder mismatch: expected {expected:?}, the provenance names {actual:?}")]
    BuilderMismatch {
        /// The expected builder id.
        expected: String,
        /// The provenance's builder id.
        actual: String,
    },
    /// The v0.1 recipe type does not fit the builder version.
    #[error("recipe type {actual:?} does not fit builder {builder}: expected {expected}")]
    InvalidRecipe {
        /// The builder id.
        builder: String,
        /// `recipe.type`.
        actual: String,
        /// What the builder's version requires.
        expected: String,
    },
    /// The v1.0 build type is not GCB's.
    #[error("build type {actual:?} is not {V1_BUILD_TYPE}")]
    InvalidBuildType {
        /// `buildDefinition.buildType`.
        actual: String,
    },
    /// `recipe.arguments.@type` is not the Cloud Build `Build` resource.
    #[error("recipe.arguments.@type is {actual:?}, expected {RECIPE_ARGUMENTS_TYPE}")]
    RecipeArgumentsType {
        /// The type found.
        actual: String,
    },
    /// A field the check reads is missing or of the wrong type.
    #[error("signed statement field {field}: {reason}")]
    InvalidField {
        /// The field's path.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No subject carries the image digest.
    #[error("no subject has digest {expected} (subjects: {subjects})")]
    SubjectMismatch {
        /// The image digest.
        expected: Digest,
        /// The subjects' sha256 digests, comma-separated.
        subjects: String,
    },
    /// The source URI is empty.
    #[error("the provenance's source URI ({field}) is empty")]
    EmptySourceUri {
        /// The field.
        field: &'static str,
    },
    /// The source URI has no `@ref` (v1.0).
    #[error("source {uri:?} names no ref (expected REPOSITORY@REF)")]
    SourceWithoutRef {
        /// The URI.
        uri: String,
    },
    /// The source is not the expected one.
    #[error("source mismatch: expected {expected:?}, the provenance names {actual:?}")]
    SourceMismatch {
        /// The expected source (as compared, with `https://` added when the provenance's has it).
        expected: String,
        /// The provenance's source URI.
        actual: String,
    },
    /// The builder version has no known source or recipe rules.
    #[error("builder version {version:?} is not one slsa-verifier knows (v0.2, v0.3)")]
    UnknownBuilderVersion {
        /// The version.
        version: String,
    },
    /// The occurrence kind is not `BUILD`.
    #[error("provenance entry kind is {actual:?}, expected \"BUILD\"")]
    WrongKind {
        /// The kind.
        actual: String,
    },
    /// The occurrence's resource URI names another image.
    #[error("provenance entry resourceUri {actual:?} does not end with @{expected}")]
    ResourceUriMismatch {
        /// The image digest.
        expected: Digest,
        /// The resource URI.
        actual: String,
    },
    /// The image summary's digest is another one.
    #[error("image_summary.digest is {actual:?}, expected {expected}")]
    SummaryDigestMismatch {
        /// The image digest.
        expected: Digest,
        /// The summary's digest.
        actual: String,
    },
    /// The image summary's fully qualified digest names another image.
    #[error("image_summary.fully_qualified_digest {actual:?} does not end with {expected}")]
    SummaryQualifiedDigestMismatch {
        /// The image digest.
        expected: Digest,
        /// The summary's fully qualified digest.
        actual: String,
    },
    /// The readable copy of the statement differs from the signed statement.
    #[error("the readable statement (build.{field}) differs from the signed statement")]
    TextMismatch {
        /// `intotoStatement` or `inTotoSlsaProvenanceV1`.
        field: &'static str,
    },
    /// GCB provenance records no branch (slsa-verifier does not support the branch check for GCB).
    #[error("the branch cannot be verified: Google Cloud Build provenance does not record it")]
    BranchNotSupported,
    /// The tag cannot be read from the provenance.
    #[error("the provenance records no usable tag for the {check} check: {reason}")]
    NoTag {
        /// `tag` or `versioned tag`.
        check: &'static str,
        /// Why.
        reason: TagError,
    },
    /// The tag differs.
    #[error("tag mismatch: expected {expected:?}, the build ran for {actual:?}")]
    TagMismatch {
        /// The expected tag.
        expected: String,
        /// The provenance's tag.
        actual: String,
    },
    /// The versioned-tag check failed.
    #[error("versioned tag: {0}")]
    VersionedTag(PolicyError),
}

/// The step before any other: slsa-verifier hands provenance to its GCB verifier only when the expected
/// builder id's name is [`BUILDER_NAME`].
pub fn check_gcb_builder_expected(expected: &str) -> Result<(), GcbPolicyError> {
    let (name, _) = split_builder_id(expected)?;
    if name == BUILDER_NAME {
        Ok(())
    } else {
        Err(GcbPolicyError::UnsupportedBuilder {
            expected: expected.chars().take(300).collect(),
        })
    }
}

fn predicate_type_of(statement: &GcbStatement) -> &'static str {
    match statement {
        GcbStatement::V01(_) => PREDICATE_V01,
        GcbStatement::V1(_) => PREDICATE_V1,
    }
}

/// Checks the builder: a builder id GCB uses for the predicate type, matching `expected` (name, and
/// version when given), a build type that fits the builder version, and for v0.1 the recipe arguments'
/// `@type`. Returns the provenance's builder id.
pub fn verify_builder(statement: &GcbStatement, expected: Option<&str>) -> Result<BuilderId, GcbPolicyError> {
    let actual = statement.builder_id();
    let (known, versioned): (&'static [&'static str], bool) = match statement {
        GcbStatement::V01(_) => (V01_BUILDER_IDS, true),
        GcbStatement::V1(_) => (V1_BUILDER_IDS, false),
    };
    if !known.contains(&actual) {
        return Err(GcbPolicyError::InvalidBuilderId {
            actual: actual.chars().take(300).collect(),
            predicate_type: predicate_type_of(statement),
            expected: known,
        });
    }
    let (name, version) = split_builder_id(actual)?;
    let builder = BuilderId::from_parts(name, if versioned { version } else { None });
    if let Some(expected) = expected {
        check_builder(&builder, expected)?;
    }
    match statement {
        GcbStatement::V01(s) => {
            let recipe = &s.predicate.recipe.recipe_type;
            match builder.version() {
                Some("v0.2") if *recipe == builder.to_string() => {}
                Some("v0.2") => {
                    return Err(GcbPolicyError::InvalidRecipe {
                        builder: builder.to_string(),
                        actual: recipe.chars().take(300).collect(),
                        expected: builder.to_string(),
                    });
                }
                Some("v0.3") if V03_RECIPE_PREFIXES.iter().any(|p| recipe.starts_with(p)) => {}
                Some("v0.3") => {
                    return Err(GcbPolicyError::InvalidRecipe {
                        builder: builder.to_string(),
                        actual: recipe.chars().take(300).collect(),
                        expected: format!("one of {}", V03_RECIPE_PREFIXES.join("…, ")),
                    });
                }
                other => {
                    return Err(GcbPolicyError::UnknownBuilderVersion {
                        version: other.unwrap_or_default().to_owned(),
                    });
                }
            }
            let Value::Object(arguments) = &s.predicate.recipe.arguments.0 else {
                return Err(GcbPolicyError::InvalidField {
                    field: "predicate.recipe.arguments",
                    reason: "not an object",
                });
            };
            let found = match arguments.get("@type") {
                None => {
                    return Err(GcbPolicyError::InvalidField {
                        field: "predicate.recipe.arguments.@type",
                        reason: "absent",
                    });
                }
                Some(Value::String(t)) => t,
                Some(_) => {
                    return Err(GcbPolicyError::InvalidField {
                        field: "predicate.recipe.arguments.@type",
                        reason: "not a string",
                    });
                }
            };
            if found != RECIPE_ARGUMENTS_TYPE {
                return Err(GcbPolicyError::RecipeArgumentsType {
                    actual: found.chars().take(300).collect(),
                });
            }
        }
        GcbStatement::V1(s) => {
            if s.predicate.build_definition.build_type != V1_BUILD_TYPE {
                return Err(GcbPolicyError::InvalidBuildType {
                    actual: s
                        .predicate
                        .build_definition
                        .build_type
                        .chars()
                        .take(300)
                        .collect(),
                });
            }
        }
    }
    Ok(builder)
}

/// Checks that a subject carries the image digest (a SHA-256). As slsa-verifier does, subjects are read
/// in order and one without a `sha256` digest before the match is an error.
pub fn verify_subject(statement: &GcbStatement, image: &Digest) -> Result<(), GcbPolicyError> {
    let subjects = statement.header().subject.as_deref().unwrap_or_default();
    if subjects.is_empty() {
        return Err(GcbPolicyError::InvalidField {
            field: "subject",
            reason: "no subjects",
        });
    }
    let mut seen = Vec::new();
    for subject in subjects {
        let Some(hex) = subject.digest.as_ref().and_then(|d| d.get("sha256")) else {
            return Err(GcbPolicyError::InvalidField {
                field: "subject[].digest.sha256",
                reason: "a subject has no sha256 digest",
            });
        };
        if image.algorithm() == Algorithm::Sha256 && *hex == image.hex() {
            return Ok(());
        }
        seen.push(format!("sha256:{}", hex.chars().take(64).collect::<String>()));
    }
    Err(GcbPolicyError::SubjectMismatch {
        expected: *image,
        subjects: seen.join(", "),
    })
}

fn str_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
    field: &'static str,
) -> Result<&'a str, GcbPolicyError> {
    match map.get(key) {
        None => Err(GcbPolicyError::InvalidField {
            field,
            reason: "absent",
        }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(GcbPolicyError::InvalidField {
            field,
            reason: "not a string",
        }),
    }
}

/// `externalParameters.buildConfigSource.<key>` of v1.0 provenance.
fn config_source_field<'a>(
    s: &'a model::StatementV1,
    key: &str,
    field: &'static str,
) -> Result<&'a str, GcbPolicyError> {
    let Value::Object(ext) = &s.predicate.build_definition.external_parameters.0 else {
        return Err(GcbPolicyError::InvalidField {
            field: "predicate.buildDefinition.externalParameters",
            reason: "not an object",
        });
    };
    match ext.get("buildConfigSource") {
        None => Err(GcbPolicyError::InvalidField {
            field: "predicate.buildDefinition.externalParameters.buildConfigSource",
            reason: "absent",
        }),
        Some(Value::Object(source)) => str_field(source, key, field),
        Some(_) => Err(GcbPolicyError::InvalidField {
            field: "predicate.buildDefinition.externalParameters.buildConfigSource",
            reason: "not an object",
        }),
    }
}

/// The source URI the provenance records: v0.1 `materials[0].uri`; v1.0
/// `externalParameters.buildConfigSource` as `repository@ref`.
pub fn source_uri(statement: &GcbStatement) -> Result<String, GcbPolicyError> {
    match statement {
        GcbStatement::V01(s) => {
            let first = s.predicate.materials.as_deref().and_then(<[_]>::first).ok_or(
                GcbPolicyError::InvalidField {
                    field: "predicate.materials",
                    reason: "no material",
                },
            )?;
            if first.uri.is_empty() {
                return Err(GcbPolicyError::EmptySourceUri {
                    field: "predicate.materials[0].uri",
                });
            }
            Ok(first.uri.clone())
        }
        GcbStatement::V1(s) => {
            let reference = config_source_field(
                s,
                "ref",
                "predicate.buildDefinition.externalParameters.buildConfigSource.ref",
            )?;
            let repository = config_source_field(
                s,
                "repository",
                "predicate.buildDefinition.externalParameters.buildConfigSource.repository",
            )?;
            Ok(format!("{repository}@{reference}"))
        }
    }
}

/// Checks the source as slsa-verifier does. `expected` is compared as given (`github.com/ORG/REPO`
/// gains `https://` when the provenance's URI has it; a `gs://` source is compared whole):
/// builder `@v0.2` records `https://github.com/ORG/REPO/commit/SHA` or `gs://…#GENERATION`; `@v0.3`
/// records the repository itself (with `git+`) or `gs://…#GENERATION`; v1.0 records `REPOSITORY@REF`.
pub fn verify_source(
    statement: &GcbStatement,
    builder: &BuilderId,
    expected: &str,
) -> Result<(), GcbPolicyError> {
    let recorded = source_uri(statement)?;
    let uri = recorded.strip_prefix("git+").unwrap_or(&recorded);
    let expected = if uri.starts_with("https://") && !expected.starts_with("https://") {
        format!("https://{expected}")
    } else {
        expected.to_owned()
    };
    let mismatch = || GcbPolicyError::SourceMismatch {
        expected: expected.chars().take(300).collect(),
        actual: uri.chars().take(300).collect(),
    };
    let generation = format!("{expected}#");
    match statement {
        GcbStatement::V01(_) => match builder.version() {
            Some("v0.2") => {
                if uri.starts_with(&format!("{expected}/commit/")) || uri.starts_with(&generation) {
                    Ok(())
                } else {
                    Err(mismatch())
                }
            }
            Some("v0.3") => {
                if uri == expected || uri.starts_with(&generation) {
                    Ok(())
                } else {
                    Err(mismatch())
                }
            }
            other => Err(GcbPolicyError::UnknownBuilderVersion {
                version: other.unwrap_or_default().to_owned(),
            }),
        },
        GcbStatement::V1(_) => {
            let mut parts = uri.split('@');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(repository), Some(_), None) => {
                    if repository == expected {
                        Ok(())
                    } else {
                        Err(GcbPolicyError::SourceMismatch {
                            expected: expected.chars().take(300).collect(),
                            actual: repository.chars().take(300).collect(),
                        })
                    }
                }
                _ => Err(GcbPolicyError::SourceWithoutRef {
                    uri: uri.chars().take(300).collect(),
                }),
            }
        }
    }
}

/// Checks the entry's unsigned metadata: its kind is `BUILD` and its resource URI ends with
/// `@sha256:<image digest>`.
pub fn verify_metadata(entry: &ProvenanceEntry, image: &Digest) -> Result<(), GcbPolicyError> {
    if entry.kind != "BUILD" {
        return Err(GcbPolicyError::WrongKind {
            actual: entry.kind.chars().take(100).collect(),
        });
    }
    if !entry.resource_uri.ends_with(&format!("@{image}")) {
        return Err(GcbPolicyError::ResourceUriMismatch {
            expected: *image,
            actual: entry.resource_uri.chars().take(500).collect(),
        });
    }
    Ok(())
}

/// Checks the summary's `image_summary`: its digest is the image's, and its fully qualified digest
/// ends with it.
pub fn verify_image_summary(summary: &ProvenanceSummary, image: &Digest) -> Result<(), GcbPolicyError> {
    let s = &summary.image_summary;
    let wanted = image.to_string();
    if s.digest != wanted {
        return Err(GcbPolicyError::SummaryDigestMismatch {
            expected: *image,
            actual: s.digest.chars().take(200).collect(),
        });
    }
    if !s.fully_qualified_digest.ends_with(&wanted) {
        return Err(GcbPolicyError::SummaryQualifiedDigestMismatch {
            expected: *image,
            actual: s.fully_qualified_digest.chars().take(500).collect(),
        });
    }
    Ok(())
}

/// Checks that the entry's readable copy of the statement says exactly what the signed statement says
/// (compared as slsa-verifier compares them: the fields of the typed statement, unknown fields ignored).
pub fn verify_text(entry: &ProvenanceEntry, statement: &GcbStatement) -> Result<(), GcbPolicyError> {
    match statement {
        GcbStatement::V01(s) => {
            let text = &entry.build.intoto_statement;
            if text.header == s.header && text.slsa_provenance == s.predicate {
                Ok(())
            } else {
                Err(GcbPolicyError::TextMismatch {
                    field: "intotoStatement",
                })
            }
        }
        GcbStatement::V1(s) => {
            if entry.build.in_toto_slsa_provenance_v1 == **s {
                Ok(())
            } else {
                Err(GcbPolicyError::TextMismatch {
                    field: "inTotoSlsaProvenanceV1",
                })
            }
        }
    }
}

/// The branch check: GCB provenance does not record the branch, so slsa-verifier refuses it.
pub fn verify_branch(_statement: &GcbStatement, _branch: &str) -> Result<(), GcbPolicyError> {
    Err(GcbPolicyError::BranchNotSupported)
}

fn substitution<'a>(map: Option<&'a Value>, name: &'static str) -> Result<&'a str, TagError> {
    let Some(Value::Object(map)) = map else {
        return Err(TagError::NoSubstitutions);
    };
    match map.get(name) {
        None => Err(TagError::Missing { name }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(TagError::NotAString { name }),
    }
}

/// The tag the build ran for: v0.1 `recipe.arguments.substitutions.TAG_NAME`; v1.0
/// `internalParameters.systemSubstitutions.TAG_NAME`, which must agree with
/// `externalParameters.buildConfigSource.ref` (`refs/tags/<TAG_NAME>`).
pub fn source_tag(statement: &GcbStatement) -> Result<String, TagError> {
    match statement {
        GcbStatement::V01(s) => {
            let Value::Object(arguments) = &s.predicate.recipe.arguments.0 else {
                return Err(TagError::NotAnObject {
                    field: "recipe.arguments",
                });
            };
            substitution(arguments.get("substitutions"), "TAG_NAME").map(str::to_owned)
        }
        GcbStatement::V1(s) => {
            let Value::Object(internal) = &s.predicate.build_definition.internal_parameters.0 else {
                return Err(TagError::NotAnObject {
                    field: "buildDefinition.internalParameters",
                });
            };
            let tag = substitution(internal.get("systemSubstitutions"), "TAG_NAME")?;
            let reference = config_source_field(s, "ref", "buildConfigSource.ref")
                .map_err(|e| TagError::ConfigSource(Box::new(e)))?;
            if reference != format!("refs/tags/{tag}") {
                return Err(TagError::Disagree {
                    tag: tag.to_owned(),
                    reference: reference.to_owned(),
                });
            }
            Ok(tag.to_owned())
        }
    }
}

/// Checks that the build ran for exactly `tag`.
pub fn verify_tag(statement: &GcbStatement, tag: &str) -> Result<(), GcbPolicyError> {
    let actual = source_tag(statement).map_err(|reason| GcbPolicyError::NoTag { check: "tag", reason })?;
    if actual == tag {
        Ok(())
    } else {
        Err(GcbPolicyError::TagMismatch {
            expected: tag.chars().take(200).collect(),
            actual: actual.chars().take(200).collect(),
        })
    }
}

/// Checks the tag against a semantic-version prefix (`v1`, `v1.2`, `v1.2.3`) as slsa-verifier does.
pub fn verify_versioned_tag(statement: &GcbStatement, expected: &str) -> Result<(), GcbPolicyError> {
    let actual = source_tag(statement).map_err(|reason| GcbPolicyError::NoTag {
        check: "versioned tag",
        reason,
    })?;
    policy::check_versioned_tag_name(&actual, expected).map_err(GcbPolicyError::VersionedTag)
}
