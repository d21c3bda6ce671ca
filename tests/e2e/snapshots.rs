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
fn output<S: AsRef<str>>(dir: &Path, args: &[S]) -> String {
    output_of(provenant(), dir, args)
}

/// `output` of `cmd` (a `provenant` command with its environment) run with `ARGS` in `dir`.
fn output_of<S: AsRef<str>>(mut cmd: std::process::Command, dir: &Path, args: &[S]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = run(cmd.current_dir(dir).args(&args));
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "provenant {args:?} exited {code}: {}",
        stderr(&out)
    );
    format!("exit {code}\n{}", redacted(dir, &out.stdout))
}

/// A run's standard output with the machine's directories redacted: the test's temporary directory and
/// where the third-party vectors and the test peers live.
fn redacted(dir: &Path, stdout: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(stdout).into_owned();
    for (path, name) in [
        (dir.to_path_buf(), "[TMP]"),
        (provenant_testkit::vectors_dir(), "[VECTORS]"),
        (provenant_testkit::oracles_dir(), "[ORACLES]"),
    ] {
        text = text.replace(&path.display().to_string(), name);
    }
    text
}

/// Snapshots `provenant ARGS` as text (`NAME`) and as JSON (`NAME.json`).
fn text_and_json<S: AsRef<str>>(dir: &Path, name: &str, args: &[S]) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    insta::assert_snapshot!(name, output(dir, &args));
    let json = [&args[..], &["--output", "json"]].concat();
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
    text_and_json(
        d,
        "sbom_attest",
        &[
            "sbom",
            "attest",
            "app",
            "--key",
            "ed.key",
            "--bundle",
            "app.att.json",
        ],
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
    text_and_json(
        &d,
        "source_check",
        &[
            "source",
            "check",
            "--range",
            "v1.0.0..HEAD",
            "--require",
            "conventional",
        ],
    );
    // Nobody is an allowed signer, and the commits are not signed anyway.
    std::fs::write(t.path().join("allowed_signers"), "").unwrap();
    text_and_json(
        &d,
        "source_check_unsigned",
        &[
            "source",
            "check",
            "--range",
            "v1.0.0..HEAD",
            "--require",
            "conventional,signed",
            "--allowed-signers",
            "../allowed_signers",
        ],
    );
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
fn snapshot_keys_generate() {
    let t = fixture();
    let with_password = || {
        let mut cmd = provenant();
        cmd.env("COSIGN_PASSWORD", "s3cret");
        cmd
    };
    let args = |prefix: &'static str| {
        [
            "keys",
            "generate",
            "--kind",
            "ed25519",
            "--output-key-prefix",
            prefix,
        ]
    };
    // The keys are random; what the command reports (which files, which kind) is not.
    insta::assert_snapshot!(
        "keys_generate",
        output_of(with_password(), t.path(), &args("text"))
    );
    insta::assert_snapshot!(
        "keys_generate.json",
        output_of(
            with_password(),
            t.path(),
            &[&args("json")[..], &["--output", "json"]].concat()
        )
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

/// The production trusted-root snapshot the offline verifications of real bundles use.
fn prod_root() -> String {
    provenant_testkit::vectors_dir()
        .join("sigstore-python/embedded-trust-roots/prod/trusted_root.json")
        .display()
        .to_string()
}

/// slsa-verifier's test data directory `sub`.
fn slsa_verifier(sub: &str) -> String {
    provenant_testkit::vectors_dir()
        .join("slsa-verifier/cli/slsa-verifier/testdata")
        .join(sub)
        .display()
        .to_string()
}

#[test]
fn snapshot_verify_provenance() {
    const GO_BUILDER: &str =
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml";
    let t = fixture();
    let bundle = format!(
        "{}/binary-linux-amd64-push-v14.2.intoto.jsonl",
        slsa_verifier("gha_go/v2.1.0")
    );
    let identity = format!("{GO_BUILDER}@refs/tags/v[0-9.]+");
    let root = prod_root();
    let args = |source: &'static str| {
        vec![
            "verify-provenance".to_owned(),
            "sha256:f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066".to_owned(),
            "--bundle".to_owned(),
            bundle.clone(),
            "--source-uri".to_owned(),
            source.to_owned(),
            "--builder-id".to_owned(),
            GO_BUILDER.to_owned(),
            "--certificate-identity-regexp".to_owned(),
            identity.clone(),
            "--certificate-oidc-issuer".to_owned(),
            "https://token.actions.githubusercontent.com".to_owned(),
            "--trusted-root".to_owned(),
            root.clone(),
        ]
    };
    text_and_json(
        t.path(),
        "verify_provenance",
        &args("github.com/slsa-framework/example-package"),
    );
    text_and_json(
        t.path(),
        "verify_provenance_other_source",
        &args("github.com/slsa-framework/other-package"),
    );
}

#[test]
fn snapshot_verify_vsa() {
    let t = fixture();
    let dir = slsa_verifier("vsa/gce/v1");
    let attestation = format!("{dir}/gke-gce-pre.bcid-vsa.jsonl");
    let key = format!("{dir}/vsa_signing_public_key.pem");
    let args = |level: &'static str| {
        vec![
            "verify-vsa".to_owned(),
            "--attestation-path".to_owned(),
            attestation.clone(),
            "--subject-digest".to_owned(),
            "gce_image_id:8970095005306000053".to_owned(),
            "--resource-uri".to_owned(),
            "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre".to_owned(),
            "--verifier-id".to_owned(),
            "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1".to_owned(),
            "--verified-level".to_owned(),
            level.to_owned(),
            "--public-key-path".to_owned(),
            key.clone(),
            "--public-key-id".to_owned(),
            "keystore://76574:prod:vsa_signing_public_key".to_owned(),
        ]
    };
    text_and_json(t.path(), "verify_vsa", &args("SLSA_BUILD_LEVEL_2"));
    text_and_json(t.path(), "verify_vsa_higher_level", &args("SLSA_BUILD_LEVEL_3"));
}

