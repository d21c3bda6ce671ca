//! Environments and approvals: `env init` (the platform default, refused templates, errors with line and
//! column), and the governed promotion path through the environments.

use std::fs;
use std::path::Path;

use crate::support::{provenant, run, stderr, stdout, succeeded};

pub(crate) fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000") // 2026-05-28
        .args(args))
}

#[test]
fn env_init_writes_the_platform_default_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "registry.example.com/{env}/app",
            "--roles",
            "policy/roles.yaml",
            "-o",
            "environments.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "wrote environments.yaml: dev -> test -> uat -> prod\n"
    );
    let text = fs::read_to_string(dir.path().join("environments.yaml")).unwrap();
    for line in [
        "roles: policy/roles.yaml",
        "repository: registry.example.com/dev/app",
        "repository: registry.example.com/prod/app",
        "trigger: on-commit",
        "trigger: on-merge",
        "trigger: on-release-candidate",
        "trigger: on-approval",
        "roles: [release-manager]",
        "separation_of_duties: true",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // The same as standard output, byte for byte, and refused over an existing file without --force.
    let again = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "registry.example.com/{env}/app",
            "--roles",
            "policy/roles.yaml",
        ],
    );
    assert_eq!(stdout(&again), text);
    let exists = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "r/{env}/app",
            "-o",
            "environments.yaml",
        ],
    );
    assert_eq!(exists.status.code(), Some(2));
    assert!(stderr(&exists).contains("--force"), "{}", stderr(&exists));
    // JSON names the environments in order.
    let json = p(
        dir.path(),
        &[
            "env",
            "init",
            "--repository-template",
            "r/{env}/app",
            "-o",
            "environments.yaml",
            "--force",
            "--output",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        v["environments"],
        serde_json::json!(["dev", "test", "uat", "prod"])
    );
}

/// `--output json` without `-o`: the same report as with it, the file's text in place of its path.
#[test]
fn env_init_without_out_honours_output_json() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["env", "init", "--repository-template", "r/{env}/app"];
    let text = p(dir.path(), &args);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let json = p(dir.path(), &[&args[..], &["--output", "json"]].concat());
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "environments": ["dev", "test", "uat", "prod"],
            "file": null,
            "content": stdout(&text),
        })
    );
    assert!(
        fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing is written"
    );
}

