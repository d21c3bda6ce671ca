use provenant_oci::{CosignKind, Reference, ReferenceError, Registry, Tag, cosign_tag, referrers_tag};

const D: &str = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

fn reg(s: &str) -> provenant_oci::RegistryReference {
    match s.parse::<Reference>().unwrap() {
        Reference::Registry(r) => r,
        Reference::Layout(_) => panic!("layout"),
    }
}

#[test]
fn docker_hub_defaults() {
    let r = reg("alpine");
    assert_eq!(r.repository.registry().as_str(), "docker.io");
    assert_eq!(r.repository.registry().api_host(), "registry-1.docker.io");
    assert_eq!(r.repository.name(), "library/alpine");
    assert!(r.tag.is_none() && r.digest.is_none());
    assert_eq!(reg("user/app:1").repository.name(), "user/app");
}

#[test]
fn registry_with_port_tag_and_digest() {
    let r = reg(&format!("127.0.0.1:5000/a/b-c/d__e:v1.2_3@{D}"));
    assert_eq!(r.repository.registry().as_str(), "127.0.0.1:5000");
    assert!(r.repository.registry().is_loopback());
    assert_eq!(r.repository.name(), "a/b-c/d__e");
    assert_eq!(r.tag.unwrap().as_str(), "v1.2_3");
    assert_eq!(r.digest.unwrap().to_string(), D);
    let r = reg("localhost/app");
    assert_eq!(r.repository.registry().as_str(), "localhost");
    assert!(r.repository.registry().is_loopback());
    let r = reg("[::1]:5000/app:x");
    assert_eq!(r.repository.registry().hostname(), "::1");
    assert!(r.repository.registry().is_loopback());
}

#[test]
fn display_round_trips() {
    for s in [
        format!("ghcr.io/o/app:1@{D}"),
        "ghcr.io/o/app".to_owned(),
        format!("oci:dir/x@{D}"),
        "oci:/tmp/l:v1".to_owned(),
    ] {
        assert_eq!(s.parse::<Reference>().unwrap().to_string(), s);
    }
}

#[test]
fn layout_references() {
    let Reference::Layout(l) = "oci:./some/dir:latest".parse().unwrap() else {
        panic!()
    };
    assert_eq!(l.path.to_str(), Some("./some/dir"));
    assert_eq!(l.tag.unwrap().as_str(), "latest");
    let Reference::Layout(l) = format!("oci:dir@{D}").parse().unwrap() else {
        panic!()
    };
    assert_eq!(l.path.to_str(), Some("dir"));
    assert!(l.tag.is_none());
    assert_eq!(l.digest.unwrap().to_string(), D);
    let Reference::Layout(l) = "oci:dir".parse().unwrap() else {
        panic!()
    };
    assert!(l.tag.is_none() && l.digest.is_none());
    assert_eq!("oci:".parse::<Reference>(), Err(ReferenceError::EmptyLayoutPath));
}

#[test]
fn invalid_references_are_refused() {
    for bad in [
        "",
        "UPPER/case",
        "a//b",
        "a/-b",
        "app:",
        "app:-x",
        "app@sha256:abc",
        "h.io/a_/b",
        "bad host.io/a",
    ] {
        assert!(bad.parse::<Reference>().is_err(), "{bad} was accepted");
    }
    assert!(format!("app:{}", "x".repeat(129)).parse::<Reference>().is_err());
    assert!("x".repeat(5000).parse::<Reference>().is_err());
    assert!("h.io:port".parse::<Registry>().is_err());
    assert!("-x".parse::<Tag>().is_err());
}

#[test]
fn referrers_and_cosign_tags() {
    let d = D.parse().unwrap();
    let hex = D.strip_prefix("sha256:").unwrap();
    assert_eq!(referrers_tag(&d).as_str(), format!("sha256-{hex}"));
    assert_eq!(
        cosign_tag(&d, CosignKind::Signature).as_str(),
        format!("sha256-{hex}.sig")
    );
    assert_eq!(
        cosign_tag(&d, CosignKind::Attestation).as_str(),
        format!("sha256-{hex}.att")
    );
    assert_eq!(
        cosign_tag(&d, CosignKind::Sbom).as_str(),
        format!("sha256-{hex}.sbom")
    );
    // sha512 is truncated to stay a valid tag.
    let long = provenant_digest::Algorithm::Sha512.hash_bytes(b"x");
    let t = referrers_tag(&long);
    assert_eq!(t.as_str().len(), "sha512-".len() + 64);
    assert!(t.as_str().parse::<Tag>().is_ok());
}
