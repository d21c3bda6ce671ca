use provenant_digest::Algorithm;
use provenant_sbom::{
    Component, Ecosystem, Evidence, HashAlg, HashValue, Root, Sbom, Scope, cyclonedx, parse_license,
    purl_for, rfc3339, spdx23,
};

fn sample(created: u64) -> Sbom {
    let mut sbom = Sbom::new(Root::new("app", Algorithm::Sha256.hash_bytes(b"app")), created);
    let mut a = Component::new(Ecosystem::Npm, "@types/node", "20.1.0").unwrap();
    a.scope = Scope::Direct;
    a.license = Some(parse_license("MIT").unwrap());
    a.hashes
        .insert(HashValue::new(HashAlg::Sha512, &"ab".repeat(64)).unwrap());
    a.evidence.insert(Evidence {
        file: "package-lock.json".into(),
        method: "npm-package-lock".into(),
        layer: None,
    });
    let b = Component::new(Ecosystem::Npm, "undici-types", "5.26.5").unwrap();
    a.depends_on.insert(b.purl.clone());
    // A dangling edge is dropped by the writers.
    a.depends_on
        .insert(purl_for(Ecosystem::Npm, "ghost", "1.0.0", &[]).unwrap());
    sbom.add(b);
    sbom.add(a);
    sbom
}

#[test]
fn purls_follow_the_spec_per_type() {
    assert_eq!(
        purl_for(Ecosystem::Npm, "@types/node", "1.0.0", &[])
            .unwrap()
            .as_str(),
        "pkg:npm/%40types/node@1.0.0"
    );
    assert_eq!(
        purl_for(Ecosystem::Pypi, "Django_Rest.Framework", "3.0", &[])
            .unwrap()
            .as_str(),
        "pkg:pypi/django-rest-framework@3.0"
    );
    assert_eq!(
        purl_for(Ecosystem::Deb, "libc6", "2.36-9+deb12u4", &[("arch", "amd64")])
            .unwrap()
            .as_str(),
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"
    );
    assert_eq!(
        purl_for(Ecosystem::Cargo, "serde", "1.0.0", &[])
            .unwrap()
            .as_str(),
        "pkg:cargo/serde@1.0.0"
    );
    assert!(purl_for(Ecosystem::Cargo, "", "1", &[]).is_err());
}

#[test]
fn timestamps_are_whole_seconds() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
}

#[test]
fn licences_and_hashes_are_checked() {
    assert!(parse_license("MIT OR Apache-2.0").is_ok());
    assert!(parse_license("not a licence").is_err());
    assert!(parse_license("LicenseRef-foo").is_err());
    assert!(HashValue::new(HashAlg::Sha256, "abc").is_err());
    assert_eq!(
        HashValue::new(HashAlg::Sha1, &"AB".repeat(20)).unwrap().hex(),
        "ab".repeat(20)
    );
}

#[test]
fn cyclonedx_is_deterministic_and_content_addressed() {
    let a = cyclonedx::write(&sample(10), cyclonedx::SpecVersion::V1_6);
    assert_eq!(a, cyclonedx::write(&sample(10), cyclonedx::SpecVersion::V1_6));
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(v["metadata"]["timestamp"], "1970-01-01T00:00:10Z");
    // The serial does not depend on the time, only on the content.
    let later: serde_json::Value =
        serde_json::from_str(&cyclonedx::write(&sample(99), cyclonedx::SpecVersion::V1_6)).unwrap();
    assert_eq!(v["serialNumber"], later["serialNumber"]);
    let mut other = sample(10);
    other.add(Component::new(Ecosystem::Cargo, "x", "1.0.0").unwrap());
    let other: serde_json::Value =
        serde_json::from_str(&cyclonedx::write(&other, cyclonedx::SpecVersion::V1_6)).unwrap();
    assert_ne!(v["serialNumber"], other["serialNumber"]);
    let serial = v["serialNumber"].as_str().unwrap();
    assert_eq!(serial.len(), "urn:uuid:".len() + 36);
    assert_eq!(&serial[23..24], "5");
    // Sorted components; edges only to present components; root depends on the direct one.
    let names: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["@types/node", "undici-types"]);
    assert_eq!(v["dependencies"][0]["ref"], "root");
    assert_eq!(
        v["dependencies"][0]["dependsOn"],
        serde_json::json!(["pkg:npm/%40types/node@20.1.0"])
    );
    assert_eq!(
        v["dependencies"][1]["dependsOn"],
        serde_json::json!(["pkg:npm/undici-types@5.26.5"])
    );
    assert_eq!(
        v["metadata"]["component"]["hashes"][0]["content"],
        Algorithm::Sha256.hash_bytes(b"app").hex()
    );
    for (sv, s) in [
        (cyclonedx::SpecVersion::V1_5, "1.5"),
        (cyclonedx::SpecVersion::V1_7, "1.7"),
    ] {
        let v: serde_json::Value = serde_json::from_str(&cyclonedx::write(&sample(0), sv)).unwrap();
        assert_eq!(v["specVersion"], s);
    }
}

