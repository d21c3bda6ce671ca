//! `provenant verify-pypi-package` on pypi-attestations' published test assets (real distributions
//! with their PEP 740 attestations and provenance object), offline against the production trusted root.

use crate::support::{assert_no_debug_values, provenant, run, stderr, stdout};

fn asset(name: &str) -> std::path::PathBuf {
    provenant_testkit::require_fixture("pypi-attestations", name)
}

const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";

fn verify(extra: &[&str]) -> std::process::Output {
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    run(provenant()
        .arg("verify-pypi-package")
        .arg(asset(SDIST))
        .arg("--trusted-root")
        .arg(&root)
        .args(extra))
}

/// Issue 15, item 11: the provenance object and a single attestation verify natively, with the Trusted
/// Publisher's repository, workflow and environment from the certificate; any mismatch exits 1 naming
/// its check; an unknown repository host is a usage error.
#[test]
fn verify_pypi_package_checks_attestations_and_the_trusted_publisher() {
    let provenance = asset(&format!("{SDIST}.provenance"));
    let provenance = provenance.to_str().unwrap();
    let publish = asset(&format!("{SDIST}.publish.attestation"));
    let publish = publish.to_str().unwrap();
    let repo = "https://github.com/trailofbits/pypi-attestations";
    let out = verify(&[
        "--provenance",
        provenance,
        "--repository",
        repo,
        "--workflow",
        "release.yml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("https://docs.pypi.org/attestations/publish/v1"),
        "{}",
        stdout(&out)
    );
    let out = verify(&["--attestation", publish, "--repository", repo, "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true);
    for (extra, check) in [
        (
            vec!["--repository", "https://github.com/trailofbits/other"],
            "publisher",
        ),
        (vec!["--repository", repo, "--workflow", "other.yml"], "publisher"),
        (
            vec!["--repository", repo, "--environment", "production"],
            "publisher",
        ),
        (
            vec!["--repository", "https://gitlab.com/trailofbits/pypi-attestations"],
            "publisher",
        ),
    ] {
        let mut args = vec!["--provenance", provenance, "--output", "json"];
        args.extend(&extra);
        let out = verify(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{extra:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["attestations"][0]["failed_check"], check, "{extra:?}");
        assert_no_debug_values(&out, &format!("{extra:?}"));
    }
    // Another distribution than the attestations name.
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let out = run(provenant()
        .arg("verify-pypi-package")
        .arg(asset("rfc8785-0.1.2-py3-none-any.whl"))
        .args(["--attestation", publish, "--repository", repo, "--trusted-root"])
        .arg(&root));
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert_no_debug_values(&out, "another distribution");
    let out = verify(&[
        "--provenance",
        provenance,
        "--repository",
        "https://example.com/o/r",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
}

/// pypi-attestations (`verify attestation --offline`, its embedded production root) as a peer: on its
/// own published sdist, and on a copy with one byte changed, both tools reach the same verdict for the
/// publish and SLSA attestations.
#[test]
fn verify_pypi_package_agrees_with_pypi_attestations() {
    let peer = provenant_testkit::require_venv_tool("pypi-attestations", "pypi-attestations");
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    let identity =
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";
    let dir = tempfile::tempdir().unwrap();
    for tamper in [false, true] {
        let mut bytes = std::fs::read(asset(SDIST)).unwrap();
        if tamper {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }
        let dist = dir.path().join(SDIST);
        std::fs::write(&dist, &bytes).unwrap();
        for kind in ["publish", "slsa"] {
            let attestation = format!("{SDIST}.{kind}.attestation");
            std::fs::copy(asset(&attestation), dir.path().join(&attestation)).unwrap();
        }
        // The peer verifies DIST with every DIST.*.attestation beside it.
        let theirs = run(std::process::Command::new(&peer).current_dir(dir.path()).args([
            "verify",
            "attestation",
            "--offline",
            "--identity",
            identity,
            SDIST,
        ]));
        for kind in ["publish", "slsa"] {
            let ours = run(provenant()
                .arg("verify-pypi-package")
                .arg(&dist)
                .arg("--attestation")
                .arg(dir.path().join(format!("{SDIST}.{kind}.attestation")))
                .args([
                    "--repository",
                    "https://github.com/trailofbits/pypi-attestations",
                    "--workflow",
                    "release.yml",
                    "--trusted-root",
                ])
                .arg(&root));
            assert_eq!(
                ours.status.success(),
                theirs.status.success(),
                "tamper={tamper} {kind}: ours {}{} theirs {}{}",
                stdout(&ours),
                stderr(&ours),
                stdout(&theirs),
                stderr(&theirs)
            );
            assert_eq!(
                ours.status.success(),
                !tamper,
                "tamper={tamper} {kind}: {}",
                stdout(&ours)
            );
        }
        for kind in ["publish", "slsa"] {
            std::fs::remove_file(dir.path().join(format!("{SDIST}.{kind}.attestation"))).unwrap();
        }
    }
}

/// `verify-pypi-package --insecure-ignore-tlog`: the JSON report lists the skipped check and the text
/// says so.
#[test]
fn skipped_transparency_log_is_reported_by_verify_pypi_package() {
    let publish = asset(&format!("{SDIST}.publish.attestation"));
    let publish = publish.to_str().unwrap();
    let flags = [
        "--attestation",
        publish,
        "--repository",
        "https://github.com/trailofbits/pypi-attestations",
        "--insecure-ignore-tlog",
    ];
    let text = verify(&flags);
    let json = verify(&[&flags[..], &["--output", "json"]].concat());
    let report = crate::support::assert_skipped_tlog(&text, &json, "");
    assert_eq!(report["verified"], true, "{report}");
}
