//! The image configuration (`application/vnd.oci.image.config.v1+json`), the subset Provenant writes.

use std::collections::BTreeMap;

use provenant_digest::Digest;
use serde::{Deserialize, Serialize};

/// Execution parameters of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// Environment, `NAME=value`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub env: Option<Vec<String>>,
    /// Entrypoint.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The root filesystem: the uncompressed digests of the layers, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Digest of each layer's uncompressed tar.
    pub diff_ids: Vec<Digest>,
}

/// One history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<String>,
    /// What made the layer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
}

/// An image configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Creation time (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<String>,
    /// CPU architecture.
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// CPU variant.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub variant: Option<String>,
    /// Execution parameters.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub config: Option<RunConfig>,
    /// The layers' diff ids.
    pub rootfs: RootFs,
    /// History, one entry per layer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub history: Option<Vec<History>>,
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`1970-01-01T00:00:00Z`), without a clock.
#[must_use]
pub fn rfc3339(epoch_seconds: u64) -> String {
    let days = epoch_seconds / 86_400;
    let secs = epoch_seconds % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm), on unsigned values since the epoch.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
