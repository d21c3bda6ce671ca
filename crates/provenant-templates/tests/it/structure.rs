//! Every generated pipeline, parsed: the eight stage jobs in order, each needing the previous one, the
//! promotion jobs needing the gate job, nothing that lets a gate job fail open, and each workload's
//! specifics.

use provenant_templates::{Ci, STAGES, Workload, params, render};
use serde_json::Value;

fn pipeline(w: Workload, ci: Ci) -> (String, Value) {
    let values = params::resolve(w, ci, &[]).unwrap();
    let files = render(w, ci, &values).unwrap();
    let path = provenant_templates::pipeline_path(w, ci);
    let text = files.into_iter().find(|f| f.path == path).unwrap().content;
    let doc: Value = yaml_serde::from_str(&text).unwrap();
    (text, doc)
}

fn jobs(ci: Ci, doc: &Value) -> serde_json::Map<String, Value> {
    match ci {
        Ci::Github => doc["jobs"].as_object().unwrap().clone(),
        Ci::Gitlab => doc
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| !k.starts_with('.') && v.get("script").is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => unreachable!(),
    }
}

fn needs(job: &Value) -> Vec<String> {
    job.get("needs")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The shell run by a job: GitHub `run:` steps, GitLab `script:` items.
fn scripts(ci: Ci, job: &Value) -> Vec<String> {
    match ci {
        Ci::Github => job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.get("run").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        _ => job["script"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect(),
    }
}

/// Every key anywhere in the document.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn stages_run_in_order_each_needing_the_previous() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let (_, doc) = pipeline(w, ci);
            let jobs = jobs(ci, &doc);
            let mut names: Vec<&str> = jobs.keys().map(String::as_str).collect();
            names.sort_by_key(|n| STAGES.iter().position(|s| s == n));
            assert_eq!(names, STAGES, "{w} {ci}: the jobs are the eight stages");
            for (i, stage) in STAGES.iter().enumerate() {
                let n = needs(&jobs[*stage]);
                if i == 0 {
                    assert!(n.is_empty(), "{w} {ci}: source needs nothing, got {n:?}");
                    continue;
                }
                assert!(
                    n.contains(&STAGES[i - 1].to_owned()),
                    "{w} {ci}: {stage} needs {} (got {n:?})",
                    STAGES[i - 1]
                );
                for dep in &n {
                    let at = STAGES.iter().position(|s| s == dep).unwrap();
                    assert!(at < i, "{w} {ci}: {stage} needs the later stage {dep}");
                }
            }
            for promotion in ["promote", "approve"] {
                assert!(
                    needs(&jobs[promotion]).contains(&"quality-security".to_owned()),
                    "{w} {ci}: {promotion} needs the gate job"
                );
            }
            if ci == Ci::Gitlab {
                let stages: Vec<&str> = doc["stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                assert_eq!(stages, STAGES, "{w}: GitLab stages in order");
                for stage in STAGES {
                    assert_eq!(jobs[stage]["stage"], stage, "{w}: job {stage}'s stage");
                }
            }
        }
    }
}

#[test]
fn no_gate_job_can_fail_open() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let (text, doc) = pipeline(w, ci);
            let mut all = Vec::new();
            keys(&doc, &mut all);
            for forbidden in ["continue-on-error", "allow_failure"] {
                assert!(
                    !all.iter().any(|k| k == forbidden),
                    "{w} {ci}: {forbidden} present"
                );
                assert!(!text.contains(forbidden), "{w} {ci}: {forbidden} in the text");
            }
            let jobs = jobs(ci, &doc);
            for (name, job) in &jobs {
                if ci == Ci::Github {
                    assert!(job.get("if").is_none(), "{w} {ci}: job {name} is conditional");
                    for step in job["steps"].as_array().unwrap() {
                        if step.get("run").is_some() {
                            assert!(
                                step.get("if").is_none(),
                                "{w}: a run step of {name} is conditional"
                            );
                        }
                    }
                } else {
                    assert!(
                        job.get("rules").is_none() && job.get("when").is_none(),
                        "{w}: {name} conditional"
                    );
                }
                for script in scripts(ci, job) {
                    assert!(
                        script.starts_with("set -euo pipefail\n"),
                        "{w} {ci}: a script of {name} does not stop at the first failure:\n{script}"
                    );
                    for bad in ["|| true", "set +e", "|| :", "exit 0"] {
                        assert!(
                            !script.contains(bad),
                            "{w} {ci}: {name} masks failures with `{bad}`"
                        );
                    }
                }
            }
            // The gate itself: its exit status is the job's, never masked. It is kept in `gate` while the
            // decision, whatever it is, goes to the ledger, and the script ends with it.
            let gate = scripts(ci, &jobs["quality-security"]).join("\n");
            assert!(
                gate.trim_end().ends_with("\nexit \"$gate\""),
                "{w} {ci}: the gate job does not end with the gate's status:\n{gate}"
            );
            let at = gate
                .find("provenant gate evaluate")
                .unwrap_or_else(|| panic!("{w} {ci}: no gate"));
            let command: String = gate[at..]
                .lines()
                .scan(true, |more, line| {
                    let take = *more;
                    *more = line.ends_with('\\');
                    take.then(|| line.to_owned())
                })
                .collect::<Vec<_>>()
                .join("\n");
            let command = command.strip_suffix(" || gate=$?").unwrap_or_else(|| {
                panic!("{w} {ci}: the gate's status is not kept for the end of the job: {command}")
            });
            assert!(
                !command.contains("||") && !command.contains("&&"),
                "{w} {ci}: {command}"
            );
            assert!(
                command.contains("--policy \"$POLICY_DIR/gate-policy.yaml\""),
                "{command}"
            );
        }
    }
}

