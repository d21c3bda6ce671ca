//! `provenant gate`: policy init, evaluate (text, JSON, SARIF valid against the SARIF 2.1.0 schema),
//! exceptions signed with `gate exception create` and refused when tampered or out of role, the signed
//! decision checked by `verify-attestation --type` and in-toto's validator, the test-result statement,
//! the backlog, the notify POST, and bad input (exit 2 naming the file, line, key and range).

use std::fs;
use std::io::{BufRead as _, Read as _, Write as _};
use std::path::Path;

use crate::support::{provenant, run, stderr, stdout};

const DECISION: &str = "https://provenant.dev/attestation/gate-decision/v1";

fn p(dir: &Path, args: &[&str]) -> std::process::Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000") // 2026-05-28
        .args(args))
}

/// A project's evidence: passing tests, 80% coverage, gitleaks and OSV clean, empty lint, hygiene and
/// pinning runs, and a semgrep run with one high finding (python-eval at calc.py:12) and one note.
pub(crate) fn project(dir: &Path) {
    let ev = dir.join("evidence");
    fs::create_dir_all(&ev).unwrap();
    fs::write(
        ev.join("junit.xml"),
        "<testsuites><testsuite name=\"s\"><testcase classname=\"t\" name=\"a\"/><testcase classname=\"t\" name=\"b\"/></testsuite></testsuites>",
    )
    .unwrap();
    fs::write(
        ev.join("lcov.info"),
        "SF:calc.py\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nDA:5,0\nend_of_record\n",
    )
    .unwrap();
    fs::write(ev.join("gitleaks.json"), "[]").unwrap();
    fs::write(ev.join("osv.json"), r#"{"results": []}"#).unwrap();
    let run_of = |tool: &str, results: serde_json::Value| {
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": tool, "rules": [
            {"id": "python-eval", "defaultConfiguration": {"level": "error"}},
            {"id": "style", "defaultConfiguration": {"level": "note"}}]}}, "results": results}]})
    };
    for (file, tool) in [
        ("lint.sarif", "ruff"),
        ("hygiene.sarif", "provenant scan hygiene"),
        ("pinning.sarif", "provenant scan pinning"),
    ] {
        fs::write(ev.join(file), run_of(tool, serde_json::json!([])).to_string()).unwrap();
    }
    let results = serde_json::json!([
        {"ruleId": "python-eval", "message": {"text": "eval of outside input"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "calc.py"}, "region": {"startLine": 12}}}]},
        {"ruleId": "style", "message": {"text": "prefer returning"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "calc.py"}, "region": {"startLine": 7}}}]}
    ]);
    fs::write(
        ev.join("semgrep.sarif"),
        run_of("Semgrep OSS", results).to_string(),
    )
    .unwrap();
    fs::write(dir.join("artefact.bin"), b"the artefact\n").unwrap();
}

