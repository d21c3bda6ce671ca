//! Keyless signing end to end on loopback: `provenant sign` and `provenant conformance sign-bundle`
//! against the mock Fulcio, Rekor (v1 and v2) and timestamp authority, with the bundles checked by
//! Provenant, sigstore-python and sigstore-js; and bundles signed by sigstore-js checked by Provenant.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provenant_testkit::sigstore::{MockSigstore, mock_identity_token, start_mock_sigstore};

const ISSUER: &str = "https://issuer.example";
const SUBJECT: &str = "alice@example.com";

use crate::support::{provenant, run};

fn ok(out: &Output, what: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{text}",
        out.status.code()
    );
    text
}

struct Fixture {
    mock: MockSigstore,
    dir: tempfile::TempDir,
    artifact: PathBuf,
}

fn fixture() -> Fixture {
    let mock = start_mock_sigstore();
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("hello.txt");
    std::fs::write(&artifact, b"hello, provenance\n").unwrap();
    Fixture { mock, dir, artifact }
}

fn digest_of(path: &Path) -> String {
    provenant_sigstore::sha256(&std::fs::read(path).unwrap()).to_string()
}

fn provenant_verify(f: &Fixture, artifact: &str, bundle: &Path, identity: &str) -> Output {
    run(provenant()
        .args(["verify", artifact, "--bundle"])
        .arg(bundle)
        .args([
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
        ])
        .arg(&f.mock.trusted_root))
}

fn sigstore_python_verify(f: &Fixture, artifact: &Path, bundle: &Path) -> Output {
    let sigstore = provenant_testkit::require_venv_tool("sigstore", "sigstore");
    run(Command::new(sigstore)
        .arg("--trust-config")
        .arg(&f.mock.client_trust_config)
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args(["--cert-identity", SUBJECT, "--cert-oidc-issuer", ISSUER])
        .arg(artifact))
}

fn node(script: &str) -> Command {
    let mut cmd = Command::new(provenant_testkit::require_on_path("node"));
    cmd.env("NODE_PATH", provenant_testkit::require_node_modules("sigstore"))
        .arg(provenant_testkit::repo_root().join("tests/harness").join(script));
    cmd
}

fn sigstore_js_verify(f: &Fixture, artifact: &Path, bundle: &Path) -> Output {
    run(node("sigstore-js-verify.js")
        .arg(&f.mock.trusted_root)
        .arg(bundle)
        .arg(artifact)
        .args(["--san", SUBJECT, "--issuer", ISSUER]))
}

