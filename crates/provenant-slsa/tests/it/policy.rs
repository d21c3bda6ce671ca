//! Policy checks on hand-made provenance: each failure is its own error.

use provenant_digest::{Algorithm, Digest};
use provenant_slsa::policy::{self, BuilderId, PolicyError, RefKind, SourceUri};
use provenant_slsa::{Provenance, parse_subjects, v1};
use serde_json::json;

fn with_ref(r: &str) -> Provenance {
    let mut v = crate::model::sample_v1();
    let uri = format!("git+https://github.com/org/repo@{r}");
    v["buildDefinition"]["externalParameters"]["source"]["uri"] = json!(uri);
    v["buildDefinition"]["resolvedDependencies"][0]["uri"] = json!(uri);
    Provenance::parse(v1::PREDICATE_TYPE, &v).unwrap()
}

#[test]
fn source_uri_normalisation_follows_slsa_verifier() {
    for given in [
        "github.com/org/repo",
        "https://github.com/org/repo",
        "git+https://github.com/org/repo",
        "github.com/org/repo/",
    ] {
        assert_eq!(
            given.parse::<SourceUri>().unwrap().as_str(),
            "git+https://github.com/org/repo",
            "{given}"
        );
    }
    assert!(
        "github.com/org/repo@refs/heads/main"
            .parse::<SourceUri>()
            .is_err()
    );
    assert!("".parse::<SourceUri>().is_err());
}

#[test]
fn source_checks_both_fields_and_their_agreement() {
    let p = with_ref("refs/heads/main");
    policy::check_source(&p, &"github.com/org/repo".parse().unwrap()).unwrap();
    for wrong in [
        "github.com/org/repoA",
        "Agithub.com/org/repo",
        "github.com/Aorg/repo",
        "gitlab.com/org/repo",
    ] {
        let err = policy::check_source(&p, &wrong.parse().unwrap()).unwrap_err();
        assert!(
            matches!(err, PolicyError::SourceMismatch { .. }),
            "{wrong}: {err}"
        );
    }
    let mut v = crate::model::sample_v1();
    v["buildDefinition"]["resolvedDependencies"][0]["uri"] =
        json!("git+https://github.com/org/repo@refs/heads/other");
    let p = Provenance::parse(v1::PREDICATE_TYPE, &v).unwrap();
    let err = policy::check_source(&p, &"github.com/org/repo".parse().unwrap()).unwrap_err();
    assert!(matches!(err, PolicyError::SourceDisagreement { .. }), "{err}");
    let mut v = crate::model::sample_v1();
    v["buildDefinition"]["externalParameters"]["source"]["uri"] = json!("git+https://github.com/org/repo");
    let p = Provenance::parse(v1::PREDICATE_TYPE, &v).unwrap();
    let err = policy::check_source(&p, &"github.com/org/repo".parse().unwrap()).unwrap_err();
    assert!(matches!(err, PolicyError::MalformedSourceUri { .. }), "{err}");
}

#[test]
fn branch_and_tag_checks() {
    let main = with_ref("refs/heads/main");
    policy::check_branch(&main, "main").unwrap();
    policy::check_branch(&main, "refs/heads/main").unwrap();
    assert!(matches!(
        policy::check_branch(&main, "master"),
        Err(PolicyError::BranchMismatch { .. })
    ));
    assert!(matches!(
        policy::check_tag(&main, "v1"),
        Err(PolicyError::InvalidRef {
            wanted: RefKind::Tag,
            ..
        })
    ));
    assert!(matches!(
        policy::check_versioned_tag(&main, "v1"),
        Err(PolicyError::InvalidRef { .. })
    ));
    let tag = with_ref("refs/tags/v1.2.3");
    policy::check_tag(&tag, "v1.2.3").unwrap();
    assert!(matches!(
        policy::check_tag(&tag, "v1.2"),
        Err(PolicyError::TagMismatch { .. })
    ));
    // A tag build with no recorded base branch cannot prove a branch.
    assert!(matches!(
        policy::check_branch(&tag, "main"),
        Err(PolicyError::InvalidRef {
            wanted: RefKind::Branch,
            ..
        })
    ));
}

#[test]
fn versioned_tags_match_like_slsa_verifier() {
    let cases = [
        ("v13.0.30", "v13", true),
        ("v13.0.30", "v13.0", true),
        ("v13.0.30", "v13.0.30", true),
        ("v13.0.30", "v13.1", false),
        ("v13.0.30", "v13.0.31", false),
        ("v13.0.30", "v12", false),
        ("v14", "v14.0", true),
        ("v14", "v14.0.0", true),
        ("v14", "v14.1", false),
        ("v14.2", "v14.2.0", true),
        ("v14.2", "v14.2.1", false),
        ("v1.2.3-rc.1", "v1.2.3-rc.1", true),
        ("v1.2.3-rc.1", "v1.2", true),
        ("v1.2.3", "v1.2.3-rc.1", false),
    ];
    for (tag, expected, ok) in cases {
        let p = with_ref(&format!("refs/tags/{tag}"));
        let result = policy::check_versioned_tag(&p, expected);
        assert_eq!(result.is_ok(), ok, "tag {tag} vs {expected}: {result:?}");
        if !ok {
            assert!(matches!(result, Err(PolicyError::VersionedTagMismatch { .. })));
        }
    }
    let p = with_ref("refs/tags/v1.2.3");
    for bad in ["1.2.3", "v1.2.3.4", "v01", "v1.2-rc1", "vx"] {
        assert!(
            matches!(
                policy::check_versioned_tag(&p, bad),
                Err(PolicyError::InvalidSemver { .. })
            ),
            "{bad}"
        );
    }
    let p = with_ref("refs/tags/release-7");
    assert!(matches!(
        policy::check_versioned_tag(&p, "v7"),
        Err(PolicyError::InvalidSemver { .. })
    ));
}

