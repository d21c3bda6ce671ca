//! OCI artifacts (`oci push`): the lineage runs through the artifact's layers by title and digest,
//! under packaging provenance of the artifact build type only.

use provenant_digest::{Algorithm, Digest};
use provenant_image::provenance::{PackagedFile, Packaging, artifact_statement};
use provenant_lineage::reason::{Check, Holder, Reason};
use provenant_lineage::{EdgeKind, Verdict};
use provenant_oci::manifest::{ANNOTATION_TITLE, to_bytes};
use provenant_oci::{Descriptor, ImageManifest, media};
use provenant_registry::Store;
use provenant_slsa::Timestamp;
use serde_json::Value;

use crate::fixture::{BUILDER, Chain, edges_of, holds, only_broken, unattached};

const ARTIFACT_TYPE: &str = "application/vnd.example.bundle.v1";
const APP: &[u8] = b"\x7fELF the app";
const CONF: &[u8] = b"level = 3\n";

fn put(store: &dyn Store, bytes: &[u8]) -> Digest {
    let d = Algorithm::Sha256.hash_bytes(bytes);
    if store.blob_size(&d).unwrap().is_none() {
        store.put_blob(&d, bytes.len() as u64, &mut &bytes[..]).unwrap();
    }
    d
}

/// Pushes an artifact of `layers` (title, bytes) into the chain's layout and makes it the chain's
/// subject; returns the packaged files as `oci push` records them.
fn artifact(c: &mut Chain, layers: &[(Option<&str>, &[u8])]) -> Vec<PackagedFile> {
    put(&c.layout, media::EMPTY_JSON);
    let mut descriptors = Vec::new();
    let mut files = Vec::new();
    for (title, bytes) in layers {
        let digest = put(&c.layout, bytes);
        let mut d = Descriptor::new(media::OCTET_STREAM, digest, bytes.len() as u64);
        if let Some(title) = title {
            d.annotations = Some(
                [(ANNOTATION_TITLE.to_owned(), (*title).to_owned())]
                    .into_iter()
                    .collect(),
            );
            files.push(PackagedFile {
                name: (*title).to_owned(),
                media_type: media::OCTET_STREAM.to_owned(),
                digest,
            });
        }
        descriptors.push(d);
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(ARTIFACT_TYPE.to_owned()),
        config: Descriptor::empty(),
        layers: descriptors,
        subject: None,
        annotations: None,
    };
    c.image = c
        .layout
        .put_manifest(&to_bytes(&manifest), media::OCI_MANIFEST, None)
        .unwrap()
        .digest;
    files
}

fn packaging(c: &Chain, files: &[PackagedFile]) -> Value {
    artifact_statement(
        &c.image,
        ARTIFACT_TYPE,
        files,
        &Packaging {
            name: "oci:test",
            builder_id: "https://github.com/provenant-dev/provenant/builders/local",
            finished_on: Timestamp::from_unix(1_700_000_000).unwrap(),
        },
    )
    .unwrap()
}

fn attach_statement(c: &Chain, statement: &Value) {
    c.attach_packaging(&c.keys.key, &serde_json::to_vec(statement).unwrap());
}

fn attach_builds(c: &Chain) {
    c.attach_build(
        &c.keys.key,
        &[
            ("out/app", Algorithm::Sha256.hash_bytes(APP)),
            ("out/app.conf", Algorithm::Sha256.hash_bytes(CONF)),
        ],
        &c.commit.clone(),
        BUILDER,
    );
}

#[test]
fn an_artifact_verifies_through_its_layers_by_title_and_digest() {
    let mut c = unattached();
    let files = artifact(&mut c, &[(Some("app"), APP), (Some("app.conf"), CONF)]);
    attach_statement(&c, &packaging(&c, &files));
    attach_builds(&c);
    let report = c.verify(&c.expectations());
    assert!(report.verified, "{report:#?}");
    let layers = edges_of(&report.lineage, EdgeKind::Layers);
    assert_eq!(layers.len(), 1);
    assert!(layers[0].detail.contains("2 artifact layer(s)"), "{layers:#?}");
    let files = edges_of(&report.lineage, EdgeKind::File);
    assert_eq!(files.len(), 2, "{files:#?}");
    assert!(files.iter().all(|f| holds(f)), "{files:#?}");
    assert_eq!(edges_of(&report.lineage, EdgeKind::Source).len(), 2);
}

