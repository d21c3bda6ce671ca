//! The governance reports over environments: `env status` (what each environment runs, config drift,
//! unrecorded changes), `change-record` and `exceptions list`, on OCI layouts.

use std::fs;
use std::path::Path;

use crate::environments::{governed_setup, ok, p, promote};
use crate::support::{stderr, stdout};

fn status(d: &Path) -> (Option<i32>, serde_json::Value, String) {
    let json = p(
        d,
        &[
            "env",
            "status",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    let text = p(d, &["env", "status", "--ledger", "sqlite:ledger.db"]);
    assert_eq!(json.status.code(), text.status.code(), "{}", stderr(&json));
    (
        json.status.code(),
        serde_json::from_str(&stdout(&json)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&json))),
        stdout(&text),
    )
}

fn promoted(d: &Path, subject: &str, env: &str) {
    let out = promote(d, subject, env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{env}: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

/// The environments file of `governed_setup` with a configuration directory for dev.
fn with_dev_config(d: &Path) {
    let path = d.join("environments.yaml");
    let text = fs::read_to_string(&path).unwrap();
    let text = text.replacen("    # config: config/dev ", "    config: config/dev #", 1);
    assert!(text.contains("    config: config/dev #"), "{text}");
    fs::write(&path, text).unwrap();
    fs::create_dir_all(d.join("config/dev")).unwrap();
    fs::write(d.join("config/dev/app.env"), "LOG_LEVEL=info\n").unwrap();
}

#[test]
fn env_status_after_dev_and_test_promotions_names_the_digest_time_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    with_dev_config(d);
    let digest = subject.rsplit_once('@').unwrap().1.to_owned();

    // Nothing promoted yet: every environment empty, nothing drifted.
    let (code, v, text) = status(d);
    assert_eq!(code, Some(0), "{text}");
    let names: Vec<&str> = v["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev", "test", "uat", "prod"]);
    assert!(v["environments"][0]["digest"].is_null());
    assert!(text.contains("dev   nothing promoted"), "{text}");

    promoted(d, &subject, "dev");
    promoted(d, &subject, "test");
    let (code, v, text) = status(d);
    assert_eq!(code, Some(0), "{text}");
    let config = provenant_digest::digest_path(
        provenant_digest::Algorithm::Sha256,
        &d.join("config/dev"),
        &provenant_digest::NoProgress,
    )
    .unwrap()
    .digest
    .to_string();
    assert_eq!(
        v["environments"][0],
        serde_json::json!({
            "name": "dev",
            "digest": digest,
            "since": "2026-05-28T20:26:40Z",
            "approvals": [],
            "config_digest": config,
            "drift": [],
        })
    );
    assert_eq!(v["environments"][1]["digest"], digest.as_str());
    assert!(v["environments"][1]["config_digest"].is_null());
    assert!(v["environments"][2]["digest"].is_null());
    assert!(v["environments"][3]["digest"].is_null());
    assert!(
        text.contains(&format!("dev   {digest}  since 2026-05-28T20:26:40Z")),
        "{text}"
    );
    assert!(text.contains(&format!("configuration {config}")), "{text}");
    assert!(text.ends_with("no drift\n"), "{text}");
}

