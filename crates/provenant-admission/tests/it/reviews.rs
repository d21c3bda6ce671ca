//! `AdmissionReview` request bodies for every kind the webhook decides (shared by the tests).

use serde_json::{Value, json};

/// A pod spec with one container of each list.
pub(crate) fn pod_spec(app: &str, init: &str, ephemeral: Option<&str>) -> Value {
    let mut spec = json!({
        "containers": [{"name": "app", "image": app}],
        "initContainers": [{"name": "setup", "image": init}],
    });
    if let Some(e) = ephemeral {
        spec["ephemeralContainers"] = json!([{"name": "debug", "image": e}]);
    }
    spec
}

/// The template wrapper of a pod spec.
fn template(spec: Value) -> Value {
    json!({"metadata": {"labels": {"app": "x"}}, "spec": spec})
}

/// (group, version, kind, resource, object) for every kind, each carrying `spec`.
pub(crate) fn every_kind(
    spec: &Value,
) -> Vec<(&'static str, &'static str, &'static str, &'static str, Value)> {
    let selector = json!({"matchLabels": {"app": "x"}});
    let t = template(spec.clone());
    vec![
        (
            "",
            "v1",
            "Pod",
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}),
        ),
        (
            "",
            "v1",
            "ReplicationController",
            "replicationcontrollers",
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"}, "spec": {"selector": {"app": "x"}, "template": t}}),
        ),
        (
            "apps",
            "v1",
            "Deployment",
            "deployments",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"selector": selector, "template": t}}),
        ),
        (
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"}, "spec": {"selector": selector, "template": t}}),
        ),
        (
            "apps",
            "v1",
            "StatefulSet",
            "statefulsets",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss"}, "spec": {"selector": selector, "serviceName": "ss", "template": t}}),
        ),
        (
            "apps",
            "v1",
            "DaemonSet",
            "daemonsets",
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"}, "spec": {"selector": selector, "template": t}}),
        ),
        (
            "batch",
            "v1",
            "Job",
            "jobs",
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": t}}),
        ),
        (
            "batch",
            "v1",
            "CronJob",
            "cronjobs",
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": t}}}}),
        ),
    ]
}

/// An `AdmissionReview` request body.
pub(crate) fn review(
    uid: &str,
    operation: &str,
    namespace: &str,
    (group, version, kind, resource): (&str, &str, &str, &str),
    object: Option<Value>,
) -> Vec<u8> {
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": resource});
    let body = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": "x",
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": null,
            "dryRun": false
        }
    });
    serde_json::to_vec(&body).unwrap()
}
