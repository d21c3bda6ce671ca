//! `Gemfile.lock` from `bundle lock --local` and `composer.lock` from `composer update --no-install`
//! (testdata/sbom/make-fixtures.sh); ground truth from `bundle list` and `composer show --locked`.

use std::collections::BTreeSet;

use crate::support::{expected, fixture};
use provenant_catalog::{catalog, ruby_php};
use provenant_sbom::Scope;

fn names(c: &provenant_catalog::Catalog, scope: Scope) -> BTreeSet<&str> {
    c.components
        .iter()
        .filter(|c| c.scope == scope)
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn gemfile_lock_equals_bundle_list() {
    let c = catalog(&fixture("gemfile-lock")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let found: BTreeSet<String> = c
        .components
        .iter()
        .map(|c| format!("gem {} {}", c.name, c.version))
        .collect();
    assert_eq!(found, expected("gemfile-lock"));
    assert_eq!(
        names(&c, Scope::Direct),
        BTreeSet::from(["rack", "rack-test", "rake", "test-unit"]),
        "DEPENDENCIES, and rack through the local mylib gem"
    );
    assert_eq!(names(&c, Scope::Transitive), BTreeSet::from(["power_assert"]));
    let tu = c.components.iter().find(|c| c.name == "test-unit").unwrap();
    assert_eq!(tu.purl.as_str(), "pkg:gem/test-unit@3.5.3");
    assert!(
        tu.depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:gem/power_assert@2.0.1")
    );
}

#[test]
fn gemfile_platforms_checksums_and_errors() {
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.0-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.7.3)\n\n\
                DEPENDENCIES\n  nokogiri\n\nCHECKSUMS\n  nokogiri (1.16.0-x86_64-linux) sha256=0000000000000000000000000000000000000000000000000000000000000001\n  racc (1.7.3)\n";
    let comps = ruby_php::parse_gemfile_lock("Gemfile.lock", lock.as_bytes()).unwrap();
    assert_eq!(
        comps[0].purl.as_str(),
        "pkg:gem/nokogiri@1.16.0?platform=x86_64-linux"
    );
    assert_eq!(comps[0].hashes.len(), 1);
    assert_eq!(comps[0].scope, Scope::Direct);
    assert_eq!(comps[1].scope, Scope::Transitive);
    let w = ruby_php::parse_gemfile_lock("Gemfile.lock", b"GEM\n  specs:\n    broken\n").unwrap_err();
    assert_eq!(w.line, Some(3), "{w}");
}

#[test]
fn composer_lock_equals_composer_show() {
    let c = catalog(&fixture("composer-lock")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let found: BTreeSet<String> = c
        .components
        .iter()
        .map(|c| format!("composer {} {}", c.name, c.version))
        .collect();
    assert_eq!(found, expected("composer-lock"));
    assert_eq!(
        names(&c, Scope::Direct),
        BTreeSet::from(["acme/http", "acme/testkit"])
    );
    let http = c.components.iter().find(|c| c.name == "acme/http").unwrap();
    assert_eq!(http.purl.as_str(), "pkg:composer/acme/http@2.0.1");
    assert_eq!(http.license.as_deref(), Some("Apache-2.0 OR MIT"));
    assert_eq!(http.hashes.len(), 1, "dist.shasum");
    assert!(
        http.depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:composer/acme/log@1.4.2")
    );
    let log = c.components.iter().find(|c| c.name == "acme/log").unwrap();
    assert_eq!(log.supplier.as_deref(), Some("Acme Log Team"));
    let w = ruby_php::parse_composer_lock("composer.lock", b"{\"packages\": [{\"name\": \"a/b\"}]}", None)
        .unwrap_err();
    assert!(w.message.contains("version"), "{w}");
}

proptest::proptest! {
    #[test]
    fn any_text_never_panics(text in "\\PC{0,400}") {
        let _ = ruby_php::parse_gemfile_lock("Gemfile.lock", text.as_bytes());
        let _ = ruby_php::parse_composer_lock("composer.lock", text.as_bytes(), Some(text.as_bytes()));
    }
}