#[test]
fn incomplete_documents_say_so() {
    let mut s = sample(0);
    s.warnings.push("package-lock.json:3: bad".into());
    let v: serde_json::Value =
        serde_json::from_str(&cyclonedx::write(&s, cyclonedx::SpecVersion::V1_6)).unwrap();
    assert_eq!(v["metadata"]["properties"][0]["value"], "true");
    let v: serde_json::Value = serde_json::from_str(&spdx23::write(&s)).unwrap();
    assert!(
        v["creationInfo"]["comment"]
            .as_str()
            .unwrap()
            .starts_with("INCOMPLETE")
    );
}

#[test]
fn spdx_is_deterministic_with_relationships() {
    let a = spdx23::write(&sample(5));
    assert_eq!(a, spdx23::write(&sample(5)));
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
    assert_eq!(v["creationInfo"]["created"], "1970-01-01T00:00:05Z");
    assert_eq!(v["packages"].as_array().unwrap().len(), 3);
    let ns = v["documentNamespace"].as_str().unwrap();
    let later: serde_json::Value = serde_json::from_str(&spdx23::write(&sample(6))).unwrap();
    assert_eq!(ns, later["documentNamespace"].as_str().unwrap());
    let rels = v["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"));
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "DEPENDS_ON")
            .count(),
        2
    );
    for p in v["packages"].as_array().unwrap() {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
}

#[test]
fn an_image_sbom_describes_the_manifest_digest_in_both_formats() {
    let digest = Algorithm::Sha256.hash_bytes(b"manifest");
    let root = Root::image("app", digest, Some("registry.example.com/team/app")).unwrap();
    let sbom = Sbom::new(root, 0);
    let cdx: serde_json::Value = serde_json::from_str(&provenant_sbom::cyclonedx::write(
        &sbom,
        provenant_sbom::cyclonedx::SpecVersion::V1_6,
    ))
    .unwrap();
    assert_eq!(cdx["metadata"]["component"]["type"], "container");
    assert_eq!(provenant_sbom::described_digests(&cdx), vec![digest]);
    let spdx: serde_json::Value = serde_json::from_str(&provenant_sbom::spdx23::write(&sbom)).unwrap();
    assert_eq!(spdx["packages"][0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(provenant_sbom::described_digests(&spdx), vec![digest]);
    // A directory's SBOM describes its tree digest, which is no image.
    let dir = Sbom::new(Root::new("dir", Algorithm::Sha256.hash_bytes(b"tree")), 0);
    let cdx: serde_json::Value = serde_json::from_str(&provenant_sbom::cyclonedx::write(
        &dir,
        provenant_sbom::cyclonedx::SpecVersion::V1_6,
    ))
    .unwrap();
    assert_ne!(provenant_sbom::described_digests(&cdx), vec![digest]);
}

#[test]
fn to_value_is_the_written_document() {
    // An attestation's predicate is the value; `write` is its text: they must say the same.
    let mut s = sample(10);
    s.warnings.push("package-lock.json:3: bad".into());
    for sv in [
        cyclonedx::SpecVersion::V1_5,
        cyclonedx::SpecVersion::V1_6,
        cyclonedx::SpecVersion::V1_7,
    ] {
        let text: serde_json::Value = serde_json::from_str(&cyclonedx::write(&s, sv)).unwrap();
        assert_eq!(cyclonedx::to_value(&s, sv), text);
    }
    let text: serde_json::Value = serde_json::from_str(&spdx23::write(&s)).unwrap();
    assert_eq!(spdx23::to_value(&s), text);
}
