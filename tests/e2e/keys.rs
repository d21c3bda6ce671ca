//! Keyed signing end to end: `provenant keys generate`, `sign --key`, `attest --key`, checked by
//! `provenant verify`, sigstore-js and securesystemslib, with tamper tests.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{base64_decode, base64_encode, provenant, run, stderr, stdout};

fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .args(args))
}

fn keypair(dir: &Path, kind: &str) {
    let out = p(
        dir,
        &["keys", "generate", "--kind", kind, "--output-key-prefix", kind],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn generated_keys_are_cosign_files_and_open_with_the_password() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "ecdsa-p256");
    let key = fs::read_to_string(t.path().join("ecdsa-p256.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &fs::metadata(t.path().join("ecdsa-p256.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let public = p(t.path(), &["keys", "public-key", "--key", "ecdsa-p256.key"]);
    assert_eq!(
        stdout(&public),
        fs::read_to_string(t.path().join("ecdsa-p256.pub")).unwrap()
    );
    let wrong = run(provenant()
        .current_dir(t.path())
        .env("COSIGN_PASSWORD", "nope")
        .args(["keys", "public-key", "--key", "ecdsa-p256.key"]));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("wrong password"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("s3cret"));
    // Refuses to overwrite, and refuses to hang waiting for a password with no terminal.
    assert_eq!(
        p(
            t.path(),
            &["keys", "generate", "--output-key-prefix", "ecdsa-p256"]
        )
        .status
        .code(),
        Some(2)
    );
    let no_pw = run(provenant()
        .current_dir(t.path())
        .stdin(std::process::Stdio::null())
        .args(["keys", "generate", "--output-key-prefix", "other"]));
    assert_eq!(no_pw.status.code(), Some(2));
    assert!(stderr(&no_pw).contains("COSIGN_PASSWORD"), "{}", stderr(&no_pw));
}

#[test]
fn a_forced_key_over_a_world_readable_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = tempfile::tempdir().unwrap();
    // A stale key file others may read: --force replaces it, never inherits its permissions.
    fs::write(t.path().join("old.key"), b"stale").unwrap();
    fs::set_permissions(t.path().join("old.key"), fs::Permissions::from_mode(0o644)).unwrap();
    let out = p(
        t.path(),
        &["keys", "generate", "--force", "--output-key-prefix", "old"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let key = fs::metadata(t.path().join("old.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    assert!(
        fs::read_to_string(t.path().join("old.key"))
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    );
    // No temporary file is left beside it.
    let names: Vec<String> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn keyed_blob_signatures_verify_and_every_tamper_is_named() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("artefact.bin"), b"the artefact\n").unwrap();
    for kind in ["ecdsa-p256", "ecdsa-p384", "ed25519"] {
        keypair(t.path(), kind);
        let bundle = format!("{kind}.bundle");
        let pubkey = format!("{kind}.pub");
        let signed = p(
            t.path(),
            &[
                "sign",
                "artefact.bin",
                "--key",
                &format!("{kind}.key"),
                "--bundle",
                &bundle,
            ],
        );
        assert!(signed.status.success(), "{kind}: {}", stderr(&signed));
        let verify = |artefact: &str, bundle: &str, key: &str| {
            p(
                t.path(),
                &[
                    "verify",
                    artefact,
                    "--bundle",
                    bundle,
                    "--key",
                    key,
                    "--insecure-ignore-tlog",
                ],
            )
        };
        let ok = verify("artefact.bin", &bundle, &pubkey);
        assert!(ok.status.success(), "{kind}: {}{}", stdout(&ok), stderr(&ok));
        let digest = format!("sha256:{}", provenant_digest_hex(&t.path().join("artefact.bin")));
        if kind == "ecdsa-p256" {
            // A SHA-256 signature also verifies for the artefact given only by its digest.
            let by_digest = verify(&digest, &bundle, &pubkey);
            assert!(
                by_digest.status.success(),
                "{}{}",
                stdout(&by_digest),
                stderr(&by_digest)
            );
        }

        // Without the explicit waiver a keyed bundle with no log entry is refused.
        let strict = p(
            t.path(),
            &["verify", "artefact.bin", "--bundle", &bundle, "--key", &pubkey],
        );
        assert_ne!(strict.status.code(), Some(0), "{kind}: accepted without a log");

        // One byte of the artefact.
        fs::write(t.path().join("tampered.bin"), b"the artefacT\n").unwrap();
        let bad = verify("tampered.bin", &bundle, &pubkey);
        assert_eq!(bad.status.code(), Some(1));
        // P-256 bundles carry the SHA-256 the artefact must have; for other schemes the signature over
        // the content is what fails.
        let named = if kind == "ecdsa-p256" {
            "artefact mismatch"
        } else {
            "signature check failed"
        };
        assert!(stdout(&bad).contains(named), "{kind}: {}", stdout(&bad));

        // One byte of the signature.
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(t.path().join(&bundle)).unwrap()).unwrap();
        let sig = json["messageSignature"]["signature"].as_str().unwrap().to_owned();
        let mut raw = base64_decode(&sig);
        let last = raw.len() - 1;
        raw[last] ^= 1;
        json["messageSignature"]["signature"] = serde_json::json!(base64_encode(&raw));
        fs::write(t.path().join("badsig.bundle"), json.to_string()).unwrap();
        let bad = verify("artefact.bin", "badsig.bundle", &pubkey);
        assert_eq!(bad.status.code(), Some(1), "{kind}: {}", stdout(&bad));
        assert!(
            stdout(&bad).to_lowercase().contains("signature"),
            "{kind}: {}",
            stdout(&bad)
        );
    }
    // Another key.
    let other = p(
        t.path(),
        &[
            "verify",
            "artefact.bin",
            "--bundle",
            "ecdsa-p256.bundle",
            "--key",
            "ecdsa-p384.pub",
            "--insecure-ignore-tlog",
        ],
    );
    assert_eq!(other.status.code(), Some(1), "{}", stdout(&other));
}

#[test]
fn keyed_attestations_verify_here_with_sigstore_js_and_securesystemslib() {
    let t = tempfile::tempdir().unwrap();
    keypair(t.path(), "ecdsa-p256");
    fs::write(t.path().join("artefact.bin"), b"payload\n").unwrap();
    fs::write(t.path().join("predicate.json"), br#"{"verdict":"reproducible"}"#).unwrap();
    let out = p(
        t.path(),
        &[
            "attest",
            "artefact.bin",
            "other@sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
            "--predicate",
            "predicate.json",
            "--type",
            "https://provenant.dev/attestation/reproducibility/v1",
            "--key",
            "ecdsa-p256.key",
            "--bundle",
            "att.json",
            "--statement",
            "statement.json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let ok = p(
        t.path(),
        &[
            "verify-attestation",
            "artefact.bin",
            "--bundle",
            "att.json",
            "--key",
            "ecdsa-p256.pub",
            "--insecure-ignore-tlog",
            "--type",
            "https://provenant.dev/attestation/reproducibility/v1",
            "--output",
            "json",
        ],
    );
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("reproducible"), "{}", stdout(&ok));

    // in-toto's own validator accepts the statement.
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let harness = provenant_testkit::repo_root().join("tests/harness");
    let v = run(Command::new(&python)
        .arg(harness.join("validate_statement.py"))
        .arg(t.path().join("statement.json")));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    // securesystemslib verifies the DSSE envelope with the public key.
    let v = run(Command::new(&python)
        .arg(harness.join("verify_dsse.py"))
        .arg(t.path().join("att.json"))
        .arg(t.path().join("ecdsa-p256.pub")));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    // sigstore-js verifies the keyed bundle (no log required for a keyed bundle without entries).
    let node_modules = provenant_testkit::require_node_modules("sigstore");
    let empty_root = t.path().join("empty_root.json");
    fs::write(
        &empty_root,
        r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#,
    )
    .unwrap();
    let js = |bundle: &str, artefact: Option<&str>| {
        let mut cmd = Command::new(provenant_testkit::require_on_path("node"));
        cmd.env("NODE_PATH", &node_modules)
            .arg(harness.join("sigstore-js-verify.js"))
            .arg(&empty_root)
            .arg(t.path().join(bundle));
        if let Some(a) = artefact {
            cmd.arg(t.path().join(a));
        }
        cmd.arg("--key").arg(t.path().join("ecdsa-p256.pub"));
        run(&mut cmd)
    };
    let signed = p(
        t.path(),
        &[
            "sign",
            "artefact.bin",
            "--key",
            "ecdsa-p256.key",
            "--bundle",
            "blob.json",
        ],
    );
    assert!(signed.status.success());
    let v = js("blob.json", Some("artefact.bin"));
    assert!(
        v.status.success(),
        "sigstore-js, blob: {}{}",
        stdout(&v),
        stderr(&v)
    );
    let v = js("att.json", None);
    assert!(
        v.status.success(),
        "sigstore-js, attestation: {}{}",
        stdout(&v),
        stderr(&v)
    );
    fs::write(t.path().join("artefact.bin"), b"payloaD\n").unwrap();
    let v = js("blob.json", Some("artefact.bin"));
    assert!(!v.status.success(), "sigstore-js accepted a tampered artefact");
}

fn provenant_digest_hex(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    stdout(&out).split_whitespace().next().unwrap().to_owned()
}
