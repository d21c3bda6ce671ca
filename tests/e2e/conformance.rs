//! Acceptance: the sigstore-conformance bundle-verify suite, run through `provenant conformance
//! verify-bundle` exactly as the suite drives a client (arguments in the protocol's order), each case
//! with the artefact's path and with its `sha256:` digest; then the sigstore-python and sigstore-go
//! fixture bundles through `provenant verify`.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Output;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

use crate::support::{provenant, run};

fn sha256_hex(path: &Path) -> String {
    use std::fmt::Write as _;
    let digest = provenant_sigstore::sha256(&std::fs::read(path).unwrap());
    digest.as_bytes().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn conformance_dir() -> PathBuf {
    provenant_testkit::vectors_dir().join("sigstore-conformance")
}

/// `provenant conformance verify-bundle` for one case, as the suite would invoke it.
fn conformance_case(case: &Path, by_digest: bool) -> Output {
    let mut cmd = provenant();
    cmd.args(["conformance", "verify-bundle", "--bundle"])
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").is_file() {
        cmd.arg("--key").arg(case.join("key.pub"));
    } else {
        let read = |name: &str, default: &str| {
            std::fs::read_to_string(case.join(name))
                .map_or_else(|_| default.to_owned(), |s| s.trim().to_owned())
        };
        cmd.args(["--certificate-identity", &read("identity", DEFAULT_IDENTITY)]);
        cmd.args(["--certificate-oidc-issuer", &read("issuer", DEFAULT_ISSUER)]);
    }
    if case.join("trusted_root.json").is_file() {
        cmd.arg("--trusted-root").arg(case.join("trusted_root.json"));
    } else {
        // The suite's "production instance": Provenant embeds no root, so the snapshot comes from the
        // environment, as a harness running the real suite would set it.
        cmd.env(
            "PROVENANT_TRUSTED_ROOT",
            conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json"),
        );
    }
    let artifact = if case.join("artifact").is_file() {
        case.join("artifact")
    } else {
        case.parent().unwrap().join("a.txt")
    };
    if by_digest {
        cmd.arg(format!("sha256:{}", sha256_hex(&artifact)));
    } else {
        cmd.arg(&artifact);
    }
    run(&mut cmd)
}

