//! slsa-verifier's regression tables (`main_regression_test.go`, transcribed in the vectors'
//! `regression_cases.extracted.json`) run through this crate's policy checks, case by case and for every
//! builder version directory, with slsa-verifier's expected result and error.
//!
//! What runs here is the provenance half of slsa-verifier: predicate parsing, trusted-builder, subject
//! digest, source, branch, tag and versioned-tag checks on the real signed payloads. The signature and
//! certificate half runs where the trust core verifies bundles. Cases whose expected error is
//! `ErrorRekorSearch` need slsa-verifier's online Rekor search, which cannot run offline: for those this
//! test requires that the provenance is still rejected (by the offline checks) and says which check did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use provenant_digest::{Algorithm, Digest};
use provenant_slsa::policy::{self, BuilderId, PolicyError, SourceUri, gha};
use provenant_slsa::{Provenance, parse_subjects};
use serde_json::Value;

fn root() -> PathBuf {
    provenant_testkit::vectors_dir().join("slsa-verifier")
}

fn testdata() -> PathBuf {
    root().join("cli/slsa-verifier/testdata")
}

/// The payload of a DSSE envelope, or of the envelope inside a sigstore bundle, as JSON.
pub(crate) fn decode_payload(doc: &Value) -> Value {
    let envelope = doc.get("dsseEnvelope").unwrap_or(doc);
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().expect("payload"))
        .expect("base64 payload");
    serde_json::from_slice(&payload).expect("payload is JSON")
}

/// Digests of artefacts too large to be in the vectors, by path relative to the slsa-verifier root.
fn large_artifacts() -> BTreeMap<String, String> {
    std::fs::read_to_string(root().join("LARGE_ARTIFACTS_NOT_COPIED.sha256"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (hex, _size, path) = (it.next()?, it.next()?, it.next()?);
            Some((path.to_owned(), hex.to_owned()))
        })
        .collect()
}

/// The artefact's digest: hashed when it is in the vectors, listed when it was too large to copy; an
/// artefact absent from both (upstream's `binary-linux-amd64-sharded`) gets a digest no provenance has.
fn artefact_digest(path: &Path, large: &BTreeMap<String, String>) -> Digest {
    if path.is_file() {
        return Algorithm::Sha256.hash_bytes(&std::fs::read(path).unwrap());
    }
    let rel = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
    match large.get(&rel) {
        Some(hex) if hex.len() == 64 && !rel.ends_with("sharded") => {
            Digest::from_hex(Algorithm::Sha256, hex).unwrap()
        }
        _ => Algorithm::Sha256.hash_bytes(b"artefact absent from the vectors"),
    }
}

fn provenance_file(dir: &Path, name: &str) -> PathBuf {
    for suffix in [".intoto.jsonl", ".intoto.build.slsa", ".intoto.sigstore"] {
        let p = dir.join(format!("{name}{suffix}"));
        if p.is_file() {
            return p;
        }
    }
    panic!("no provenance for {name} in {}", dir.display());
}

fn go_string_list(expr: &str) -> Vec<String> {
    expr.trim_start_matches("[]string{")
        .trim_end_matches('}')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// slsa-verifier's error name for one of our policy errors.
pub(crate) fn serror(err: &PolicyError) -> &'static str {
    match err {
        PolicyError::SubjectMismatch { .. } => "serrors.ErrorMismatchHash",
        PolicyError::UntrustedBuilder { .. } => "serrors.ErrorUntrustedReusableWorkflow",
        PolicyError::SourceMismatch { .. } | PolicyError::NoSource { .. } => "serrors.ErrorMismatchSource",
        PolicyError::MalformedSourceUri { .. } => "serrors.ErrorMalformedURI",
        PolicyError::SourceDisagreement { .. } => "serrors.ErrorInvalidDsseEnvelope",
        PolicyError::InvalidRef { .. } => "serrors.ErrorInvalidRef",
        PolicyError::BranchMismatch { .. } => "serrors.ErrorMismatchBranch",
        PolicyError::TagMismatch { .. } => "serrors.ErrorMismatchTag",
        PolicyError::VersionedTagMismatch { .. } => "serrors.ErrorMismatchVersionedTag",
        PolicyError::InvalidSemver { .. } => "serrors.ErrorInvalidSemver",
        _ => "unmapped",
    }
}