fn keypair(dir: &Path, prefix: &str) {
    let out = p(dir, &["keys", "generate", "--output-key-prefix", prefix]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn gate_blocks_on_a_high_finding_and_passes_with_a_signed_exception() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    keypair(t.path(), "sec");
    keypair(t.path(), "stranger");
    fs::write(
        t.path().join("roles.yaml"),
        "roles:\n  security-lead:\n    keys: [sec.pub]\n",
    )
    .unwrap();

    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--output",
            "json",
            "--backlog",
            "backlog.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let d = json_of(&out);
    assert_eq!(d["decision"], "block");
    let sast = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "sast")
        .unwrap();
    assert_eq!(sast["status"], "block");
    let finding = &sast["findings"][0];
    assert_eq!(
        (finding["severity"].as_str(), finding["location"].as_str()),
        (Some("high"), Some("calc.py:12"))
    );
    let id = finding["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("python-eval@"));
    // The note went to the backlog file, one JSON object per line.
    let backlog = fs::read_to_string(t.path().join("backlog.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = backlog
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0]["rule"].as_str(), lines[0]["severity"].as_str()),
        (Some("style"), Some("low"))
    );
    assert_eq!(d["evidence"].as_array().unwrap().len(), 8);

    // The text table names the finding and the exception it would need.
    let out = p(t.path(), &["gate", "evaluate", "--evidence", "evidence"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("sast high calc.py:12 python-eval: eval of outside input"),
        "{text}"
    );
    assert!(
        text.contains(&format!("exception would need: --finding {id}")),
        "{text}"
    );
    assert!(text.ends_with("Decision: BLOCK\n"), "{text}");

    // `gate exception create` for the finding, signed with `key` into `file`; `before` goes before `gate`
    // (global options), `after` after the command's own.
    let create = |before: &[&str], key: &str, file: &str, after: &[&str]| {
        let own: [&str; 17] = [
            "gate",
            "exception",
            "create",
            "--finding",
            &id,
            "--owner",
            "dev@example.com",
            "--rationale",
            "input is a constant",
            "--expires",
            "2026-06-30",
            "--role",
            "security-lead",
            "--key",
            key,
            "-o",
            file,
        ];
        p(t.path(), &[before, &own[..], after].concat())
    };
    // A signed exception from the role's holder lets it pass; the stranger's is refused.
    for (key, file) in [("sec.key", "exc.json"), ("stranger.key", "bad.json")] {
        let out = create(&[], key, file, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        // The text form: one line naming the file, the finding, the expiry and the role.
        assert_eq!(
            stdout(&out),
            format!("Wrote {file} (exception for {id} until 2026-06-30, signed as security-lead)\n")
        );
    }
    // With --output json: the file written, the finding, its owner, the expiry and the role.
    let out = create(&[], "sec.key", "exc-json.json", &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json_of(&out),
        serde_json::json!({
            "exception": "exc-json.json",
            "finding": id,
            "owner": "dev@example.com",
            "expires": "2026-06-30",
            "role": "security-lead",
        })
    );
    assert!(t.path().join("exc-json.json").is_file());
    // The global `--output json`, given before `gate`, reports the same.
    let out = create(&["--output", "json"], "sec.key", "exc-global.json", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_of(&out)["exception"], "exc-global.json");
    assert_eq!(json_of(&out)["owner"], "dev@example.com");
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--roles",
            "roles.yaml",
            "--exceptions",
            "exc.json",
            "bad.json",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let d = json_of(&out);
    assert_eq!(d["decision"], "pass");
    let sast = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "sast")
        .unwrap();
    let log = sast["exceptions"].as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0]["status"].as_str(), log[0]["approver"].as_str()),
        (Some("applied"), Some("sec.pub"))
    );
    assert_eq!(log[1]["status"], "refused");
    assert!(
        log[1]["reason"]
            .as_str()
            .unwrap()
            .contains("not signed by a holder of role security-lead")
    );
    assert_eq!(sast["findings"][0]["exception"]["owner"], "dev@example.com");

    // After its expiry the exception is refused (SOURCE_DATE_EPOCH 2026-07-01).
    let out = run(provenant()
        .current_dir(t.path())
        .env("SOURCE_DATE_EPOCH", "1782864000")
        .args([
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--roles",
            "roles.yaml",
            "--exceptions",
            "exc.json",
            "--output",
            "json",
        ]));
    assert_eq!(out.status.code(), Some(1));
    let d = json_of(&out);
    let sast = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "sast")
        .unwrap();
    assert_eq!(sast["exceptions"][0]["reason"], "expired on 2026-06-30");
}