#[test]
fn snapshot_verify_npm_package() {
    let t = fixture();
    let d = t.path();
    std::fs::write(d.join("keys.json"), provenant_testkit::npm_registry_keys()).unwrap();
    let tarball = format!(
        "{}/provenance-npm-test-cli-v1-prega.tgz",
        slsa_verifier("npm/gha")
    );
    let attestations = format!("{tarball}.json");
    let root = prod_root();
    let args = |branch: &'static str| {
        vec![
            "verify-npm-package".to_owned(),
            tarball.clone(),
            "--attestations-path".to_owned(),
            attestations.clone(),
            "--npm-keys".to_owned(),
            "keys.json".to_owned(),
            "--trusted-root".to_owned(),
            root.clone(),
            "--source-uri".to_owned(),
            "github.com/sigstore/sigstore-js".to_owned(),
            "--builder-id".to_owned(),
            "https://github.com/actions/runner/github-hosted".to_owned(),
            "--package-name".to_owned(),
            "sigstore".to_owned(),
            "--package-version".to_owned(),
            "2.3.1".to_owned(),
            "--source-branch".to_owned(),
            branch.to_owned(),
        ]
    };
    text_and_json(d, "verify_npm_package", &args("main"));
    text_and_json(d, "verify_npm_package_other_branch", &args("release"));
}

#[test]
fn snapshot_verify_pypi_package() {
    const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";
    let t = fixture();
    let asset = |name: &str| {
        provenant_testkit::require_fixture("pypi-attestations", name)
            .display()
            .to_string()
    };
    let sdist = asset(SDIST);
    let provenance = asset(&format!("{SDIST}.provenance"));
    let root = prod_root();
    let args = |workflow: &'static str| {
        vec![
            "verify-pypi-package".to_owned(),
            sdist.clone(),
            "--trusted-root".to_owned(),
            root.clone(),
            "--provenance".to_owned(),
            provenance.clone(),
            "--repository".to_owned(),
            "https://github.com/trailofbits/pypi-attestations".to_owned(),
            "--workflow".to_owned(),
            workflow.to_owned(),
        ]
    };
    text_and_json(t.path(), "verify_pypi_package", &args("release.yml"));
    text_and_json(t.path(), "verify_pypi_package_other_workflow", &args("other.yml"));
}

