//! Environments and approvals: `env init` (the platform default, refused templates, errors with line and
//! column), and the governed promotion path through the environments.

use std::fs;
use std::path::Path;

use crate::support::{provenant, run, stderr, stdout};

pub(crate) fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000") // 2026-05-28
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("PROVENANT_TRUSTED_ROOT")
        .env_remove("PROVENANT_LEDGER")
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
    let out = p(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
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
    for k in ["ci", "rm", "dev"] {
        key(d, k);
    }
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub]\n  developer:\n    keys: [dev.pub]\n",
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

    // Built and packaged by ci: the packaging provenance goes to the ledger.
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
    let subject = format!("{build}@{digest}");
    let hex = digest.strip_prefix("sha256:").unwrap();

    // Before the provenance is in the ledger, dev refuses the entry.
    assert_eq!(refused(d, &subject, "dev"), ["entry"]);
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
            "predicate": {"decision": verdict, "evaluatedAt": at}
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

/// Keys ci, rm and dev with their roles, a ledger, the default environments over OCI layouts, an image
/// built and packaged by ci with its provenance and a passing gate decision in the ledger. Returns
/// the image as `oci:DIR@DIGEST`.
pub(crate) fn governed_setup(d: &Path) -> String {
    for k in ["ci", "rm", "dev"] {
        key(d, k);
    }
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub]\n  developer:\n    keys: [dev.pub]\n",
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
    ledger_append(d, "prov.json");
    let decision = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {"decision": "pass", "evaluatedAt": "2026-05-28T20:00:00Z"}
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
