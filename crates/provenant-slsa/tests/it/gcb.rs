//! slsa-verifier's `Test_runVerifyGCBArtifactImage` table, run offline through this crate's GCB model
//! and policy and `provenant-provenance`'s GCB verifier (signature by the regional or global Cloud
//! Build KMS key the envelope's key id names), for every builder version directory and both builder
//! ids the upstream test tries (`NAME@vX.Y` and `NAME`), with slsa-verifier's expected result.

use std::path::PathBuf;

use provenant_digest::Digest;
use provenant_keys::PublicKey;
use provenant_provenance::gcb::{
    GcbError, GcbExpectations, GcbKeys, ImageReferenceError, immutable_image_digest, verify_gcb,
};
use provenant_slsa::gcb::{self, GcbPolicyError};
use provenant_slsa::policy::PolicyError;
use serde_json::Value;

pub(crate) const TABLE: &str = "Test_runVerifyGCBArtifactImage";

const BUILDER: &str = "https://cloudbuild.googleapis.com/GoogleHostedWorker";

fn root() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

fn testdata() -> PathBuf {
    root().join("cli/slsa-verifier/testdata/gcb_container")
}

/// The Cloud Build public keys slsa-verifier ships, by file stem.
pub(crate) fn keys() -> GcbKeys {
    let mut keys = GcbKeys::new();
    for entry in std::fs::read_dir(root().join("verifiers/internal/gcb/keys/materials")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let key = PublicKey::from_pem(&std::fs::read_to_string(&path).unwrap()).unwrap();
        keys.insert(&name, key).unwrap();
    }
    assert_eq!(keys.len(), 22);
    keys
}

/// The `artifactDigest` maps of the table's remote cases, which the transcription cut off: the image
/// digests by builder version, as `main_regression_test.go` gives them.
fn remote_digest(artifact: &str, version: &str) -> &'static str {
    match (artifact, version) {
        ("laurentsimon/slsa-gcb-%s:test" | "laurentsimon/slsa-gcb-%s", "v0.2") => {
            "1a033b002f89ed2b8ea733162497fb70f1a4049a7f8602d6a33682b4ad9921fd"
        }
        ("laurentsimon/slsa-gcb-%s:test" | "laurentsimon/slsa-gcb-%s", "v0.3") => {
            "f472ca4b68898c951ac3b476cba919d0d56fca4ced631fabcead51e4b2b690e7"
        }
        ("index.docker.io/laurentsimon/scorecard", _) => {
            "d794817bdf9c7e5ec34758beb90a18113c7dfbd737e760cabf8dd923d49e96f4"
        }
        _ => panic!("no digest transcribed for {artifact} {version}"),
    }
}

/// slsa-verifier's error name for one of ours.
pub(crate) fn serror(err: &GcbError) -> &'static str {
    match err {
        GcbError::Summary(_) | GcbError::NoProvenance | GcbError::TooManyEntries { .. } => {
            "serrors.ErrorInvalidDssePayload"
        }
        GcbError::NoValidSignature { .. } => "serrors.ErrorNoValidSignature",
        GcbError::Policy(p) => match p {
            GcbPolicyError::UnsupportedBuilder { .. } => "serrors.ErrorVerifierNotSupported",
            GcbPolicyError::MalformedBuilderId { .. }
            | GcbPolicyError::SourceWithoutRef { .. }
            | GcbPolicyError::WrongKind { .. } => "serrors.ErrorInvalidFormat",
            GcbPolicyError::InvalidBuilderId { .. } | GcbPolicyError::UnknownBuilderVersion { .. } => {
                "serrors.ErrorInvalidBuilderID"
            }
            GcbPolicyError::BuilderMismatch { .. } | GcbPolicyError::RecipeArgumentsType { .. } => {
                "serrors.ErrorMismatchBuilderID"
            }
            GcbPolicyError::InvalidRecipe { .. } => "serrors.ErrorInvalidRecipe",
            GcbPolicyError::InvalidBuildType { .. } => "serrors.ErrorInvalidBuildType",
            GcbPolicyError::InvalidField { field, reason }
                if field.ends_with("buildConfigSource") && *reason == "absent" =>
            {
                "serrors.ErrorNotPresent"
            }
            GcbPolicyError::InvalidField { .. } => "serrors.ErrorInvalidDssePayload",
            GcbPolicyError::SubjectMismatch { .. }
            | GcbPolicyError::ResourceUriMismatch { .. }
            | GcbPolicyError::SummaryDigestMismatch { .. }
            | GcbPolicyError::SummaryQualifiedDigestMismatch { .. } => "serrors.ErrorMismatchHash",
            GcbPolicyError::EmptySourceUri { .. } => "serrors.ErrorMalformedURI",
            GcbPolicyError::SourceMismatch { .. } => "serrors.ErrorMismatchSource",
            GcbPolicyError::TextMismatch { .. } => "serrors.ErrorMismatchIntoto",
            GcbPolicyError::BranchNotSupported => "serrors.ErrorNotSupported",
            GcbPolicyError::NoTag { check: "tag", .. } | GcbPolicyError::TagMismatch { .. } => {
                "serrors.ErrorMismatchTag"
            }
            GcbPolicyError::VersionedTag(PolicyError::InvalidSemver { .. }) => "serrors.ErrorInvalidSemver",
            GcbPolicyError::NoTag { .. } | GcbPolicyError::VersionedTag(_) => {
                "serrors.ErrorMismatchVersionedTag"
            }
            _ => "unmapped",
        },
        _ => "unmapped",
    }
}

