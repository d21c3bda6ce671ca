//! `provenant verify-npm-package` on slsa-verifier's npm vectors (real tarballs and the attestation sets
//! npm's registry served for them), offline: the production trusted-root snapshot and npm's registry
//! keys as sigstore-js ships them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_no_debug_values, provenant, run, stderr, stdout};

fn npm_dir() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier/cli/slsa-verifier/testdata/npm/gha")
}

/// npm's keys.json written to a file, as a user would download it.
fn keys_file(dir: &Path) -> PathBuf {
    let path = dir.join("keys.json");
    std::fs::write(&path, provenant_testkit::npm_registry_keys()).unwrap();
    path
}

fn verify(tarball: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_file(dir.path());
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let tarball = npm_dir().join(tarball);
    let attestations = PathBuf::from(format!("{}.json", tarball.display()));
    run(provenant()
        .arg("verify-npm-package")
        .arg(&tarball)
        .arg("--attestations-path")
        .arg(&attestations)
        .arg("--npm-keys")
        .arg(&keys)
        .arg("--trusted-root")
        .arg(&root)
        .args(extra))
}

const SIGSTORE_JS: &[&str] = &[
    "--source-uri",
    "github.com/sigstore/sigstore-js",
    "--builder-id",
    "https://github.com/actions/runner/github-hosted",
    "--package-name",
    "sigstore",
    "--package-version",
    "2.3.1",
];

#[test]
fn npm_package_verifies_and_prints_its_provenance() {
    let out = verify(
        "provenance-npm-test-cli-v1-prega.tgz",
        &[SIGSTORE_JS, &["--source-branch", "main"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Verified npm package sigstore@2.3.1"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("46e7056ff9912ebfee5298d94024895a9fea76c0"));

    let out = verify(
        "provenance-npm-test-cli-v1-prega.tgz",
        &[SIGSTORE_JS, &["--print-provenance", "--output", "json"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The provenance statement, then the report.
    let mut docs = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
    let statement = docs.next().unwrap().unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    let report = docs.next().unwrap().unwrap();
    assert_eq!(report[0]["verified"], true);
    assert_eq!(report[0]["package"], "sigstore@2.3.1");
    assert_eq!(report[0]["trusted_builder"], false);
    assert!(
        report[0]["sha512"]
            .as_str()
            .unwrap()
            .starts_with("sha512:f06fbf5c")
    );
}

#[test]
fn npm_package_failures_name_their_check_and_exit_1() {
    let failing = |tarball: &str, args: &[&str], check: &str| {
        let out = verify(tarball, &[args, &["--output", "json"]].concat());
        assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report[0]["verified"], false);
        assert_eq!(report[0]["failed_check"], check, "{report}");
        report[0]["error"].as_str().unwrap().to_owned()
    };
    let v1 = "provenance-npm-test-cli-v1-prega.tgz";
    let with = |k: &str, v: &'static str| {
        let mut args = SIGSTORE_JS.to_vec();
        let i = args.iter().position(|a| *a == k).unwrap();
        args[i + 1] = v;
        args
    };
    failing(v1, &with("--package-version", "2.3.2"), "package-version");
    failing(v1, &with("--package-name", "sigstore2"), "package-name");
    failing(
        v1,
        &with("--source-uri", "github.com/sigstore/sigstore-js2"),
        "source",
    );
    let e = failing(
        v1,
        &with("--builder-id", "https://github.com/actions/runner/self-hosted"),
        "builder",
    );
    assert!(e.contains("github-hosted"), "{e}");
    failing(
        "provenance-npm-test-cli-v1-prega-invalidsigprov.tgz",
        SIGSTORE_JS,
        "provenance-signature",
    );
    failing(
        "provenance-npm-test-cli-v1-prega-invalidsigpub.tgz",
        SIGSTORE_JS,
        "publish-signature",
    );
    // Another package's tarball against these attestations.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("provenance-npm-test-cli-v1-prega.tgz");
    std::fs::copy(npm_dir().join("gundam-visor-cli-v1-tag.tgz"), &other).unwrap();
    std::fs::copy(
        npm_dir().join("provenance-npm-test-cli-v1-prega.tgz.json"),
        dir.path().join("provenance-npm-test-cli-v1-prega.tgz.json"),
    )
    .unwrap();
    let out = verify(other.to_str().unwrap(), SIGSTORE_JS);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("digest check failed"), "{}", stdout(&out));
}

/// `verify-npm-package TARBALL --attestations-path TARBALL.json --npm-keys KEYS` with sigstore-js'
/// expectations, run by `cmd`.
fn verify_with_keys(mut cmd: Command, tarball: &Path, keys: &Path) -> Output {
    run(cmd
        .arg("verify-npm-package")
        .arg(tarball)
        .arg("--attestations-path")
        .arg(format!("{}.json", tarball.display()))
        .arg("--npm-keys")
        .arg(keys)
        .args(SIGSTORE_JS))
}

#[test]
fn npm_package_usage_errors_exit_2() {
    // No trusted root.
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_file(dir.path());
    let tarball = npm_dir().join("provenance-npm-test-cli-v1-prega.tgz");
    let mut no_root = provenant();
    no_root.env_remove("PROVENANT_TRUSTED_ROOT");
    let out = verify_with_keys(no_root, &tarball, &keys);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("trusted root"), "{}", stderr(&out));
    // Keys that are not npm's keys.json.
    std::fs::write(&keys, b"{}").unwrap();
    let out = verify("provenance-npm-test-cli-v1-prega.tgz", SIGSTORE_JS);
    assert_eq!(out.status.code(), Some(0));
    let out = verify_with_keys(provenant(), &tarball, &keys);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("npm keys"), "{}", stderr(&out));
}

/// Issue 15, item 4: `--source-uri` copied from package.json's `repository.url`
/// (`git+https://github.com/ORG/REPO.git`) verifies the package built from that repository.
#[test]
fn source_uri_as_package_json_writes_it_is_accepted() {
    let mut args = SIGSTORE_JS.to_vec();
    args[1] = "git+https://github.com/sigstore/sigstore-js.git";
    let out = verify("provenance-npm-test-cli-v1-prega.tgz", &args);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Verified npm package sigstore@2.3.1"),
        "{}",
        stdout(&out)
    );
}

