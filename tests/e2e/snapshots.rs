//! Snapshots of what the reporting commands print, text and JSON, on fixtures the tests build: a fixed
//! Ed25519 key (its signatures are deterministic), fixed files and directories, git commits with one
//! committer and one date, and the hermetic context's fixed `SOURCE_DATE_EPOCH`. Only what must vary
//! from run to run is redacted (the temporary directory). Review a change with `cargo insta review`:
//! a changed snapshot is a changed user interface.

use std::path::Path;

use crate::support::{provenant, run, stderr};

/// A test-only Ed25519 key (PKCS#8), so that every signature, bundle and digest below repeats.
const ED25519_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEVpeAF5uJkZL4mRD1kuzxm7kwyKdNyK5z80NBjbtAQK
-----END PRIVATE KEY-----
";
/// Its public key.
const ED25519_PUB: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAZoLQ+DtL+Lv+2cCBioC1clescbGU332kIf9VLlx9KN0=
-----END PUBLIC KEY-----
";

/// A fixture directory with the key pair and a file to sign.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ed.key"), ED25519_KEY).unwrap();
    std::fs::write(dir.path().join("ed.pub"), ED25519_PUB).unwrap();
    std::fs::write(dir.path().join("a.txt"), "hello\n").unwrap();
    dir
}

