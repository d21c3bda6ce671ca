//! Every template for both CI systems against the independent checkers: actionlint and the GitHub
//! workflow schema, or the GitLab CI schema (check-jsonschema's vendored schemas).

use std::process::Command;

use provenant_templates::{Ci, Workload, params, render};

fn write_all(dir: &std::path::Path, w: Workload, ci: Ci) -> std::path::PathBuf {
    for f in render(w, ci, &params::resolve(w, ci, &[]).unwrap()).unwrap() {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, f.content).unwrap();
    }
    dir.join(provenant_templates::pipeline_path(w, ci))
}

fn passes(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn github_workflows_pass_actionlint_and_the_workflow_schema() {
    let actionlint = provenant_testkit::require_actionlint();
    // actionlint checks every `run:` script with shellcheck when it is on PATH: require it.
    let _shellcheck = provenant_testkit::require_on_path("shellcheck");
    let schema = provenant_testkit::require_check_jsonschema();
    for w in Workload::ALL {
        let dir = tempfile::tempdir().unwrap();
        let file = write_all(dir.path(), w, Ci::Github);
        passes(
            Command::new(&actionlint)
                .current_dir(dir.path())
                .arg("-no-color")
                .arg(&file),
            &format!("actionlint {w}"),
        );
        passes(
            Command::new(&schema)
                .args(["--builtin-schema", "vendor.github-workflows"])
                .arg(&file),
            &format!("GitHub workflow schema {w}"),
        );
    }
}

#[test]
fn gitlab_pipelines_pass_the_gitlab_ci_schema() {
    let schema = provenant_testkit::require_check_jsonschema();
    for w in Workload::ALL {
        let dir = tempfile::tempdir().unwrap();
        let file = write_all(dir.path(), w, Ci::Gitlab);
        passes(
            Command::new(&schema)
                .args(["--builtin-schema", "vendor.gitlab-ci"])
                .arg(&file),
            &format!("GitLab CI schema {w}"),
        );
    }
}

#[test]
fn gitlab_scripts_pass_shellcheck() {
    let shellcheck = provenant_testkit::require_on_path("shellcheck");
    for w in Workload::ALL {
        let dir = tempfile::tempdir().unwrap();
        let file = write_all(dir.path(), w, Ci::Gitlab);
        let doc: serde_json::Value = yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut n = 0;
        for (job, def) in doc.as_object().unwrap() {
            for key in ["before_script", "script"] {
                for script in def.get(key).and_then(|s| s.as_array()).into_iter().flatten() {
                    n += 1;
                    let path = dir.path().join(format!("{job}-{key}-{n}.sh"));
                    std::fs::write(&path, format!("#!/bin/bash\n{}", script.as_str().unwrap())).unwrap();
                    passes(
                        Command::new(&shellcheck).arg(&path),
                        &format!("shellcheck {w} {job}"),
                    );
                }
            }
        }
        assert_eq!(n, 9, "{w}: the eight stage scripts and the shared setup");
    }
}

#[test]
fn the_checkers_catch_a_broken_pipeline() {
    // The oracles are not vacuous: a workflow whose job needs an unknown job fails actionlint, and a
    // GitLab job with a misspelt keyword fails the schema.
    let dir = tempfile::tempdir().unwrap();
    let file = write_all(dir.path(), Workload::Container, Ci::Github);
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("needs: [deploy]", "needs: [deplyo]");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(provenant_testkit::require_actionlint())
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("deplyo"));
    let file = write_all(dir.path(), Workload::Container, Ci::Gitlab);
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("  needs: [deploy]", "  neeeds: [deploy]");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(provenant_testkit::require_check_jsonschema())
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
