//! Deploy admission end to end: a promotion record signed with `provenant attest` and appended to an
//! `SQLite` ledger as its bundle, then `provenant verify-deploy` (exit 0 or 1 with the reasons), and
//! `provenant admission manifests` checked by kubernetes-validate --strict.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{provenant, run, stderr, stdout};

const PROMOTION: &str = "https://provenant.dev/attestation/promotion/v1";

fn p(dir: &Path, args: &[&str]) -> Output {
    run(provenant()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(Stdio::null())
        .args(args))
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = p(dir, args);
    assert!(
        o.status.success(),
        "provenant {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

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

/// Signs a promotion record of `subject` into `env` with `key` and appends its bundle to the ledger.
fn record(dir: &Path, subject: &str, env: &str, outcome: &str, key: &str) {
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
    ok(
        dir,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:ledger.db",
            "--note-key",
            "note.key",
            &format!("{name}.bundle.json"),
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
