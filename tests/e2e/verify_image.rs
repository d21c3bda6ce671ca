//! `provenant verify` and `verify-attestation` of an image reference: the bundles attached to the
//! image are discovered (referrers API, referrers tag index) and tried, against an image layout,
//! docker-registry (tag index) and the in-test registry (referrers API).

use std::path::{Path, PathBuf};

use provenant_testkit::registry::{DockerRegistry, MemoryRegistry};

const PASSWORD: &str = "verify-image-test";

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let w = World {
            dir: tempfile::tempdir().unwrap(),
        };
        for who in ["release", "mallory"] {
            w.ok(&["keys", "generate", "--output-key-prefix", who]);
        }
        for (name, text) in [("one", "first\n"), ("two", "second\n")] {
            let root = w.path(name);
            std::fs::create_dir_all(root.join("bin")).unwrap();
            std::fs::write(root.join("bin/app"), format!("#!/bin/sh\necho {text}")).unwrap();
        }
        w
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = crate::support::provenant()
            .current_dir(self.dir.path())
            .env("COSIGN_PASSWORD", PASSWORD)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("DOCKER_CONFIG", "/nonexistent")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "provenant {args:?} failed:\n{out}\n{err}");
        out
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let (_, out, err) = self.run(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("provenant {args:?}: {e}\n{out}\n{err}"))
    }

    /// `verify`/`verify-attestation IMAGE --key KEY.pub` (keyed bundles carry no log entry).
    fn verify(&self, command: &str, image: &str, key: &str, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec![command, image, "--key", key, "--insecure-ignore-tlog"];
        args.extend(extra);
        self.run(&args)
    }

    /// Builds the image of `root` into `target` (`oci:DIR` or `HOST/repo`) as tag `v1` (with
    /// packaging provenance signed by release.key when `signed`); its digest.
    fn image(&self, root: &str, target: &str, signed: bool, provenance_out: Option<&str>) -> String {
        let reference = format!("{target}:v1");
        let root = self.s(root);
        let mut args = vec!["oci", "image", root.as_str(), reference.as_str()];
        if signed {
            args.extend(["--key", "release.key"]);
        }
        if let Some(out) = provenance_out {
            args.extend(["--provenance-bundle", out]);
        }
        let built = self.json(&args);
        built["digest"].as_str().unwrap().to_owned()
    }
}

/// The manifest bytes of `digest`, from a layout the same (reproducible) image was also built into.
fn manifest_bytes(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap()
}

fn scenario(target: &str, scheme: &str) {
    let w = World::new();
    let provenance = w.s("one.provenance.json");
    let one = w.image("one", target, true, Some(&provenance));
    let image = format!("{target}@{one}");

    // The packaging provenance attached by `oci image --key` verifies, for both commands.
    let out = w.verify("verify", &image, "release.pub", &[]).1;
    assert!(out.starts_with("Verified OK: "), "{out}");
    assert!(out.contains("referrer sha256:") && out.contains(scheme), "{out}");
    let (code, out, err) = w.verify("verify-attestation", &image, "release.pub", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"predicateType\""), "{out}");
    let (code, out, err) = w.verify(
        "verify-attestation",
        &image,
        "release.pub",
        &["--type", "https://slsa.dev/provenance/v1"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = w.verify(
        "verify-attestation",
        &image,
        "release.pub",
        &["--type", "https://example.com/other/v1"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("predicate-type"), "{out}");
    let report = w.json(&["verify", &image, "--key", "release.pub", "--insecure-ignore-tlog"]);
    assert_eq!(report["verified"], true, "{report}");
    assert!(report["bundle"].as_str().unwrap().contains(scheme), "{report}");

    // The wrong key: exit 1, naming the referrer and the check that failed.
    let (code, out, err) = w.verify("verify", &image, "mallory.pub", &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("Verification FAILED"), "{out}");
    assert!(out.contains("  referrer sha256:"), "{out}");
    let failed = w.json(&["verify", &image, "--key", "mallory.pub", "--insecure-ignore-tlog"]);
    assert_eq!(failed["verified"], false);
    let check = failed["candidates"][0]["check"].as_str().unwrap().to_owned();
    assert!(matches!(check.as_str(), "signature" | "public-key"), "{failed}");
    assert!(out.contains(&format!(": {check}: ")), "{out}");

    // A tag is refused unless --resolve-tag.
    let tagged = format!("{target}:v1");
    let (code, _, err) = w.verify("verify", &tagged, "release.pub", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--resolve-tag"), "{err}");
    let (code, out, err) = w.verify("verify", &tagged, "release.pub", &["--resolve-tag"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&one), "{out}");

    // A second image: nothing attached, then a bundle whose subject is another image, then a
    // message signature over its manifest bytes.
    let layout = w.path("layout-two");
    let two = w.image("two", &format!("oci:{}", layout.display()), false, None);
    assert_eq!(w.image("two", target, false, None), two);
    let image2 = format!("{target}@{two}");
    let (code, out, _) = w.verify("verify", &image2, "release.pub", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no sigstore bundle is attached"), "{out}");
    w.ok(&["oci", "attach", &image2, "--bundle", &provenance]);
    let (code, out, _) = w.verify("verify", &image2, "release.pub", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("none of the 1 sigstore bundle(s) attached verified"),
        "{out}"
    );
    assert!(out.contains(": artefact: "), "{out}");

    std::fs::write(w.path("manifest.json"), manifest_bytes(&layout, &two)).unwrap();
    w.ok(&[
        "sign",
        "manifest.json",
        "--key",
        "release.key",
        "--bundle",
        "manifest.sigstore.json",
    ]);
    w.ok(&["oci", "attach", &image2, "--bundle", "manifest.sigstore.json"]);
    let (code, out, err) = w.verify("verify", &image2, "release.pub", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(scheme), "{out}");
    // The message signature is no attestation, and the provenance is for another image.
    let (code, out, _) = w.verify("verify-attestation", &image2, "release.pub", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not a DSSE-signed attestation"), "{out}");
    assert!(out.contains(": artefact: "), "{out}");

    // An explicit --bundle with an image reference verifies that bundle for the image digest.
    let (code, out, err) = w.verify(
        "verify",
        &image2,
        "release.pub",
        &["--bundle", "manifest.sigstore.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = w.verify(
        "verify",
        &image,
        "release.pub",
        &["--bundle", "manifest.sigstore.json"],
    );
    assert_eq!(code, 1, "{out}");
}

#[test]
fn attached_bundles_verify_in_an_image_layout() {
    let w = tempfile::tempdir().unwrap();
    scenario(&format!("oci:{}", w.path().join("dev").display()), "tag-index");
}

#[test]
fn attached_bundles_verify_in_docker_registry_through_the_tag_index() {
    let reg = DockerRegistry::start();
    scenario(&format!("{}/app", reg.host()), "tag-index");
}

#[test]
fn attached_bundles_verify_through_the_referrers_api() {
    let reg = MemoryRegistry::start();
    scenario(&format!("{}/app", reg.host()), "referrers-api");
}
