//! The OCI 1.1 referrers API path and bad registries, against the in-test registry.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use provenant_digest::Algorithm;
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, ManifestRef, Repository, media};
use provenant_registry::auth::CredentialSource;
use provenant_registry::referrers::{self, Scheme};
use provenant_registry::remote::{Client, ClientOptions, Remote};
use provenant_registry::{Store, StoreError};
use provenant_testkit::registry::{Faults, MemoryRegistry, OciSchema, assert_valid_oci};

fn store(reg: &MemoryRegistry) -> Remote {
    let client = Client::new(ClientOptions {
        credentials: CredentialSource::anonymous(),
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    });
    let repo: Repository = format!("{}/app", reg.host()).parse().unwrap();
    Remote::new(Arc::new(client), repo)
}

fn manifest(subject: Option<Descriptor>, artifact_type: &str) -> Vec<u8> {
    let bytes = to_bytes(&ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(artifact_type.to_owned()),
        config: Descriptor::empty(),
        layers: vec![Descriptor::empty()],
        subject,
        annotations: Some([("k".to_owned(), artifact_type.to_owned())].into()),
    });
    assert_valid_oci(OciSchema::Manifest, &bytes);
    bytes
}

#[test]
fn attach_and_discover_through_the_referrers_api() {
    let reg = MemoryRegistry::start();
    let s = store(&reg);
    s.put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let subject_bytes = manifest(None, "application/vnd.test.image");
    let subject = s
        .put_manifest(&subject_bytes, media::OCI_MANIFEST, Some(&"v1".parse().unwrap()))
        .unwrap();
    let desc = Descriptor::new(media::OCI_MANIFEST, subject.digest, subject_bytes.len() as u64);
    let sig = referrers::attach(
        &s,
        &subject.digest,
        &manifest(Some(desc.clone()), media::SIGSTORE_BUNDLE_V03),
        media::OCI_MANIFEST,
    )
    .unwrap();
    let sbom = referrers::attach(
        &s,
        &subject.digest,
        &manifest(Some(desc), media::CYCLONEDX_JSON),
        media::OCI_MANIFEST,
    )
    .unwrap();
    assert!(sig.via_api && sbom.via_api);
    // No referrers tag was written: the registry indexes subjects itself.
    assert_eq!(
        s.tags()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["v1"]
    );
    let found = referrers::discover(&s, &subject.digest, None).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|r| r.schemes == [Scheme::ReferrersApi]));
    let only = referrers::filter_artifact_type(found, Some(media::CYCLONEDX_JSON));
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].descriptor.digest, sbom.digest);
    assert_eq!(only[0].descriptor.annotation("k"), Some(media::CYCLONEDX_JSON));
    assert!(
        reg.requests()
            .iter()
            .any(|r| r.starts_with("GET /v2/app/referrers/sha256:"))
    );
}

#[test]
fn transient_errors_are_retried_then_reported() {
    let reg = MemoryRegistry::start();
    let s = store(&reg);
    let data = b"retry me";
    let digest = Algorithm::Sha256.hash_bytes(data);
    s.put_blob(&digest, data.len() as u64, &mut &data[..]).unwrap();
    reg.set_faults(Faults {
        statuses: vec![503, 429, 502],
        ..Faults::default()
    });
    assert_eq!(s.blob_size(&digest).unwrap(), Some(data.len() as u64));
    reg.set_faults(Faults {
        statuses: vec![503; 10],
        ..Faults::default()
    });
    let err = s.blob_size(&digest).unwrap_err();
    assert!(matches!(err, StoreError::Status { status: 503, .. }), "{err}");
    reg.set_faults(Faults {
        statuses: vec![404],
        ..Faults::default()
    });
    assert_eq!(s.blob_size(&digest).unwrap(), None);
}