#[test]
fn env_init_refuses_a_template_without_env() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(
        dir.path(),
        &["env", "init", "--repository-template", "registry.example.com/app"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no {env}"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    succeeded(&p(dir, args), args)
}

/// A key pair `NAME.key`/`NAME.pub` in `dir`.
pub(crate) fn key(dir: &Path, name: &str) {
    ok(dir, &["keys", "generate", "--output-key-prefix", name]);
}

/// A small image in the OCI layout `dir/NAME`, returned as `oci:DIR@DIGEST` with its digest.
pub(crate) fn image(dir: &Path, name: &str, content: &str) -> (String, String) {
    let root = dir.join(format!("{name}-rootfs"));
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("app"), content).unwrap();
    let layout = format!("oci:{}", dir.join(name).display());
    let out = ok(
        dir,
        &[
            "oci",
            "image",
            root.to_str().unwrap(),
            &format!("{layout}:1"),
            "--output",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let digest = v["digest"].as_str().unwrap().to_owned();
    (format!("{layout}@{digest}"), digest)
}

pub(crate) fn ledger_entries(db: &Path, digest: &str) -> Vec<Vec<u8>> {
    use provenant_ledger_store::{Location, Query};
    let store =
        provenant_ledger_store::open(&Location::parse(&format!("sqlite:{}", db.display())).unwrap()).unwrap();
    let mut indexes = store
        .query(&Query {
            subject: Some(digest.to_owned()),
            ..Query::default()
        })
        .unwrap();
    indexes.sort_unstable();
    indexes
        .into_iter()
        .map(|i| store.entry(i).unwrap().content.unwrap())
        .collect()
}

#[test]
fn approve_signs_an_approval_that_verifies_for_its_role_from_the_ledger_and_attaches_it() {
    use provenant_records::Record as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    key(d, "rm");
    key(d, "dev");
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  release-manager:\n    keys: [rm.pub]\n  developer:\n    keys: [dev.pub]\n",
    )
    .unwrap();
    let (subject, digest) = image(d, "prod", "v1");
    let out = ok(
        d,
        &[
            "approve",
            &subject,
            "--env",
            "prod",
            "--role",
            "release-manager",
            "--key",
            "rm.key",
            "--change",
            "CHG0001234",
            "--comment",
            "release 1.2",
            "--attach",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["subject"], digest.as_str());
    assert_eq!(report["environment"], "prod");
    assert_eq!(report["role"], "release-manager");
    assert_eq!(report["ledger_index"], 0);
    assert_eq!(report["attached"], true);
    assert_eq!(report["timestamp"], "2026-05-28T20:26:40Z");
    // The identity is the key's fingerprint: the SHA-256 of its public key's DER.
    let public = provenant_keys::PublicKey::from_pem(&fs::read_to_string(d.join("rm.pub")).unwrap()).unwrap();
    let fingerprint = provenant_digest::Algorithm::Sha256.hash_bytes(public.spki_der());
    assert_eq!(report["identity"], fingerprint.to_string().as_str());

    // The ledger holds the signed bundle, which verifies for the role it claims and no other.
    let entries = ledger_entries(&d.join("ledger.db"), &digest);
    assert_eq!(entries.len(), 1);
    let roles = provenant_evidence::roles::Roles::load(&d.join("roles.yaml")).unwrap();
    let digest_value: provenant_digest::Digest = digest.parse().unwrap();
    let signed = provenant_evidence::roles::verify_for_role(
        &entries[0],
        &digest_value,
        &roles,
        "release-manager",
        None,
    )
    .unwrap();
    let approval = provenant_records::approval::Approval::from_statement(&signed.statement).unwrap();
    assert_eq!(approval.environment, "prod");
    assert_eq!(approval.role, "release-manager");
    assert_eq!(approval.change.unwrap().id.as_deref(), Some("CHG0001234"));
    assert_eq!(approval.comment.as_deref(), Some("release 1.2"));
    assert!(
        provenant_evidence::roles::verify_for_role(&entries[0], &digest_value, &roles, "developer", None)
            .is_err()
    );
    assert_eq!(
        report["bundle_digest"],
        provenant_digest::Algorithm::Sha256
            .hash_bytes(&entries[0])
            .to_string()
            .as_str()
    );

    // Attached: the image's referrers list it.
    let discovered = ok(d, &["oci", "discover", &subject, "--output", "json"]);
    assert!(
        discovered.contains("https://provenant.dev/attestation/approval/v1"),
        "{discovered}"
    );
}

#[test]
fn approve_refuses_a_tag_and_a_bad_environment_name_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    key(d, "rm");
    for (image, env, words) in [
        ("registry.example.com/prod/app:1.0", "prod", "by digest"),
        ("Not An Image!", "prod", "is not an image reference"),
        (
            "registry.example.com/prod/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "Prod!",
            "environment name",
        ),
    ] {
        let out = p(
            d,
            &[
                "approve",
                image,
                "--env",
                env,
                "--role",
                "release-manager",
                "--key",
                "rm.key",
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(words), "{}", stderr(&out));
        assert!(!d.join("ledger.db").exists());
    }
}

#[test]
fn approve_keyless_states_the_token_identity_and_verifies_for_that_identity() {
    use provenant_records::Record as _;
    const ISSUER: &str = "https://issuer.example";
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let base = sigstore.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("roles.yaml"),
        format!(
            "roles:\n  release-manager:\n    identities: [{{san: rm@example.com, issuer: '{ISSUER}'}}]\n"
        ),
    )
    .unwrap();
    let digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let token = provenant_testkit::sigstore::mock_identity_token(ISSUER, "rm@example.com");
    let out = ok(
        d,
        &[
            "approve",
            &format!("registry.example.com/prod/app@{digest}"),
            "--env",
            "prod",
            "--role",
            "release-manager",
            "--identity-token",
            &token,
            "--fulcio-url",
            &base,
            "--rekor-url",
            &base,
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["identity"], "rm@example.com");
    let entries = ledger_entries(&d.join("ledger.db"), digest);
    let roles = provenant_evidence::roles::Roles::load(&d.join("roles.yaml")).unwrap();
    let trusted_root =
        provenant_sigstore::TrustedRoot::from_json(&fs::read(&sigstore.trusted_root).unwrap()).unwrap();
    let signed = provenant_evidence::roles::verify_for_role(
        &entries[0],
        &digest.parse().unwrap(),
        &roles,
        "release-manager",
        Some(&trusted_root),
    )
    .unwrap();
    assert_eq!(signed.signer, format!("rm@example.com ({ISSUER})"));
    let approval = provenant_records::approval::Approval::from_statement(&signed.statement).unwrap();
    assert_eq!(approval.identity, "rm@example.com");
}

/// Signs `statement` with the key file `key` (cosign format, password `s3cret`) into a bundle file.
pub(crate) fn sign_statement_file(dir: &Path, key: &str, statement: &serde_json::Value, out: &str) -> String {
    let signing = provenant_evidence::load_signing_key(&dir.join(key), || {
        Ok(zeroize::Zeroizing::new("s3cret".to_owned()))
    })
    .unwrap();
    let bundle =
        provenant_sigstore_sign::keyed::sign_statement(&signing, &serde_json::to_vec(statement).unwrap())
            .unwrap()
            .to_json_v0_3()
            .unwrap();
    fs::write(dir.join(out), bundle).unwrap();
    out.to_owned()
}

pub(crate) fn ledger_append(dir: &Path, file: &str) {
    ok(
        dir,
        &[
            "ledger",
            "append",
            "--ledger",
            "sqlite:ledger.db",
            "--note-key",
            "note.key",
            file,
        ],
    );
}

pub(crate) fn promote(dir: &Path, subject: &str, env: &str) -> std::process::Output {
    p(
        dir,
        &[
            "promote",
            subject,
            "--env",
            env,
            "--environments",
            "environments.yaml",
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    )
}

fn refused(dir: &Path, subject: &str, env: &str) -> Vec<String> {
    let out = promote(dir, subject, env);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["outcome"], "refused");
    assert!(v["copy"].is_null());
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("failure").is_some())
        .map(|r| r["requirement"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)] // one story, dev to prod, read top to bottom
fn governed_path_dev_to_prod_on_oci_layouts_with_every_refusal_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Built and packaged by ci; the packaging provenance goes to the ledger below.
    let (build, digest) = governed_world(d);
    let root = d.join("rootfs");
    let subject = format!("{build}@{digest}");
    let hex = digest.strip_prefix("sha256:").unwrap();

    // The same image (the build is reproducible) without its packaging provenance, neither in the
    // ledger nor attached: dev refuses the entry.
    let unsigned = format!("oci:{}/unsigned", d.display());
    ok(
        d,
        &["oci", "image", root.to_str().unwrap(), &format!("{unsigned}:1")],
    );
    assert_eq!(refused(d, &format!("{unsigned}@{digest}"), "dev"), ["entry"]);
    ledger_append(d, "prov.json");
    // Skipping an environment is refused, naming every missing requirement, and copies nothing.
    assert_eq!(
        refused(d, &subject, "uat"),
        ["previous-environment", "gate-decision"]
    );
    assert!(!d.join("uat").exists());

    let out = promote(d, &subject, "dev");
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(d.join("dev/index.json").exists());

    // test: no gate decision, then a failed one, then a passing one signed by ci.
    assert_eq!(refused(d, &subject, "test"), ["gate-decision"]);
    let decision = |verdict: &str, at: &str| {
        serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": hex}}],
            "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
            "predicate": {"decision": verdict, "evaluatedAt": at,
                "gates": [{"id": "tests", "status": if verdict == "pass" { "pass" } else { "block" }}]}
        })
    };
    ledger_append(
        d,
        &sign_statement_file(
            d,
            "ci.key",
            &decision("block", "2026-05-28T19:00:00Z"),
            "block.json",
        ),
    );
    assert_eq!(refused(d, &subject, "test"), ["gate-decision"]);
    // A passing decision signed by a developer is not the ci role's.
    ledger_append(
        d,
        &sign_statement_file(
            d,
            "dev.key",
            &decision("pass", "2026-05-28T19:30:00Z"),
            "devpass.json",
        ),
    );
    assert_eq!(refused(d, &subject, "test"), ["gate-decision"]);
    ledger_append(
        d,
        &sign_statement_file(
            d,
            "ci.key",
            &decision("pass", "2026-05-28T20:00:00Z"),
            "pass.json",
        ),
    );
    for env in ["test", "uat"] {
        let out = promote(d, &subject, env);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{env}: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
    }

    // prod: no approval; an approval by the wrong role, for another environment, then the release manager's.
    assert_eq!(refused(d, &subject, "prod"), ["approvals"]);
    let approve = |key: &str, role: &str, env: &str| {
        ok(
            d,
            &[
                "approve",
                &subject,
                "--env",
                env,
                "--role",
                role,
                "--key",
                key,
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
    };
    approve("dev.key", "release-manager", "prod");
    approve("rm.key", "release-manager", "uat");
    let out = promote(d, &subject, "prod");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let reasons: Vec<&str> = v["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rejection"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["role-not-held", "other-environment"]);
    // The release manager's approval for prod counts.
    approve("rm.key", "release-manager", "prod");
    let out = promote(d, &subject, "prod");
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(d.join("prod/index.json").exists());

    // Every attempt is in the ledger as a signed promotion record: promoted and refused alike.
    let roles = provenant_evidence::roles::Roles::load(&d.join("roles.yaml")).unwrap();
    let digest_value: provenant_digest::Digest = digest.parse().unwrap();
    let mut outcomes = Vec::new();
    for entry in ledger_entries(&d.join("ledger.db"), &digest) {
        let Ok(signed) =
            provenant_evidence::roles::verify_for_role(&entry, &digest_value, &roles, "ci", None)
        else {
            continue;
        };
        if signed.statement.predicate_type == "https://provenant.dev/attestation/promotion/v1" {
            outcomes.push(format!(
                "{} {}",
                signed.statement.predicate["environment"].as_str().unwrap(),
                signed.statement.predicate["outcome"].as_str().unwrap()
            ));
        }
    }
    assert_eq!(
        outcomes,
        [
            "dev refused",
            "uat refused",
            "dev promoted",
            "test refused",
            "test refused",
            "test refused",
            "test promoted",
            "uat promoted",
            "prod refused",
            "prod refused",
            "prod promoted"
        ]
    );
}

/// A `SQLite` ledger (`ledger.db`, its note key `note.key`) and the default environments over OCI
/// layouts in `d` (`environments.yaml`).
pub(crate) fn ledger_and_environments(d: &Path) {
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:ledger.db",
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "note",
        ],
    );
    let template = format!("oci:{}/{{env}}", d.display());
    ok(
        d,
        &[
            "env",
            "init",
            "--repository-template",
            &template,
            "-o",
            "environments.yaml",
        ],
    );
}

