//! The engine on real git work trees: dirty refusal, source, subjects, lockfiles, logs, determinism,
//! and output that in-toto-attestation accepts.

use std::collections::BTreeMap;
use std::path::Path;

use provenant_build::run::run;
use provenant_build::subjects::{SubjectError, collect};
use provenant_build::{BuildError, Invocation, Options, prepare};
use provenant_slsa::{Provenance, parse_subjects};
use serde_json::Value;

use crate::support::{fixture, git, head, validate};

fn options(dir: &Path, extra: &[(&str, &str)]) -> Options {
    let mut env: BTreeMap<String, String> = [("SOURCE_DATE_EPOCH", "1700000000")]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Ok(path) = std::env::var("PATH") {
        env.insert("PATH".into(), path);
    }
    Options {
        build_dir: dir.to_path_buf(),
        subjects: vec!["out/*".into()],
        env,
        ..Options::default()
    }
}

fn build(dir: &Path, options: &Options) -> Value {
    let prepared = prepare(options).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = run(&["./build.sh".into()], dir, &mut out, &mut err).unwrap();
    assert!(outcome.status.success());
    assert_eq!(out, b"built\n");
    assert_eq!(err, b"warning\n");
    let outputs = collect(&prepared.build_dir, &options.subjects).unwrap();
    let command = vec!["./build.sh".to_owned()];
    let now = prepared.now();
    prepared
        .statement(
            &outputs,
            &Invocation {
                command: Some(&command),
                started_on: Some(now),
                finished_on: now,
                logs: Some((outcome.stdout, outcome.stderr)),
            },
        )
        .unwrap()
}

#[test]
fn statement_records_the_build_and_passes_in_toto_validation() {
    let repo = fixture();
    let dir = repo.path();
    let statement = build(dir, &options(dir, &[]));
    let p = &statement["predicate"];
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(p["buildDefinition"]["buildType"], provenant_slsa::BUILD_TYPE);
    let source = &p["buildDefinition"]["externalParameters"]["source"];
    assert_eq!(
        source["uri"],
        "git+https://github.com/org/fixture@refs/heads/main"
    );
    assert_eq!(source["digest"]["gitCommit"], head(dir));
    assert_eq!(p["buildDefinition"]["resolvedDependencies"][0], *source);
    assert_eq!(
        p["buildDefinition"]["resolvedDependencies"][1]["name"],
        "Cargo.lock"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["command"],
        serde_json::json!(["./build.sh"])
    );
    assert_eq!(p["buildDefinition"]["internalParameters"]["workTreeDirty"], false);
    assert!(p["buildDefinition"]["internalParameters"]["toolchains"]["cc"].is_string());
    assert_eq!(p["runDetails"]["builder"]["id"], provenant_slsa::LOCAL_BUILDER_ID);
    assert_eq!(p["runDetails"]["metadata"]["startedOn"], "2023-11-14T22:13:20Z");
    let stdout_digest = provenant_digest::Algorithm::Sha256.hash_bytes(b"built\n").hex();
    assert_eq!(
        p["runDetails"]["byproducts"][0]["digest"]["sha256"],
        stdout_digest
    );
    let subjects = parse_subjects(&statement["subject"]).unwrap();
    let names: Vec<&str> = subjects.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["out/hello", "out/hello.txt"]);
    assert_eq!(
        subjects[0].digest.get("sha256").unwrap(),
        provenant_digest::Algorithm::Sha256.hash_bytes(b"binary").hex()
    );
    // It reads back under the strict parser and satisfies its own policy.
    let provenance = Provenance::parse(statement["predicateType"].as_str().unwrap(), p).unwrap();
    provenant_slsa::policy::check_source(&provenance, &"github.com/org/fixture".parse().unwrap()).unwrap();
    provenant_slsa::policy::check_branch(&provenance, "main").unwrap();
    let file = dir.join("statement.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&statement).unwrap()).unwrap();
    validate(&file);
}

#[test]
fn same_inputs_give_identical_documents() {
    let repo = fixture();
    let dir = repo.path();
    let a = serde_json::to_vec(&build(dir, &options(dir, &[]))).unwrap();
    let b = serde_json::to_vec(&build(dir, &options(dir, &[]))).unwrap();
    assert_eq!(a, b);
}

#[test]
fn dirty_tree_is_refused_unless_allowed_and_then_recorded() {
    let repo = fixture();
    let dir = repo.path();
    std::fs::write(
        dir.join("build.sh"),
        "#!/bin/sh\nmkdir -p out; printf x > out/hello; echo built; echo warning >&2\n",
    )
    .unwrap();
    let err = prepare(&options(dir, &[])).unwrap_err();
    assert!(matches!(err, BuildError::Dirty { .. }), "{err}");
    assert!(err.to_string().contains("--allow-dirty"));
    let mut opts = options(dir, &[]);
    opts.allow_dirty = true;
    let statement = build(dir, &opts);
    let bd = &statement["predicate"]["buildDefinition"];
    assert_eq!(bd["externalParameters"]["allowDirty"], true);
    assert_eq!(bd["internalParameters"]["workTreeDirty"], true);
}

