//! `provenant sbom attest`: the SBOM of a directory, a file or an image signed as an in-toto statement
//! about the target's digest, keyed and keyless, checked by `provenant verify-attestation`, in-toto's
//! validator, securesystemslib and sigstore-python; for an image, attached and discovered as a referrer.

use std::path::Path;
use std::process::{Command, Output};

use provenant_testkit::sigstore::{mock_identity_token, start_mock_sigstore};
use serde_json::Value;

use crate::sbom::{cdx_strict, fixtures, generate, json};
use crate::support::{provenant, run, stderr, stdout, succeeded};

const CDX: &str = "https://cyclonedx.org/bom";
const SPDX: &str = "https://spdx.dev/Document";
const ISSUER: &str = "https://issuer.example";
const IDENTITY: &str = "alice@example.com";

fn p(dir: &Path, args: &[&str]) -> Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(args))
}

/// `verify-attestation SUBJECT [--bundle BUNDLE] --key KEY --insecure-ignore-tlog [--type TYPE]` in `dir`.
fn verify_with_key(dir: &Path, subject: &str, bundle: Option<&str>, key: &str, ty: Option<&str>) -> Output {
    let mut args = vec!["verify-attestation", subject];
    if let Some(b) = bundle {
        args.extend(["--bundle", b]);
    }
    args.extend(["--key", key, "--insecure-ignore-tlog"]);
    if let Some(t) = ty {
        args.extend(["--type", t]);
    }
    p(dir, &args)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    succeeded(&p(dir, args), args)
}

fn keypair(dir: &Path, name: &str) {
    ok(dir, &["keys", "generate", "--output-key-prefix", name]);
}

fn tree_digest(path: &Path) -> String {
    let out = stdout(&run(provenant().arg("digest").arg(path)));
    out.split_whitespace().next().unwrap().to_owned()
}

fn statement_predicate(statement: &Path) -> Value {
    json(statement)["predicate"].clone()
}

fn python_check(dir: &Path, script: &str, args: &[&Path]) {
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let harness = provenant_testkit::repo_root().join("tests/harness");
    let mut cmd = Command::new(python);
    cmd.current_dir(dir).arg(harness.join(script)).args(args);
    let o = run(&mut cmd);
    assert!(o.status.success(), "{script}: {}{}", stdout(&o), stderr(&o));
}

#[test]
fn keyed_directory_sbom_attestation_verifies_everywhere() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "release");
    keypair(dir, "other");
    let target = fixtures().join("cargo-v4");
    let target_s = target.to_str().unwrap();
    let report: Value = serde_json::from_str(&ok(
        dir,
        &[
            "--output",
            "json",
            "sbom",
            "attest",
            target_s,
            "--key",
            "release.key",
            "--bundle",
            "att.json",
            "--statement",
            "statement.json",
        ],
    ))
    .unwrap();
    let digest = tree_digest(&target);
    assert_eq!(report["subject"], format!("cargo-v4@{digest}"));
    assert_eq!(report["predicate_type"], CDX);
    assert_eq!(report["components"], 7);

    // The statement: subject the tree digest, predicate exactly what `sbom generate` writes.
    let statement = json(&dir.join("statement.json"));
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], CDX);
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        digest.trim_start_matches("sha256:")
    );
    let generated = dir.join("generated.json");
    assert!(
        generate(&target, "cyclonedx-json", &generated, Some("1700000000"))
            .status
            .success()
    );
    assert_eq!(statement["predicate"], json(&generated));
    let predicate = dir.join("predicate.json");
    std::fs::write(
        &predicate,
        serde_json::to_vec(&statement_predicate(&dir.join("statement.json"))).unwrap(),
    )
    .unwrap();
    cdx_strict(&predicate);

    // Provenant verifies it by the tree digest, with the right key and type only.
    let verify = |key: &str, ty: &str| verify_with_key(dir, &digest, Some("att.json"), key, Some(ty));
    let o = verify("release.pub", CDX);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(verify("release.pub", SPDX).status.code(), Some(1));
    assert_eq!(verify("other.pub", CDX).status.code(), Some(1));
    let other = format!("sha256:{}", "0".repeat(64));
    let o = verify_with_key(dir, &other, Some("att.json"), "release.pub", None);
    assert_eq!(o.status.code(), Some(1), "another subject must not verify");

    // in-toto's validator accepts the statement, securesystemslib the DSSE signature.
    python_check(dir, "validate_statement.py", &[&dir.join("statement.json")]);
    python_check(
        dir,
        "verify_dsse.py",
        &[&dir.join("att.json"), &dir.join("release.pub")],
    );
}

#[test]
fn attest_excludes_as_generate_does() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "release");
    let target = fixtures().join("cargo-v4");
    let target_s = target.to_str().unwrap();
    let digest = tree_digest(&target);
    // --exclude applies as in `generate`: the subject stays the whole tree, the predicate lists nothing
    // from the excluded lockfile.
    let excluded: Value = serde_json::from_str(&ok(
        dir,
        &[
            "--output",
            "json",
            "sbom",
            "attest",
            target_s,
            "--exclude",
            "./Cargo.lock",
            "--key",
            "release.key",
            "--bundle",
            "excluded.json",
            "--statement",
            "excluded-statement.json",
        ],
    ))
    .unwrap();
    assert_eq!(excluded["components"], 0);
    assert_eq!(excluded["subject"], format!("cargo-v4@{digest}"));
    assert_eq!(
        json(&dir.join("excluded-statement.json"))["predicate"]["components"],
        serde_json::json!([])
    );
}