/// Runs slsa-verifier's provenance checks, in its order (workflow, source, builder ref, subjects, refs), on one provenance file.
fn verify(case: &Value, provenance_path: &Path, artefacts: &[Digest]) -> Result<(), PolicyError> {
    let doc: Value = serde_json::from_str(
        std::fs::read_to_string(provenance_path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let statement = decode_payload(&doc);
    let subjects = parse_subjects(&statement["subject"]).unwrap();
    let provenance = Provenance::parse(
        statement["predicateType"].as_str().unwrap(),
        &statement["predicate"],
    )
    .unwrap_or_else(|e| panic!("{}: {e}", provenance_path.display()));
    let source: SourceUri = case["source"].as_str().unwrap().parse().unwrap();
    let expected_builder: Option<BuilderId> = case["pBuilderID"].as_str().map(|b| b.parse().unwrap());
    // slsa-verifier trusts the workflow first, then matches the source, and only then decides whether
    // the builder's ref is acceptable (a `refs/heads/main` builder is trusted only for its e2e repository).
    let builder = gha::check_trusted_workflow(provenance.builder_id(), expected_builder.as_ref())?;
    policy::check_source(&provenance, &source)?;
    gha::check_builder_ref(&builder, expected_builder.as_ref(), &source)?;
    for artefact in artefacts {
        policy::check_subject(&subjects, artefact)?;
    }
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

/// Cases of the table that cannot be reproduced from the transcription, and why.
const NOT_TRANSCRIBED: &[(&str, &str)] = &[
    (
        "workflow inputs match",
        "the expected workflow_dispatch inputs map was not transcribed (the check itself is tested in workflow_inputs_are_checked_against_the_provenance)",
    ),
    (
        "workflow inputs missing field",
        "the expected workflow_dispatch inputs map was not transcribed (the check itself is tested in workflow_inputs_are_checked_against_the_provenance)",
    ),
    (
        "workflow inputs mismatch",
        "the expected workflow_dispatch inputs map was not transcribed (the check itself is tested in workflow_inputs_are_checked_against_the_provenance)",
    ),
];

fn run_table(table: &str, builders: &[&str]) -> (usize, Vec<String>, Vec<String>) {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("regression_cases.extracted.json")).unwrap(),
    )
    .unwrap();
    let large = large_artifacts();
    let (mut ran, mut failures, mut online_only) = (0, Vec::new(), Vec::new());
    let mut not_transcribed = Vec::new();
    for case in cases[table].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if NOT_TRANSCRIBED.iter().any(|(n, _)| *n == name) {
            not_transcribed.push(name.to_owned());
            continue;
        }
        let artefact_names = case["artifacts"].as_str().map_or_else(
            || vec![case["artifact"].as_str().unwrap().to_owned()],
            go_string_list,
        );
        let only: Option<Vec<String>> = case["builders"].as_str().map(go_string_list);
        let expected = case["err"].as_str();
        for builder in builders {
            if only.as_ref().is_some_and(|o| !o.iter().any(|b| b == builder)) {
                continue;
            }
            let dirs: Vec<PathBuf> = if case["noversion"].as_str() == Some("true") {
                vec![testdata()]
            } else {
                let mut v: Vec<PathBuf> = std::fs::read_dir(testdata().join(builder))
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect();
                v.sort();
                v
            };
            for dir in dirs {
                let prov_name = case["provenancePath"]
                    .as_str()
                    .map_or_else(|| provenance_file(&dir, &artefact_names[0]), |p| dir.join(p));
                let digests: Vec<Digest> = artefact_names
                    .iter()
                    .map(|a| artefact_digest(&dir.join(a), &large))
                    .collect();
                let result = verify(case, &prov_name, &digests);
                ran += 1;
                let label = format!(
                    "{table} / {name} / {builder} / {}",
                    dir.file_name().unwrap().to_string_lossy()
                );
                match (expected, &result) {
                    (None, Ok(())) => {}
                    (Some("serrors.ErrorRekorSearch"), Err(e)) => {
                        online_only.push(format!("{label}: rejected offline by {}", serror(e)));
                    }
                    (Some(want), Err(e)) if serror(e) == want => {}
                    _ => failures.push(format!("{label}: expected {expected:?}, got {result:?}")),
                }
            }
        }
    }
    assert_eq!(
        not_transcribed.len(),
        NOT_TRANSCRIBED
            .iter()
            .filter(|(n, _)| cases[table].as_array().unwrap().iter().any(|c| c["name"] == *n))
            .count()
    );
    (ran, failures, online_only)
}