/// Keys ci, rm and dev with their roles, [`ledger_and_environments`], and an image built from
/// `rootfs/` and packaged by ci into `oci:D/build:1`, its provenance in `prov.json` (not in the
/// ledger). Returns the image's layout reference without tag and its digest.
fn governed_world(d: &Path) -> (String, String) {
    for k in ["ci", "rm", "dev"] {
        key(d, k);
    }
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub]\n  developer:\n    keys: [dev.pub]\n",
    )
    .unwrap();
    ledger_and_environments(d);
    let root = d.join("rootfs");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("app"), "v1").unwrap();
    let build = format!("oci:{}/build", d.display());
    let out = ok(
        d,
        &[
            "oci",
            "image",
            root.to_str().unwrap(),
            &format!("{build}:1"),
            "--key",
            "ci.key",
            "--provenance-bundle",
            "prov.json",
            "--output",
            "json",
        ],
    );
    let digest = serde_json::from_str::<serde_json::Value>(&out).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    (build, digest)
}

/// Keys ci, rm and dev with their roles, a ledger, the default environments over OCI layouts, an image
/// built and packaged by ci with its provenance and a passing gate decision in the ledger. Returns
/// the image as `oci:DIR@DIGEST`.
pub(crate) fn governed_setup(d: &Path) -> String {
    let (build, digest) = governed_world(d);
    ledger_append(d, "prov.json");
    let decision = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T20:00:00Z"}
    });
    ledger_append(d, &sign_statement_file(d, "ci.key", &decision, "pass.json"));
    format!("{build}@{digest}")
}

