use provenant_oci::config::rfc3339;
use provenant_oci::manifest::MAX_MANIFEST_BYTES;
use provenant_oci::{Manifest, ManifestError, Platform, media};

#[test]
fn parses_oci_manifest_with_subject_and_artifact_type() {
    let doc = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
      "artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json",
      "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},
      "layers":[],
      "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","size":7},
      "annotations":{"b":"2","a":"1"}}"#;
    let m = Manifest::parse(doc, None).unwrap();
    assert_eq!(m.media_type(), media::OCI_MANIFEST);
    assert_eq!(m.artifact_type(), Some(media::SIGSTORE_BUNDLE_V03));
    assert_eq!(m.subject().unwrap().size, 7);
    assert_eq!(m.blobs().len(), 1);
}

#[test]
fn docker_list_is_an_index_by_content_type() {
    let doc = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","size":7,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#;
    let m = Manifest::parse(
        doc,
        Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    )
    .unwrap();
    assert!(matches!(m, Manifest::Index(_)));
    assert_eq!(
        m.children()[0].platform.as_ref().unwrap().to_string(),
        "linux/arm64/v8"
    );
}

#[test]
fn refuses_bad_manifests() {
    assert!(matches!(
        Manifest::parse(br#"{"schemaVersion":1,"name":"x"}"#, None),
        Err(ManifestError::SchemaVersion { version: 1 })
    ));
    assert!(matches!(
        Manifest::parse(br#"{"schemaVersion":2,"mediaType":"text/plain"}"#, None),
        Err(ManifestError::UnsupportedMediaType { .. })
    ));
    assert!(matches!(
        Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
            Some(media::OCI_MANIFEST)
        ),
        Err(ManifestError::MediaTypeConflict { .. })
    ));
    let big = vec![b' '; MAX_MANIFEST_BYTES + 1];
    assert!(matches!(
        Manifest::parse(&big, None),
        Err(ManifestError::TooLarge { .. })
    ));
    // Deep nesting is bounded by the JSON parser's recursion limit, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Manifest::parse(deep.as_bytes(), None).is_err());
}

#[test]
fn platform_parsing() {
    let p = Platform::parse("linux/arm64/v8").unwrap();
    assert_eq!(
        (p.os.as_str(), p.architecture.as_str(), p.variant.as_deref()),
        ("linux", "arm64", Some("v8"))
    );
    assert!(Platform::parse("linux").is_none());
    assert!(Platform::parse("linux/").is_none());
    assert!(Platform::parse("a/b/c/d").is_none());
}

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
}
