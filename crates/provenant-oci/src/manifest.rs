//! Manifests, indexes and descriptors (OCI image-spec v1.1, and Docker v2 schema 2 which has the same shape).

use std::collections::BTreeMap;

use provenant_digest::Digest;
use serde::{Deserialize, Serialize};

use crate::media;

/// Largest manifest Provenant reads or writes (the distribution spec asks registries to accept 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Annotations: sorted, so that serialisation is deterministic.
pub type Annotations = BTreeMap<String, String>;

/// The annotation naming a tag in an OCI image layout's `index.json`.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation carrying a creation time.
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// The annotation carrying a file name (as oras writes it).
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";

/// Why bytes are not a manifest Provenant accepts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest is larger than [`MAX_MANIFEST_BYTES`].
    #[error("manifest is {size} bytes; at most {MAX_MANIFEST_BYTES} are accepted")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// The JSON does not have the shape of the manifest kind.
    #[error("manifest is not valid {kind} JSON: {source}")]
    Json {
        /// Which kind was expected.
        kind: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The media type is not one Provenant understands.
    #[error(
        "unsupported manifest media type {media_type:?} (expected OCI image manifest/index or Docker v2.2)"
    )]
    UnsupportedMediaType {
        /// The media type found.
        media_type: String,
    },
    /// `schemaVersion` is not 2.
    #[error("unsupported manifest schemaVersion {version} (only 2 is supported; Docker schema 1 is refused)")]
    SchemaVersion {
        /// The version found.
        version: u64,
    },
    /// The `mediaType` field contradicts the `Content-Type` the manifest was served with.
    #[error("manifest mediaType {field:?} contradicts its content type {content_type:?}")]
    MediaTypeConflict {
        /// The `mediaType` field.
        field: String,
        /// The content type it was served with.
        content_type: String,
    },
}

/// A platform an image runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`, ...).
    pub architecture: String,
    /// Operating system (`linux`, ...).
    pub os: String,
    /// OS version.
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none", default)]
    pub os_version: Option<String>,
    /// OS features.
    #[serde(rename = "os.features", skip_serializing_if = "Option::is_none", default)]
    pub os_features: Option<Vec<String>>,
    /// CPU variant (`v8`, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Platform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let arch = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
        if parts.next().is_some() {
            return None;
        }
        Some(Platform {
            architecture: arch.to_owned(),
            os: os.to_owned(),
            os_version: None,
            os_features: None,
            variant,
        })
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A content descriptor: what a manifest says about a blob or another manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content.
    pub media_type: String,
    /// Digest of the content.
    pub digest: Digest,
    /// Size of the content in bytes.
    pub size: u64,
    /// Alternative URLs (foreign layers); never fetched by Provenant.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub urls: Option<Vec<String>>,
    /// Annotations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotations: Option<Annotations>,
    /// Platform (in indexes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub platform: Option<Platform>,
    /// Artifact type (in referrers lists and artifact manifests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub artifact_type: Option<String>,
    /// Embedded content (base64).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data: Option<String>,
}

impl Descriptor {
    /// A plain descriptor.
    #[must_use]
    pub fn new(media_type: &str, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest,
            size,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
            data: None,
        }
    }

    /// The OCI empty descriptor (`{}` with media type `application/vnd.oci.empty.v1+json`).
    #[must_use]
    pub fn empty() -> Descriptor {
        Descriptor::new(
            media::OCI_EMPTY,
            provenant_digest::Algorithm::Sha256.hash_bytes(media::EMPTY_JSON),
            media::EMPTY_JSON.len() as u64,
        )
    }

    /// An annotation's value.
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    }
}

fn schema_version_2() -> u32 {
    2
}

/// An image manifest: OCI `application/vnd.oci.image.manifest.v1+json` or Docker v2 schema 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    #[serde(default = "schema_version_2")]
    pub schema_version: u32,
    /// The manifest's media type (required by Docker v2.2, recommended by OCI).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    /// Artifact type, for artifacts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub artifact_type: Option<String>,
    /// The configuration blob.
    pub config: Descriptor,
    /// The layers (or artifact files), in order.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (it is then a referrer of that subject).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotations: Option<Annotations>,
}

/// An index: OCI `application/vnd.oci.image.index.v1+json` or a Docker manifest list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    #[serde(default = "schema_version_2")]
    pub schema_version: u32,
    /// The index's media type.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    /// Artifact type, for artifact indexes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub artifact_type: Option<String>,
    /// The manifests it lists.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotations: Option<Annotations>,
}

