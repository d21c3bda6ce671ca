//! The referrers tag index at a destination without the referrers API: written once per subject and
//! promotion, and no entry lost to attachers writing it at the same time.

use std::sync::{Arc, Barrier};

use provenant_digest::{Algorithm, Digest};
use provenant_image::{ImageOptions, build};
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, ManifestRef, media, referrers_tag};
use provenant_promote::{NoVerification, PromoteOptions, promote};
use provenant_registry::Store;
use provenant_registry::auth::CredentialSource;
use provenant_registry::layout::Layout;
use provenant_registry::referrers::{self, Scheme};
use provenant_registry::remote::{Client, ClientOptions, Remote};
use provenant_testkit::registry::{DockerRegistry, Faults, MemoryRegistry};

fn client() -> Arc<Client> {
    Arc::new(Client::new(ClientOptions {
        credentials: CredentialSource::anonymous(),
        ..ClientOptions::default()
    }))
}

fn image(layout: &Layout, dir: &std::path::Path, seed: u8) -> Digest {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("file"), format!("image {seed}\n")).unwrap();
    build(dir, &ImageOptions::default(), layout).unwrap().digest
}

/// A referrer manifest of `subject` carrying `text` as its one layer (blobs stored first), returned as
/// its bytes; `attach` decides whether it is attached (tag index) or only stored.
fn referrer(store: &dyn Store, subject: &Digest, text: &str) -> Vec<u8> {
    let digest = Algorithm::Sha256.hash_bytes(text.as_bytes());
    store
        .put_blob(&digest, text.len() as u64, &mut text.as_bytes())
        .unwrap();
    store
        .put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let subject = store.get_manifest(&ManifestRef::Digest(*subject)).unwrap();
    to_bytes(&ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some("application/vnd.example.note".to_owned()),
        config: Descriptor::empty(),
        layers: vec![Descriptor::new("text/plain", digest, text.len() as u64)],
        subject: Some(subject.descriptor()),
        annotations: None,
    })
}

fn attach(store: &dyn Store, subject: &Digest, text: &str) -> Digest {
    let bytes = referrer(store, subject, text);
    referrers::attach(store, subject, &bytes, media::OCI_MANIFEST)
        .unwrap()
        .digest
}

/// Promotes `subject` with the default options and no verification.
fn promote_plain(src: &dyn Store, subject: &Digest, dst: &dyn Store) -> provenant_promote::Report {
    promote(src, subject, dst, &PromoteOptions::default(), &NoVerification).unwrap()
}

/// A layout holding an image (from `seed`) with `n` referrers attached (`evidence 0`…).
fn image_with_evidence(dir: &std::path::Path, seed: u8, n: usize) -> (Layout, Digest) {
    let layout = Layout::create(&dir.join("layout")).unwrap();
    let subject = image(&layout, &dir.join("root"), seed);
    for i in 0..n {
        attach(&layout, &subject, &format!("evidence {i}"));
    }
    (layout, subject)
}

/// A registry without the referrers API (referrers go to tag indexes) and its `app` repository.
fn without_referrers_api() -> (MemoryRegistry, Remote) {
    let registry = MemoryRegistry::start();
    registry.set_faults(Faults {
        no_referrers_api: true,
        ..Faults::default()
    });
    let dst = Remote::new(client(), format!("{}/app", registry.host()).parse().unwrap());
    (registry, dst)
}

fn tag_index_puts(registry: &MemoryRegistry, subject: &Digest) -> usize {
    let put = format!("PUT /v2/app/manifests/{}", referrers_tag(subject));
    registry.requests().iter().filter(|r| **r == put).count()
}