#[test]
fn gate_policy_init_reports_in_json_with_the_policys_digest() {
    let t = tempfile::tempdir().unwrap();
    let text = p(t.path(), &["gate", "policy", "init"]);
    assert!(text.status.success(), "{}", stderr(&text));
    let digest = provenant_digest::Algorithm::Sha256
        .hash_bytes(&text.stdout)
        .to_string();
    // To standard output: the policy in `content`, as the text form prints it.
    let out = p(t.path(), &["gate", "policy", "init", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["file"], serde_json::Value::Null);
    assert_eq!(report["content"].as_str().unwrap().as_bytes(), text.stdout);
    assert_eq!(report["digest"], digest.as_str());
    // To a file, with the global --output before `gate`: the file and its digest.
    let out = p(
        t.path(),
        &["--output", "json", "gate", "policy", "init", "-o", "policy.yaml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["file"], "policy.yaml");
    assert_eq!(report["digest"], digest.as_str());
    assert_eq!(fs::read(t.path().join("policy.yaml")).unwrap(), text.stdout);
    // Text names the file and the digest.
    let out = p(t.path(), &["gate", "policy", "init", "-o", "again.yaml"]);
    assert_eq!(stdout(&out), format!("wrote again.yaml ({digest})\n"));
}

#[test]
fn gate_exception_scope_digest_is_checked_when_the_arguments_are_parsed() {
    let t = tempfile::tempdir().unwrap();
    let out = p(
        t.path(),
        &[
            "gate",
            "exception",
            "create",
            "--finding",
            "f",
            "--owner",
            "a@example.com",
            "--rationale",
            "r",
            "--expires",
            "2030-01-01",
            "--role",
            "security-lead",
            "--key",
            "none.key",
            "-o",
            "ex.json",
            "--digest",
            "sha256:not-hex",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sha256:not-hex is not a digest (sha256:HEX)"),
        "{}",
        stderr(&out)
    );
    assert!(!t.path().join("ex.json").exists());
}

#[test]
fn gate_sarif_output_is_valid_sarif_2_1_0() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    let out = p(
        t.path(),
        &["gate", "evaluate", "--evidence", "evidence", "--output", "sarif"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    fs::write(t.path().join("decision.sarif"), &out.stdout).unwrap();
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["runs"].as_array().unwrap().len(), 9, "one run per gate");
    let schema = provenant_testkit::vectors_dir().join("sarif/sarif-schema-2.1.0.json");
    let check = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    let v = run(std::process::Command::new(check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(t.path().join("decision.sarif")));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn gate_decision_is_signed_verified_by_type_and_valid_in_toto() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    keypair(t.path(), "gate");
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--subject",
            "artefact.bin",
            "--bundle",
            "decision.json",
            "--key",
            "gate.key",
            "--test-result",
            "tests.json",
            "--output",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a blocking decision is signed too: {}",
        stderr(&out)
    );
    let verify = |bundle: &str, kind: &str| {
        p(
            t.path(),
            &[
                "verify-attestation",
                "artefact.bin",
                "--bundle",
                bundle,
                "--key",
                "gate.pub",
                "--insecure-ignore-tlog",
                "--type",
                kind,
                "--output",
                "json",
            ],
        )
    };
    let ok = verify("decision.json", DECISION);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    provenant_testkit::validate_statement(&t.path().join("decision.json"));
    provenant_testkit::validate_statement(&t.path().join("tests.json"));
    let ok = verify("tests.json", "https://in-toto.io/attestation/test-result/v0.1");
    assert!(ok.status.success(), "{}", stderr(&ok));

    // The statement: subject the artefact, every evidence digest, the policy digest; and its schema.
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(t.path().join("decision.json")).unwrap()).unwrap();
    let payload = crate::support::base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let sha = |b: &[u8]| {
        use std::process::Stdio;
        let mut c = std::process::Command::new("sha256sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(b).unwrap();
        String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()[..64].to_owned()
    };
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        sha(b"the artefact\n")
    );
    let junit = fs::read(t.path().join("evidence/junit.xml")).unwrap();
    let listed = statement["predicate"]["evidence"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e["digest"] == format!("sha256:{}", sha(&junit))),
        "{listed:?}"
    );
    assert_eq!(statement["predicate"]["policy"][0]["kind"], "platform");
    assert_eq!(statement["predicate"]["decision"], "block");
    assert_eq!(statement["predicate"]["evaluatedAt"], "2026-05-28T20:26:40Z");
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(provenant_testkit::repo_root().join("schemas/gate-decision-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    fs::write(t.path().join("statement.json"), &payload).unwrap();
    let check = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    fs::write(t.path().join("schema.json"), schema.to_string()).unwrap();
    let v = run(std::process::Command::new(check)
        .arg("--schemafile")
        .arg(t.path().join("schema.json"))
        .arg(t.path().join("statement.json")));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));

    // Tampered: another decision in the payload fails the signature check; the wrong type is refused.
    let forged = String::from_utf8(payload.clone())
        .unwrap()
        .replace("\"block\"", "\"pass\"");
    let mut tampered = bundle.clone();
    tampered["dsseEnvelope"]["payload"] = crate::support::base64_encode(forged.as_bytes()).into();
    fs::write(t.path().join("tampered.json"), tampered.to_string()).unwrap();
    let bad = verify("tampered.json", DECISION);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("signature"), "{}", stdout(&bad));
    let wrong = verify("decision.json", "https://slsa.dev/provenance/v1");
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
}

#[test]
fn gate_bad_input_is_exit_2_naming_file_line_key_and_range() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    fs::write(
        t.path().join("broken.sarif"),
        "{\"version\": \"2.1.0\",\n \"runs\": [}\n",
    )
    .unwrap();
    let out = p(
        t.path(),
        &["gate", "evaluate", "--evidence", "evidence", "broken.sarif"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("broken.sarif: line 2, column"),
        "{}",
        stderr(&out)
    );
    fs::write(t.path().join("notes.txt"), "hello").unwrap();
    let out = p(t.path(), &["gate", "evaluate", "--evidence", "notes.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("notes.txt: not a recognised evidence format"),
        "{}",
        stderr(&out)
    );
    fs::write(
        t.path().join("team.yaml"),
        "version: 1\ngates:\n  coverage:\n    min_line_rate: 60\n",
    )
    .unwrap();
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--team-config",
            "team.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "team.yaml: gates.coverage.min_line_rate = 60 is outside the platform's allowed range 80–100"
        ),
        "{}",
        stderr(&out)
    );
    // policy init writes the default; a broken copy names line and column.
    let out = p(t.path(), &["gate", "policy", "init", "-o", "policy.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--policy",
            "policy.yaml",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = fs::read_to_string(t.path().join("policy.yaml"))
        .unwrap()
        .replace("allow_secrets: false", "allow_secrets: [false");
    fs::write(t.path().join("policy.yaml"), text).unwrap();
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--policy",
            "policy.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("policy.yaml: line "), "{}", stderr(&out));
}

#[test]
fn gate_team_rules_in_rego_and_a_critical_notification() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    fs::write(
        t.path().join("evidence/gitleaks.json"),
        r#"[{"RuleID": "aws-access-token", "File": "deploy.env", "StartLine": 4, "Description": "AWS", "Secret": "REDACTED"}]"#,
    )
    .unwrap();
    fs::write(
        t.path().join("team.yaml"),
        "version: 1\ngates:\n  coverage:\n    min_line_rate: 80\nrules:\n  - id: max-findings\n    rego: rules/findings.rego\n",
    )
    .unwrap();
    fs::create_dir_all(t.path().join("rules")).unwrap();
    fs::write(
        t.path().join("rules/findings.rego"),
        "package team.findings\n\nimport rego.v1\n\ndeny contains msg if {\n    count(input.findings) > 2\n    msg := sprintf(\"%d findings\", [count(input.findings)])\n}\n",
    )
    .unwrap();
    // A one-request HTTP server on loopback records the POST.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .unwrap();
        body
    });
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--team-config",
            "team.yaml",
            "--subject",
            "artefact.bin",
            "--notify",
            &url,
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json_of(&out);
    let custom = d["gates"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (custom["id"].as_str(), custom["status"].as_str()),
        (Some("max-findings"), Some("block"))
    );
    assert_eq!(custom["findings"][0]["message"], "3 findings");
    let body: serde_json::Value = serde_json::from_slice(&server.join().unwrap()).unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("Gate blocked artefact.bin: 1 critical finding(s)"),
        "{body}"
    );
    assert_eq!(body["gates"], serde_json::json!(["secrets"]));
    assert_eq!(body["findings"][0]["finding"]["location"], "deploy.env:4");
    assert!(!body.to_string().contains("REDACTED"));
}

