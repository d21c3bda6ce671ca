//! The evidence core's defects, each with its regression test: the identity token file for every
//! command that signs, the keyed bundle without a transparency-log entry for every verifier, and
//! the checks a verification skipped shown in its report.

use std::path::Path;
use std::process::{Command, Output};

use provenant_testkit::sigstore::{MockSigstore, mock_identity_token, start_mock_sigstore};

use crate::support::base64_decode;

const ISSUER: &str = "https://issuer.example";
const SIGNER: &str = "alice@example.com";

/// `provenant ARGS` in `dir` with no token, trusted root or CI variable from the environment, at a
/// fixed `SOURCE_DATE_EPOCH`.
fn provenant(dir: &Path, args: &[&str]) -> Output {
    provenant_env(dir, args, &[])
}

/// [`provenant`] with `env` set.
fn provenant_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    crate::support::provenant()
        .envs(env.iter().copied())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn succeeded(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", text(out));
}

/// The mock sigstore and a file holding an identity token for SIGNER (with a trailing newline, as
/// CI systems write them).
struct Keyless {
    mock: MockSigstore,
    dir: tempfile::TempDir,
}

impl Keyless {
    fn new() -> Keyless {
        let mock = start_mock_sigstore();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("token.jwt"),
            format!("{}\n", mock_identity_token(ISSUER, SIGNER)),
        )
        .unwrap();
        Keyless { mock, dir }
    }

    fn token_file(&self) -> String {
        self.dir.path().join("token.jwt").to_str().unwrap().to_owned()
    }

    fn signing_config(&self) -> String {
        self.mock.signing_config.to_str().unwrap().to_owned()
    }

    /// `--identity-token FILE --signing-config CONFIG`.
    fn flags(&self) -> Vec<String> {
        vec![
            "--identity-token".to_owned(),
            self.token_file(),
            "--signing-config".to_owned(),
            self.signing_config(),
        ]
    }

    /// The bundle at `bundle` is a DSSE attestation signed by SIGNER (the token file's identity),
    /// verified against the mock's trusted root for the statement's first subject.
    fn assert_signed_by_token_file(&self, dir: &Path, bundle: &Path) {
        let b: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
        let payload = base64_decode(b["dsseEnvelope"]["payload"].as_str().unwrap());
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let subject = format!(
            "sha256:{}",
            statement["subject"][0]["digest"]["sha256"].as_str().unwrap()
        );
        let out = provenant(
            dir,
            &[
                "--output",
                "json",
                "verify-attestation",
                &subject,
                "--bundle",
                bundle.to_str().unwrap(),
                "--certificate-identity",
                SIGNER,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                self.mock.trusted_root.to_str().unwrap(),
            ],
        );
        succeeded(
            &out,
            "verify-attestation of the bundle signed with the token file",
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["identity"], SIGNER, "{report}");
        assert!(report.get("skipped").is_none(), "nothing was skipped: {report}");
    }
}

fn args<'a>(fixed: &[&'a str], keyless: &'a [String]) -> Vec<&'a str> {
    let mut all = fixed.to_vec();
    all.extend(keyless.iter().map(String::as_str));
    all
}

/// `provenant build` of the fixture project, signing its provenance into `hello.sigstore.json` with
/// the token file.
fn build_with_token_file(k: &Keyless, dir: &Path) {
    let flags = k.flags();
    let mut a = args(
        &[
            "build",
            "--subject",
            "out/hello",
            "--source",
            "github.com/org/hello",
            "--bundle",
            "hello.sigstore.json",
        ],
        &flags,
    );
    a.extend(["--", "./build.sh"]);
    succeeded(&provenant(dir, &a), "build --identity-token FILE");
}

#[test]
fn identity_token_file_build() {
    let k = Keyless::new();
    let project = crate::provenance::fixture_project();
    build_with_token_file(&k, project.path());
    k.assert_signed_by_token_file(project.path(), &project.path().join("hello.sigstore.json"));
}