/// `provenant sign` with the mock's signing config and no token flag: the token comes from `env`.
fn sign_with(f: &Fixture, env: &[(&str, &str)], bundle: &Path) -> Output {
    let mut cmd = provenant();
    cmd.arg("sign")
        .arg(&f.artifact)
        .arg("--bundle")
        .arg(bundle)
        .arg("--signing-config")
        .arg(&f.mock.signing_config);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// `provenant sign` with the mock's signing config (Fulcio, Rekor v1, TSA).
fn sign(f: &Fixture, bundle: &Path, extra: &[&str]) -> Output {
    run(provenant()
        .arg("sign")
        .arg(&f.artifact)
        .arg("--bundle")
        .arg(bundle)
        .args([
            "--identity-token",
            &mock_identity_token(ISSUER, SUBJECT),
            "--signing-config",
        ])
        .arg(&f.mock.signing_config)
        .args(extra))
}

#[test]
fn keyless_blob_bundle_verifies_with_provenant_sigstore_python_and_sigstore_js() {
    let f = fixture();
    let bundle = f.dir.path().join("hello.sigstore.json");
    let report = ok(&sign(&f, &bundle, &[]), "provenant sign");
    assert!(report.contains("hashedrekord/0.0.1"), "{report}");

    // The bundle is v0.3, with the fields stricter clients require.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(json["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    let entry = &json["verificationMaterial"]["tlogEntries"][0];
    assert!(entry["inclusionProof"]["logIndex"].is_string(), "{entry}");
    assert!(entry["inclusionProof"]["hashes"].is_array(), "{entry}");
    assert_eq!(
        json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The logged certificate PEM has 64-column lines.
    let body: serde_json::Value =
        serde_json::from_slice(&base64_decode(entry["canonicalizedBody"].as_str().unwrap())).unwrap();
    let pem = String::from_utf8(base64_decode(
        body["spec"]["signature"]["publicKey"]["content"]
            .as_str()
            .unwrap(),
    ))
    .unwrap();
    assert!(
        pem.lines().all(|l| l.len() <= 64) && pem.lines().count() > 3,
        "{pem}"
    );

    let artifact = f.artifact.to_string_lossy().into_owned();
    ok(
        &provenant_verify(&f, &artifact, &bundle, SUBJECT),
        "provenant verify FILE",
    );
    ok(
        &provenant_verify(&f, &digest_of(&f.artifact), &bundle, SUBJECT),
        "provenant verify sha256:",
    );
    ok(
        &sigstore_python_verify(&f, &f.artifact, &bundle),
        "sigstore-python verify identity --offline",
    );
    ok(
        &sigstore_js_verify(&f, &f.artifact, &bundle),
        "sigstore-js verify",
    );

    // One byte changed in the SET, or in the RFC 3161 timestamp, is refused and named.
    for (pointer, check) in [
        (
            "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
            "signed entry timestamp (SET)",
        ),
        (
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
            "RFC 3161 timestamp",
        ),
    ] {
        let mut tampered = json.clone();
        let field = tampered.pointer_mut(pointer).unwrap();
        let mut bytes = base64_decode(field.as_str().unwrap());
        let at = bytes.len() - 4;
        bytes[at] ^= 1;
        *field = serde_json::Value::String(base64_encode(&bytes));
        let path = f.dir.path().join("tampered.sigstore.json");
        std::fs::write(&path, serde_json::to_vec(&tampered).unwrap()).unwrap();
        let out = provenant_verify(&f, &artifact, &path, SUBJECT);
        assert_eq!(out.status.code(), Some(1), "{pointer}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(check), "{pointer}: {text}");
    }

    // Another identity, or another artefact, is refused.
    let wrong = provenant_verify(&f, &artifact, &bundle, "mallory@example.com");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stdout)
            .contains("SAN mismatch: got alice@example.com, want mallory@example.com")
    );
    let other = f.dir.path().join("other.txt");
    std::fs::write(&other, b"something else\n").unwrap();
    let wrong = provenant_verify(&f, &other.to_string_lossy(), &bundle, SUBJECT);
    assert_eq!(wrong.status.code(), Some(1));
}

#[test]
fn keyless_attestation_through_the_conformance_entrypoint() {
    let f = fixture();
    let statement = f.dir.path().join("statement.json");
    let subject_digest = provenant_sigstore::sha256(&std::fs::read(&f.artifact).unwrap());
    std::fs::write(
        &statement,
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"hello.txt","digest":{{"sha256":"{}"}}}}],"predicateType":"https://provenant.dev/test/v1","predicate":{{"ok":true}}}}"#,
            subject_digest.hex()
        ),
    )
    .unwrap();
    let bundle = f.dir.path().join("statement.sigstore.json");
    ok(
        &run(provenant()
            .args([
                "conformance",
                "sign-bundle",
                "--in-toto",
                "--identity-token",
                &mock_identity_token(ISSUER, SUBJECT),
            ])
            .arg("--bundle")
            .arg(&bundle)
            .arg("--signing-config")
            .arg(&f.mock.signing_config)
            .arg(&statement)),
        "conformance sign-bundle --in-toto",
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(
        json["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );

    let verify_attestation = |subject: &str, ty: &str| {
        run(provenant()
            .args(["--output", "json", "verify-attestation", subject, "--bundle"])
            .arg(&bundle)
            .args([
                "--certificate-identity",
                SUBJECT,
                "--certificate-oidc-issuer",
                ISSUER,
                "--type",
                ty,
            ])
            .arg("--trusted-root")
            .arg(&f.mock.trusted_root))
    };
    let out = verify_attestation(&f.artifact.to_string_lossy(), "https://provenant.dev/test/v1");
    ok(&out, "verify-attestation");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["statement"]["predicate"]["ok"], true);
    ok(
        &verify_attestation(&subject_digest.to_string(), "https://provenant.dev/test/v1"),
        "verify-attestation sha256:",
    );
    let out = verify_attestation(&subject_digest.to_string(), "https://slsa.dev/provenance/v1");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("predicate-type"));

    // The conformance verify entrypoint accepts it too, and sigstore-python and sigstore-js agree.
    ok(
        &run(provenant()
            .args(["conformance", "verify-bundle", "--bundle"])
            .arg(&bundle)
            .args([
                "--certificate-identity",
                SUBJECT,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
            ])
            .arg(&f.mock.trusted_root)
            .arg(subject_digest.to_string())),
        "conformance verify-bundle",
    );
    ok(
        &sigstore_python_verify(&f, &f.artifact, &bundle),
        "sigstore-python verify (DSSE)",
    );
    ok(
        &sigstore_js_verify(&f, &f.artifact, &bundle),
        "sigstore-js verify (DSSE)",
    );
}