#[test]
fn packaging_provenance_of_the_image_build_type_over_an_artifact_is_refused() {
    let mut c = unattached();
    let files = artifact(&mut c, &[(Some("app"), APP), (Some("app.conf"), CONF)]);
    let mut statement = packaging(&c, &files);
    statement["predicate"]["buildDefinition"]["buildType"] = provenant_slsa::IMAGE_BUILD_TYPE.into();
    attach_statement(&c, &statement);
    attach_builds(&c);
    let report = c.verify(&c.expectations());
    let (kind, detail) = only_broken(&report);
    assert_eq!(kind, EdgeKind::PackagingProvenance);
    assert!(
        detail.contains(&format!(
            "build type {} is not {}",
            provenant_slsa::IMAGE_BUILD_TYPE,
            provenant_slsa::ARTIFACT_BUILD_TYPE
        )),
        "{detail}"
    );
}

#[test]
fn packaging_provenance_of_the_artifact_build_type_over_an_image_is_refused() {
    let c = unattached();
    let mut statement: Value = serde_json::from_slice(&c.packaging).unwrap();
    statement["predicate"]["buildDefinition"]["buildType"] = provenant_slsa::ARTIFACT_BUILD_TYPE.into();
    attach_statement(&c, &statement);
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        &c.commit.clone(),
        BUILDER,
    );
    let report = c.verify(&c.expectations());
    let (kind, detail) = only_broken(&report);
    assert_eq!(kind, EdgeKind::PackagingProvenance);
    assert!(
        detail.contains(&format!(
            "build type {} is not {}",
            provenant_slsa::ARTIFACT_BUILD_TYPE,
            provenant_slsa::IMAGE_BUILD_TYPE
        )),
        "{detail}"
    );
}

#[test]
fn an_untitled_layer_is_unrecorded() {
    let mut c = unattached();
    let files = artifact(
        &mut c,
        &[(Some("app"), APP), (Some("app.conf"), CONF), (None, b"hidden")],
    );
    attach_statement(&c, &packaging(&c, &files));
    attach_builds(&c);
    let report = c.verify(&c.expectations());
    let broken = report.lineage.broken_edges();
    assert_eq!(broken.len(), 1, "{broken:#?}");
    assert_eq!(broken[0].check, Some(Check::File));
    let hidden = Algorithm::Sha256.hash_bytes(b"hidden");
    assert!(
        matches!(
            &broken[0].reason,
            Some(Reason::UnrecordedFiles { holder: Holder::Artifact, listed, more: 0 })
                if *listed == [format!("untitled layer 2 ({hidden})")]
        ),
        "{broken:#?}"
    );
}

#[test]
fn a_second_layer_of_a_recorded_title_with_other_bytes_is_a_digest_mismatch() {
    let mut c = unattached();
    let files = artifact(
        &mut c,
        &[
            (Some("app"), APP),
            (Some("app.conf"), CONF),
            (Some("app"), b"other"),
        ],
    );
    // The statement records the first `app` only, as a packager hiding the second would.
    let recorded: Vec<PackagedFile> = files.into_iter().take(2).collect();
    attach_statement(&c, &packaging(&c, &recorded));
    attach_builds(&c);
    let report = c.verify(&c.expectations());
    let (kind, _) = only_broken(&report);
    assert_eq!(kind, EdgeKind::File);
    let broken = report.lineage.broken_edges();
    let other = Algorithm::Sha256.hash_bytes(b"other");
    assert!(
        matches!(
            &broken[0].reason,
            Some(Reason::FileDigestMismatch { holder: Holder::Artifact, path, actual, .. })
                if path == "app" && *actual == other
        ),
        "{broken:#?}"
    );
    assert_eq!(broken[0].verdict, Verdict::Broken);
}

#[test]
fn an_artifact_on_the_governed_path_holds_from_source_to_prod() {
    let mut c = unattached();
    let files = artifact(&mut c, &[(Some("app"), APP), (Some("app.conf"), CONF)]);
    attach_statement(&c, &packaging(&c, &files));
    attach_builds(&c);
    let mut report = c.verify(&c.expectations());
    let w = crate::governed::World::governed_for(c.image);
    for edge in w.verify("prod") {
        report.lineage.push(edge);
    }
    assert!(report.lineage.broken_edges().is_empty(), "{report:#?}");
    assert_eq!(edges_of(&report.lineage, EdgeKind::Environment).len(), 3);
    assert!(!edges_of(&report.lineage, EdgeKind::Deployment).is_empty());
    assert_eq!(edges_of(&report.lineage, EdgeKind::Source).len(), 2);
}