/// Issue 15, item 2: a package without provenance, or whose publish attestation is missing, fails
/// verification (exit 1, on stdout, the check named `attestations`) naming what is missing; it is not a
/// runtime error.
#[test]
fn missing_attestations_exit_1_naming_what_is_missing() {
    let tarball = "provenance-npm-test-cli-v1-prega.tgz";
    let set: serde_json::Value =
        serde_json::from_slice(&std::fs::read(npm_dir().join(format!("{tarball}.json"))).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_file(dir.path());
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    for (keep_provenance, words) in [
        (false, "the package has no SLSA provenance attestation"),
        (true, "the package has no npm publish attestation"),
    ] {
        let mut edited = set.clone();
        edited["attestations"].as_array_mut().unwrap().retain(|a| {
            a["predicateType"]
                .as_str()
                .unwrap()
                .starts_with("https://slsa.dev/")
                == keep_provenance
        });
        let path = dir.path().join("attestations.json");
        std::fs::write(&path, serde_json::to_vec(&edited).unwrap()).unwrap();
        for json in [false, true] {
            let mut cmd = provenant();
            cmd.arg("verify-npm-package")
                .arg(npm_dir().join(tarball))
                .arg("--attestations-path")
                .arg(&path)
                .arg("--npm-keys")
                .arg(&keys)
                .arg("--trusted-root")
                .arg(&root)
                .args(SIGSTORE_JS);
            if json {
                cmd.args(["--output", "json"]);
            }
            let out = run(&mut cmd);
            assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
            assert!(stdout(&out).contains(words), "{}", stdout(&out));
            if json {
                let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(report[0]["failed_check"], "attestations");
                assert_eq!(report[0]["verified"], false);
            }
        }
    }
}

/// Issue 15, item 3: every failure of `verify-npm-package` (each check of the table's cases, and the
/// usage errors), in text and JSON, reads as text: no `Some(`, `None` or Debug-escaped quote.
#[test]
fn verify_npm_package_messages_carry_no_rust_debug_values() {
    let with = |name: &str, value: &str| {
        let mut args = SIGSTORE_JS.to_vec();
        let at = args.iter().position(|a| *a == name).unwrap();
        args[at + 1] = value;
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let extra = |more: &[&str]| {
        let mut args: Vec<String> = SIGSTORE_JS.iter().map(|a| (*a).to_owned()).collect();
        args.extend(more.iter().map(|a| (*a).to_owned()));
        args
    };
    let cases: Vec<Vec<String>> = vec![
        with("--package-name", "other"),
        with("--package-version", "0.0.1"),
        with("--source-uri", "github.com/sigstore/other"),
        with("--builder-id", "https://github.com/actions/runner/self-hosted"),
        with("--builder-id", "https://example.com/builder"),
        extra(&["--source-tag", "v2.3.1"]),
        extra(&["--source-branch", "release"]),
        extra(&["--source-versioned-tag", "v9"]),
        with("--source-uri", "github.com/sigstore/sigstore-js@main"),
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = verify("provenance-npm-test-cli-v1-prega.tgz", &args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert_no_debug_values(&out, &format!("{args:?} (text)"));
        let out = verify(
            "provenance-npm-test-cli-v1-prega.tgz",
            &[&args[..], &["--output", "json"]].concat(),
        );
        assert_no_debug_values(&out, &format!("{args:?} (json)"));
    }
}

/// Issue 15, item 12: `--registry-signatures` verifies the registry's `dist.signatures` (ECDSA over
/// `NAME@VERSION:INTEGRITY`) with a key of `--npm-keys`, and `--provenance optional` checks a package
/// published without provenance by that signature alone; a tarball the registry did not sign fails
/// (exit 1, `registry-signature`), and without `--provenance optional` the missing attestations are
/// still required.
#[test]
fn npm_registry_signatures_are_checked_and_provenance_can_be_optional() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let dir = tempfile::tempdir().unwrap();
    let key = provenant_keys::SigningKey::generate(provenant_keys::KeyKind::EcdsaP256).unwrap();
    let keys = dir.path().join("keys.json");
    let listing = serde_json::json!({"keys": [{
        "expires": null, "keyid": "SHA256:test", "keytype": "ecdsa-sha2-nistp256",
        "scheme": "ecdsa-sha2-nistp256", "key": B64.encode(key.public_key_der().unwrap()),
    }]});
    std::fs::write(&keys, listing.to_string()).unwrap();
    let tarball = dir.path().join("left-pad-1.3.0.tgz");
    std::fs::write(&tarball, b"a package published without provenance").unwrap();
    let integrity = format!(
        "sha512-{}",
        B64.encode(
            provenant_digest::Algorithm::Sha512
                .hash_bytes(&std::fs::read(&tarball).unwrap())
                .as_bytes()
        )
    );
    let sig = key
        .sign(format!("left-pad@1.3.0:{integrity}").as_bytes())
        .unwrap();
    let document = dir.path().join("left-pad.json");
    std::fs::write(
        &document,
        serde_json::json!({"name": "left-pad", "version": "1.3.0", "dist": {
            "integrity": integrity, "signatures": [{"keyid": "SHA256:test", "sig": B64.encode(sig)}]
        }})
        .to_string(),
    )
    .unwrap();
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let verify = |tarball: &Path, extra: &[&str]| {
        run(provenant()
            .arg("verify-npm-package")
            .arg(tarball)
            .arg("--registry-signatures")
            .arg(&document)
            .arg("--npm-keys")
            .arg(&keys)
            .arg("--trusted-root")
            .arg(&root)
            .args(["--source-uri", "github.com/left-pad/left-pad"])
            .args(extra))
    };
    let out = verify(&tarball, &["--provenance", "optional"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("signed by the npm registry (key SHA256:test); no provenance"),
        "{}",
        stdout(&out)
    );
    let out = verify(&tarball, &["--provenance", "optional", "--output", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["verified"], true);
    assert_eq!(report[0]["provenance"], false);
    assert_eq!(report[0]["registry_signature_key"], "SHA256:test");

    let other = dir.path().join("other.tgz");
    std::fs::write(&other, b"not what the registry signed").unwrap();
    let out = verify(&other, &["--provenance", "optional", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["failed_check"], "registry-signature");

    // Provenance is required unless said otherwise.
    let out = verify(&tarball, &[]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("--provenance optional"), "{}", stderr(&out));
}

/// `verify-npm-package --insecure-ignore-tlog`: each package's JSON report lists the skipped check and
/// the text says so.
#[test]
fn skipped_transparency_log_is_reported_by_verify_npm_package() {
    let flags = [
        SIGSTORE_JS,
        &["--source-branch", "main", "--insecure-ignore-tlog"],
    ]
    .concat();
    let text = verify("provenance-npm-test-cli-v1-prega.tgz", &flags);
    let json = verify(
        "provenance-npm-test-cli-v1-prega.tgz",
        &[&flags[..], &["--output", "json"]].concat(),
    );
    let report = crate::support::assert_skipped_tlog(&text, &json, "/0");
    assert_eq!(report["verified"], true, "{report}");
}