#[test]
fn snapshot_verify_github_attestation() {
    const PUBLISHER: &str = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
    let t = fixture();
    let bcr = slsa_verifier("bcr");
    let module = format!("{bcr}/MODULE.bazel");
    let attestation = format!("{bcr}/MODULE.bazel.intoto.jsonl");
    let root = prod_root();
    let args = |branch: &'static str| {
        vec![
            "verify-github-attestation".to_owned(),
            module.clone(),
            "--attestation-path".to_owned(),
            attestation.clone(),
            "--source-uri".to_owned(),
            "github.com/aspect-build/rules_lint".to_owned(),
            "--trusted-root".to_owned(),
            root.clone(),
            "--builder-id".to_owned(),
            PUBLISHER.to_owned(),
            "--source-branch".to_owned(),
            branch.to_owned(),
        ]
    };
    text_and_json(t.path(), "verify_github_attestation", &args("publish-to-bcr"));
    text_and_json(t.path(), "verify_github_attestation_other_branch", &args("main"));
}

#[test]
fn snapshot_digest() {
    let t = fixture();
    std::fs::write(t.path().join("b.txt"), "world\n").unwrap();
    text_and_json(t.path(), "digest", &["digest", "a.txt", "b.txt"]);
}

/// The `SOURCE_DATE_EPOCH` of the governance fixtures of `crate::environments` (2026-05-28).
const GOVERNED_EPOCH: &str = "1780000000";

/// The note signer key of `ledger init` is drawn at random: its verifier key and the signatures it makes
/// on checkpoints are the one thing redacted in the ledger's reports.
fn note_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"example\.com/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+",
            "[NOTE VERIFIER KEY]",
        ),
        (
            r"— example\.com/audit [A-Za-z0-9+/=]+",
            "— example.com/audit [NOTE SIGNATURE]",
        ),
    ]
}

/// `provenant ARGS` in `dir` at the governance fixtures' time and with their password (of the note key):
/// exit code and redacted stdout.
fn governed_output<S: AsRef<str>>(dir: &Path, args: &[S]) -> String {
    let mut cmd = provenant();
    cmd.env("SOURCE_DATE_EPOCH", GOVERNED_EPOCH)
        .env("COSIGN_PASSWORD", "s3cret");
    output_of(cmd, dir, args)
}

/// Snapshots `provenant ARGS` in `dir` as text and JSON at the governance fixtures' time.
fn governed_text_and_json<S: AsRef<str>>(dir: &Path, name: &str, args: &[S]) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    insta::with_settings!({filters => note_filters()}, {
        insta::assert_snapshot!(name, governed_output(dir, &args));
        let json = [&args[..], &["--output", "json"]].concat();
        insta::assert_snapshot!(format!("{name}.json"), governed_output(dir, &json));
    });
}

/// Snapshots a command that appends to the ledger: its text run in `text` and its JSON run in `json`,
/// two fixtures with the same history, so that both report the same step.
fn governed_step_text_and_json<S: AsRef<str>>(text: &Path, json: &Path, name: &str, args: &[S]) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    insta::with_settings!({filters => note_filters()}, {
        insta::assert_snapshot!(name, governed_output(text, &args));
        let with_json = [&args[..], &["--output", "json"]].concat();
        insta::assert_snapshot!(format!("{name}.json"), governed_output(json, &with_json));
    });
}

/// A governed path on the fixed key: roles (`ci` and `release-manager` both hold it), a ledger, the
/// platform's environments file over OCI layouts in the directory (relative paths), an image built with its provenance
/// signed and appended, a passing gate decision appended, and the image promoted into dev and test
/// (the helpers of `crate::environments`). Returns the directory and `oci:…/build@DIGEST`.
fn governed() -> (tempfile::TempDir, String) {
    use crate::environments::{ledger_append, ok, promote, sign_statement_file};
    let t = fixture();
    let d = t.path();
    std::fs::write(d.join("ci.key"), ED25519_KEY).unwrap();
    std::fs::write(d.join("ci.pub"), ED25519_PUB).unwrap();
    std::fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [ci.pub]\n  deployer:\n    keys: [ci.pub]\n  promoter:\n    keys: [ci.pub]\n",
    )
    .unwrap();
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:ledger.db",
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "note",
        ],
    );
    // Layouts relative to the directory, so that no record holds the temporary directory's path.
    ok(
        d,
        &[
            "env",
            "init",
            "--repository-template",
            "oci:{env}",
            "-o",
            "environments.yaml",
        ],
    );
    std::fs::create_dir_all(d.join("rootfs")).unwrap();
    std::fs::write(d.join("rootfs/app"), "v1").unwrap();
    let build = "oci:build";
    let out = ok(
        d,
        &[
            "oci",
            "image",
            "rootfs",
            &format!("{build}:1"),
            "--key",
            "ci.key",
            "--provenance-bundle",
            "prov.json",
            "--output",
            "json",
        ],
    );
    let digest = serde_json::from_str::<serde_json::Value>(&out).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    ledger_append(d, "prov.json");
    let decision = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}
    });
    ledger_append(d, &sign_statement_file(d, "ci.key", &decision, "pass.json"));
    let subject = format!("{build}@{digest}");
    for env in ["dev", "test"] {
        let out = promote(d, &subject, env);
        assert_eq!(out.status.code(), Some(0), "{env}: {}", stderr(&out));
    }
    (t, subject)
}

