//! `provenant verify-github-attestation` on slsa-verifier's BCR vectors (GitHub artifact attestations),
//! offline against the production trusted-root snapshot.

use std::path::PathBuf;
use std::process::Output;

use crate::support::{assert_no_debug_values, provenant, run, stderr, stdout};

const PUBLISHER: &str = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
const RELEASER: &str = "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml";
/// `rules_lint-v1.3.1.tar.gz`, too large for the vectors: slsa-verifier only hashes it.
const ARCHIVE: &str = "sha256:1636f443b01c9ee310ee5834956d0dce374c3d3bf8d4cebc9f6b86f8304b4982";

fn bcr() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier/cli/slsa-verifier/testdata/bcr")
}

fn verify(artefact: &str, attestation: &str, extra: &[&str]) -> Output {
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    run(provenant()
        .arg("verify-github-attestation")
        .arg(artefact)
        .arg("--attestation-path")
        .arg(bcr().join(attestation))
        .arg("--source-uri")
        .arg("github.com/aspect-build/rules_lint")
        .arg("--trusted-root")
        .arg(&root)
        .args(extra))
}

#[test]
fn github_attestations_verify_offline() {
    let module = bcr().join("MODULE.bazel");
    let out = verify(
        module.to_str().unwrap(),
        "MODULE.bazel.intoto.jsonl",
        &["--builder-id", PUBLISHER, "--source-branch", "publish-to-bcr"],
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains(&format!("built by {PUBLISHER}@refs/tags/v0.0.1")),
        "{}",
        stdout(&out)
    );

    let out = verify(
        ARCHIVE,
        "rules_lint-v1.3.1.tar.gz.intoto.jsonl",
        &[
            "--builder-id",
            RELEASER,
            "--print-attestation",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut docs = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
    let statement = docs.next().unwrap().unwrap();
    assert_eq!(statement["subject"][0]["name"], "rules_lint-v1.3.1.tar.gz");
    let report = docs.next().unwrap().unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(
        report["source_commit"],
        "8f70009fde0c94ade6ce2a054b94718c819126ec"
    );
}

#[test]
fn github_attestation_failures_name_their_check() {
    let module = bcr().join("MODULE.bazel");
    let module = module.to_str().unwrap();
    let failing = |artefact: &str, attestation: &str, extra: &[&str], check: &str| {
        let out = verify(artefact, attestation, &[extra, &["--output", "json"]].concat());
        assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["failed_check"], check, "{report}");
    };
    // Signed by a workflow that is not the builder.
    failing(
        module,
        "MODULE-wrong-signer.bazel.intoto.jsonl",
        &["--builder-id", PUBLISHER],
        "builder",
    );
    // No builder named: nothing is trusted.
    failing(module, "MODULE.bazel.intoto.jsonl", &[], "builder");
    // The archive's attestation for MODULE.bazel.
    failing(
        module,
        "rules_lint-v1.3.1.tar.gz.intoto.jsonl",
        &["--builder-id", RELEASER],
        "subject",
    );
    // The ref.
    failing(
        module,
        "MODULE.bazel.intoto.jsonl",
        &["--builder-id", PUBLISHER, "--source-tag", "v1.3.1"],
        "ref",
    );
}

/// Issue 15, item 3: every failure of `verify-github-attestation`, in text and JSON, reads as text: no
/// `Some(`, `None` or Debug-escaped quote.
#[test]
fn verify_github_attestation_messages_carry_no_rust_debug_values() {
    let module = bcr().join("MODULE.bazel");
    let module = module.to_str().unwrap();
    let cases: [(&str, &[&str]); 7] = [
        (
            "MODULE-wrong-signer.bazel.intoto.jsonl",
            &["--builder-id", PUBLISHER],
        ),
        ("MODULE.bazel.intoto.jsonl", &[]),
        (
            "rules_lint-v1.3.1.tar.gz.intoto.jsonl",
            &["--builder-id", RELEASER],
        ),
        (
            "MODULE.bazel.intoto.jsonl",
            &["--builder-id", PUBLISHER, "--source-tag", "v1.3.1"],
        ),
        (
            "MODULE.bazel.intoto.jsonl",
            &["--builder-id", PUBLISHER, "--source-branch", "main"],
        ),
        (
            "MODULE.bazel.intoto.jsonl",
            &["--builder-id", PUBLISHER, "--source-versioned-tag", "v9"],
        ),
        (
            "MODULE.bazel.intoto.jsonl",
            &["--builder-id", PUBLISHER, "--source-uri", "github.com/o/r@x"],
        ),
    ];
    for (attestation, extra) in cases {
        let out = verify(module, attestation, extra);
        assert_ne!(out.status.code(), Some(0), "{extra:?}");
        assert_no_debug_values(&out, &format!("{attestation} {extra:?} (text)"));
        let out = verify(module, attestation, &[extra, &["--output", "json"]].concat());
        assert_no_debug_values(&out, &format!("{attestation} {extra:?} (json)"));
    }
}

/// `verify-github-attestation --insecure-ignore-tlog`: the JSON report lists the skipped check and the
/// text says so.
#[test]
fn skipped_transparency_log_is_reported_by_verify_github_attestation() {
    let module = bcr().join("MODULE.bazel");
    let flags = [
        "--builder-id",
        PUBLISHER,
        "--source-branch",
        "publish-to-bcr",
        "--insecure-ignore-tlog",
    ];
    let text = verify(module.to_str().unwrap(), "MODULE.bazel.intoto.jsonl", &flags);
    let json = verify(
        module.to_str().unwrap(),
        "MODULE.bazel.intoto.jsonl",
        &[&flags[..], &["--output", "json"]].concat(),
    );
    let report = crate::support::assert_skipped_tlog(&text, &json, "");
    assert_eq!(report["verified"], true, "{report}");
}
