//! `provenant verify-image` on slsa-verifier's vectors: Google Cloud Build provenance summaries, and
//! images built by the SLSA GitHub generator with their cosign attestations in an OCI layout. Exit 0
//! when every check passes, exit 1 naming the failed check, exit 2 for what cannot be verified.

use std::path::PathBuf;

use serde_json::Value;

const BUILDER: &str = "https://cloudbuild.googleapis.com/GoogleHostedWorker";

fn root() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

fn summary() -> PathBuf {
    root().join("cli/slsa-verifier/testdata/gcb_container/v0.3/gcloud-container-github.json")
}

fn key_dir() -> String {
    root()
        .join("verifiers/internal/gcb/keys/materials")
        .display()
        .to_string()
}

fn image() -> String {
    let digest = std::fs::read_to_string(
        root().join("cli/slsa-verifier/testdata/gcb_container/v0.3/gcloud-container-github.digest"),
    )
    .unwrap();
    format!(
        "us-west2-docker.pkg.dev/gosst-scare-sandbox/quickstart-docker-repo/quickstart-image@{}",
        digest.trim()
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = crate::support::provenant().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify(image: &str, provenance: &str, source: &str, extra: &[&str]) -> (i32, String, String) {
    let keys = key_dir();
    let mut args = vec![
        "verify-image",
        image,
        "--provenance-path",
        provenance,
        "--source-uri",
        source,
        "--builder-id",
        BUILDER,
        "--gcb-key-dir",
        &keys,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn gcb_provenance_verifies_and_prints_the_signed_statement() {
    let (image, path) = (image(), summary().display().to_string());
    let (code, out, err) = verify(&image, &path, "github.com/laurentsimon/gcb-tests", &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("PASSED: SLSA verification passed"), "{out}");
    assert!(out.contains(&format!("{BUILDER}@v0.3")), "{out}");

    let (code, out, err) = verify(
        &image,
        &path,
        "github.com/laurentsimon/gcb-tests",
        &["--print-provenance", "--output", "json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let mut docs = serde_json::Deserializer::from_str(&out).into_iter::<Value>();
    let statement = docs.next().unwrap().unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v0.1");
    assert_eq!(statement["predicate"]["builder"]["id"], format!("{BUILDER}@v0.3"));
    let report = docs.next().unwrap().unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["key"], "us-west2");
}

#[test]
fn each_failure_exits_1_naming_its_check() {
    let (image, path) = (image(), summary().display().to_string());
    let json = |source: &str, extra: &[&str]| {
        let mut args = vec!["--output", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = verify(&image, &path, source, &args);
        assert_eq!(code, 1, "{out}\n{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let report = json("github.com/laurentsimon/other", &[]);
    assert_eq!(report["failed_check"], "source");
    assert!(report["error"].as_str().unwrap().contains("laurentsimon/other"));
    let report = json("github.com/laurentsimon/gcb-tests", &["--source-tag", "v1.0.0"]);
    assert_eq!(report["failed_check"], "tag");
    let report = json("github.com/laurentsimon/gcb-tests", &["--source-branch", "main"]);
    assert_eq!(report["failed_check"], "branch");

    // Another builder: not a Cloud Build one.
    let keys = key_dir();
    let (code, out, _) = run(&[
        "verify-image",
        &image,
        "--provenance-path",
        &path,
        "--source-uri",
        "github.com/laurentsimon/gcb-tests",
        "--builder-id",
        &format!("{BUILDER}@v0.2"),
        "--gcb-key-dir",
        &keys,
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("FAILED: SLSA verification failed (builder): builder mismatch"),
        "{out}"
    );

    // A tag instead of a digest.
    let (code, out, _) = verify(
        "us-west2-docker.pkg.dev/p/r/i:latest",
        &path,
        "github.com/laurentsimon/gcb-tests",
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("(immutable-reference)") && out.contains("is mutable"),
        "{out}"
    );

    // Another image.
    let other = format!("example.com/i@sha256:{}", "0".repeat(64));
    let (code, out, _) = verify(&other, &path, "github.com/laurentsimon/gcb-tests", &[]);
    assert_eq!(code, 1);
    assert!(out.contains("(subject)"), "{out}");
}

#[test]
fn a_tampered_summary_fails_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(summary()).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let env = &mut v["provenance_summary"]["provenance"][0]["envelope"];
    let payload = env["payload"].as_str().unwrap().to_owned();
    // Change one base64 character of the signed payload.
    let mut chars: Vec<char> = payload.chars().collect();
    chars[40] = if chars[40] == 'A' { 'B' } else { 'A' };
    env["payload"] = chars.into_iter().collect::<String>().into();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    let (code, out, err) = verify(
        &image(),
        &tampered.display().to_string(),
        "github.com/laurentsimon/gcb-tests",
        &[],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("(signature)") && out.contains("does not verify with key \"us-west2\""),
        "{out}"
    );
}

#[test]
fn what_cannot_be_verified_exits_2() {
    let (image, path) = (image(), summary().display().to_string());
    // No keys.
    let (code, _, err) = run(&[
        "verify-image",
        &image,
        "--provenance-path",
        &path,
        "--source-uri",
        "github.com/laurentsimon/gcb-tests",
        "--builder-id",
        BUILDER,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--gcb-key-dir"), "{err}");
    // A provenance that is not a Cloud Build summary.
    let bundle = root()
        .join("cli/slsa-verifier/testdata/gha_go/v2.1.0")
        .read_dir()
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".intoto.jsonl"))
        .unwrap();
    let (code, _, err) = verify(&image, &bundle.display().to_string(), "github.com/o/r", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a Google Cloud Build provenance summary"),
        "{err}"
    );
}

const GENERATOR: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";

/// An image of the generator's container workflow at `version`, as an `oci:` reference by digest.
fn generator_image(version: &str) -> String {
    let dir = root()
        .join("cli/slsa-verifier/testdata/gha_generic_container")
        .join(version);
    let digest = std::fs::read_to_string(dir.join("container_workflow_dispatch.digest")).unwrap();
    format!(
        "oci:{}@{}",
        dir.join("container_workflow_dispatch").display(),
        digest.trim()
    )
}

fn trusted_root() -> String {
    provenant_testkit::vectors_dir()
        .join("sigstore-python/embedded-trust-roots/prod/trusted_root.json")
        .display()
        .to_string()
}

fn verify_generator(image: &str, builder: &str, extra: &[&str]) -> (i32, String, String) {
    let root = trusted_root();
    let mut args = vec![
        "verify-image",
        image,
        "--source-uri",
        "github.com/slsa-framework/example-package",
        "--builder-id",
        builder,
        "--trusted-root",
        &root,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn generator_images_verify_from_their_cosign_attestations() {
    for version in ["v1.10.0", "v2.1.0"] {
        for builder in [GENERATOR.to_owned(), format!("{GENERATOR}@{version}")] {
            let (code, out, err) =
                verify_generator(&generator_image(version), &builder, &["--source-branch", "main"]);
            assert_eq!(code, 0, "{version} {builder}: {out}\n{err}");
            let report: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(report["builder_id"], format!("{GENERATOR}@refs/tags/{version}"));
            assert_eq!(report["predicate_type"], "https://slsa.dev/provenance/v0.2");
        }
    }
    // Each failure names its check.
    let image = generator_image("v2.1.0");
    let failed = |builder: &str, extra: &[&str]| {
        let (code, out, err) = verify_generator(&image, builder, extra);
        assert_eq!(code, 1, "{out}\n{err}");
        serde_json::from_str::<Value>(&out).unwrap()["failed_check"].clone()
    };
    assert_eq!(failed(GENERATOR, &["--source-branch", "master"]), "ref");
    assert_eq!(failed(GENERATOR, &["--source-tag", "v1.2.3"]), "ref");
    assert_eq!(failed(&format!("{GENERATOR}@v2.0.0"), &[]), "signature");
    let (code, out, _) = run(&[
        "verify-image",
        &image,
        "--source-uri",
        "github.com/slsa-framework/other",
        "--builder-id",
        GENERATOR,
        "--trusted-root",
        &trusted_root(),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("FAILED: SLSA verification failed (source)"),
        "{out}"
    );
    // Another image digest: the attestations found for it do not name it.
    let other = image.replace("sha256:234e", "sha256:0000");
    let (code, out, _) = verify_generator(&other, GENERATOR, &[]);
    assert_eq!(code, 1, "{out}");
}

/// The builders v1.4.0 to v1.9.0 logged their attestations as Rekor `intoto/0.0.1` entries: verified
/// offline like the others (SET, entry against envelope and certificate, chain at the integrated
/// time, SCT, signature), then the provenance checks.
#[test]
fn attestations_logged_as_intoto_entries_verify_offline() {
    for version in ["v1.4.0", "v1.5.0", "v1.6.0", "v1.7.0", "v1.8.0", "v1.9.0"] {
        for builder in [GENERATOR.to_owned(), format!("{GENERATOR}@{version}")] {
            let (code, out, err) = verify_generator(&generator_image(version), &builder, &[]);
            assert_eq!(code, 0, "{version} {builder}: {out}\n{err}");
            let report: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(report["builder_id"], format!("{GENERATOR}@refs/tags/{version}"));
        }
    }
    // The policy still applies: another release of the builder is refused by the signature's
    // identity check.
    let (code, out, err) = verify_generator(&generator_image("v1.9.0"), &format!("{GENERATOR}@v1.8.0"), &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["failed_check"], "signature", "{out}");
}

/// A copy of the v1.9.0 image whose attestation's signed entry timestamp has one byte changed: the
/// only attestation fails its SET check, and the image is refused.
#[test]
fn an_intoto_attestation_with_a_changed_set_is_refused() {
    use base64::Engine as _;

    let src = root().join("cli/slsa-verifier/testdata/gha_generic_container/v1.9.0");
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("container_workflow_dispatch");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(src.join("container_workflow_dispatch/blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    std::fs::copy(
        src.join("container_workflow_dispatch/oci-layout"),
        layout.join("oci-layout"),
    )
    .unwrap();
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(src.join("container_workflow_dispatch/index.json")).unwrap())
            .unwrap();
    for m in index["manifests"].as_array_mut().unwrap() {
        if m["annotations"]["kind"] != "dev.cosignproject.cosign/atts" {
            continue;
        }
        let old = m["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_owned();
        let mut manifest: Value = serde_json::from_slice(&std::fs::read(blobs.join(&old)).unwrap()).unwrap();
        for layer in manifest["layers"].as_array_mut().unwrap() {
            let annotation = &mut layer["annotations"]["dev.sigstore.cosign/bundle"];
            let mut rekor: Value = serde_json::from_str(annotation.as_str().unwrap()).unwrap();
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut set = b64
                .decode(rekor["SignedEntryTimestamp"].as_str().unwrap())
                .unwrap();
            let last = set.len() - 3;
            set[last] ^= 1;
            rekor["SignedEntryTimestamp"] = Value::String(b64.encode(set));
            *annotation = Value::String(rekor.to_string());
        }
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = provenant_digest::Algorithm::Sha256.hash_bytes(&bytes).to_string();
        std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), &bytes).unwrap();
        m["digest"] = Value::String(digest);
        m["size"] = Value::from(bytes.len());
    }
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let digest = std::fs::read_to_string(src.join("container_workflow_dispatch.digest")).unwrap();
    let image = format!("oci:{}@{}", layout.display(), digest.trim());
    let (code, out, err) = verify_generator(&image, GENERATOR, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["failed_check"], "signature", "{out}");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("signed entry timestamp"),
        "{out}"
    );
}

/// The generator's attestation pushed under cosign's `sha256-<hex>.att` tag to a registry, as
/// `cosign attest` leaves it: found there and verified.
#[test]
fn generator_images_verify_from_a_registry_cosign_tag() {
    use std::sync::Arc;

    use provenant_oci::{CosignKind, Manifest, ManifestRef, Repository, cosign_tag};
    use provenant_registry::Store as _;
    use provenant_registry::auth::CredentialSource;
    use provenant_registry::layout::Layout;
    use provenant_registry::remote::{Client, ClientOptions, Remote};

    let registry = provenant_testkit::registry::MemoryRegistry::start();
    let dir = root().join("cli/slsa-verifier/testdata/gha_generic_container/v2.1.0");
    let image: provenant_digest::Digest =
        std::fs::read_to_string(dir.join("container_workflow_dispatch.digest"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    let layout = Layout::open(&dir.join("container_workflow_dispatch")).unwrap();
    let client = Arc::new(Client::new(ClientOptions {
        credentials: CredentialSource::anonymous(),
        ..ClientOptions::default()
    }));
    let repository: Repository = format!("{}/gha/image", registry.host()).parse().unwrap();
    let remote = Remote::new(client, repository);
    let att = layout
        .index()
        .unwrap()
        .manifests
        .into_iter()
        .find(|d| {
            d.annotations
                .as_ref()
                .and_then(|a| a.get("kind"))
                .is_some_and(|k| k == "dev.cosignproject.cosign/atts")
        })
        .unwrap();
    let fetched = layout.get_manifest(&ManifestRef::Digest(att.digest)).unwrap();
    let Manifest::Image(m) = &fetched.manifest else {
        panic!("the attestation manifest is not an image manifest");
    };
    for d in std::iter::once(&m.config).chain(&m.layers) {
        let mut blob = layout.open_blob(&d.digest, Some(d.size)).unwrap();
        remote.put_blob(&d.digest, d.size, &mut blob).unwrap();
    }
    let tag = cosign_tag(&image, CosignKind::Attestation);
    remote
        .put_manifest(&fetched.bytes, &fetched.media_type, Some(&tag))
        .unwrap();

    let reference = format!("{}/gha/image@{image}", registry.host());
    let (code, out, err) = verify_generator(&reference, GENERATOR, &["--source-branch", "main"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["attestation"], format!("{}#0", fetched.digest));
    // No attestation is attached to another digest.
    let other = format!("{}/gha/image@sha256:{}", registry.host(), "1".repeat(64));
    let (code, out, _) = verify_generator(&other, GENERATOR, &[]);
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["failed_check"], "attestation");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("no cosign attestation is attached"),
        "{out}"
    );
}

/// `verify-image --insecure-ignore-tlog`: the JSON report lists the skipped check and the text says so.
#[test]
fn skipped_transparency_log_is_reported_by_verify_image() {
    let image = generator_image("v2.1.0");
    let (code, out, err) = verify_generator(&image, GENERATOR, &["--insecure-ignore-tlog"]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    assert_eq!(code, 0, "{report}\n{err}");
    assert_eq!(report["verified"], true, "{report}");
    let (code, out, err) = run(&[
        "verify-image",
        &image,
        "--source-uri",
        "github.com/slsa-framework/example-package",
        "--builder-id",
        GENERATOR,
        "--trusted-root",
        &trusted_root(),
        "--insecure-ignore-tlog",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("skipped: transparency-log (NOT checked, by request)"),
        "{out}"
    );
    // Without the flag, nothing is listed.
    let (_, out, _) = verify_generator(&image, GENERATOR, &[]);
    assert!(
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .get("skipped")
            .is_none(),
        "{out}"
    );
}