/// A source tree for `gate evaluate --source`: with `dirty`, a GitHub token in `config/settings.py`, a
/// `breakpoint()` in `app/main.py` and a Dockerfile `FROM` without a digest; else the same tree clean.
fn source_tree(dir: &Path, dirty: bool) {
    fs::create_dir_all(dir.join("app")).unwrap();
    fs::create_dir_all(dir.join("config")).unwrap();
    let token = "ghp_4dTq9ZrXw2LmVb7NcY1KsPf8HjU3Ea6GoQiR";
    fs::write(
        dir.join("config/settings.py"),
        if dirty {
            format!("TOKEN = \"{token}\"\n")
        } else {
            "TOKEN = os.environ[\"TOKEN\"]\n".to_owned()
        },
    )
    .unwrap();
    fs::write(
        dir.join("app/main.py"),
        if dirty {
            "def main():\n    breakpoint()\n    return 1\n"
        } else {
            "def main():\n    return 1\n"
        },
    )
    .unwrap();
    fs::write(
        dir.join("Dockerfile"),
        if dirty {
            "FROM python:3.12-slim\nCOPY app /app\n"
        } else {
            "FROM python@sha256:0b6fa54bb9c4b2db3d6a4f5b8f0e5e1e5c3a2f8a4b2d0e6f8a1b3c5d7e9f0a1b\nCOPY app /app\n"
        },
    )
    .unwrap();
}

fn gate_of<'a>(d: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no gate {id} in {d}"))
}

/// `gate evaluate` of a [`source_project`]'s evidence and its `src` tree, as JSON.
const EVALUATE_SOURCE: [&str; 8] = [
    "gate",
    "evaluate",
    "--evidence",
    "evidence",
    "--source",
    "src",
    "--output",
    "json",
];

/// A project whose secrets, hygiene and pinning gates have no evidence but what `--source` gives them.
fn source_project() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    // Only the scanners' own reports speak for these gates.
    for f in ["gitleaks.json", "hygiene.sarif", "pinning.sarif"] {
        fs::remove_file(t.path().join("evidence").join(f)).unwrap();
    }
    t
}