#[test]
fn snapshot_env_status_change_record_and_exceptions_list() {
    let (t, subject) = governed();
    let d = t.path();
    let ledger = ["--ledger", "sqlite:ledger.db"];
    governed_text_and_json(d, "env_status", &[&["env", "status"][..], &ledger].concat());
    governed_text_and_json(
        d,
        "change_record",
        &[&["change-record", &subject, "--env", "test"][..], &ledger].concat(),
    );
    insta::assert_snapshot!(
        "change_record.md",
        governed_output(
            d,
            &[
                &["change-record", &subject, "--env", "test", "--format", "markdown"][..],
                &ledger
            ]
            .concat()
        )
    );
    let lineage = [
        "--key",
        "ci.pub",
        "--insecure-ignore-tlog",
        "--env",
        "test",
        "--environments",
        "environments.yaml",
        "--roles",
        "roles.yaml",
        "--ledger",
        "sqlite:ledger.db",
    ];
    governed_text_and_json(
        d,
        "lineage_verify_env",
        &[&["lineage", "verify", &subject][..], &lineage].concat(),
    );
    governed_text_and_json(
        d,
        "lineage_report_env",
        &[
            &["lineage", "report", &subject, "--out", "lineage.html"][..],
            &lineage,
        ]
        .concat(),
    );
    governed_text_and_json(
        d,
        "exceptions_list",
        &[&["exceptions", "list", "--roles", "roles.yaml"][..], &ledger].concat(),
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn snapshot_approve_deploy_rollback_and_the_ledger() {
    let (a, subject) = governed();
    let (b, _) = governed();
    let (a, b) = (a.path(), b.path());
    let digest = subject.rsplit_once('@').unwrap().1.to_owned();
    let image = format!("registry.example/shop/web@{digest}");
    let ledger = ["--ledger", "sqlite:ledger.db"];
    governed_step_text_and_json(
        a,
        b,
        "approve",
        &[
            &[
                "approve",
                &subject,
                "--env",
                "prod",
                "--role",
                "release-manager",
                "--key",
                "ci.key",
            ][..],
            &["--comment", "release 1"],
            &ledger,
        ]
        .concat(),
    );
    governed_step_text_and_json(
        a,
        b,
        "deploy_record",
        &[
            &[
                "deploy",
                "record",
                &image,
                "--env",
                "test",
                "--strategy",
                "rolling",
                "--health",
                "pass",
            ][..],
            &["--key", "ci.key"],
            &ledger,
        ]
        .concat(),
    );
    governed_text_and_json(
        a,
        "verify_deploy",
        &[
            &["verify-deploy", &image, "--env", "test", "--roles", "roles.yaml"][..],
            &ledger,
        ]
        .concat(),
    );
    governed_text_and_json(
        a,
        "rollback_plan",
        &[
            &["rollback", "plan", "--env", "test", "--roles", "roles.yaml"][..],
            &ledger,
        ]
        .concat(),
    );
    governed_text_and_json(
        a,
        "ledger_get",
        &[&["ledger", "get", "--index", "2"][..], &ledger].concat(),
    );
    governed_step_text_and_json(
        a,
        b,
        "ledger_checkpoint",
        &[&["ledger", "checkpoint", "--note-key", "note.key"][..], &ledger].concat(),
    );
    governed_step_text_and_json(
        a,
        b,
        "ledger_export",
        &[
            &["ledger", "export", "--subject", &digest, "-o", "audit.tar"][..],
            &ledger,
        ]
        .concat(),
    );
    governed_text_and_json(
        a,
        "ledger_verify_bundle",
        &["ledger", "verify-bundle", "audit.tar", "--key", "note.pub"],
    );
    governed_step_text_and_json(
        a,
        b,
        "ledger_redact",
        &[
            &["ledger", "redact", "--index", "3", "--reason", "personal data"][..],
            &["--note-key", "note.key"],
            &ledger,
        ]
        .concat(),
    );
}

#[test]
fn snapshot_gate_policy_evaluate_and_exception() {
    let t = fixture();
    let d = t.path();
    crate::gate::project(d);
    std::fs::write(
        d.join("roles.yaml"),
        "roles:\n  security-lead:\n    keys: [ed.pub]\n",
    )
    .unwrap();
    // The default policy as a file's text; as JSON, in a report with its digest.
    text_and_json(d, "gate_policy_init", &["gate", "policy", "init"]);
    text_and_json(
        d,
        "gate_policy_init_file",
        &["gate", "policy", "init", "-o", "policy.yaml", "--force"],
    );
    let evaluate = ["gate", "evaluate", "--evidence", "evidence"];
    text_and_json(d, "gate_evaluate_blocked", &evaluate);
    let blocked: serde_json::Value =
        serde_json::from_str(&output(d, &[&evaluate[..], &["--output", "json"]].concat())[7..]).unwrap();
    let finding = blocked["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "sast")
        .unwrap()["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // `gate exception create` writes the bundle and reports it, as text and as JSON (the same bundle:
    // the key is Ed25519, its signature deterministic).
    text_and_json(
        d,
        "gate_exception_create",
        &[
            "gate",
            "exception",
            "create",
            "--finding",
            &finding,
            "--owner",
            "dev@example.com",
            "--rationale",
            "input is a constant",
            "--expires",
            "2026-06-30",
            "--role",
            "security-lead",
            "--key",
            "ed.key",
            "-o",
            "exception.json",
        ],
    );
    text_and_json(
        d,
        "gate_evaluate_with_exception",
        &[
            &evaluate[..],
            &["--roles", "roles.yaml", "--exceptions", "exception.json"],
            &[
                "--key",
                "ed.key",
                "--bundle",
                "decision.json",
                "--subject",
                "artefact.bin",
            ],
        ]
        .concat(),
    );
}

#[test]
fn snapshot_env_init() {
    let t = fixture();
    text_and_json(
        t.path(),
        "env_init",
        &[
            "env",
            "init",
            "--repository-template",
            "registry.example/{env}/shop",
        ],
    );
}

#[test]
fn snapshot_conformance_verify_bundle() {
    let t = fixture();
    let cases = provenant_testkit::vectors_dir().join("sigstore-conformance/test/assets/bundle-verify");
    let root = provenant_testkit::vectors_dir()
        .join("sigstore-conformance/prod-trusted-root-snapshot/trusted_root.json");
    for (name, case) in [
        ("conformance_verify_bundle", "happy-path-v0.3"),
        (
            "conformance_verify_bundle_invalid_signature",
            "dsse-invalid-sig_fail",
        ),
    ] {
        let bundle = cases.join(case).join("bundle.sigstore.json");
        let artefact = cases.join("a.txt");
        let args = [
            "conformance",
            "verify-bundle",
            "--bundle",
            bundle.to_str().unwrap(),
            "--certificate-identity",
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
            "--trusted-root",
            root.to_str().unwrap(),
            artefact.to_str().unwrap(),
        ];
        text_and_json(t.path(), name, &args);
    }
}

/// Like `output`, with the standard error stream too: for the commands whose standard output belongs to
/// the command they run (`build`) and which report on standard error.
fn output_and_stderr<S: AsRef<str>>(dir: &Path, args: &[S]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = run(provenant().current_dir(dir).args(&args));
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "provenant {args:?} exited {code}: {}",
        stderr(&out)
    );
    format!(
        "exit {code}\n--- stdout\n{}--- stderr\n{}",
        redacted(dir, &out.stdout),
        redacted(dir, &out.stderr)
    )
}

/// What a rebuild's report holds that legitimately changes from run to run: its scratch directories and
/// how long each step took.
fn timing_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r#"[^\s"]*/provenant-repro\.[A-Za-z0-9]+"#,
            "[SCRATCH]/provenant-repro",
        ),
        (
            r#"[^\s"]*/provenant-rebuild\.[A-Za-z0-9]+"#,
            "[SCRATCH]/provenant-rebuild",
        ),
        (
            r#""(build_ms|total_ms|builds_ms|overhead_ms)": \d+"#,
            r#""$1": "[MS]""#,
        ),
        (
            r"time: [0-9.]+ s in total, [0-9.]+ s building, [0-9.]+ s overhead",
            "time: [TIMING]",
        ),
    ]
}

