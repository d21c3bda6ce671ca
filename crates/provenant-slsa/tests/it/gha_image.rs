//! slsa-verifier's `Test_runVerifyGHAArtifactImage` table: images built by the SLSA GitHub generator's
//! container workflow, saved as OCI image layouts with their cosign attestation (`.att`) beside them.
//!
//! Each attestation layer (a DSSE envelope, with the signing certificate and the Rekor entry in its
//! annotations) becomes a sigstore bundle and is verified by the trust core against the production
//! trusted root: certificate chain at the entry's integrated time, signed entry timestamp, entry
//! consistency, SCT and DSSE signature. The builder versions before v1.10.0 logged Rekor
//! `intoto/0.0.1` entries (v1.10.0 and later `dsse/0.0.1`); every version's signature verifies
//! offline. Then every case runs its provenance checks for every builder version and the four builder
//! ids upstream tries, on the attestations whose signature verified.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use provenant_digest::Digest;
use provenant_provenance::cosign::bundle_from_cosign_layer;
use provenant_sigstore::{Artifact, IdentityPolicy, Policy, SanMatcher, TrustedRoot, Verifier};
use provenant_slsa::policy::{self, BuilderId, PolicyError, SourceUri, gha};
use provenant_slsa::{Provenance, parse_subjects};
use serde_json::Value;

pub(crate) const TABLE: &str = "Test_runVerifyGHAArtifactImage";

const BUILDER: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";

fn root() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

fn testdata() -> PathBuf {
    root().join("cli/slsa-verifier/testdata/gha_generic_container")
}

fn semver(v: &str) -> (u64, u64, u64) {
    let mut parts = v
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// One builder version's image: its digest, the statement of each attestation (all verified), and
/// the Rekor entry kind each was logged as.
struct Image {
    digest: Digest,
    attestations: Vec<Value>,
    entry_kinds: Vec<String>,
}

fn verifier() -> Verifier {
    let root =
        provenant_testkit::vectors_dir().join("sigstore-python/embedded-trust-roots/prod/trusted_root.json");
    Verifier::new(&TrustedRoot::from_json(&std::fs::read(root).unwrap()).unwrap()).unwrap()
}

/// The generator's workflows at a release tag (or main, for its end-to-end tests), as GitHub's OIDC
/// issuer certifies them.
fn identity() -> Policy {
    let re = "^https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/[A-Za-z0-9_.-]+@refs/(tags/v[0-9]+\\.[0-9]+\\.[0-9]+|heads/main)$";
    Policy::Identity(
        IdentityPolicy::new(SanMatcher::regex(re).unwrap())
            .with_issuer("https://token.actions.githubusercontent.com"),
    )
}

fn read_image(version: &str, verifier: &Verifier) -> Image {
    let dir = testdata().join(version).join("container_workflow_dispatch");
    let digest: Digest = std::fs::read_to_string(
        testdata()
            .join(version)
            .join("container_workflow_dispatch.digest"),
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let blob =
        |d: &str| std::fs::read(dir.join("blobs/sha256").join(d.trim_start_matches("sha256:"))).unwrap();
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut attestations = Vec::new();
    let mut entry_kinds = Vec::new();
    for m in index["manifests"].as_array().unwrap() {
        if m["annotations"]["kind"] != "dev.cosignproject.cosign/atts" {
            continue;
        }
        let manifest: Value = serde_json::from_slice(&blob(m["digest"].as_str().unwrap())).unwrap();
        for layer in manifest["layers"].as_array().unwrap() {
            let envelope = blob(layer["digest"].as_str().unwrap());
            let annotations: BTreeMap<String, String> =
                serde_json::from_value(layer["annotations"].clone()).unwrap();
            let raw: Value = serde_json::from_slice(&envelope).unwrap();
            let payload = base64::engine::general_purpose::STANDARD
                .decode(raw["payload"].as_str().unwrap())
                .unwrap();
            let bundle = bundle_from_cosign_layer(&envelope, &annotations)
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            let checked = verifier
                .verify(Artifact::Digest(digest), &bundle, &identity())
                .unwrap_or_else(|e| panic!("{version}: attestation signature does not verify: {e}"));
            // The verified payload is the one the provenance checks read, and the certificate's
            // identity is the builder the provenance names.
            assert_eq!(checked.dsse.as_ref().unwrap().1, payload);
            let statement: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(
                checked.identity.as_deref(),
                statement["predicate"]["builder"]["id"].as_str(),
                "{version}: the certificate and the provenance name different builders"
            );
            assert_eq!(checked.log_entries.len(), 1, "{version}");
            entry_kinds.push(checked.log_entries[0].kind.to_string());
            attestations.push(statement);
        }
    }
    assert!(!attestations.is_empty(), "{version}: no cosign attestation");
    Image {
        digest,
        attestations,
        entry_kinds,
    }
}

/// slsa-verifier's provenance checks, in its order, on one attestation.
fn check(case: &Value, statement: &Value, image: &Digest, builder: Option<&str>) -> Result<(), PolicyError> {
    let subjects = parse_subjects(&statement["subject"]).unwrap();
    let provenance = Provenance::parse(
        statement["predicateType"].as_str().unwrap(),
        &statement["predicate"],
    )
    .unwrap();
    let source: SourceUri = case["source"].as_str().unwrap().parse().unwrap();
    let expected: Option<BuilderId> = builder.map(|b| b.parse().unwrap());
    let id = gha::check_trusted_workflow(provenance.builder_id(), expected.as_ref())?;
    policy::check_source(&provenance, &source)?;
    gha::check_builder_ref(&id, expected.as_ref(), &source)?;
    policy::check_subject(&subjects, image)?;
    if let Some(branch) = case["pbranch"].as_str() {
        policy::check_branch(&provenance, branch)?;
    }
    if let Some(tag) = case["ptag"].as_str() {
        policy::check_tag(&provenance, tag)?;
    }
    if let Some(version) = case["pversiontag"].as_str() {
        policy::check_versioned_tag(&provenance, version)?;
    }
    Ok(())
}

/// Runs the table; returns (runs, failures, the Rekor entry kinds of each version's verified
/// attestations).
pub(crate) fn run_gha_image_table() -> (usize, Vec<String>, BTreeMap<String, Vec<String>>) {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("regression_cases.extracted.json")).unwrap(),
    )
    .unwrap();
    let verifier = verifier();
    let mut versions: Vec<String> = std::fs::read_dir(testdata())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort_by_key(|v| semver(v));
    let images: BTreeMap<String, Image> = versions
        .iter()
        .map(|v| (v.clone(), read_image(v, &verifier)))
        .collect();
    let kinds = images
        .iter()
        .map(|(v, image)| (v.clone(), image.entry_kinds.clone()))
        .collect();
    let (mut ran, mut failures) = (0, Vec::new());
    for case in cases[TABLE].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        assert_eq!(case["artifact"], "container_workflow_dispatch");
        let expected = case["err"].as_str();
        for version in &versions {
            // Upstream's bounds: strictly above minversion, at most maxversion.
            if case["minversion"]
                .as_str()
                .is_some_and(|m| semver(version) <= semver(m))
                || case["maxversion"]
                    .as_str()
                    .is_some_and(|m| semver(version) > semver(m))
            {
                continue;
            }
            let builder_ids: Vec<Option<String>> = match case["pBuilderID"].as_str() {
                Some(b) => vec![Some(b.to_owned())],
                None => vec![
                    Some(format!("{BUILDER}@{version}")),
                    Some(format!("{BUILDER}@refs/tags/{version}")),
                    Some(BUILDER.to_owned()),
                    None,
                ],
            };
            let image = &images[version];
            for builder in &builder_ids {
                ran += 1;
                // slsa-verifier accepts the image when one attestation passes every check.
                let results: Vec<Result<(), PolicyError>> = image
                    .attestations
                    .iter()
                    .map(|statement| check(case, statement, &image.digest, builder.as_deref()))
                    .collect();
                let passed = results.iter().any(Result::is_ok);
                let label = format!("{TABLE} / {name} / {version} / {builder:?}");
                match (expected, passed) {
                    (None, true) => {}
                    (Some(want), false)
                        if results
                            .iter()
                            .all(|r| r.as_ref().is_err_and(|e| crate::slsa_verifier::serror(e) == want)) => {}
                    _ => failures.push(format!("{label}: expected {expected:?}, got {results:?}")),
                }
            }
        }
    }
    (ran, failures, kinds)
}