#[test]
fn identity_token_file_provenance_generate() {
    let k = Keyless::new();
    let project = crate::provenance::fixture_project();
    let dir = project.path();
    assert!(
        Command::new("sh")
            .arg("build.sh")
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    );
    let flags = k.flags();
    let a = args(
        &[
            "provenance",
            "generate",
            "--subject",
            "out/hello",
            "--source",
            "github.com/org/hello",
            "--bundle",
            "hello.sigstore.json",
        ],
        &flags,
    );
    succeeded(&provenant(dir, &a), "provenance generate --identity-token FILE");
    k.assert_signed_by_token_file(dir, &dir.join("hello.sigstore.json"));
}

#[test]
fn identity_token_file_verify_provenance_vsa() {
    let k = Keyless::new();
    let project = crate::provenance::fixture_project();
    let dir = project.path();
    build_with_token_file(&k, dir);
    let flags = k.flags();
    let root = k.mock.trusted_root.to_str().unwrap().to_owned();
    let a = args(
        &[
            "verify-provenance",
            "out/hello",
            "--bundle",
            "hello.sigstore.json",
            "--source-uri",
            "github.com/org/hello",
            "--builder-id",
            provenant_slsa::LOCAL_BUILDER_ID,
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            &root,
            "--vsa-bundle",
            "vsa.sigstore.json",
        ],
        &flags,
    );
    succeeded(
        &provenant(dir, &a),
        "verify-provenance --vsa-bundle --identity-token FILE",
    );
    k.assert_signed_by_token_file(dir, &dir.join("vsa.sigstore.json"));
}

#[test]
fn identity_token_file_sbom_attest() {
    let k = Keyless::new();
    let dir = k.dir.path().to_owned();
    std::fs::copy(
        crate::sbom::fixtures().join("cargo-v4/Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let flags = k.flags();
    let a = args(&["sbom", "attest", "Cargo.lock", "--bundle", "att.json"], &flags);
    succeeded(&provenant(&dir, &a), "sbom attest --identity-token FILE");
    k.assert_signed_by_token_file(&dir, &dir.join("att.json"));
}

#[test]
fn identity_token_file_repro_check() {
    let k = Keyless::new();
    let src = provenant_testkit::committed_copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/repro/reproducible"),
    );
    let bundle = k.dir.path().join("repro.sigstore.json");
    let flags = k.flags();
    let mut a = args(
        &[
            "repro",
            "check",
            "--vary",
            "umask",
            "--artifact",
            "out/*",
            "--bundle",
            bundle.to_str().unwrap(),
        ],
        &flags,
    );
    a.extend(["--", "./build.sh"]);
    succeeded(&provenant(src.path(), &a), "repro check --identity-token FILE");
    k.assert_signed_by_token_file(src.path(), &bundle);
}

#[test]
fn identity_token_file_oci_image() {
    let k = Keyless::new();
    let dir = k.dir.path().to_owned();
    std::fs::create_dir_all(dir.join("rootfs/etc")).unwrap();
    std::fs::write(dir.join("rootfs/etc/hello"), "hello\n").unwrap();
    let layout = format!("oci:{}:v1", dir.join("layout").display());
    let flags = k.flags();
    let a = args(
        &[
            "oci",
            "image",
            "rootfs",
            &layout,
            "--keyless",
            "--provenance-bundle",
            "image.sigstore.json",
        ],
        &flags,
    );
    succeeded(&provenant(&dir, &a), "oci image --keyless --identity-token FILE");
    k.assert_signed_by_token_file(&dir, &dir.join("image.sigstore.json"));
}

/// A key pair `release.key`/`release.pub` (cosign's format, empty password) in `dir`.
fn keys(dir: &Path) {
    let out = provenant_env(
        dir,
        &["keys", "generate", "--output-key-prefix", "release"],
        &[("COSIGN_PASSWORD", "")],
    );
    succeeded(&out, "keys generate");
}

/// The failure a keyed bundle without a log entry must give: exit 1, naming the missing entry and
/// the flag that accepts it, never asking for a trusted root.
fn assert_no_tlog_entry(out: &Output, what: &str) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "{what}: {all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no transparency-log entry"), "{what}: {all}");
    assert!(stdout.contains("--insecure-ignore-tlog"), "{what}: {all}");
    assert!(!all.contains("no trusted root"), "{what}: {all}");
}

