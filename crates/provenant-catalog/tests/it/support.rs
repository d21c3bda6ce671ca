//! What the catalog tests share: the fixtures under testdata/sbom and their ground truth.

use std::collections::BTreeSet;
use std::path::PathBuf;

use provenant_sbom::Component;

/// The fixture directory `name` under testdata/sbom.
pub(crate) fn fixture(name: &str) -> PathBuf {
    provenant_testkit::repo_root().join("testdata/sbom").join(name)
}

/// A fixture's ground truth: its `expected.txt`, one `type name version` line per component.
pub(crate) fn expected(name: &str) -> BTreeSet<String> {
    std::fs::read_to_string(fixture(name).join("expected.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// `type name version` lines of components, as the fixtures' expected.txt spell them.
pub(crate) fn found(components: &[Component]) -> BTreeSet<String> {
    components
        .iter()
        .map(|c| format!("{} {} {}", c.ecosystem.purl_type(), c.name, c.version))
        .collect()
}