#[test]
fn gha_artifact_path_cases_match_slsa_verifier() {
    let (ran, failures, online_only) = run_table("Test_runVerifyGHAArtifactPath", &["gha_go", "gha_generic"]);
    eprintln!(
        "{ran} case runs; needing online Rekor search, checked offline only:\n  {}",
        online_only.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} runs differ from slsa-verifier:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 500, "only {ran} runs");
    // The two cases that need the Rekor search are still rejected offline, by the builder check.
    assert_eq!(online_only.len(), 4, "{online_only:?}");
    assert!(
        online_only
            .iter()
            .all(|l| l.ends_with("serrors.ErrorUntrustedReusableWorkflow"))
    );
}

#[test]
fn gha_container_based_v1_cases_match_slsa_verifier() {
    let (ran, failures, online_only) = run_table("Test_runVerifyGHAContainerBased", &["gha_container-based"]);
    assert!(
        failures.is_empty(),
        "{} of {ran} runs differ from slsa-verifier:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(online_only.is_empty());
    assert!(ran >= 9 * 5, "only {ran} runs");
}

#[test]
fn every_gha_payload_parses_strictly() {
    let mut n = 0;
    for builder in [
        "gha_go",
        "gha_generic",
        "gha_container-based",
        "gha_delegator",
        "gha_maven",
        "gha_gradle",
    ] {
        for version in std::fs::read_dir(testdata().join(builder)).unwrap().flatten() {
            for file in std::fs::read_dir(version.path()).unwrap().flatten() {
                let p = file.path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if !(name.contains(".intoto.") || name.ends_with(".build.slsa")) {
                    continue;
                }
                let Ok(doc) = serde_json::from_str::<Value>(
                    std::fs::read_to_string(&p).unwrap().lines().next().unwrap_or(""),
                ) else {
                    continue;
                };
                if doc.get("payload").is_none() && doc.get("dsseEnvelope").is_none() {
                    continue;
                }
                let statement = decode_payload(&doc);
                parse_subjects(&statement["subject"]).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                Provenance::parse(
                    statement["predicateType"].as_str().unwrap(),
                    &statement["predicate"],
                )
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                n += 1;
            }
        }
    }
    assert!(n > 150, "only {n} payloads");
}

/// Why a whole table of slsa-verifier's regression tests is not run here.
fn table_unsupported_reason(table: &str) -> Option<&'static str> {
    match table {
        "Test_runVerifyVSA" => Some(
            "run, all 3 matching slsa-verifier, by provenant-provenance's `vsa_table_matches_slsa_verifier` \
             (the key-signed DSSE check lives there)",
        ),
        _ => None,
    }
}

/// Tables that need the sigstore bundles verified (which this crate, with no cryptography, does not do)
/// and are run, every case with slsa-verifier's expected result, by `provenant-provenance`'s tests.
fn run_elsewhere(table: &str) -> Option<&'static str> {
    match table {
        "Test_runVerifyGithubAttestation" => Some(
            "provenant-provenance's `github_attestation::github_attestation_table_matches_slsa_verifier` (all 5 cases)",
        ),
        "Test_runVerifyNpmPackage" => {
            Some("provenant-provenance's `npm::npm_package_table_matches_slsa_verifier` (all 54 cases)")
        }
        _ => None,
    }
}

/// Every case of slsa-verifier's regression tables that this project does not run, as
/// `table[index] name`; the test below fails when the list of unsupported cases changes.
#[rustfmt::skip]
const UNSUPPORTED: &[&str] = &[
    "Test_runVerifyGHAArtifactPath[54] workflow inputs match",
    "Test_runVerifyGHAArtifactPath[55] workflow inputs missing field",
    "Test_runVerifyGHAArtifactPath[56] workflow inputs mismatch",
    "Test_runVerifyVSA[0] success: gke",
    "Test_runVerifyVSA[1] fail: gke, empty public key id",
    "Test_runVerifyVSA[2] fail: gke, wrong key id",
];