#[test]
fn env_status_reports_config_drift_after_the_configuration_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    with_dev_config(d);
    promoted(d, &subject, "dev");
    let (_, before, _) = status(d);
    let recorded = before["environments"][0]["config_digest"]
        .as_str()
        .unwrap()
        .to_owned();

    fs::write(d.join("config/dev/app.env"), "LOG_LEVEL=debug\n").unwrap();
    let (code, v, text) = status(d);
    assert_eq!(code, Some(1), "{text}");
    let drift = &v["environments"][0]["drift"];
    assert_eq!(drift.as_array().unwrap().len(), 1, "{drift}");
    assert_eq!(drift[0]["kind"], "config");
    assert_eq!(drift[0]["path"], "config/dev");
    assert_eq!(drift[0]["recorded"], recorded.as_str());
    assert_ne!(drift[0]["current"], recorded.as_str());
    assert!(drift[0]["current"].as_str().unwrap().starts_with("sha256:"));
    assert!(text.contains("DRIFT: configuration config/dev is now"), "{text}");
    assert!(text.ends_with("drift found\n"), "{text}");

    // Restored, the drift is gone.
    fs::write(d.join("config/dev/app.env"), "LOG_LEVEL=info\n").unwrap();
    let (code, _, text) = status(d);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn env_status_reports_an_image_copied_into_an_environment_without_promotion_as_an_unrecorded_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    promoted(d, &subject, "dev");
    promoted(d, &subject, "test");
    // Another image, copied straight into uat's layout with a tag and into test's without: no
    // promotion record accounts for either.
    let (other, other_digest) = crate::environments::image(d, "other", "v2");
    ok(
        d,
        &[
            "promote",
            &other,
            &format!("oci:{}:hotfix", d.join("uat").display()),
        ],
    );
    ok(
        d,
        &["promote", &other, &format!("oci:{}", d.join("test").display())],
    );
    // The promoted image itself, copied into uat by hand: still no promotion record into uat.
    ok(
        d,
        &["promote", &subject, &format!("oci:{}", d.join("uat").display())],
    );
    let digest = subject.rsplit_once('@').unwrap().1.to_owned();

    let (code, v, text) = status(d);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(v["environments"][0]["drift"], serde_json::json!([]));
    assert_eq!(
        v["environments"][1]["drift"],
        serde_json::json!([{"kind": "unrecorded-change", "digest": other_digest, "tags": []}])
    );
    let mut uat: Vec<serde_json::Value> = v["environments"][2]["drift"].as_array().unwrap().clone();
    uat.sort_by_key(|e| e["digest"].as_str().unwrap().to_owned());
    let mut expected = vec![
        serde_json::json!({"kind": "unrecorded-change", "digest": other_digest, "tags": ["hotfix"]}),
        serde_json::json!({"kind": "unrecorded-change", "digest": digest, "tags": []}),
    ];
    expected.sort_by_key(|e| e["digest"].as_str().unwrap().to_owned());
    assert_eq!(uat, expected);
    assert!(v["environments"][2]["digest"].is_null());
    assert!(
        text.contains(&format!(
            "UNRECORDED CHANGE: {other_digest} (tagged hotfix) is in the repository with no promotion record"
        )),
        "{text}"
    );
}

#[test]
fn env_status_lists_the_approvals_the_prod_promotion_relied_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    for env in ["dev", "test", "uat"] {
        promoted(d, &subject, env);
    }
    // One approval by the wrong role (does not count), one by the release manager (counts), attached
    // to the image: the promotion carries it into prod's layout as a referrer, which is no image of prod.
    for key in ["dev.key", "rm.key"] {
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
                key,
                "--attach",
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
    }
    promoted(d, &subject, "prod");
    let index = fs::read_to_string(d.join("prod/index.json")).unwrap();
    assert!(
        index.matches("\"digest\"").count() > 1,
        "the referrers were carried: {index}"
    );
    let (code, v, text) = status(d);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(v["environments"][3]["drift"], serde_json::json!([]));
    let public = provenant_keys::PublicKey::from_pem(&fs::read_to_string(d.join("rm.pub")).unwrap()).unwrap();
    let rm = provenant_digest::Algorithm::Sha256
        .hash_bytes(public.spki_der())
        .to_string();
    assert_eq!(
        v["environments"][3]["approvals"],
        serde_json::json!([{"identity": rm, "role": "release-manager", "timestamp": "2026-05-28T20:26:40Z"}])
    );
    assert!(
        text.contains(&format!("approved by {rm} as release-manager")),
        "{text}"
    );
}

