//! A complete lineage in an image layout: a git clone, a signed build provenance for each built file, an
//! image of those files with its signed packaging provenance, everything attached as referrers.

use std::path::{Path, PathBuf};

use provenant_digest::{Algorithm, Digest};
use provenant_evidence::{Role, SkippedCheck, TrustPolicy};
use provenant_image::ImageOptions;
use provenant_keys::{KeyKind, SigningKey};
use provenant_lineage::{Edge, EdgeKind, Expectations, Report, Trust, Verdict};
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, ManifestRef, media};
use provenant_registry::layout::Layout;
use provenant_registry::{Store, referrers};
use provenant_sigstore::{Policy, PublicKey};
use provenant_slsa::Timestamp;
use provenant_testkit::git;
use serde_json::{Value, json};

pub(crate) const BUILDER: &str = "https://ci.example.com/builders/linux";
pub(crate) const SOURCE: &str = "git+https://github.com/example/app@refs/heads/main";

pub(crate) struct Keys {
    pub(crate) key: SigningKey,
    pub(crate) policy: Policy,
}

pub(crate) fn keys() -> Keys {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let policy = Policy::Key(PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap());
    Keys { key, policy }
}

/// A clone with two commits on `main` and one on `side`; returns (dir, main's first commit, side's commit).
pub(crate) fn clone(dir: &Path) -> (PathBuf, String, String) {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a"), "1").unwrap();
    git(&repo, &["add", "a"]);
    git(&repo, &["commit", "-qm", "one"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["checkout", "-qb", "side"]);
    std::fs::write(repo.join("a"), "side").unwrap();
    git(&repo, &["commit", "-qam", "side"]);
    let side = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["checkout", "-q", "main"]);
    std::fs::write(repo.join("a"), "2").unwrap();
    git(&repo, &["commit", "-qam", "two"]);
    (repo, first, side)
}

/// A build provenance statement for `files`, built from `commit` by `builder`.
pub(crate) fn build_statement(files: &[(&str, Digest)], commit: &str, builder: &str) -> Vec<u8> {
    let subject: Vec<Value> = files
        .iter()
        .map(|(name, d)| json!({ "name": name, "digest": { "sha256": d.hex() } }))
        .collect();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": provenant_slsa::BUILD_TYPE,
                "externalParameters": { "source": { "uri": SOURCE, "digest": { "gitCommit": commit } } },
                "resolvedDependencies": [ { "uri": SOURCE, "digest": { "gitCommit": commit } } ]
            },
            "runDetails": { "builder": { "id": builder } }
        }
    }))
    .unwrap()
}

/// Attaches `bytes` (of `media_type`) to `subject` as a referrer; returns the referrer digest.
pub(crate) fn attach(store: &dyn Store, subject: &Digest, bytes: &[u8], media_type: &str) -> Digest {
    let put = |b: &[u8]| {
        let d = Algorithm::Sha256.hash_bytes(b);
        if store.blob_size(&d).unwrap().is_none() {
            store.put_blob(&d, b.len() as u64, &mut &b[..]).unwrap();
        }
        d
    };
    let blob = put(bytes);
    put(media::EMPTY_JSON);
    let fetched = store.get_manifest(&ManifestRef::Digest(*subject)).unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: Some(media_type.to_owned()),
        config: Descriptor::empty(),
        layers: vec![Descriptor::new(media_type, blob, bytes.len() as u64)],
        subject: Some(fetched.descriptor()),
        annotations: None,
    };
    referrers::attach(store, subject, &to_bytes(&manifest), media::OCI_MANIFEST)
        .unwrap()
        .digest
}

pub(crate) fn attach_bundle(
    store: &dyn Store,
    subject: &Digest,
    bundle: &provenant_sigstore::Bundle,
) -> Digest {
    attach(
        store,
        subject,
        &bundle.to_json_v0_3().unwrap(),
        media::SIGSTORE_BUNDLE_V03,
    )
}

pub(crate) fn sign(key: &SigningKey, statement: &[u8]) -> provenant_sigstore::Bundle {
    provenant_sigstore_sign::keyed::sign_statement(key, statement).unwrap()
}

