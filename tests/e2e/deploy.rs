//! Deployment records, rollback and release health end to end: real keys, a `SQLite` ledger, promotion
//! records signed and appended independently (`attest` + `ledger append`), `CDEvents` and notices received
//! by a loopback sink and validated against the 0.5.1 schemas, SLIs from a real Prometheus, and tamper
//! cases (a record signed by someone else, a promotion for another environment).

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

use provenant_testkit::cdevents::validate_cdevent;

use crate::support::{provenant, run, stderr, stdout};

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant().current_dir(dir).env("COSIGN_PASSWORD", "").args(args))
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

/// Keys for deployer, promoter and mallory, the roles file naming the first two, and a ledger.
fn setup(dir: &Path) {
    for who in ["deployer", "promoter", "mallory"] {
        let out = p(dir, &["keys", "generate", "--output-key-prefix", who]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    fs::write(
        dir.join("roles.yaml"),
        "roles:\n  deployer:\n    keys: [deployer.pub]\n  promoter:\n    keys: [promoter.pub]\n",
    )
    .unwrap();
    let out = p(dir, &crate::support::LEDGER_INIT);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A promotion record of `digest` into `env`, signed by `key` with `provenant attest` and appended.
pub(crate) fn promote(dir: &Path, digest: &str, env: &str, key: &str) {
    let predicate = serde_json::json!({
        "environment": env, "outcome": "promoted", "repository": "registry.example/shop/web",
        "reasons": [], "evidence": [], "timestamp": "2026-12-01T00:00:00Z",
    });
    let name = format!("promo-{env}-{}.json", &digest[7..15]);
    fs::write(dir.join("predicate.json"), predicate.to_string()).unwrap();
    let subject = format!("registry.example/shop/web@{digest}");
    let out = p(
        dir,
        &[
            "attest",
            &subject,
            "--predicate",
            "predicate.json",
            "--type",
            "https://provenant.dev/attestation/promotion/v1",
            "--key",
            key,
            "--bundle",
            &name,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p(
        dir,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            &name,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

fn deploy(dir: &Path, digest: &str, env: &str, key: &str, extra: &[&str]) -> std::process::Output {
    let image = format!("registry.example/shop/web@{digest}");
    let mut args = vec![
        "deploy",
        "record",
        &image,
        "--env",
        env,
        "--health",
        "pass",
        "--key",
        key,
        "--ledger",
        "sqlite:l.db",
        "--output",
        "json",
    ];
    if !extra.contains(&"--strategy") {
        args.extend_from_slice(&["--strategy", "rolling"]);
    }
    args.extend_from_slice(extra);
    p(dir, &args)
}

fn plan(dir: &Path, env: &str) -> std::process::Output {
    p(
        dir,
        &[
            "rollback",
            "plan",
            "--env",
            env,
            "--ledger",
            "sqlite:l.db",
            "--roles",
            "roles.yaml",
            "--output",
            "json",
        ],
    )
}

/// One request a sink received: its headers (names lower-cased) and body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// A loopback HTTP sink recording every request (headers lower-cased, body).
struct Sink {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    server: Arc<tiny_http::Server>,
}

impl Sink {
    fn start(status: u16) -> Sink {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (s, g) = (server.clone(), got.clone());
        std::thread::spawn(move || {
            for mut r in s.incoming_requests() {
                let mut body = Vec::new();
                let _ = r.as_reader().read_to_end(&mut body);
                let headers = r
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string().to_ascii_lowercase(), h.value.to_string()))
                    .collect();
                g.lock().unwrap().push((headers, body));
                let _ = r.respond(tiny_http::Response::from_string("ok").with_status_code(status));
            }
        });
        Sink { url, got, server }
    }

    fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn deploy_record_is_a_signed_ledger_entry_and_a_valid_service_deployed_event() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let sink = Sink::start(202);
    let a = digest('a');
    let out = deploy(
        t.path(),
        &a,
        "prod",
        "deployer.key",
        &[
            "--strategy",
            "canary",
            "--canary-percent",
            "10",
            "--smoke",
            "pass",
            "--cdevents-sink",
            &sink.url,
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    let index = report["ledgerIndex"].as_u64().unwrap();
    assert_eq!(report["event"]["status"], 202);
    // The ledger holds the signed bundle, indexed by environment and predicate type.
    let q = p(
        t.path(),
        &[
            "ledger",
            "query",
            "--ledger",
            "sqlite:l.db",
            "--env",
            "prod",
            "--type",
            "https://provenant.dev/attestation/deployment/v1",
            "--output",
            "json",
        ],
    );
    let entries = json_of(&q);
    assert_eq!(entries[0]["index"].as_u64(), Some(index));
    let predicate = &entries[0]["statement"]["predicate"];
    assert_eq!(predicate["strategy"], "canary");
    assert_eq!(predicate["canary_percent"], 10);
    assert_eq!(predicate["smoke"], "pass");
    // The event: binary content mode, valid against the 0.5.1 schema.
    let got = sink.requests();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(header(headers, "ce-specversion"), Some("1.0"));
    assert_eq!(
        header(headers, "ce-type"),
        Some("dev.cdevents.service.deployed.0.3.0")
    );
    assert_eq!(header(headers, "ce-id"), report["bundleDigest"].as_str());
    assert!(header(headers, "ce-time").is_some() && header(headers, "ce-source").is_some());
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    validate_cdevent("servicedeployed.json", &event).unwrap();
    assert_eq!(event["subject"]["content"]["environment"]["id"], "prod");
    assert!(
        event["subject"]["content"]["artifactId"]
            .as_str()
            .unwrap()
            .contains(&a[7..])
    );
}

#[test]
fn a_failing_sink_is_exit_2_after_the_record_is_written() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let sink = Sink::start(500);
    let out = deploy(
        t.path(),
        &digest('a'),
        "prod",
        "deployer.key",
        &["--cdevents-sink", &sink.url],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("recorded (ledger entry 0)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json_of(&out)["ledgerIndex"], 0);
}

#[test]
fn rollback_plan_names_current_and_previous_and_needs_an_exercised_path() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let (a, b) = (digest('a'), digest('b'));
    for env in ["staging", "prod"] {
        promote(t.path(), &a, env, "promoter.key");
        promote(t.path(), &b, env, "promoter.key");
    }
    assert!(deploy(t.path(), &a, "prod", "deployer.key", &[]).status.success());
    assert!(deploy(t.path(), &b, "prod", "deployer.key", &[]).status.success());
    let out = plan(t.path(), "prod");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["plan"]["current"]["digest"], b.as_str());
    assert_eq!(report["plan"]["previous"]["digest"], a.as_str());
    assert_eq!(report["plan"]["previous"]["admissible"], true);
    assert_eq!(report["plan"]["exercised"], false);
    // Rehearse the rollback in staging: the path is now exercised for prod.
    let out = p(
        t.path(),
        &[
            "rollback",
            "record",
            "--env",
            "staging",
            "--from",
            &b,
            "--to",
            &a,
            "--reason",
            "rehearsal",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
            "--roles",
            "roles.yaml",
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = plan(t.path(), "prod");
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["plan"]["exercisedBy"][0]["kind"], "same-pair");
    assert_eq!(report["plan"]["exercisedBy"][0]["environment"], "staging");
}

#[test]
fn a_deployment_record_signed_by_someone_else_is_not_believed() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let (a, b) = (digest('a'), digest('b'));
    assert!(deploy(t.path(), &a, "prod", "deployer.key", &[]).status.success());
    // Mallory records a deployment of b: it is in the ledger but must not become "current".
    assert!(deploy(t.path(), &b, "prod", "mallory.key", &[]).status.success());
    let report = json_of(&plan(t.path(), "prod"));
    assert_eq!(report["plan"]["current"]["digest"], a.as_str());
    let rejected = &report["plan"]["rejected"][0];
    assert_eq!(rejected["ledgerIndex"], 1, "{report}");
    assert!(
        rejected["reason"]
            .as_str()
            .unwrap()
            .contains("not signed by a holder of the role deployer"),
        "{report}"
    );
}

#[test]
fn rollback_record_refuses_a_target_promoted_only_into_another_environment() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let (a, c) = (digest('a'), digest('c'));
    promote(t.path(), &c, "staging", "promoter.key");
    // A promotion into prod signed by someone who does not hold the promoter role.
    promote(t.path(), &c, "prod", "mallory.key");
    let out = p(
        t.path(),
        &[
            "rollback",
            "record",
            "--env",
            "prod",
            "--from",
            &a,
            "--to",
            &c,
            "--reason",
            "incident",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
            "--roles",
            "roles.yaml",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["recorded"], false);
    let reason = report["reason"].as_str().unwrap();
    assert!(reason.contains("no verified promotion into prod"), "{reason}");
    assert!(reason.contains("not by a role allowed to promote"), "{reason}");
    // Nothing was appended: the ledger still holds only the two promotions.
    let q = json_of(&p(
        t.path(),
        &["ledger", "query", "--ledger", "sqlite:l.db", "--output", "json"],
    ));
    assert_eq!(q.as_array().unwrap().len(), 2);
}

#[test]
fn rollback_record_notifies_with_a_review_task_and_sends_service_rolledback() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let (a, b) = (digest('a'), digest('b'));
    promote(t.path(), &a, "prod", "promoter.key");
    let hook = Sink::start(200);
    let events = Sink::start(202);
    let out = run(provenant()
        .current_dir(t.path())
        .env("COSIGN_PASSWORD", "")
        .env("SOURCE_DATE_EPOCH", "1796774400")
        .args([
            "rollback",
            "record",
            "--env",
            "prod",
            "--from",
            &b,
            "--to",
            &a,
            "--reason",
            "error rate 4%",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
            "--roles",
            "roles.yaml",
            "--notify",
            &hook.url,
            "--review-owner",
            "sre-team",
            "--cdevents-sink",
            &events.url,
            "--output",
            "json",
        ]));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["ledgerIndex"], 1);
    let notice: serde_json::Value = serde_json::from_slice(&hook.requests()[0].1).unwrap();
    assert_eq!(notice["from"], b.as_str());
    assert_eq!(notice["to"], a.as_str());
    assert_eq!(notice["reason"], "error rate 4%");
    assert_eq!(notice["reviewTask"]["owner"], "sre-team");
    assert_eq!(
        notice["reviewTask"]["title"],
        "Post-incident review: rollback of prod"
    );
    // SOURCE_DATE_EPOCH 1796774400 is 2026-12-09; due five days later.
    assert_eq!(notice["reviewTask"]["due"], "2026-12-14");
    let (headers, body) = &events.requests()[0];
    assert_eq!(
        header(headers, "ce-type"),
        Some("dev.cdevents.service.rolledback.0.3.0")
    );
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    validate_cdevent("servicerolledback.json", &event).unwrap();
    assert_eq!(event["subject"]["id"], "registry.example/shop/web");
}

/// A loopback `/metrics` endpoint for Prometheus to scrape.
fn serve_metrics() -> (String, Arc<tiny_http::Server>) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let s = server.clone();
    std::thread::spawn(move || {
        for r in s.incoming_requests() {
            let body = "# TYPE shop_requests_total counter\nshop_requests_total{code=\"200\"} 99\nshop_requests_total{code=\"500\"} 1\n";
            let _ = r.respond(tiny_http::Response::from_string(body));
        }
    });
    (addr, server)
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn release_baseline_reads_slis_from_prometheus_and_complete_names_what_is_missing() {
    // The SLIs are read live from Prometheus at the record's time: this test runs on the clock, not
    // at the hermetic context's fixed SOURCE_DATE_EPOCH.
    let p = |dir: &Path, args: &[&str]| {
        run(provenant()
            .current_dir(dir)
            .env("COSIGN_PASSWORD", "")
            .env_remove("SOURCE_DATE_EPOCH")
            .args(args))
    };
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let a = digest('a');
    let image = format!("registry.example/shop/web@{a}");
    let (target, server) = serve_metrics();
    let prom = provenant_testkit::prometheus::start_prometheus(&[target]);
    let url = prom.base_url();
    let error_ratio = r#"error_ratio=sum(shop_requests_total{code="500"}) / sum(shop_requests_total)"#;
    let complete = |env: &str| {
        p(
            t.path(),
            &[
                "release",
                "complete",
                &image,
                "--env",
                env,
                "--ledger",
                "sqlite:l.db",
                "--roles",
                "roles.yaml",
                "--output",
                "json",
            ],
        )
    };
    // No baseline yet.
    let out = complete("prod");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json_of(&out)["missing"][0]
            .as_str()
            .unwrap()
            .contains("no verified release baseline")
    );
    // Wait until Prometheus has scraped for a few seconds, so that the window's start has samples.
    let mut ready = false;
    for _ in 0..60 {
        let o = p(
            t.path(),
            &[
                "release",
                "baseline",
                &image,
                "--env",
                "probe",
                "--prometheus",
                &url,
                "--query",
                error_ratio,
                "--window",
                "3s",
                "--key",
                "deployer.key",
                "--ledger",
                "sqlite:probe.db",
                "--output",
                "json",
            ],
        );
        if o.status.success() && json_of(&o)["slis"][0]["before"].is_number() {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(ready, "Prometheus never had samples");
    // One SLI measured, one whose metric does not exist: the release is not complete, naming it.
    let out = p(
        t.path(),
        &[
            "release",
            "baseline",
            &image,
            "--env",
            "prod",
            "--prometheus",
            &url,
            "--query",
            error_ratio,
            "--query",
            "queue_depth=sum(shop_queue_depth)",
            "--window",
            "3s",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["slis"][0]["name"], "error_ratio");
    assert!(
        (report["slis"][0]["before"].as_f64().unwrap() - 0.01).abs() < 1e-9,
        "{report}"
    );
    assert!(
        (report["slis"][0]["after"].as_f64().unwrap() - 0.01).abs() < 1e-9,
        "{report}"
    );
    assert!(report["slis"][1].get("before").is_none(), "{report}");
    let out = complete("prod");
    assert_eq!(out.status.code(), Some(1));
    let missing = json_of(&out)["missing"].to_string();
    assert!(
        missing.contains("SLI queue_depth: no before and no after value"),
        "{missing}"
    );
    // A complete baseline recorded in staging does not complete the release in prod.
    let out = p(
        t.path(),
        &[
            "release",
            "baseline",
            &image,
            "--env",
            "staging",
            "--prometheus",
            &url,
            "--query",
            error_ratio,
            "--window",
            "3s",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(complete("staging").status.code(), Some(0));
    assert_eq!(complete("prod").status.code(), Some(1));
    // A complete baseline in prod signed by someone else does not count either.
    let out = p(
        t.path(),
        &[
            "release",
            "baseline",
            &image,
            "--env",
            "prod",
            "--prometheus",
            &url,
            "--query",
            error_ratio,
            "--window",
            "3s",
            "--key",
            "mallory.key",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = complete("prod");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json_of(&out)["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("deployer")
    );
    // Signed by the deployer: complete.
    let out = p(
        t.path(),
        &[
            "release",
            "baseline",
            &image,
            "--env",
            "prod",
            "--prometheus",
            &url,
            "--query",
            error_ratio,
            "--window",
            "3s",
            "--key",
            "deployer.key",
            "--ledger",
            "sqlite:l.db",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = complete("prod");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    server.unblock();
}
