//! Deploy admission end to end: a promotion record signed with `provenant attest` and appended to an
//! `SQLite` ledger as its bundle, then `provenant verify-deploy` (exit 0 or 1 with the reasons), and
//! `provenant admission manifests` checked by kubernetes-validate --strict.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{ok_in as ok, provenant, provenant_in as p, run, stderr, stdout};

const PROMOTION: &str = "https://provenant.dev/attestation/promotion/v1";

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// A P-256 key pair from openssl: `NAME.key` (PKCS#8) and `NAME.pub` (SPKI).
fn keypair(dir: &Path, name: &str) {
    let key = dir.join(format!("{name}.key"));
    let o = run(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(dir.join(format!("{name}.pub"))));
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Signs a promotion record of `subject` into `env` with `key`: the bundle's file name.
fn sign_promotion(dir: &Path, subject: &str, env: &str, outcome: &str, key: &str) -> String {
    let predicate = serde_json::json!({
        "environment": env,
        "outcome": outcome,
        "repository": format!("registry.example/{env}/shop"),
        "reasons": if outcome == "refused" {
            serde_json::json!([{"requirement": "approval", "message": "missing approval by release-manager"}])
        } else {
            serde_json::json!([])
        },
        "evidence": [],
        "timestamp": "2026-12-06T12:00:00Z",
    });
    let name = format!("{}-{env}-{outcome}-{key}", &subject[7..15]);
    fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_vec(&predicate).unwrap(),
    )
    .unwrap();
    ok(
        dir,
        &[
            "attest",
            &format!("registry.example/shop@{subject}"),
            "--predicate",
            &format!("{name}.json"),
            "--type",
            PROMOTION,
            "--key",
            &format!("{key}.key"),
            "--bundle",
            &format!("{name}.bundle.json"),
        ],
    );
    format!("{name}.bundle.json")
}

/// Signs a promotion record of `subject` into `env` with `key` and appends its bundle to the ledger.
fn record(dir: &Path, subject: &str, env: &str, outcome: &str, key: &str) {
    let bundle = sign_promotion(dir, subject, env, outcome, key);
    ok(
        dir,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:ledger.db",
            "--note-key",
            "note.key",
            &bundle,
        ],
    );
}

fn setup(dir: &Path) {
    keypair(dir, "promoter");
    keypair(dir, "stranger");
    fs::write(
        dir.join("roles.yaml"),
        "roles:\n  promoter:\n    keys: [promoter.pub]\n",
    )
    .unwrap();
    fs::write(
        dir.join("environments.yaml"),
        "version: 1\nroles: roles.yaml\nenvironments:\n\
         - name: dev\n  repository: registry.example/dev/shop\n  promote_roles: [promoter]\n  trigger: on-commit\n  requires:\n    provenance: {role: promoter}\n\
         - name: prod\n  repository: registry.example/prod/shop\n  promote_roles: [promoter]\n  trigger: on-approval\n  requires:\n    gate_decision: {role: promoter}\n",
    )
    .unwrap();
    ok(
        dir,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:ledger.db",
            "--origin",
            "example.com/e2e",
            "--output-key-prefix",
            "note",
        ],
    );
}