#[test]
fn wait_is_released_by_an_approval_made_while_waiting_and_times_out_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    for env in ["dev", "test", "uat"] {
        let out = promote(d, &subject, env);
        assert_eq!(out.status.code(), Some(0), "{env}: {}", stderr(&out));
    }
    let waiting = |wait: &str| {
        provenant()
            .current_dir(d)
            .env("COSIGN_PASSWORD", "s3cret")
            .env("SOURCE_DATE_EPOCH", "1780000000")
            .args([
                "promote",
                &subject,
                "--env",
                "prod",
                "--environments",
                "environments.yaml",
                "--record-key",
                "ci.key",
                "--ledger",
                "sqlite:ledger.db",
                "--wait",
                wait,
                "--output",
                "json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Without an approval the wait runs out: refused, nothing copied.
    let out = waiting("2s").wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!d.join("prod").exists());
    // An approval made while the promotion waits releases it.
    let child = waiting("5m");
    std::thread::sleep(std::time::Duration::from_secs(2));
    ok(
        d,
        &[
            "approve",
            &subject,
            "--env",
            "prod",
            "--role",
            "release-manager",
            "--key",
            "rm.key",
            "--ledger",
            "sqlite:ledger.db",
        ],
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["outcome"], "promoted");
    assert!(d.join("prod/index.json").exists());
}

/// The JSON report of a governed promotion that exited `code`.
fn promote_json(dir: &Path, subject: &str, env: &str, environments: &str, code: i32) -> serde_json::Value {
    let out = p(
        dir,
        &[
            "promote",
            subject,
            "--env",
            env,
            "--environments",
            environments,
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(code),
        "{env}: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The names of the requirements a report says do not hold.
fn failing(report: &serde_json::Value) -> Vec<String> {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("failure").is_some())
        .map(|r| r["requirement"].as_str().unwrap().to_owned())
        .collect()
}

/// Each approval of a report as `REASON` (or `counts`), with the duty for separation of duties.
fn approval_verdicts(report: &serde_json::Value) -> Vec<String> {
    report["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            if a["counts"] == true {
                return "counts".to_owned();
            }
            let r = &a["rejection"];
            match r["duty"].as_str() {
                Some(duty) => format!("{} {duty}", r["reason"].as_str().unwrap()),
                None => r["reason"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// A passing gate decision about `digest` signed with `key`, written to `out`.
fn gate_pass(dir: &Path, key: &str, digest: &str, out: &str) -> String {
    let decision = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {
            "decision": "pass",
            "evaluatedAt": "2026-05-28T20:00:00Z",
            "gates": [{
                "id": "dependencies",
                "status": "pass",
                "findings": [{"id": "CVE-2024-0001", "rule": "CVE-2024-0001", "severity": "low"}]
            }]
        }
    });
    sign_statement_file(dir, key, &decision, out)
}

/// Keys ci, rm and dev (ci also holds release-manager, so that its approval meets separation of
/// duties rather than a missing role), a ledger and the default environments over `template`.
fn governed_keys(d: &Path, template: &str) {
    for k in ["ci", "rm", "dev"] {
        key(d, k);
    }
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub, ci.pub]\n  developer:\n    keys: [dev.pub]\n",
    )
    .unwrap();
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:ledger.db",
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "note",
        ],
    );
    ok(
        d,
        &[
            "env",
            "init",
            "--repository-template",
            template,
            "-o",
            "environments.yaml",
        ],
    );
}

/// An image of `content` built into `reference` with its packaging provenance signed by ci and
/// attached (and written to `prov-NAME.json`); returns its digest.
fn packaged(d: &Path, name: &str, reference: &str, content: &str) -> String {
    let root = d.join(format!("{name}-rootfs"));
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("app"), content).unwrap();
    let out = ok(
        d,
        &[
            "oci",
            "image",
            root.to_str().unwrap(),
            reference,
            "--key",
            "ci.key",
            "--provenance-bundle",
            &format!("prov-{name}.json"),
            "--output",
            "json",
        ],
    );
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn approve_to(d: &Path, subject: &str, key: &str, env: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "approve",
        subject,
        "--env",
        env,
        "--role",
        "release-manager",
        "--output",
        "json",
    ];
    if !key.is_empty() {
        args.extend_from_slice(&["--key", key]);
    }
    args.extend_from_slice(extra);
    if !extra.contains(&"--ledger") {
        args.extend_from_slice(&["--ledger", "sqlite:ledger.db"]);
    }
    ok(d, &args)
}

