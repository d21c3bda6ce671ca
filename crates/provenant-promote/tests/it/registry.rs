//! Acceptance against Debian's docker-registry on loopback: promotion between repositories and between
//! registries (one with htpasswd auth), byte-identical manifests as skopeo sees them, idempotence,
//! referrers carried, corruption detected with no tag written, verification hook failing closed.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use provenant_digest::{Algorithm, Digest};
use provenant_image::{ImageOptions, build};
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageIndex, ImageManifest, ManifestRef, Platform, Repository, Tag, media};
use provenant_promote::{
    NoVerification, PromoteError, PromoteOptions, Required, VerificationFailed, Verifier, promote,
};
use provenant_registry::auth::{CredentialSource, Credentials};
use provenant_registry::layout::Layout;
use provenant_registry::referrers::{self, Referrer};
use provenant_registry::remote::{Client, ClientOptions, Remote};
use provenant_registry::{Store, StoreError};
use provenant_testkit::registry::{DockerRegistry, OciSchema, assert_valid_oci, umoci_image};

fn client(creds: &[(&DockerRegistry, &str, &str)], chunk: Option<u64>) -> Arc<Client> {
    let mut source = CredentialSource::anonymous();
    for (reg, u, p) in creds {
        source = source.with_host(&reg.host(), Credentials::new(u, p));
    }
    let mut options = ClientOptions {
        credentials: source,
        ..ClientOptions::default()
    };
    if let Some(c) = chunk {
        options.chunk_size = c;
    }
    Arc::new(Client::new(options))
}

fn remote(client: &Arc<Client>, reg: &DockerRegistry, repo: &str) -> Remote {
    let repository: Repository = format!("{}/{repo}", reg.host()).parse().unwrap();
    Remote::new(Arc::clone(client), repository)
}

fn skopeo_raw(reference: &str, creds: Option<(&str, &str)>) -> Vec<u8> {
    let skopeo = provenant_testkit::require_on_path("skopeo");
    let mut cmd = Command::new(skopeo);
    cmd.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some((u, p)) = creds {
        cmd.arg(format!("--creds={u}:{p}"));
    }
    let out = cmd.arg(format!("docker://{reference}")).output().unwrap();
    assert!(
        out.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn rootfs(dir: &Path, seed: u8, layers_mb: usize) {
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("bin/app"), format!("#!/bin/sh\necho {seed}\n")).unwrap();
    let mut data = vec![0u8; layers_mb << 20];
    let mut x = u32::from(seed) + 1;
    for b in &mut data {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    std::fs::write(dir.join("data.bin"), data).unwrap();
}

/// A multi-platform index of two provenant-built images, in a layout; returns its digest.
fn multi_platform(layout: &Layout, dir: &Path) -> Digest {
    let mut index = ImageIndex::new();
    for (i, platform) in ["linux/amd64", "linux/arm64/v8"].into_iter().enumerate() {
        let root = dir.join(format!("root{i}"));
        rootfs(&root, i as u8 + 10, 1);
        let options = ImageOptions {
            platform: Platform::parse(platform).unwrap(),
            ..ImageOptions::default()
        };
        let built = build(&root, &options, layout).unwrap();
        let mut d = Descriptor::new(media::OCI_MANIFEST, built.digest, built.size);
        d.platform = Platform::parse(platform);
        index.manifests.push(d);
    }
    let bytes = to_bytes(&index);
    assert_valid_oci(OciSchema::Index, &bytes);
    layout
        .put_manifest(&bytes, media::OCI_INDEX, Some(&"multi".parse().unwrap()))
        .unwrap()
        .digest
}

fn attach_sbom(store: &dyn Store, subject: &Digest) -> Digest {
    let sbom = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1}"#;
    let digest = Algorithm::Sha256.hash_bytes(sbom);
    store
        .put_blob(&digest, sbom.len() as u64, &mut &sbom[..])
        .unwrap();
    store
        .put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let subject_manifest = store.get_manifest(&ManifestRef::Digest(*subject)).unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(media::CYCLONEDX_JSON.to_owned()),
        config: Descriptor::empty(),
        layers: vec![Descriptor::new(media::CYCLONEDX_JSON, digest, sbom.len() as u64)],
        subject: Some(subject_manifest.descriptor()),
        annotations: None,
    };
    let bytes = to_bytes(&manifest);
    assert_valid_oci(OciSchema::Manifest, &bytes);
    referrers::attach(store, subject, &bytes, media::OCI_MANIFEST)
        .unwrap()
        .digest
}

