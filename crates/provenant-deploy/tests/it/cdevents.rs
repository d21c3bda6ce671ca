use provenant_deploy::cdevents::{Event, EventInput, SERVICE_DEPLOYED, SERVICE_ROLLEDBACK, oci_purl};
use provenant_deploy::http::{Deadlines, HttpError};
use provenant_deploy::sink::send_event;
use provenant_digest::Digest;
use provenant_testkit::cdevents::validate_cdevent;

use crate::sink::Sink;

fn digest() -> Digest {
    format!("sha256:{}", "ab".repeat(32)).parse().unwrap()
}

fn input(d: &Digest) -> EventInput<'_> {
    EventInput {
        source: "/provenant/deploy",
        id: "sha256:0123",
        environment: "prod",
        repository: "registry.example:5000/team/App",
        digest: d,
        timestamp: "2026-12-06T14:00:00Z",
    }
}

#[test]
fn service_deployed_is_valid_against_the_0_5_1_schema() {
    let d = digest();
    let event = Event::service_deployed(&input(&d));
    let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
    validate_cdevent("servicedeployed.json", &json).unwrap();
    assert_eq!(json["context"]["type"], SERVICE_DEPLOYED);
    assert_eq!(json["context"]["specversion"], "0.5.1");
    assert_eq!(json["subject"]["content"]["environment"]["id"], "prod");
}

#[test]
fn service_rolledback_is_valid_against_the_0_5_1_schema() {
    let d = digest();
    let event = Event::service_rolledback(&input(&d));
    let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
    validate_cdevent("servicerolledback.json", &json).unwrap();
    assert_eq!(json["context"]["type"], SERVICE_ROLLEDBACK);
}

#[test]
fn the_schema_refuses_a_deployed_event_typed_as_rolledback() {
    // The validator is not vacuous: the deployed schema pins its own type.
    let d = digest();
    let event = Event::service_rolledback(&input(&d));
    let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
    let err = validate_cdevent("servicedeployed.json", &json).unwrap_err();
    assert!(err.contains("/context/type"), "{err}");
}

#[test]
fn the_artifact_id_is_an_oci_purl_by_digest() {
    let purl = oci_purl("registry.example:5000/team/App", &digest());
    assert_eq!(
        purl,
        format!(
            "pkg:oci/app@sha256%3A{}?repository_url=registry.example%3A5000/team/App",
            "ab".repeat(32)
        )
    );
}

#[test]
fn events_are_sent_in_binary_content_mode() {
    let sink = Sink::start(202, "");
    let d = digest();
    let event = Event::service_deployed(&input(&d));
    let status = send_event(&format!("{}/events", sink.url), &event, Deadlines::default()).unwrap();
    assert_eq!(status, 202);
    let got = sink.requests();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "/events");
    assert_eq!(r.header("ce-specversion"), Some("1.0"));
    assert_eq!(r.header("ce-id"), Some("sha256:0123"));
    assert_eq!(r.header("ce-source"), Some("/provenant/deploy"));
    assert_eq!(r.header("ce-type"), Some(SERVICE_DEPLOYED));
    assert_eq!(r.header("ce-time"), Some("2026-12-06T14:00:00Z"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    validate_cdevent("servicedeployed.json", &body).unwrap();
}

#[test]
fn a_sink_answering_an_error_status_is_an_error() {
    let sink = Sink::start(500, "no");
    let d = digest();
    let err = send_event(
        &sink.url,
        &Event::service_deployed(&input(&d)),
        Deadlines::default(),
    )
    .unwrap_err();
    assert!(matches!(err, HttpError::Status { status: 500, .. }), "{err}");
}

#[test]
fn a_sink_that_never_answers_times_out() {
    // Accepts the connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let d = digest();
    let deadlines = Deadlines {
        connect: std::time::Duration::from_secs(1),
        total: std::time::Duration::from_secs(1),
    };
    let err = send_event(&url, &Event::service_deployed(&input(&d)), deadlines).unwrap_err();
    assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
    drop(listener);
}

#[test]
fn a_sink_url_without_http_is_refused() {
    let d = digest();
    let err = send_event(
        "file:///etc/passwd",
        &Event::service_deployed(&input(&d)),
        Deadlines::default(),
    )
    .unwrap_err();
    assert!(matches!(err, HttpError::Scheme { .. }), "{err}");
}