/// The predicate types of the referrers `oci discover` lists for `subject`.
fn referrer_types(d: &Path, subject: &str) -> Vec<String> {
    let found: serde_json::Value =
        serde_json::from_str(&ok(d, &["oci", "discover", subject, "--output", "json"])).unwrap();
    let mut types: Vec<String> = found["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let a = &r["descriptor"]["annotations"];
            a["dev.sigstore.bundle.predicateType"]
                .as_str()
                .or(r["descriptor"]["artifactType"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    types.sort();
    types
}

#[test]
#[allow(clippy::too_many_lines)] // one story on the real registry, dev to prod, read top to bottom
fn governed_path_on_docker_registry_with_every_refusal() {
    let reg = provenant_testkit::registry::DockerRegistry::start();
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    governed_keys(d, &format!("{host}/{{env}}/app"));
    let digest = packaged(d, "v1", &format!("{host}/build/app:1"), "v1");
    let subject = format!("{host}/build/app@{digest}");
    ledger_append(d, "prov-v1.json");
    // Skipping dev and test is refused, naming both missing requirements; nothing is pushed.
    let report = promote_json(d, &subject, "uat", "environments.yaml", 1);
    assert_eq!(failing(&report), ["previous-environment", "gate-decision"]);
    let report = promote_json(d, &subject, "dev", "environments.yaml", 0);
    assert_eq!(report["repository"], format!("{host}/dev/app"));
    // test: no gate decision, then a blocking one, then a newer passing one.
    let report = promote_json(d, &subject, "test", "environments.yaml", 1);
    assert_eq!(failing(&report), ["gate-decision"]);
    let block = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {"decision": "block", "gates": [{"id": "tests", "status": "block"}], "evaluatedAt": "2026-05-28T19:00:00Z"}
    });
    ledger_append(d, &sign_statement_file(d, "ci.key", &block, "block.json"));
    let report = promote_json(d, &subject, "test", "environments.yaml", 1);
    assert_eq!(failing(&report), ["gate-decision"]);
    assert!(report.to_string().contains("gate-decision-failed"), "{report}");
    ledger_append(d, &gate_pass(d, "ci.key", &digest, "pass.json"));
    for env in ["test", "uat"] {
        let report = promote_json(d, &subject, env, "environments.yaml", 0);
        assert_eq!(report["outcome"], "promoted", "{env}");
        assert_eq!(report["repository"], format!("{host}/{env}/app"));
    }
    let missing = p(d, &["oci", "discover", &format!("{host}/prod/app@{digest}")]);
    assert_ne!(missing.status.code(), Some(0), "{}", stdout(&missing));
    // Every environment's repository holds the image by digest, its packaging provenance carried.
    for env in ["dev", "test", "uat"] {
        assert_eq!(
            referrer_types(d, &format!("{host}/{env}/app@{digest}")),
            ["https://slsa.dev/provenance/v1"],
            "{env}"
        );
    }

    // prod: an approval of another digest (in the ledger, and its bundle attached to this image), one
    // for another environment, and one by the builder (ci signed the packaging provenance).
    let other = packaged(d, "v2", &format!("{host}/build/app:2"), "v2");
    approve_to(
        d,
        &format!("{host}/build/app@{other}"),
        "rm.key",
        "prod",
        &["--bundle", "other-digest.json"],
    );
    ok(d, &["oci", "attach", &subject, "--bundle", "other-digest.json"]);
    let report = promote_json(d, &subject, "prod", "environments.yaml", 1);
    assert_eq!(failing(&report), ["approvals"]);
    approve_to(d, &subject, "rm.key", "uat", &[]);
    approve_to(d, &subject, "ci.key", "prod", &[]);
    // A developer claiming the release manager's role.
    approve_to(d, &subject, "dev.key", "prod", &[]);
    let report = promote_json(d, &subject, "prod", "environments.yaml", 1);
    assert_eq!(failing(&report), ["approvals"]);
    assert_eq!(
        approval_verdicts(&report),
        [
            "other-environment",
            "separation-of-duties build-signer",
            "role-not-held",
            "other-digest"
        ]
    );
    assert!(report["copy"].is_null());
    let missing = p(d, &["oci", "discover", &format!("{host}/prod/app@{digest}")]);
    assert_ne!(missing.status.code(), Some(0), "{}", stdout(&missing));
    // The attached approval of another digest is reported and never appended to the ledger.
    let other_in_ledger = ledger_entries(&d.join("ledger.db"), &other);
    assert_eq!(other_in_ledger.len(), 1, "only approve's own entry");

    // With the release manager's approval, a fixed change window that has passed refuses the promotion
    // naming the window alone; inside the window it goes through.
    approve_to(d, &subject, "rm.key", "prod", &[]);
    let windowed = |name: &str, from: &str, until: &str| {
        let text = fs::read_to_string(d.join("environments.yaml")).unwrap();
        let text = text.replace(
            "      approvals:",
            &format!("      change_windows:\n        - {{from: {from}, until: {until}}}\n      approvals:"),
        );
        assert!(text.contains("change_windows"), "{text}");
        fs::write(d.join(name), text).unwrap();
    };
    windowed("expired.yaml", "2026-05-01T09:00:00Z", "2026-05-01T12:00:00Z");
    windowed("open.yaml", "2026-05-28T20:00:00Z", "2026-05-28T21:00:00Z");
    let report = promote_json(d, &subject, "prod", "expired.yaml", 1);
    assert_eq!(failing(&report), ["change-window"]);
    let reason = report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "change-window")
        .unwrap()["failure"]
        .clone();
    assert_eq!(reason["reason"], "outside-change-window");
    assert_eq!(reason["at"], "2026-05-28T20:26:40Z");
    assert!(report["copy"].is_null());
    let report = promote_json(d, &subject, "prod", "open.yaml", 0);
    assert_eq!(report["outcome"], "promoted");
    assert_eq!(
        approval_verdicts(&report),
        [
            "other-environment",
            "separation-of-duties build-signer",
            "role-not-held",
            "counts",
            "other-digest"
        ]
    );
    // In prod by digest with its referrers: the packaging provenance and the approval bundle attached.
    assert_eq!(
        referrer_types(d, &format!("{host}/prod/app@{digest}")),
        [
            "https://provenant.dev/attestation/approval/v1",
            "https://slsa.dev/provenance/v1"
        ]
    );
}

