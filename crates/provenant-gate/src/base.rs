//! The container gate's base layers from the image itself: the manifest of the base image that the
//! image's manifest names (`org.opencontainers.image.base.digest`) must begin the image's layers, and
//! its layers are then known both by digest and by the image configuration's diff ids. The caller
//! fetches the manifests and the configuration; this module only decides.

use provenant_oci::ImageManifest;
use provenant_oci::config::ImageConfig;

/// The annotation of an image manifest that names its base image's manifest by digest.
pub const BASE_DIGEST_ANNOTATION: &str = "org.opencontainers.image.base.digest";
/// The annotation that names the base image's repository.
pub const BASE_NAME_ANNOTATION: &str = "org.opencontainers.image.base.name";

/// The base image's layers of `image` (digests, then the matching diff ids of `config`): those of the
/// first of `candidates` (the named base manifest, or the platform manifests of the named index) whose
/// layers are the first of the image's. `None` when none is: the annotation does not describe the image.
#[must_use]
pub fn base_layers(
    image: &ImageManifest,
    config: &ImageConfig,
    candidates: &[ImageManifest],
) -> Option<Vec<String>> {
    let base = candidates.iter().find(|b| {
        b.layers.len() <= image.layers.len()
            && b.layers
                .iter()
                .zip(&image.layers)
                .all(|(b, i)| b.digest == i.digest)
    })?;
    let count = base.layers.len();
    let mut layers: Vec<String> = image
        .layers
        .iter()
        .take(count)
        .map(|l| l.digest.to_string())
        .collect();
    layers.extend(config.rootfs.diff_ids.iter().take(count).map(ToString::to_string));
    Some(layers)
}

#[cfg(test)]
mod tests {
    use super::base_layers;
    use provenant_oci::config::ImageConfig;
    use provenant_oci::{Descriptor, ImageManifest};

    fn digest(c: char) -> provenant_digest::Digest {
        format!("sha256:{}", c.to_string().repeat(64)).parse().unwrap()
    }

    fn manifest(layers: &[char]) -> ImageManifest {
        let layer = |c: char| Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", digest(c), 1);
        let json = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": Descriptor::new("application/vnd.oci.image.config.v1+json", digest('c'), 1),
            "layers": layers.iter().map(|&c| layer(c)).collect::<Vec<_>>(),
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_base_must_begin_the_image() {
        let image = manifest(&['a', 'b']);
        let config: ImageConfig = serde_json::from_value(serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [digest('1').to_string(), digest('2').to_string()]}
        }))
        .unwrap();
        let base = base_layers(&image, &config, &[manifest(&['d']), manifest(&['a'])]).unwrap();
        assert_eq!(base, [digest('a').to_string(), digest('1').to_string()]);
        assert_eq!(base_layers(&image, &config, &[manifest(&['b'])]), None);
        assert_eq!(base_layers(&image, &config, &[manifest(&['a', 'b', 'c'])]), None);
    }
}
