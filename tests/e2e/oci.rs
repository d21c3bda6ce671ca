//! `provenant oci …` and `provenant promote` as a user runs them, against layouts and docker-registry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::many_single_char_names,
    clippy::too_many_lines
)]

use std::path::Path;
use std::process::Command;

use provenant_testkit::registry::DockerRegistry;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = crate::support::provenant()
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "provenant {args:?} failed:\n{out}\n{err}");
    out
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--output", "json"]);
    serde_json::from_str(&ok(&a)).unwrap()
}

fn sample(dir: &Path) {
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("bin/hello"), b"#!/bin/sh\necho hello\n").unwrap();
    std::fs::write(dir.join("README"), b"readme\n").unwrap();
}

/// The sample (in `DIR/root`) built into the layout `DIR/dev` as `v1`: its digest and `oci:DIR/dev@DIGEST`.
fn sample_in_dev_layout(dir: &Path) -> (String, String) {
    let root = dir.join("root");
    sample(&root);
    let dev = dir.join("dev").display().to_string();
    let built = json(&["oci", "image", root.to_str().unwrap(), &format!("oci:{dev}:v1")]);
    let digest = built["digest"].as_str().unwrap().to_owned();
    let source = format!("oci:{dev}@{digest}");
    (digest, source)
}

#[test]
fn image_is_reproducible_and_attach_promote_discover_work_on_layouts() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    sample(&root);
    let p = |s: &str| t.path().join(s).display().to_string();
    let dev = format!("oci:{}:v1", p("dev"));
    let a = json(&[
        "oci",
        "image",
        root.to_str().unwrap(),
        &dev,
        "--entrypoint",
        "/bin/hello",
    ]);
    let b = json(&[
        "oci",
        "image",
        root.to_str().unwrap(),
        &format!("oci:{}:v1", p("again")),
        "--entrypoint",
        "/bin/hello",
    ]);
    assert_eq!(a["digest"], b["digest"]);
    let digest = a["digest"].as_str().unwrap().to_owned();
    let subject = format!("oci:{}@{digest}", p("dev"));

    let sbom = t.path().join("sbom.cdx.json");
    std::fs::write(
        &sbom,
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1}"#,
    )
    .unwrap();
    let att = json(&["oci", "attach", &subject, "--sbom", sbom.to_str().unwrap()]);
    assert_eq!(att["scheme"], "tag-index");
    let note = t.path().join("note.txt");
    std::fs::write(&note, b"approved").unwrap();
    ok(&[
        "oci",
        "attach",
        &subject,
        "--file",
        note.to_str().unwrap(),
        "--artifact-type",
        "application/vnd.example.note",
    ]);

    // Attaching by tag is refused; promoting by tag needs --resolve-tag.
    let (code, _, err) = run(&["oci", "attach", &dev, "--sbom", sbom.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let prod = format!("oci:{}:release", p("prod"));
    let (code, _, err) = run(&["promote", &dev, &prod]);
    assert_eq!(code, 2);
    assert!(err.contains("--resolve-tag"), "{err}");
    let report = json(&["promote", &dev, &prod, "--resolve-tag"]);
    assert_eq!(report["digest"], digest.as_str());
    assert_eq!(report["resolvedFrom"], "v1");
    let r = &report["destinations"][0]["report"];
    assert_eq!(r["referrers"].as_array().unwrap().len(), 2);
    assert_eq!(r["tags"][0], "release");

    let found = json(&["oci", "discover", &prod]);
    assert_eq!(found["subject"]["digest"], digest.as_str());
    let types: Vec<&str> = found["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["descriptor"]["artifactType"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"application/vnd.cyclonedx+json") && types.contains(&"application/vnd.example.note"),
        "{types:?}"
    );
    let filtered = json(&[
        "oci",
        "discover",
        &prod,
        "--artifact-type",
        "application/vnd.example.note",
    ]);
    assert_eq!(filtered["referrers"].as_array().unwrap().len(), 1);
    let text = ok(&["oci", "discover", &prod]);
    assert!(
        text.contains("└──") && text.contains("application/vnd.cyclonedx+json"),
        "{text}"
    );

    // Every manifest and index written (image, attachments, referrers tag index, index.json) validates
    // against the OCI image-spec schemas.
    let mut validated = 0;
    for layout in ["dev", "prod"] {
        let dir = t.path().join(layout);
        provenant_testkit::registry::assert_valid_oci(
            provenant_testkit::registry::OciSchema::Index,
            &std::fs::read(dir.join("index.json")).unwrap(),
        );
        for entry in std::fs::read_dir(dir.join("blobs/sha256")).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let schema = match doc["mediaType"].as_str() {
                Some("application/vnd.oci.image.manifest.v1+json") => {
                    provenant_testkit::registry::OciSchema::Manifest
                }
                Some("application/vnd.oci.image.index.v1+json") => {
                    provenant_testkit::registry::OciSchema::Index
                }
                _ => continue,
            };
            provenant_testkit::registry::assert_valid_oci(schema, &bytes);
            validated += 1;
        }
    }
    assert!(validated >= 8, "only {validated} manifests found");

    // Promoting again copies nothing.
    let again = json(&["promote", &format!("oci:{}@{digest}", p("dev")), &prod]);
    let r = &again["destinations"][0]["report"];
    assert_eq!(
        (r["blobsCopied"].as_u64(), r["manifestsCopied"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

#[test]
fn push_pull_round_trip_with_credentials() {
    let reg = DockerRegistry::start_with_auth("alice", "pw");
    let t = tempfile::tempdir().unwrap();
    let f1 = t.path().join("a.txt");
    let f2 = t.path().join("b.json");
    std::fs::write(&f1, b"hello artifact").unwrap();
    std::fs::write(&f2, b"{\"x\":1}").unwrap();
    let reference = format!("{}/files:v1", reg.host());
    let spec2 = format!("{}:application/json", f2.display());
    let pushed = json(&[
        "oci",
        "push",
        &reference,
        f1.to_str().unwrap(),
        &spec2,
        "--artifact-type",
        "application/vnd.example.files",
        "--creds",
        "alice:pw",
    ]);
    assert!(pushed["digest"].as_str().unwrap().starts_with("sha256:"));
    let (code, _, err) = run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        t.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("authentication") && !err.contains("pw\n"), "{err}");
    let out = t.path().join("out");
    ok(&[
        "oci",
        "pull",
        &reference,
        "-o",
        out.to_str().unwrap(),
        "--creds",
        "alice:pw",
    ]);
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"hello artifact");
    assert_eq!(std::fs::read(out.join("b.json")).unwrap(), b"{\"x\":1}");
}

#[test]
fn promote_with_verification_needs_a_verified_bundle_and_copies_nothing_otherwise() {
    use provenant_testkit::sigstore::{mock_identity_token, start_mock_sigstore};
    const ISSUER: &str = "https://issuer.example";
    const SUBJECT: &str = "releaser@example.com";
    let mock = start_mock_sigstore();
    let t = tempfile::tempdir().unwrap();
    let p = |s: &str| t.path().join(s).display().to_string();
    let (digest, source) = sample_in_dev_layout(t.path());
    let trusted_root = mock.trusted_root.to_str().unwrap().to_owned();
    let verify_flags = |identity: &str| {
        vec![
            "--certificate-identity".to_owned(),
            identity.to_owned(),
            "--certificate-oidc-issuer".to_owned(),
            ISSUER.to_owned(),
            "--trusted-root".to_owned(),
            trusted_root.clone(),
        ]
    };
    let promote = |dst: &str, identity: &str| {
        let mut args = vec![
            "promote".to_owned(),
            source.clone(),
            format!("oci:{}:prod", p(dst)),
        ];
        args.extend(verify_flags(identity));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    };
    let blobs =
        |dst: &str| std::fs::read_dir(t.path().join(dst).join("blobs/sha256")).map_or(0, Iterator::count);

    // Nothing attached: refused, nothing copied.
    let (code, out, err) = promote("prod0", SUBJECT);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("no sigstore bundle"), "{out}");
    assert_eq!(blobs("prod0"), 0);

    // Sign the image manifest keylessly and attach the bundle as a referrer.
    let manifest = t.path().join("manifest.json");
    std::fs::write(
        &manifest,
        std::fs::read(
            t.path()
                .join("dev/blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let bundle = t.path().join("image.sigstore.json");
    let token = mock_identity_token(ISSUER, SUBJECT);
    ok(&[
        "sign",
        manifest.to_str().unwrap(),
        "--bundle",
        bundle.to_str().unwrap(),
        "--identity-token",
        &token,
        "--signing-config",
        mock.signing_config.to_str().unwrap(),
    ]);
    ok(&["oci", "attach", &source, "--bundle", bundle.to_str().unwrap()]);

    // The wrong identity: refused, nothing copied.
    let (code, out, err) = promote("prod1", "someone-else@example.com");
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(blobs("prod1"), 0);

    // The right identity: promoted with its bundle, and the destination verified before tagging.
    let (code, out, err) = promote("prod2", SUBJECT);
    assert_eq!(code, 0, "{out}{err}");
    let found = json(&["oci", "discover", &format!("oci:{}:prod", p("prod2"))]);
    assert_eq!(
        found["referrers"][0]["descriptor"]["artifactType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
}

/// A promotion refused by its verifier says which check each attached bundle failed (typed: JSON
/// `failure.rejected[].check`), and one that skipped the transparency log says so in both reports.
#[test]
fn promote_names_the_failed_check_and_reports_the_skipped_transparency_log() {
    let t = tempfile::tempdir().unwrap();
    let p = |s: &str| t.path().join(s).display().to_string();
    let (digest, source) = sample_in_dev_layout(t.path());
    let keyed = |args: &[&str]| {
        let out = crate::support::provenant()
            .current_dir(t.path())
            .env("COSIGN_PASSWORD", "")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    keyed(&["keys", "generate", "--output-key-prefix", "release"]);
    let manifest = t.path().join("manifest.json");
    std::fs::copy(
        t.path()
            .join("dev/blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        &manifest,
    )
    .unwrap();
    keyed(&[
        "sign",
        "manifest.json",
        "--key",
        "release.key",
        "--bundle",
        "image.sigstore.json",
    ]);
    ok(&["oci", "attach", &source, "--bundle", &p("image.sigstore.json")]);
    let key = p("release.pub");
    let promote = |dst: &str, extra: &[&str]| {
        run(&[
            &["promote", &source, &format!("oci:{}:prod", p(dst)), "--key", &key],
            extra,
        ]
        .concat())
    };

    // A keyed bundle has no log entry: refused at the source, the check named in JSON and text.
    let (code, out, err) = promote("prod0", &["--output", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["promoted"], false, "{report}");
    assert_eq!(report["failedAt"], "source", "{report}");
    assert_eq!(report["failure"]["reason"], "none-verified", "{report}");
    assert_eq!(
        report["failure"]["rejected"][0]["check"], "transparency-log",
        "{report}"
    );
    assert!(report.get("skipped").is_none(), "nothing was skipped: {report}");
    let (code, out, _) = promote("prod0", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("transparency-log"), "{out}");
    assert!(!out.contains("skipped:"), "{out}");

    // With the log waived it is promoted, and both reports say what was skipped.
    let (code, out, err) = promote("prod1", &["--insecure-ignore-tlog", "--output", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["promoted"], true, "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    assert_eq!(
        report["destinations"][0]["report"]["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    let (code, out, err) = promote("prod2", &["--insecure-ignore-tlog"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("skipped: transparency-log (NOT checked, by request)"),
        "{out}"
    );
}

#[test]
fn credentials_from_docker_config_auths_and_credential_helpers() {
    use std::os::unix::fs::PermissionsExt as _;
    let reg = DockerRegistry::start_with_auth("carol", "helper-secret");
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("f.txt");
    std::fs::write(&file, b"x").unwrap();
    // A credential helper on PATH, named by credHelpers for this registry.
    let bin = t.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-provtest");
    std::fs::write(&helper, "#!/bin/sh\nread host\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"carol\",\"Secret\":\"helper-secret\"}' \"$host\"\n").unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let with_config = |config: serde_json::Value, args: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        crate::support::provenant()
            .args(args)
            .env("DOCKER_CONFIG", dir.path())
            .env("PATH", path)
            .output()
            .unwrap()
    };
    let reference = format!("{}/helped:v1", reg.host());
    let out = with_config(
        serde_json::json!({ "credHelpers": { reg.host(): "provtest" } }),
        &["oci", "push", &reference, file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // `auths` with base64 user:password.
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("carol:helper-secret")
    };
    let out = with_config(
        serde_json::json!({ "auths": { reg.host(): { "auth": auth } } }),
        &[
            "oci",
            "pull",
            &reference,
            "-o",
            t.path().join("out").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(t.path().join("out/f.txt")).unwrap(), b"x");
}

#[test]
fn promoting_into_a_layout_without_a_tag_lists_the_image_in_its_index() {
    let skopeo = provenant_testkit::require_on_path("skopeo");
    let t = tempfile::tempdir().unwrap();
    let p = |s: &str| t.path().join(s).display().to_string();
    let (digest, source) = sample_in_dev_layout(t.path());
    let report = json(&["promote", &source, &format!("oci:{}", p("prod"))]);
    assert_eq!(
        report["destinations"][0]["report"]["tags"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // index.json lists the manifest, untagged, and only once.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("prod/index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(entries[0]["digest"], digest.as_str());
    assert_eq!(
        entries[0]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert!(entries[0].get("annotations").is_none(), "{index}");
    // Idempotent: promoting again adds no second entry.
    json(&["promote", &source, &format!("oci:{}", p("prod"))]);
    let again = std::fs::read(t.path().join("prod/index.json")).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&again).unwrap(),
        index
    );

    // skopeo finds the layout's only image without any reference, byte for byte.
    let out = Command::new(&skopeo)
        .args(["inspect", "--raw", &format!("oci:{}", p("prod"))])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let source_manifest = std::fs::read(
        t.path()
            .join("dev/blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    assert_eq!(out.stdout, source_manifest);

    // Tagging it later replaces the untagged entry rather than listing the manifest twice.
    json(&["promote", &source, &format!("oci:{}:1.0", p("prod"))]);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("prod/index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(
        entries[0]["annotations"]["org.opencontainers.image.ref.name"],
        "1.0"
    );
    let found = json(&["oci", "discover", &format!("oci:{}@{digest}", p("prod"))]);
    assert_eq!(found["subject"]["digest"], digest.as_str());
}

#[test]
fn image_references_are_checked_when_the_arguments_are_parsed() {
    // Each command that takes an image reference refuses a malformed one as a usage error (exit 2),
    // naming the argument and the accepted forms, before it opens any store.
    let bad = "Registry.example/UPPER@@sha256";
    for args in [
        vec!["promote", bad, "oci:/nonexistent/dst"],
        vec!["promote", "oci:/nonexistent/src:1", "not a reference"],
        vec!["oci", "pull", bad, "-o", "/nonexistent"],
        vec!["oci", "discover", bad],
        vec!["oci", "attach", bad, "--file", "/nonexistent"],
        vec!["oci", "push", bad, "/nonexistent"],
        vec!["oci", "image", "/nonexistent", bad],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(
                "is not an image reference (registry/repo[:tag][@digest] or oci:PATH[:tag][@digest])"
            ),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("invalid value"),
            "a usage error names the argument: {args:?}: {err}"
        );
    }
}
