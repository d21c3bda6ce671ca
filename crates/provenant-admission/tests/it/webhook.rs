//! The webhook over HTTPS: `AdmissionReview` requests for every kind against a real ledger.

use crate::decision::decider;
use crate::fixture::{Fixture, image};
use crate::reviews::{every_kind, pod_spec, review};
use crate::tls;

#[test]
fn every_kind_is_allowed_when_every_image_was_promoted_and_denied_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    for n in [1, 2, 3] {
        fx.promote(n, "prod");
    }
    let hook = tls::start(decider(&fx));
    let good = pod_spec(&image(1), &image(2), Some(&image(3)));
    for (i, (group, version, kind, resource, object)) in every_kind(&good).into_iter().enumerate() {
        let uid = format!("uid-allow-{i}");
        let body = review(
            &uid,
            "CREATE",
            "shop",
            (group, version, kind, resource),
            Some(object),
        );
        let (allowed, message, echoed) = hook.review(&body);
        assert!(allowed, "{kind}: {message}");
        assert_eq!(echoed, uid);
    }
    // The ephemeral container's image was not promoted into prod (4 never was).
    let bad = pod_spec(&image(1), &image(2), Some(&image(4)));
    for (i, (group, version, kind, resource, object)) in every_kind(&bad).into_iter().enumerate() {
        let uid = format!("uid-deny-{i}");
        let body = review(
            &uid,
            "UPDATE",
            "shop",
            (group, version, kind, resource),
            Some(object),
        );
        let (allowed, message, echoed) = hook.review(&body);
        assert!(!allowed, "{kind}");
        assert_eq!(echoed, uid);
        assert!(
            message.contains(&format!(
                "ephemeralContainers debug: digest sha256:{:064x} of image {}",
                4,
                image(4)
            )),
            "{kind}: {message}"
        );
    }
    // An init container by tag.
    let tagged = pod_spec(&image(1), "registry.example/init:1", None);
    let (group, version, kind, resource, object) = every_kind(&tagged).remove(2);
    let (allowed, message, _) = hook.review(&review(
        "uid-tag",
        "CREATE",
        "shop",
        (group, version, kind, resource),
        Some(object),
    ));
    assert!(!allowed);
    assert!(
        message.contains("initContainers setup: image registry.example/init:1 names no digest"),
        "{message}"
    );
}

#[test]
fn delete_no_pod_spec_malformed_and_the_service_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let hook = tls::start(decider(&fx));
    let (allowed, _, uid) = hook.review(&review(
        "uid-del",
        "DELETE",
        "shop",
        ("apps", "v1", "Deployment", "deployments"),
        None,
    ));
    assert!(allowed);
    assert_eq!(uid, "uid-del");
    let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let (allowed, _, _) = hook.review(&review(
        "uid-cm",
        "CREATE",
        "nowhere",
        ("", "v1", "ConfigMap", "configmaps"),
        Some(cm),
    ));
    assert!(allowed);
    let (status, body) =
        hook.validate(b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}");
    assert_eq!(status, 400);
    assert_eq!(
        String::from_utf8_lossy(&body),
        "the AdmissionReview has no request\n"
    );
    let (status, _) = hook.validate(b"not json");
    assert_eq!(status, 400);
    // A body above the limit is refused before it is read whole.
    let (status, _) = hook.validate(&vec![b' '; provenant_admission::review::MAX_REVIEW_BYTES + 1]);
    assert_eq!(status, 413);
    assert_eq!(hook.get("/healthz"), (200, "ok\n".to_owned()));
    let (status, ready) = hook.get("/readyz");
    assert_eq!(status, 200, "{ready}");
    // Two decisions of the same image: one lookup, one cache hit.
    let spec = pod_spec(&image(1), &image(1), None);
    let (g, v, k, r, object) = every_kind(&spec).remove(0);
    assert!(
        hook.review(&review("uid-a", "CREATE", "shop", (g, v, k, r), Some(object)))
            .0
    );
    let (_, metrics) = hook.get("/metrics");
    assert!(
        metrics.contains("provenant_admission_requests_total{decision=\"allowed\",reason=\"promoted\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "provenant_admission_requests_total{decision=\"allowed\",reason=\"not-applicable\"} 2\n"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "provenant_admission_requests_total{decision=\"invalid\",reason=\"malformed-request\"} 2\n"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("provenant_admission_request_duration_seconds_count 5\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("provenant_admission_cache_hits_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("provenant_admission_cache_misses_total 1\n"),
        "{metrics}"
    );
}

#[test]
fn killing_the_ledger_mid_test_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let hook = tls::start(decider(&fx));
    let spec = pod_spec(&image(1), &image(1), None);
    let (g, v, k, r, object) = every_kind(&spec).remove(0);
    let body = review("uid-1", "CREATE", "shop", (g, v, k, r), Some(object));
    assert!(hook.review(&body).0);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", fx.ledger.display()));
    }
    std::thread::sleep(provenant_admission::cache::SIZE_INTERVAL + std::time::Duration::from_millis(200));
    let (allowed, message, uid) = hook.review(&body);
    assert!(!allowed);
    assert_eq!(uid, "uid-1");
    assert!(
        message.contains("cannot be decided, so it is denied: the ledger cannot be read"),
        "{message}"
    );
    let (status, ready) = hook.get("/readyz");
    assert_eq!(status, 503, "{ready}");
    let (_, metrics) = hook.get("/metrics");
    assert!(
        metrics.contains(
            "provenant_admission_requests_total{decision=\"denied\",reason=\"ledger-unavailable\"} 1\n"
        ),
        "{metrics}"
    );
}
