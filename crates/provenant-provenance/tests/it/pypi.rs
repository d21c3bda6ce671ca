//! PEP 740 attestations: pypi-attestations' published test assets (real distributions, their publish
//! and SLSA attestations and a provenance object, signed by GitHub and GitLab publishers), verified
//! offline against the production trusted root, and each mismatch failing its check.

use provenant_digest::{Algorithm, Digest};
use provenant_provenance::pypi::{Attestation, ProvenanceObject, Publisher, PyPiError, verify_attestation};
use provenant_sigstore::{TrustedRoot, Verifier};

fn asset(name: &str) -> std::path::PathBuf {
    provenant_testkit::require_fixture("pypi-attestations", name)
}

fn verifier_for(instance: &str) -> Verifier {
    let root = provenant_testkit::vectors_dir().join(format!(
        "sigstore-python/embedded-trust-roots/{instance}/trusted_root.json"
    ));
    Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap()
}

fn sha256(name: &str) -> Digest {
    Algorithm::Sha256.hash_bytes(&std::fs::read(asset(name)).unwrap())
}

fn github(repository: &str, workflow: Option<&str>) -> Publisher {
    Publisher::GitHub {
        repository: repository.into(),
        workflow: workflow.map(str::to_owned),
    }
}

const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";
const WHEEL: &str = "rfc8785-0.1.2-py3-none-any.whl";
const GITLAB: &str = "gitlab_oidc_project-0.0.3.tar.gz";

/// Issue 15, item 11: real PEP 740 attestations verify natively (publish/v1 and SLSA predicates, GitHub
/// and GitLab publishers, a provenance object), and a wrong file name, digest, repository or workflow
/// fails its check.
#[test]
// One table of real attestations and one of mismatches read better whole than split.
#[allow(clippy::too_many_lines)]
fn pypi_attestations_verify_natively_and_each_mismatch_fails() {
    let verifier = verifier_for("prod");
    let staging = verifier_for("staging");
    let read = |name: &str| Attestation::from_json(&std::fs::read(asset(name)).unwrap()).unwrap();
    let sdist_publisher = github("trailofbits/pypi-attestations", Some("release.yml"));
    for (dist, attestation, publisher, predicate) in [
        (
            SDIST,
            format!("{SDIST}.publish.attestation"),
            sdist_publisher.clone(),
            "https://docs.pypi.org/attestations/publish/v1",
        ),
        (
            SDIST,
            format!("{SDIST}.slsa.attestation"),
            sdist_publisher.clone(),
            "https://slsa.dev/provenance/v1",
        ),
        (
            GITLAB,
            format!("{GITLAB}.publish.attestation"),
            Publisher::GitLab {
                repository: "facutuesca/gitlab-oidc-project".into(),
                workflow: Some(".gitlab-ci.yml".into()),
            },
            "https://docs.pypi.org/attestations/publish/v1",
        ),
    ] {
        let v = verify_attestation(
            &verifier,
            &read(&attestation),
            dist,
            &sha256(dist),
            &publisher,
            None,
        )
        .unwrap_or_else(|e| panic!("{attestation}: {e}"));
        assert_eq!(v.predicate_type, predicate, "{attestation}");
    }
    // The provenance object: its publisher, and every attestation in it.
    let provenance =
        ProvenanceObject::from_json(&std::fs::read(asset(&format!("{SDIST}.provenance"))).unwrap()).unwrap();
    assert_eq!(provenance.bundles.len(), 1);
    let (recorded, attestations) = &provenance.bundles[0];
    assert_eq!(
        recorded,
        &github("trailofbits/pypi-attestations", Some("release.yml"))
    );
    for a in attestations {
        verify_attestation(&verifier, a, SDIST, &sha256(SDIST), &sdist_publisher, None).unwrap();
    }

    let publish = read(&format!("{SDIST}.publish.attestation"));
    let fails = |filename: &str, digest: &Digest, publisher: &Publisher, check: &str| {
        let e: PyPiError =
            verify_attestation(&verifier, &publish, filename, digest, publisher, None).unwrap_err();
        assert_eq!(e.check(), check, "{e}");
    };
    fails(
        "pypi_attestations-0.0.20.tar.gz",
        &sha256(SDIST),
        &sdist_publisher,
        "subject",
    );
    fails(SDIST, &sha256(WHEEL), &sdist_publisher, "signature");
    fails(
        SDIST,
        &sha256(SDIST),
        &github("trailofbits/other", Some("release.yml")),
        "publisher",
    );
    fails(
        SDIST,
        &sha256(SDIST),
        &github("trailofbits/pypi-attestations", Some("other.yml")),
        "publisher",
    );
    fails(
        SDIST,
        &sha256(SDIST),
        &Publisher::GitLab {
            repository: "trailofbits/pypi-attestations".into(),
            workflow: None,
        },
        "publisher",
    );
    // An environment the certificate does not name.
    let e = verify_attestation(
        &verifier,
        &publish,
        SDIST,
        &sha256(SDIST),
        &sdist_publisher,
        Some("production"),
    )
    .unwrap_err();
    assert_eq!(e.check(), "publisher", "{e}");
    // The wheel's attestation (sigstore's staging instance) verifies as a signature, but its signer is a
    // person's e-mail identity, not a Trusted Publisher.
    let wheel = read(&format!("{WHEEL}.publish.attestation"));
    let e = verify_attestation(
        &staging,
        &wheel,
        WHEEL,
        &sha256(WHEEL),
        &github("trailofbits/rfc8785.py", None),
        None,
    )
    .unwrap_err();
    assert_eq!(e.check(), "publisher", "{e}");
    // Malformed documents name the field.
    let e = Attestation::from_json(br#"{"version": 1, "envelope": {}}"#).unwrap_err();
    assert!(e.to_string().contains("verification_material.certificate"), "{e}");
}