fn versions(min: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(testdata())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|v| min.is_none_or(|m| v.as_str() >= m))
        .collect();
    v.sort();
    v
}

/// `builder + "@v0.4"` → the builder id it evaluates to.
fn go_builder_expr(expr: &str) -> String {
    let suffix = expr
        .strip_prefix("builder + \"")
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("unexpected builder expression {expr}"));
    format!("{BUILDER}{suffix}")
}

/// One run of `verify-image`: the reference must be immutable, then the provenance verifies.
fn run_one(
    image: &str,
    provenance: &PathBuf,
    case: &Value,
    builder_id: &str,
    keys: &GcbKeys,
) -> Result<String, String> {
    let digest: Digest = match immutable_image_digest(image) {
        Ok(d) => d,
        Err(ImageReferenceError::Mutable { .. }) => return Err("serrors.ErrorMutableImage".to_owned()),
        Err(e) => panic!("{image}: {e}"),
    };
    let bytes = std::fs::read(provenance).unwrap();
    let expected = GcbExpectations {
        image: digest,
        source_uri: case["source"].as_str().unwrap().to_owned(),
        builder_id: Some(builder_id.to_owned()),
        branch: case["pbranch"].as_str().map(str::to_owned),
        tag: case["ptag"].as_str().map(str::to_owned),
        versioned_tag: case["pversiontag"].as_str().map(str::to_owned),
    };
    match verify_gcb(&bytes, keys, &expected) {
        Ok(v) => {
            // The builder returned matches the id asked for, and the case's expected output builder.
            gcb::check_builder(&v.builder_id, builder_id).map_err(|e| format!("output builder: {e}"))?;
            if let Some(out) = case["outBuilderID"].as_str() {
                assert_eq!(out, "builder");
                gcb::check_builder(&v.builder_id, BUILDER).map_err(|e| format!("output builder: {e}"))?;
            }
            Ok(v.key)
        }
        Err(e) => Err(format!("{}: {e}", serror(&e))),
    }
}

/// Runs the table; returns (runs, failures).
pub(crate) fn run_gcb_table() -> (usize, Vec<String>) {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("regression_cases.extracted.json")).unwrap(),
    )
    .unwrap();
    let keys = keys();
    let (mut ran, mut failures) = (0, Vec::new());
    for case in cases[TABLE].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let artifact = case["artifact"].as_str().unwrap();
        let remote = case["remote"].as_str() == Some("true");
        let versions = if case["noversion"].as_str() == Some("true") {
            vec![String::new()]
        } else {
            versions(case["minversion"].as_str())
        };
        let expected = case["err"].as_str();
        for version in &versions {
            let builder_ids = match case["pBuilderID"].as_str() {
                Some(expr) => vec![go_builder_expr(expr)],
                None => vec![format!("{BUILDER}@{version}"), BUILDER.to_owned()],
            };
            let provenance = testdata()
                .join(version)
                .join(case["provenance"].as_str().unwrap());
            let mut image = artifact.replace("%s", version);
            let has_digest_map = case["artifactDigest"].is_string();
            if has_digest_map {
                image = format!("{image}@sha256:{}", remote_digest(artifact, version));
            }
            if !remote {
                image = format!("testdata/gcb_container/{version}/{image}");
            }
            if !has_digest_map && case["noDigest"].as_str() != Some("true") {
                assert!(
                    !remote,
                    "{name}: a remote image without a digest would need the registry"
                );
                let text =
                    std::fs::read_to_string(testdata().join(version).join(format!("{artifact}.digest")))
                        .unwrap();
                image = format!("{image}@sha256:{}", text.trim().trim_start_matches("sha256:"));
            }
            for builder_id in &builder_ids {
                ran += 1;
                let result = run_one(&image, &provenance, case, builder_id, &keys);
                let label = format!("{TABLE} / {name} / {version} / {builder_id}");
                match (expected, &result) {
                    (None, Ok(_)) => {}
                    (Some(want), Err(got)) if got.split(':').next() == Some(want) => {}
                    _ => failures.push(format!("{label}: expected {expected:?}, got {result:?}")),
                }
            }
        }
    }
    (ran, failures)
}

#[test]
fn gcb_artifact_image_cases_match_slsa_verifier() {
    let (ran, failures) = run_gcb_table();
    assert!(
        failures.is_empty(),
        "{} of {ran} runs differ from slsa-verifier:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 29 cases for both builder versions and both builder ids, 11 for v0.3 only, 2 with one builder id
    // per version, and the unversioned one.
    assert_eq!(ran, 29 * 4 + 11 * 2 + 2 * 2 + 1);
}
