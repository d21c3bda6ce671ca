//! OCI manifests and indexes: any bytes, with or without a served content type, give a manifest or a
//! `ManifestError`, never a panic; the accessors of what parses never panic. The same bytes as text
//! are also parsed as an image reference and a platform.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_oci::{Manifest, Platform, Reference};

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json; charset=utf-8"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
];

fuzz_target!(|data: &[u8]| {
    for ct in CONTENT_TYPES {
        if let Ok(m) = Manifest::parse(data, ct) {
            let _ = (m.media_type(), m.subject(), m.artifact_type(), m.annotations());
            let _ = (m.blobs(), m.children());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<Reference>().map(|r| r.to_string());
        let _ = Platform::parse(text).map(|p| p.to_string());
    }
});