/// An image of `rootfs` (no referrers yet) and the packaging statement for it.
pub(crate) fn image(layout: &Layout, rootfs: &Path) -> (provenant_image::BuiltImage, Vec<u8>) {
    let options = ImageOptions::default();
    let built = provenant_image::build(rootfs, &options, layout).unwrap();
    let statement = provenant_image::provenance::statement(
        &built,
        &options,
        &provenant_image::provenance::Packaging {
            name: "oci:test",
            builder_id: "https://github.com/provenant-dev/provenant/builders/local",
            finished_on: Timestamp::from_unix(1_700_000_000).unwrap(),
        },
    )
    .unwrap();
    (built, serde_json::to_vec(&statement).unwrap())
}

/// A whole chain: files built from `commit`, packaged, everything signed by one key and attached.
pub(crate) struct Chain {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) layout: Layout,
    pub(crate) image: Digest,
    pub(crate) app: Digest,
    pub(crate) conf: Digest,
    pub(crate) keys: Keys,
    pub(crate) repo: PathBuf,
    pub(crate) commit: String,
    pub(crate) side: String,
    pub(crate) packaging: Vec<u8>,
}

pub(crate) fn rootfs(dir: &Path, app: &[u8]) -> PathBuf {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("usr/bin/app"), app).unwrap();
    std::fs::write(root.join("etc/app.conf"), b"level = 3\n").unwrap();
    root
}

/// Everything but the attachments: the caller decides what to attach.
pub(crate) fn unattached() -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let (repo, commit, side) = clone(dir.path());
    let root = rootfs(dir.path(), b"\x7fELF the app");
    let layout = Layout::create(&dir.path().join("layout")).unwrap();
    let (built, packaging) = image(&layout, &root);
    let app = Algorithm::Sha256.hash_bytes(b"\x7fELF the app");
    Chain {
        image: built.digest,
        app,
        conf: Algorithm::Sha256.hash_bytes(b"level = 3\n"),
        keys: keys(),
        repo,
        commit,
        side,
        packaging,
        layout,
        dir,
    }
}

impl Chain {
    /// The complete, valid chain.
    pub(crate) fn complete() -> Chain {
        let c = unattached();
        c.attach_packaging(&c.keys.key, &c.packaging.clone());
        c.attach_build(
            &c.keys.key,
            &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
            &c.commit.clone(),
            BUILDER,
        );
        c
    }

    pub(crate) fn attach_packaging(&self, key: &SigningKey, statement: &[u8]) -> Digest {
        attach_bundle(&self.layout, &self.image, &sign(key, statement))
    }

    pub(crate) fn attach_build(
        &self,
        key: &SigningKey,
        files: &[(&str, Digest)],
        commit: &str,
        builder: &str,
    ) -> Digest {
        attach_bundle(
            &self.layout,
            &self.image,
            &sign(key, &build_statement(files, commit, builder)),
        )
    }

    pub(crate) fn expectations(&self) -> Expectations {
        Expectations {
            commit: Some(self.commit.clone()),
            builder_ids: vec![BUILDER.parse().unwrap()],
            repo: Some(self.repo.clone()),
            branch: Some("main".to_owned()),
            ..Expectations::default()
        }
    }

    pub(crate) fn verify_with(&self, packager: &Policy, builder: &Policy, e: &Expectations) -> Report {
        let policy = |name: &str, signer: &Policy| {
            TrustPolicy::new(
                Role::single(name, signer.clone()),
                None,
                [SkippedCheck::TransparencyLog],
            )
            .unwrap()
        };
        let (packager, builder) = (policy("packager", packager), policy("builder", builder));
        let trust = Trust {
            packager: &packager,
            builder: &builder,
        };
        provenant_lineage::verify(
            &self.layout,
            &self.image,
            &trust,
            e,
            &provenant_digest::NoProgress,
        )
        .unwrap()
    }

    pub(crate) fn verify(&self, e: &Expectations) -> Report {
        self.verify_with(&self.keys.policy, &self.keys.policy, e)
    }

    #[allow(dead_code)] // used by some tests only
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The one broken edge of a report: its kind and reason.
pub(crate) fn only_broken(report: &Report) -> (EdgeKind, String) {
    let broken = report.lineage.broken_edges();
    assert!(!report.verified, "expected a broken lineage:\n{report:#?}");
    assert_eq!(broken.len(), 1, "expected exactly one broken edge: {broken:#?}");
    (broken[0].kind, broken[0].detail.clone())
}

/// Every edge of a kind, depth first.
pub(crate) fn edges_of(root: &Edge, kind: EdgeKind) -> Vec<&Edge> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        if e.kind == kind {
            out.push(e);
        }
        stack.extend(e.edges.iter());
    }
    out
}

pub(crate) fn holds(e: &Edge) -> bool {
    e.verdict == Verdict::Holds
}