#[test]
fn umoci_image_promotes_between_repositories_and_registries_byte_identically() {
    let a = DockerRegistry::start();
    let b = DockerRegistry::start_with_auth("prov", "s3cret");
    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("rootfs"), 1, 2);
    umoci_image(&t.path().join("umoci"), "v1", &t.path().join("rootfs"));
    let layout = Layout::open(&t.path().join("umoci")).unwrap();
    let digest = layout
        .get_manifest(&ManifestRef::Tag("v1".parse().unwrap()))
        .unwrap()
        .digest;

    let c = client(&[(&b, "prov", "s3cret")], None);
    let (a1, a2, b1) = (
        remote(&c, &a, "team/app"),
        remote(&c, &a, "prod/app"),
        remote(&c, &b, "app"),
    );
    let sbom = attach_sbom(&layout, &digest);
    let tags = |t: &str| PromoteOptions {
        tags: vec![t.parse().unwrap()],
        ..PromoteOptions::default()
    };

    // Layout → registry A.
    let r = promote(&layout, &digest, &a1, &tags("v1"), &NoVerification).unwrap();
    assert!(r.blobs_copied >= 2 && r.bytes_copied > 2 << 20, "{r:?}");
    assert_eq!(r.referrers, vec![sbom]);
    // Within registry A: everything mounted, nothing transferred.
    let r = promote(&a1, &digest, &a2, &tags("prod"), &NoVerification).unwrap();
    assert_eq!((r.blobs_copied, r.bytes_copied), (0, 0), "{r:?}");
    assert!(r.blobs_mounted >= 3, "{r:?}");
    assert_eq!(r.referrers, vec![sbom]);
    // Registry A → registry B (htpasswd).
    let r = promote(&a2, &digest, &b1, &tags("prod"), &NoVerification).unwrap();
    assert!(r.blobs_copied >= 3, "{r:?}");
    // Again: nothing copied anywhere.
    for (src, dst) in [(&a1 as &dyn Store, &a2 as &dyn Store), (&a2, &b1)] {
        let r = promote(src, &digest, dst, &tags("prod"), &NoVerification).unwrap();
        assert_eq!(
            (r.blobs_copied, r.blobs_mounted, r.manifests_copied),
            (0, 0, 0),
            "{r:?}"
        );
    }
    // skopeo sees byte-identical manifests everywhere.
    let original = layout.get_manifest(&ManifestRef::Digest(digest)).unwrap().bytes;
    assert_eq!(skopeo_raw(&format!("{}/team/app:v1", a.host()), None), original);
    assert_eq!(
        skopeo_raw(&format!("{}/prod/app@{digest}", a.host()), None),
        original
    );
    assert_eq!(
        skopeo_raw(&format!("{}/app:prod", b.host()), Some(("prov", "s3cret"))),
        original
    );
    // The SBOM is discoverable at the end of the chain.
    let found = referrers::discover(&b1, &digest, None).unwrap();
    assert_eq!(
        found.iter().map(|r| r.descriptor.digest).collect::<Vec<_>>(),
        vec![sbom]
    );
}

#[test]
fn multi_platform_index_promotes_between_registries() {
    let a = DockerRegistry::start();
    let b = DockerRegistry::start_with_auth("u", "p");
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let digest = multi_platform(&layout, t.path());
    let c = client(&[(&b, "u", "p")], None);
    let (src, dst) = (remote(&c, &a, "multi"), remote(&c, &b, "multi"));
    let options = PromoteOptions {
        tags: vec!["1.0".parse().unwrap()],
        ..PromoteOptions::default()
    };
    promote(&layout, &digest, &src, &options, &NoVerification).unwrap();
    let r = promote(&src, &digest, &dst, &options, &NoVerification).unwrap();
    assert_eq!(r.manifests_copied, 3, "{r:?}");
    assert_eq!(r.media_type, media::OCI_INDEX);
    let original = layout.get_manifest(&ManifestRef::Digest(digest)).unwrap().bytes;
    assert_eq!(
        skopeo_raw(&format!("{}/multi:1.0", b.host()), Some(("u", "p"))),
        original
    );
    // Every platform manifest and blob is there, by digest.
    let provenant_oci::Manifest::Index(index) =
        dst.get_manifest(&ManifestRef::Digest(digest)).unwrap().manifest
    else {
        panic!("not an index")
    };
    for m in &index.manifests {
        let child = dst.get_manifest(&ManifestRef::Digest(m.digest)).unwrap();
        for blob in child.manifest.blobs() {
            assert_eq!(dst.blob_size(&blob.digest).unwrap(), Some(blob.size));
        }
    }
    let again = promote(&src, &digest, &dst, &options, &NoVerification).unwrap();
    assert_eq!((again.blobs_copied, again.manifests_copied), (0, 0));
}