/// One pass over every case of every table of `regression_cases.extracted.json`: the supported tables
/// run case by case (for every builder version directory) with slsa-verifier's expected result, and every
/// other case is listed, with its reason, in `UNSUPPORTED` — no case is skipped silently.
#[test]
fn every_regression_case_runs_or_is_listed_unsupported() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("regression_cases.extracted.json")).unwrap(),
    )
    .unwrap();
    let mut unsupported = Vec::new();
    let mut report = Vec::new();
    let mut total_cases = 0;
    for (table, list) in cases.as_object().unwrap() {
        if table.starts_with('_') {
            continue;
        }
        let list = list.as_array().unwrap();
        total_cases += list.len();
        let mut table_unsupported = 0;
        for (i, case) in list.iter().enumerate() {
            let name = case["name"].as_str().unwrap();
            let reason = table_unsupported_reason(table)
                .or_else(|| NOT_TRANSCRIBED.iter().find(|(n, _)| *n == name).map(|(_, r)| *r));
            if let Some(reason) = reason {
                unsupported.push(format!("{table}[{i}] {name}"));
                eprintln!("unsupported: {table}[{i}] {name}: {reason}");
                table_unsupported += 1;
            }
        }
        let builders: &[&str] = match table.as_str() {
            "Test_runVerifyGHAArtifactPath" => &["gha_go", "gha_generic"],
            "Test_runVerifyGHAContainerBased" => &["gha_container-based"],
            _ => &[],
        };
        // Google Cloud Build (tests/it/gcb.rs, signatures included) and container images with cosign
        // attestations (tests/it/gha_image.rs): every case runs.
        let whole_table = if table == crate::gcb::TABLE {
            Some(crate::gcb::run_gcb_table())
        } else if table == crate::gha_image::TABLE {
            let (ran, failures, _) = crate::gha_image::run_gha_image_table();
            Some((ran, failures))
        } else {
            None
        };
        if let Some((ran, failures)) = whole_table {
            assert!(
                failures.is_empty(),
                "{table}: {} of {ran} runs differ from slsa-verifier:\n{}",
                failures.len(),
                failures.join("\n")
            );
            assert_eq!(table_unsupported, 0, "{table}: no case may be listed unsupported");
        } else if let Some(by) = run_elsewhere(table) {
            assert_eq!(table_unsupported, 0, "{table} is run by {by}");
            eprintln!("{table}: {} cases run by {by}", list.len());
        } else if builders.is_empty() {
            assert_eq!(
                table_unsupported,
                list.len(),
                "{table} has cases neither run nor listed"
            );
        } else {
            let (ran, failures, online_only) = run_table(table, builders);
            assert!(
                failures.is_empty(),
                "{table}: {} of {ran} runs differ from slsa-verifier:\n{}",
                failures.len(),
                failures.join("\n")
            );
            for line in &online_only {
                eprintln!("needs the online Rekor search, rejected offline: {line}");
            }
            assert!(ran > 0, "{table}: nothing ran");
        }
        report.push(format!(
            "{table}: {}/{} cases run and match slsa-verifier, {table_unsupported} unsupported",
            list.len() - table_unsupported,
            list.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert_eq!(total_cases, 184);
    // The tables are read in name order; the list is compared as a set of distinct labels.
    unsupported.sort();
    let mut expected = UNSUPPORTED.to_vec();
    expected.sort_unstable();
    assert_eq!(unsupported, expected);
}

/// The workflow-inputs check on slsa-verifier's `workflow-inputs.intoto.jsonl` vector: the inputs it
/// records match, a missing one and a different value fail with their own errors.
#[test]
fn workflow_inputs_are_checked_against_the_provenance() {
    use provenant_slsa::workflow_inputs::{WorkflowInputsError, check_workflow_inputs};
    let doc: Value = serde_json::from_str(
        std::fs::read_to_string(testdata().join("workflow-inputs.intoto.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let predicate = decode_payload(&doc)["predicate"].clone();
    let inputs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    check_workflow_inputs(
        &predicate,
        &inputs(&[("some_bool", "true"), ("some_integer", "123")]),
    )
    .unwrap();
    check_workflow_inputs(&predicate, &inputs(&[])).unwrap();
    assert!(matches!(
        check_workflow_inputs(&predicate, &inputs(&[("missing_field", "123")])),
        Err(WorkflowInputsError::Missing { .. })
    ));
    assert!(matches!(
        check_workflow_inputs(&predicate, &inputs(&[("some_integer", "321")])),
        Err(WorkflowInputsError::Mismatch { .. })
    ));
    assert_eq!(
        check_workflow_inputs(&serde_json::json!({}), &inputs(&[("a", "b")])),
        Err(WorkflowInputsError::NoInputs)
    );
}
