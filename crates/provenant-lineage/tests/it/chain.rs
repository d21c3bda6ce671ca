//! Whole chains: the valid one holds edge by edge; each edge broken in turn is named.

use provenant_digest::Algorithm;
use provenant_lineage::{EdgeKind, Expectations, Verdict};
use provenant_oci::media;
use serde_json::json;

use crate::fixture::{BUILDER, Chain, attach, edges_of, holds, keys, only_broken, unattached};

#[test]
fn a_complete_chain_holds_at_every_edge() {
    let c = Chain::complete();
    let report = c.verify(&c.expectations());
    assert!(report.verified, "{report:#?}");
    let root = &report.lineage;
    assert_eq!(edges_of(root, EdgeKind::PackagingProvenance).len(), 1);
    let files = edges_of(root, EdgeKind::File);
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| holds(f)));
    let builds = edges_of(root, EdgeKind::BuildProvenance);
    assert_eq!(builds.len(), 2);
    assert!(builds.iter().all(|b| holds(b) && b.evidence.is_some()));
    let sources = edges_of(root, EdgeKind::Source);
    assert_eq!(sources.len(), 2);
    for s in sources {
        assert!(holds(s), "{s:#?}");
        assert!(s.target.contains(&c.commit), "{}", s.target);
        assert!(s.detail.contains("on main"), "{}", s.detail);
    }
    // No SBOM is attached and none is required: shown, not broken.
    let sboms = edges_of(root, EdgeKind::Sbom);
    assert_eq!(sboms[0].verdict, Verdict::Shown);
    // The JSON form carries the same tree.
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["lineage"]["kind"], "image");
}

#[test]
fn an_abbreviated_commit_matches_and_no_expectations_still_verify_signatures() {
    let c = Chain::complete();
    let mut e = c.expectations();
    e.commit = Some(c.commit[..10].to_owned());
    assert!(c.verify(&e).verified);
    assert!(c.verify(&Expectations::default()).verified);
}

#[test]
fn a_provenance_from_another_commit_breaks_the_source_edge() {
    let c = unattached();
    c.attach_packaging(&c.keys.key, &c.packaging);
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        &c.side,
        BUILDER,
    );
    let report = c.verify(&c.expectations());
    let broken = report.lineage.broken_edges();
    assert_eq!(broken.len(), 2, "{broken:#?}");
    for b in broken {
        assert_eq!(b.kind, EdgeKind::Source);
        assert_eq!(b.check, Some(provenant_lineage::reason::Check::Source));
        assert!(
            matches!(&b.reason, Some(provenant_lineage::reason::Reason::WrongCommit { recorded, .. }) if *recorded == c.side[..12]),
            "{:?}",
            b.reason
        );
        assert!(
            b.detail.contains(&format!("built from commit {}", &c.side[..12])),
            "{}",
            b.detail
        );
    }
    // Without --commit, the clone still says the commit is not on main.
    let mut e = c.expectations();
    e.commit = None;
    let report = c.verify(&e);
    for b in report.lineage.broken_edges() {
        assert_eq!(b.detail, format!("commit {} is not on main", &c.side[..12]));
    }
    // On its own branch it is fine.
    e.branch = Some("side".to_owned());
    assert!(c.verify(&e).verified);
}

#[test]
fn a_commit_missing_from_the_clone_is_named() {
    let c = unattached();
    c.attach_packaging(&c.keys.key, &c.packaging);
    let ghost = "0123456789abcdef0123456789abcdef01234567";
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        ghost,
        BUILDER,
    );
    let mut e = c.expectations();
    e.commit = None;
    let report = c.verify(&e);
    let broken = report.lineage.broken_edges();
    assert!(
        broken[0].detail.starts_with("commit 0123456789ab is not in "),
        "{}",
        broken[0].detail
    );
}

#[test]
fn a_build_provenance_signed_by_an_untrusted_key_breaks_the_build_edge() {
    let c = unattached();
    let mallory = keys();
    c.attach_packaging(&c.keys.key, &c.packaging);
    c.attach_build(
        &mallory.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        &c.commit,
        BUILDER,
    );
    let report = c.verify(&c.expectations());
    let broken = report.lineage.broken_edges();
    assert_eq!(broken.len(), 2);
    for b in broken {
        assert_eq!(b.kind, EdgeKind::BuildProvenance);
        assert!(b.detail.contains("is not from a trusted builder"), "{}", b.detail);
        assert!(b.detail.contains("not the trusted one"), "{}", b.detail);
    }
    // With the builder's key trusted separately, it holds.
    let report = c.verify_with(&c.keys.policy, &mallory.policy, &c.expectations());
    assert!(report.verified, "{report:#?}");
}

