//! `provenant scan`: the built-in scanners, their outputs (SARIF checked against the SARIF 2.1.0 schema
//! by check-jsonschema) and exit codes; `scan secrets --output gitleaks` against gitleaks' own report.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{provenant_in, run, stderr, stdout};

/// Fake secrets shaped like real ones (each matched by a gitleaks 8.30.1 rule).
const SECRETS: [&str; 5] = [
    "AKIAQ7RZ4WXNKP2M5TVB",
    "ghp_9fKq2LmXv7RtB4nWz8YcJ3sHd6GpA1eUo5Qi",
    "sk_live_51Hc8vQkTz2RmWp9LxNb4FjYs",
    "glpat-Xq7vN2mKp9RtL4wZb8Yc",
    "xoxb-482910375621-5820193746512-kQ9vXm2LpR7tN4wZb8YcJ3sH",
];

fn tree(root: &Path) {
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("node_modules/x")).unwrap();
    fs::write(
        root.join("src/config.py"),
        format!(
            "import os\n\nAWS_ACCESS_KEY_ID = \"{}\"\nGITHUB_TOKEN = '{}'\n\ndef f():\n    return 1\n",
            SECRETS[0], SECRETS[1]
        ),
    )
    .unwrap();
    fs::write(
        root.join("src/app.js"),
        format!(
            "const stripe = require('stripe')('{}');\n// gitlab: {}\n",
            SECRETS[2], SECRETS[3]
        ),
    )
    .unwrap();
    fs::write(root.join("deploy.env"), format!("SLACK_TOKEN={}\n", SECRETS[4])).unwrap();
    fs::write(
        root.join("node_modules/x/index.js"),
        format!("k = '{}'\n", SECRETS[1]),
    )
    .unwrap();
    fs::write(root.join("README.md"), "nothing to see\n").unwrap();
}

fn gitleaks_config() -> String {
    provenant_testkit::vectors_dir()
        .join("gitleaks/gitleaks-8.30.1.toml")
        .to_string_lossy()
        .into_owned()
}

fn assert_redacted(out: &str) {
    for s in SECRETS {
        assert!(!out.contains(s), "secret {s} leaked into the output:\n{out}");
    }
}

