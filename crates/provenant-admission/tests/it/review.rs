//! Reading `AdmissionReview` requests and listing their images.

use provenant_admission::review::{self, ContainerList, ReviewError, Workload};
use serde_json::json;

use crate::reviews::{every_kind, pod_spec, review};

#[test]
fn every_pod_template_kind_lists_every_container_list() {
    let spec = pod_spec(
        "registry.example/app@sha256:aa",
        "registry.example/init:1",
        Some("busybox"),
    );
    for (group, version, kind, resource, object) in every_kind(&spec) {
        let body = review(
            "u-1",
            "CREATE",
            "prod",
            (group, version, kind, resource),
            Some(object),
        );
        let request = review::parse_review(&body).unwrap();
        let Workload::Images { kind: k, images } = review::workload(&request).unwrap() else {
            panic!("{kind}: no images");
        };
        assert_eq!(k.name(), kind);
        let listed: Vec<_> = images
            .iter()
            .map(|i| (i.list, i.name.as_str(), i.image.as_deref().unwrap()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (ContainerList::Containers, "app", "registry.example/app@sha256:aa"),
                (ContainerList::InitContainers, "setup", "registry.example/init:1"),
                (ContainerList::EphemeralContainers, "debug", "busybox"),
            ],
            "{kind}"
        );
    }
}

#[test]
fn delete_and_objects_without_pod_specs_are_not_decided() {
    let body = review("u", "DELETE", "prod", ("", "v1", "Pod", "pods"), None);
    let request = review::parse_review(&body).unwrap();
    assert!(matches!(
        review::workload(&request).unwrap(),
        Workload::NotApplicable(_)
    ));
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}});
    let body = review(
        "u",
        "CREATE",
        "prod",
        ("", "v1", "ConfigMap", "configmaps"),
        Some(cm),
    );
    let request = review::parse_review(&body).unwrap();
    assert_eq!(
        review::workload(&request).unwrap(),
        Workload::NotApplicable("the object has no pod spec")
    );
}

#[test]
fn a_pod_kind_with_a_malformed_spec_is_an_object_error_naming_the_kind() {
    let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": "nope"}}}});
    let body = review(
        "u",
        "CREATE",
        "prod",
        ("apps", "v1", "Deployment", "deployments"),
        Some(bad),
    );
    let request = review::parse_review(&body).unwrap();
    let err = review::workload(&request).unwrap_err().to_string();
    assert!(err.starts_with("the Deployment's spec cannot be read"), "{err}");
    let body = review("u", "CREATE", "prod", ("", "v1", "Pod", "pods"), None);
    let request = review::parse_review(&body).unwrap();
    assert_eq!(
        review::workload(&request).unwrap_err().to_string(),
        "the request has no object to decide"
    );
}

#[test]
fn malformed_reviews_are_refused_with_what_is_wrong() {
    assert!(matches!(review::parse_review(b"{"), Err(ReviewError::Json(_))));
    assert!(matches!(review::parse_review(b"[]"), Err(ReviewError::Json(_))));
    let v1beta1 = br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":null}"#;
    assert!(matches!(
        review::parse_review(v1beta1),
        Err(ReviewError::Version { .. })
    ));
    let no_request = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#;
    assert!(matches!(
        review::parse_review(no_request),
        Err(ReviewError::NoRequest)
    ));
    let mut no_uid: serde_json::Value =
        serde_json::from_slice(&review("", "CREATE", "p", ("", "v1", "Pod", "pods"), None)).unwrap();
    no_uid["request"]["uid"] = json!("");
    assert!(matches!(
        review::parse_review(&serde_json::to_vec(&no_uid).unwrap()),
        Err(ReviewError::NoUid)
    ));
    let huge = vec![b' '; review::MAX_REVIEW_BYTES + 1];
    assert!(matches!(
        review::parse_review(&huge),
        Err(ReviewError::TooLarge { .. })
    ));
    // Deep nesting is refused by the JSON reader's depth limit, without exhausting the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        review::parse_review(deep.as_bytes()),
        Err(ReviewError::Json(_))
    ));
}

#[test]
fn the_response_echoes_the_uid_allowed_or_denied() {
    let body = review("9f7c-uid", "CREATE", "prod", ("", "v1", "Pod", "pods"), None);
    let request = review::parse_review(&body).unwrap();
    let allowed = serde_json::to_value(review::respond(&request, None)).unwrap();
    assert_eq!(allowed["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(allowed["kind"], "AdmissionReview");
    assert_eq!(allowed["response"]["uid"], "9f7c-uid");
    assert_eq!(allowed["response"]["allowed"], true);
    let denied = serde_json::to_value(review::respond(&request, Some("container app: no digest"))).unwrap();
    assert_eq!(denied["response"]["uid"], "9f7c-uid");
    assert_eq!(denied["response"]["allowed"], false);
    assert_eq!(
        denied["response"]["status"]["message"],
        "container app: no digest"
    );
    assert_eq!(denied["response"]["status"]["code"], 403);
}
