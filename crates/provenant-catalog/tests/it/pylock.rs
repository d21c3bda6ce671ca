//! `poetry.lock` and `Pipfile.lock` on fixtures written by poetry 2.x and pipenv
//! (testdata/sbom/make-fixtures.sh); ground truth from `poetry show --all` and `pipenv requirements --dev`.

use std::collections::BTreeSet;

use crate::support::{expected, fixture};
use provenant_catalog::{catalog, pylock};
use provenant_sbom::Scope;

#[test]
fn poetry_and_pipenv_lockfiles_equal_the_tools_listing() {
    for (name, lock) in [("poetry-lock", "poetry.lock"), ("pipfile-lock", "Pipfile.lock")] {
        let c = catalog(&fixture(name)).unwrap();
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        assert_eq!(c.files, [lock]);
        let found: BTreeSet<String> = c
            .components
            .iter()
            .map(|c| format!("pypi {} {}", c.name, c.version))
            .collect();
        assert_eq!(found, expected(name), "{name}");
        let direct: BTreeSet<&str> = c
            .components
            .iter()
            .filter(|c| c.scope == Scope::Direct)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            direct,
            BTreeSet::from(["attrs", "iniconfig", "requests"]),
            "{name}"
        );
        assert!(c.components.iter().all(|c| c.scope != Scope::Unknown), "{name}");
        let requests = c.components.iter().find(|c| c.name == "requests").unwrap();
        assert_eq!(requests.purl.as_str(), "pkg:pypi/requests@2.32.3");
        assert_eq!(requests.hashes.len(), 2, "{name}: wheel and sdist");
        assert!(c.components.iter().all(|c| !c.hashes.is_empty()), "{name}");
        if name == "poetry-lock" {
            assert!(
                requests
                    .depends_on
                    .iter()
                    .any(|p| p.as_str().starts_with("pkg:pypi/urllib3@")),
                "{:?}",
                requests.depends_on
            );
        }
    }
}

#[test]
fn without_manifest_scope_is_unknown_and_local_packages_are_skipped() {
    let lock = "[[package]]\nname = \"Flask\"\nversion = \"3.0.0\"\n[package.dependencies]\nwerkzeug = \">=3\"\n\n\
                [[package]]\nname = \"Werkzeug\"\nversion = \"3.0.1\"\n\n\
                [[package]]\nname = \"mylib\"\nversion = \"0.1.0\"\n[package.source]\ntype = \"directory\"\nurl = \"libs/mylib\"\n\n\
                [metadata.files]\nflask = [{file = \"flask-3.0.0.tar.gz\", hash = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}]\n";
    let comps = pylock::parse_poetry("poetry.lock", lock.as_bytes(), None).unwrap();
    let purls: Vec<&str> = comps.iter().map(|c| c.purl.as_str()).collect();
    assert_eq!(purls, ["pkg:pypi/flask@3.0.0", "pkg:pypi/werkzeug@3.0.1"]);
    assert!(comps.iter().all(|c| c.scope == Scope::Unknown));
    assert_eq!(comps[0].hashes.len(), 1, "poetry 1.x [metadata.files]");
    assert!(
        comps[0]
            .depends_on
            .iter()
            .any(|p| p.as_str() == "pkg:pypi/werkzeug@3.0.1")
    );
    let pipfile = r#"{"_meta": {}, "default": {"a": {"version": "==1.0"}, "b": {"editable": true, "path": "."}},
                     "develop": {"c": {"git": "https://example.org/c.git", "ref": "abc"}}}"#;
    let comps = pylock::parse_pipfile(
        "Pipfile.lock",
        pipfile.as_bytes(),
        Some(b"[packages]\na = \"*\"\n"),
    )
    .unwrap();
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0].scope, Scope::Direct);
}

#[test]
fn malformed_python_lockfiles_name_the_line() {
    let w =
        pylock::parse_poetry("poetry.lock", b"[[package]]\nname = \"x\"\nversion = \n", None).unwrap_err();
    assert_eq!(w.line, Some(3), "{w}");
    let w = pylock::parse_pipfile("Pipfile.lock", b"{\n\"default\": {\n", None).unwrap_err();
    assert!(w.line.is_some(), "{w}");
    let w = pylock::parse_pipfile("Pipfile.lock", b"{\"default\": {}}", None).unwrap_err();
    assert!(w.message.contains("_meta"), "{w}");
}