/// testdata/repro's reproducible fixture, committed at a fixed date, with the fixed key pair in
/// `scratch/` (excluded through `.git/info/exclude`, so the work tree stays clean) for what the
/// commands write.
fn reproducible_repo() -> tempfile::TempDir {
    let src = provenant_testkit::committed_copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/repro/reproducible"),
    );
    let d = src.path();
    std::fs::write(d.join(".git/info/exclude"), "scratch/\nout/\nstage/\n").unwrap();
    std::fs::create_dir_all(d.join("scratch")).unwrap();
    std::fs::write(d.join("scratch/ed.key"), ED25519_KEY).unwrap();
    std::fs::write(d.join("scratch/ed.pub"), ED25519_PUB).unwrap();
    src
}

#[test]
fn snapshot_build_provenance_generate_and_repro() {
    let src = reproducible_repo();
    let d = src.path();
    // First, while the directory holds only the committed tree and the key pair (its digest is reported).
    let check = |format: &str| {
        [
            "repro",
            "check",
            "--vary",
            "umask,env-order,timezone",
            "--artifact",
            "out/*",
            "--output",
            format,
            "--",
            "./build.sh",
        ]
        .map(str::to_owned)
    };
    insta::with_settings!({filters => timing_filters()}, {
        insta::assert_snapshot!("repro_check", output(d, &check("text")));
        insta::assert_snapshot!("repro_check.json", output(d, &check("json")));
    });
    let build = |format: &str| {
        vec![
            "build".to_owned(),
            "--subject".to_owned(),
            "out/*".to_owned(),
            "--source".to_owned(),
            "github.com/example/fixture".to_owned(),
            "--statement".to_owned(),
            format!("scratch/build-{format}.json"),
            "--key".to_owned(),
            "scratch/ed.key".to_owned(),
            "--bundle".to_owned(),
            format!("scratch/build-{format}.bundle"),
            "--output".to_owned(),
            format.to_owned(),
            "--".to_owned(),
            "./build.sh".to_owned(),
        ]
    };
    insta::assert_snapshot!("build", output_and_stderr(d, &build("text")));
    insta::assert_snapshot!("build.json", output_and_stderr(d, &build("json")));
    let generate = |format: &str| {
        vec![
            "provenance".to_owned(),
            "generate".to_owned(),
            "--subject".to_owned(),
            "out/*".to_owned(),
            "--source".to_owned(),
            "github.com/example/fixture".to_owned(),
            "--statement".to_owned(),
            format!("scratch/generate-{format}.json"),
            "--output".to_owned(),
            format.to_owned(),
        ]
    };
    insta::assert_snapshot!("provenance_generate", output_and_stderr(d, &generate("text")));
    insta::assert_snapshot!(
        "provenance_generate.json",
        output_and_stderr(d, &generate("json"))
    );
    insta::with_settings!({filters => timing_filters()}, {
        text_and_json(
            d,
            "repro_verify",
        &[
            "repro",
            "verify",
            "--bundle",
            "scratch/build-text.bundle",
            "--key",
            "scratch/ed.pub",
            "--insecure-ignore-tlog",
            "--source",
            ".",
        ],
        );
    });
}

