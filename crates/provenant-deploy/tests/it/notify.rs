use provenant_deploy::http::Deadlines;
use provenant_deploy::notify::{ReviewTask, RollbackNotice, due_date, send_notice};

use crate::sink::Sink;

#[test]
fn the_due_date_counts_calendar_days_in_utc() {
    assert_eq!(due_date("2026-12-30T23:59:59Z", 5).as_deref(), Some("2027-01-04"));
    assert_eq!(
        due_date("2028-02-27T00:00:00+00:00", 2).as_deref(),
        Some("2028-02-29")
    );
    assert_eq!(due_date("yesterday", 5), None);
}

#[test]
fn the_notice_names_both_digests_the_reason_and_the_review() {
    let sink = Sink::start(200, "ok");
    let task = ReviewTask {
        title: "Post-incident review".to_owned(),
        owner: "sre".to_owned(),
        due: "2026-12-11".to_owned(),
    };
    let notice = RollbackNotice::new("prod", "sha256:aa", "sha256:bb", "error rate", 7, task);
    send_notice(&sink.url, &notice, Deadlines::default()).unwrap();
    let got = sink.requests();
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["from"], "sha256:aa");
    assert_eq!(body["to"], "sha256:bb");
    assert_eq!(body["reason"], "error rate");
    assert_eq!(body["ledgerIndex"], 7);
    assert_eq!(body["reviewTask"]["owner"], "sre");
    assert_eq!(body["reviewTask"]["due"], "2026-12-11");
    assert!(body["text"].as_str().unwrap().contains("sha256:aa -> sha256:bb"));
}