fn verify_deploy(dir: &Path, image: &str, env: &str) -> (Option<i32>, serde_json::Value) {
    let o = p(
        dir,
        &[
            "verify-deploy",
            image,
            "--env",
            env,
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    let doc =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (o.status.code(), doc)
}

#[test]
fn verify_deploy_admits_only_digests_promoted_into_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let (promoted, refused, forged) = (digest('a'), digest('b'), digest('c'));
    record(d, &promoted, "prod", "promoted", "promoter");
    record(d, &refused, "prod", "refused", "promoter");
    record(d, &forged, "prod", "promoted", "stranger");

    let (code, doc) = verify_deploy(d, &format!("registry.example/shop@{promoted}"), "prod");
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["admitted"], true);
    assert_eq!(doc["reason"], "promoted");

    let (code, doc) = verify_deploy(d, &format!("registry.example/shop@{promoted}"), "dev");
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["reason"], "not-promoted");

    let (code, doc) = verify_deploy(d, &format!("registry.example/shop@{refused}"), "prod");
    assert_eq!(code, Some(1));
    assert!(
        doc["message"]
            .as_str()
            .unwrap()
            .contains("missing approval by release-manager"),
        "{doc}"
    );

    let (code, doc) = verify_deploy(d, &format!("registry.example/shop@{forged}"), "prod");
    assert_eq!(code, Some(1));
    assert!(
        doc["message"]
            .as_str()
            .unwrap()
            .contains("its signature is not by a role allowed to promote"),
        "{doc}"
    );

    let (code, doc) = verify_deploy(d, "registry.example/shop:1.0", "prod");
    assert_eq!(code, Some(1));
    assert_eq!(doc["reason"], "tag");

    // Text output names the reason too.
    let o = p(
        d,
        &[
            "verify-deploy",
            &format!("registry.example/shop@{refused}"),
            "--env",
            "prod",
            "--ledger",
            "sqlite:ledger.db",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("refused: digest "), "{}", stdout(&o));
    crate::support::assert_no_debug_values(&o, "verify-deploy");
}

#[test]
fn verify_deploy_never_creates_a_missing_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = p(
        d,
        &[
            "verify-deploy",
            &format!("registry.example/shop@{}", digest('a')),
            "--env",
            "prod",
            "--ledger",
            "sqlite:absent.db",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("the ledger absent.db does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("absent.db").exists());
}

#[test]
fn admission_manifests_validate_against_the_kubernetes_schemas() {
    let tool = provenant_testkit::require_kubernetes_validate();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=ca",
        ])
        .args(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"])
        .current_dir(d));
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = ok(
        d,
        &[
            "admission",
            "manifests",
            "--namespace",
            "provenant-system",
            "--image",
            &format!("registry.example/provenant@{}", digest('f')),
            "--ca-bundle",
            "ca.pem",
            "--namespace-env",
            "shop=prod",
        ],
    );
    fs::write(d.join("admission.yaml"), &yaml).unwrap();
    let o = run(Command::new(tool)
        .args(["--strict", "--kubernetes-version", "1.33", "admission.yaml"])
        .current_dir(d));
    assert!(o.status.success(), "{}{}\n{yaml}", stdout(&o), stderr(&o));
    // By tag is refused.
    let o = p(
        d,
        &[
            "admission",
            "manifests",
            "--namespace",
            "x",
            "--image",
            "registry.example/provenant:1",
            "--ca-bundle",
            "ca.pem",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("names no digest"), "{}", stderr(&o));
}

/// `--output json`: the objects of the YAML stream, in the same order, as one v1 List.
#[test]
fn admission_manifests_honour_output_json_with_a_list_of_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("ca.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let image = format!("registry.example/provenant@{}", digest('f'));
    let args = [
        "admission",
        "manifests",
        "--namespace",
        "provenant-system",
        "--image",
        &image,
        "--ca-bundle",
        "ca.pem",
        "--namespace-env",
        "shop=prod",
    ];
    let yaml = ok(d, &args);
    let docs: Vec<serde_json::Value> = yaml
        .split("---\n")
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| yaml_serde::from_str(doc).unwrap())
        .collect();
    assert_eq!(docs.len(), 5);
    let list: serde_json::Value =
        serde_json::from_str(&ok(d, &[&args[..], &["--output", "json"]].concat())).unwrap();
    assert_eq!(
        list,
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": docs})
    );
}

// ---------------------------------------------------------------------------------------------------
// The webhook itself (`admission serve`) over TLS: against a ledger served over HTTP, and scraped by a
// real Prometheus.

const LEDGER_WRITER: &str = "e2e-admission-writer-7f3a";
const LEDGER_AUDITOR: &str = "e2e-admission-auditor-91c2";

/// A child process killed and reaped when dropped.
pub(crate) struct Child(std::process::Child);