#[test]
fn keyed_spdx_attestation_of_a_lockfile() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "release");
    let lock = fixtures().join("npm-v3/package-lock.json");
    let lock_s = lock.to_str().unwrap();
    ok(
        dir,
        &[
            "sbom",
            "attest",
            lock_s,
            "--format",
            "spdx-json",
            "--key",
            "release.key",
            "--bundle",
            "att.json",
            "--statement",
            "statement.json",
        ],
    );
    let o = p(
        dir,
        &[
            "--output",
            "json",
            "verify-attestation",
            lock_s,
            "--bundle",
            "att.json",
            "--key",
            "release.pub",
            "--insecure-ignore-tlog",
            "--type",
            SPDX,
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let predicate = statement_predicate(&dir.join("statement.json"));
    assert_eq!(predicate["spdxVersion"], "SPDX-2.3");
    let file = dir.join("predicate.spdx.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&predicate).unwrap()).unwrap();
    let pyspdxtools = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let v = run(Command::new(pyspdxtools).arg("-i").arg(&file));
    assert!(
        v.status.success() && stdout(&v).trim().is_empty(),
        "{}{}",
        stdout(&v),
        stderr(&v)
    );
    python_check(
        dir,
        "verify_dsse.py",
        &[&dir.join("att.json"), &dir.join("release.pub")],
    );
    // --attach is for images.
    let o = p(
        dir,
        &[
            "sbom",
            "attest",
            lock_s,
            "--key",
            "release.key",
            "--bundle",
            "x.json",
            "--attach",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--attach needs an image target"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn keyless_sbom_attestation_verifies_with_provenant_and_sigstore_python() {
    let mock = start_mock_sigstore();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let lock = fixtures().join("cargo-v4/Cargo.lock");
    let lock_s = lock.to_str().unwrap();
    let token = mock_identity_token(ISSUER, IDENTITY);
    let signing_config = mock.signing_config.to_str().unwrap().to_owned();
    ok(
        dir,
        &[
            "sbom",
            "attest",
            lock_s,
            "--identity-token",
            &token,
            "--signing-config",
            &signing_config,
            "--bundle",
            "att.json",
        ],
    );
    let bundle = json(&dir.join("att.json"));
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    let trusted_root = mock.trusted_root.to_str().unwrap().to_owned();
    let verify = |identity: &str| {
        p(
            dir,
            &[
                "--output",
                "json",
                "verify-attestation",
                lock_s,
                "--bundle",
                "att.json",
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                ISSUER,
                "--type",
                CDX,
                "--trusted-root",
                &trusted_root,
            ],
        )
    };
    let o = verify(IDENTITY);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["statement"]["predicate"]["bomFormat"], "CycloneDX");
    assert_eq!(verify("mallory@example.com").status.code(), Some(1));
    // sigstore-python checks the certificate, the log entry and that the subject is the lockfile.
    let sigstore = provenant_testkit::require_venv_tool("sigstore", "sigstore");
    let v = run(Command::new(sigstore)
        .arg("--trust-config")
        .arg(&mock.client_trust_config)
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(dir.join("att.json"))
        .args(["--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER])
        .arg(&lock));
    assert!(
        v.status.success(),
        "sigstore-python: {}{}",
        stdout(&v),
        stderr(&v)
    );
}

#[test]
fn image_sbom_attestation_is_attached_and_discovered() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    keypair(dir, "release");
    let root = fixtures().join("npm-v3");
    let built: Value = serde_json::from_str(&ok(
        dir,
        &[
            "--output",
            "json",
            "oci",
            "image",
            root.to_str().unwrap(),
            "oci:layout:v1",
        ],
    ))
    .unwrap();
    let digest = built["digest"].as_str().unwrap().to_owned();
    let image = format!("oci:layout@{digest}");
    let report: Value = serde_json::from_str(&ok(
        dir,
        &[
            "--output",
            "json",
            "sbom",
            "attest",
            "oci:layout:v1",
            "--key",
            "release.key",
            "--bundle",
            "att.json",
            "--statement",
            "statement.json",
            "--attach",
        ],
    ))
    .unwrap();
    assert_eq!(report["subject"], format!("layout@{digest}"));
    assert!(report["attached"].as_str().unwrap().starts_with("sha256:"));
    let statement = json(&dir.join("statement.json"));
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        digest.trim_start_matches("sha256:")
    );
    assert_eq!(
        statement["predicate"]["metadata"]["component"]["type"],
        "container"
    );
    // verify-attestation finds the bundle among the image's referrers.
    let o = verify_with_key(dir, &image, None, "release.pub", Some(CDX));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = verify_with_key(dir, &image, None, "release.pub", Some(SPDX));
    assert_eq!(
        o.status.code(),
        Some(1),
        "no SPDX SBOM is attached: {}",
        stdout(&o)
    );
    python_check(
        dir,
        "verify_dsse.py",
        &[&dir.join("att.json"), &dir.join("release.pub")],
    );
}