#[test]
fn untracked_files_do_not_make_the_tree_dirty() {
    let repo = fixture();
    let dir = repo.path();
    std::fs::write(dir.join("notes.txt"), "scratch").unwrap();
    assert!(!prepare(&options(dir, &[])).unwrap().work_tree.dirty);
}

#[test]
fn source_comes_from_flag_then_ci_then_origin() {
    let repo = fixture();
    let dir = repo.path();
    let mut opts = options(dir, &[]);
    opts.source = Some("gitlab.com/group/other".into());
    assert_eq!(
        prepare(&opts).unwrap().source_uri,
        "git+https://gitlab.com/group/other@refs/heads/main"
    );
    git(dir, &["remote", "remove", "origin"]);
    let err = prepare(&options(dir, &[])).unwrap_err();
    assert!(matches!(err, BuildError::NoSource { .. }), "{err}");
    let gh = options(
        dir,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_REF", "refs/tags/v1.0.0"),
            ("GITHUB_RUN_ID", "9"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/repo/.github/workflows/release.yml@refs/tags/v1.0.0",
            ),
        ],
    );
    let prepared = prepare(&gh).unwrap();
    assert_eq!(
        prepared.source_uri,
        "git+https://github.com/org/repo@refs/tags/v1.0.0"
    );
    assert_eq!(
        prepared.builder_id.to_string(),
        "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0"
    );
}

#[test]
fn outside_a_work_tree_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = prepare(&options(dir.path(), &[])).unwrap_err();
    assert!(matches!(err, BuildError::Git(_)), "{err}");
}

#[test]
fn bad_source_date_epoch_is_an_error() {
    let repo = fixture();
    let err = prepare(&options(repo.path(), &[("SOURCE_DATE_EPOCH", "yesterday")])).unwrap_err();
    assert!(matches!(err, BuildError::SourceDateEpoch { .. }), "{err}");
}

#[test]
fn subject_globs() {
    let repo = fixture();
    let dir = repo.path();
    let mut out = Vec::new();
    run(&["./build.sh".into()], dir, &mut out, Vec::new()).unwrap();
    let names = |p: &[&str]| {
        collect(dir, &p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .map(|v| v.into_iter().map(|o| o.name).collect::<Vec<_>>())
    };
    assert_eq!(names(&["out/*.txt"]).unwrap(), ["out/hello.txt"]);
    assert_eq!(
        names(&["out/hello", "out/*"]).unwrap(),
        ["out/hello", "out/hello.txt"]
    );
    assert_eq!(names(&["**/hello"]).unwrap(), ["out/hello"]);
    assert!(matches!(names(&["out/*.exe"]), Err(SubjectError::NoMatch { .. })));
    assert!(matches!(names(&["../x"]), Err(SubjectError::Outside { .. })));
    assert!(matches!(
        names(&["/etc/passwd"]),
        Err(SubjectError::Outside { .. })
    ));
    assert!(matches!(names(&["out/[x"]), Err(SubjectError::Pattern { .. })));
    // A directory is not a subject.
    assert!(matches!(names(&["out"]), Err(SubjectError::NoMatch { .. })));
}

#[test]
fn failing_command_reports_its_exit_code() {
    let repo = fixture();
    let outcome = run(
        &["sh".into(), "-c".into(), "exit 3".into()],
        repo.path(),
        Vec::new(),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(outcome.exit_code(), 3);
    let outcome = run(
        &["sh".into(), "-c".into(), "kill -TERM $$".into()],
        repo.path(),
        Vec::new(),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(outcome.exit_code(), 143);
    assert!(run(&["/nonexistent/tool".into()], repo.path(), Vec::new(), Vec::new()).is_err());
}

#[test]
fn sboms_are_recorded_as_resolved_dependencies() {
    let repo = fixture();
    let dir = repo.path();
    std::fs::write(dir.join("deps.cdx.json"), br#"{"bomFormat":"CycloneDX"}"#).unwrap();
    let mut opts = options(dir, &[]);
    opts.sboms = vec![dir.join("deps.cdx.json")];
    let statement = build(dir, &opts);
    let deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let sbom = deps.iter().find(|d| d["name"] == "deps.cdx.json").unwrap();
    assert_eq!(sbom["mediaType"], "application/vnd.cyclonedx+json");
    assert_eq!(
        sbom["digest"]["sha256"],
        provenant_digest::Algorithm::Sha256
            .hash_bytes(br#"{"bomFormat":"CycloneDX"}"#)
            .hex()
    );
    let file = dir.join("statement.json");
    std::fs::write(&file, serde_json::to_vec(&statement).unwrap()).unwrap();
    validate(&file);
}