#[test]
fn snapshot_oci_push_and_pull() {
    let t = fixture();
    let d = t.path();
    let registry = provenant_testkit::registry::MemoryRegistry::start();
    let host = registry.host();
    // The registry's port is drawn at random: the one thing redacted.
    insta::with_settings!({filters => vec![(host.as_str(), "[REGISTRY]")]}, {
        let reference = format!("{host}/shop/notes:1");
        insta::assert_snapshot!(
            "oci_push",
            output(d, &["oci", "push", &reference, "a.txt:text/plain", "-a", "org.example.note=hello"])
        );
        insta::assert_snapshot!(
            "oci_push.json",
            output(
                d,
                &[
                    "oci",
                    "push",
                    &reference,
                    "a.txt:text/plain",
                    "-a",
                    "org.example.note=hello",
                    "--output",
                    "json"
                ]
            )
        );
        text_and_json(d, "oci_pull", &["oci", "pull", &reference, "-o", "pulled"]);
    });
}

#[test]
fn snapshot_verify_image() {
    const BUILDER: &str = "https://cloudbuild.googleapis.com/GoogleHostedWorker";
    let t = fixture();
    let vectors = provenant_testkit::vectors_dir().join("slsa-verifier");
    let testdata = vectors.join("cli/slsa-verifier/testdata/gcb_container/v0.3");
    let digest = std::fs::read_to_string(testdata.join("gcloud-container-github.digest")).unwrap();
    let image = format!(
        "us-west2-docker.pkg.dev/gosst-scare-sandbox/quickstart-docker-repo/quickstart-image@{}",
        digest.trim()
    );
    let summary = testdata.join("gcloud-container-github.json");
    let keys = vectors.join("verifiers/internal/gcb/keys/materials");
    let args = |builder: &str| {
        vec![
            "verify-image".to_owned(),
            image.clone(),
            "--provenance-path".to_owned(),
            summary.display().to_string(),
            "--source-uri".to_owned(),
            "github.com/laurentsimon/gcb-tests".to_owned(),
            "--builder-id".to_owned(),
            builder.to_owned(),
            "--gcb-key-dir".to_owned(),
            keys.display().to_string(),
        ]
    };
    text_and_json(t.path(), "verify_image", &args(BUILDER));
    text_and_json(
        t.path(),
        "verify_image_other_builder",
        &args(&format!("{BUILDER}@v0.2")),
    );
}

