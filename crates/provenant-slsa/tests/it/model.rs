//! Parsing: every version round-trips, and malformed predicates name the field at fault.

use provenant_slsa::{PredicateError, Provenance, ProvenanceVersion, parse_subjects, v1, v02, vsa};
use serde_json::{Value, json};

pub(crate) fn sample_v1() -> Value {
    json!({
        "buildDefinition": {
            "buildType": provenant_slsa::BUILD_TYPE,
            "externalParameters": {
                "command": ["./build.sh"],
                "source": { "uri": "git+https://github.com/org/repo@refs/heads/main",
                            "digest": { "gitCommit": "0123456789abcdef0123456789abcdef01234567" } }
            },
            "internalParameters": { "toolchains": { "cc": "gcc 12.2.0" } },
            "resolvedDependencies": [
                { "uri": "git+https://github.com/org/repo@refs/heads/main",
                  "digest": { "gitCommit": "0123456789abcdef0123456789abcdef01234567" } },
                { "name": "Cargo.lock", "digest": { "sha256": "a".repeat(64) } }
            ]
        },
        "runDetails": {
            "builder": { "id": "https://ci.example.com/builders/linux@v2", "version": { "provenant": "0.1.0" } },
            "metadata": { "invocationId": "run-1", "startedOn": "2023-11-14T22:13:20Z", "finishedOn": "2023-11-14T22:13:21Z" },
            "byproducts": [ { "name": "build.log", "digest": { "sha256": "b".repeat(64) } } ]
        }
    })
}

fn malformed_field(err: PredicateError) -> String {
    match err {
        PredicateError::Malformed { source, .. } => source.field,
        other => panic!("expected a malformed-predicate error, got {other}"),
    }
}

#[test]
fn v1_round_trips_byte_for_byte() {
    let value = sample_v1();
    let p = v1::ProvenanceV1::from_json(&value).unwrap();
    assert_eq!(p.to_json(), value);
    assert_eq!(
        p.run_details
            .metadata
            .as_ref()
            .unwrap()
            .started_on
            .unwrap()
            .unix(),
        1_700_000_000
    );
}

#[test]
fn provenance_dispatches_on_predicate_type() {
    let p = Provenance::parse(v1::PREDICATE_TYPE, &sample_v1()).unwrap();
    assert_eq!(p.version(), ProvenanceVersion::V1);
    assert_eq!(p.builder_id(), "https://ci.example.com/builders/linux@v2");
    assert_eq!(p.source_ref().as_deref(), Some("refs/heads/main"));
    let err = Provenance::parse("https://slsa.dev/provenance/v0.1", &sample_v1()).unwrap_err();
    assert!(
        matches!(err, PredicateError::UnsupportedPredicateType { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("https://slsa.dev/provenance/v0.1"));
}

#[test]
fn v1_errors_name_the_field() {
    let cases: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        (
            "buildDefinition",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("buildDefinition");
            }),
        ),
        (
            "buildDefinition.buildType",
            Box::new(|v| v["buildDefinition"]["buildType"] = json!("")),
        ),
        (
            "buildDefinition.buildType",
            Box::new(|v| v["buildDefinition"]["buildType"] = json!(7)),
        ),
        (
            "buildDefinition.externalParameters",
            Box::new(|v| v["buildDefinition"]["externalParameters"] = json!("x")),
        ),
        (
            "runDetails.builder.id",
            Box::new(|v| v["runDetails"]["builder"]["id"] = json!("not a uri")),
        ),
        (
            "runDetails.builder.id",
            Box::new(|v| {
                v["runDetails"]["builder"].as_object_mut().unwrap().remove("id");
            }),
        ),
        (
            "runDetails.metadata.startedOn",
            Box::new(|v| v["runDetails"]["metadata"]["startedOn"] = json!("yesterday")),
        ),
        (
            "runDetails.metadata.finishedOn",
            Box::new(|v| v["runDetails"]["metadata"]["finishedOn"] = json!("2020-01-01T00:00:00Z")),
        ),
        (
            "buildDefinition.resolvedDependencies[1].digest.sha256",
            Box::new(|v| v["buildDefinition"]["resolvedDependencies"][1]["digest"]["sha256"] = json!("ABC")),
        ),
        (
            "buildDefinition.resolvedDependencies[1].digest.crc32",
            Box::new(|v| {
                v["buildDefinition"]["resolvedDependencies"][1]["digest"] = json!({"crc32": "deadbeef"});
            }),
        ),
        (
            "buildDefinition.resolvedDependencies[0]",
            Box::new(|v| v["buildDefinition"]["resolvedDependencies"][0] = json!({})),
        ),
        (
            "runDetails.byproducts[0].digest",
            Box::new(|v| v["runDetails"]["byproducts"][0]["digest"] = json!([])),
        ),
    ];
    for (field, mutate) in cases {
        let mut v = sample_v1();
        mutate(&mut v);
        let err = v1::ProvenanceV1::from_json(&v).unwrap_err();
        let msg = err.to_string();
        assert_eq!(malformed_field(err), field, "{msg}");
        assert!(msg.contains(field), "{msg}");
    }
}