#[test]
fn sigstore_conformance_bundle_verify_cases() {
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70);
    let (mut verified, mut rejected, mut wrong) = (0, 0, Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = name.ends_with("_fail");
        for by_digest in [false, true] {
            let out = conformance_case(case, by_digest);
            match (out.status.code(), must_fail) {
                (Some(0), false) => verified += 1,
                (Some(c), true) if c != 0 => rejected += 1,
                (code, _) => wrong.push(format!(
                    "{name} (digest: {by_digest}) exit {code:?}\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 140 runs wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // 21 cases verify and 49 are rejected, each run twice.
    assert_eq!((verified, rejected), (42, 98));
}

/// `provenant verify FILE --bundle B --certificate-identity-regexp .* --trusted-root R [extra]`.
fn verify_any_identity(artifact: &str, bundle: &Path, root: &Path, extra: &[&str]) -> Output {
    run(provenant()
        .args(["verify", artifact, "--bundle"])
        .arg(bundle)
        .args(["--certificate-identity-regexp", ".*", "--trusted-root"])
        .arg(root)
        .args(extra))
}

fn assert_verified(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what} should verify:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_rejected(out: &Output, what: &str, check: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what} must be rejected:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(check),
        "{what}: the report should name {check:?}:\n{stdout}"
    );
}

#[test]
// One table of fixtures and their expected outcomes reads better whole than split.
#[allow(clippy::too_many_lines)]
fn sigstore_python_fixtures() {
    let py = provenant_testkit::vectors_dir().join("sigstore-python");
    let assets = py.join("test/assets");
    let staging = py.join("embedded-trust-roots/staging/trusted_root.json");
    let prod = py.join("embedded-trust-roots/prod/trusted_root.json");
    let a = |name: &str| assets.join(name);
    let path = |name: &str| a(name).to_string_lossy().into_owned();
    let digest = |name: &str| format!("sha256:{}", sha256_hex(&a(name)));

    for (artifact, bundle) in [
        ("bundle.txt", "bundle.txt.sigstore"),
        ("bundle_v3.txt", "bundle_v3.txt.sigstore"),
        ("bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore"),
        ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json"),
    ] {
        for input in [path(artifact), digest(artifact)] {
            assert_verified(&verify_any_identity(&input, &a(bundle), &staging, &[]), bundle);
        }
    }
    // The Rekor v2 DSSE bundle's statement names the conformance suite's a.txt as its subject.
    let subject = format!(
        "sha256:{}",
        sha256_hex(&conformance_dir().join("test/assets/a.txt"))
    );
    let dsse = a("a.dsse.staging-rekor-v2.txt.sigstore.json");
    assert_verified(
        &verify_any_identity(&subject, &dsse, &staging, &[]),
        "a.dsse.staging-rekor-v2",
    );
    assert_rejected(
        &verify_any_identity(&path("a.dsse.staging-rekor-v2.txt"), &dsse, &staging, &[]),
        "a DSSE bundle for another subject",
        "artefact mismatch",
    );
    // A GitHub Actions-signed wheel against the production root, with the workflow identity and
    // extensions pinned.
    let wheel = run(provenant()
        .args(["verify", &path("bundle_v3_github.whl"), "--bundle"])
        .arg(a("bundle_v3_github.whl.sigstore"))
        .args([
            "--certificate-identity",
            "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
            "--certificate-oidc-issuer",
            DEFAULT_ISSUER,
            "--certificate-extension",
            "source-repository-uri=https://github.com/trailofbits/rfc8785.py",
            "--certificate-extension",
            "source-repository-ref=refs/tags/v0.1.2",
            "--trusted-root",
        ])
        .arg(&prod));
    assert_verified(&wheel, "bundle_v3_github.whl");
    let wrong_ref = run(provenant()
        .args(["verify", &path("bundle_v3_github.whl"), "--bundle"])
        .arg(a("bundle_v3_github.whl.sigstore"))
        .args([
            "--certificate-identity-regexp",
            "https://github.com/trailofbits/.*",
        ])
        .args([
            "--certificate-extension",
            "source-repository-ref=refs/heads/main",
            "--trusted-root",
        ])
        .arg(&prod));
    assert_rejected(
        &wrong_ref,
        "a wheel from another ref",
        "certificate extension source-repository-ref mismatch",
    );

    for (artifact, bundle, check) in [
        (
            "bundle_cve_2022_36056.txt",
            "bundle_cve_2022_36056.txt.sigstore",
            "log entry does not match",
        ),
        (
            "bundle_invalid_version.txt",
            "bundle_invalid_version.txt.sigstore",
            "unsupported mediaType",
        ),
        (
            "bundle_no_cert_v1.txt",
            "bundle_no_cert_v1.txt.sigstore",
            "x509CertificateChain.certificates",
        ),
        (
            "bundle_no_log_entry.txt",
            "bundle_no_log_entry.txt.sigstore",
            "inclusion promise",
        ),
        (
            "bundle_no_checkpoint.txt",
            "bundle_no_checkpoint.txt.sigstore",
            "checkpoint",
        ),
        (
            "bundle_v3_no_signed_time.txt",
            "bundle_v3_no_signed_time.txt.sigstore.json",
            "no verified signing time",
        ),
    ] {
        assert_rejected(
            &verify_any_identity(&path(artifact), &a(bundle), &staging, &[]),
            bundle,
            check,
        );
    }
}

#[test]
fn sigstore_python_timestamp_authority_fixtures() {
    let py = provenant_testkit::vectors_dir().join("sigstore-python");
    let assets = py.join("test/assets");
    let staging = py.join("embedded-trust-roots/staging/trusted_root.json");
    let a = |name: &str| assets.join(name);
    let path = |name: &str| a(name).to_string_lossy().into_owned();
    // Timestamp-authority cases: staging plus tsa/ca.json as the only timestamp authority. Every
    // bundle here carries at least one RFC 3161 timestamp that does not verify (imprint of another
    // message, or a signer not in the root); sigstore-python drops such a timestamp and counts the
    // others, Provenant rejects the bundle: a timestamp that is present must verify.
    let dir = tempfile::tempdir().unwrap();
    let mut root: serde_json::Value = serde_json::from_slice(&std::fs::read(&staging).unwrap()).unwrap();
    root["timestampAuthorities"] = serde_json::json!([serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(a("tsa/ca.json")).unwrap()
    )
    .unwrap()]);
    let tsa_root = dir.path().join("tsa_root.json");
    std::fs::write(&tsa_root, serde_json::to_vec(&root).unwrap()).unwrap();
    for bundle in [
        "bundle.txt.sigstore",
        "bundle.txt.late_timestamp.sigstore",
        "bundle.many_timestamp.sigstore",
        "bundle.duplicate.sigstore",
    ] {
        assert_rejected(
            &verify_any_identity(
                &path("tsa/bundle.txt"),
                &a(&format!("tsa/{bundle}")),
                &tsa_root,
                &[],
            ),
            bundle,
            "RFC 3161 timestamp",
        );
    }
    // The same trust root, read from sigstore-python's client trust configuration form.
    assert_rejected(
        &verify_any_identity(
            &path("tsa/bundle.txt"),
            &a("tsa/bundle.txt.sigstore"),
            &a("tsa/trust_config.json"),
            &[],
        ),
        "TSA bundle against a root without its TSA",
        "RFC 3161 timestamp",
    );
}

#[test]
fn sigstore_go_fixtures() {
    let go = provenant_testkit::vectors_dir().join("sigstore-go");
    let data = go.join("pkg/testing/data");
    // A keyed v0.3 bundle with an RFC 3161 timestamp and no log entry: verifies only when the log is
    // explicitly waived, and never with it required.
    let bundle = data.join("bundles/public-key-validity.sigstore.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let message = json["messageSignature"]["messageDigest"]["digest"]
        .as_str()
        .unwrap();
    let bytes = base64_decode(message);
    let hex = provenant_digest::Digest::from_bytes(provenant_digest::Algorithm::Sha256, &bytes)
        .unwrap()
        .hex();
    let keyed = |extra: &[&str]| {
        run(provenant()
            .args(["verify", &format!("sha256:{hex}"), "--bundle"])
            .arg(&bundle)
            .arg("--key")
            .arg(data.join("public-keys/public-key-validity.pem"))
            .arg("--trusted-root")
            .arg(data.join("trusted-roots/public-key-validity.json"))
            .args(extra))
    };
    assert_verified(
        &keyed(&["--insecure-ignore-tlog"]),
        "public-key-validity with the log waived",
    );
    assert_rejected(
        &keyed(&[]),
        "public-key-validity with the log required",
        "inclusion",
    );

    // GitHub's staging instance: a v0.1 DSSE bundle with an RFC 3161 timestamp, no log and no SCT.
    let github = go.join("examples/bundle-github-staging.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&github).unwrap()).unwrap();
    let statement: serde_json::Value =
        serde_json::from_slice(&base64_decode(json["dsseEnvelope"]["payload"].as_str().unwrap())).unwrap();
    let subject = format!(
        "sha512:{}",
        statement["subject"][0]["digest"]["sha512"].as_str().unwrap()
    );
    let gh = |extra: &[&str]| {
        run(provenant()
            .args(["verify", &subject, "--bundle"])
            .arg(&github)
            .args(["--certificate-identity", "cody@soyland.com"])
            .args([
                "--certificate-oidc-issuer",
                "https://github.com/login/oauth",
                "--trusted-root",
            ])
            .arg(go.join("examples/trusted-root-github-staging.json"))
            .args(extra))
    };
    assert_verified(
        &gh(&["--insecure-ignore-tlog", "--insecure-ignore-sct"]),
        "GitHub staging bundle",
    );
    assert_rejected(
        &gh(&["--insecure-ignore-sct"]),
        "GitHub staging bundle with the log required",
        "inclusion promise",
    );
    assert_rejected(
        &gh(&["--insecure-ignore-tlog"]),
        "GitHub staging bundle with the SCT required",
        "SCT",
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn json_report_names_the_failed_check() {
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let root = conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json");
    for (case, check, words) in [
        (
            "inclusion-proof-corrupted-hash_fail",
            "inclusion-proof",
            "inclusion proof does not match checkpoint root",
        ),
        (
            "set-invalid-signature_fail",
            "signed-entry-timestamp",
            "signed entry timestamp (SET)",
        ),
        ("invalid-checkpoint-signature_fail", "checkpoint", "checkpoint"),
        ("signature-mismatch_fail", "signature", "signature check failed"),
        (
            "integrated-time-in-future_fail",
            "certificate-validity",
            "certificate not valid at integrated time",
        ),
    ] {
        let case_dir = dir.join(case);
        let read = |name: &str, default: &str| {
            std::fs::read_to_string(case_dir.join(name))
                .map_or_else(|_| default.to_owned(), |s| s.trim().to_owned())
        };
        let out = run(provenant()
            .args(["--output", "json", "verify"])
            .arg(dir.join("a.txt"))
            .arg("--bundle")
            .arg(case_dir.join("bundle.sigstore.json"))
            .args(["--certificate-identity", &read("identity", DEFAULT_IDENTITY)])
            .args(["--certificate-oidc-issuer", &read("issuer", DEFAULT_ISSUER)])
            .arg("--trusted-root")
            .arg(&root));
        assert_eq!(out.status.code(), Some(1), "{case}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verified"], false, "{case}");
        assert_eq!(report["check"], check, "{case}: {report}");
        assert!(
            report["error"].as_str().unwrap().contains(words),
            "{case}: {report}"
        );
    }
}

#[test]
fn staging_flag_takes_the_staging_root() {
    let dir = conformance_dir().join("test/assets/bundle-verify");
    let verify = |staging: bool| {
        let mut cmd = provenant();
        cmd.args(["conformance", "verify-bundle"]);
        if staging {
            cmd.arg("--staging");
        }
        cmd.arg("--bundle")
            .arg(dir.join("bundle-from-wrong-instance_fail/bundle.sigstore.json"))
            .args([
                "--certificate-identity",
                DEFAULT_IDENTITY,
                "--certificate-oidc-issuer",
                DEFAULT_ISSUER,
            ])
            .arg(dir.join("a.txt"))
            .env(
                "PROVENANT_TRUSTED_ROOT",
                conformance_dir().join("prod-trusted-root-snapshot/trusted_root.json"),
            )
            .env(
                "PROVENANT_STAGING_TRUSTED_ROOT",
                conformance_dir().join("prod-trusted-root-snapshot/staging_trusted_root.json"),
            );
        run(&mut cmd)
    };
    // A staging bundle: rejected against production, verified against staging.
    assert_eq!(verify(false).status.code(), Some(1));
    assert_eq!(verify(true).status.code(), Some(0));
}

/// Issue 15, item 3: `verify`'s failures (identity, issuer, extension, artefact, and a usage error), in
/// text and JSON, read as text: no `Some(`, `None` or Debug-escaped quote.
#[test]
fn verify_messages_carry_no_rust_debug_values() {
    let assets = provenant_testkit::vectors_dir().join("sigstore-python/test/assets");
    let a = |name: &str| assets.join(name);
    let prod =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let wheel = a("bundle_v3_github.whl").display().to_string();
    let other = a("bundle.txt").display().to_string();
    let cases: [(&str, &[&str]); 5] = [
        (
            &wheel,
            &[
                "--certificate-identity",
                "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main",
            ],
        ),
        (
            &wheel,
            &[
                "--certificate-identity-regexp",
                ".*",
                "--certificate-oidc-issuer",
                "https://accounts.google.com",
            ],
        ),
        (
            &wheel,
            &[
                "--certificate-identity-regexp",
                ".*",
                "--certificate-extension",
                "source-repository-ref=refs/heads/x",
            ],
        ),
        (&other, &["--certificate-identity-regexp", ".*"]),
        (
            &wheel,
            &[
                "--certificate-identity-regexp",
                ".*",
                "--certificate-extension",
                "no-such-extension=1",
            ],
        ),
    ];
    for (artifact, policy) in cases {
        for json in [false, true] {
            let mut cmd = provenant();
            cmd.args(["verify", artifact, "--bundle"])
                .arg(a("bundle_v3_github.whl.sigstore"))
                .args(policy)
                .arg("--trusted-root")
                .arg(&prod);
            if json {
                cmd.args(["--output", "json"]);
            }
            let out = run(&mut cmd);
            assert_ne!(out.status.code(), Some(0), "{policy:?}");
            crate::support::assert_no_debug_values(&out, &format!("verify {policy:?} json={json}"));
        }
    }
}
