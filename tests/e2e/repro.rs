//! `provenant repro check` end to end: verdicts, exit codes, bad input, and the source left untouched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{base64_decode, base64_encode};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/repro")
        .join(name)
}

/// Copies a fixture into a fresh git repository (one commit at a fixed date) and returns it.
fn repo(name: &str) -> tempfile::TempDir {
    provenant_testkit::committed_copy(&fixture(name))
}

fn provenant(dir: &Path, args: &[&str]) -> Output {
    crate::support::provenant()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `provenant repro check FLAGS -- ./build.sh` in `dir`.
fn repro_check(dir: &Path, flags: &[&str]) -> Output {
    let mut args = vec!["repro", "check"];
    args.extend_from_slice(flags);
    args.extend(["--", "./build.sh"]);
    provenant(dir, &args)
}

/// Builds the fixture in `src` (at the fixed epoch) and keeps its `out/bundle.tar.gz` as `kept`, leaving
/// the source as it was.
fn rebuild_artefact(src: &Path, kept: &Path) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg("./build.sh && cp out/bundle.tar.gz \"$1\" && rm -rf out stage")
        .arg("sh")
        .arg(kept)
        .current_dir(src)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .status()
        .unwrap();
    assert!(ok.success());
}

fn tree(dir: &Path) -> String {
    let out = provenant(dir, &["digest", "."]);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reproducible_fixture_passes_with_json_report() {
    let src = repo("reproducible");
    let before = tree(src.path());
    let out = repro_check(
        src.path(),
        &["--output", "json", "--runs", "3", "--artifact", "out/*"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reproducible"], true);
    assert_eq!(report["source_date_epoch"], 1_700_000_000);
    assert_eq!(report["source_date_epoch_origin"], "git-commit");
    assert_eq!(report["runs"].as_array().unwrap().len(), 3);
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["out/bundle.tar.gz", "out/greeting.txt"]);
    // Every requested variation is either applied or reported with a reason.
    let applied = report["applied"].as_array().unwrap().len();
    let not_applied = report["not_applied"].as_array().unwrap();
    assert_eq!(applied + not_applied.len(), 11);
    assert!(
        not_applied
            .iter()
            .all(|n| !n["reason"].as_str().unwrap().is_empty())
    );
    // The source tree is untouched: no out/ appeared in it, nothing changed.
    assert!(!src.path().join("out").exists());
    assert_eq!(before, tree(src.path()));
}

#[test]
fn unreproducible_fixture_exits_1_and_names_the_artefact() {
    let src = repo("hostname");
    let out = repro_check(
        src.path(),
        &["--vary", "hostname", "--artifact", "out/buildinfo.txt"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("NOT REPRODUCIBLE"), "{stdout}");
    assert!(stdout.contains("DIFFERS out/buildinfo.txt"), "{stdout}");
}

#[test]
fn the_same_fixture_is_reproducible_without_the_variation_that_exposes_it() {
    let src = repo("hostname");
    let out = repro_check(src.path(), &["--vary=-hostname", "--artifact", "out/*"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn failing_build_is_a_failed_build_not_a_verdict() {
    let src = repo("reproducible");
    let out = provenant(
        src.path(),
        &[
            "repro",
            "check",
            "--",
            "sh",
            "-c",
            "echo compiler exploded >&2; exit 3",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("build failed"), "{stderr}");
    assert!(stderr.contains("compiler exploded"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("NOT REPRODUCIBLE"));
}

#[test]
fn missing_artefact_is_named() {
    let src = repo("reproducible");
    let out = repro_check(
        src.path(),
        &["--artifact", "out/*.tar.gz", "--artifact", "dist/*.whl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("dist/*.whl"), "{stderr}");
    assert!(!stderr.contains("out/*.tar.gz"), "{stderr}");
}

#[test]
fn source_date_epoch_can_be_disabled() {
    let src = repo("reproducible");
    let out = provenant(
        src.path(),
        &[
            "repro",
            "check",
            "--output",
            "json",
            "--vary",
            "umask",
            "--no-source-date-epoch",
            "--",
            "sh",
            "-c",
            "mkdir -p out; echo \"${SOURCE_DATE_EPOCH:-unset}\" > out/sde",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["source_date_epoch_origin"], "disabled");
    assert_eq!(report["artifacts"][0]["path"], "out/sde");
}

#[test]
fn unknown_variation_is_a_usage_error() {
    let src = repo("reproducible");
    let out = repro_check(src.path(), &["--vary", "moonphase"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("moonphase"));
}

#[test]
fn differences_are_explained_and_diffoscope_writes_html() {
    let src = repo("umask");
    let html_dir = tempfile::tempdir().unwrap();
    let out = repro_check(
        src.path(),
        &[
            "--output",
            "json",
            "--vary",
            "umask",
            "--artifact",
            "out/app.tar",
            "--diffoscope",
            html_dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &report["explanations"][0];
    assert_eq!(e["artifact"], "out/app.tar");
    assert_eq!(e["run"], 1);
    let d = &e["comparison"]["differences"][0];
    assert_eq!(d["kind"], "permissions");
    assert_eq!(d["location"][0], "app.conf");
    assert_eq!(d["detail"]["first"], "0644");
    assert_eq!(d["detail"]["second"], "0664");
    let html = report["diffoscope"][0]["html"].as_str().unwrap();
    let text = std::fs::read_to_string(html).unwrap();
    assert!(
        text.contains("diffoscope") && text.contains("app.conf"),
        "not a diffoscope report"
    );

    // The text report shows the same, with the likely cause.
    let out = repro_check(src.path(), &["--vary", "umask"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[permissions] app.conf: permissions differ"),
        "{stdout}"
    );
    assert!(
        stdout.contains("likely cause: file modes follow the umask"),
        "{stdout}"
    );
}

/// `provenant build` records the fixture's build; returns the provenance path.
fn provenance_for(src: &Path, out: &Path) -> PathBuf {
    let prov = out.join("provenance.json");
    let o = crate::support::provenant()
        .args([
            "build",
            "--subject",
            "out/*",
            "--source",
            "github.com/example/fixture",
            "--statement",
        ])
        .arg(&prov)
        .args(["--", "./build.sh"])
        .current_dir(src)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "provenant build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    prov
}

#[test]
fn rebuild_from_provenance_passes_and_fails_naming_the_subject() {
    let src = repo("reproducible");
    let scratch = tempfile::tempdir().unwrap();
    let prov = provenance_for(src.path(), scratch.path());
    // The build left out/ in the work tree; the rebuild checks out the commit elsewhere.
    std::fs::remove_dir_all(src.path().join("out")).unwrap();
    let before = tree(src.path());
    let verify = |source: &Path| {
        crate::support::provenant()
            .args(["repro", "verify", "--insecure-skip-signature", "--bundle"])
            .arg(&prov)
            .arg("--source")
            .arg(source)
            .output()
            .unwrap()
    };
    let out = verify(src.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("REBUILT") && stdout.contains("ok        out/bundle.tar.gz"),
        "{stdout}"
    );
    assert!(stdout.contains("checked out into a fresh directory"), "{stdout}");
    assert!(
        stdout.contains("signature: NOT VERIFIED (--insecure-skip-signature)"),
        "{stdout}"
    );
    assert_eq!(before, tree(src.path()), "the source was modified");

    // An uncommitted change in the git source does not matter: the recorded commit is what is built.
    std::fs::write(
        src.path().join("build.sh"),
        "#!/bin/sh\nmkdir -p out; echo tampered > out/greeting.txt\n",
    )
    .unwrap();
    assert_eq!(verify(src.path()).status.code(), Some(0));

    // A source directory that is not the recorded commit (no git: built as it is) and differs: the
    // rebuild fails, naming the subject that changed.
    let plain = tempfile::tempdir().unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(fixture("reproducible").join("."))
        .arg(plain.path())
        .status()
        .unwrap();
    assert!(ok.success());
    let script = std::fs::read_to_string(plain.path().join("build.sh")).unwrap();
    std::fs::write(
        plain.path().join("build.sh"),
        script.replace("hello, reproducible world", "hello, changed world"),
    )
    .unwrap();
    let out = verify(plain.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("DIFFERS   out/greeting.txt"), "{stdout}");
    assert!(stdout.contains("DIFFERS   out/bundle.tar.gz"), "{stdout}");
    assert!(stdout.contains("NOT checked out"), "{stdout}");

    // A subject the rebuild does not produce is named as missing.
    let doc = std::fs::read_to_string(&prov).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    v["subject"][0]["name"] = "out/never-built.bin".into();
    let tampered = scratch.path().join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = crate::support::provenant()
        .args([
            "repro",
            "verify",
            "--insecure-skip-signature",
            "--output",
            "json",
            "--bundle",
        ])
        .arg(&tampered)
        .arg("--source")
        .arg(src.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "out/never-built.bin")
        .unwrap();
    assert_eq!(missing["matches"], false);
    assert!(missing["rebuilt"].is_null());
    assert_eq!(report["signature"]["verified"], false);
}

#[test]
fn provenance_without_a_command_cannot_be_rerun() {
    let src = repo("reproducible");
    let scratch = tempfile::tempdir().unwrap();
    let prov = provenance_for(src.path(), scratch.path());
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&prov).unwrap()).unwrap();
    v["predicate"]["buildDefinition"]["externalParameters"]
        .as_object_mut()
        .unwrap()
        .remove("command");
    std::fs::write(&prov, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = provenant(
        src.path(),
        &[
            "repro",
            "verify",
            "--insecure-skip-signature",
            "--bundle",
            prov.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("command"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn signed_attestation_verifies_as_a_reproducibility_attestation() {
    use provenant_testkit::sigstore::{mock_identity_token, start_mock_sigstore};
    const ISSUER: &str = "https://ci.example.com";
    const SIGNER: &str = "https://ci.example.com/rebuilder";
    let sigstore = start_mock_sigstore();
    let src = repo("reproducible");
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("repro.sigstore.json");
    let statement = scratch.path().join("repro.statement.json");
    let token = mock_identity_token(ISSUER, SIGNER);
    let base = sigstore.base_url();
    let signing = [
        "--identity-token",
        &token,
        "--fulcio-url",
        &base,
        "--rekor-url",
        &base,
    ];
    let out = provenant(src.path(), &signed_check(&statement, &bundle, &signing));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The bundle carries exactly the statement written beside it.
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let payload = b["dsseEnvelope"]["payload"].as_str().unwrap();
    let decoded = base64_decode(payload);
    assert_eq!(decoded, std::fs::read(&statement).unwrap());

    // It verifies as an attestation of our predicate type about an artefact of the build.
    let kept = scratch.path().join("bundle.tar.gz");
    rebuild_artefact(src.path(), &kept);
    let root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let verify = |identity: &str| {
        provenant(
            src.path(),
            &[
                "verify-attestation",
                kept.to_str().unwrap(),
                "--bundle",
                bundle.to_str().unwrap(),
                "--type",
                "https://provenant.dev/attestation/reproducibility/v1",
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                &root,
            ],
        )
    };
    let out = verify(SIGNER);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        verify("https://ci.example.com/someone-else").status.code(),
        Some(1)
    );
}

/// Runs the binary in `dir` with the test key's password.
fn keyed(dir: &Path, args: &[&str]) -> Output {
    crate::support::provenant()
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1700000000")
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

/// Makes `NAME.key` (cosign-encrypted, password s3cret) and `NAME.pub` in `dir`.
fn keypair(dir: &Path, name: &str) {
    let out = keyed(dir, &["keys", "generate", "--output-key-prefix", name]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn keyed_repro_attestation_verifies_here_and_with_sigstore_js() {
    let src = repo("reproducible");
    let keys = tempfile::tempdir().unwrap();
    keypair(keys.path(), "release");
    let key = keys.path().join("release.key");
    let public = keys.path().join("release.pub");
    let bundle = keys.path().join("repro.sigstore.json");
    let statement = keys.path().join("repro.statement.json");
    let out = keyed(
        src.path(),
        &signed_check(&statement, &bundle, &["--key", key.to_str().unwrap()]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(
        base64_decode(b["dsseEnvelope"]["payload"].as_str().unwrap()),
        std::fs::read(&statement).unwrap(),
        "the bundle signs exactly the statement written beside it"
    );
    assert!(b["verificationMaterial"]["publicKey"]["hint"].is_string(), "{b}");

    // The artefact the attestation is about, rebuilt.
    let kept = keys.path().join("bundle.tar.gz");
    rebuild_artefact(src.path(), &kept);
    let verify = |public: &Path| {
        keyed(
            src.path(),
            &[
                "verify-attestation",
                kept.to_str().unwrap(),
                "--bundle",
                bundle.to_str().unwrap(),
                "--type",
                "https://provenant.dev/attestation/reproducibility/v1",
                "--key",
                public.to_str().unwrap(),
                "--insecure-ignore-tlog",
            ],
        )
    };
    let out = verify(&public);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    keypair(keys.path(), "other");
    let out = verify(&keys.path().join("other.pub"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // sigstore-js verifies the keyed bundle with the public key and an empty trusted root.
    let node_modules = provenant_testkit::require_node_modules("sigstore");
    let harness = provenant_testkit::repo_root().join("tests/harness");
    let empty_root = keys.path().join("empty_root.json");
    std::fs::write(
        &empty_root,
        r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}"#,
    )
    .unwrap();
    let js = |public: &Path| {
        Command::new(provenant_testkit::require_on_path("node"))
            .env("NODE_PATH", &node_modules)
            .arg(harness.join("sigstore-js-verify.js"))
            .arg(&empty_root)
            .arg(&bundle)
            .arg("--key")
            .arg(public)
            .output()
            .unwrap()
    };
    let out = js(&public);
    assert!(out.status.success(), "sigstore-js: {}", text(&out));
    let out = js(&keys.path().join("other.pub"));
    assert!(!out.status.success(), "sigstore-js accepted the wrong key");
}

#[test]
fn rebuild_verifies_the_provenance_signature_before_trusting_its_subjects() {
    let src = repo("reproducible");
    let keys = tempfile::tempdir().unwrap();
    keypair(keys.path(), "release");
    keypair(keys.path(), "other");
    let signed = keys.path().join("provenance.sigstore.json");
    let statement = keys.path().join("provenance.json");
    let out = keyed(
        src.path(),
        &[
            "build",
            "--subject",
            "out/*",
            "--source",
            "github.com/example/fixture",
            "--statement",
            statement.to_str().unwrap(),
            "--bundle",
            signed.to_str().unwrap(),
            "--key",
            keys.path().join("release.key").to_str().unwrap(),
            "--",
            "./build.sh",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_dir_all(src.path().join("out")).unwrap();
    let verify = |bundle: &Path, extra: &[&str]| {
        let mut args = vec![
            "repro",
            "verify",
            "--bundle",
            bundle.to_str().unwrap(),
            "--source",
            src.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        keyed(keys.path(), &args)
    };
    let public = keys.path().join("release.pub");
    let good = ["--key", public.to_str().unwrap(), "--insecure-ignore-tlog"];

    // The right key: verified, then rebuilt.
    let out = verify(&signed, &good);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout.contains("signature: verified, signed by public key"),
        "{stdout}"
    );
    assert!(stdout.contains("ok        out/bundle.tar.gz"), "{stdout}");
    let json = verify(&signed, &[&good[..], &["--output", "json"]].concat());
    // The transparency log was skipped by request: both reports say so.
    let report = crate::support::assert_skipped_tlog(&out, &json, "");
    assert_eq!(report["signature"]["verified"], true, "{report}");
    assert_eq!(report["ok"], true, "{report}");

    // The wrong key: the signature check fails and nothing is rebuilt.
    let other = keys.path().join("other.pub");
    let out = verify(
        &signed,
        &["--key", other.to_str().unwrap(), "--insecure-ignore-tlog"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.contains("signature check failed"), "{stdout}");
    assert!(stdout.contains("nothing was rebuilt"), "{stdout}");

    // One flipped byte in the signed payload: the signature check fails, naming it.
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&signed).unwrap()).unwrap();
    let mut payload = base64_decode(b["dsseEnvelope"]["payload"].as_str().unwrap());
    let at = payload.windows(7).position(|w| w == b"sha256\"").unwrap() + 11;
    payload[at] = if payload[at] == b'0' { b'1' } else { b'0' };
    b["dsseEnvelope"]["payload"] = base64_encode(&payload).into();
    let tampered = keys.path().join("tampered.sigstore.json");
    std::fs::write(&tampered, serde_json::to_vec(&b).unwrap()).unwrap();
    let out = verify(&tampered, &[&good[..], &["--output", "json"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["signature"]["check"], "signature", "{report}");
    assert_eq!(report["signature"]["verified"], false, "{report}");
    assert!(report.get("subjects").is_none(), "{report}");

    // The unsigned statement is refused unless the check is explicitly skipped.
    let out = verify(&statement, &good);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.contains("--insecure-skip-signature"), "{stdout}");
    let out = verify(&statement, &["--insecure-skip-signature"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("signature: NOT VERIFIED"),
        "{}",
        text(&out)
    );
    // Without a signer the command is a usage error, not a silent skip.
    let out = verify(&signed, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// `repro check` arguments writing the attestation to `statement` and the bundle signed as `signing` says
/// to `bundle`, for the fixtures' `./build.sh`.
fn signed_check<'a>(statement: &'a Path, bundle: &'a Path, signing: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "repro",
        "check",
        "--vary",
        "umask,locale",
        "--artifact",
        "out/*",
        "--statement",
        statement.to_str().unwrap(),
        "--bundle",
        bundle.to_str().unwrap(),
    ];
    args.extend_from_slice(signing);
    args.extend(["--", "./build.sh"]);
    args
}