#[test]
fn snapshot_admission_manifests() {
    let t = fixture();
    let ca = provenant_testkit::vectors_dir().join(
        "sigstore-python/test/assets/staging-tuf/targets/0e6b0442485ad552bea5f62f11c29e2acfda35307d7538430b4cc1dbef49bff1.fulcio.crt.pem",
    );
    let image = format!("registry.example/provenant@sha256:{}", "f".repeat(64));
    text_and_json(
        t.path(),
        "admission_manifests",
        &[
            "admission",
            "manifests",
            "--namespace",
            "provenant-system",
            "--image",
            &image,
            "--ca-bundle",
            ca.to_str().unwrap(),
            "--namespace-env",
            "shop=prod",
        ],
    );
}

/// Two digests promoted into prod (records signed with the fixed key and appended, by
/// `crate::deploy::promote`) and deployed one after the other, in a ledger at `l.db`.
fn deployed_twice() -> tempfile::TempDir {
    let t = fixture();
    let d = t.path();
    std::fs::write(
        d.join("roles.yaml"),
        "roles:\n  deployer:\n    keys: [ed.pub]\n  promoter:\n    keys: [ed.pub]\n",
    )
    .unwrap();
    step(d, &crate::support::LEDGER_INIT);
    for c in ['a', 'b'] {
        let digest = format!("sha256:{}", c.to_string().repeat(64));
        crate::deploy::promote(d, &digest, "prod", "ed.key");
        step(
            d,
            &[
                "deploy",
                "record",
                &format!("registry.example/shop/web@{digest}"),
                "--env",
                "prod",
                "--strategy",
                "rolling",
                "--health",
                "pass",
                "--key",
                "ed.key",
                "--ledger",
                "sqlite:l.db",
            ],
        );
    }
    t
}

