//! The install manifests, validated against the Kubernetes schemas by kubernetes-validate.

use std::process::Command;

use provenant_admission::manifests::{self, Options};

fn options() -> Options {
    Options {
        namespace: "provenant-system".to_owned(),
        image: format!("registry.example/provenant@sha256:{}", "b".repeat(64)),
        ca_bundle: b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec(),
        ledger: Some("https://ledger.example".to_owned()),
        namespace_env: vec![("shop".to_owned(), "prod".to_owned())],
        default_env: None,
    }
}

#[test]
fn manifests_are_valid_against_the_kubernetes_schemas_in_strict_mode() {
    let tool = provenant_testkit::require_kubernetes_validate();
    let yaml = manifests::render(&options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifests.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out = Command::new(&tool)
        .args(["--strict", "--kubernetes-version", "1.33"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubernetes-validate refused the manifests:\n{stdout}\n{}\n{yaml}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Five documents, each reported valid.
    assert_eq!(stdout.matches("INFO").count(), 5, "{stdout}");
}

#[test]
fn a_manifest_broken_on_purpose_is_refused_by_the_validator() {
    // The oracle itself can fail: an unknown field under --strict.
    let tool = provenant_testkit::require_kubernetes_validate();
    let yaml = manifests::render(&options()).unwrap().replace(
        "failurePolicy: Fail",
        "failurePolicy: Fail\n  failurePolicyy: Fail",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out = Command::new(&tool)
        .args(["--strict", "--kubernetes-version", "1.33"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// The manifests' YAML stream, each document read.
fn yaml_documents() -> Vec<serde_json::Value> {
    let yaml = manifests::render(&options()).unwrap();
    yaml.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| yaml_serde::from_str(d).unwrap())
        .collect()
}

#[test]
fn the_webhook_fails_closed_excludes_its_namespace_and_covers_every_kind() {
    let docs = yaml_documents();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "Deployment",
            "Service",
            "ValidatingWebhookConfiguration"
        ]
    );
    let deployment = &docs[2];
    assert_eq!(deployment["spec"]["replicas"], 2);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["securityContext"]["runAsNonRoot"], true);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(container["resources"]["limits"]["memory"].is_string());
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"--namespace-env=shop=prod"), "{args:?}");
    let webhook = &docs[4]["webhooks"][0];
    assert_eq!(webhook["failurePolicy"], "Fail");
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(webhook["admissionReviewVersions"], serde_json::json!(["v1"]));
    assert!(webhook["timeoutSeconds"].as_i64().unwrap() <= 30);
    assert_eq!(
        webhook["namespaceSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["provenant-system"])
    );
    let resources: Vec<&str> = webhook["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resources"][0].as_str().unwrap())
        .collect();
    for r in [
        "pods",
        "replicationcontrollers",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "pods/ephemeralcontainers",
    ] {
        assert!(resources.contains(&r), "{r} missing from {resources:?}");
    }
}

#[test]
fn the_json_list_holds_the_same_objects_as_the_yaml_stream() {
    let docs = yaml_documents();
    let list = manifests::list(&options()).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"], serde_json::Value::Array(docs));
}