#[test]
fn env_status_refuses_a_missing_environments_file_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(
        dir.path(),
        &[
            "env",
            "status",
            "--environments",
            "nope.yaml",
            "--ledger",
            "sqlite:ledger.db",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("nope.yaml"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

/// A gate decision about `digest` whose sast gate logged `exceptions`, signed with `key` and appended
/// to the ledger.
fn decision_with_exceptions(d: &Path, key: &str, digest: &str, exceptions: &serde_json::Value, out: &str) {
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://provenant.dev/attestation/gate-decision/v1",
        "predicate": {
            "decision": "pass",
            "gates": [
                {"id": "tests", "status": "pass", "value": 100.0, "threshold": 100.0, "findings": [], "exceptions": []},
                {"id": "sast", "status": "pass", "value": 0.0, "threshold": 0.0, "findings": [], "exceptions": exceptions}
            ],
            "backlog": [],
            "evidence": [],
            "policy": [{"kind": "platform", "path": "default", "digest": format!("sha256:{}", "0".repeat(64))}],
            "evaluatedAt": "2026-05-28T19:00:00Z",
            "evaluator": {"name": "provenant", "version": "0.1.0"}
        }
    });
    crate::environments::sign_statement_file(d, key, &statement, out);
    crate::environments::ledger_append(d, out);
}

fn logged(finding: &str, expires: &str, status: &str, reason: Option<&str>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "file": format!("{finding}.json"),
        "finding": finding,
        "owner": "dev@example.com",
        "rationale": format!("{finding} is not reachable"),
        "expires": expires,
        "role": "security-lead",
        "approver": "sec.pub",
        "status": status,
    });
    if let Some(r) = reason {
        v["reason"] = serde_json::json!(r);
    }
    v
}