/// `a.txt` signed with `release.key` into `a.sigstore.json` (a keyed bundle: no log entry).
fn signed_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    keys(dir.path());
    std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
    let out = provenant_env(
        dir.path(),
        &[
            "sign",
            "a.txt",
            "--key",
            "release.key",
            "--bundle",
            "a.sigstore.json",
        ],
        &[("COSIGN_PASSWORD", "")],
    );
    succeeded(&out, "sign --key");
    dir
}

/// `provenant --output json ARGS`: the exit code and the report.
fn json_report(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = provenant(dir, &[&["--output", "json"][..], args].concat());
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (out.status.code(), report)
}

const VERIFY_A: [&str; 6] = [
    "verify",
    "a.txt",
    "--bundle",
    "a.sigstore.json",
    "--key",
    "release.pub",
];

#[test]
fn keyed_bundle_without_tlog_entry_verify() {
    let dir = signed_file();
    assert_no_tlog_entry(&provenant(dir.path(), &VERIFY_A), "verify --key");
    let (code, report) = json_report(dir.path(), &VERIFY_A);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["check"], "transparency-log", "{report}");
    assert_eq!(report["verified"], false, "{report}");
}

#[test]
fn skipped_transparency_log_is_reported_by_verify() {
    let dir = signed_file();
    let verify = [&VERIFY_A[..], &["--insecure-ignore-tlog"]].concat();
    let (code, report) = json_report(dir.path(), &verify);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
    let out = provenant(dir.path(), &verify);
    succeeded(&out, "verify --insecure-ignore-tlog");
    assert!(text(&out).contains("skipped: transparency-log"), "{}", text(&out));
}

#[test]
fn keyed_bundle_without_tlog_entry_verify_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keys(d);
    std::fs::write(d.join("a.txt"), "a\n").unwrap();
    std::fs::write(d.join("predicate.json"), r#"{"result": "passed"}"#).unwrap();
    let out = provenant_env(
        d,
        &[
            "attest",
            "a.txt",
            "--predicate",
            "predicate.json",
            "--type",
            "https://in-toto.io/attestation/test-result/v0.1",
            "--key",
            "release.key",
            "--bundle",
            "a.att.json",
        ],
        &[("COSIGN_PASSWORD", "")],
    );
    succeeded(&out, "attest --key");
    let out = provenant(
        d,
        &[
            "verify-attestation",
            "a.txt",
            "--bundle",
            "a.att.json",
            "--key",
            "release.pub",
        ],
    );
    assert_no_tlog_entry(&out, "verify-attestation --key");
    // With the log waived it verifies, and says what it skipped.
    let (code, report) = json_report(
        d,
        &[
            "verify-attestation",
            "a.txt",
            "--bundle",
            "a.att.json",
            "--key",
            "release.pub",
            "--insecure-ignore-tlog",
        ],
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
}

#[test]
fn keyed_bundle_without_tlog_entry_verify_provenance() {
    let project = crate::provenance::fixture_project();
    let d = project.path();
    let k = tempfile::tempdir().unwrap();
    keys(k.path());
    let key = k.path().join("release.key");
    let public = k.path().join("release.pub");
    let out = provenant_env(
        d,
        &[
            "build",
            "--subject",
            "out/hello",
            "--source",
            "github.com/org/hello",
            "--key",
            key.to_str().unwrap(),
            "--bundle",
            "hello.sigstore.json",
            "--",
            "./build.sh",
        ],
        &[("COSIGN_PASSWORD", "")],
    );
    succeeded(&out, "build --key");
    let out = provenant(
        d,
        &[
            "verify-provenance",
            "out/hello",
            "--bundle",
            "hello.sigstore.json",
            "--source-uri",
            "github.com/org/hello",
            "--builder-id",
            provenant_slsa::LOCAL_BUILDER_ID,
            "--key",
            public.to_str().unwrap(),
        ],
    );
    assert_no_tlog_entry(&out, "verify-provenance --key");
    // With the log waived it verifies, and the report says what was skipped.
    let (code, report) = json_report(
        d,
        &[
            "verify-provenance",
            "out/hello",
            "--bundle",
            "hello.sigstore.json",
            "--source-uri",
            "github.com/org/hello",
            "--builder-id",
            provenant_slsa::LOCAL_BUILDER_ID,
            "--key",
            public.to_str().unwrap(),
            "--insecure-ignore-tlog",
        ],
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!(["transparency-log"]),
        "{report}"
    );
}