#[test]
fn corrupted_source_blob_fails_with_digest_mismatch_and_no_tag() {
    let a = DockerRegistry::start();
    let b = DockerRegistry::start();
    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("root"), 3, 1);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &ImageOptions::default(), &layout).unwrap();
    let c = client(&[], None);
    let (src, dst) = (remote(&c, &a, "app"), remote(&c, &b, "app"));
    promote(
        &layout,
        &built.digest,
        &src,
        &PromoteOptions::default(),
        &NoVerification,
    )
    .unwrap();
    // Flip one byte of the layer in registry A's storage.
    let path = a.blob_path(&built.layer.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let options = PromoteOptions {
        tags: vec!["prod".parse().unwrap()],
        ..PromoteOptions::default()
    };
    // Uploaded in one request, and streamed in small PATCH chunks (the mismatch is then only seen
    // after the last chunk, and the upload must not be committed).
    let chunked = remote(&client(&[], Some(256 << 10)), &b, "chunked");
    for dst in [&dst, &chunked] {
        let err = promote(&src, &built.digest, dst, &options, &NoVerification).unwrap_err();
        let PromoteError::Store(inner) = &err else {
            panic!("unexpected error {err}")
        };
        assert!(inner.is_integrity(), "{inner}");
        assert!(inner.to_string().contains("digest mismatch"), "{inner}");
        assert!(
            dst.tags().unwrap().is_empty(),
            "a tag was written despite the failure"
        );
        assert_eq!(dst.blob_size(&built.layer).unwrap(), None);
    }
    // Reading it directly fails the same way.
    let mut reader = src.open_blob(&built.layer, Some(built.layer_size)).unwrap();
    let e = reader.read_to_end(&mut Vec::new()).unwrap_err();
    assert!(matches!(
        StoreError::from_io("read", e),
        StoreError::DigestMismatch { .. }
    ));
}

struct Refuse;
impl Verifier for Refuse {
    fn verify(&self, _: &dyn Store, _: &Digest, referrers: &[Referrer]) -> Result<(), VerificationFailed> {
        Err(VerificationFailed::NoneVerified {
            subject: Algorithm::Sha256.hash_bytes(b"subject"),
            location: format!("{} referrers", referrers.len()),
            required: Required::Signature,
            rejected: Vec::new(),
        })
    }
}

#[test]
fn failed_verification_copies_nothing() {
    let b = DockerRegistry::start();
    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("root"), 4, 1);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &ImageOptions::default(), &layout).unwrap();
    let dst = remote(&client(&[], None), &b, "app");
    let options = PromoteOptions {
        tags: vec!["prod".parse().unwrap()],
        ..PromoteOptions::default()
    };
    let err = promote(&layout, &built.digest, &dst, &options, &Refuse).unwrap_err();
    assert!(matches!(err, PromoteError::SourceVerification { .. }), "{err}");
    assert_eq!(dst.blob_size(&built.layer).unwrap(), None);
    assert_eq!(dst.blob_size(&built.config).unwrap(), None);
    assert!(!dst.has_manifest(&built.digest).unwrap());
}