#[test]
fn gate_source_blocks_on_a_secret_a_debug_statement_and_an_unpinned_from() {
    let t = source_project();
    source_tree(&t.path().join("src"), true);
    let out = p(t.path(), &EVALUATE_SOURCE);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let d = json_of(&out);
    let blocking = |id: &str| -> Vec<(String, String)> {
        let g = gate_of(&d, id);
        assert_eq!(g["status"], "block", "{id}: {g}");
        g["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["location"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        blocking("secrets"),
        [("github-token".to_owned(), "config/settings.py:1".to_owned())]
    );
    assert_eq!(
        blocking("hygiene"),
        [("hygiene/debugger".to_owned(), "app/main.py:2".to_owned())]
    );
    assert_eq!(
        blocking("pinning"),
        [(
            "pinning/docker-from-without-digest".to_owned(),
            "Dockerfile:1".to_owned()
        )]
    );
    // The secret itself is in no output.
    assert!(!stdout(&out).contains("ghp_4dTq9Z"), "{}", stdout(&out));
    // Each generated report is listed by a synthetic path with the digest of its bytes.
    let evidence: Vec<(String, String)> = d["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("source:"))
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["format"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        evidence,
        [
            ("source:hygiene.sarif".to_owned(), "sarif".to_owned()),
            ("source:pinning.sarif".to_owned(), "sarif".to_owned()),
            ("source:secrets.sarif".to_owned(), "sarif".to_owned()),
        ]
    );
}

/// The tree under evaluation does not choose the rules it is held to: its own `.gitleaks.toml`, which here
/// allowlists every path, is read only when the platform policy sets `repository_config: true`.
#[test]
fn gate_source_ignores_the_trees_gitleaks_toml_unless_the_platform_policy_allows_it() {
    let t = source_project();
    source_tree(&t.path().join("src"), true);
    fs::write(
        t.path().join("src/.gitleaks.toml"),
        "[extend]\nuseDefault = true\n\n[allowlist]\ndescription = \"everything\"\npaths = ['''.*''']\n",
    )
    .unwrap();
    let evaluate = |policy: Option<&str>| {
        let mut args = EVALUATE_SOURCE.to_vec();
        if let Some(policy) = policy {
            args.extend(["--policy", policy]);
        }
        let out = p(t.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
        json_of(&out)
    };
    let d = evaluate(None);
    let secrets = gate_of(&d, "secrets");
    assert_eq!(secrets["status"], "block", "{secrets}");
    assert_eq!(secrets["findings"][0]["rule"], "github-token", "{secrets}");

    let out = p(t.path(), &["gate", "policy", "init", "-o", "policy.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let policy = fs::read_to_string(t.path().join("policy.yaml")).unwrap();
    assert!(policy.contains("repository_config: false"), "{policy}");
    fs::write(
        t.path().join("policy.yaml"),
        policy.replace("repository_config: false", "repository_config: true"),
    )
    .unwrap();
    let d = evaluate(Some("policy.yaml"));
    let secrets = gate_of(&d, "secrets");
    assert_eq!(secrets["status"], "pass", "{secrets}");
    // The other gates still block on the dirty tree.
    assert_eq!(gate_of(&d, "hygiene")["status"], "block");
}

#[test]
fn gate_source_reports_are_deterministic_and_a_clean_tree_passes() {
    let t = source_project();
    source_tree(&t.path().join("clean"), false);
    source_tree(&t.path().join("elsewhere/other-name"), false);
    let digests = |src: &str| -> Vec<(String, String)> {
        let out = p(
            t.path(),
            &[
                "gate",
                "evaluate",
                "--evidence",
                "evidence",
                "--source",
                src,
                "--output",
                "json",
            ],
        );
        // The semgrep finding still blocks sast; the three source gates pass.
        assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
        let d = json_of(&out);
        for id in ["secrets", "hygiene", "pinning"] {
            let g = gate_of(&d, id);
            assert_eq!(g["status"], "pass", "{id}: {g}");
            assert_eq!(g["findings"].as_array().unwrap().len(), 0, "{id}: {g}");
        }
        d["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["path"].as_str().unwrap().starts_with("source:"))
            .map(|e| {
                (
                    e["path"].as_str().unwrap().to_owned(),
                    e["digest"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let first = digests("clean");
    assert_eq!(first.len(), 3);
    assert_eq!(first, digests("clean"), "the same tree gives the same bytes");
    assert_eq!(
        first,
        digests("elsewhere/other-name"),
        "the bytes do not depend on where the tree is"
    );

    // Without --source, those three gates have no evidence and block; --evidence is optional with it.
    let out = p(
        t.path(),
        &["gate", "evaluate", "--source", "clean", "--output", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json_of(&out);
    assert_eq!(gate_of(&d, "secrets")["status"], "pass");
    assert_eq!(gate_of(&d, "tests")["status"], "block");
    let out = p(t.path(), &["gate", "evaluate", "--output", "json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "neither --evidence nor --source is a usage error"
    );
}

fn sha256_hex(data: &[u8]) -> String {
    let digest = provenant_digest::Algorithm::Sha256.hash_bytes(data).to_string();
    digest.trim_start_matches("sha256:").to_owned()
}

/// Writes a blob into an OCI layout; returns its descriptor's digest and size.
fn blob(layout: &Path, data: &[u8]) -> (String, usize) {
    let hex = sha256_hex(data);
    fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    fs::write(layout.join("blobs/sha256").join(&hex), data).unwrap();
    (format!("sha256:{hex}"), data.len())
}

/// An OCI layout holding a base image (one layer) and an application image built on it (that layer
/// and one more), the application's manifest naming its base by `org.opencontainers.image.base.digest`
/// when `base` says which manifest to name. Returns the application manifest's digest and, per layer,
/// its (digest, diff id).
fn layout_with_base(layout: &Path, base: Option<&str>) -> (String, Vec<(String, String)>) {
    fs::create_dir_all(layout).unwrap();
    fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let layers: Vec<(String, usize)> = [&b"base layer (gzip)"[..], &b"application layer (gzip)"[..]]
        .iter()
        .map(|l| blob(layout, l))
        .collect();
    let diff_ids = [
        format!("sha256:{}", sha256_hex(b"base layer (tar)")),
        format!("sha256:{}", sha256_hex(b"application layer (tar)")),
    ];
    let config = |n: usize| {
        serde_json::json!({"architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids[..n]}})
        .to_string()
    };
    let layer_descs = |n: usize| -> Vec<serde_json::Value> {
        layers[..n]
            .iter()
            .map(|(d, s)| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}))
            .collect()
    };
    let manifest = |n: usize, annotations: Option<serde_json::Value>| {
        let (cd, cs) = blob(layout, config(n).as_bytes());
        let mut m = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": layer_descs(n)});
        if let Some(a) = annotations {
            m["annotations"] = a;
        }
        let bytes = m.to_string();
        let (d, s) = blob(layout, bytes.as_bytes());
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": s})
    };
    let base_desc = manifest(1, None);
    let base_digest = base_desc["digest"].as_str().unwrap().to_owned();
    // Another image, whose one layer is not the application's first.
    let (other_layer, other_size) = blob(layout, b"another base layer (gzip)");
    let (cd, cs) = blob(layout, config(1).as_bytes());
    let other = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": other_layer, "size": other_size}]});
    let (other_digest, _) = blob(layout, other.to_string().as_bytes());
    let named = match base {
        Some("base") => Some(base_digest.clone()),
        Some(_) => Some(other_digest),
        None => None,
    };
    let app_desc = manifest(
        2,
        named.map(|d| serde_json::json!({"org.opencontainers.image.base.digest": d, "org.opencontainers.image.base.name": "docker.io/library/debian:12"})),
    );
    fs::write(
        layout.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [base_desc, app_desc]}).to_string(),
    )
    .unwrap();
    let app = app_desc["digest"].as_str().unwrap().to_owned();
    let per_layer = layers
        .iter()
        .zip(&diff_ids)
        .map(|((d, _), id)| (d.clone(), id.clone()))
        .collect();
    (app, per_layer)
}

/// trivy's image report as trivy writes it: the image's diff ids, and each vulnerability with the layer
/// (digest and diff id) that brought its package in. One critical in the base layer, one in the
/// application's.
fn trivy_image_report(layers: &[(String, String)]) -> String {
    let vuln = |id: &str, pkg: &str, layer: &(String, String)| {
        serde_json::json!({"VulnerabilityID": id, "PkgName": pkg, "InstalledVersion": "1.0",
            "PkgIdentifier": {"PURL": format!("pkg:deb/debian/{pkg}@1.0")},
            "Layer": {"Digest": layer.0, "DiffID": layer.1},
            "SeveritySource": "nvd", "Title": format!("{pkg} is vulnerable"), "Severity": "CRITICAL"})
    };
    serde_json::json!({"SchemaVersion": 2, "ArtifactName": "oci-layout", "ArtifactType": "container_image",
        "Metadata": {"OS": {"Family": "debian", "Name": "12.5"},
                     "DiffIDs": layers.iter().map(|l| l.1.clone()).collect::<Vec<_>>()},
        "Results": [{"Target": "app (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
                     "Vulnerabilities": [vuln("CVE-2024-0001", "libc6", &layers[0]),
                                         vuln("CVE-2024-0002", "appd", &layers[1])]}]})
    .to_string()
}

#[test]
fn gate_container_base_layers_come_from_the_base_digest_annotation_or_the_policy() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    let container = |d: &serde_json::Value| -> (String, Vec<String>) {
        let g = gate_of(d, "container");
        let blocking = g["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect();
        (g["status"].as_str().unwrap().to_owned(), blocking)
    };
    let evaluate = |layout: &str, app: &str, policy: Option<&str>| {
        let subject = format!("oci:{layout}@{app}");
        let mut args = vec![
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--subject",
            &subject,
            "--output",
            "json",
        ];
        if let Some(p) = policy {
            args.extend(["--policy", p]);
        }
        p(t.path(), &args)
    };

    // The manifest names its base: only the base layer's critical blocks; the application's goes to
    // the backlog.
    let (app, layers) = layout_with_base(&t.path().join("annotated"), Some("base"));
    fs::write(
        t.path().join("evidence/trivy-image.json"),
        trivy_image_report(&layers),
    )
    .unwrap();
    let out = evaluate("annotated", &app, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json_of(&out);
    assert_eq!(
        container(&d),
        ("block".to_owned(), vec!["CVE-2024-0001".to_owned()])
    );
    assert!(
        d["backlog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["rule"] == "CVE-2024-0002")
    );

    // No annotation and no base_layers in the policy: every layer counts as base (fail closed).
    let (app, _) = layout_with_base(&t.path().join("plain"), None);
    let d = json_of(&evaluate("plain", &app, None));
    assert_eq!(
        container(&d),
        (
            "block".to_owned(),
            vec!["CVE-2024-0001".to_owned(), "CVE-2024-0002".to_owned()]
        )
    );
    // No annotation, the policy's first N layers: base_layers 1 is the base layer alone.
    let policy = fs::read_to_string(t.path().join("policy.yaml")).unwrap_or_else(|_| {
        let out = p(t.path(), &["gate", "policy", "init"]);
        stdout(&out)
    });
    let policy = policy.replace(
        "    scope: {value: base, allowed: [base, all]}\n",
        "    scope: {value: base, allowed: [base, all]}\n    base_layers: 1\n",
    );
    assert!(policy.contains("base_layers: 1"));
    fs::write(t.path().join("policy.yaml"), &policy).unwrap();
    let d = json_of(&evaluate("plain", &app, Some("policy.yaml")));
    assert_eq!(
        container(&d),
        ("block".to_owned(), vec!["CVE-2024-0001".to_owned()])
    );

    // An annotation naming a manifest whose layers do not begin the image's is refused (exit 2).
    let (app, _) = layout_with_base(&t.path().join("lying"), Some("another image"));
    let out = evaluate("lying", &app, None);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("org.opencontainers.image.base.digest"),
        "{}",
        stderr(&out)
    );
}

/// in-toto's vulns predicate v0.1 as its specification lists the fields (spec/predicates/vuln.md of
/// in-toto/attestation; its Python package has no model of it): required ones present with their
/// types, nothing the specification does not name.
fn check_vulns_predicate(statement: &serde_json::Value) {
    let timestamp = |v: &serde_json::Value, what: &str| {
        let s = v
            .as_str()
            .unwrap_or_else(|| panic!("{what} is not a string: {statement}"));
        assert!(
            s.len() >= 20
                && s.as_bytes()[4] == b'-'
                && s.as_bytes()[10] == b'T'
                && (s.ends_with('Z') || s.contains('+')),
            "{what} is not an RFC 3339 timestamp: {s}"
        );
    };
    let keys = |v: &serde_json::Value, allowed: &[&str], what: &str| {
        for k in v
            .as_object()
            .unwrap_or_else(|| panic!("{what} is not an object"))
            .keys()
        {
            assert!(
                allowed.contains(&k.as_str()),
                "{what} has {k}, which the specification does not name"
            );
        }
    };
    assert_eq!(
        statement["predicateType"],
        "https://in-toto.io/attestation/vulns/v0.1"
    );
    let p = &statement["predicate"];
    keys(p, &["invocation", "scanner", "metadata"], "predicate");
    let scanner = &p["scanner"];
    keys(scanner, &["uri", "version", "db", "result"], "scanner");
    assert!(!scanner["uri"].as_str().unwrap().is_empty());
    keys(&scanner["db"], &["uri", "version", "lastUpdate"], "scanner.db");
    timestamp(&scanner["db"]["lastUpdate"], "scanner.db.lastUpdate");
    for r in scanner["result"].as_array().expect("scanner.result is a list") {
        keys(r, &["id", "severity", "annotations"], "scanner.result[]");
        assert!(r["id"].is_string());
        for s in r["severity"].as_array().unwrap() {
            keys(s, &["method", "score"], "severity[]");
            assert!(s["method"].is_string() && s["score"].is_string());
        }
        assert!(
            r["annotations"]
                .as_array()
                .unwrap()
                .iter()
                .all(serde_json::Value::is_object)
        );
    }
    keys(&p["metadata"], &["scanStartedOn", "scanFinishedOn"], "metadata");
    timestamp(&p["metadata"]["scanStartedOn"], "metadata.scanStartedOn");
    timestamp(&p["metadata"]["scanFinishedOn"], "metadata.scanFinishedOn");
}

#[test]
fn gate_vulnerability_reports_are_signed_as_in_toto_vulns_statements() {
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    keypair(t.path(), "gate");
    let layers = [
        (
            format!("sha256:{}", "a".repeat(64)),
            format!("sha256:{}", "1".repeat(64)),
        ),
        (
            format!("sha256:{}", "b".repeat(64)),
            format!("sha256:{}", "2".repeat(64)),
        ),
    ];
    let mut trivy: serde_json::Value = serde_json::from_str(&trivy_image_report(&layers)).unwrap();
    trivy["CreatedAt"] = "2026-05-27T08:00:00.123456789Z".into();
    trivy["Trivy"] = serde_json::json!({"Version": "0.58.1"});
    fs::write(t.path().join("evidence/trivy-image.json"), trivy.to_string()).unwrap();
    let out = p(
        t.path(),
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--subject",
            "artefact.bin",
            "--bundle",
            "decision.json",
            "--key",
            "gate.key",
            "--vulns",
            "vulns",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut names: Vec<String> = fs::read_dir(t.path().join("vulns"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // One statement per scanner report, in evidence order: OSV-scanner's (no vulnerability) and trivy's.
    assert_eq!(
        names,
        [
            "1-osv.json.vulns.sigstore.json",
            "2-trivy-image.json.vulns.sigstore.json"
        ]
    );
    let mut statements = Vec::new();
    for name in &names {
        let path = t.path().join("vulns").join(name);
        let ok = p(
            t.path(),
            &[
                "verify-attestation",
                "artefact.bin",
                "--bundle",
                path.to_str().unwrap(),
                "--key",
                "gate.pub",
                "--insecure-ignore-tlog",
                "--type",
                "https://in-toto.io/attestation/vulns/v0.1",
            ],
        );
        assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
        provenant_testkit::validate_statement(&path);
        let bundle: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let payload = crate::support::base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        check_vulns_predicate(&statement);
        statements.push(statement);
    }
    let osv = &statements[0]["predicate"]["scanner"];
    assert_eq!(osv["uri"], "pkg:github/google/osv-scanner");
    assert_eq!(
        osv["result"].as_array().unwrap().len(),
        0,
        "an empty list: nothing found"
    );
    // The evaluation time stands in for the times OSV-scanner's report does not state.
    assert_eq!(osv["db"]["lastUpdate"], "2026-05-28T20:26:40Z");
    let trivy = &statements[1]["predicate"];
    assert_eq!(trivy["scanner"]["uri"], "pkg:github/aquasecurity/trivy");
    assert_eq!(trivy["scanner"]["version"], "0.58.1");
    assert_eq!(
        trivy["metadata"]["scanFinishedOn"],
        "2026-05-27T08:00:00.123456789Z"
    );
    let result = trivy["scanner"]["result"].as_array().unwrap();
    let ids: Vec<&str> = result.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CVE-2024-0001", "CVE-2024-0002"]);
    assert_eq!(
        result[0]["severity"][0],
        serde_json::json!({"method": "trivy", "score": "critical"})
    );
    assert_eq!(result[0]["annotations"][0]["package"], "libc6");
    assert_eq!(result[0]["annotations"][0]["layer"], layers[0].1.as_str());
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
fn gate_keyless_decision_and_keyless_exception_against_a_loopback_sigstore() {
    const ISSUER: &str = "https://issuer.example";
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let base = sigstore.base_url();
    let root = sigstore.trusted_root.to_str().unwrap().to_owned();
    let t = tempfile::tempdir().unwrap();
    project(t.path());
    fs::write(
        t.path().join("roles.yaml"),
        format!("roles:\n  security-lead:\n    identities: [{{san: sec@example.com, issuer: '{ISSUER}'}}]\n"),
    )
    .unwrap();
    let token = |who: &str| provenant_testkit::sigstore::mock_identity_token(ISSUER, who);
    let keyless = |who: &str| -> Vec<String> {
        [
            "--identity-token",
            &token(who),
            "--fulcio-url",
            &base,
            "--rekor-url",
            &base,
        ]
        .map(ToOwned::to_owned)
        .to_vec()
    };
    let with = |args: &[&str], extra: Vec<String>| {
        let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        all.extend(extra);
        let borrowed: Vec<&str> = all.iter().map(String::as_str).collect();
        p(t.path(), &borrowed)
    };

    // The finding to except: semgrep's high python-eval.
    let d = json_of(&p(
        t.path(),
        &["gate", "evaluate", "--evidence", "evidence", "--output", "json"],
    ));
    let id = gate_of(&d, "sast")["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Exceptions signed keylessly: by the security lead's identity, and by someone not in the roles file.
    for (who, out) in [
        ("sec@example.com", "exc.json"),
        ("mallory@example.com", "stranger.json"),
    ] {
        let o = with(
            &[
                "gate",
                "exception",
                "create",
                "--finding",
                &id,
                "--owner",
                "dev@example.com",
                "--rationale",
                "input is a constant",
                "--expires",
                "2026-12-31",
                "--role",
                "security-lead",
                "-o",
                out,
            ],
            keyless(who),
        );
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    }

    // The decision, signed keylessly by the gate's identity: the lead's exception applies, so it passes.
    let o = with(
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--roles",
            "roles.yaml",
            "--exceptions",
            "exc.json",
            "--trusted-root",
            &root,
            "--subject",
            "artefact.bin",
            "--bundle",
            "decision.json",
            "--output",
            "json",
        ],
        keyless("gate@example.com"),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let d = json_of(&o);
    let log = &gate_of(&d, "sast")["exceptions"][0];
    assert_eq!(
        (log["status"].as_str(), log["role"].as_str()),
        (Some("applied"), Some("security-lead"))
    );
    assert!(
        log["approver"].as_str().unwrap().contains("sec@example.com"),
        "{log}"
    );

    let verify = |identity: &str| {
        p(
            t.path(),
            &[
                "verify-attestation",
                "artefact.bin",
                "--bundle",
                "decision.json",
                "--type",
                DECISION,
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                &root,
                "--output",
                "json",
            ],
        )
    };
    let ok = verify("gate@example.com");
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    provenant_testkit::validate_statement(&t.path().join("decision.json"));
    // Another identity is not the signer.
    let bad = verify("sec@example.com");
    assert_eq!(bad.status.code(), Some(1), "{}{}", stdout(&bad), stderr(&bad));

    // The stranger's exception is refused (its signer holds no role) and the gate blocks.
    let o = with(
        &[
            "gate",
            "evaluate",
            "--evidence",
            "evidence",
            "--roles",
            "roles.yaml",
            "--exceptions",
            "stranger.json",
            "--trusted-root",
            &root,
            "--output",
            "json",
        ],
        Vec::new(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let d = json_of(&o);
    let log = &gate_of(&d, "sast")["exceptions"][0];
    assert_eq!(log["status"], "refused", "{log}");
    assert!(
        log["reason"].as_str().unwrap().contains("mallory@example.com"),
        "{log}"
    );
}