fn spawn_promote(d: &Path, subject: &str, env: &str) -> std::process::Child {
    provenant()
        .current_dir(d)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000")
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .env_remove("PROVENANT_LEDGER")
        .args([
            "promote",
            subject,
            "--env",
            env,
            "--environments",
            "environments.yaml",
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The verified promotion records about `digest` in the ledger, as `ENV OUTCOME`, oldest first.
fn promotion_outcomes(d: &Path, digest: &str) -> Vec<String> {
    let roles = provenant_evidence::roles::Roles::load(&d.join("roles.yaml")).unwrap();
    let digest_value: provenant_digest::Digest = digest.parse().unwrap();
    ledger_entries(&d.join("ledger.db"), digest)
        .iter()
        .filter_map(|entry| {
            let signed =
                provenant_evidence::roles::verify_for_role(entry, &digest_value, &roles, "ci", None).ok()?;
            (signed.statement.predicate_type == "https://provenant.dev/attestation/promotion/v1").then(|| {
                format!(
                    "{} {}",
                    signed.statement.predicate["environment"].as_str().unwrap(),
                    signed.statement.predicate["outcome"].as_str().unwrap()
                )
            })
        })
        .collect()
}

fn ledger_size(db: &Path) -> u64 {
    use provenant_ledger_store::Location;
    provenant_ledger_store::open(&Location::parse(&format!("sqlite:{}", db.display())).unwrap())
        .unwrap()
        .size()
        .unwrap()
}

#[test]
fn concurrent_promotions_of_two_digests_into_one_environment_on_docker_registry_lose_nothing() {
    let reg = provenant_testkit::registry::DockerRegistry::start();
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    governed_keys(d, &format!("{host}/{{env}}/app"));
    let mut subjects = Vec::new();
    for name in ["a", "b"] {
        let digest = packaged(d, name, &format!("{host}/build/app:{name}"), name);
        ledger_append(d, &format!("prov-{name}.json"));
        ledger_append(d, &gate_pass(d, "ci.key", &digest, &format!("pass-{name}.json")));
        subjects.push((format!("{host}/build/app@{digest}"), digest));
    }
    for env in ["dev", "test"] {
        // Both at once, two processes, one ledger and one destination repository.
        let children: Vec<_> = subjects
            .iter()
            .map(|(subject, _)| spawn_promote(d, subject, env))
            .collect();
        for (child, (_, digest)) in children.into_iter().zip(&subjects) {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{env} {digest}: {}\n{}",
                stdout(&out),
                stderr(&out)
            );
            let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert_eq!(v["outcome"], "promoted");
            assert_eq!(v["digest"], digest.as_str());
        }
    }
    // Each digest has exactly its own two records, and the ledger nothing more than what was put in
    // (two provenances, two gate decisions, four promotions): nothing lost, nothing doubled.
    for (_, digest) in &subjects {
        assert_eq!(
            promotion_outcomes(d, digest),
            ["dev promoted", "test promoted"],
            "{digest}"
        );
    }
    assert_eq!(ledger_size(&d.join("ledger.db")), 8);
    ok(
        d,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:ledger.db",
            "--key",
            "note.pub",
        ],
    );
    // Both images are in both repositories by digest, each with its own packaging provenance.
    for env in ["dev", "test"] {
        for (_, digest) in &subjects {
            assert_eq!(
                referrer_types(d, &format!("{host}/{env}/app@{digest}")),
                ["https://slsa.dev/provenance/v1"],
                "{env} {digest}"
            );
        }
    }
}

/// A git repository `src` whose head commit (`feat: the app`, on top of `base`) was authored by
/// `author` and committed by `committer`, and whose build writes `out/app` = `content`.
fn authored_repository(d: &Path, author: &str, committer: &str, content: &str) -> String {
    let src = d.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join(".gitignore"), "out/\n").unwrap();
    fs::write(
        src.join("build.sh"),
        format!("#!/bin/sh\nset -eu\nmkdir -p out\nprintf '{content}' > out/app\n"),
    )
    .unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&src)
            .env("GIT_AUTHOR_NAME", "Author")
            .env("GIT_AUTHOR_EMAIL", author)
            .env("GIT_COMMITTER_NAME", "Committer")
            .env("GIT_COMMITTER_EMAIL", committer)
            .env("GIT_AUTHOR_DATE", "2026-05-20T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-05-20T10:00:00Z")
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q", "-b", "main", "."]);
    git(&["commit", "-q", "--allow-empty", "-m", "chore: start"]);
    git(&["tag", "base"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "feat: the app"]);
    git(&["rev-parse", "HEAD"])
}