#[test]
fn promotion_updates_each_tag_index_once() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let subject = image(&layout, &t.path().join("root"), 1);
    let notes: Vec<Digest> = (0..6)
        .map(|i| attach(&layout, &subject, &format!("note {i}")))
        .collect();
    // A referrer of a referrer: its own subject, its own index.
    let countersigned = attach(&layout, &notes[0], "countersignature");

    let (registry, dst) = without_referrers_api();
    let report = promote_plain(&layout, &subject, &dst);
    assert_eq!(report.referrers.len(), 7, "{report:?}");
    assert_eq!(
        tag_index_puts(&registry, &subject),
        1,
        "{:#?}",
        registry.requests()
    );
    assert_eq!(
        tag_index_puts(&registry, &notes[0]),
        1,
        "{:#?}",
        registry.requests()
    );

    let found = referrers::discover(&dst, &subject, None).unwrap();
    let mut expected = notes.clone();
    expected.sort();
    assert_eq!(
        found.iter().map(|r| r.descriptor.digest).collect::<Vec<_>>(),
        expected
    );
    assert!(found.iter().all(|r| r.schemes == vec![Scheme::TagIndex]));
    assert!(
        found
            .iter()
            .all(|r| r.descriptor.artifact_type.as_deref() == Some("application/vnd.example.note"))
    );
    let below = referrers::discover(&dst, &notes[0], None).unwrap();
    assert_eq!(
        below.iter().map(|r| r.descriptor.digest).collect::<Vec<_>>(),
        vec![countersigned]
    );

    // Promoting again finds every entry listed and writes no index.
    promote_plain(&layout, &subject, &dst);
    assert_eq!(tag_index_puts(&registry, &subject), 1);
    assert_eq!(tag_index_puts(&registry, &notes[0]), 1);
}