#[test]
fn an_untrusted_builder_id_breaks_the_build_edge() {
    let c = unattached();
    c.attach_packaging(&c.keys.key, &c.packaging);
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        &c.commit,
        "https://laptop.example.com/me",
    );
    let (kind, reason) = {
        let report = c.verify(&c.expectations());
        let b = report.lineage.broken_edges();
        assert_eq!(b.len(), 2);
        (b[0].kind, b[0].detail.clone())
    };
    assert_eq!(kind, EdgeKind::BuildProvenance);
    assert!(
        reason.contains("names builder https://laptop.example.com/me, not a trusted builder"),
        "{reason}"
    );
}

#[test]
fn a_missing_build_provenance_names_the_file_and_its_digest() {
    let c = unattached();
    c.attach_packaging(&c.keys.key, &c.packaging);
    c.attach_build(&c.keys.key, &[("etc/app.conf", c.conf)], &c.commit, BUILDER);
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::BuildProvenance);
    assert_eq!(
        reason,
        format!("no build provenance has subject {} (usr/bin/app)", c.app)
    );
    // Allowed explicitly, it is shown and the lineage holds.
    let mut e = c.expectations();
    let mut set = globset::GlobSetBuilder::new();
    set.add(globset::Glob::new("usr/bin/*").unwrap());
    e.allow_unattested = Some(set.build().unwrap());
    assert!(c.verify(&e).verified);
}

#[test]
fn a_packaging_provenance_signed_by_the_wrong_key_breaks_the_packaging_edge() {
    let c = unattached();
    let mallory = keys();
    c.attach_packaging(&mallory.key, &c.packaging);
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", c.app), ("etc/app.conf", c.conf)],
        &c.commit,
        BUILDER,
    );
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::PackagingProvenance);
    assert!(
        reason.starts_with(&format!("no packaging provenance of {} verified", c.image)),
        "{reason}"
    );
    assert!(reason.contains("not the trusted one"), "{reason}");
}

#[test]
fn no_packaging_provenance_at_all_is_named() {
    let c = unattached();
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::PackagingProvenance);
    assert_eq!(reason, format!("no packaging provenance has subject {}", c.image));
}

#[test]
fn a_packaged_file_swapped_in_the_record_is_caught_against_the_layers() {
    let c = unattached();
    // The packaging provenance says another app was packaged than the one in the layer.
    let mut statement: serde_json::Value = serde_json::from_slice(&c.packaging).unwrap();
    let other = Algorithm::Sha256.hash_bytes(b"another app");
    for d in statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array_mut()
        .unwrap()
    {
        if d["name"] == "usr/bin/app" {
            d["digest"]["sha256"] = json!(other.hex());
        }
    }
    c.attach_packaging(&c.keys.key, &serde_json::to_vec(&statement).unwrap());
    c.attach_build(
        &c.keys.key,
        &[("usr/bin/app", other), ("etc/app.conf", c.conf)],
        &c.commit,
        BUILDER,
    );
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::File);
    assert_eq!(
        reason,
        format!(
            "the image has {} at usr/bin/app, but the packaging provenance records {other}",
            c.app
        )
    );
}

#[test]
fn a_file_the_packaging_provenance_does_not_record_breaks_the_lineage() {
    let c = unattached();
    let mut statement: serde_json::Value = serde_json::from_slice(&c.packaging).unwrap();
    statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array_mut()
        .unwrap()
        .retain(|d| d["name"] != "etc/app.conf");
    c.attach_packaging(&c.keys.key, &serde_json::to_vec(&statement).unwrap());
    c.attach_build(&c.keys.key, &[("usr/bin/app", c.app)], &c.commit, BUILDER);
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::File);
    assert!(reason.ends_with("does not record: etc/app.conf"), "{reason}");
}

