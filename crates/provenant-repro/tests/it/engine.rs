use std::ffi::OsString;
use std::path::Path;

use provenant_repro::{CheckError, CheckOptions, Variation, check};

/// A build that records the conditions it ran under, one `key=value` per line.
const FACTS: &str = r#"mkdir -p out data/a data/b data/c data/d
{
  echo "pwd=$(pwd)"
  echo "umask=$(umask)"
  echo "lc_all=${LC_ALL:-}"
  echo "tz=${TZ:-}"
  echo "home=${HOME:-}"
  echo "uid=$(id -u)"
  echo "host=$(uname -n)"
  echo "cpus=$(nproc)"
  echo "env=$(env | cut -d= -f1 | tr '\n' ' ')"
  echo "ls=$(ls -f data | tr '\n' ' ')"
  echo "year=$(date +%Y)"
  echo "sde=${SOURCE_DATE_EPOCH:-unset}"
} > out/facts"#;

fn facts(report: &provenant_repro::Report, run: u32) -> std::collections::BTreeMap<String, String> {
    let p = report.kept_path(run, "out/facts").expect("facts kept");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn options(dir: &Path, script: &str) -> CheckOptions {
    let mut o = CheckOptions::new(
        dir.to_path_buf(),
        vec![OsString::from("sh"), "-c".into(), script.into()],
    );
    o.artifacts = vec!["out/facts".to_owned()];
    o
}

#[test]
fn every_applied_variation_is_really_applied() {
    let src = tempfile::tempdir().unwrap();
    let report = check(&options(src.path(), FACTS)).unwrap();
    assert!(!report.reproducible);
    let (c, v) = (facts(&report, 0), facts(&report, 1));
    let applied: Vec<Variation> = report.applied.iter().map(|a| a.variation).collect();
    let not_applied: Vec<Variation> = report.not_applied.iter().map(|a| a.variation).collect();
    assert_eq!(applied.len() + not_applied.len(), Variation::ALL.len());
    for variation in applied {
        let differs = |key: &str| assert_ne!(c[key], v[key], "{variation}: {key} is the same in both runs");
        match variation {
            Variation::Time => differs("year"),
            Variation::BuildPath => differs("pwd"),
            Variation::Umask => {
                assert_eq!(c["umask"], "0022");
                assert_eq!(v["umask"], "0002");
            }
            Variation::Locale => differs("lc_all"),
            Variation::Timezone => differs("tz"),
            Variation::EnvOrder => {
                // Other variations add variables (faketime's, USER): compare the order of the shared ones.
                let a: Vec<&str> = c["env"].split_whitespace().collect();
                let b: Vec<&str> = v["env"].split_whitespace().filter(|k| a.contains(k)).collect();
                let (mut sa, mut sb) = (a.clone(), b.clone());
                sa.sort_unstable();
                sb.sort_unstable();
                assert_eq!(sa, sb, "the same variables");
                assert_ne!(a, b, "in another order");
            }
            Variation::Home => differs("home"),
            Variation::User => {
                assert_eq!(v["uid"], "65534");
                differs("uid");
            }
            Variation::Hostname => differs("host"),
            Variation::Cpus => assert_eq!(v["cpus"], "1"),
            Variation::FileOrder => differs("ls"),
            _ => {}
        }
    }
    // SOURCE_DATE_EPOCH: no git here, and the environment of the test has none, or the same in both.
    assert_eq!(c["sde"], v["sde"]);
}

#[test]
fn runs_apart_from_requested_variations_are_alike() {
    let src = tempfile::tempdir().unwrap();
    let mut o = options(src.path(), FACTS);
    o.variations = [Variation::Umask].into_iter().collect();
    o.runs = 3;
    let report = check(&o).unwrap();
    let (c, v) = (facts(&report, 0), facts(&report, 2));
    assert_eq!(report.applied.len(), 1);
    assert!(report.not_applied.is_empty());
    for key in ["pwd", "lc_all", "tz", "home", "uid", "host", "cpus", "env"] {
        assert_eq!(c[key], v[key], "{key} differs although only umask was varied");
    }
    assert_ne!(c["umask"], v["umask"]);
}

#[test]
fn build_failure_is_an_error_with_the_output_tail() {
    let src = tempfile::tempdir().unwrap();
    let err = check(&options(src.path(), "echo nope >&2; exit 7")).unwrap_err();
    match err {
        CheckError::BuildFailed { run, log_tail, .. } => {
            assert_eq!(run, 0);
            assert!(log_tail.contains("nope"));
        }
        other => panic!("expected BuildFailed, got {other}"),
    }
}

#[test]
fn a_failure_only_in_a_varied_run_names_that_run() {
    let src = tempfile::tempdir().unwrap();
    let mut o = options(
        src.path(),
        r#"[ "$(umask)" = 0022 ] || exit 4; mkdir -p out; echo x > out/facts"#,
    );
    o.variations = [Variation::Umask].into_iter().collect();
    match check(&o).unwrap_err() {
        CheckError::BuildFailed { run, .. } => assert_eq!(run, 1),
        other => panic!("expected BuildFailed, got {other}"),
    }
}

#[test]
fn nothing_is_written_to_the_source() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("input"), "x").unwrap();
    let report = check(&options(src.path(), FACTS)).unwrap();
    assert_eq!(report.runs.len(), 2);
    let names: Vec<_> = std::fs::read_dir(src.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["input"]);
}

#[test]
fn invalid_options_are_refused_before_building() {
    let src = tempfile::tempdir().unwrap();
    let mut o = options(src.path(), "exit 0");
    o.runs = 1;
    assert!(matches!(check(&o), Err(CheckError::InvalidOptions { .. })));
    let mut o = options(src.path(), "exit 0");
    o.artifacts = vec!["../escape".to_owned()];
    assert!(matches!(check(&o), Err(CheckError::InvalidOptions { .. })));
    let mut o = options(src.path(), "exit 0");
    o.artifacts = vec!["out/[".to_owned()];
    assert!(matches!(check(&o), Err(CheckError::Pattern(_))));
}
