//! Installed Python distributions (`*.dist-info/METADATA`).

use provenant_catalog::pydist;

#[test]
fn metadata_gives_name_version_licence_and_supplier() {
    let meta = "Metadata-Version: 2.1\nName: Charset_Normalizer\nVersion: 3.3.2\nAuthor-email: A <a@example.org>\n\
                Classifier: License :: OSI Approved :: MIT License\n\nLicense: not read from the body\n";
    let c = pydist::parse("lib/charset_normalizer-3.3.2.dist-info/METADATA", meta.as_bytes()).unwrap();
    assert_eq!(c.purl.as_str(), "pkg:pypi/charset-normalizer@3.3.2");
    assert_eq!(c.license.as_deref(), Some("MIT"));
    assert_eq!(c.supplier.as_deref(), Some("A <a@example.org>"));
    let expr = "Name: x\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\nLicense: BSD\n";
    assert_eq!(
        pydist::parse("x.dist-info/METADATA", expr.as_bytes())
            .unwrap()
            .license
            .as_deref(),
        Some("Apache-2.0 OR MIT")
    );
    // A free-text licence that is no SPDX expression is left out rather than guessed.
    let text = "Name: y\nVersion: 2\nLicense: Copyright me, all rights reserved\n";
    assert_eq!(
        pydist::parse("y.dist-info/METADATA", text.as_bytes())
            .unwrap()
            .license,
        None
    );
}

#[test]
fn metadata_without_version_is_a_warning_naming_the_file() {
    let w = pydist::parse("site/z.dist-info/METADATA", b"Name: z\n").unwrap_err();
    assert_eq!(w.file, "site/z.dist-info/METADATA");
    assert!(w.message.contains("Version"), "{w}");
}

#[test]
fn site_packages_fixture_is_cataloged() {
    let dir = provenant_testkit::repo_root().join("testdata/sbom/pip-site");
    let cat = provenant_catalog::catalog(&dir).unwrap();
    let mut found: Vec<&str> = cat.components.iter().map(|c| c.purl.as_str()).collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "pkg:pypi/certifi@2024.7.4",
            "pkg:pypi/idna@3.7",
            "pkg:pypi/requests@2.32.3",
            "pkg:pypi/urllib3@2.2.2"
        ]
    );
    assert!(
        cat.components.iter().all(|c| c.license.is_some()),
        "every fixture package declares a licence"
    );
}