impl ImageIndex {
    /// An empty OCI index (as used for referrers lists and the referrers tag index).
    #[must_use]
    pub fn new() -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media::OCI_INDEX.to_owned()),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: None,
        }
    }
}

impl Default for ImageIndex {
    fn default() -> Self {
        ImageIndex::new()
    }
}

/// Serialises a document in Provenant's canonical form (compact, fields in declaration order).
pub fn to_bytes<T: Serialize>(doc: &T) -> Vec<u8> {
    // Serialising these plain structs to a Vec cannot fail.
    serde_json::to_vec(doc).unwrap_or_default()
}

/// A parsed manifest of either kind.
// Both variants are a few hundred bytes and short-lived; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An image (or artifact) manifest.
    Image(ImageManifest),
    /// An index or manifest list.
    Index(ImageIndex),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<serde::de::IgnoredAny>,
}

impl Manifest {
    /// Parses manifest bytes, using the `mediaType` field, else the content type it was served with,
    /// else its shape (`manifests` → index, `config` → image manifest).
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge { size: bytes.len() });
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
            kind: "manifest",
            source,
        })?;
        if let Some(version) = probe.schema_version.filter(|v| *v != 2) {
            return Err(ManifestError::SchemaVersion { version });
        }
        let content_type = content_type
            .map(|c| c.split(';').next().unwrap_or(c).trim())
            .filter(|c| media::is_manifest(c));
        if let (Some(field), Some(ct)) = (&probe.media_type, content_type)
            && field != ct
        {
            {
                return Err(ManifestError::MediaTypeConflict {
                    field: field.clone(),
                    content_type: ct.to_owned(),
                });
            }
        }
        let media_type = probe.media_type.as_deref().or(content_type);
        let is_index = match media_type {
            Some(m) if media::is_index(m) => true,
            Some(m) if media::is_image_manifest(m) => false,
            Some(m) => {
                return Err(ManifestError::UnsupportedMediaType {
                    media_type: m.chars().take(200).collect(),
                });
            }
            None if probe.manifests.is_some() => true,
            None if probe.config.is_some() => false,
            None => {
                return Err(ManifestError::UnsupportedMediaType {
                    media_type: String::new(),
                });
            }
        };
        if is_index {
            serde_json::from_slice(bytes)
                .map(Manifest::Index)
                .map_err(|source| ManifestError::Json {
                    kind: "image index",
                    source,
                })
        } else {
            serde_json::from_slice(bytes)
                .map(Manifest::Image)
                .map_err(|source| ManifestError::Json {
                    kind: "image manifest",
                    source,
                })
        }
    }

    /// The media type to serve it with: its `mediaType`, else the OCI type of its kind.
    #[must_use]
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Image(m) => m.media_type.as_deref().unwrap_or(media::OCI_MANIFEST),
            Manifest::Index(i) => i.media_type.as_deref().unwrap_or(media::OCI_INDEX),
        }
    }

    /// The subject, if this manifest is a referrer.
    #[must_use]
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => m.subject.as_ref(),
            Manifest::Index(i) => i.subject.as_ref(),
        }
    }

    /// Its artifact type: `artifactType`, else (for image manifests) the config's media type.
    #[must_use]
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) => m.artifact_type.as_deref().or(Some(m.config.media_type.as_str())),
            Manifest::Index(i) => i.artifact_type.as_deref(),
        }
    }

    /// Its annotations.
    #[must_use]
    pub fn annotations(&self) -> Option<&Annotations> {
        match self {
            Manifest::Image(m) => m.annotations.as_ref(),
            Manifest::Index(i) => i.annotations.as_ref(),
        }
    }

    /// Blobs it references directly (config and layers; none for an index).
    #[must_use]
    pub fn blobs(&self) -> Vec<&Descriptor> {
        match self {
            Manifest::Image(m) => std::iter::once(&m.config).chain(&m.layers).collect(),
            Manifest::Index(_) => Vec::new(),
        }
    }

    /// Manifests it references (the platform manifests of an index; none for an image manifest).
    #[must_use]
    pub fn children(&self) -> &[Descriptor] {
        match self {
            Manifest::Image(_) => &[],
            Manifest::Index(i) => &i.manifests,
        }
    }
}