#[test]
fn chunked_uploads_mount_fallback_and_auth_errors() {
    let a = DockerRegistry::start_with_auth("u", "p");
    let c = client(&[(&a, "u", "p")], Some(64 << 10));
    let store = remote(&c, &a, "chunks");
    let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
    let digest = Algorithm::Sha256.hash_bytes(&data);
    store
        .put_blob(&digest, data.len() as u64, &mut &data[..])
        .unwrap();
    let mut back = Vec::new();
    store
        .open_blob(&digest, Some(data.len() as u64))
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    // Mounting from a repository that lacks the blob is declined; the caller then uploads.
    let other = remote(&c, &a, "other");
    let missing = Algorithm::Sha256.hash_bytes(b"not there");
    assert!(!other.mount_blob(&missing, store.repository().unwrap()).unwrap());
    assert!(other.mount_blob(&digest, store.repository().unwrap()).unwrap());
    assert_eq!(other.blob_size(&digest).unwrap(), Some(data.len() as u64));
    // Wrong digest on upload: a small blob is checked before it is sent, a large one is refused by
    // the registry.
    let err = other.put_blob(&missing, 3, &mut &b"abc"[..]).unwrap_err();
    assert!(matches!(err, StoreError::DigestMismatch { .. }), "{err}");
    let large = vec![7u8; 100 << 10];
    let err = other
        .put_blob(&missing, large.len() as u64, &mut &large[..])
        .unwrap_err();
    assert!(matches!(err, StoreError::Status { status: 400, .. }), "{err}");
    // No or wrong credentials: a clear authentication error, never the secret.
    let anon = remote(&client(&[], None), &a, "chunks");
    let err = anon.blob_size(&digest).unwrap_err();
    assert!(matches!(err, StoreError::Auth { .. }), "{err}");
    let wrong = remote(&client(&[(&a, "u", "wrong-secret")], None), &a, "chunks");
    let err = wrong.blob_size(&digest).unwrap_err();
    assert!(!err.to_string().contains("wrong-secret"), "{err}");
    let tag: Tag = "t".parse().unwrap();
    assert!(
        store
            .get_manifest(&ManifestRef::Tag(tag))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn referrers_move_between_schemes_and_cosign_tags_are_carried() {
    use provenant_oci::{CosignKind, cosign_tag};
    use provenant_registry::referrers::Scheme;
    use provenant_testkit::registry::MemoryRegistry;

    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("root"), 5, 1);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &ImageOptions::default(), &layout).unwrap();
    let sbom = attach_sbom(&layout, &built.digest);
    // A cosign-style legacy signature under `sha256-<hex>.sig` (no subject field).
    let payload = br#"{"critical":{"image":{"docker-manifest-digest":"x"}}}"#;
    let payload_digest = Algorithm::Sha256.hash_bytes(payload);
    layout
        .put_blob(&payload_digest, payload.len() as u64, &mut &payload[..])
        .unwrap();
    let sig = to_bytes(&ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::empty(),
        layers: vec![Descriptor::new(
            "application/vnd.dev.cosign.simplesigning.v1+json",
            payload_digest,
            payload.len() as u64,
        )],
        subject: None,
        annotations: None,
    });
    let sig_tag = cosign_tag(&built.digest, CosignKind::Signature);
    let sig_digest = layout
        .put_manifest(&sig, media::OCI_MANIFEST, Some(&sig_tag))
        .unwrap()
        .digest;

    // Layout (tag index + cosign tag) → docker-registry (tag index) → in-test registry (referrers API).
    let a = DockerRegistry::start();
    let m = MemoryRegistry::start();
    let c = client(&[], None);
    let dr = remote(&c, &a, "app");
    let mr = Remote::new(Arc::clone(&c), format!("{}/app", m.host()).parse().unwrap());
    let r = promote(
        &layout,
        &built.digest,
        &dr,
        &PromoteOptions::default(),
        &NoVerification,
    )
    .unwrap();
    assert_eq!(r.referrers.len(), 2, "{r:?}");
    assert!(dr.tags().unwrap().contains(&sig_tag));
    let found = referrers::discover(&dr, &built.digest, None).unwrap();
    let by = |d: &Digest| {
        found
            .iter()
            .find(|r| r.descriptor.digest == *d)
            .unwrap()
            .schemes
            .clone()
    };
    assert_eq!(by(&sbom), vec![Scheme::TagIndex]);
    assert_eq!(by(&sig_digest), vec![Scheme::CosignTag]);

    promote(
        &dr,
        &built.digest,
        &mr,
        &PromoteOptions::default(),
        &NoVerification,
    )
    .unwrap();
    let found = referrers::discover(&mr, &built.digest, None).unwrap();
    let by = |d: &Digest| {
        found
            .iter()
            .find(|r| r.descriptor.digest == *d)
            .unwrap()
            .schemes
            .clone()
    };
    assert_eq!(
        by(&sbom),
        vec![Scheme::ReferrersApi],
        "the destination indexes subjects itself"
    );
    assert_eq!(by(&sig_digest), vec![Scheme::CosignTag]);
    let tags = mr.tags().unwrap();
    assert!(
        !tags.contains(&provenant_oci::referrers_tag(&built.digest)),
        "no tag index where the API exists: {tags:?}"
    );
}