#[test]
#[allow(clippy::too_many_lines)] // one ledger, read with each filter, top to bottom
fn exceptions_list_reads_every_exception_from_the_ledger_active_and_expired() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subject = governed_setup(d);
    let digest = subject.rsplit_once('@').unwrap().1.to_owned();
    // SOURCE_DATE_EPOCH is 2026-05-28: one exception runs to the end of June, one ran out in January
    // (and was refused for it), one expires on the day itself and is still in force.
    decision_with_exceptions(
        d,
        "ci.key",
        &digest,
        &serde_json::json!([
            logged("python-eval@calc.py:12", "2026-06-30", "applied", None),
            logged(
                "sql@db.py:3",
                "2026-01-31",
                "refused",
                Some("expired on 2026-01-31")
            ),
        ]),
        "decision1.json",
    );
    decision_with_exceptions(
        d,
        "ci.key",
        &digest,
        &serde_json::json!([logged("xss@view.py:9", "2026-05-28", "applied", None)]),
        "decision2.json",
    );
    // A decision signed by someone outside ci.
    decision_with_exceptions(
        d,
        "dev.key",
        &digest,
        &serde_json::json!([logged("forged@x.py:1", "2027-01-01", "applied", None)]),
        "forged.json",
    );
    let list = |extra: &[&str]| {
        let mut args = vec![
            "exceptions",
            "list",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = p(d, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    let findings = |v: &serde_json::Value| -> Vec<String> {
        v["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["finding"].as_str().unwrap().to_owned())
            .collect()
    };

    let all = list(&["--roles", "roles.yaml"]);
    assert_eq!(
        findings(&all),
        ["python-eval@calc.py:12", "sql@db.py:3", "xss@view.py:9"]
    );
    assert_eq!(all["verified"], true);
    assert_eq!(all["unverified_decisions"], 1);
    let first = &all["exceptions"][0];
    let decision_digest = provenant_digest::Algorithm::Sha256
        .hash_bytes(&fs::read(d.join("decision1.json")).unwrap())
        .to_string();
    for (field, value) in [
        ("owner", "dev@example.com"),
        ("rationale", "python-eval@calc.py:12 is not reachable"),
        ("expires", "2026-06-30"),
        ("approver", "sec.pub"),
        ("gate", "sast"),
        ("status", "used"),
        ("decision", decision_digest.as_str()),
        ("subject", digest.as_str()),
        ("evaluated_at", "2026-05-28T19:00:00Z"),
    ] {
        assert_eq!(first[field], value, "{field}: {first}");
    }
    assert!(first["reason"].is_null());
    assert_eq!(all["exceptions"][1]["status"], "refused");
    assert_eq!(all["exceptions"][1]["reason"], "expired on 2026-01-31");

    assert_eq!(
        findings(&list(&["--roles", "roles.yaml", "--active"])),
        ["python-eval@calc.py:12", "xss@view.py:9"]
    );
    assert_eq!(
        findings(&list(&["--roles", "roles.yaml", "--expired"])),
        ["sql@db.py:3"]
    );
    // Without a roles file every decision is read, and the output says none was verified.
    let unverified = list(&[]);
    assert_eq!(unverified["verified"], false);
    assert_eq!(findings(&unverified).len(), 4);

    // The text form, and --active with --expired refused as a usage error.
    let text = stdout(&p(
        d,
        &[
            "exceptions",
            "list",
            "--ledger",
            "sqlite:ledger.db",
            "--roles",
            "roles.yaml",
            "--expired",
        ],
    ));
    assert!(
        text.contains("REFUSED  sql@db.py:3.json  sql@db.py:3 (gate sast), owner dev@example.com, expires 2026-01-31 (expired)"),
        "{text}"
    );
    assert!(text.contains("refused: expired on 2026-01-31"), "{text}");
    let both = p(
        d,
        &[
            "exceptions",
            "list",
            "--ledger",
            "sqlite:ledger.db",
            "--active",
            "--expired",
        ],
    );
    assert_eq!(both.status.code(), Some(2));
}

/// Signs `statement` with ci's key and appends it to the ledger.
fn ci_appends(d: &Path, statement: &serde_json::Value, out: &str) {
    crate::environments::sign_statement_file(d, "ci.key", statement, out);
    crate::environments::ledger_append(d, out);
}

fn about(digest: &str, predicate_type: &str, predicate: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

/// Build provenance naming the source commit `commit`, and a `CycloneDX` SBOM with `packages`, signed
/// by ci and appended to the ledger.
fn build_evidence(d: &Path, digest: &str, commit: &str, packages: &[(&str, &str)], tag: &str) {
    for (statement, out) in build_statements(digest, commit, packages, tag) {
        ci_appends(d, &statement, &out);
    }
}

/// The statements of [`build_evidence`], with the file each bundle is written to.
fn build_statements(
    digest: &str,
    commit: &str,
    packages: &[(&str, &str)],
    tag: &str,
) -> Vec<(serde_json::Value, String)> {
    let provenance = (
        about(
            digest,
            "https://slsa.dev/provenance/v1",
            &serde_json::json!({
                "buildDefinition": {
                    "buildType": "https://provenant.dev/build/v1",
                    "externalParameters": {},
                    "resolvedDependencies": [
                        {"uri": "git+https://git.example.com/app", "digest": {"gitCommit": commit}}
                    ]
                },
                "runDetails": {"builder": {"id": "https://ci.example.com/builder"}}
            }),
        ),
        format!("slsa-{tag}.json"),
    );
    let components: Vec<serde_json::Value> = packages
        .iter()
        .map(|(name, version)| {
            serde_json::json!({"type": "library", "name": name, "version": version,
                "purl": format!("pkg:pypi/{name}@{version}"), "bom-ref": format!("pkg:pypi/{name}@{version}")})
        })
        .collect();
    let sbom = (
        about(
            digest,
            "https://cyclonedx.org/bom",
            &serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                "metadata": {"timestamp": "2026-05-28T00:00:00Z"}, "components": components}),
        ),
        format!("sbom-{tag}.json"),
    );
    vec![provenance, sbom]
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
#[allow(clippy::too_many_lines)] // one release, from its evidence to its change record
fn change_record_is_canonical_json_from_the_ledger_and_its_digest_is_in_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v1 = governed_setup(d);
    let v1_digest = v1.rsplit_once('@').unwrap().1.to_owned();
    promoted(d, &v1, "dev");
    promoted(d, &v1, "test");
    // test now plans canary deployments in a weekday window.
    let path = d.join("environments.yaml");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen("    trigger: on-merge\n", "    trigger: on-merge\n    strategy: canary\n", 1)
        .replacen(
            "  - name: uat\n",
            "      change_windows:\n        - days: [mon, tue, wed, thu]\n          start: \"09:00\"\n          end: \"16:00\"\n  - name: uat\n",
            1,
        );
    fs::write(&path, text).unwrap();

    // The source: three Conventional Commits; v1 was built from the first, v2 from the last.
    let repo = d.join("src");
    fs::create_dir_all(&repo).unwrap();
    provenant_testkit::git_fixed(&repo, &["init", "-q", "-b", "main", "."]);
    for (file, message) in [
        ("a", "feat: first endpoint"),
        ("b", "fix(api): handle empty input"),
        ("c", "feat!: drop the v0 endpoint"),
    ] {
        fs::write(repo.join(file), message).unwrap();
        provenant_testkit::git_fixed(&repo, &["add", "-A"]);
        provenant_testkit::git_fixed(&repo, &["commit", "-qm", message]);
    }
    let first = git_out(&repo, &["rev-parse", "HEAD~2"]);
    let last = git_out(&repo, &["rev-parse", "HEAD"]);

    let (v2, v2_digest) = crate::environments::image(d, "build2", "v2");
    build_evidence(
        d,
        &v1_digest,
        &first,
        &[("six", "1.16.0"), ("attrs", "23.1.0")],
        "v1",
    );
    build_evidence(d, &v2_digest, &last, &[("six", "1.17.0"), ("idna", "3.7")], "v2");
    ci_appends(
        d,
        &about(
            &v2_digest,
            "https://provenant.dev/attestation/gate-decision/v1",
            &serde_json::json!({
                "decision": "pass",
                "gates": [{"id": "dependencies", "status": "pass", "value": 0.0, "threshold": 0.0,
                    "findings": [{"id": "CVE-2024-3651@idna", "severity": "high", "rule": "CVE-2024-3651",
                        "location": "idna@3.7", "message": "quadratic encode",
                        "exception": {"source": "exception", "status": "applied", "owner": "dev@example.com", "expires": "2026-06-30"}}],
                    "exceptions": [logged("CVE-2024-3651@idna", "2026-06-30", "applied", None)]}],
                "backlog": [], "evidence": [],
                "policy": [{"kind": "platform", "path": "default", "digest": format!("sha256:{}", "0".repeat(64))}],
                "evaluatedAt": "2026-05-28T19:30:00Z",
                "evaluator": {"name": "provenant", "version": "0.1.0"}
            }),
        ),
        "gate-v2.json",
    );
    for env in ["test", "prod"] {
        ok(
            d,
            &[
                "approve",
                &v2,
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
    }

    let record = |extra: &[&str]| {
        let mut args = vec![
            "change-record",
            v2.as_str(),
            "--env",
            "test",
            "--ledger",
            "sqlite:ledger.db",
            "--repo",
            "src",
        ];
        args.extend_from_slice(extra);
        let out = p(d, &args);
        assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
        out.stdout
    };
    let bytes = record(&["--output", "json"]);
    // Canonical: the same bytes on a rerun, and exactly the RFC 8785 form of what they say.
    assert_eq!(bytes, record(&["--output", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json_canonicalizer::to_vec(&v).unwrap(), bytes);

    assert_eq!(v["environment"], "test");
    assert_eq!(v["digest"], v2_digest.as_str());
    assert_eq!(v["rollback_target"]["digest"], v1_digest.as_str());
    assert_eq!(v["rollback_target"]["since"], "2026-05-28T20:26:40Z");
    assert_eq!(
        v["commits"],
        serde_json::json!({"from": first, "to": last, "repository": "git+https://git.example.com/app"})
    );
    let changelog = &v["changelog"];
    assert_eq!(
        changelog["breaking"][0]["text"], "drop the v0 endpoint",
        "{changelog}"
    );
    let sections: Vec<&str> = changelog["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["feat", "fix"], "{changelog}");
    assert_eq!(changelog["sections"][1]["items"][0]["scope"], "api");
    assert!(
        v["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["digest"] == v2_digest.as_str()),
        "{}",
        v["artefacts"]
    );
    let purls = |key: &str| -> Vec<String> {
        v["sbom"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["purl"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(purls("added"), ["pkg:pypi/idna@3.7"]);
    assert_eq!(purls("removed"), ["pkg:pypi/attrs@23.1.0"]);
    assert_eq!(v["sbom"]["upgraded"][0]["package"], "pkg:pypi/six");
    assert_eq!(v["sbom"]["upgraded"][0]["after"]["version"], "1.17.0");
    assert_eq!(v["gate"]["decision"], "pass");
    assert_eq!(v["gate"]["exceptions"][0]["owner"], "dev@example.com");
    assert_eq!(v["gate"]["exceptions"][0]["status"], "used");
    assert_eq!(v["vulnerabilities"][0]["id"], "CVE-2024-3651");
    assert_eq!(v["vulnerabilities"][0]["exception"], "applied");
    let approvals = v["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "only the approval for test: {approvals:?}");
    assert_eq!(approvals[0]["role"], "release-manager");
    assert_eq!(
        v["deployment"],
        serde_json::json!({"strategy": "canary", "windows": ["mon,tue,wed,thu 09:00-16:00 UTC"]})
    );

    // Its digest is in the ledger: a change-record/v1 statement about the image whose predicate, in
    // its canonical form, is the record.
    let digest = provenant_digest::Algorithm::Sha256.hash_bytes(&bytes);
    let store = provenant_ledger_store::open(
        &provenant_ledger_store::Location::parse(&format!("sqlite:{}", d.join("ledger.db").display()))
            .unwrap(),
    )
    .unwrap();
    let indexes = store
        .query(&provenant_ledger_store::Query {
            subject: Some(v2_digest.clone()),
            predicate_type: Some("https://provenant.dev/attestation/change-record/v1".to_owned()),
            ..provenant_ledger_store::Query::default()
        })
        .unwrap();
    assert_eq!(indexes.len(), 2, "one entry per run");
    for index in indexes {
        let entry: serde_json::Value =
            serde_json::from_slice(&store.entry(index).unwrap().content.unwrap()).unwrap();
        let recorded = serde_json_canonicalizer::to_vec(&entry["predicate"]).unwrap();
        assert_eq!(provenant_digest::Algorithm::Sha256.hash_bytes(&recorded), digest);
    }

    // Markdown for a person.
    let md = String::from_utf8(record(&["--format", "markdown"])).unwrap();
    for line in [
        format!("# Change record: {v2_digest} into test"),
        format!("Change digest: `{digest}`"),
        format!("`{v1_digest}`, in test since 2026-05-28T20:26:40Z"),
        "- **BREAKING** drop the v0 endpoint".to_owned(),
        "- **api:** handle empty input".to_owned(),
        "- upgraded `pkg:pypi/six` 1.16.0 → 1.17.0".to_owned(),
        "- CVE-2024-3651 (high, dependencies) exception applied: quadratic encode".to_owned(),
        "Strategy: canary".to_owned(),
        "Window: mon,tue,wed,thu 09:00-16:00 UTC".to_owned(),
    ] {
        assert!(md.contains(&line), "{line}\n{md}");
    }
    // JSON and Markdown at once is a usage error.
    let both = p(
        d,
        &[
            "change-record",
            &v2,
            "--env",
            "test",
            "--ledger",
            "sqlite:ledger.db",
            "--format",
            "markdown",
            "--output",
            "json",
        ],
    );
    assert_eq!(both.status.code(), Some(2));
}

/// The image's provenance, SBOM and gate decision only attached to it as referrers (none in the
/// ledger): `change-record` reads them there, verified for a role, appends them to the ledger, and
/// leaves out an SBOM signed by no holder of any role.
#[test]
#[allow(clippy::too_many_lines)] // one story: evidence attached, recorded, then found in the ledger
fn change_record_reads_evidence_attached_only_as_referrers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v1 = governed_setup(d);
    crate::environments::key(d, "mallory");
    let v1_digest = v1.rsplit_once('@').unwrap().1.to_owned();
    promoted(d, &v1, "dev");
    promoted(d, &v1, "test");
    let (from, to) = ("1".repeat(40), "2".repeat(40));
    build_evidence(
        d,
        &v1_digest,
        &from,
        &[("six", "1.16.0"), ("attrs", "23.1.0")],
        "v1",
    );

    let (v2, v2_digest) = crate::environments::image(d, "build2", "v2");
    let attach = |statement: &serde_json::Value, key: &str, out: &str| {
        crate::environments::sign_statement_file(d, key, statement, out);
        ok(d, &["oci", "attach", &v2, "--bundle", out]);
    };
    for (statement, out) in build_statements(&v2_digest, &to, &[("six", "1.17.0"), ("idna", "3.7")], "v2") {
        attach(&statement, "ci.key", &out);
    }
    let gate = about(
        &v2_digest,
        "https://provenant.dev/attestation/gate-decision/v1",
        &serde_json::json!({"decision": "pass", "gates": [], "evaluatedAt": "2026-05-28T19:30:00Z"}),
    );
    attach(&gate, "ci.key", "gate-v2.json");
    // A newer SBOM signed by someone who holds no role: not used.
    let (forged, _) = build_statements(&v2_digest, &to, &[("evil", "6.6.6")], "forged")
        .into_iter()
        .nth(1)
        .unwrap();
    attach(&forged, "mallory.key", "sbom-forged.json");
    let in_ledger = |predicate_type: &str| {
        crate::environments::ledger_entries(&d.join("ledger.db"), &v2_digest)
            .iter()
            .filter(|e| {
                let entry: serde_json::Value = serde_json::from_slice(e).unwrap();
                // A bundle's statement is its DSSE payload; the change record is a bare statement.
                let statement = match entry["dsseEnvelope"]["payload"].as_str() {
                    Some(payload) => serde_json::from_slice(&crate::support::base64_decode(payload)).unwrap(),
                    None => entry,
                };
                statement["predicateType"] == predicate_type
            })
            .count()
    };
    assert_eq!(in_ledger("https://cyclonedx.org/bom"), 0);

    let out = p(
        d,
        &[
            "change-record",
            &v2,
            "--env",
            "test",
            "--ledger",
            "sqlite:ledger.db",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["commits"]["from"], from.as_str());
    assert_eq!(v["commits"]["to"], to.as_str(), "from the attached provenance");
    let purls = |key: &str| -> Vec<String> {
        v["sbom"][key]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|e| e["purl"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        purls("added"),
        ["pkg:pypi/idna@3.7"],
        "the verified SBOM, not the forged one"
    );
    assert_eq!(purls("removed"), ["pkg:pypi/attrs@23.1.0"]);
    assert_eq!(v["sbom"]["upgraded"][0]["package"], "pkg:pypi/six");
    let gate_digest =
        provenant_digest::Algorithm::Sha256.hash_bytes(&fs::read(d.join("gate-v2.json")).unwrap());
    assert_eq!(v["gate"]["decision"], "pass");
    assert_eq!(v["gate"]["digest"], gate_digest.to_string().as_str());
    let err = stderr(&out);
    assert!(
        err.contains("referrers: 4 signed bundle(s) attached, 3 appended to the ledger"),
        "{err}"
    );
    assert!(err.contains("not used  https://cyclonedx.org/bom"), "{err}");
    assert!(err.contains("signed by no holder of any role"), "{err}");
    // What verified is in the ledger now, once; the forged SBOM is not.
    assert_eq!(in_ledger("https://cyclonedx.org/bom"), 1);
    assert_eq!(in_ledger("https://slsa.dev/provenance/v1"), 1);
    assert_eq!(in_ledger("https://provenant.dev/attestation/gate-decision/v1"), 1);
    // A second run finds them in the ledger and appends nothing.
    let again = p(
        d,
        &[
            "change-record",
            &v2,
            "--env",
            "test",
            "--ledger",
            "sqlite:ledger.db",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("referrers: 4 signed bundle(s) attached, 0 appended to the ledger"),
        "{}",
        stderr(&again)
    );
    assert_eq!(in_ledger("https://cyclonedx.org/bom"), 1);
}

/// `change-record` takes its image by digest through the shared IMAGE@DIGEST parser: a tag alone, or no
/// image reference at all, is a usage error (exit 2) before any ledger is opened.
#[test]
fn change_record_refuses_a_tag_or_a_bad_reference_as_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (image, words) in [
        (
            "registry.example.com/prod/app:1.0",
            "names no digest: give the image by digest",
        ),
        ("Not An Image!", "is not an image reference"),
    ] {
        let out = p(
            d,
            &[
                "change-record",
                image,
                "--env",
                "test",
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert!(stderr(&out).contains(words), "{}", stderr(&out));
        assert!(stderr(&out).contains("<IMAGE@DIGEST>"), "{}", stderr(&out));
        assert!(!d.join("ledger.db").exists());
    }
}
