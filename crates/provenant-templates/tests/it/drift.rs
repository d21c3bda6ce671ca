//! Drift: the pipeline's stamp and parameters re-render the template; every file that differs is
//! reported with a unified diff, a missing file as missing.

use std::collections::BTreeMap;

use provenant_templates::drift::{self, CheckError, StampError};
use provenant_templates::{Ci, DriftKind, Workload, params, render};

fn rendered(w: Workload, ci: Ci) -> BTreeMap<String, String> {
    let settings = vec![("name".to_owned(), "shop".to_owned())];
    render(w, ci, &params::resolve(w, ci, &settings).unwrap())
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.content))
        .collect()
}

fn check(files: &BTreeMap<String, String>, pipeline: &str) -> Result<drift::Report, CheckError> {
    drift::check(pipeline, &files[pipeline], &|p: &str| files.get(p).cloned())
}

#[test]
fn an_untouched_pipeline_has_no_drift() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let files = rendered(w, ci);
            let report = check(&files, &provenant_templates::pipeline_path(w, ci)).unwrap();
            assert!(report.drifted.is_empty(), "{w} {ci}: {:?}", report.drifted);
            assert_eq!(report.checked.len(), 4);
            assert_eq!(report.values["name"], "shop");
        }
    }
}

#[test]
fn an_edited_line_is_reported_as_a_unified_diff() {
    let pipeline = ".github/workflows/provenant-container.yml";
    let mut files = rendered(Workload::Container, Ci::Github);
    let edited = files[pipeline].replacen(
        "provenant gate evaluate",
        "provenant gate evaluate --policy lenient.yaml",
        1,
    );
    files.insert(pipeline.to_owned(), edited);
    let mut envs = files["provenant/environments.yaml"].clone();
    envs = envs.replace("        count: 1\n", "        count: 0\n");
    files.insert("provenant/environments.yaml".to_owned(), envs);
    files.remove("provenant/roles.yaml");
    let report = check(&files, pipeline).unwrap();
    let paths: Vec<&str> = report.drifted.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [pipeline, "provenant/environments.yaml", "provenant/roles.yaml"]
    );
    let DriftKind::Changed { diff } = &report.drifted[0].kind else {
        panic!("{:?}", report.drifted[0])
    };
    assert!(
        diff.starts_with(&format!("--- a/{pipeline}\n+++ b/{pipeline}\n@@ -")),
        "{diff}"
    );
    assert!(
        diff.contains("\n-          provenant gate evaluate --policy \"$POLICY_DIR/gate-policy.yaml\" \\\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n+          provenant gate evaluate --policy lenient.yaml --policy"),
        "{diff}"
    );
    let DriftKind::Changed { diff } = &report.drifted[1].kind else {
        panic!()
    };
    assert!(
        diff.contains("\n-        count: 1\n+        count: 0\n"),
        "{diff}"
    );
    assert_eq!(report.drifted[2].kind, DriftKind::Missing);
}

#[test]
fn a_recorded_parameter_outside_its_range_is_refused() {
    let pipeline = ".gitlab-ci.yml";
    let mut files = rendered(Workload::Data, Ci::Gitlab);
    let edited = files[pipeline].replace(
        "# provenant-parameter: timeout_minutes=30\n",
        "# provenant-parameter: timeout_minutes=9999\n",
    );
    files.insert(pipeline.to_owned(), edited);
    let err = check(&files, pipeline).unwrap_err();
    assert!(
        err.to_string()
            .contains("`timeout_minutes`: `9999` is outside its allowed range"),
        "{err}"
    );
}

#[test]
fn a_file_without_a_stamp_names_no_template() {
    let err = drift::read_stamp(".gitlab-ci.yml", "stages: [build]\n").unwrap_err();
    assert!(matches!(err, StampError::Missing { .. }));
    let err = drift::read_stamp("x", "# provenant-template: lambda-jenkins@1.0.0\n").unwrap_err();
    assert!(matches!(err, StampError::UnknownTemplate { .. }));
    let stamp = drift::read_stamp(
        "x",
        "# provenant-template: infra-gitlab@0.9.0\n# provenant-parameter: iac_tool=terraform\n",
    )
    .unwrap();
    assert_eq!(
        (stamp.workload, stamp.ci, stamp.version.as_str()),
        (Workload::Infra, Ci::Gitlab, "0.9.0")
    );
    assert!(!drift::is_current(&stamp));
}

#[test]
fn hostile_pipeline_files_are_refused_or_reported_never_a_panic() {
    let long = "x".repeat(1 << 20);
    let inputs = [
        String::new(),
        "# provenant-template: ".to_owned(),
        "# provenant-template: container-github@".to_owned(),
        "# provenant-template: -@\n".to_owned(),
        "# provenant-template: container-github@1.0.0\n# provenant-parameter: name\n".to_owned(),
        "# provenant-template: container-github@1.0.0\n# provenant-parameter: =\n".to_owned(),
        "# provenant-template: container-github@1.0.0\n# provenant-parameter: name={{> setup}}\n".to_owned(),
        format!("# provenant-template: container-github@1.0.0\n# provenant-parameter: name={long}\n"),
        "# provenant-template: container-github@1.0.0@2\r\n".to_owned(),
        "\u{feff}# provenant-template: container-github@1.0.0\n".to_owned(),
    ];
    for input in &inputs {
        let _ = drift::read_stamp("p", input);
        if let Ok(report) = drift::check("p", input, &|_| None) {
            // Rendered again from what it records; every file the template writes is missing here.
            assert_eq!(report.drifted.len(), 4);
            assert!(report.values.values().all(|v| !v.contains("{{")));
        }
    }
}
