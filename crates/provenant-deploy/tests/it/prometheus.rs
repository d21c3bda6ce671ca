use provenant_deploy::http::Deadlines;
use provenant_deploy::prometheus::{QueryError, parse_query_response, query_at};

#[test]
fn a_single_sample_vector_is_its_value() {
    let body = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1435781451.781,"0.25"]}]}}"#;
    assert_eq!(parse_query_response(body).unwrap(), Some(0.25));
}

#[test]
fn a_scalar_is_its_value() {
    let body = br#"{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"3"]}}"#;
    assert_eq!(parse_query_response(body).unwrap(), Some(3.0));
}

#[test]
fn an_empty_vector_or_nan_is_missing_not_zero() {
    let empty = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    assert_eq!(parse_query_response(empty).unwrap(), None);
    let nan = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}"#;
    assert_eq!(parse_query_response(nan).unwrap(), None);
    let inf = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}"#;
    assert_eq!(parse_query_response(inf).unwrap(), None);
}

#[test]
fn several_series_are_an_error_naming_the_count() {
    let body = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#;
    assert!(matches!(
        parse_query_response(body),
        Err(QueryError::SeveralSeries { series: 2 })
    ));
}

#[test]
fn an_error_envelope_is_refused_with_its_message() {
    let body = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
    let err = parse_query_response(body).unwrap_err();
    assert!(err.to_string().contains("parse error"), "{err}");
}

#[test]
fn a_matrix_or_garbage_is_an_error() {
    let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    assert!(matches!(
        parse_query_response(matrix),
        Err(QueryError::NotANumber { .. })
    ));
    assert!(matches!(
        parse_query_response(b"<html>"),
        Err(QueryError::Malformed { .. })
    ));
    let bad = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"many"]}}"#;
    assert!(matches!(
        parse_query_response(bad),
        Err(QueryError::BadValue { .. })
    ));
}

/// A loopback `/metrics` endpoint for Prometheus to scrape.
fn serve_metrics() -> (
    String,
    std::thread::JoinHandle<()>,
    std::sync::Arc<tiny_http::Server>,
) {
    let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let s = server.clone();
    let thread = std::thread::spawn(move || {
        for request in s.incoming_requests() {
            let body = "# TYPE test_requests_total counter\ntest_requests_total{code=\"200\"} 41\ntest_requests_total{code=\"500\"} 1\n";
            let _ = request.respond(tiny_http::Response::from_string(body));
        }
    });
    (addr, thread, server)
}

#[test]
fn reads_an_sli_from_a_real_prometheus() {
    let (target, thread, server) = serve_metrics();
    let prom = provenant_testkit::prometheus::start_prometheus(&[target]);
    let query = r#"sum(test_requests_total{code="500"}) / sum(test_requests_total)"#;
    let mut value = None;
    for _ in 0..60 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        value = query_at(&prom.base_url(), query, now, Deadlines::default()).unwrap();
        if value.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(value, Some(1.0 / 42.0));
    // A query Prometheus cannot parse is refused, not read as missing.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let err = query_at(&prom.base_url(), "sum(", now, Deadlines::default()).unwrap_err();
    assert!(matches!(err, QueryError::Refused { .. }), "{err}");
    server.unblock();
    thread.join().unwrap();
}