#[test]
fn keyless_signing_to_rekor_v2() {
    let f = fixture();
    let bundle = f.dir.path().join("v2.sigstore.json");
    let base = f.mock.base_url();
    let out = run(provenant()
        .arg("sign")
        .arg(&f.artifact)
        .arg("--bundle")
        .arg(&bundle)
        .args(["--identity-token", &mock_identity_token(ISSUER, SUBJECT)])
        .args([
            "--fulcio-url",
            &base,
            "--rekor-url",
            &base,
            "--rekor-version",
            "2",
        ])
        .args(["--timestamp-server-url", &f.mock.tsa_url()]));
    assert!(ok(&out, "sign (Rekor v2)").contains("hashedrekord/0.0.2"));
    ok(
        &provenant_verify(&f, &f.artifact.to_string_lossy(), &bundle, SUBJECT),
        "verify (Rekor v2)",
    );
    ok(
        &sigstore_python_verify(&f, &f.artifact, &bundle),
        "sigstore-python verify (Rekor v2)",
    );
}

#[test]
fn identity_token_from_flag_file_and_environment() {
    let f = fixture();

    let env_bundle = f.dir.path().join("env.sigstore.json");
    let token = mock_identity_token(ISSUER, "env@example.com");
    ok(
        &sign_with(&f, &[("SIGSTORE_ID_TOKEN", &token)], &env_bundle),
        "sign with SIGSTORE_ID_TOKEN",
    );
    ok(
        &provenant_verify(&f, &f.artifact.to_string_lossy(), &env_bundle, "env@example.com"),
        "verify",
    );

    // --identity-token with a file holding the token, as cosign takes it.
    let token_file = f.dir.path().join("token.jwt");
    std::fs::write(
        &token_file,
        format!("{}\n", mock_identity_token(ISSUER, "file@example.com")),
    )
    .unwrap();
    let file_bundle = f.dir.path().join("file.sigstore.json");
    ok(
        &run(provenant()
            .arg("sign")
            .arg(&f.artifact)
            .arg("--bundle")
            .arg(&file_bundle)
            .arg("--identity-token")
            .arg(&token_file)
            .arg("--signing-config")
            .arg(&f.mock.signing_config)),
        "sign with a token file",
    );
    ok(
        &provenant_verify(
            &f,
            &f.artifact.to_string_lossy(),
            &file_bundle,
            "file@example.com",
        ),
        "verify",
    );
}

#[test]
fn identity_token_from_github_actions() {
    let f = fixture();

    // GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore with the bearer token.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let token = mock_identity_token(
        ISSUER,
        "https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main",
    );
    let served = token.clone();
    let token_endpoint = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            request.push(line);
        }
        let body = format!(r#"{{"count":1,"value":"{served}"}}"#);
        let mut stream = stream;
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        request
    });
    let gh_bundle = f.dir.path().join("gh.sigstore.json");
    let url = format!("http://127.0.0.1:{port}/token?api-version=2.0");
    ok(
        &sign_with(
            &f,
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner-secret"),
            ],
            &gh_bundle,
        ),
        "sign with the GitHub Actions ambient token",
    );
    let request = token_endpoint.join().unwrap();
    assert!(
        request[0].starts_with("GET /token?api-version=2.0&audience=sigstore "),
        "{request:?}"
    );
    assert!(
        request
            .iter()
            .any(|l| l.eq_ignore_ascii_case("authorization: Bearer runner-secret\r\n")),
        "{request:?}"
    );
    ok(
        &provenant_verify(
            &f,
            &f.artifact.to_string_lossy(),
            &gh_bundle,
            "https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main",
        ),
        "verify the GitHub-identity bundle",
    );

    // No token anywhere: a usage error naming the three sources.
    let none = sign_with(&f, &[], &f.dir.path().join("none.sigstore.json"));
    assert_eq!(none.status.code(), Some(2));
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("--identity-token")
            && err.contains("SIGSTORE_ID_TOKEN")
            && err.contains("ACTIONS_ID_TOKEN_REQUEST_URL"),
        "{err}"
    );
}

