//! The packaging provenance of an OCI artifact (`provenant oci push --key`).

use provenant_digest::{Algorithm, Digest};
use provenant_image::provenance::{ARTIFACT_BUILD_TYPE, PackagedFile, Packaging, artifact_statement};

fn packaging() -> Packaging<'static> {
    Packaging {
        name: "oci:evidence/package/layout",
        builder_id: "https://example.org/builder",
        finished_on: provenant_slsa::Timestamp::from_unix(1_780_000_000).unwrap(),
    }
}

#[test]
fn artifact_packaging_provenance_names_the_manifest_and_every_pushed_file() {
    let manifest = Algorithm::Sha256.hash_bytes(b"manifest");
    let zip = Algorithm::Sha256.hash_bytes(b"function bundle");
    let plan = Algorithm::Sha256.hash_bytes(b"plan");
    let files = [
        PackagedFile {
            name: "function.zip".to_owned(),
            media_type: "application/zip".to_owned(),
            digest: zip,
        },
        PackagedFile {
            name: "plan.json".to_owned(),
            media_type: "application/json".to_owned(),
            digest: plan,
        },
    ];
    let statement =
        artifact_statement(&manifest, "application/vnd.example.v1", &files, &packaging()).unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(statement["subject"][0]["name"], "oci:evidence/package/layout");
    assert_eq!(statement["subject"][0]["digest"]["sha256"], manifest.hex());
    let definition = &statement["predicate"]["buildDefinition"];
    assert_eq!(definition["buildType"], ARTIFACT_BUILD_TYPE);
    assert_eq!(
        definition["externalParameters"]["artifactType"],
        "application/vnd.example.v1"
    );
    let deps = definition["resolvedDependencies"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = deps
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["digest"]["sha256"].as_str().unwrap(),
                d["mediaType"].as_str().unwrap(),
            )
        })
        .collect();
    let (zip_hex, plan_hex) = (zip.hex(), plan.hex());
    assert_eq!(
        got,
        vec![
            ("function.zip", zip_hex.as_str(), "application/zip"),
            ("plan.json", plan_hex.as_str(), "application/json"),
        ]
    );
    assert_eq!(
        statement["predicate"]["runDetails"]["builder"]["id"],
        "https://example.org/builder"
    );
    // Same inputs, same statement.
    assert_eq!(
        artifact_statement(&manifest, "application/vnd.example.v1", &files, &packaging()).unwrap(),
        statement
    );
}

#[test]
fn artifact_packaging_provenance_refuses_an_invalid_builder_id() {
    let manifest: Digest = Algorithm::Sha256.hash_bytes(b"m");
    let bad = Packaging {
        builder_id: "not a uri",
        ..packaging()
    };
    assert!(artifact_statement(&manifest, "application/vnd.example.v1", &[], &bad).is_err());
}