fn stage_script(w: Workload, ci: Ci, stage: &str) -> String {
    let (_, doc) = pipeline(w, ci);
    scripts(ci, &jobs(ci, &doc)[stage]).join("\n")
}

/// Position of `needle` in `haystack`, failing the test when absent.
fn at(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` missing from:\n{haystack}"))
}

#[test]
fn every_stage_goes_through_provenant() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            for (stage, command) in [
                ("source", "provenant source check --range"),
                ("build", "provenant scan pinning"),
                ("build", "provenant build --subject"),
                ("quality-security", "provenant gate evaluate"),
                ("package", "--bundle \"$EVIDENCE/package/sbom.bundle.json\""),
                ("promote", "--env test --environments"),
                ("promote", "--env uat --environments"),
                (
                    "approve",
                    "--env prod --environments \"$POLICY_DIR/environments.yaml\" --wait",
                ),
                ("deploy", "provenant deploy record"),
                ("observe", "provenant release baseline"),
            ] {
                at(&stage_script(w, ci, stage), command);
            }
            let deploy = stage_script(w, ci, "deploy");
            for check in ["--health \"$health\"", "--smoke \"$smoke\"", "--strategy"] {
                at(&deploy, check);
            }
        }
    }
}

#[test]
fn workload_specifics() {
    for ci in Ci::ALL {
        // Container: the image is built and scanned before the gate, and the pushed image is the scanned one.
        let q = stage_script(Workload::Container, ci, "quality-security");
        assert!(at(&q, "oci image") < at(&q, "trivy image"));
        assert!(at(&q, "trivy image") < at(&q, "provenant gate evaluate"));
        at(
            &stage_script(Workload::Container, ci, "package"),
            "is not the image the gate passed",
        );
        // Serverless: a function bundle; verify-deploy before publishing.
        let d = stage_script(Workload::Serverless, ci, "deploy");
        assert!(at(&d, "provenant verify-deploy \"$ref\" --env prod") < at(&d, "./ci/deploy.sh"));
        at(
            &stage_script(Workload::Serverless, ci, "package"),
            "function.bundle",
        );
        // Mobile: provenance for the unsigned app; app signing a separate step, before the sigstore signature.
        let b = stage_script(Workload::Mobile, ci, "build");
        at(&b, "--subject 'dist/app-release-unsigned.apk'");
        assert!(!b.contains("sign-app"));
        // The app signed for the store is what ships, so it is the gate's candidate.
        let q = stage_script(Workload::Mobile, ci, "quality-security");
        assert!(at(&q, "./ci/sign-app.sh") < at(&q, "oci push"));
        assert!(at(&q, "oci push") < at(&q, "provenant gate evaluate"));
        let p = stage_script(Workload::Mobile, ci, "package");
        assert!(!p.contains("sign-app"));
        at(&p, "provenant sign \"$app\"");
        // Infra: fmt/validate as lint, the plan file as evidence, the policy check on the plan.
        let b = stage_script(Workload::Infra, ci, "build");
        at(&b, "fmt -check");
        at(&b, "validate");
        let q = stage_script(Workload::Infra, ci, "quality-security");
        assert!(at(&q, "plan -input=false") < at(&q, "show -json"));
        assert!(at(&q, "show -json") < at(&q, "trivy config"));
        at(
            &stage_script(Workload::Infra, ci, "package"),
            "terraform.plan.v1+json",
        );
        // Data: the data-contract tests are the test gate.
        let q = stage_script(Workload::Data, ci, "quality-security");
        assert!(at(&q, "./ci/data-contract-tests.sh") < at(&q, "provenant gate evaluate"));
    }
}

#[test]
fn approval_and_deployment_run_in_the_protected_environment() {
    let (_, doc) = pipeline(Workload::Container, Ci::Github);
    assert_eq!(doc["jobs"]["approve"]["environment"], "prod");
    assert_eq!(doc["jobs"]["deploy"]["environment"], "prod");
    let (_, doc) = pipeline(Workload::Container, Ci::Gitlab);
    assert_eq!(doc["approve"]["environment"]["name"], "prod");
    assert_eq!(doc["deploy"]["environment"]["name"], "prod");
}

#[test]
fn every_workload_enters_dev_through_a_governed_promotion() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            // The gate judges the candidate by digest; packaging pushes the same digest with signed
            // packaging provenance into a staging layout, refuses another digest, records the provenance
            // and promotes into dev, which checks it. Nothing is pushed into dev directly.
            let q = stage_script(w, ci, "quality-security");
            at(&q, "--subject \"oci:$EVIDENCE/");
            let p = stage_script(w, ci, "package");
            let push = if w == Workload::Container {
                "oci image"
            } else {
                "oci push"
            };
            assert!(
                at(&p, push)
                    < at(
                        &p,
                        "--provenance-bundle \"$EVIDENCE/package/packaging.bundle.json\""
                    )
            );
            assert!(
                at(&p, "is not the")
                    < at(
                        &p,
                        "provenant ledger append \"$EVIDENCE/package/packaging.bundle.json\""
                    )
            );
            assert!(
                at(&p, "provenant ledger append")
                    < at(
                        &p,
                        "provenant promote \"$staging@$digest\" --env dev --environments"
                    )
            );
            assert!(
                !p.contains("$REGISTRY/dev"),
                "{w:?} pushes into dev directly:\n{p}"
            );
            // The decision goes to the ledger whatever it is, then the step ends as the gate did.
            assert!(
                at(&q, "|| gate=$?")
                    < at(
                        &q,
                        "provenant ledger append \"$EVIDENCE/gate/decision.bundle.json\""
                    )
            );
            assert!(at(&q, "provenant ledger append") < at(&q, "exit \"$gate\""));
        }
    }
}
