//! The validator used by every crate's "manifests we write validate" checks agrees with the
//! image-spec's own cases, and our serialisations of the model satisfy the schemas.

use provenant_oci::config::{ImageConfig, RootFs};
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageIndex, ImageManifest, Platform, media};
use provenant_testkit::registry::{OciSchema, assert_valid_oci, validate_oci};

#[test]
fn validator_agrees_with_upstream_cases() {
    let path = provenant_testkit::vectors_dir().join("oci-image-spec/schema_test_vectors.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let schema = match case["schema"].as_str().unwrap_or("") {
            "image-manifest-schema.json" => OciSchema::Manifest,
            "image-index-schema.json" => OciSchema::Index,
            _ => continue,
        };
        let expect_valid = case["expect"].as_str().unwrap_or("") == "VALID";
        let Some(body) = case.get("document").or(case.get("json")) else {
            continue;
        };
        let body: serde_json::Value = match body {
            serde_json::Value::String(s) => match serde_json::from_str(s) {
                Ok(v) => v,
                Err(_) => continue,
            },
            v => v.clone(),
        };
        let result = validate_oci(schema, &body);
        assert_eq!(
            result.is_ok(),
            expect_valid,
            "case {}: {result:?}",
            case["comment"]
        );
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} manifest/index cases were found in the vectors"
    );
}

#[test]
fn our_documents_validate() {
    let d = provenant_digest::Algorithm::Sha256.hash_bytes(b"layer");
    let mut layer = Descriptor::new(media::OCI_LAYER_GZIP, d, 5);
    layer.annotations = Some([("org.opencontainers.image.title".to_owned(), "x".to_owned())].into());
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(media::SIGSTORE_BUNDLE_V03.to_owned()),
        config: Descriptor::empty(),
        layers: vec![layer],
        subject: Some(Descriptor::new(media::OCI_MANIFEST, d, 100)),
        annotations: None,
    };
    assert_valid_oci(OciSchema::Manifest, &to_bytes(&manifest));
    let mut child = Descriptor::new(media::OCI_MANIFEST, d, 100);
    child.platform = Platform::parse("linux/arm64/v8");
    let mut index = ImageIndex::new();
    index.manifests.push(child);
    assert_valid_oci(OciSchema::Index, &to_bytes(&index));
    let config = ImageConfig {
        created: Some("2023-11-14T22:13:20Z".to_owned()),
        architecture: "amd64".to_owned(),
        os: "linux".to_owned(),
        variant: None,
        config: None,
        rootfs: RootFs {
            kind: "layers".to_owned(),
            diff_ids: vec![d],
        },
        history: None,
    };
    assert_valid_oci(OciSchema::Config, &to_bytes(&config));
}