#[test]
fn wrong_digests_oversized_manifests_and_redirect_loops_are_errors() {
    let reg = MemoryRegistry::start();
    let s = store(&reg);
    let data = vec![7u8; 100_000];
    let digest = Algorithm::Sha256.hash_bytes(&data);
    s.put_blob(&digest, data.len() as u64, &mut &data[..]).unwrap();
    s.put_blob(&Descriptor::empty().digest, 2, &mut &b"{}"[..])
        .unwrap();
    let m = s
        .put_manifest(
            &manifest(None, "application/x"),
            media::OCI_MANIFEST,
            Some(&"t".parse().unwrap()),
        )
        .unwrap();

    reg.set_faults(Faults {
        corrupt_blobs: true,
        ..Faults::default()
    });
    let e = s
        .open_blob(&digest, Some(data.len() as u64))
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    let e = StoreError::from_io("read", e);
    assert!(matches!(e, StoreError::DigestMismatch { .. }), "{e}");

    reg.set_faults(Faults {
        oversized_manifests: true,
        ..Faults::default()
    });
    let e = s.get_manifest(&ManifestRef::Digest(m.digest)).unwrap_err();
    assert!(matches!(e, StoreError::TooLarge { .. }), "{e}");
    let e = s
        .get_manifest(&ManifestRef::Tag("t".parse().unwrap()))
        .unwrap_err();
    assert!(matches!(e, StoreError::TooLarge { .. }), "{e}");

    reg.set_faults(Faults {
        redirect_loop: true,
        ..Faults::default()
    });
    let e = s.open_blob(&digest, None).err().unwrap();
    assert!(matches!(e, StoreError::Transport { .. }), "{e}");
    assert!(e.to_string().contains("redirect"), "{e}");
}

#[test]
fn bearer_token_flow() {
    use provenant_registry::auth::Credentials;
    let reg = MemoryRegistry::start();
    reg.set_faults(Faults {
        bearer: Some(("bob".to_owned(), "tokpw".to_owned())),
        ..Faults::default()
    });
    let with = |creds: Option<Credentials>| {
        let mut source = CredentialSource::anonymous();
        if let Some(c) = creds {
            source = source.with_host(&reg.host(), c);
        }
        let client = Client::new(ClientOptions {
            credentials: source,
            ..ClientOptions::default()
        });
        Remote::new(Arc::new(client), format!("{}/app", reg.host()).parse().unwrap())
    };
    let s = with(Some(Credentials::new("bob", "tokpw")));
    let data = b"behind a token";
    let digest = Algorithm::Sha256.hash_bytes(data);
    s.put_blob(&digest, data.len() as u64, &mut &data[..]).unwrap();
    assert_eq!(s.blob_size(&digest).unwrap(), Some(data.len() as u64));
    let requests = reg.requests();
    assert!(requests.iter().any(|r| r == "GET /token"), "{requests:?}");
    // Tokens are cached per scope: far fewer token requests than API requests.
    let tokens = requests.iter().filter(|r| *r == "GET /token").count();
    assert!(tokens <= 3, "{tokens} token requests: {requests:?}");
    let err = with(Some(Credentials::new("bob", "wrong")))
        .blob_size(&digest)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Auth { .. }) && err.to_string().contains("401"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "{err}");
}

/// A registry that fails the PUT closing an upload session may have cancelled the session: the PUT is
/// not sent into it again (that could only meet `BLOB_UPLOAD_UNKNOWN`); the transient error goes back to
/// the caller, whose next copy of the blob opens a new session.
#[test]
fn a_failed_session_put_is_not_replayed_into_the_same_session() {
    let reg = MemoryRegistry::start();
    let s = store(&reg);
    reg.set_faults(Faults {
        fail_uploads: 1,
        ..Faults::default()
    });
    let data = b"a small blob";
    let digest = Algorithm::Sha256.hash_bytes(data);
    let err = s
        .put_blob(&digest, data.len() as u64, &mut &data[..])
        .unwrap_err();
    assert!(matches!(err, StoreError::Status { status: 503, .. }), "{err}");
    assert!(err.is_transient(), "{err}");
    let puts = reg.requests().iter().filter(|r| r.starts_with("PUT ")).count();
    assert_eq!(puts, 1, "{:?}", reg.requests());
    s.put_blob(&digest, data.len() as u64, &mut &data[..]).unwrap();
    assert_eq!(s.blob_size(&digest).unwrap(), Some(data.len() as u64));
}
