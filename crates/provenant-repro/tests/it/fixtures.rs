//! The fixtures in testdata/repro: each unreproducible one is caught, for its one reason, named by
//! kind; and reprotest, run on the same fixtures, reaches the same verdicts.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use provenant_diff::Kind;
use provenant_repro::{CheckOptions, Report, Variation, check};

/// Fixture, the variation that exposes it, the kind of difference expected, and reprotest's name
/// for that variation.
const CASES: [(&str, Variation, Kind, &str); 6] = [
    ("timestamp", Variation::Time, Kind::Timestamp, "time"),
    (
        "build-path",
        Variation::BuildPath,
        Kind::EmbeddedPath,
        "build_path",
    ),
    ("umask", Variation::Umask, Kind::Permissions, "umask"),
    ("locale-sort", Variation::Locale, Kind::Order, "locales"),
    (
        "file-order",
        Variation::FileOrder,
        Kind::EntryOrder,
        "fileordering",
    ),
    ("hostname", Variation::Hostname, Kind::Hostname, "domain_host"),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/repro")
        .join(name)
}

/// The fixture in a fresh git repository, committed at a fixed date.
fn repo(name: &str) -> tempfile::TempDir {
    provenant_testkit::committed_copy(&fixture(name))
}

fn ours(dir: &Path, variations: impl IntoIterator<Item = Variation>, runs: u32) -> Report {
    let mut o = CheckOptions::new(dir.to_path_buf(), vec![OsString::from("./build.sh")]);
    o.artifacts = vec!["out/*".to_owned()];
    o.variations = variations.into_iter().collect();
    o.runs = runs;
    check(&o).unwrap()
}

fn kinds(report: &Report) -> Vec<Kind> {
    let mut k: Vec<Kind> = report
        .explanations
        .iter()
        .filter_map(|e| e.comparison.as_ref())
        .flat_map(provenant_diff::Comparison::kinds)
        .collect();
    k.sort_unstable();
    k.dedup();
    k
}

#[test]
fn reproducible_fixture_is_reproducible_under_every_variation() {
    let src = repo("reproducible");
    let report = ours(src.path(), Variation::ALL, 3);
    assert!(report.reproducible, "{:#?}", report.explanations);
    assert_eq!(report.artifacts.len(), 2);
    assert_eq!(report.source_date_epoch, Some(1_700_000_000));
}

#[test]
fn each_fixture_is_caught_and_its_difference_named() {
    for (name, variation, kind, _) in CASES {
        let src = repo(name);
        // Every variation at once: caught, and the expected kind is among those named.
        let report = ours(src.path(), Variation::ALL, 2);
        assert!(
            report.applied.iter().any(|a| a.variation == variation),
            "{name}: {variation} not applied here: {:?}",
            report.not_applied
        );
        assert!(!report.reproducible, "{name}: not caught under all variations");
        assert!(
            kinds(&report).contains(&kind),
            "{name}: expected {kind}, found {:?}",
            kinds(&report)
        );
        // Only the exposing variation: caught, and named by exactly that kind (a build id may follow).
        let report = ours(src.path(), [variation], 2);
        assert!(!report.reproducible, "{name}: not caught by {variation} alone");
        let found: Vec<Kind> = kinds(&report)
            .into_iter()
            .filter(|k| !matches!(k, Kind::Derived | Kind::Content))
            .collect();
        assert_eq!(found, [kind], "{name}: {:#?}", report.explanations);
        // Every other variation: reproducible, so the fixture fails for that one reason only. (The
        // clock cannot be held still between two real runs, so the time fixture skips this.)
        if variation != Variation::Time {
            let others = Variation::ALL.into_iter().filter(|v| *v != variation);
            let report = ours(src.path(), others, 2);
            assert!(
                report.reproducible,
                "{name}: differs without {variation}: {:#?}",
                report.explanations
            );
        }
    }
}

/// Runs reprotest as its manual describes (from the source tree, `null` virtual server) and returns
/// its verdict and the artefact digests it printed.
fn reprotest(dir: &Path, vary: &str) -> (bool, BTreeMap<String, String>) {
    let reprotest = provenant_testkit::require_on_path("reprotest");
    let store = tempfile::tempdir().unwrap();
    let out = Command::new(reprotest)
        .arg(format!("--store-dir={}", store.path().join("s").display()))
        .arg(format!("--vary={vary}"))
        .args(["-s", ".", "sh build.sh", "out/*", "--", "null"])
        // reprotest does not derive SOURCE_DATE_EPOCH from git; give it the commit time we use.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict = match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!(
            "reprotest failed ({other:?}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    };
    let digests = stdout
        .lines()
        .filter_map(|l| l.split_once("  "))
        .filter(|(hex, _)| hex.len() == 64)
        .map(|(hex, path)| (path.trim_start_matches("./").to_owned(), format!("sha256:{hex}")))
        .collect();
    (verdict, digests)
}

#[test]
fn reprotest_agrees_on_every_fixture() {
    // The reproducible fixture, under everything reprotest can vary here (no second user configured).
    let src = repo("reproducible");
    let (verdict, digests) = reprotest(src.path(), "-user_group");
    let report = ours(src.path(), Variation::ALL, 2);
    assert!(verdict, "reprotest says the reproducible fixture is not");
    assert_eq!(report.reproducible, verdict);
    for a in &report.artifacts {
        let ours = a.digests[0].unwrap().to_string();
        assert_eq!(
            digests.get(&a.path),
            Some(&ours),
            "{}: digests differ from reprotest's",
            a.path
        );
    }
    // Each unreproducible fixture, with the one variation that exposes it, in both tools.
    for (name, variation, _, theirs) in CASES {
        let src = repo(name);
        let (verdict, _) = reprotest(src.path(), &format!("-all,+{theirs}"));
        let report = ours(src.path(), [variation], 2);
        assert_eq!(
            report.reproducible, verdict,
            "{name}: provenant says {}, reprotest {verdict}",
            report.reproducible
        );
        assert!(!verdict, "{name}: reprotest did not catch it");
    }
}
