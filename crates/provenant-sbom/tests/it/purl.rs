//! Package URLs found by fuzzing: whatever parses is canonical and parses again to itself.

use provenant_sbom::Purl;

/// The fuzzer's input (`sbom_validate`): a version holding `%2F` decoded to `/`, which the `packageurl`
/// crate rendered unencoded, so the canonical text named a namespace and another name.
#[test]
fn a_slash_in_the_version_survives_the_round_trip() {
    let input = "pkg:vcpkg/llvm@15.ository_url=file:%2F%conaFC:%2Flocal-re(gistry%2\u{c}\0\0\0\0\0\0\0Fvcpkg&port_version=3";
    let purl: Purl = input.parse().unwrap();
    let again: Purl = purl.as_str().parse().unwrap();
    assert_eq!(again, purl);
    assert!(purl.as_str().starts_with("pkg:vcpkg/llvm@15."), "{purl}");
    assert!(!purl.as_str()["pkg:vcpkg/llvm@".len()..].contains('/'), "{purl}");
}

#[test]
fn built_purls_with_a_slash_in_the_version_parse_again() {
    let purl = Purl::build("npm", None, "left-pad", Some("file:../vendor/left-pad"), &[]).unwrap();
    assert_eq!(purl.as_str(), "pkg:npm/left-pad@file:..%2Fvendor%2Fleft-pad");
    assert_eq!(purl.as_str().parse::<Purl>().unwrap(), purl);
    let purl = Purl::build(
        "generic",
        Some("acme"),
        "tool",
        Some("feature/x"),
        &[("arch", "x86_64")],
    )
    .unwrap();
    assert_eq!(purl.as_str().parse::<Purl>().unwrap(), purl);
}