pub(crate) fn check_sarif(doc: &str) {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("out.sarif");
    fs::write(&file, doc).unwrap();
    let schema = provenant_testkit::vectors_dir().join("sarif/sarif-schema-2.1.0.json");
    let tool = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    let o = run(Command::new(tool).arg("--schemafile").arg(&schema).arg(&file));
    assert!(
        o.status.success(),
        "SARIF invalid: {}{}\n{doc}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn scan_secrets_outputs_are_redacted_and_exit_1() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("repo");
    tree(&root);
    let cfg = gitleaks_config();
    for output in ["text", "json", "sarif", "gitleaks"] {
        let o = provenant_in(
            t.path(),
            &["scan", "secrets", "repo", "--config", &cfg, "--output", output],
        );
        assert_eq!(o.status.code(), Some(1), "{output}: {}", stderr(&o));
        let out = stdout(&o);
        assert_redacted(&out);
        assert_redacted(&stderr(&o));
        match output {
            "text" => {
                assert!(out.contains("src/config.py:3:"), "{out}");
                assert!(out.contains("5 secret(s) in 3 file(s)"), "{out}");
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                let findings = v["findings"].as_array().unwrap();
                assert_eq!(findings.len(), 5, "{out}");
                assert!(findings.iter().all(|f| f["secret"] == "REDACTED"));
                let rules: Vec<&str> = findings.iter().map(|f| f["ruleId"].as_str().unwrap()).collect();
                assert!(
                    rules.contains(&"aws-access-token") && rules.contains(&"slack-bot-token"),
                    "{rules:?}"
                );
            }
            "sarif" => {
                check_sarif(&out);
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                let results = v["runs"][0]["results"].as_array().unwrap();
                assert_eq!(results.len(), 5);
                let aws = results
                    .iter()
                    .find(|r| r["ruleId"] == "aws-access-token")
                    .unwrap();
                let loc = &aws["locations"][0]["physicalLocation"];
                assert_eq!(loc["artifactLocation"]["uri"], "src/config.py");
                assert_eq!(loc["region"]["startLine"], 3);
                // The secret starts after `AWS_ACCESS_KEY_ID = "`.
                assert_eq!(loc["region"]["startColumn"], 22);
                assert_eq!(loc["region"]["endColumn"], 42);
                let index = aws["ruleIndex"].as_u64().unwrap() as usize;
                assert_eq!(
                    v["runs"][0]["tool"]["driver"]["rules"][index]["id"],
                    "aws-access-token"
                );
            }
            _ => {}
        }
    }
}

/// Our `--output gitleaks` is gitleaks' own `--redact` report for the same tree, finding by finding.
#[test]
fn scan_secrets_gitleaks_report_matches_gitleaks_redacted_report() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("repo");
    tree(&root);
    let cfg = gitleaks_config();
    let gitleaks = provenant_testkit::require_venv_tool("gitleaks", "gitleaks");
    let report = t.path().join("gitleaks.json");
    let o = run(Command::new(gitleaks).current_dir(t.path()).args([
        "dir",
        "repo",
        "--no-banner",
        "--redact",
        "--exit-code",
        "0",
        "--config",
        &cfg,
        "--report-format",
        "json",
        "--report-path",
        report.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let sort = |v: serde_json::Value| {
        let mut items = v.as_array().unwrap().clone();
        items.sort_by_key(|f| f["Fingerprint"].as_str().unwrap().to_owned());
        items
    };
    let expected = sort(serde_json::from_slice(&fs::read(&report).unwrap()).unwrap());
    let o = provenant_in(
        t.path(),
        &[
            "scan", "secrets", "repo", "--config", &cfg, "--output", "gitleaks",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let actual = sort(serde_json::from_str(&stdout(&o)).unwrap());
    assert_eq!(actual.len(), 5);
    assert_eq!(actual, expected);
}

#[test]
fn scan_secrets_exit_codes() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("clean.txt"), "hello\n").unwrap();
    let o = provenant_in(t.path(), &["scan", "secrets", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = provenant_in(t.path(), &["scan", "secrets", "missing-dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing-dir"), "{}", stderr(&o));
    fs::write(t.path().join("bad.toml"), "[[rules]]\nid = \"x\"\n").unwrap();
    let o = provenant_in(t.path(), &["scan", "secrets", ".", "--config", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("both regex and path are empty"),
        "{}",
        stderr(&o)
    );
    let o = provenant_in(t.path(), &["scan", "secrets", ".", "--output", "xml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A `.gitleaks.toml` in the scanned root is the configuration when `--config` is not given.
#[test]
fn scan_secrets_reads_gitleaks_toml_in_the_root() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join(".gitleaks.toml"),
        "[[rules]]\nid = \"house-token\"\ndescription = \"our token\"\nregex = '''house_[0-9a-f]{16}'''\nkeywords = [\"house_\"]\n",
    )
    .unwrap();
    fs::write(t.path().join("a.txt"), "t = house_0123456789abcdef\n").unwrap();
    let o = provenant_in(t.path(), &["scan", "secrets", ".", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"][0]["ruleId"], "house-token");
    assert!(!stdout(&o).contains("0123456789abcdef"));
}

/// A rule whose pattern the regex engine cannot compile is reported and fails the scan (exit 2)
/// unless accepted explicitly.
#[test]
fn scan_secrets_reports_an_uncompilable_rule() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("c.toml"),
        "[[rules]]\nid = \"backref\"\nregex = '''(a)\\1'''\n[[rules]]\nid = \"b\"\nregex = 'zzz'\n",
    )
    .unwrap();
    fs::write(t.path().join("a.txt"), "hello\n").unwrap();
    let o = provenant_in(t.path(), &["scan", "secrets", ".", "--config", "c.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("rule backref (regex) cannot be compiled"),
        "{}",
        stderr(&o)
    );
    let o = provenant_in(
        t.path(),
        &[
            "scan",
            "secrets",
            ".",
            "--config",
            "c.toml",
            "--allow-unsupported-rules",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

#[test]
fn scan_hygiene_reports_debug_statements_outside_tests_and_markers() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(
        r,
        "src/lib.rs",
        "pub fn f() -> u8 {\n    dbg!(1);\n    // TODO: remove\n    1\n}\n",
    );
    write(
        r,
        "app/main.py",
        "import pdb\n\ndef g():\n    print('x')  # FIXME\n",
    );
    write(r, "web/ui.ts", "export const a = () => { console.log('a'); };\n");
    write(r, "web/ui.test.ts", "console.log('fine in tests');\n");
    write(r, "tests/it.rs", "fn t() { println!(\"ok\"); }\n");
    write(r, "notes.md", "TODO: not a gate-checked file\n");
    write(r, "node_modules/x/index.js", "console.log('dependency');\n");
    let o = provenant_in(r, &["scan", "hygiene", ".", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let got: Vec<(String, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["ruleId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("app/main.py", 1, "hygiene/debugger"),
        ("app/main.py", 4, "hygiene/debug-print"),
        ("app/main.py", 4, "hygiene/fixme"),
        ("src/lib.rs", 2, "hygiene/debugger"),
        ("src/lib.rs", 3, "hygiene/todo"),
        ("web/ui.ts", 1, "hygiene/debug-print"),
    ];
    let want: Vec<(String, u64, String)> = want
        .iter()
        .map(|(p, l, r)| ((*p).to_owned(), *l, (*r).to_owned()))
        .collect();
    assert_eq!(got, want);
    // --include narrows the gate-checked files.
    let o = provenant_in(
        r,
        &["scan", "hygiene", ".", "--include", "*.rs", "--output", "text"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("src/lib.rs:2:5: hygiene/debugger"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("main.py"));
    let o = provenant_in(r, &["scan", "hygiene", ".", "--output", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    check_sarif(&stdout(&o));
    let o = provenant_in(r, &["scan", "hygiene", ".", "--include", "*.go"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn scan_pinning_reports_floating_inputs() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let sha = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab";
    write(
        r,
        "web/package.json",
        r#"{"name":"w","dependencies":{"left-pad":"^1.3.0"}}"#,
    );
    write(r, "lib/package.json", r#"{"name":"l"}"#);
    write(
        r,
        "svc/Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    write(r, "svc/src/main.rs", "fn main() {}\n");
    write(
        r,
        "crate/Cargo.toml",
        "[package]\nname = \"c\"\nversion = \"0.1.0\"\n",
    );
    write(r, "crate/src/lib.rs", "\n");
    write(r, "py/requirements.txt", "requests==2.32.3\nflask>=3\n");
    write(
        r,
        "locked/package-lock.json",
        r#"{"lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/a":{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz","integrity":"sha512-AAAA"},"node_modules/b":{"version":"1.0.0","resolved":"https://registry.npmjs.org/b/-/b-1.0.0.tgz"}}}"#,
    );
    write(
        r,
        "locked/package.json",
        r#"{"name":"x","dependencies":{"a":"1.0.0","b":"1.0.0"}}"#,
    );
    write(
        r,
        "Dockerfile",
        "FROM rust:1.95 AS build\nRUN true\nFROM debian@sha256:0000000000000000000000000000000000000000000000000000000000000000\nCOPY --from=build /x /x\n",
    );
    write(
        r,
        ".github/workflows/ci.yml",
        &format!(
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@{sha} # v4\n"
        ),
    );
    let o = provenant_in(r, &["scan", "pinning", ".", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let got: Vec<(String, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["ruleId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        (".github/workflows/ci.yml", 6, "pinning/action-not-pinned-to-sha"),
        ("Dockerfile", 1, "pinning/docker-from-without-digest"),
        (
            "locked/package-lock.json",
            1,
            "pinning/lockfile-without-integrity",
        ),
        ("py/requirements.txt", 2, "pinning/requirement-not-pinned"),
        ("svc/Cargo.toml", 0, "pinning/manifest-without-lockfile"),
        ("web/package.json", 0, "pinning/manifest-without-lockfile"),
    ];
    let want: Vec<(String, u64, String)> = want
        .iter()
        .map(|(p, l, r)| ((*p).to_owned(), *l, (*r).to_owned()))
        .collect();
    assert_eq!(got, want);
    let o = provenant_in(r, &["scan", "pinning", ".", "--output", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    check_sarif(&stdout(&o));
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "README.md", "hi\n");
    let o = provenant_in(clean.path(), &["scan", "pinning", "."]);
    assert_eq!(o.status.code(), Some(0));
    let o = provenant_in(clean.path(), &["scan", "pinning", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn scan_secrets_finds_encoded_secrets_up_to_max_decode_depth() {
    let t = tempfile::tempdir().unwrap();
    // base64 of "token: <GitHub token>", then the base64 of that again (two passes).
    let once = "dG9rZW46IGdocF85ZktxMkxtWHY3UnRCNG5XejhZY0ozc0hkNkdwQTFlVW81UWk=";
    let twice = "ZEc5clpXNDZJR2RvY0Y4NVprdHhNa3h0V0hZM1VuUkNORzVYZWpoWlkwb3pjMGhrTmtkd1FURmxWVzgxVVdrPQ==";
    fs::write(
        t.path().join("settings.yaml"),
        format!("a: 1\nonce: {once}\ntwice: \"{twice}\"\n"),
    )
    .unwrap();
    let scan = |depth: Option<&str>| {
        let mut args = vec!["scan", "secrets", ".", "--output", "gitleaks", "--config"];
        let config = gitleaks_config();
        args.push(&config);
        if let Some(d) = depth {
            args.extend(["--max-decode-depth", d]);
        }
        let o = provenant_in(t.path(), &args);
        assert_redacted(&stdout(&o));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let found: Vec<(u64, u64, u64, Vec<String>)> = report
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["StartLine"].as_u64().unwrap(),
                    f["StartColumn"].as_u64().unwrap(),
                    f["EndColumn"].as_u64().unwrap(),
                    f["Tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        (o.status.code(), found)
    };
    // The default depth (5) finds both, each at its encoded value's place, tagged with how it was found
    // (as gitleaks 8.30.1 reports this file).
    let (code, found) = scan(None);
    assert_eq!(code, Some(1));
    let tags = |depth: u32| vec!["decoded:base64".to_owned(), format!("decode-depth:{depth}")];
    assert_eq!(
        found,
        [
            // gitleaks' columns: from the newline before the line, end inclusive.
            (2, 8, 7 + once.len() as u64, tags(1)),
            (3, 10, 9 + twice.len() as u64, tags(2)),
        ]
    );
    let (_, found) = scan(Some("1"));
    assert_eq!(found.len(), 1, "one pass decodes only the single encoding");
    let (code, found) = scan(Some("0"));
    assert_eq!((code, found.len()), (Some(0), 0), "0 turns decoding off");
    let o = provenant_in(t.path(), &["scan", "secrets", ".", "--max-decode-depth", "65"]);
    assert_eq!(o.status.code(), Some(2), "the depth is bounded");
}