#[test]
fn snapshot_rollback_plan_and_record() {
    let (a, b) = (deployed_twice(), deployed_twice());
    let (a, b) = (a.path(), b.path());
    let ledger = ["--ledger", "sqlite:l.db", "--roles", "roles.yaml"];
    text_and_json(
        a,
        "rollback_plan_unexercised",
        &[&["rollback", "plan", "--env", "prod"][..], &ledger].concat(),
    );
    let current = format!("registry.example/shop/web@sha256:{}", "b".repeat(64));
    text_and_json(
        a,
        "release_complete_without_baseline",
        &[&["release", "complete", &current, "--env", "prod"][..], &ledger].concat(),
    );
    let (from, to) = (
        format!("sha256:{}", "b".repeat(64)),
        format!("sha256:{}", "a".repeat(64)),
    );
    let record = [
        &[
            "rollback", "record", "--env", "prod", "--from", &from, "--to", &to,
        ][..],
        &["--reason", "error budget burnt", "--key", "ed.key"],
        &ledger,
    ]
    .concat();
    insta::assert_snapshot!("rollback_record", output(a, &record));
    insta::assert_snapshot!(
        "rollback_record.json",
        output(b, &[&record[..], &["--output", "json"]].concat())
    );
}

#[test]
fn snapshot_lineage_where() {
    let t = fixture();
    let d = t.path();
    crate::lineage_where::ledger(d);
    let ledger = ["--ledger", "sqlite:l.db"];
    text_and_json(
        d,
        "lineage_where_purl",
        &[
            &["lineage", "where", "--purl", "pkg:npm/lodash@<4.17.21"][..],
            &ledger,
        ]
        .concat(),
    );
    text_and_json(
        d,
        "lineage_where_cve",
        &[&["lineage", "where", "--cve", "CVE-2021-23337"][..], &ledger].concat(),
    );
}

#[test]
fn snapshot_conformance_sign_bundle() {
    use provenant_testkit::sigstore::{mock_identity_token, start_mock_sigstore};
    let t = fixture();
    let d = t.path();
    // Keyless signing against the in-test sigstore on loopback: the ephemeral key, certificate and
    // log entry are new on every run; the report names none of them.
    let mock = start_mock_sigstore();
    let token = mock_identity_token("https://issuer.example", "alice@example.com");
    let config = mock.signing_config.display().to_string();
    let args = |bundle: &str| {
        vec![
            "conformance".to_owned(),
            "sign-bundle".to_owned(),
            "--identity-token".to_owned(),
            token.clone(),
            "--bundle".to_owned(),
            bundle.to_owned(),
            "--signing-config".to_owned(),
            config.clone(),
            "a.txt".to_owned(),
        ]
    };
    // The in-test log draws its key and its first index at random: the log's id and the entry's
    // index are redacted, like a port.
    let filters = vec![
        (r"index \d+ \(log [0-9a-f]{64}\)", "index [INDEX] (log [LOG ID])"),
        (r#""log_index": \d+"#, r#""log_index": "[INDEX]""#),
        (r#""log_id": "[0-9a-f]{64}""#, r#""log_id": "[LOG ID]""#),
    ];
    let json = [
        args("json.sigstore.json"),
        vec!["--output".to_owned(), "json".to_owned()],
    ]
    .concat();
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("conformance_sign_bundle", output(d, &args("text.sigstore.json")));
        insta::assert_snapshot!("conformance_sign_bundle.json", output(d, &json));
    });
}

#[test]
fn snapshot_release_baseline() {
    // The SLIs are read live from a real Prometheus at the record's time, so this command runs on the
    // clock: the times it reports and the server's address are redacted. The SLI is a constant
    // query, so its values repeat.
    // Two fixtures with the same history, so that both runs report the same step.
    let (a, b) = (deployed_twice(), deployed_twice());
    let prometheus = provenant_testkit::prometheus::start_prometheus(&[]);
    let url = prometheus.base_url();
    let image = format!("registry.example/shop/web@sha256:{}", "b".repeat(64));
    let args = |format: &str| {
        [
            "release",
            "baseline",
            &image,
            "--env",
            "prod",
            "--prometheus",
            &url,
            "--query",
            "error_ratio=vector(0.01)",
            "--window",
            "3s",
            "--key",
            "ed.key",
            "--ledger",
            "sqlite:l.db",
            "--output",
            format,
        ]
        .map(str::to_owned)
    };
    let on_the_clock = || {
        let mut cmd = provenant();
        cmd.env_remove("SOURCE_DATE_EPOCH");
        cmd
    };
    let filters = vec![
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
        (url.as_str(), "[PROMETHEUS]"),
    ];
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("release_baseline", output_of(on_the_clock(), a.path(), &args("text")));
        insta::assert_snapshot!(
            "release_baseline.json",
            output_of(on_the_clock(), b.path(), &args("json"))
        );
    });
}
