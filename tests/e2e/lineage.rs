//! `provenant lineage verify` end to end against two real registries (Debian's docker-registry): build with
//! provenance, package with provenance, attach, promote to the other registry, verify there; then each edge
//! broken in turn, named.

use std::path::{Path, PathBuf};

use provenant_testkit::git;
use provenant_testkit::registry::DockerRegistry;

use crate::support::{provenant, run, stderr, stdout};

const BUILDER: &str = "https://ci.example.com/builders/linux";
const PASSWORD: &str = "lineage-test";

fn cmd(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", PASSWORD)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(args));
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = cmd(dir, args);
    assert_eq!(code, 0, "provenant {args:?} failed:\n{out}\n{err}");
    out
}

/// The project: a git repository whose build copies its source into `out/app`.
fn project(dir: &Path) -> (PathBuf, String) {
    let repo = dir.join("app");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("src/app.sh"), "#!/bin/sh\necho app\n").unwrap();
    std::fs::write(
        repo.join("build.sh"),
        "#!/bin/sh\nset -eu\nmkdir -p out\ncp src/app.sh out/app\n",
    )
    .unwrap();
    std::fs::write(repo.join(".gitignore"), "out/\n").unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["update-index", "--chmod=+x", "build.sh"]);
    git(&repo, &["commit", "-qm", "app"]);
    git(&repo, &["checkout", "-q", "--", "."]);
    let mut perms = std::fs::metadata(repo.join("build.sh")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(repo.join("build.sh"), perms).unwrap();
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    (repo, commit)
}

/// `provenant build` of the project with signed provenance written to `bundle`; `signing` says how
/// (`--key K`, or keyless flags).
fn build_signed(repo: &Path, bundle: &Path, signing: &[&str]) {
    let mut args = vec![
        "build",
        "--subject",
        "out/app",
        "--source",
        "github.com/example/app",
        "--builder-id",
        BUILDER,
        "--bundle",
        bundle.to_str().unwrap(),
    ];
    args.extend_from_slice(signing);
    args.extend(["--", "./build.sh"]);
    ok(repo, &args);
}

fn build(repo: &Path, key: &Path, bundle: &Path) {
    build_signed(repo, bundle, &["--key", key.to_str().unwrap()]);
}

fn rootfs(dir: &Path, name: &str, app: &[u8]) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(root.join("usr/bin/app"), app).unwrap();
    root
}