#[test]
fn transient_upload_failures_are_retried_per_blob() {
    use provenant_testkit::registry::{Faults, MemoryRegistry};
    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("root"), 6, 1);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &ImageOptions::default(), &layout).unwrap();
    let m = MemoryRegistry::start();
    let dst = Remote::new(client(&[], None), format!("{}/app", m.host()).parse().unwrap());
    m.set_faults(Faults {
        fail_uploads: 2,
        ..Faults::default()
    });
    let options = PromoteOptions {
        concurrency: 1,
        ..PromoteOptions::default()
    };
    let r = promote(&layout, &built.digest, &dst, &options, &NoVerification).unwrap();
    assert_eq!(r.blobs_copied, 2, "{r:?}");
    assert_eq!(dst.blob_size(&built.layer).unwrap(), Some(built.layer_size));
    // Persistent failures end the promotion with the registry's answer.
    let m2 = MemoryRegistry::start();
    let dst2 = Remote::new(client(&[], None), format!("{}/other", m2.host()).parse().unwrap());
    m2.set_faults(Faults {
        fail_uploads: 100,
        ..Faults::default()
    });
    let err = promote(&layout, &built.digest, &dst2, &options, &NoVerification).unwrap_err();
    assert!(err.to_string().contains("promotion failed"), "{err}");
    let PromoteError::Store(inner) = err else {
        panic!("unexpected error")
    };
    assert!(matches!(inner, StoreError::Status { status: 503, .. }), "{inner}");
}

#[test]
fn docker_v2_schema2_manifest_and_list_promote_byte_identically() {
    let a = DockerRegistry::start();
    let b = DockerRegistry::start();
    let t = tempfile::tempdir().unwrap();
    rootfs(&t.path().join("root"), 7, 1);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &ImageOptions::default(), &layout).unwrap();
    let c = client(&[], None);
    let (src, dst) = (remote(&c, &a, "docker"), remote(&c, &b, "docker"));
    promote(
        &layout,
        &built.digest,
        &src,
        &PromoteOptions::default(),
        &NoVerification,
    )
    .unwrap();
    // The same blobs under Docker media types, pretty-printed as docker writes them.
    let config_size = src.blob_size(&built.config).unwrap().unwrap();
    let manifest = format!(
        "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{}\",\n   \"config\": {{\n      \"mediaType\": \"{}\",\n      \"size\": {config_size},\n      \"digest\": \"{}\"\n   }},\n   \"layers\": [\n      {{\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n         \"size\": {},\n         \"digest\": \"{}\"\n      }}\n   ]\n}}",
        media::DOCKER_MANIFEST,
        media::DOCKER_CONFIG,
        built.config,
        built.layer_size,
        built.layer
    );
    let m = src
        .put_manifest(manifest.as_bytes(), media::DOCKER_MANIFEST, None)
        .unwrap();
    let list = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"manifests\":[{{\"mediaType\":\"{}\",\"size\":{},\"digest\":\"{}\",\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}",
        media::DOCKER_MANIFEST_LIST,
        media::DOCKER_MANIFEST,
        manifest.len(),
        m.digest
    );
    let l = src
        .put_manifest(
            list.as_bytes(),
            media::DOCKER_MANIFEST_LIST,
            Some(&"list".parse().unwrap()),
        )
        .unwrap();
    let options = PromoteOptions {
        tags: vec!["v2".parse().unwrap()],
        ..PromoteOptions::default()
    };
    let r = promote(&src, &l.digest, &dst, &options, &NoVerification).unwrap();
    assert_eq!(r.media_type, media::DOCKER_MANIFEST_LIST);
    assert_eq!(r.manifests_copied, 2);
    assert_eq!(
        skopeo_raw(&format!("{}/docker:v2", b.host()), None),
        list.as_bytes()
    );
    assert_eq!(
        skopeo_raw(&format!("{}/docker@{}", b.host(), m.digest), None),
        manifest.as_bytes()
    );
}