#[test]
fn gha_image_cases_match_slsa_verifier() {
    let (ran, failures, kinds) = run_gha_image_table();
    assert!(
        failures.is_empty(),
        "{} of {ran} runs differ from slsa-verifier:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{ran} runs; verified Rekor entry kinds: {kinds:?}");
    // Every version's signature verified (`read_image` fails otherwise); the builders before v1.10.0
    // logged Rekor `intoto/0.0.1` entries, v1.10.0 and later `dsse/0.0.1`.
    let by_kind = |kind: &str| -> Vec<&str> {
        kinds
            .iter()
            .filter(|(_, k)| !k.is_empty() && k.iter().all(|k| k == kind))
            .map(|(v, _)| v.as_str())
            .collect()
    };
    assert_eq!(
        by_kind("intoto/0.0.1"),
        ["v1.4.0", "v1.5.0", "v1.6.0", "v1.7.0", "v1.8.0", "v1.9.0"]
    );
    assert_eq!(by_kind("dsse/0.0.1"), ["v1.10.0", "v2.0.0", "v2.1.0"]);
    assert!(ran > 100, "only {ran} runs");
}

/// slsa-verifier matches a builder id loosely and reads `@vX.Y.Z` as the tag `refs/tags/vX.Y.Z`.
#[test]
fn a_builder_id_may_name_its_tag_in_short_form() {
    let actual = format!("{BUILDER}@refs/tags/v2.1.0");
    for ok in [
        format!("{BUILDER}@v2.1.0"),
        format!("{BUILDER}@refs/tags/v2.1.0"),
        BUILDER.to_owned(),
    ] {
        let expected: BuilderId = ok.parse().unwrap();
        gha::check_trusted_workflow(&actual, Some(&expected)).unwrap();
    }
    for bad in [
        format!("{BUILDER}@v2.0.0"),
        format!("{BUILDER}@refs/heads/v2.1.0"),
    ] {
        let expected: BuilderId = bad.parse().unwrap();
        assert!(matches!(
            gha::check_trusted_workflow(&actual, Some(&expected)),
            Err(PolicyError::UntrustedBuilder { .. })
        ));
    }
}
