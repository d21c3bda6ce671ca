//! The packaging provenance of an image: a SLSA v1 statement whose subject is the image manifest and
//! whose resolved dependencies are the files packaged, each with its digest. It is what links an image
//! to the build provenance of the files inside it (`docs/lineage.md`).

use std::collections::BTreeMap;

use provenant_digest::Digest;
use provenant_slsa::v1::{BuildDefinition, BuildMetadata, Builder, PREDICATE_TYPE, ProvenanceV1, RunDetails};
use provenant_slsa::{DigestSet, FieldError, ResourceDescriptor, Timestamp};
use serde_json::{Map, Value, json};

use crate::{BuiltImage, ImageOptions};

/// What the packaging provenance records besides the image itself.
#[derive(Debug, Clone)]
pub struct Packaging<'a> {
    /// The subject's name: where the image was written (`registry/repo`, `oci:dir`).
    pub name: &'a str,
    /// The builder id (a URI).
    pub builder_id: &'a str,
    /// When packaging finished (`SOURCE_DATE_EPOCH` when set, for a reproducible statement).
    pub finished_on: Timestamp,
}

fn digest_set(d: &Digest) -> DigestSet {
    DigestSet::from([(d.algorithm().name().to_owned(), d.hex())])
}

/// The statement, as JSON: subject the manifest, build type [`provenant_slsa::IMAGE_BUILD_TYPE`], the
/// image options as external parameters, the layer as an internal parameter, every packaged regular
/// file as a resolved dependency (`name` its path in the image, `digest` its SHA-256).
pub fn statement(
    built: &BuiltImage,
    options: &ImageOptions,
    packaging: &Packaging<'_>,
) -> Result<Value, FieldError> {
    let mut external = Map::new();
    external.insert("platform".into(), json!(options.platform.to_string()));
    if let Some(e) = &options.entrypoint {
        external.insert("entrypoint".into(), json!(e));
    }
    if let Some(c) = &options.cmd {
        external.insert("cmd".into(), json!(c));
    }
    external.insert("env".into(), json!(options.env));
    let mut internal = Map::new();
    internal.insert("config".into(), json!(built.config.to_string()));
    internal.insert("layer".into(), json!(built.layer.to_string()));
    internal.insert("diffId".into(), json!(built.diff_id.to_string()));
    let dependencies = built
        .files
        .iter()
        .map(|f| ResourceDescriptor {
            name: Some(f.path.clone()),
            digest: digest_set(&f.digest),
            ..ResourceDescriptor::default()
        })
        .collect();
    let definition = BuildDefinition {
        build_type: provenant_slsa::IMAGE_BUILD_TYPE.to_owned(),
        external_parameters: external,
        internal_parameters: Some(internal),
        resolved_dependencies: dependencies,
    };
    packaging_statement(definition, &built.digest, packaging)
}

/// The packaging statement: `definition` run by the packager, subject the manifest `subject`.
fn packaging_statement(
    definition: BuildDefinition,
    subject: &Digest,
    packaging: &Packaging<'_>,
) -> Result<Value, FieldError> {
    let predicate = ProvenanceV1 {
        build_definition: definition,
        run_details: RunDetails {
            builder: Builder {
                id: packaging.builder_id.to_owned(),
                version: BTreeMap::from([("provenant".to_owned(), env!("CARGO_PKG_VERSION").to_owned())]),
                builder_dependencies: Vec::new(),
            },
            metadata: Some(BuildMetadata {
                invocation_id: None,
                started_on: None,
                finished_on: Some(packaging.finished_on),
            }),
            byproducts: Vec::new(),
        },
    };
    predicate.validate()?;
    Ok(json!({
        "_type": provenant_attest::STATEMENT_V1,
        "subject": [{ "name": packaging.name, "digest": digest_set(subject) }],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate.to_json(),
    }))
}

/// The build type of an OCI artifact's packaging provenance (`provenant oci push`): files pushed as the
/// layers of an artifact manifest, no image built.
pub const ARTIFACT_BUILD_TYPE: &str = provenant_slsa::ARTIFACT_BUILD_TYPE;

/// A file an OCI artifact packages: its title (the layer's `org.opencontainers.image.title`), its media
/// type and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedFile {
    /// The file's name in the artifact.
    pub name: String,
    /// The layer's media type.
    pub media_type: String,
    /// The file's digest (the layer's).
    pub digest: Digest,
}

/// The packaging provenance of an OCI artifact, as JSON: subject the artifact manifest (`manifest`),
/// build type [`ARTIFACT_BUILD_TYPE`], the artifact type as an external parameter, and every packaged file
/// as a resolved dependency (`name` its title, `digest` its SHA-256, `mediaType` its layer's), so
/// that the artifact links to the build provenance of the files it carries as an image does.
pub fn artifact_statement(
    manifest: &Digest,
    artifact_type: &str,
    files: &[PackagedFile],
    packaging: &Packaging<'_>,
) -> Result<Value, FieldError> {
    let mut external = Map::new();
    external.insert("artifactType".into(), json!(artifact_type));
    let dependencies = files
        .iter()
        .map(|f| ResourceDescriptor {
            name: Some(f.name.clone()),
            digest: digest_set(&f.digest),
            media_type: Some(f.media_type.clone()),
            ..ResourceDescriptor::default()
        })
        .collect();
    let definition = BuildDefinition {
        build_type: ARTIFACT_BUILD_TYPE.to_owned(),
        external_parameters: external,
        internal_parameters: None,
        resolved_dependencies: dependencies,
    };
    packaging_statement(definition, manifest, packaging)
}