fn sample_v02() -> Value {
    json!({
        "builder": { "id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.2.0" },
        "buildType": "https://github.com/slsa-framework/slsa-github-generator@v1",
        "invocation": {
            "configSource": { "uri": "git+https://github.com/org/repo@refs/tags/v1.2.3",
                              "digest": { "sha1": "0123456789abcdef0123456789abcdef01234567" },
                              "entryPoint": ".github/workflows/release.yml" },
            "parameters": {},
            "environment": { "github_event_payload": { "base_ref": "refs/heads/main" } }
        },
        "metadata": { "buildInvocationID": "42-1", "buildStartedOn": "2022-07-19T20:39:15.123456Z",
                      "completeness": { "parameters": true, "environment": false, "materials": false },
                      "reproducible": false },
        "materials": [ { "uri": "git+https://github.com/org/repo@refs/tags/v1.2.3",
                         "digest": { "sha1": "0123456789abcdef0123456789abcdef01234567" } } ]
    })
}

#[test]
fn v02_parses_and_reads_source_and_refs() {
    let p = Provenance::parse(v02::PREDICATE_TYPE, &sample_v02()).unwrap();
    assert_eq!(p.version(), ProvenanceVersion::V02);
    assert_eq!(p.source_ref().as_deref(), Some("refs/tags/v1.2.3"));
    assert_eq!(p.tag_base_ref().as_deref(), Some("refs/heads/main"));
    assert_eq!(
        p.material_source_uri().as_deref(),
        Some("git+https://github.com/org/repo@refs/tags/v1.2.3")
    );
}

#[test]
fn v02_errors_name_the_field() {
    let mut v = sample_v02();
    v["invocation"]["configSource"]["digest"]["sha1"] = json!(12);
    assert_eq!(
        malformed_field(v02::ProvenanceV02::from_json(&v).unwrap_err()),
        "invocation.configSource.digest.sha1"
    );
    let mut v = sample_v02();
    v["metadata"]["buildStartedOn"] = json!("2022-13-40");
    assert_eq!(
        malformed_field(v02::ProvenanceV02::from_json(&v).unwrap_err()),
        "metadata.buildStartedOn"
    );
    let mut v = sample_v02();
    v["materials"][0]["digest"] = json!({ "sha1": "xyz" });
    assert_eq!(
        malformed_field(v02::ProvenanceV02::from_json(&v).unwrap_err()),
        "materials[0].digest.sha1"
    );
    let mut v = sample_v02();
    v.as_object_mut().unwrap().remove("buildType");
    assert_eq!(
        malformed_field(v02::ProvenanceV02::from_json(&v).unwrap_err()),
        "buildType"
    );
}

#[test]
fn subjects_are_strict() {
    let good = json!([{ "name": "a", "digest": { "sha256": "c".repeat(64) } }]);
    assert_eq!(parse_subjects(&good).unwrap().len(), 1);
    let field = |v: Value| parse_subjects(&v).unwrap_err().field;
    assert_eq!(field(json!([])), "subject");
    assert_eq!(field(json!({})), "subject");
    assert_eq!(field(json!([{ "name": "a" }])), "subject[0].digest");
    assert_eq!(field(json!([{ "name": "a", "digest": {} }])), "subject[0].digest");
    assert_eq!(
        field(json!([{ "name": "a", "digest": { "sha257": "c".repeat(64) } }])),
        "subject[0].digest.sha257"
    );
    assert_eq!(
        field(json!([{ "name": "a", "digest": { "sha256": "c".repeat(63) } }])),
        "subject[0].digest.sha256"
    );
    assert_eq!(
        field(json!([{ "name": "a", "digest": { "sha1": "c".repeat(40) } }])),
        "subject[0].digest"
    );
    assert_eq!(
        field(json!([{ "name": 3, "digest": { "sha256": "c".repeat(64) } }])),
        "subject[0].name"
    );
}

#[test]
fn vsa_round_trips_and_validates() {
    let value = json!({
        "verifier": { "id": "https://github.com/provenant-dev/provenant/verifiers/verify-provenance" },
        "timeVerified": "2023-11-14T22:13:20Z",
        "resourceUri": "file:///hello",
        "policy": { "uri": "https://github.com/provenant-dev/provenant/policies/slsa-provenance" },
        "inputAttestations": [ { "digest": { "sha256": "d".repeat(64) } } ],
        "verificationResult": "PASSED",
        "verifiedLevels": ["SLSA_BUILD_LEVEL_2"],
        "slsaVersion": "1.0"
    });
    let vsa = vsa::VsaV1::from_json(&value).unwrap();
    assert_eq!(vsa.to_json(), value);
    let mut bad = value.clone();
    bad["verificationResult"] = json!("MAYBE");
    let err = vsa::VsaV1::from_json(&bad).unwrap_err();
    assert!(err.to_string().contains("verificationResult"), "{err}");
}

#[test]
fn real_vsa_vector_parses() {
    let path = provenant_testkit::vectors_dir()
        .join("slsa-verifier/cli/slsa-verifier/testdata/vsa/gce/v1/gke-gce-pre.bcid-vsa.jsonl");
    let envelope: Value =
        serde_json::from_str(std::fs::read_to_string(path).unwrap().lines().next().unwrap()).unwrap();
    let statement = crate::slsa_verifier::decode_payload(&envelope);
    assert_eq!(statement["predicateType"], vsa::PREDICATE_TYPE);
    let vsa = vsa::VsaV1::from_json(&statement["predicate"]).unwrap();
    assert!(vsa.verified_levels.iter().any(|l| l == "SLSA_BUILD_LEVEL_2"));
}