#[test]
fn a_build_provenance_about_the_image_is_not_packaging_provenance() {
    // A provenance whose subject is the image but whose build type is a command build is not accepted
    // as packaging provenance.
    let c = unattached();
    let statement = crate::fixture::build_statement(&[("image", c.image)], &c.commit, BUILDER);
    c.attach_packaging(&c.keys.key, &statement);
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::PackagingProvenance);
    assert!(reason.contains("build type"), "{reason}");
}

fn cyclonedx(digest_hex: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": { "component": {
            "type": "container", "name": "app",
            "purl": format!("pkg:oci/app@sha256%3A{digest_hex}"),
            "hashes": [ { "alg": "SHA-256", "content": digest_hex } ]
        } }
    }))
    .unwrap()
}

#[test]
fn an_sbom_must_describe_the_image() {
    let c = Chain::complete();
    attach(
        &c.layout,
        &c.image,
        &cyclonedx(&c.image.hex()),
        media::CYCLONEDX_JSON,
    );
    let report = c.verify(&c.expectations());
    assert!(report.verified, "{report:#?}");
    let sbom = edges_of(&report.lineage, EdgeKind::Sbom);
    assert_eq!(sbom.len(), 1);
    assert_eq!(sbom[0].detail, format!("describes {}", c.image));

    let other = Algorithm::Sha256.hash_bytes(b"other image");
    let spdx = serde_json::to_vec(&json!({
        "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
        "documentDescribes": ["SPDXRef-image"],
        "packages": [ { "SPDXID": "SPDXRef-image", "name": "app",
            "checksums": [ { "algorithm": "SHA256", "checksumValue": other.hex() } ] } ]
    }))
    .unwrap();
    attach(&c.layout, &c.image, &spdx, media::SPDX_JSON);
    let (kind, reason) = only_broken(&c.verify(&c.expectations()));
    assert_eq!(kind, EdgeKind::Sbom);
    assert_eq!(reason, format!("the SBOM describes {other}, not {}", c.image));
}

#[test]
fn a_required_sbom_that_is_missing_breaks_the_lineage() {
    let c = Chain::complete();
    let mut e = c.expectations();
    e.require_sbom = true;
    let (kind, reason) = only_broken(&c.verify(&e));
    assert_eq!(kind, EdgeKind::Sbom);
    assert_eq!(reason, format!("no SBOM is attached to {}", c.image));
}

#[test]
fn a_reproducibility_attestation_is_shown_under_its_file() {
    let c = Chain::complete();
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [ { "name": "usr/bin/app", "digest": { "sha256": c.app.hex() } } ],
        "predicateType": "https://provenant.dev/attestation/reproducibility/v1",
        "predicate": { "verdict": "reproducible", "runs": [ {}, {}, {} ] }
    }))
    .unwrap();
    crate::fixture::attach_bundle(
        &c.layout,
        &c.image,
        &crate::fixture::sign(&c.keys.key, &statement),
    );
    let report = c.verify(&c.expectations());
    assert!(report.verified);
    let repro = edges_of(&report.lineage, EdgeKind::Reproducibility);
    assert_eq!(repro.len(), 1);
    assert_eq!(repro[0].verdict, Verdict::Shown);
    assert!(
        repro[0]
            .detail
            .starts_with("reproducible over 3 run(s), signed by key "),
        "{}",
        repro[0].detail
    );
}

#[test]
fn a_tampered_layer_blob_breaks_the_layers_edge_and_every_file_check() {
    let c = Chain::complete();
    let fetched =
        provenant_registry::Store::get_manifest(&c.layout, &provenant_oci::ManifestRef::Digest(c.image))
            .unwrap();
    let provenant_oci::Manifest::Image(m) = fetched.manifest else {
        panic!()
    };
    let blob = c
        .path()
        .join("layout/blobs/sha256")
        .join(m.layers[0].digest.hex());
    let mut bytes = std::fs::read(&blob).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let report = c.verify(&c.expectations());
    assert!(!report.verified);
    let layers = edges_of(&report.lineage, EdgeKind::Layers);
    assert_eq!(layers[0].verdict, Verdict::Broken);
    assert!(layers[0].detail.starts_with("layer 0 ("), "{}", layers[0].detail);
    // The files cannot be checked against the image, and say so.
    for f in edges_of(&report.lineage, EdgeKind::File) {
        assert_eq!(f.verdict, Verdict::Shown);
    }
}