impl Child {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A self-signed serving certificate for 127.0.0.1 (`tls.crt`, also the CA clients trust) and its key.
pub(crate) fn serving_certificate(dir: &Path) {
    let o = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .args(["-keyout", "tls.key", "-out", "tls.crt", "-days", "2"])
        .current_dir(dir));
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `curl` over TLS to the webhook, trusting only `tls.crt`: (HTTP status, body).
fn https(dir: &Path, port: u16, path: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.current_dir(dir).args([
        "-sS",
        "--max-time",
        "20",
        "--cacert",
        "tls.crt",
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(body) = body {
        fs::write(dir.join("review.json"), body).unwrap();
        cmd.args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@review.json",
        ]);
    }
    cmd.arg(format!("https://127.0.0.1:{port}{path}"));
    let o = run(&mut cmd);
    assert!(o.status.success(), "curl {path}: {}", stderr(&o));
    let text = stdout(&o);
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_owned())
}

/// A Pod in namespace `shop` running `image`, as an `AdmissionReview` request.
fn pod_review(uid: &str, image: &str) -> String {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "e2e"},
            "object": {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "app", "image": image}]}
            },
            "oldObject": null
        }
    })
    .to_string()
}

/// Sends a Pod running `image` to the webhook: its `response` (uid echoed, HTTP 200).
fn admit(dir: &Path, port: u16, uid: &str, image: &str) -> serde_json::Value {
    let (code, body) = https(dir, port, "/validate", Some(&pod_review(uid, image)));
    assert_eq!(code, 200, "{body}");
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    let response = review["response"].clone();
    assert_eq!(response["uid"], uid, "{review}");
    response
}

/// Starts `admission serve` over TLS (`tls.crt`, `tls.key`) mapping namespace `shop` to `prod`, with
/// `ledger` arguments and `env` variables; waits until it answers `/healthz`.
fn webhook(dir: &Path, ledger: &[&str], env: &[(&str, &str)]) -> (Child, u16) {
    let port = provenant_testkit::free_port();
    let mut cmd = provenant();
    cmd.current_dir(dir)
        .env_remove("PROVENANT_LEDGER")
        .env_remove("PROVENANT_LEDGER_TOKEN")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .args(["admission", "serve", "--environments", "environments.yaml"])
        .args(ledger)
        .args([
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
            "--namespace-env",
            "shop=prod",
        ])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join(format!("webhook-{port}.log"))).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = Child(cmd.spawn().unwrap());
    assert!(
        provenant_testkit::wait_for_port(port, std::time::Duration::from_secs(30)),
        "the webhook did not listen on {port}: {}",
        fs::read_to_string(dir.join(format!("webhook-{port}.log"))).unwrap_or_default()
    );
    assert_eq!(https(dir, port, "/healthz", None).0, 200);
    (child, port)
}

fn sha256_hex(dir: &Path, text: &str) -> String {
    let f = dir.join("token-to-hash");
    fs::write(&f, text).unwrap();
    let o = run(Command::new("sha256sum").arg(&f));
    fs::remove_file(&f).unwrap();
    stdout(&o).split_whitespace().next().unwrap().to_owned()
}