#[test]
fn bundles_signed_by_sigstore_js_verify_with_provenant() {
    let f = fixture();
    let token = mock_identity_token(ISSUER, SUBJECT);
    let blob_bundle = f.dir.path().join("js-blob.sigstore.json");
    ok(
        &run(node("sigstore-js-sign.js")
            .env("SIGSTORE_ID_TOKEN", &token)
            .arg(&f.artifact)
            .arg(&blob_bundle)
            .args([&f.mock.base_url(), "--blob", "--tsa"])),
        "sigstore-js sign --blob",
    );
    ok(
        &provenant_verify(&f, &f.artifact.to_string_lossy(), &blob_bundle, SUBJECT),
        "verify sigstore-js blob bundle",
    );
    ok(
        &provenant_verify(&f, &digest_of(&f.artifact), &blob_bundle, SUBJECT),
        "verify sigstore-js blob bundle by digest",
    );

    let statement = f.dir.path().join("statement.json");
    std::fs::write(
        &statement,
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"hello.txt","digest":{{"sha256":"{}"}}}}],"predicateType":"https://provenant.dev/test/v1","predicate":{{}}}}"#,
            provenant_sigstore::sha256(&std::fs::read(&f.artifact).unwrap()).hex()
        ),
    )
    .unwrap();
    let dsse_bundle = f.dir.path().join("js-dsse.sigstore.json");
    ok(
        &run(node("sigstore-js-sign.js")
            .env("SIGSTORE_ID_TOKEN", &token)
            .arg(&statement)
            .arg(&dsse_bundle)
            .args([&f.mock.base_url(), "--statement"])),
        "sigstore-js attest",
    );
    ok(
        &run(provenant()
            .args(["verify-attestation"])
            .arg(&f.artifact)
            .arg("--bundle")
            .arg(&dsse_bundle)
            .args([
                "--certificate-identity",
                SUBJECT,
                "--certificate-oidc-issuer",
                ISSUER,
                "--type",
                "https://provenant.dev/test/v1",
            ])
            .arg("--trusted-root")
            .arg(&f.mock.trusted_root)),
        "verify-attestation of a sigstore-js DSSE bundle",
    );
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn keyed_bundles_made_by_model_signing_verify() {
    let model_signing = provenant_testkit::require_venv_tool("modelsign", "model_signing");
    let openssl = provenant_testkit::require_on_path("openssl");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join("weights.bin"), b"\x00\x01weights").unwrap();
    std::fs::write(model.join("config.json"), b"{\"layers\": 2}").unwrap();
    let key = |name: &str| {
        let private = dir.path().join(format!("{name}.pem"));
        let public = dir.path().join(format!("{name}.pub"));
        ok(
            &run(Command::new(&openssl)
                .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])
                .arg(&private)),
            "openssl ecparam",
        );
        ok(
            &run(Command::new(&openssl)
                .args(["ec", "-pubout", "-in"])
                .arg(&private)
                .arg("-out")
                .arg(&public)),
            "openssl ec",
        );
        (private, public)
    };
    let (private, public) = key("signer");
    let (_, other) = key("other");
    let bundle = dir.path().join("model.sig");
    ok(
        &run(Command::new(&model_signing)
            .args(["sign", "key"])
            .arg(&model)
            .arg("--private_key")
            .arg(&private)
            .arg("--signature")
            .arg(&bundle)),
        "model_signing sign key",
    );
    // The subject is model-signing's digest of the model's manifest.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert!(
        json["verificationMaterial"]["publicKey"].is_object(),
        "a keyed bundle"
    );
    let statement: serde_json::Value =
        serde_json::from_slice(&base64_decode(json["dsseEnvelope"]["payload"].as_str().unwrap())).unwrap();
    let subject = format!(
        "sha256:{}",
        statement["subject"][0]["digest"]["sha256"].as_str().unwrap()
    );

    let verify = |key: &Path, subject: &str, extra: &[&str]| {
        run(provenant()
            .args(["verify-attestation", subject, "--bundle"])
            .arg(&bundle)
            .arg("--key")
            .arg(key)
            .args(extra))
    };
    let out = verify(
        &public,
        &subject,
        &[
            "--insecure-ignore-tlog",
            "--type",
            "https://model_signing/signature/v1.0",
        ],
    );
    assert!(ok(&out, "verify-attestation of a model-signing bundle").contains("model_signing"));
    ok(
        &run(provenant()
            .args(["verify", &subject, "--bundle"])
            .arg(&bundle)
            .arg("--key")
            .arg(&public)
            .arg("--insecure-ignore-tlog")),
        "verify of a model-signing bundle",
    );
    // Another key, another subject, or the log required: refused.
    let out = verify(&other, &subject, &["--insecure-ignore-tlog"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("signature check failed"));
    let wrong = format!("sha256:{}", "0".repeat(64));
    let out = verify(&public, &wrong, &["--insecure-ignore-tlog"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("artefact mismatch"));
    let empty_root = dir.path().join("empty_root.json");
    std::fs::write(
        &empty_root,
        br#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
    )
    .unwrap();
    let out = verify(
        &public,
        &subject,
        &["--trusted-root", empty_root.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "without --insecure-ignore-tlog a bundle with no log entry is refused"
    );
}
