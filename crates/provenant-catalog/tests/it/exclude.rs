//! `--exclude`: glob semantics (syft's: relative to the root, `**` across segments), and excluded trees
//! are never read — a malformed lockfile under an excluded directory gives no warning.

use std::collections::BTreeSet;

use provenant_catalog::{Exclude, catalog, catalog_excluding};

use crate::support::{expected, fixture, found};

#[test]
fn glob_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        ("./node_modules/**", "node_modules/a/package.json", true),
        ("./node_modules/**", "app/node_modules/a/package.json", false),
        ("**/node_modules", "app/node_modules/a/package.json", true),
        ("**/node_modules/**", "node_modules/x", true),
        ("/var/lib/dpkg", "var/lib/dpkg/status", true),
        ("var/lib/*", "var/lib/dpkg/status", true),
        ("var/*/status", "var/lib/dpkg/status", false),
        ("var/**/status", "var/lib/dpkg/status", true),
        ("var/**/status", "var/status", true),
        ("*.json", "package-lock.json", true),
        ("*.json", "a/package-lock.json", false),
        ("**/*.json", "a/b/package-lock.json", true),
        ("**/*-lock.json", "a/b/package-lock.json", true),
        ("**/*-lock.json", "a/b/lock.json", false),
        ("requirements?.txt", "requirements2.txt", true),
        ("requirements?.txt", "requirements.txt", false),
        ("cargo-v[34]", "cargo-v3/Cargo.lock", true),
        ("cargo-v[!34]", "cargo-v3/Cargo.lock", false),
        ("cargo-v[0-9]", "cargo-v4", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("**", "anything/at/all", true),
        ("dir/", "dir/file", true),
        ("*a*b*c", "xaxxbyc", true),
        ("*a*b*c", "xaxxbycd", false),
    ];
    for (pattern, path, want) in cases {
        let e = Exclude::new(&[*pattern]).unwrap();
        assert_eq!(e.excludes(path), *want, "{pattern} on {path}");
    }
    assert!(!Exclude::default().excludes("anything"));
    for bad in ["", "./", "a//b", "a/[b", "a/**b", "../x", "a\\"] {
        let err = Exclude::new(&[bad]).unwrap_err();
        assert!(
            err.to_string().contains("invalid exclude pattern"),
            "{bad}: {err}"
        );
    }
    assert!(Exclude::new(&["x".repeat(5000)]).is_err());
}

#[test]
fn pathological_patterns_stay_linear() {
    let pattern = format!("{}b", "*a".repeat(200));
    let e = Exclude::new(&[pattern.as_str(), "**/**/**/**/**/**/**/**/z"]).unwrap();
    let name = "a".repeat(4000);
    let start = std::time::Instant::now();
    assert!(!e.excludes(&name));
    assert!(!e.excludes(&vec!["q"; 500].join("/")));
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn excluded_trees_are_not_read_and_their_components_vanish() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    for name in ["cargo-v4", "npm-v3", "pip-req"] {
        let o = std::process::Command::new("cp")
            .arg("-a")
            .arg(fixture(name))
            .arg(root.join(name))
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    std::fs::create_dir_all(root.join("vendor/broken")).unwrap();
    std::fs::write(root.join("vendor/broken/package-lock.json"), b"{ truncated").unwrap();

    let all = catalog(root).unwrap();
    assert_eq!(all.warnings.len(), 1, "{:?}", all.warnings);
    let mut want: BTreeSet<String> = expected("cargo-v4");
    want.extend(expected("npm-v3"));
    want.extend(expected("pip-req"));
    assert_eq!(found(&all.components), want);

    let some = catalog_excluding(root, &Exclude::new(&["./vendor/**", "**/npm-*"]).unwrap()).unwrap();
    assert!(some.warnings.is_empty(), "{:?}", some.warnings);
    assert!(
        some.files
            .iter()
            .all(|f| !f.starts_with("vendor/") && !f.starts_with("npm-v3/")),
        "{:?}",
        some.files
    );
    let mut want = expected("cargo-v4");
    want.extend(expected("pip-req"));
    assert_eq!(found(&some.components), want);

    // A file pattern leaves the rest of its directory alone.
    let no_reqs = catalog_excluding(root, &Exclude::new(&["pip-req/requirements*.txt"]).unwrap()).unwrap();
    assert!(
        !no_reqs.files.iter().any(|f| f.starts_with("pip-req/")),
        "{:?}",
        no_reqs.files
    );
    assert!(no_reqs.files.iter().any(|f| f == "cargo-v4/Cargo.lock"));
}