/// `provenant ARGS` in `dir`: the exit code and stdout, the temporary directory redacted.
fn output(dir: &Path, args: &[&str]) -> String {
    let out = run(provenant().current_dir(dir).args(args));
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "provenant {args:?} exited {code}: {}",
        stderr(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tmp = dir.display().to_string();
    format!("exit {code}\n{}", stdout.replace(&tmp, "[TMP]"))
}

/// Snapshots `provenant ARGS` as text (`NAME`) and as JSON (`NAME.json`).
fn text_and_json(dir: &Path, name: &str, args: &[&str]) {
    insta::assert_snapshot!(name, output(dir, args));
    let json = [args, &["--output", "json"]].concat();
    insta::assert_snapshot!(format!("{name}.json"), output(dir, &json));
}

/// Runs `provenant ARGS` in `dir`, which must succeed (fixture steps).
fn step(dir: &Path, args: &[&str]) -> String {
    let out = run(provenant().current_dir(dir).args(args));
    assert!(out.status.success(), "provenant {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn snapshot_sign_and_verify() {
    let t = fixture();
    let d = t.path();
    insta::assert_snapshot!(
        "sign",
        output(d, &["sign", "a.txt", "--key", "ed.key", "--bundle", "a.bundle"])
    );
    insta::assert_snapshot!(
        "sign.json",
        output(
            d,
            &[
                "sign", "a.txt", "--key", "ed.key", "--bundle", "a.bundle", "--output", "json"
            ]
        )
    );
    let verify = ["verify", "a.txt", "--bundle", "a.bundle", "--key", "ed.pub"];
    text_and_json(d, "verify_without_log_entry", &verify);
    text_and_json(
        d,
        "verify_skipping_the_log",
        &[&verify[..], &["--insecure-ignore-tlog"]].concat(),
    );
    std::fs::write(d.join("a.txt"), "tampered\n").unwrap();
    text_and_json(
        d,
        "verify_tampered",
        &[&verify[..], &["--insecure-ignore-tlog"]].concat(),
    );
}

#[test]
fn snapshot_attest_and_verify_attestation() {
    let t = fixture();
    let d = t.path();
    std::fs::write(d.join("predicate.json"), r#"{"result": "passed", "tests": 3}"#).unwrap();
    let attest = [
        "attest",
        "a.txt",
        "--predicate",
        "predicate.json",
        "--type",
        "https://in-toto.io/attestation/test-result/v0.1",
        "--key",
        "ed.key",
        "--bundle",
        "a.att.json",
    ];
    insta::assert_snapshot!("attest", output(d, &attest));
    insta::assert_snapshot!(
        "attest.json",
        output(d, &[&attest[..], &["--output", "json"]].concat())
    );
    let verify = [
        "verify-attestation",
        "a.txt",
        "--bundle",
        "a.att.json",
        "--key",
        "ed.pub",
        "--insecure-ignore-tlog",
    ];
    text_and_json(d, "verify_attestation", &verify);
    text_and_json(
        d,
        "verify_attestation_other_type",
        &[&verify[..], &["--type", "https://slsa.dev/provenance/v1"]].concat(),
    );
}

#[test]
fn snapshot_oci_image_attach_discover_promote() {
    let t = fixture();
    let d = t.path();
    std::fs::create_dir_all(d.join("root/bin")).unwrap();
    std::fs::write(d.join("root/bin/hello"), "#!/bin/sh\necho hello\n").unwrap();
    std::fs::write(d.join("root/README"), "readme\n").unwrap();
    text_and_json(d, "oci_image", &["oci", "image", "root", "oci:dev:v1"]);
    let built: serde_json::Value = serde_json::from_str(&step(
        d,
        &["oci", "image", "root", "oci:dev:v1", "--output", "json"],
    ))
    .unwrap();
    let digest = built["digest"].as_str().unwrap().to_owned();
    let source = format!("oci:dev@{digest}");
    std::fs::copy(
        d.join("dev/blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        d.join("manifest.json"),
    )
    .unwrap();
    // An attestation about the image manifest (an Ed25519 message signature cannot be checked against
    // a digest alone; a DSSE statement can).
    std::fs::write(d.join("predicate.json"), r#"{"approved": true}"#).unwrap();
    step(
        d,
        &[
            "attest",
            "manifest.json",
            "--predicate",
            "predicate.json",
            "--type",
            "https://example.com/approval/v1",
            "--key",
            "ed.key",
            "--bundle",
            "image.bundle",
        ],
    );
    text_and_json(
        d,
        "oci_attach",
        &["oci", "attach", &source, "--bundle", "image.bundle"],
    );
    text_and_json(d, "oci_discover", &["oci", "discover", &source]);
    let promote = |dst: &str| {
        vec![
            "promote".to_owned(),
            source.clone(),
            format!("oci:{dst}:prod"),
            "--key".to_owned(),
            "ed.pub".to_owned(),
        ]
    };
    let refused: Vec<String> = promote("refused");
    let refused: Vec<&str> = refused.iter().map(String::as_str).collect();
    text_and_json(d, "promote_refused", &refused);
    let text = [promote("prod-text"), vec!["--insecure-ignore-tlog".to_owned()]].concat();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    insta::assert_snapshot!("promote", output(d, &text));
    let json = [
        promote("prod-json"),
        vec![
            "--insecure-ignore-tlog".to_owned(),
            "--output".to_owned(),
            "json".to_owned(),
        ],
    ]
    .concat();
    let json: Vec<&str> = json.iter().map(String::as_str).collect();
    insta::assert_snapshot!("promote.json", output(d, &json));
}

#[test]
fn snapshot_sbom_generate_and_validate() {
    let t = fixture();
    let d = t.path();
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(
        d.join("app/Cargo.lock"),
        r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
"#,
    )
    .unwrap();
    std::fs::write(
        d.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nitoa = \"1\"\n",
    )
    .unwrap();
    insta::assert_snapshot!(
        "sbom_generate.cdx.json",
        output(d, &["sbom", "generate", "app", "--format", "cyclonedx-json"])
    );
    step(
        d,
        &[
            "sbom",
            "generate",
            "app",
            "--format",
            "cyclonedx-json",
            "-o",
            "app.cdx.json",
        ],
    );
    text_and_json(d, "sbom_validate", &["sbom", "validate", "app.cdx.json"]);
    step(
        d,
        &[
            "sbom",
            "generate",
            "app",
            "--format",
            "spdx-json",
            "-o",
            "app.spdx.json",
        ],
    );
    text_and_json(d, "sbom_diff", &["sbom", "diff", "app.cdx.json", "app.spdx.json"]);
    insta::assert_snapshot!(
        "sbom_convert.spdx.json",
        output(d, &["sbom", "convert", "app.cdx.json", "--format", "spdx-json"])
    );
}

#[test]
fn snapshot_init_list_parameters() {
    let t = fixture();
    text_and_json(
        t.path(),
        "init_list_parameters",
        &["init", "--workload", "container", "--list-parameters"],
    );
}

#[test]
fn snapshot_version_and_changelog() {
    let t = fixture();
    let d = t.path().join("repo");
    std::fs::create_dir_all(&d).unwrap();
    provenant_testkit::git_fixed(&d, &["init", "-q", "-b", "main", "."]);
    std::fs::write(d.join("README"), "one\n").unwrap();
    provenant_testkit::git_fixed(&d, &["add", "-A"]);
    provenant_testkit::git_fixed(&d, &["commit", "-qm", "feat: the first feature"]);
    provenant_testkit::git_fixed(&d, &["tag", "v1.0.0"]);
    std::fs::write(d.join("README"), "two\n").unwrap();
    provenant_testkit::git_fixed(&d, &["commit", "-qam", "fix(core): a bug"]);
    std::fs::write(d.join("README"), "three\n").unwrap();
    provenant_testkit::git_fixed(&d, &["commit", "-qam", "feat(cli)!: a breaking change"]);
    text_and_json(
        &d,
        "version_next",
        &["version", "next", "--range", "v1.0.0..HEAD"],
    );
    text_and_json(&d, "changelog", &["changelog", "--range", "v1.0.0..HEAD"]);
}

#[test]
fn snapshot_scan_hygiene_and_pinning() {
    let t = fixture();
    let d = t.path().join("src");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("main.py"),
        "def f():\n    print('debug')  # TODO: remove\n",
    )
    .unwrap();
    std::fs::write(d.join("requirements.txt"), "requests>=2\n").unwrap();
    std::fs::write(d.join("Dockerfile"), "FROM debian:12\n").unwrap();
    // A made-up token of GitHub's shape: the reports name it and never print it.
    std::fs::write(
        d.join("creds.ini"),
        "token = \"ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R\"\n",
    )
    .unwrap();
    text_and_json(t.path(), "scan_secrets", &["scan", "secrets", "src"]);
    text_and_json(t.path(), "scan_hygiene", &["scan", "hygiene", "src"]);
    text_and_json(t.path(), "scan_pinning", &["scan", "pinning", "src"]);
}

#[test]
fn snapshot_ledger() {
    let t = fixture();
    let d = t.path();
    let statement = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}}],"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED"}}"#;
    std::fs::write(d.join("statement.json"), statement).unwrap();
    // The note key is drawn at random by `ledger init`: its verifier key is the one thing redacted.
    insta::with_settings!({filters => vec![(r"example\.com/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+", "[NOTE VERIFIER KEY]")]}, {
        insta::assert_snapshot!(
            "ledger_init",
            output(d, &["ledger", "init", "--ledger", "sqlite:l.db", "--origin", "example.com/ledger", "--output-key-prefix", "note"])
        );
    });
    let ledger = ["--ledger", "sqlite:l.db"];
    insta::assert_snapshot!(
        "ledger_append",
        output(
            d,
            &[
                &["ledger", "append", "statement.json", "--note-key", "note.key"][..],
                &ledger
            ]
            .concat()
        )
    );
    insta::assert_snapshot!(
        "ledger_append.json",
        output(
            d,
            &[
                &[
                    "ledger",
                    "append",
                    "statement.json",
                    "--note-key",
                    "note.key",
                    "--output",
                    "json"
                ][..],
                &ledger
            ]
            .concat()
        )
    );
    let subject = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    text_and_json(
        d,
        "ledger_query",
        &[&["ledger", "query", "--subject", subject][..], &ledger].concat(),
    );
    text_and_json(
        d,
        "ledger_verify",
        &[&["ledger", "verify", "--key", "note.pub"][..], &ledger].concat(),
    );
    text_and_json(
        d,
        "ledger_prove",
        &[&["ledger", "prove", "--index", "0"][..], &ledger].concat(),
    );
}

#[test]
fn snapshot_keys_public_key() {
    let t = fixture();
    text_and_json(
        t.path(),
        "keys_public_key",
        &["keys", "public-key", "--key", "ed.key"],
    );
}
