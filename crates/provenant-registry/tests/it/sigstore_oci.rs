//! An attestation attached by an independent client (@sigstore/oci, the tag-fallback scheme) is found
//! by discovery.

use std::process::Command;
use std::sync::Arc;

use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, Repository, media};
use provenant_registry::Store;
use provenant_registry::auth::{CredentialSource, Credentials};
use provenant_registry::referrers::{self, Scheme};
use provenant_registry::remote::{Client, ClientOptions, Remote};
use provenant_testkit::registry::DockerRegistry;

#[test]
fn attachment_by_sigstore_oci_is_discovered() {
    let reg = DockerRegistry::start_with_auth("prov", "pw");
    let client = Client::new(ClientOptions {
        credentials: CredentialSource::anonymous().with_host(&reg.host(), Credentials::new("prov", "pw")),
        ..ClientOptions::default()
    });
    let repo: Repository = format!("{}/signed", reg.host()).parse().unwrap();
    let s = Remote::new(Arc::new(client), repo);
    s.put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let image = to_bytes(&ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some("application/vnd.test".to_owned()),
        config: Descriptor::empty(),
        layers: vec![Descriptor::empty()],
        subject: None,
        annotations: None,
    });
    let subject = s
        .put_manifest(&image, media::OCI_MANIFEST, Some(&"v1".parse().unwrap()))
        .unwrap()
        .digest;

    let t = tempfile::tempdir().unwrap();
    let bundle = t.path().join("bundle.json");
    std::fs::write(&bundle, r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}"#).unwrap();
    let node_path = provenant_testkit::require_node_modules("sigstore");
    let script = provenant_testkit::repo_root().join("tests/harness/oci-attach.js");
    let out = Command::new(provenant_testkit::require_on_path("node"))
        .env("NODE_PATH", &node_path)
        .env("REG_USER", "prov")
        .env("REG_PASS", "pw")
        .arg(&script)
        .arg(format!("{}/signed", reg.host()))
        .arg(subject.to_string())
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "@sigstore/oci attach failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        reg.log()
    );

    let found = referrers::discover(&s, &subject, None).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].schemes.contains(&Scheme::TagIndex));
    assert_eq!(
        found[0].descriptor.artifact_type.as_deref(),
        Some(media::SIGSTORE_BUNDLE_V03)
    );
}