#[test]
#[allow(clippy::too_many_lines)] // one story: source check, build, package, promote, approve
fn prod_approval_by_the_commits_author_or_committer_is_refused_for_separation_of_duties() {
    const ISSUER: &str = "https://issuer.example";
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let base = sigstore.base_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = format!("oci:{}/{{env}}", d.display());
    governed_keys(d, &template);
    fs::write(
        d.join("roles.yaml"),
        format!(
            "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub]\n    identities:\n      \
             - {{san: alice@example.com, issuer: '{ISSUER}'}}\n      - {{san: carol@example.com, issuer: '{ISSUER}'}}\n"
        ),
    )
    .unwrap();
    let commit = authored_repository(d, "alice@example.com", "carol@example.com", "v1");

    // The source stage records the range, its commits and their author and committer.
    let out = p(
        d,
        &[
            "source",
            "check",
            "--range",
            "base..HEAD",
            "--repo",
            "src",
            "--require",
            "conventional",
            "--key",
            "ci.key",
            "--attestation-output",
            "source.json",
            "--ledger",
            "sqlite:ledger.db",
            "--note-key",
            "note.key",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("source.json")).unwrap()).unwrap();
    let payload = crate::support::base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], commit.as_str());
    assert_eq!(
        statement["predicate"]["commits"][0]["author"],
        "alice@example.com"
    );
    assert_eq!(
        statement["predicate"]["commits"][0]["committer"],
        "carol@example.com"
    );

    // Built from that commit (build provenance in the ledger), packaged by ci.
    let out = p(
        &d.join("src"),
        &[
            "build",
            "--subject",
            "out/app",
            "--source",
            "github.com/example/app",
            "--key",
            "../ci.key",
            "--bundle",
            "../build.json",
            "--",
            "sh",
            "build.sh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    ledger_append(d, "build.json");
    let digest = packaged(d, "v1", &format!("oci:{}/build:1", d.display()), "v1");
    let subject = format!("oci:{}/build@{digest}", d.display());
    ledger_append(d, "prov-v1.json");
    ledger_append(d, &gate_pass(d, "ci.key", &digest, "pass.json"));
    for env in ["dev", "test", "uat"] {
        promote_json(d, &subject, env, "environments.yaml", 0);
    }

    // The author and the committer approve keylessly, holding release-manager: neither counts.
    for who in ["alice@example.com", "carol@example.com"] {
        let token = provenant_testkit::sigstore::mock_identity_token(ISSUER, who);
        approve_to(
            d,
            &subject,
            "",
            "prod",
            &[
                "--identity-token",
                &token,
                "--fulcio-url",
                &base,
                "--rekor-url",
                &base,
            ],
        );
    }
    let trusted_root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let promote_prod = |code: i32| {
        let out = p(
            d,
            &[
                "promote",
                &subject,
                "--env",
                "prod",
                "--environments",
                "environments.yaml",
                "--record-key",
                "ci.key",
                "--ledger",
                "sqlite:ledger.db",
                "--trusted-root",
                &trusted_root,
                "--output",
                "json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    let report = promote_prod(1);
    assert_eq!(failing(&report), ["approvals"]);
    assert_eq!(
        approval_verdicts(&report),
        ["separation-of-duties author", "separation-of-duties committer"]
    );
    // The author and committer came from the source attestation, verified for ci before it was used.
    let sources = report["source_attestations"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{report}");
    assert_eq!(sources[0]["commit"], commit.as_str());
    assert_eq!(sources[0]["use"], "relied-on");
    assert_eq!(sources[0]["signer"], "ci.pub (ci)");
    let text = p(
        d,
        &[
            "promote",
            &subject,
            "--env",
            "prod",
            "--environments",
            "environments.yaml",
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--trusted-root",
            &trusted_root,
        ],
    );
    assert!(
        stdout(&text).contains(
            "approval by alice@example.com (https://issuer.example) does not count: separation of duties: \
             the approver alice@example.com (https://issuer.example) is the commit's author"
        ),
        "{}",
        stdout(&text)
    );
    // Someone with no part in the change approves: promoted.
    approve_to(d, &subject, "rm.key", "prod", &[]);
    let report = promote_prod(0);
    assert_eq!(
        approval_verdicts(&report),
        [
            "separation-of-duties author",
            "separation-of-duties committer",
            "counts"
        ]
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one story: evidence attached only, promoted, then found in the ledger
fn evidence_only_attached_as_referrers_is_verified_promoted_on_and_appended_to_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = format!("oci:{}/{{env}}", d.display());
    governed_keys(d, &template);
    key(d, "mallory");
    let commit = authored_repository(d, "alice@example.com", "alice@example.com", "v1");
    let out = p(
        &d.join("src"),
        &[
            "build",
            "--subject",
            "out/app",
            "--source",
            "github.com/example/app",
            "--key",
            "../ci.key",
            "--bundle",
            "../build.json",
            "--",
            "sh",
            "build.sh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    // The image (its packaging provenance attached by `oci image --key`), its build provenance, a
    // passing gate decision with a finding, an SBOM attestation and the release manager's approval: all
    // attached to the image, none in the promotion's ledger (the approval goes to another one).
    let digest = packaged(d, "v1", &format!("oci:{}/build:1", d.display()), "v1");
    let subject = format!("oci:{}/build@{digest}", d.display());
    ok(d, &["oci", "attach", &subject, "--bundle", "build.json"]);
    let gate = gate_pass(d, "ci.key", &digest, "pass.json");
    ok(d, &["oci", "attach", &subject, "--bundle", &gate]);
    ok(
        d,
        &[
            "sbom",
            "attest",
            &subject,
            "--key",
            "ci.key",
            "--bundle",
            "sbom.json",
            "--attach",
        ],
    );
    // Signed by no holder of any role: reported, never appended.
    let forged = gate_pass(d, "mallory.key", &digest, "forged.json");
    ok(d, &["oci", "attach", &subject, "--bundle", &forged]);
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:elsewhere.db",
            "--origin",
            "example.com/elsewhere",
            "--output-key-prefix",
            "elsewhere",
        ],
    );
    approve_to(
        d,
        &subject,
        "rm.key",
        "prod",
        &["--attach", "--ledger", "sqlite:elsewhere.db"],
    );
    assert_eq!(ledger_size(&d.join("ledger.db")), 0);

    let report = promote_json(d, &subject, "dev", "environments.yaml", 0);
    let mut used: Vec<String> = report["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["use"].as_str().unwrap(),
                r["predicate_type"].as_str().unwrap()
            )
        })
        .collect();
    used.sort();
    assert_eq!(
        used,
        [
            "appended https://cyclonedx.org/bom",
            "appended https://provenant.dev/attestation/approval/v1",
            "appended https://provenant.dev/attestation/gate-decision/v1",
            "appended https://slsa.dev/provenance/v1",
            "appended https://slsa.dev/provenance/v1",
            "not-used https://provenant.dev/attestation/gate-decision/v1",
        ]
    );
    let forged_verdict = report["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["use"] == "not-used")
        .unwrap();
    assert!(
        forged_verdict["reason"]
            .as_str()
            .unwrap()
            .starts_with("signed by no holder of any role"),
        "{forged_verdict}"
    );
    // The evidence relied on is named in the promotion record: the entry provenance.
    let (prov_digest, build_digest) = (
        provenant_digest::Algorithm::Sha256.hash_bytes(&fs::read(d.join("prov-v1.json")).unwrap()),
        provenant_digest::Algorithm::Sha256.hash_bytes(&fs::read(d.join("build.json")).unwrap()),
    );
    // The ledger now holds, by subject, what was attached and verified: packaging provenance, the
    // gate decision, the SBOM and the approval about the image, and the build provenance about the file.
    let roles = provenant_evidence::roles::Roles::load(&d.join("roles.yaml")).unwrap();
    let about_image = ledger_entries(&d.join("ledger.db"), &digest);
    let mut types: Vec<String> = about_image
        .iter()
        .map(|e| {
            provenant_ledger::entry::EntryKeys::from_entry(e)
                .unwrap()
                .predicate_type
        })
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "https://cyclonedx.org/bom",
            "https://provenant.dev/attestation/approval/v1",
            "https://provenant.dev/attestation/gate-decision/v1",
            "https://provenant.dev/attestation/promotion/v1",
            "https://slsa.dev/provenance/v1",
        ]
    );
    assert!(
        about_image
            .iter()
            .any(|e| provenant_digest::Algorithm::Sha256.hash_bytes(e) == prov_digest)
    );
    let file = provenant_digest::Algorithm::Sha256.hash_bytes(b"v1").to_string();
    let about_file = ledger_entries(&d.join("ledger.db"), &file);
    assert_eq!(about_file.len(), 1);
    assert_eq!(
        provenant_digest::Algorithm::Sha256.hash_bytes(&about_file[0]),
        build_digest
    );
    assert!(
        provenant_evidence::roles::verify_for_role(
            &about_file[0],
            &file.parse().unwrap(),
            &roles,
            "ci",
            None
        )
        .is_ok()
    );
    let record = promotion_outcomes(d, &digest);
    assert_eq!(record, ["dev promoted"]);

    // `lineage where` answers from the ledger: the commit and the finding lead to the image.
    let by_commit = ok(
        d,
        &[
            "lineage",
            "where",
            "--commit",
            &commit,
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    assert!(by_commit.contains(&digest), "{by_commit}");
    let by_cve = ok(
        d,
        &[
            "lineage",
            "where",
            "--cve",
            "CVE-2024-0001",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    assert!(by_cve.contains(&digest), "{by_cve}");

    // A second promotion finds everything in the ledger and appends only its own record.
    let size = ledger_size(&d.join("ledger.db"));
    let report = promote_json(d, &subject, "test", "environments.yaml", 0);
    assert!(
        report["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["use"] != "appended"),
        "{report}"
    );
    assert_eq!(ledger_size(&d.join("ledger.db")), size + 1);
}

/// `just demo` on embedded defaults (OCI image-layout directories, a `SQLite` ledger), as a fresh clone
/// runs it: the whole script, ending with the governed path dev → test → uat → prod, a gate decision, a
/// skipped environment and a missing approval refused, the builder's own approval not counted, the
/// release manager's counted, and the ledger answering where the commit went.
#[test]
fn just_demo_runs_the_governed_path_on_embedded_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(std::process::Command::new("bash")
        .arg(provenant_testkit::repo_root().join("tests/harness/demo.sh"))
        .arg(env!("CARGO_BIN_EXE_provenant"))
        .env("TMPDIR", tmp.path())
        .env_remove("PROVENANT_LEDGER")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("SOURCE_DATE_EPOCH"));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    let digest = text
        .lines()
        .find_map(|l| l.strip_prefix("image: oci:dev:1.0@"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no image line:\n{text}"))
        .to_owned();
    let governed = text
        .split("## the governed path")
        .nth(1)
        .unwrap_or_else(|| panic!("no governed stage:\n{text}"));
    for expected in [
        "Decision: pass".to_owned(),
        format!("REFUSED: {digest} was not promoted into prod; nothing was copied"),
        "missing  previous-environment: the digest is not recorded as promoted into uat: environments cannot be skipped".to_owned(),
        "missing  approvals: 0 of the 1 approvals required by the role release-manager (0 more found that do not count)".to_owned(),
        format!("promoted {digest} into dev"),
        format!("promoted {digest} into test"),
        format!("promoted {digest} into uat"),
        "approval by release.pub does not count: separation of duties: the approver release.pub is the signer of the build provenance".to_owned(),
        "approval by release-manager.pub as release-manager counts".to_owned(),
        format!("promoted {digest} into prod"),
        "appended  https://provenant.dev/attestation/gate-decision/v1".to_owned(),
        "appended  https://cyclonedx.org/bom".to_owned(),
        format!("packaged in image {digest}"),
        "promoted into prod at 2023-11-14T22:13:20Z".to_owned(),
    ] {
        assert!(governed.contains(&expected), "{expected}\n{governed}");
    }
    // The change record of the prod release is printed, generated from the ledger.
    let record = text.split("## the change record").nth(1).unwrap_or_default();
    for expected in [
        "# Change record: ",
        " into prod",
        "## Artefacts",
        "## Gate decision",
    ] {
        assert!(record.contains(expected), "{expected}\n{record}");
    }
    assert!(record.contains(&digest), "{record}");
    // Nothing is left behind in the scratch directory.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// `--wait` polls the referrers as well as the ledger: an approval attached to the image while the
/// promotion waits (recorded in another ledger) releases it, and is appended to the promotion's ledger.
#[test]
fn wait_is_released_by_an_approval_attached_to_the_image_while_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    let digest = subject.rsplit_once('@').unwrap().1.to_owned();
    for env in ["dev", "test", "uat"] {
        let out = promote(d, &subject, env);
        assert_eq!(out.status.code(), Some(0), "{env}: {}", stderr(&out));
    }
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            "sqlite:elsewhere.db",
            "--origin",
            "example.com/elsewhere",
            "--output-key-prefix",
            "elsewhere",
        ],
    );
    let child = provenant()
        .current_dir(d)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000")
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .env_remove("PROVENANT_LEDGER")
        .args([
            "promote",
            &subject,
            "--env",
            "prod",
            "--environments",
            "environments.yaml",
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--wait",
            "5m",
            "--output",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    approve_to(
        d,
        &subject,
        "rm.key",
        "prod",
        &["--attach", "--ledger", "sqlite:elsewhere.db"],
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["outcome"], "promoted");
    assert_eq!(approval_verdicts(&v), ["counts"]);
    assert!(
        v["referrers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["use"] == "appended"
                && r["predicate_type"] == "https://provenant.dev/attestation/approval/v1"),
        "{v}"
    );
    let approvals = ledger_entries(&d.join("ledger.db"), &digest)
        .iter()
        .filter(|e| {
            provenant_ledger::entry::EntryKeys::from_entry(e)
                .unwrap()
                .predicate_type
                == "https://provenant.dev/attestation/approval/v1"
        })
        .count();
    assert_eq!(approvals, 1);
    assert!(d.join("prod/index.json").exists());
}