#[test]
fn builder_id_matching() {
    let p = with_ref("refs/heads/main");
    policy::check_builder_id(&p, &"https://ci.example.com/builders/linux".parse().unwrap()).unwrap();
    policy::check_builder_id(&p, &"https://ci.example.com/builders/linux@v2".parse().unwrap()).unwrap();
    for wrong in [
        "https://ci.example.com/builders/linux@v3",
        "https://ci.example.com/builders/lin",
        "https://evil.example.com/builders/linux",
    ] {
        let err = policy::check_builder_id(&p, &wrong.parse::<BuilderId>().unwrap()).unwrap_err();
        assert!(matches!(err, PolicyError::UntrustedBuilder { .. }), "{wrong}");
    }
    assert!("not-a-uri".parse::<BuilderId>().is_err());
    let gh: BuilderId = "https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1.2.3"
        .parse()
        .unwrap();
    assert_eq!(gh.name(), "https://github.com/o/r/.github/workflows/b.yml");
    assert_eq!(gh.version(), Some("refs/tags/v1.2.3"));
}

#[test]
fn subject_digest_match_across_many_subjects() {
    let a = Algorithm::Sha256.hash_bytes(b"a");
    let b = Algorithm::Sha256.hash_bytes(b"b");
    let subjects = parse_subjects(&json!([
        { "name": "a", "digest": { "sha256": a.hex() } },
        { "name": "b", "digest": { "sha256": b.hex(), "sha512": Algorithm::Sha512.hash_bytes(b"b").hex() } }
    ]))
    .unwrap();
    policy::check_subject(&subjects, &a).unwrap();
    policy::check_subject(&subjects, &b).unwrap();
    policy::check_subject(&subjects, &Algorithm::Sha512.hash_bytes(b"b")).unwrap();
    let c: Digest = Algorithm::Sha256.hash_bytes(b"c");
    let err = policy::check_subject(&subjects, &c).unwrap_err();
    assert!(matches!(err, PolicyError::SubjectMismatch { .. }));
    assert!(err.to_string().contains(&c.to_string()));
}

#[test]
fn build_levels() {
    let local: BuilderId = provenant_slsa::LOCAL_BUILDER_ID.parse().unwrap();
    let ci: BuilderId = "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main"
        .parse()
        .unwrap();
    let generator: BuilderId = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0".parse().unwrap();
    assert_eq!(policy::achieved_build_level(&local, true), 1);
    assert_eq!(policy::achieved_build_level(&ci, true), 2);
    assert_eq!(policy::achieved_build_level(&ci, false), 1);
    assert_eq!(policy::achieved_build_level(&generator, true), 3);
    policy::check_build_level(2, 3).unwrap();
    assert!(matches!(
        policy::check_build_level(3, 2),
        Err(PolicyError::BuildLevel {
            required: 3,
            achieved: 2
        })
    ));
}

/// Issue 15, item 4: `--source-uri` as package.json's `repository.url` writes it
/// (`git+https://github.com/ORG/REPO.git`) names the repository the provenance records, whose URIs carry
/// no `.git`; the other spellings of the same repository normalise alike, and another repository that
/// merely ends in `.git` inside its name is still another repository.
#[test]
fn source_uri_as_package_json_writes_it_is_accepted() {
    let p = with_ref("refs/heads/main");
    for given in [
        "git+https://github.com/org/repo.git",
        "https://github.com/org/repo.git",
        "github.com/org/repo.git",
        "git+https://github.com/org/repo.git/",
    ] {
        let uri: SourceUri = given.parse().unwrap();
        assert_eq!(uri.as_str(), "git+https://github.com/org/repo", "{given}");
        policy::check_source(&p, &uri).unwrap();
    }
    for other in [
        "github.com/org/repo.github",
        "github.com/org/repo.git.git",
        "github.com/org/re.git/po",
    ] {
        let err = policy::check_source(&p, &other.parse().unwrap()).unwrap_err();
        assert!(
            matches!(err, PolicyError::SourceMismatch { .. }),
            "{other}: {err}"
        );
    }
    for nothing in ["https://.git", "git+https://"] {
        assert!(nothing.parse::<SourceUri>().is_err(), "{nothing}");
    }
}