/// Packages `root` into `reference` with packaging provenance signed by `key`, attaches `bundles`, and
/// returns the digest.
fn package(dir: &Path, root: &Path, reference: &str, key: &Path, bundles: &[&Path]) -> String {
    let out = ok(
        dir,
        &[
            "oci",
            "image",
            root.to_str().unwrap(),
            reference,
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let digest = out.trim().rsplit_once('@').unwrap().1.to_owned();
    let repo = reference.rsplit_once(':').unwrap().0;
    for b in bundles {
        ok(
            dir,
            &[
                "oci",
                "attach",
                &format!("{repo}@{digest}"),
                "--bundle",
                b.to_str().unwrap(),
            ],
        );
    }
    digest
}

struct World {
    dir: tempfile::TempDir,
    repo: PathBuf,
    commit: String,
    src: DockerRegistry,
    dst: DockerRegistry,
}

impl World {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Promotes `name@digest` from the source registry to the destination (nothing verified: the
    /// broken variants must travel too) and returns the destination reference by digest.
    fn promote(&self, name: &str, digest: &str) -> String {
        let src = format!("{}/{name}@{digest}", self.src.host());
        ok(
            self.dir.path(),
            &["promote", &src, &format!("{}/prod/{name}:1", self.dst.host())],
        );
        format!("{}/prod/{name}@{digest}", self.dst.host())
    }

    /// Packages `root` as the source registry's `name:1` with packaging provenance signed by `key`,
    /// attaches `bundles`, promotes it, and returns the destination reference by digest.
    fn variant(&self, name: &str, root: &Path, key: &Path, bundles: &[&Path]) -> String {
        let reference = format!("{}/{name}:1", self.src.host());
        let digest = package(self.dir.path(), root, &reference, key, bundles);
        self.promote(name, &digest)
    }

    fn verify(&self, image: &str, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec![
            "lineage",
            "verify",
            image,
            "--key",
            "release.pub",
            "--insecure-ignore-tlog",
            "--commit",
            &self.commit,
            "--repo",
            self.repo.to_str().unwrap(),
            "--branch",
            "main",
            "--builder-id",
            BUILDER,
            "--source-uri",
            "github.com/example/app",
        ];
        args.extend_from_slice(extra);
        cmd(self.dir.path(), &args)
    }

    fn broken(&self, image: &str, edge: &str, reason: &str) {
        let (code, out, err) = self.verify(image, &[]);
        assert_eq!(code, 1, "expected a broken lineage:\n{out}\n{err}");
        let summary = out
            .split("lineage BROKEN")
            .nth(1)
            .unwrap_or_else(|| panic!("no summary:\n{out}"));
        assert!(
            summary
                .lines()
                .any(|l| l.trim_start().starts_with(edge) && l.contains(reason)),
            "expected the {edge} edge to break with {reason:?}:\n{out}"
        );
    }
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let (repo, commit) = project(dir.path());
    for who in ["release", "mallory"] {
        ok(dir.path(), &["keys", "generate", "--output-key-prefix", who]);
    }
    World {
        dir,
        repo,
        commit,
        src: DockerRegistry::start(),
        dst: DockerRegistry::start(),
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one story: the chain, then each edge broken in turn
fn lineage_holds_at_the_destination_registry_and_each_broken_edge_is_named() {
    let w = world();
    let release = w.path("release.key");
    let mallory = w.path("mallory.key");
    let good = w.path("app.provenance.json");
    build(&w.repo, &release, &good);
    let app = std::fs::read(w.repo.join("out/app")).unwrap();
    let root = rootfs(w.dir.path(), "rootfs", &app);

    // The whole chain, promoted to the other registry and verified there.
    let digest = package(
        w.dir.path(),
        &root,
        &format!("{}/app:1", w.src.host()),
        &release,
        &[&good],
    );
    let promoted = w.promote("app", &digest);
    let (code, out, err) = w.verify(&promoted, &[]);
    assert_eq!(code, 0, "lineage at the destination:\n{out}\n{err}");
    assert!(out.contains("lineage verified: every edge holds"), "{out}");
    assert!(out.contains("file usr/bin/app sha256:"), "{out}");
    assert!(out.contains(&w.commit), "{out}");
    let (code, json, _) = w.verify(&promoted, &["--output", "json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["digest"], digest.as_str());
    // Into a registry with the OCI 1.1 referrers API: the evidence is found there by the API.
    let api = provenant_testkit::registry::MemoryRegistry::start();
    let src = format!("{}/app@{digest}", w.src.host());
    ok(
        w.dir.path(),
        &["promote", &src, &format!("{}/prod/app:1", api.host())],
    );
    let at_api = format!("{}/prod/app@{digest}", api.host());
    let (code, json, err) = w.verify(&at_api, &["--output", "json"]);
    assert_eq!(code, 0, "{json}\n{err}");
    let discovered = ok(w.dir.path(), &["oci", "discover", &at_api]);
    assert!(discovered.contains("referrers-api"), "{discovered}");
    // A tag is refused as the starting point.
    let (code, _, err) = w.verify(&format!("{}/prod/app:1", w.dst.host()), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names a tag"), "{err}");

    // A provenance from another commit: the same output built after a commit that does not change it.
    std::fs::write(w.repo.join("NOTES"), "notes\n").unwrap();
    git(&w.repo, &["add", "NOTES"]);
    git(&w.repo, &["commit", "-qm", "notes"]);
    let later = git(&w.repo, &["rev-parse", "HEAD"]);
    let other_commit = w.path("other-commit.provenance.json");
    build(&w.repo, &release, &other_commit);
    w.broken(
        &w.variant("other-commit", &root, &release, &[&other_commit]),
        "source",
        &format!("built from commit {}, not {}", &later[..12], w.commit),
    );

    // A build provenance signed by an untrusted builder key.
    let untrusted = w.path("untrusted.provenance.json");
    build(&w.repo, &mallory, &untrusted);
    let image = w.variant("untrusted", &root, &release, &[&untrusted]);
    w.broken(&image, "build provenance", "is not from a trusted builder");

    // An image whose packaged file was swapped: no build provenance has its digest.
    let swapped = rootfs(w.dir.path(), "swapped", b"#!/bin/sh\necho not the app\n");
    let image = w.variant("swapped", &swapped, &release, &[&good]);
    w.broken(
        &image,
        "build provenance",
        "no build provenance has subject sha256:",
    );

    // No build provenance attached at all.
    let image = w.variant("missing", &root, &release, &[]);
    w.broken(
        &image,
        "build provenance",
        "no build provenance has subject sha256:",
    );

    // The packaging provenance signed by the wrong key.
    let image = w.variant("wrong-key", &root, &mallory, &[&good]);
    let digest = image.rsplit_once('@').unwrap().1;
    w.broken(
        &image,
        "packaging provenance",
        &format!("no packaging provenance of {digest} verified"),
    );
}

/// Keyless throughout, against the mock Fulcio and Rekor: the build signed by the CI's identity, the image
/// packaged by a release manager's; each role checked against its own identity.
#[test]
fn keyless_lineage_checks_the_packager_and_builder_identities_separately() {
    const ISSUER: &str = "https://ci.example.com";
    const CI: &str = "https://ci.example.com/example/app/.ci/build.yml@refs/heads/main";
    const RELEASER: &str = "releases@example.com";
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let base = sigstore.base_url();
    let root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (repo, commit) = project(dir.path());
    let ci_token = provenant_testkit::sigstore::mock_identity_token(ISSUER, CI);
    let release_token = provenant_testkit::sigstore::mock_identity_token(ISSUER, RELEASER);
    let bundle = dir.path().join("app.provenance.json");
    let services = ["--fulcio-url", &base, "--rekor-url", &base];
    build_signed(
        &repo,
        &bundle,
        &[
            "--identity-token",
            &ci_token,
            services[0],
            services[1],
            services[2],
            services[3],
        ],
    );
    let app = std::fs::read(repo.join("out/app")).unwrap();
    let root_fs = rootfs(dir.path(), "rootfs", &app);
    let layout = format!("oci:{}", dir.path().join("dev").display());
    let mut args = vec![
        "oci",
        "image",
        root_fs.to_str().unwrap(),
        "--keyless",
        "--identity-token",
        &release_token,
        "--output",
        "json",
    ];
    let reference = format!("{layout}:1");
    args.insert(3, &reference);
    args.extend(services);
    let image: serde_json::Value = serde_json::from_str(&ok(dir.path(), &args)).unwrap();
    let digest = image["digest"].as_str().unwrap().to_owned();
    assert!(image["provenance"].is_string(), "{image}");
    ok(
        dir.path(),
        &[
            "oci",
            "attach",
            &format!("{layout}@{digest}"),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
    );

    let subject = format!("{layout}@{digest}");
    let verify = |packager: &str, builder: &str| {
        cmd(
            dir.path(),
            &[
                "lineage",
                "verify",
                &subject,
                "--trusted-root",
                &root,
                "--certificate-identity",
                packager,
                "--certificate-oidc-issuer",
                ISSUER,
                "--build-certificate-identity",
                builder,
                "--build-certificate-oidc-issuer",
                ISSUER,
                "--commit",
                &commit,
                "--repo",
                repo.to_str().unwrap(),
                "--branch",
                "main",
                "--builder-id",
                BUILDER,
            ],
        )
    };
    let (code, out, err) = verify(RELEASER, CI);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("signed by {RELEASER} ({ISSUER})")), "{out}");
    assert!(out.contains(&format!("signed by {CI} ({ISSUER})")), "{out}");
    // The roles do not stand in for each other.
    let (code, out, _) = verify(CI, CI);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("packaging provenance: no packaging provenance of"),
        "{out}"
    );
    let (code, out, _) = verify(RELEASER, RELEASER);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not from a trusted builder"), "{out}");
}

#[test]
fn keyed_bundle_without_tlog_entry_lineage_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, commit) = project(dir.path());
    ok(
        dir.path(),
        &["keys", "generate", "--output-key-prefix", "release"],
    );
    let release = dir.path().join("release.key");
    let provenance = dir.path().join("app.provenance.json");
    build(&repo, &release, &provenance);
    let app = std::fs::read(repo.join("out/app")).unwrap();
    let root = rootfs(dir.path(), "rootfs", &app);
    let layout = format!("oci:{}", dir.path().join("layout").display());
    let digest = package(
        dir.path(),
        &root,
        &format!("{layout}:1"),
        &release,
        &[&provenance],
    );
    let image = format!("{layout}@{digest}");
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "lineage",
            "verify",
            image.as_str(),
            "--key",
            "release.pub",
            "--commit",
            &commit,
            "--repo",
            repo.to_str().unwrap(),
            "--branch",
            "main",
            "--builder-id",
            BUILDER,
            "--source-uri",
            "github.com/example/app",
        ];
        args.extend_from_slice(extra);
        cmd(dir.path(), &args)
    };
    // Without --insecure-ignore-tlog the keyed bundles fail on their missing log entry, by name.
    let (code, out, err) = verify(&[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("no transparency-log entry"), "{out}\n{err}");
    assert!(out.contains("--insecure-ignore-tlog"), "{out}\n{err}");
    assert!(!format!("{out}{err}").contains("no trusted root"), "{out}\n{err}");
    // With it, the same lineage holds, and both reports say what was skipped.
    let (code, out, err) = verify(&["--insecure-ignore-tlog"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("skipped: transparency-log (NOT checked, by request)"),
        "{out}"
    );
    let (code, out, err) = verify(&["--insecure-ignore-tlog", "--output", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    // Nothing skipped, nothing listed.
    let (_, out, _) = verify(&["--output", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report.get("skipped").is_none(), "{report}");
}

const ARTIFACT_TYPE: &str = "application/vnd.example.bundle.v1";

/// `oci push` of `files` to `reference` (packaging provenance signed by `key` when given); returns the
/// artifact's digest.
fn push_artifact(dir: &Path, reference: &str, files: &[&Path], key: Option<&Path>) -> String {
    let mut args = vec!["oci".to_owned(), "push".to_owned(), reference.to_owned()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_owned()));
    args.extend(["--artifact-type".to_owned(), ARTIFACT_TYPE.to_owned()]);
    if let Some(key) = key {
        args.extend([
            "--key".to_owned(),
            key.to_str().unwrap().to_owned(),
            "--builder-id".to_owned(),
            "https://ci.example.com/builders/packager".to_owned(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(dir, &args);
    out.trim().rsplit_once('@').unwrap().1.to_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    provenant_digest::Algorithm::Sha256
        .hash_bytes(bytes)
        .to_string()
        .trim_start_matches("sha256:")
        .to_owned()
}

/// Signs with `key` a packaging provenance of `build_type` whose subject is `subject` (`NAME@DIGEST`)
/// and which records `files` (title, SHA-256 hex), and attaches it to `subject`.
fn attach_packaging(
    dir: &Path,
    subject: &str,
    build_type: &str,
    files: &[(&str, &str)],
    key: &Path,
    out: &str,
) {
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": build_type,
            "externalParameters": { "artifactType": ARTIFACT_TYPE },
            "resolvedDependencies": files
                .iter()
                .map(|(name, hex)| serde_json::json!({
                    "name": name,
                    "digest": { "sha256": hex },
                    "mediaType": "application/octet-stream",
                }))
                .collect::<Vec<_>>(),
        },
        "runDetails": { "builder": { "id": "https://ci.example.com/builders/packager" } },
    });
    let predicate_file = dir.join(format!("{out}.predicate.json"));
    std::fs::write(&predicate_file, predicate.to_string()).unwrap();
    let bundle = dir.join(format!("{out}.bundle.json"));
    ok(
        dir,
        &[
            "attest",
            subject,
            "--predicate",
            predicate_file.to_str().unwrap(),
            "--type",
            "https://slsa.dev/provenance/v1",
            "--key",
            key.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
    );
    ok(
        dir,
        &["oci", "attach", subject, "--bundle", bundle.to_str().unwrap()],
    );
}

/// An OCI artifact (`oci push --key`) carrying the built file: its lineage runs artifact → packaging
/// provenance of the artifact build type → each layer by title and digest → build provenance → source.
/// Then each edge broken in turn, named.
#[test]
#[allow(clippy::too_many_lines)] // one story: the chain, then each edge broken in turn
fn artifact_lineage_holds_and_each_broken_edge_is_named() {
    let w = world();
    let release = w.path("release.key");
    let good = w.path("app.provenance.json");
    build(&w.repo, &release, &good);
    let app = w.repo.join("out/app");
    let app_hex = sha256_hex(&std::fs::read(&app).unwrap());
    let src = w.src.host();

    // The whole chain: pushed with packaging provenance, the build provenance attached, promoted, verified.
    let digest = push_artifact(w.dir.path(), &format!("{src}/bundle:1"), &[&app], Some(&release));
    ok(
        w.dir.path(),
        &[
            "oci",
            "attach",
            &format!("{src}/bundle@{digest}"),
            "--bundle",
            good.to_str().unwrap(),
        ],
    );
    let promoted = w.promote("bundle", &digest);
    let (code, out, err) = w.verify(&promoted, &[]);
    assert_eq!(code, 0, "artifact lineage at the destination:\n{out}\n{err}");
    assert!(out.contains("lineage verified: every edge holds"), "{out}");
    assert!(out.contains(&format!("file app sha256:{app_hex}")), "{out}");
    assert!(
        out.contains(&format!("artifact of type {ARTIFACT_TYPE}")),
        "{out}"
    );
    assert!(out.contains(&w.commit), "{out}");
    let (code, json, _) = w.verify(&promoted, &["--output", "json"]);
    assert_eq!(code, 0, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["digest"], digest.as_str());
    // `lineage report` walks the same path.
    let html = w.path("bundle.html");
    let (code, out, err) = cmd(
        w.dir.path(),
        &[
            "lineage",
            "report",
            &promoted,
            "--out",
            html.to_str().unwrap(),
            "--key",
            "release.pub",
            "--insecure-ignore-tlog",
            "--commit",
            &w.commit,
            "--builder-id",
            BUILDER,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(&digest) && page.contains(&app_hex) && page.contains(&w.commit),
        "{page}"
    );

    // Without the build provenance, the packaged file has none.
    let bare = push_artifact(
        w.dir.path(),
        &format!("{src}/no-build:1"),
        &[&app],
        Some(&release),
    );
    w.broken(
        &format!("{src}/no-build@{bare}"),
        "build provenance",
        &format!("no build provenance has subject sha256:{app_hex} (app)"),
    );

    // Packaging provenance of the image build type over an artifact: never cross-accepted.
    let unsigned = push_artifact(w.dir.path(), &format!("{src}/image-type:1"), &[&app], None);
    let subject = format!("{src}/image-type@{unsigned}");
    attach_packaging(
        w.dir.path(),
        &subject,
        "https://github.com/provenant-dev/provenant/buildtypes/oci-image/v1",
        &[("app", &app_hex)],
        &release,
        "image-type",
    );
    ok(
        w.dir.path(),
        &["oci", "attach", &subject, "--bundle", good.to_str().unwrap()],
    );
    w.broken(
        &subject,
        "packaging provenance",
        "build type https://github.com/provenant-dev/provenant/buildtypes/oci-image/v1 is not \
         https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1",
    );
    // The same statement of the artifact build type holds: the type alone was refused.
    let typed = push_artifact(w.dir.path(), &format!("{src}/artifact-type:1"), &[&app], None);
    let subject = format!("{src}/artifact-type@{typed}");
    attach_packaging(
        w.dir.path(),
        &subject,
        "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1",
        &[("app", &app_hex)],
        &release,
        "artifact-type",
    );
    ok(
        w.dir.path(),
        &["oci", "attach", &subject, "--bundle", good.to_str().unwrap()],
    );
    let (code, out, err) = w.verify(&subject, &[]);
    assert_eq!(code, 0, "{out}\n{err}");

    // A pushed file whose digest differs from the build provenance's subject: pushed and recorded as
    // it is, it has no build provenance.
    let other = w.dir.path().join("swapped/app");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "#!/bin/sh\necho not the app\n").unwrap();
    let other_hex = sha256_hex(&std::fs::read(&other).unwrap());
    let swapped = push_artifact(
        w.dir.path(),
        &format!("{src}/swapped:1"),
        &[&other],
        Some(&release),
    );
    let subject = format!("{src}/swapped@{swapped}");
    ok(
        w.dir.path(),
        &["oci", "attach", &subject, "--bundle", good.to_str().unwrap()],
    );
    w.broken(
        &subject,
        "build provenance",
        &format!("no build provenance has subject sha256:{other_hex} (app)"),
    );
    // Recorded as the built file but pushed as the other: the layer's digest is not the recorded one.
    let unsigned = push_artifact(w.dir.path(), &format!("{src}/mismatch:1"), &[&other], None);
    let subject = format!("{src}/mismatch@{unsigned}");
    attach_packaging(
        w.dir.path(),
        &subject,
        "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1",
        &[("app", &app_hex)],
        &release,
        "mismatch",
    );
    w.broken(
        &subject,
        "file",
        &format!(
            "the artifact's layer titled app is sha256:{other_hex}, but the packaging provenance records \
             sha256:{app_hex}"
        ),
    );
    let (_, json, _) = w.verify(&subject, &["--output", "json"]);
    assert!(json.contains("\"file-digest-mismatch\""), "{json}");

    // An extra layer the packaging provenance does not record.
    let extra = w.dir.path().join("extra.conf");
    std::fs::write(&extra, "debug = true\n").unwrap();
    let unsigned = push_artifact(w.dir.path(), &format!("{src}/extra:1"), &[&app, &extra], None);
    let subject = format!("{src}/extra@{unsigned}");
    attach_packaging(
        w.dir.path(),
        &subject,
        "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1",
        &[("app", &app_hex)],
        &release,
        "extra",
    );
    ok(
        w.dir.path(),
        &["oci", "attach", &subject, "--bundle", good.to_str().unwrap()],
    );
    w.broken(
        &subject,
        "file",
        "the artifact holds layers the packaging provenance does not record: extra.conf",
    );

    // A recorded file no layer carries.
    let unsigned = push_artifact(w.dir.path(), &format!("{src}/missing:1"), &[&extra], None);
    let subject = format!("{src}/missing@{unsigned}");
    attach_packaging(
        w.dir.path(),
        &subject,
        "https://github.com/provenant-dev/provenant/buildtypes/oci-artifact/v1",
        &[("app", &app_hex), ("extra.conf", &sha256_hex(b"debug = true\n"))],
        &release,
        "missing",
    );
    w.broken(&subject, "file", "no layer of the artifact is titled app");
}

#[test]
fn builder_ids_and_source_uris_are_checked_when_the_arguments_are_parsed() {
    let image = format!("oci:/nonexistent@sha256:{}", "0".repeat(64));
    for (args, expected) in [
        (
            vec!["lineage", "verify", &image, "--builder-id", "not-a-uri"],
            "invalid value 'not-a-uri' for '--builder-id <URI>': invalid builder id \"not-a-uri\": not a URI (no scheme)",
        ),
        (
            vec!["lineage", "verify", &image, "--source-uri", "github.com/a/b@main"],
            "invalid value 'github.com/a/b@main' for '--source-uri <URI>': invalid source URI",
        ),
        (
            vec![
                "verify-image",
                &image,
                "--source-uri",
                "github.com/a/b",
                "--builder-id",
                "",
            ],
            "invalid value '' for '--builder-id <URI>': invalid builder id \"\": empty",
        ),
    ] {
        let out = run(provenant().args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