#[test]
fn promotion_and_concurrent_attachers_lose_no_tag_index_entry() {
    const ATTACHERS: usize = 4;
    const EACH: usize = 3;
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let subject = image(&layout, &t.path().join("root"), 2);
    let mut promoted: Vec<Digest> = (0..6)
        .map(|i| attach(&layout, &subject, &format!("promoted {i}")))
        .collect();

    let registry = DockerRegistry::start();
    let dst = Remote::new(client(), format!("{}/app", registry.host()).parse().unwrap());
    // The subject is already at the destination, so attachers can start at once; their referrers'
    // manifests are stored beforehand, so that their attaches are mostly index updates.
    let options = PromoteOptions {
        referrers: false,
        ..PromoteOptions::default()
    };
    promote(&layout, &subject, &dst, &options, &NoVerification).unwrap();
    let prepared: Vec<Vec<Vec<u8>>> = (0..ATTACHERS)
        .map(|a| {
            (0..EACH)
                .map(|i| referrer(&dst, &subject, &format!("attached {a}.{i}")))
                .collect()
        })
        .collect();

    let start = Barrier::new(ATTACHERS + 1);
    let mut attached: Vec<Digest> = std::thread::scope(|scope| {
        let workers: Vec<_> = prepared
            .iter()
            .map(|manifests| {
                let (dst, start) = (&dst, &start);
                scope.spawn(move || {
                    start.wait();
                    manifests
                        .iter()
                        .map(|bytes| {
                            referrers::attach(dst, &subject, bytes, media::OCI_MANIFEST)
                                .unwrap()
                                .digest
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        start.wait();
        let report = promote_plain(&layout, &subject, &dst);
        assert_eq!(report.referrers.len(), 6, "{report:?}");
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(attached.len(), ATTACHERS * EACH);
    let found = referrers::discover(&dst, &subject, None).unwrap();
    let mut expected = Vec::new();
    expected.append(&mut promoted);
    expected.append(&mut attached);
    expected.sort();
    assert_eq!(
        found.iter().map(|r| r.descriptor.digest).collect::<Vec<_>>(),
        expected,
        "entries were lost from the referrers tag index"
    );
}

/// Promotion speed: a promotion whose verifier reads no referrers does not discover them for it, at the
/// source or the destination (the destination's listing is asked once, for the tag index it writes).
#[test]
fn promotion_without_verification_discovers_no_referrers_for_the_verifier() {
    let t = tempfile::tempdir().unwrap();
    let (layout, subject) = image_with_evidence(t.path(), 3, 6);
    let (registry, dst) = without_referrers_api();
    let report = promote_plain(&layout, &subject, &dst);
    assert_eq!(report.referrers.len(), 6, "{report:?}");
    let requests = registry.requests();
    let asked = |prefix: &str| requests.iter().filter(|r| r.starts_with(prefix)).count();
    assert_eq!(
        asked(&format!("GET /v2/app/referrers/{subject}")),
        1,
        "{requests:#?}"
    );
    assert_eq!(asked("GET /v2/app/tags/list"), 0, "{requests:#?}");
    assert_eq!(
        asked(&format!("GET /v2/app/manifests/{}", referrers_tag(&subject))),
        2,
        "one read to merge and one confirmation: {requests:#?}"
    );
}

/// Promotion speed: a source without the referrers API is asked it once (its 404 says it has none, for
/// every subject), and a referrer's own tag index is read only when the tag list names one.
#[test]
fn source_without_referrers_api_is_asked_once_and_unlisted_tag_indexes_are_not_read() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let subject = image(&layout, &t.path().join("root"), 4);
    let (registry, staging) = without_referrers_api();
    promote_plain(&layout, &subject, &staging);
    let mut notes: Vec<Digest> = (0..6)
        .map(|i| attach(&staging, &subject, &format!("note {i}")))
        .collect();
    notes.sort();
    let before = registry.requests().len();
    // A new client, as a new process would have: it knows nothing of the registry yet.
    let src = Remote::new(client(), format!("{}/app", registry.host()).parse().unwrap());
    let dst = Layout::create(&t.path().join("dst")).unwrap();
    let report = promote_plain(&src, &subject, &dst);
    let mut carried = report.referrers.clone();
    carried.sort();
    assert_eq!(carried, notes, "{report:?}");
    let requests = registry.requests()[before..].to_vec();
    let asked = |prefix: &str| requests.iter().filter(|r| r.starts_with(prefix)).count();
    assert_eq!(asked("GET /v2/app/referrers/"), 1, "{requests:#?}");
    assert_eq!(
        asked(&format!("GET /v2/app/manifests/{}", referrers_tag(&subject))),
        1,
        "{requests:#?}"
    );
    for note in &notes {
        assert_eq!(
            asked(&format!("GET /v2/app/manifests/{}", referrers_tag(note))),
            0,
            "no tag index listed for {note}: {requests:#?}"
        );
    }
    let found = referrers::discover(&dst, &subject, None).unwrap();
    assert_eq!(
        found.iter().map(|r| r.descriptor.digest).collect::<Vec<_>>(),
        notes
    );
}

/// Promotion speed: a destination that lacked a manifest's blobs cannot hold the manifest, so it is not
/// asked for it; once everything is there, a second promotion asks for each manifest and writes none.
#[test]
fn a_destination_is_asked_only_for_manifests_whose_blobs_it_had() {
    let t = tempfile::tempdir().unwrap();
    let (layout, subject) = image_with_evidence(t.path(), 5, 6);
    let (registry, dst) = without_referrers_api();
    let first = promote_plain(&layout, &subject, &dst);
    assert_eq!(
        (first.manifests_copied, first.manifests_skipped),
        (7, 0),
        "{first:?}"
    );
    let heads = |requests: &[String]| {
        requests
            .iter()
            .filter(|r| r.starts_with("HEAD /v2/app/manifests/"))
            .count()
    };
    assert_eq!(heads(&registry.requests()), 0, "{:#?}", registry.requests());

    let before = registry.requests().len();
    let second = promote_plain(&layout, &subject, &dst);
    assert_eq!(
        (second.manifests_copied, second.manifests_skipped),
        (0, 7),
        "{second:?}"
    );
    assert_eq!(second.blobs_copied, 0, "{second:?}");
    let requests = registry.requests()[before..].to_vec();
    assert_eq!(heads(&requests), 7, "{requests:#?}");
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("PUT /v2/app/manifests/sha256:")),
        "{requests:#?}"
    );
}
