//! `provenant verify-image` on Google Cloud Build provenance summaries (slsa-verifier's vectors):
//! exit 0 when every check passes, exit 1 naming the failed check, exit 2 for what cannot be verified.

use std::path::PathBuf;
use std::process::Command;

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
    let out = Command::new(env!("CARGO_BIN_EXE_provenant"))
        .env_remove("PROVENANT_GCB_KEY_DIR")
        .args(args)
        .output()
        .unwrap();
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