/// `ledger serve` over `ledger.db` on a free loopback port, with a writer and an auditor token.
fn ledger_server(dir: &Path) -> (Child, u16) {
    fs::write(
        dir.join("tokens.yaml"),
        format!(
            "tokens:\n  - {{name: ci, role: writer, sha256: {}}}\n  - {{name: webhook, role: auditor, sha256: {}}}\n",
            sha256_hex(dir, LEDGER_WRITER),
            sha256_hex(dir, LEDGER_AUDITOR)
        ),
    )
    .unwrap();
    let port = provenant_testkit::free_port();
    let child = Child(
        provenant()
            .current_dir(dir)
            .env_remove("PROVENANT_LEDGER_NOTE_KEY")
            .args([
                "ledger",
                "serve",
                "--ledger",
                "sqlite:ledger.db",
                "--note-key",
                "note.key",
                "--tokens",
                "tokens.yaml",
                "--listen",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(
        provenant_testkit::wait_for_port(port, std::time::Duration::from_secs(30)),
        "the ledger server did not listen on {port}"
    );
    (child, port)
}

/// Asks the webhook about `image` until `pred` holds on the response (the webhook reads the ledger's
/// size at most once a second), at most 10 s.
fn admit_until(
    dir: &Path,
    port: u16,
    image: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut n = 0;
    loop {
        n += 1;
        let response = admit(dir, port, &format!("retry-{n}"), image);
        if pred(&response) || std::time::Instant::now() > deadline {
            return response;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn the_webhook_decides_from_a_ledger_served_over_http_and_fails_closed_when_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    serving_certificate(d);
    let (promoted, later) = (digest('a'), digest('b'));
    record(d, &promoted, "prod", "promoted", "promoter");
    let (mut ledger, ledger_port) = ledger_server(d);
    let url = format!("http://127.0.0.1:{ledger_port}");
    fs::write(d.join("auditor.token"), format!("{LEDGER_AUDITOR}\n")).unwrap();

    // The token from --ledger-token-file.
    let (_hook, port) = webhook(
        d,
        &["--ledger", &url, "--ledger-token-file", "auditor.token"],
        &[],
    );
    let (code, body) = https(d, port, "/readyz", None);
    assert_eq!(code, 200, "{body}");
    let image_a = format!("registry.example/shop@{promoted}");
    let image_b = format!("registry.example/shop@{later}");
    let r = admit(d, port, "uid-promoted", &image_a);
    assert_eq!(r["allowed"], true, "{r}");
    let r = admit(d, port, "uid-unpromoted", &image_b);
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["status"]["code"], 403, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("has no verified promotion into prod") && message.contains(&later),
        "{message}"
    );

    // The token from PROVENANT_LEDGER_TOKEN: the same answers from a second webhook.
    let (_hook2, port2) = webhook(
        d,
        &["--ledger", &url],
        &[("PROVENANT_LEDGER_TOKEN", LEDGER_AUDITOR)],
    );
    assert_eq!(admit(d, port2, "uid-env-token", &image_a)["allowed"], true);
    // Without a token the server refuses the lookups (its checkpoint is public, so the webhook is
    // ready), and the webhook denies even a promoted digest, naming why.
    let (_hook3, port3) = webhook(d, &["--ledger", &url], &[]);
    let r = admit(d, port3, "uid-no-token", &image_a);
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("cannot be decided, so it is denied"),
        "{message}"
    );

    // A promotion appended through the server after the denial takes effect (the negative is
    // re-checked when the ledger grows).
    let bundle = sign_promotion(d, &later, "prod", "promoted", "promoter");
    let o = run(provenant()
        .current_dir(d)
        .env_remove("PROVENANT_LEDGER")
        .env("PROVENANT_LEDGER_TOKEN", LEDGER_WRITER)
        .stdin(Stdio::null())
        .args(["ledger", "append", "--ledger", &url, &bundle]));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let r = admit_until(d, port, &image_b, |r| r["allowed"] == true);
    assert_eq!(r["allowed"], true, "{r}");

    // The ledger server is killed: every decision is denied with the reason, cached positives included.
    ledger.kill();
    let r = admit_until(d, port, &image_a, |r| r["allowed"] == false);
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["status"]["code"], 403, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("image {image_a} cannot be decided, so it is denied")),
        "{message}"
    );
    assert!(message.contains("the ledger cannot be read"), "{message}");
    assert!(message.contains("Connection refused"), "{message}");
    let r = admit(
        d,
        port,
        "uid-after-kill",
        &format!("registry.example/shop@{}", digest('c')),
    );
    assert_eq!(r["allowed"], false, "{r}");
    assert_ne!(https(d, port, "/readyz", None).0, 200);
    let (_, metrics) = https(d, port, "/metrics", None);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("provenant_admission_requests_total")
                && l.contains("reason=\"ledger-unavailable\"")
                && !l.ends_with(" 0")),
        "{metrics}"
    );
    // The token never appears in the webhook's log.
    for entry in fs::read_dir(d).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("webhook-")
        {
            assert!(!fs::read_to_string(&path).unwrap().contains(LEDGER_AUDITOR));
        }
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn prometheus_scrapes_the_webhook_over_tls_and_release_baseline_reads_its_requests_total() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    serving_certificate(d);
    let promoted = digest('a');
    record(d, &promoted, "prod", "promoted", "promoter");
    let (_hook, port) = webhook(d, &["--ledger", "sqlite:ledger.db"], &[]);
    // One admitted Pod, three denied: unpromoted, unpromoted, by tag.
    let image = format!("registry.example/shop@{promoted}");
    assert_eq!(admit(d, port, "u1", &image)["allowed"], true);
    for (uid, denied) in [
        ("u2", format!("registry.example/shop@{}", digest('b'))),
        ("u3", format!("registry.example/shop@{}", digest('c'))),
        ("u4", "registry.example/shop:1.0".to_owned()),
    ] {
        assert_eq!(admit(d, port, uid, &denied)["allowed"], false);
    }
    // Prometheus scrapes the webhook's own /metrics over HTTPS, verifying its certificate against
    // tls.crt (no insecure_skip_verify).
    let prom = provenant_testkit::prometheus::start_prometheus_https(
        &[format!("127.0.0.1:{port}")],
        &d.join("tls.crt"),
    );
    let url = prom.base_url();
    let denied_ratio = r#"denied_ratio=sum(provenant_admission_requests_total{decision="denied"}) / sum(provenant_admission_requests_total)"#;
    let allowed = r#"allowed=sum(provenant_admission_requests_total{decision="allowed"})"#;
    // Without SOURCE_DATE_EPOCH: the SLIs are read at the present time, where the samples are.
    let baseline = |env: &str, ledger: &str| {
        run(provenant()
            .current_dir(d)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("PROVENANT_LEDGER")
            .env_remove("COSIGN_PASSWORD")
            .stdin(Stdio::null())
            .args([
                "release",
                "baseline",
                &image,
                "--env",
                env,
                "--prometheus",
                &url,
                "--query",
                denied_ratio,
                "--query",
                allowed,
                "--window",
                "3s",
                "--key",
                "promoter.key",
                "--ledger",
                ledger,
                "--output",
                "json",
            ]))
    };
    // Wait until Prometheus has scraped for longer than the window, so that its start has samples.
    let mut ready = false;
    let mut last = String::new();
    for _ in 0..60 {
        let o = baseline("probe", "sqlite:probe.db");
        last = format!("{}{}", stdout(&o), stderr(&o));
        if o.status.success() {
            let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
            if doc["slis"][0]["before"].is_number() && doc["slis"][1]["before"].is_number() {
                ready = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(
        ready,
        "Prometheus never had samples of the webhook's metrics: {last}\n{}",
        fs::read_to_string(prom.dir.path().join("prometheus.log")).unwrap_or_default()
    );
    let o = baseline("prod", "sqlite:ledger.db");
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The SLIs come sorted by name.
    assert_eq!(doc["slis"][0]["name"], "allowed");
    assert_eq!(doc["slis"][1]["name"], "denied_ratio");
    for when in ["before", "after"] {
        assert_eq!(doc["slis"][0][when].as_f64(), Some(1.0), "{when}: {doc}");
        let ratio = doc["slis"][1][when].as_f64().unwrap();
        assert!((ratio - 0.75).abs() < 1e-9, "{when}: {doc}");
    }
    // The release is complete in prod: the baseline is in the ledger with both SLIs measured.
    let o = p(
        d,
        &[
            "release",
            "complete",
            &image,
            "--env",
            "prod",
            "--ledger",
            "sqlite:ledger.db",
            "--roles",
            "roles.yaml",
            "--deployer-role",
            "promoter",
            "--output",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The scrape really went to the webhook over TLS: Prometheus reports the target up, over https.
    let o = run(Command::new("curl").args(["-sS", "--max-time", "10", &format!("{url}/api/v1/targets")]));
    let targets: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{targets}");
    assert_eq!(
        target["scrapeUrl"],
        format!("https://127.0.0.1:{port}/metrics"),
        "{targets}"
    );
}
