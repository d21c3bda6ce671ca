use std::io::Read as _;

use provenant_digest::Algorithm;
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, ManifestRef, media};
use provenant_registry::layout::Layout;
use provenant_registry::referrers::{self, Scheme};
use provenant_registry::{Store, StoreError};
use provenant_testkit::registry::{OciSchema, assert_valid_oci};

fn artifact(subject: Option<Descriptor>, n: usize) -> Vec<u8> {
    to_bytes(&ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(format!("application/vnd.test.{n}")),
        config: Descriptor::empty(),
        layers: vec![Descriptor::empty()],
        subject,
        annotations: None,
    })
}

#[test]
fn blobs_round_trip_and_tampering_is_detected() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let data = b"some content".repeat(1000);
    let digest = Algorithm::Sha256.hash_bytes(&data);
    layout
        .put_blob(&digest, data.len() as u64, &mut &data[..])
        .unwrap();
    let mut back = Vec::new();
    layout
        .open_blob(&digest, Some(data.len() as u64))
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    // Wrong digest or size on upload is refused and leaves nothing behind.
    let other = Algorithm::Sha256.hash_bytes(b"x");
    assert!(matches!(
        layout.put_blob(&other, 12000, &mut &data[..]),
        Err(StoreError::DigestMismatch { .. })
    ));
    assert!(matches!(
        layout.put_blob(&other, 5, &mut &data[..]),
        Err(StoreError::SizeMismatch { .. })
    ));
    assert_eq!(layout.blob_size(&other).unwrap(), None);
    // Tamper with the stored file: reading fails with a digest mismatch.
    let path = t.path().join("blobs/sha256").join(digest.hex());
    let mut tampered = data.clone();
    tampered[10] ^= 1;
    std::fs::write(&path, &tampered).unwrap();
    let err = layout
        .open_blob(&digest, None)
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    let err = StoreError::from_io("reading", err);
    assert!(matches!(err, StoreError::DigestMismatch { .. }), "{err}");
    assert!(err.is_integrity());
    // Too long for its descriptor.
    let err = layout
        .open_blob(&digest, Some(10))
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    assert!(matches!(
        StoreError::from_io("reading", err),
        StoreError::SizeMismatch { .. }
    ));
}

#[test]
fn manifests_and_tags() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let bytes = artifact(None, 0);
    let put = layout
        .put_manifest(&bytes, media::OCI_MANIFEST, Some(&"v1".parse().unwrap()))
        .unwrap();
    layout
        .put_manifest(&bytes, media::OCI_MANIFEST, Some(&"v2".parse().unwrap()))
        .unwrap();
    layout
        .put_manifest(&bytes, media::OCI_MANIFEST, Some(&"v1".parse().unwrap()))
        .unwrap();
    let by_tag = layout
        .get_manifest(&ManifestRef::Tag("v1".parse().unwrap()))
        .unwrap();
    assert_eq!(by_tag.digest, put.digest);
    assert_eq!(by_tag.bytes, bytes);
    assert_eq!(
        layout
            .tags()
            .unwrap()
            .iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>(),
        ["v1", "v2"]
    );
    assert!(
        layout
            .get_manifest(&ManifestRef::Tag("nope".parse().unwrap()))
            .unwrap_err()
            .is_not_found()
    );
    assert_valid_oci(
        OciSchema::Index,
        &std::fs::read(t.path().join("index.json")).unwrap(),
    );
    assert_valid_oci(OciSchema::Manifest, &bytes);
    // Reopening works; a directory that is not a layout is refused.
    Layout::open(t.path()).unwrap();
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Layout::open(empty.path()),
        Err(StoreError::Layout { .. })
    ));
}

#[test]
fn untagged_manifests_are_listed_once_and_give_way_to_a_tag() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let bytes = artifact(None, 7);
    let put = layout.put_manifest(&bytes, media::OCI_MANIFEST, None).unwrap();
    let mut descriptor = Descriptor::new(media::OCI_MANIFEST, put.digest, bytes.len() as u64);
    // A ref.name handed in is not a tag: it is dropped.
    descriptor.annotations =
        Some([("org.opencontainers.image.ref.name".to_owned(), "stray".to_owned())].into());
    layout.list_untagged(&descriptor).unwrap();
    layout.list_untagged(&descriptor).unwrap();
    let index = layout.index().unwrap();
    assert_eq!(index.manifests.len(), 1);
    assert_eq!(index.manifests[0].digest, put.digest);
    assert!(index.manifests[0].annotations.is_none());
    assert!(layout.tags().unwrap().is_empty());
    assert_valid_oci(
        OciSchema::Index,
        &std::fs::read(t.path().join("index.json")).unwrap(),
    );
    // A tag on the same manifest replaces the untagged entry; listing it again changes nothing.
    layout
        .put_manifest(&bytes, media::OCI_MANIFEST, Some(&"v1".parse().unwrap()))
        .unwrap();
    layout.list_untagged(&descriptor).unwrap();
    let index = layout.index().unwrap();
    assert_eq!(index.manifests.len(), 1);
    assert_eq!(
        index.manifests[0].annotation("org.opencontainers.image.ref.name"),
        Some("v1")
    );
}

#[test]
fn concurrent_attaches_lose_no_entry_in_the_tag_index() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    layout
        .put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let subject_bytes = artifact(None, 999);
    let subject = layout
        .put_manifest(&subject_bytes, media::OCI_MANIFEST, Some(&"s".parse().unwrap()))
        .unwrap();
    let subject_desc = Descriptor::new(media::OCI_MANIFEST, subject.digest, subject_bytes.len() as u64);
    let n = 12;
    std::thread::scope(|s| {
        for i in 0..n {
            let (layout, d) = (&layout, subject_desc.clone());
            s.spawn(move || {
                let bytes = artifact(Some(d), i);
                assert_valid_oci(OciSchema::Manifest, &bytes);
                let a = referrers::attach(layout, &subject.digest, &bytes, media::OCI_MANIFEST).unwrap();
                assert!(!a.via_api);
            });
        }
    });
    let found = referrers::discover(&layout, &subject.digest, None).unwrap();
    assert_eq!(found.len(), n);
    assert!(found.iter().all(|r| r.schemes == [Scheme::TagIndex]));
    let tag = provenant_oci::referrers_tag(&subject.digest);
    let index = layout.get_manifest(&ManifestRef::Tag(tag)).unwrap();
    assert_valid_oci(OciSchema::Index, &index.bytes);
    let only = referrers::filter_artifact_type(found, Some("application/vnd.test.3"));
    assert_eq!(only.len(), 1);
}
