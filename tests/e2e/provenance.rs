//! `provenant build`, `provenant provenance generate` and `provenant verify-provenance` end to end, on a
//! fixture project in a real git repository.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provenant_testkit::sigstore::{MockSigstore, mock_identity_token, start_mock_sigstore};
use provenant_testkit::validate_statement as validate;

use crate::support::{assert_no_debug_values, stdout};

/// A small C project, committed on `main`, whose `build.sh` writes `out/hello`.
pub(crate) fn fixture_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/main.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        root.join("build.sh"),
        "#!/bin/sh\nset -eu\nmkdir -p out\ncc -O2 -o out/hello src/main.c\necho built\n",
    )
    .unwrap();
    std::fs::write(root.join(".gitignore"), "out/\n*.json\n").unwrap();
    std::fs::set_permissions(root.join("build.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    provenant_testkit::commit_fixture(root);
    dir
}

pub(crate) fn provenant(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = crate::support::provenant();
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `provenant build` of the fixture's source (`github.com/org/hello`) with SUBJECT and `flags`, running
/// `-- COMMAND`.
fn build(dir: &Path, subject: &str, flags: &[&str], command: &[&str]) -> Output {
    let mut args = vec!["build", "--subject", subject, "--source", "github.com/org/hello"];
    args.extend_from_slice(flags);
    args.push("--");
    args.extend_from_slice(command);
    provenant(dir, &args, &[])
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn build_records_valid_provenance() {
    let project = fixture_project();
    let dir = project.path();
    let out = build(
        dir,
        "out/hello",
        &["--statement", "st.json", "--output", "json"],
        &["./build.sh"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The build's own output passes through.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("built\n"));
    let st = json(&dir.join("st.json"));
    assert_eq!(st["subject"][0]["name"], "out/hello");
    let digest =
        provenant_digest::Algorithm::Sha256.hash_bytes(&std::fs::read(dir.join("out/hello")).unwrap());
    assert_eq!(st["subject"][0]["digest"]["sha256"], digest.hex());
    validate(&dir.join("st.json"));
}

#[test]
fn failed_build_passes_its_exit_code_and_writes_nothing() {
    let project = fixture_project();
    let dir = project.path();
    let out = build(
        dir,
        "out/*",
        &["--statement", "st.json"],
        &["sh", "-c", "echo failing; exit 7"],
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no provenance written"));
    assert!(!dir.join("st.json").exists());
}

#[test]
fn dirty_tree_is_refused_before_the_build_runs() {
    let project = fixture_project();
    let dir = project.path();
    std::fs::write(dir.join("src/main.c"), "int main(void) { return 1; }\n").unwrap();
    let out = build(dir, "out/*", &["--statement", "st.json"], &["./build.sh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-dirty"));
    assert!(!dir.join("out").exists(), "the build ran on a dirty tree");
}

/// The fixture built outside Provenant, then `provenance generate --subject out/hello --statement
/// st.json` in the CI environment `env`: the statement, once in-toto's validator accepted it.
fn generate_in_ci(env: &[(&str, &str)]) -> serde_json::Value {
    let project = fixture_project();
    let dir = project.path();
    assert!(
        Command::new("sh")
            .arg("build.sh")
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    );
    let out = provenant(
        dir,
        &[
            "provenance",
            "generate",
            "--subject",
            "out/hello",
            "--statement",
            "st.json",
        ],
        env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    validate(&dir.join("st.json"));
    json(&dir.join("st.json"))
}

#[test]
fn generate_in_github_actions() {
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "org/hello"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_RUN_ID", "1234"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        (
            "GITHUB_WORKFLOW_REF",
            "org/hello/.github/workflows/release.yml@refs/heads/main",
        ),
    ];
    let st = generate_in_ci(&env);
    let p = &st["predicate"];
    assert_eq!(
        p["runDetails"]["builder"]["id"],
        "https://github.com/org/hello/.github/workflows/release.yml@refs/heads/main"
    );
    assert_eq!(
        p["runDetails"]["metadata"]["invocationId"],
        "https://github.com/org/hello/actions/runs/1234/attempts/1"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["source"]["uri"],
        "git+https://github.com/org/hello@refs/heads/main"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["entryPoint"],
        ".github/workflows/release.yml"
    );
    assert_eq!(p["buildDefinition"]["internalParameters"]["ci"], "github-actions");
}

#[test]
fn generate_in_gitlab_ci() {
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_SERVER_URL", "https://gitlab.com"),
        ("CI_PROJECT_URL", "https://gitlab.com/group/hello"),
        ("CI_COMMIT_TAG", "v1.0.0"),
        ("CI_JOB_ID", "99"),
        ("CI_RUNNER_ID", "5"),
    ];
    let st = generate_in_ci(&env);
    let p = &st["predicate"];
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["source"]["uri"],
        "git+https://gitlab.com/group/hello@refs/tags/v1.0.0"
    );
    assert_eq!(
        p["runDetails"]["metadata"]["invocationId"],
        "https://gitlab.com/group/hello/-/jobs/99"
    );
    assert_eq!(p["runDetails"]["builder"]["id"], "https://gitlab.com/-/runners/5");
}

fn vectors() -> PathBuf {
    provenant_testkit::vectors_dir()
}

const GO_BUILDER: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml";
/// The Go builder's v2.1.0 binaries (too large for the vectors; slsa-verifier only hashes them).
const GO_BINARY: &str = "sha256:f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066";

/// `provenant verify-provenance` on slsa-verifier's v2.1.0 Go builder bundle, offline against the
/// production trusted root snapshot, with `args` replacing the defaults they name.
fn verify_go(bundle: &str, overrides: &[(&str, &str)]) -> Output {
    let testdata = vectors().join("slsa-verifier/cli/slsa-verifier/testdata/gha_go/v2.1.0");
    let root = vectors().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let mut options: Vec<(String, String)> = vec![
        ("artefact".into(), GO_BINARY.into()),
        ("--bundle".into(), testdata.join(bundle).display().to_string()),
        (
            "--source-uri".into(),
            "github.com/slsa-framework/example-package".into(),
        ),
        ("--builder-id".into(), GO_BUILDER.into()),
        (
            "--certificate-identity-regexp".into(),
            format!("{GO_BUILDER}@refs/tags/v[0-9.]+"),
        ),
        (
            "--certificate-oidc-issuer".into(),
            "https://token.actions.githubusercontent.com".into(),
        ),
        ("--trusted-root".into(), root.display().to_string()),
    ];
    for (k, v) in overrides {
        match options.iter_mut().find(|(a, _)| a == k) {
            Some(slot) => (*v).clone_into(&mut slot.1),
            None => options.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let mut command_line = vec!["verify-provenance".to_owned()];
    if !options.iter().any(|(k, _)| k == "--output") {
        command_line.extend(["--output".to_owned(), "json".to_owned()]);
    }
    for (k, v) in options {
        if k != "artefact" {
            command_line.push(k);
        }
        if !v.is_empty() {
            command_line.push(v);
        }
    }
    let command_line: Vec<&str> = command_line.iter().map(String::as_str).collect();
    provenant(Path::new("."), &command_line, &[])
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn slsa_verifier_bundle_verifies_offline() {
    let out = verify_go(
        "binary-linux-amd64-push-v14.2.intoto.jsonl",
        &[("--source-versioned-tag", "v14"), ("--build-level", "3")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["verified"], true);
    assert_eq!(r["predicate_type"], "https://slsa.dev/provenance/v0.2");
    assert_eq!(r["build_level"], 3);
}

#[test]
fn slsa_verifier_bundle_failures_name_their_check() {
    let bundle = "binary-linux-amd64-workflow_dispatch.intoto.jsonl";
    let cases: [(&[(&str, &str)], &str); 8] = [
        (
            &[(
                "artefact",
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            )],
            "subject",
        ),
        (
            &[("--source-uri", "github.com/slsa-framework/example-packageA")],
            "source",
        ),
        (&[("--source-branch", "master")], "ref"),
        (&[("--source-tag", "v1.2.3")], "ref"),
        (&[("--source-versioned-tag", "v1")], "ref"),
        (
            &[(
                "--builder-id",
                "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml",
            )],
            "builder",
        ),
        (
            &[("--builder-id", &format!("{GO_BUILDER}@refs/tags/v2.0.0"))],
            "builder",
        ),
        (
            &[("--certificate-oidc-issuer", "https://accounts.google.com")],
            "signature",
        ),
    ];
    for (overrides, check) in cases {
        let out = verify_go(bundle, overrides);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{overrides:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = report(&out);
        assert_eq!(r["verified"], false);
        assert_eq!(r["failed_check"], check, "{overrides:?}: {}", r["error"]);
    }
}

#[test]
fn verify_provenance_usage_errors_exit_2() {
    let out = verify_go(
        "binary-linux-amd64-workflow_dispatch.intoto.jsonl",
        &[("--source-uri", "github.com/org/repo@refs/heads/main")],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = verify_go(
        "binary-linux-amd64-workflow_dispatch.intoto.jsonl",
        &[("artefact", "sha256:abc")],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = verify_go("no-such-bundle.json", &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn print_provenance_and_vsa() {
    let dir = tempfile::tempdir().unwrap();
    let vsa = dir.path().join("vsa.json");
    let out = verify_go(
        "binary-linux-amd64-workflow_dispatch.intoto.jsonl",
        &[("--vsa", vsa.to_str().unwrap()), ("--print-provenance", "")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    validate(&vsa);
    let v = json(&vsa);
    assert_eq!(v["predicate"]["verificationResult"], "PASSED");
    assert_eq!(
        v["subject"][0]["digest"]["sha256"],
        GO_BINARY.trim_start_matches("sha256:")
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("\"predicateType\": \"https://slsa.dev/provenance/v0.2\"")
    );
}

/// Signs `statement` with sigstore-js (an independent signer) on the loopback sigstore, keylessly as
/// `subject` issued by `issuer`.
fn sigstore_js_attest(sigstore: &MockSigstore, statement: &Path, bundle: &Path, issuer: &str, subject: &str) {
    let out = Command::new(provenant_testkit::require_on_path("node"))
        .arg(provenant_testkit::repo_root().join("tests/harness/sigstore-js-sign.js"))
        .arg(statement)
        .arg(bundle)
        .arg(sigstore.base_url())
        .arg("--statement")
        .env("NODE_PATH", provenant_testkit::require_node_modules("sigstore"))
        .env("SIGSTORE_ID_TOKEN", mock_identity_token(issuer, subject))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sigstore-js attest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const CI_ISSUER: &str = "https://ci.example.com";
const CI_SIGNER: &str = "https://ci.example.com/org/hello/.ci/release.yml@refs/heads/main";

#[test]
fn fixture_built_with_provenant_build_verifies_and_each_change_fails_with_its_reason() {
    let sigstore = start_mock_sigstore();
    let project = fixture_project();
    let dir = project.path();
    let builder = "https://ci.example.com/builders/hello";
    let out = build(
        dir,
        "out/hello",
        &["--builder-id", builder, "--statement", "st.json"],
        &["./build.sh"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    sigstore_js_attest(
        &sigstore,
        &dir.join("st.json"),
        &dir.join("provenance.sigstore.json"),
        CI_ISSUER,
        CI_SIGNER,
    );
    std::fs::write(dir.join("other"), b"not the artefact").unwrap();

    let root = sigstore.trusted_root.clone();
    let verify = |overrides: &[(&str, &str)]| {
        let mut args = vec![
            ("artefact", "out/hello"),
            ("--bundle", "provenance.sigstore.json"),
            ("--source-uri", "github.com/org/hello"),
            ("--source-branch", "main"),
            ("--builder-id", builder),
            ("--certificate-identity", CI_SIGNER),
            ("--certificate-oidc-issuer", CI_ISSUER),
            ("--trusted-root", root.to_str().unwrap()),
        ];
        for (k, v) in overrides {
            args.iter_mut().find(|(a, _)| a == k).unwrap().1 = v;
        }
        let mut command_line = vec!["verify-provenance", "--output", "json"];
        for (k, v) in args {
            if k != "artefact" {
                command_line.push(k);
            }
            command_line.push(v);
        }
        let out = provenant(dir, &command_line, &[]);
        (out.status.code(), report(&out))
    };

    let (code, r) = verify(&[]);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["predicate_type"], "https://slsa.dev/provenance/v1");
    assert_eq!(r["signer"], CI_SIGNER);
    let digest =
        provenant_digest::Algorithm::Sha256.hash_bytes(&std::fs::read(dir.join("out/hello")).unwrap());
    let by_digest = digest.to_string();
    assert_eq!(verify(&[("artefact", &by_digest)]).0, Some(0));

    for (overrides, check) in [
        (&[("artefact", "other")][..], "subject"),
        (&[("--source-uri", "github.com/org/hell0")][..], "source"),
        (&[("--source-branch", "release")][..], "ref"),
        (
            &[("--builder-id", "https://ci.example.com/builders/other")][..],
            "builder",
        ),
        (
            &[("--certificate-identity", "https://ci.example.com/someone/else")][..],
            "signature",
        ),
    ] {
        let (code, r) = verify(overrides);
        assert_eq!(code, Some(1), "{overrides:?}: {r}");
        assert_eq!(r["failed_check"], check, "{overrides:?}: {r}");
    }
}

#[test]
fn build_signs_its_provenance_keylessly_and_it_verifies() {
    let sigstore = start_mock_sigstore();
    let project = fixture_project();
    let dir = project.path();
    let token = mock_identity_token(CI_ISSUER, CI_SIGNER);
    let base = sigstore.base_url();
    let out = build(
        dir,
        "out/hello",
        &[
            "--bundle",
            "hello.provenance.json",
            "--identity-token",
            &token,
            "--fulcio-url",
            &base,
            "--rekor-url",
            &base,
        ],
        &["./build.sh"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let out = provenant(
        dir,
        &[
            "verify-provenance",
            "out/hello",
            "--bundle",
            "hello.provenance.json",
            "--source-uri",
            "github.com/org/hello",
            "--source-branch",
            "main",
            "--builder-id",
            provenant_slsa_local_builder(),
            "--certificate-identity",
            CI_SIGNER,
            "--certificate-oidc-issuer",
            CI_ISSUER,
            "--trusted-root",
            &root,
            "--vsa",
            "vsa.json",
            "--vsa-bundle",
            "vsa.sigstore.json",
            "--identity-token",
            &token,
            "--fulcio-url",
            &base,
            "--rekor-url",
            &base,
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    validate(&dir.join("vsa.json"));
    // The signed VSA verifies as an attestation about the artefact.
    let out = provenant(
        dir,
        &[
            "verify-attestation",
            "out/hello",
            "--bundle",
            "vsa.sigstore.json",
            "--type",
            "https://slsa.dev/verification_summary/v1",
            "--certificate-identity",
            CI_SIGNER,
            "--certificate-oidc-issuer",
            CI_ISSUER,
            "--trusted-root",
            &root,
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn provenant_slsa_local_builder() -> &'static str {
    "https://github.com/provenant-dev/provenant/builders/local"
}

type Mutation = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn malformed_signed_provenance_is_rejected_naming_the_field() {
    let sigstore = start_mock_sigstore();
    let project = fixture_project();
    let dir = project.path();
    let out = build(dir, "out/hello", &["--statement", "st.json"], &["./build.sh"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let good = json(&dir.join("st.json"));
    let hex = good["subject"][0]["digest"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "empty subjects",
            Box::new(|s| s["subject"] = serde_json::json!([])),
            "statement",
            "subject",
        ),
        (
            "unknown algorithm",
            Box::new(|s| s["subject"][0]["digest"] = serde_json::json!({ "sha257": "ab" })),
            "statement",
            "subject[0].digest.sha257",
        ),
        (
            "no builder id",
            Box::new(|s| s["predicate"]["runDetails"]["builder"]["id"] = serde_json::json!("")),
            "predicate",
            "runDetails.builder.id",
        ),
        (
            "bad timestamp",
            Box::new(|s| s["predicate"]["runDetails"]["metadata"]["startedOn"] = serde_json::json!("noon")),
            "predicate",
            "runDetails.metadata.startedOn",
        ),
        (
            "unknown predicate",
            Box::new(|s| s["predicateType"] = serde_json::json!("https://slsa.dev/provenance/v0.1")),
            "predicate",
            "https://slsa.dev/provenance/v0.1",
        ),
    ];
    for (name, mutate, check, field) in cases {
        let mut statement = good.clone();
        mutate(&mut statement);
        std::fs::write(dir.join("bad.json"), serde_json::to_vec(&statement).unwrap()).unwrap();
        sigstore_js_attest(
            &sigstore,
            &dir.join("bad.json"),
            &dir.join("bad.sigstore.json"),
            CI_ISSUER,
            CI_SIGNER,
        );
        let out = provenant(
            dir,
            &[
                "verify-provenance",
                &format!("sha256:{hex}"),
                "--bundle",
                "bad.sigstore.json",
                "--source-uri",
                "github.com/org/hello",
                "--builder-id",
                provenant_slsa_local_builder(),
                "--certificate-identity",
                CI_SIGNER,
                "--certificate-oidc-issuer",
                CI_ISSUER,
                "--trusted-root",
                &root,
                "--output",
                "json",
            ],
            &[],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = report(&out);
        assert_eq!(r["failed_check"], check, "{name}: {r}");
        assert!(r["error"].as_str().unwrap().contains(field), "{name}: {r}");
    }
}

/// `provenant verify-vsa` on slsa-verifier's GKE VSA vector, with `overrides` replacing flags.
fn verify_vsa(overrides: &[(&str, &str)]) -> Output {
    let dir = vectors().join("slsa-verifier/cli/slsa-verifier/testdata/vsa/gce/v1");
    let mut options: Vec<(String, String)> = vec![
        (
            "--attestation-path".into(),
            dir.join("gke-gce-pre.bcid-vsa.jsonl").display().to_string(),
        ),
        (
            "--subject-digest".into(),
            "gce_image_id:8970095005306000053".into(),
        ),
        (
            "--resource-uri".into(),
            "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre".into(),
        ),
        (
            "--verifier-id".into(),
            "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1".into(),
        ),
        ("--verified-level".into(), "SLSA_BUILD_LEVEL_2".into()),
        (
            "--public-key-path".into(),
            dir.join("vsa_signing_public_key.pem").display().to_string(),
        ),
        (
            "--public-key-id".into(),
            "keystore://76574:prod:vsa_signing_public_key".into(),
        ),
    ];
    for (flag, value) in overrides {
        if let Some(o) = options.iter_mut().find(|(f, _)| f == flag) {
            (*value).clone_into(&mut o.1);
        }
    }
    let mut cmd = crate::support::provenant();
    cmd.args(["--output", "json", "verify-vsa"]);
    for (flag, value) in options {
        cmd.arg(flag).arg(value);
    }
    cmd.output().unwrap()
}

#[test]
fn verify_vsa_passes_and_each_expectation_can_fail_it() {
    let ok = verify_vsa(&[]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["verified_levels"][1], "SLSA_BUILD_LEVEL_2");
    for (flag, value, reason) in [
        ("--public-key-id", "my_key_id", "no valid signature"),
        ("--subject-digest", "gce_image_id:1", "no subject"),
        ("--resource-uri", "gce_image://other", "resource URI"),
        ("--verifier-id", "https://example.com/verifier", "verifier id"),
        ("--verified-level", "SLSA_BUILD_LEVEL_3", "does not verify level"),
    ] {
        let out = verify_vsa(&[(flag, value)]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verified"], false, "{flag}");
        let error = report["error"].as_str().unwrap();
        assert!(error.contains(reason), "{flag}: {error}");
    }
    // A malformed digest is a usage error, before any verification.
    assert_eq!(
        verify_vsa(&[("--subject-digest", "nocolon")]).status.code(),
        Some(2)
    );
}

#[test]
fn build_workflow_input_is_checked_against_the_provenance() {
    let bundle = "binary-linux-amd64-workflow_dispatch.intoto.jsonl";
    let out = verify_go(bundle, &[("--build-workflow-input", "release_version=v1.2.3")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["failed_check"], "workflow-inputs", "{r}");
    assert!(r["error"].as_str().unwrap().contains("no workflow inputs"), "{r}");
    let out = verify_go(bundle, &[("--build-workflow-input", "no-equals-sign")]);
    assert_eq!(out.status.code(), Some(2));
    // Without the flag the same bundle verifies.
    assert_eq!(verify_go(bundle, &[]).status.code(), Some(0));
}

/// Issue 15, item 3: `--source-tag` on a branch build printed `the build ran for Some("refs/heads/main")`.
/// Every failure of `verify-provenance` (each check, and the usage errors), in text and JSON, reads as
/// text: no `Some(`, `None` or Debug-escaped quote.
#[test]
fn verify_provenance_messages_carry_no_rust_debug_values() {
    let bundle = "binary-linux-amd64-workflow_dispatch.intoto.jsonl";
    let other_builder =
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml";
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("--source-tag", "v1.2.3")],
        vec![("--source-branch", "master")],
        vec![("--source-versioned-tag", "v1")],
        vec![("--source-uri", "github.com/slsa-framework/example-packageA")],
        vec![(
            "--source-uri",
            "git+https://github.com/slsa-framework/example-package.git@main",
        )],
        vec![("--builder-id", other_builder)],
        vec![("--certificate-oidc-issuer", "https://accounts.google.com")],
        vec![("--certificate-identity-regexp", "https://github.com/other/.*")],
        vec![(
            "artefact",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        )],
        vec![("--build-level", "4")],
    ];
    for overrides in cases {
        let out = verify_go(bundle, &overrides);
        assert_ne!(out.status.code(), Some(0), "{overrides:?}");
        assert_no_debug_values(&out, &format!("{overrides:?} (json)"));
        // The same failure as text.
        let mut text = overrides.clone();
        text.push(("--output", "text"));
        let out = verify_go(bundle, &text);
        assert_no_debug_values(&out, &format!("{overrides:?} (text)"));
    }
    let out = verify_go(bundle, &[("--source-tag", "v1.2.3"), ("--output", "text")]);
    assert!(
        stdout(&out).contains("the build ran for refs/heads/main"),
        "{}",
        stdout(&out)
    );
    // verify-vsa's failures and its usage error.
    for (flag, value) in [
        ("--public-key-id", "my_key_id"),
        ("--subject-digest", "gce_image_id:1"),
        ("--resource-uri", "gce_image://other"),
        ("--verifier-id", "https://example.com/verifier"),
        ("--verified-level", "SLSA_BUILD_LEVEL_3"),
        ("--subject-digest", "nocolon"),
    ] {
        let out = verify_vsa(&[(flag, value)]);
        assert_ne!(out.status.code(), Some(0), "{flag}");
        assert_no_debug_values(&out, &format!("verify-vsa {flag} {value}"));
    }
}
