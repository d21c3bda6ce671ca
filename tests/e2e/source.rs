//! The source stage: `provenant source check` over real repositories made with git and signed with
//! ssh-keygen keys (text naming each failing commit and file, JSON, SARIF valid against the SARIF 2.1.0
//! schema, the signed source attestation valid against its schema and in-toto's validator and appended
//! to the ledger), `provenant version next` with semantic-release's rules, and `provenant changelog`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{assert_no_debug_values, provenant, run, stderr, stdout};

const SOURCE: &str = "https://provenant.dev/attestation/source/v1";

fn p(dir: &Path, args: &[&str]) -> Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000")
        .args(args))
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

/// A repository in `dir/repo`, committed by git with fixed dates.
struct Repo {
    dir: PathBuf,
    clock: std::cell::Cell<i64>,
}

impl Repo {
    fn new(parent: &Path) -> Self {
        let dir = parent.join("repo");
        fs::create_dir_all(&dir).unwrap();
        let r = Self {
            dir,
            clock: std::cell::Cell::new(1_700_000_000),
        };
        r.git(&["init", "-q", "-b", "main", "."]);
        r
    }

    fn command(&self) -> Command {
        let mut c = Command::new(provenant_testkit::require_on_path("git"));
        c.current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.dir);
        c
    }

    fn git(&self, args: &[&str]) -> String {
        let out = run(self.command().args(args));
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        stdout(&out).trim().to_owned()
    }

    /// Commits `files` as `email`, signed with the SSH key `key` when given; returns the id.
    fn commit(&self, email: &str, key: Option<&Path>, message: &str, files: &[(&str, &str)]) -> String {
        for (path, content) in files {
            let p = self.dir.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, content).unwrap();
        }
        self.git(&["add", "-A"]);
        let t = self.clock.get();
        self.clock.set(t + 60);
        let date = format!("@{t} +0000");
        let mut c = self.command();
        c.env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["-c", "user.name=Dev", "-c", &format!("user.email={email}")]);
        match key {
            Some(k) => c.args([
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={}", k.display()),
                "-c",
                "commit.gpgsign=true",
            ]),
            None => c.args(["-c", "commit.gpgsign=false"]),
        };
        let out = run(c.args(["commit", "-q", "--allow-empty", "-m", message]));
        assert!(out.status.success(), "git commit: {}", stderr(&out));
        self.git(&["rev-parse", "HEAD"])
    }
}

/// An ed25519 key `dir/NAME`; returns its path and public key line.
fn ssh_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let out = run(Command::new(provenant_testkit::require_on_path("ssh-keygen"))
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key));
    assert!(out.status.success(), "{}", stderr(&out));
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public.trim().to_owned())
}

/// A repository whose base commit holds `.github/CODEOWNERS`, then three commits on top: a good one
/// (signed, conventional, owned), an unsigned one, and a signed one whose message is not conventional
/// and which touches an unowned file.
struct Scenario {
    t: tempfile::TempDir,
    good: String,
}

fn scenario(bad: bool) -> Scenario {
    let t = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(t.path(), "alice");
    fs::write(
        t.path().join("allowed_signers"),
        format!("alice@example.com namespaces=\"git\" {public}\n"),
    )
    .unwrap();
    let repo = Repo::new(t.path());
    repo.commit(
        "alice@example.com",
        Some(&key),
        "chore: base",
        &[
            (".github/CODEOWNERS", "* @lead\n/vendor/\n"),
            ("README.md", "x\n"),
        ],
    );
    repo.git(&["tag", "base"]);
    let good = repo.commit(
        "alice@example.com",
        Some(&key),
        "feat(api): add the endpoint",
        &[("src/api.rs", "fn api() {}\n")],
    );
    if bad {
        repo.commit(
            "alice@example.com",
            None,
            "fix: unsigned change",
            &[("src/lib.rs", "b\n")],
        );
        repo.commit(
            "alice@example.com",
            Some(&key),
            "Update vendored code",
            &[("vendor/x.c", "int x;\n")],
        );
    }
    Scenario { t, good }
}

fn check_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "source",
        "check",
        "--range",
        "base..HEAD",
        "--repo",
        "repo",
        "--allowed-signers",
        "allowed_signers",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn source_check_names_each_failing_commit_and_file() {
    let s = scenario(true);
    let out = p(s.t.path(), &check_args(&[]));
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "source check base..HEAD: 3 commits, 3 changed files; required: conventional, signed, owned"
    );
    let failing: Vec<String> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| {
            // Drop the short id, which differs per run (keys are fresh).
            let (status, rest) = l.split_once(' ').unwrap();
            let rest = rest
                .split_once(' ')
                .map_or(rest, |(id, after)| if id.len() == 12 { after } else { rest });
            format!("{status} {rest}")
        })
        .collect();
    assert_eq!(
        failing,
        vec![
            "FAIL Update vendored code: conventional: line 1, column 7: expected `(scope)`, `!` or `: ` after the type, found a space",
            "FAIL fix: unsigned change: signed: the commit is not signed",
            "FAIL vendor/x.c: owned: the CODEOWNERS rule `/vendor/` (line 2) leaves it without owners",
        ]
    );
    assert_eq!(*lines.last().unwrap(), "failed: 3 of 9 checks");
    assert_no_debug_values(&out, "source check");

    // JSON: the same, as documented.
    let out = p(s.t.path(), &check_args(&["--output", "json"]));
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["passed"], false);
    assert_eq!(
        report["required"],
        serde_json::json!(["conventional", "signed", "owned"])
    );
    assert_eq!(report["commits"].as_array().unwrap().len(), 3);
    assert_eq!(report["commits"][2]["id"], s.good.as_str());
    assert_eq!(report["commits"][2]["checks"][0]["status"], "pass");
    assert_eq!(report["files"][2]["path"], "vendor/x.c");
    assert_eq!(report["files"][0]["owners"], serde_json::json!(["@lead"]));
    // The global --output json gives the same report.
    let global = p(
        s.t.path(),
        &[&["--output", "json"][..], &check_args(&[])].concat(),
    );
    assert_eq!(global.stdout, out.stdout);

    // SARIF, valid against the SARIF 2.1.0 schema: one result per failure.
    let out = p(s.t.path(), &check_args(&["--output", "sarif"]));
    assert_eq!(out.status.code(), Some(1));
    let sarif = json_of(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["conventional", "signed", "owned"]);
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "vendor/x.c"
    );
    let file = s.t.path().join("source.sarif");
    fs::write(&file, &out.stdout).unwrap();
    let schema = provenant_testkit::vectors_dir().join("sarif/sarif-schema-2.1.0.json");
    let check = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    let v = run(Command::new(check).arg("--schemafile").arg(&schema).arg(&file));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
}

#[test]
fn source_check_passes_and_records_a_signed_attestation_in_the_ledger() {
    let s = scenario(false);
    let dir = s.t.path();
    let out = p(dir, &["keys", "generate", "--output-key-prefix", "stage"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p(dir, &crate::support::LEDGER_INIT);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = p(
        dir,
        &check_args(&[
            "--attestation-output",
            "source.json",
            "--key",
            "stage.key",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ]),
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("passed: 3 checks"), "{text}");
    assert!(
        text.contains("attestation appended to the ledger at index 0, covered by the checkpoint:\nexample.com/audit\n1\n"),
        "{text}"
    );

    // The statement: the head commit as subject, each check, valid against the schema and in-toto's validator.
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("source.json")).unwrap()).unwrap();
    let payload = crate::support::base64_decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap());
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["predicateType"], SOURCE);
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], s.good.as_str());
    let predicate = &statement["predicate"];
    assert_eq!(predicate["result"], "pass");
    assert_eq!(predicate["commit"], s.good.as_str());
    assert_eq!(predicate["range"]["spec"], "base..HEAD");
    assert_eq!(predicate["checkedAt"], "2026-05-28T20:26:40Z");
    assert_eq!(predicate["commits"][0]["checks"][1]["check"], "signed");
    let roles: Vec<&str> = predicate["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["allowed-signers", "codeowners"]);
    let statement_file = dir.join("statement.json");
    fs::write(&statement_file, &payload).unwrap();
    let schema = provenant_testkit::repo_root().join("schemas/source-v1.schema.json");
    let check = provenant_testkit::require_venv_tool("sbom", "check-jsonschema");
    let v = run(Command::new(check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&statement_file));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    provenant_testkit::validate_statement(&dir.join("source.json"));

    // The ledger finds it by the commit, and holds the bundle byte for byte.
    let out = p(
        dir,
        &[
            "ledger",
            "query",
            "--ledger",
            "sqlite:l.db",
            "--subject",
            &format!("gitCommit:{}", s.good),
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(SOURCE), "{}", stdout(&out));
    let out = p(dir, &["ledger", "get", "--ledger", "sqlite:l.db", "--index", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, fs::read(dir.join("source.json")).unwrap());

    // The same range gives the same statement.
    let again = p(
        dir,
        &check_args(&["--attestation-output", "again.json", "--key", "stage.key"]),
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let again: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("again.json")).unwrap()).unwrap();
    assert_eq!(
        again["dsseEnvelope"]["payload"],
        bundle["dsseEnvelope"]["payload"]
    );
}

#[test]
fn source_check_bad_input_is_exit_2_naming_it() {
    let s = scenario(false);
    let dir = s.t.path();
    let out = p(
        dir,
        &["source", "check", "--range", "base..HEAD", "--repo", "repo"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the signed check needs --allowed-signers FILE"),
        "{}",
        stderr(&out)
    );
    let out = p(
        dir,
        &[
            "source",
            "check",
            "--range",
            "nope..HEAD",
            "--repo",
            "repo",
            "--allowed-signers",
            "allowed_signers",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the revision `nope` does not resolve"),
        "{}",
        stderr(&out)
    );
    fs::write(
        dir.join("bad_signers"),
        "alice@example.com restrict ssh-ed25519 AAAA\n",
    )
    .unwrap();
    let out = p(
        dir,
        &[
            "source",
            "check",
            "--range",
            "base..HEAD",
            "--repo",
            "repo",
            "--allowed-signers",
            "bad_signers",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 1: unknown option `restrict`"),
        "{}",
        stderr(&out)
    );
    let out = p(dir, &check_args(&["--require", "conventional,reviewed"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown check \"reviewed\""),
        "{}",
        stderr(&out)
    );
    assert_no_debug_values(&out, "source check usage");
    let out = p(dir, &check_args(&["--require", ""]));
    assert_eq!(
        out.status.code(),
        Some(2),
        "an empty requirement never passes by default"
    );
    assert!(
        stderr(&out).contains("--require names no check"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn source_check_requires_an_owner_approval_from_reviews() {
    let s = scenario(false);
    let dir = s.t.path();
    let head = s.good.clone();
    let review = |login: &str, commit: &str| {
        format!(
            r#"{{"id":1,"user":{{"login":"{login}"}},"state":"APPROVED","commit_id":"{commit}","submitted_at":"2026-05-01T00:00:00Z","author_association":"MEMBER"}}"#
        )
    };
    fs::write(dir.join("by_author.json"), format!("[{}]", review("lead", &head))).unwrap();
    let args = check_args(&[
        "--reviews",
        "by_author.json",
        "--pr-author",
        "lead",
        "--output",
        "json",
    ]);
    let out = p(dir, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the author's own approval does not count"
    );
    let report = json_of(&out);
    assert_eq!(report["reviewsChecked"], true);
    let detail = report["files"][0]["checks"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("the author's own approval does not count"),
        "{detail}"
    );
    let args = check_args(&["--reviews", "by_author.json", "--pr-author", "dev"]);
    let out = p(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

/// Commits `messages` on a fresh repository whose first commit is tagged `tag` (when given).
fn release_repo(t: &Path, tag: Option<&str>, messages: &[&str]) -> Repo {
    let repo = Repo::new(t);
    repo.commit("dev@example.com", None, "chore: initial", &[]);
    if let Some(tag) = tag {
        repo.git(&["tag", tag]);
    }
    repo.git(&["tag", "start"]);
    for (i, m) in messages.iter().enumerate() {
        repo.commit("dev@example.com", None, m, &[(&format!("f{i}"), "x")]);
    }
    repo
}

#[test]
fn version_next_follows_semantic_release() {
    let cases: [(Option<&str>, &[&str], Option<&str>); 7] = [
        (Some("v1.2.3"), &["fix: a", "docs: b"], Some("1.2.4")),
        (
            Some("v1.2.3"),
            &["fix: a", "feat(x): b", "perf: c"],
            Some("1.3.0"),
        ),
        (Some("v1.2.3"), &["feat: a", "fix!: b"], Some("2.0.0")),
        (
            Some("v1.2.3"),
            &["refactor: a\n\nBREAKING CHANGE: gone"],
            Some("2.0.0"),
        ),
        (Some("v0.3.1"), &["feat!: a"], Some("1.0.0")),
        (None, &["fix: first"], Some("1.0.0")),
        (Some("v1.2.3"), &["docs: only", "not conventional"], None),
    ];
    for (tag, messages, expected) in cases {
        let t = tempfile::tempdir().unwrap();
        release_repo(t.path(), tag, messages);
        let out = p(
            t.path(),
            &[
                "version",
                "next",
                "--range",
                "start..HEAD",
                "--repo",
                "repo",
                "--output",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let plan = json_of(&out);
        assert_eq!(plan["next"].as_str(), expected, "{tag:?} {messages:?}: {plan}");
        assert_eq!(plan["lastTag"].as_str(), tag);
        let text = p(
            t.path(),
            &["version", "next", "--range", "start..HEAD", "--repo", "repo"],
        );
        match expected {
            Some(v) => assert_eq!(stdout(&text), format!("{v}\n")),
            None => assert!(stdout(&text).starts_with("no release: "), "{}", stdout(&text)),
        }
    }
    // The last tag is the highest release tag reachable from B, not one on another branch.
    let t = tempfile::tempdir().unwrap();
    let repo = release_repo(t.path(), Some("v1.0.0"), &["feat: a"]);
    repo.git(&["tag", "v1.1.0"]);
    repo.git(&["checkout", "-q", "-b", "side", "start"]);
    repo.commit("dev@example.com", None, "fix: side", &[("side", "s")]);
    repo.git(&["tag", "v9.0.0"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("dev@example.com", None, "fix: after", &[("after", "a")]);
    let out = p(
        t.path(),
        &["version", "next", "--range", "v1.1.0..main", "--repo", "repo"],
    );
    assert_eq!(stdout(&out), "1.1.1\n", "{}", stderr(&out));
}

#[test]
fn changelog_groups_by_type_breaking_first_with_links() {
    let t = tempfile::tempdir().unwrap();
    let repo = release_repo(
        t.path(),
        Some("v1.0.0"),
        &[
            "fix(db): close the pool",
            "feat(api)!: drop v1 endpoints\n\nBREAKING CHANGE: the v1 endpoints are gone",
            "docs: explain",
            "Merge-free but not conventional",
            "feat: add *search*",
        ],
    );
    let ids: Vec<String> = repo
        .git(&["log", "--reverse", "--format=%H", "start..HEAD"])
        .lines()
        .map(str::to_owned)
        .collect();
    let url = "https://github.com/acme/shop";
    let out = p(
        t.path(),
        &[
            "changelog",
            "--range",
            "start..HEAD",
            "--repo",
            "repo",
            "--repo-url",
            url,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let link = |i: usize| format!("[{}]({url}/commit/{})", &ids[i][..7], ids[i]);
    let expected = format!(
        "## 2.0.0\n\n### ⚠ BREAKING CHANGES\n\n* **api:** the v1 endpoints are gone ({})\n\n### Features\n\n* **api:** drop v1 endpoints ({})\n* add \\*search\\* ({})\n\n### Bug Fixes\n\n* **db:** close the pool ({})\n\n### Documentation\n\n* explain ({})\n\n### Other Changes\n\n* Merge-free but not conventional ({})\n",
        link(1),
        link(1),
        link(4),
        link(0),
        link(2),
        link(3),
    );
    assert_eq!(stdout(&out), expected);
    // Deterministic, and the origin remote gives the links when --repo-url is not given.
    repo.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    let again = p(
        t.path(),
        &["changelog", "--range", "start..HEAD", "--repo", "repo"],
    );
    assert_eq!(stdout(&again), expected);
    let json = json_of(&p(
        t.path(),
        &[
            "changelog",
            "--range",
            "start..HEAD",
            "--repo",
            "repo",
            "--output",
            "json",
        ],
    ));
    assert_eq!(json["markdown"], expected.as_str());
    assert_eq!(json["sections"][0]["type"], "feat");
}

#[test]
fn source_check_verifies_openpgp_commits_against_the_keyring() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("gnupg");
    fs::create_dir_all(&home).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = provenant_testkit::require_on_path("gpg");
    let gpg_run = |args: &[&str]| {
        let out = run(Command::new(&gpg)
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet"])
            .args(args));
        assert!(out.status.success(), "gpg {args:?}: {}", stderr(&out));
        out.stdout
    };
    gpg_run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-gen-key",
        "Dev <dev@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    fs::write(
        t.path().join("keyring.asc"),
        gpg_run(&["--armor", "--export", "dev@example.com"]),
    )
    .unwrap();
    let repo = Repo::new(t.path());
    repo.commit("dev@example.com", None, "chore: base", &[]);
    repo.git(&["tag", "base"]);
    let sign = |email: &str, message: &str| {
        let out = run(repo
            .command()
            .env("GNUPGHOME", &home)
            .env("GIT_COMMITTER_DATE", "@1700000600 +0000")
            .env("GIT_AUTHOR_DATE", "@1700000600 +0000")
            .args(["-c", "user.name=Dev", "-c", &format!("user.email={email}")])
            .args([
                "-c",
                "user.signingkey=dev@example.com",
                "commit",
                "-q",
                "--allow-empty",
                "-S",
                "-m",
                message,
            ]));
        assert!(out.status.success(), "git commit -S: {}", stderr(&out));
    };
    sign("dev@example.com", "feat: signed with gpg");
    let args = [
        "source",
        "check",
        "--range",
        "base..HEAD",
        "--repo",
        "repo",
        "--require",
        "conventional,signed",
        "--gpg-keyring",
        "keyring.asc",
    ];
    let out = p(t.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    // The same key signing for another committer email is refused, naming the check and why.
    sign("someone@example.com", "fix: signed by dev for someone else");
    let out = p(t.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("fix: signed by dev for someone else: signed: the key")
            && text.contains("has no user id with the committer's email someone@example.com"),
        "{text}"
    );
}

#[test]
fn source_check_refuses_an_openpgp_signature_past_its_own_expiration_time() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("gnupg");
    fs::create_dir_all(&home).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = provenant_testkit::require_on_path("gpg");
    let gpg_run = |args: &[&str]| {
        let out = run(Command::new(&gpg)
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet"])
            .args(args));
        assert!(out.status.success(), "gpg {args:?}: {}", stderr(&out));
        out.stdout
    };
    gpg_run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-gen-key",
        "Dev <dev@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    fs::write(
        t.path().join("keyring.asc"),
        gpg_run(&["--armor", "--export", "dev@example.com"]),
    )
    .unwrap();
    // Every signature gpg makes for git from now on is valid for one day (RFC 9580 5.2.3.18).
    fs::write(home.join("gpg.conf"), "default-sig-expire 1d\n").unwrap();
    let repo = Repo::new(t.path());
    repo.commit("dev@example.com", None, "chore: base", &[]);
    repo.git(&["tag", "base"]);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = run(repo
        .command()
        .env("GNUPGHOME", &home)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
        .args([
            "-c",
            "user.signingkey=dev@example.com",
            "commit",
            "-q",
            "--allow-empty",
            "-S",
            "-m",
            "feat: signed for a day",
        ]));
    assert!(out.status.success(), "git commit -S: {}", stderr(&out));
    let check = |judged_at: u64| {
        run(provenant()
            .current_dir(t.path())
            .env("SOURCE_DATE_EPOCH", judged_at.to_string())
            .args([
                "source",
                "check",
                "--range",
                "base..HEAD",
                "--repo",
                "repo",
                "--require",
                "signed",
                "--gpg-keyring",
                "keyring.asc",
            ]))
    };
    // The check's time (SOURCE_DATE_EPOCH) is the time of judgement: an hour after signing, it holds.
    let out = check(before + 3600);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    // Two days after, the signature has expired: exit 1, naming the commit and the times.
    let out = check(before + 2 * 86_400);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let judged = jiff::Timestamp::from_second(i64::try_from(before + 2 * 86_400).unwrap()).unwrap();
    assert!(
        text.contains("feat: signed for a day: signed: the OpenPGP signature by")
            && text.contains(&format!("before the time of judgement {judged}"))
            && text.contains("expired at"),
        "{text}"
    );
    assert_no_debug_values(&out, "source check");
}

#[test]
fn source_check_refuses_a_tampered_ssh_signed_commit() {
    let s = scenario(false);
    let dir = s.t.path();
    let repo = Repo {
        dir: dir.join("repo"),
        clock: std::cell::Cell::new(0),
    };
    // The same signature over another message: git accepts the object, the check must not.
    let raw = run(repo.command().args(["cat-file", "commit", "HEAD"]));
    let forged_text = String::from_utf8(raw.stdout).unwrap().replace(
        "feat(api): add the endpoint",
        "feat(api): add the endpoint and a backdoor",
    );
    let mut child = repo
        .command()
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(forged_text.as_bytes())
            .unwrap();
    }
    let forged = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    repo.git(&["update-ref", "refs/heads/main", forged.trim()]);
    let out = p(dir, &check_args(&["--require", "signed"]));
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("feat(api): add the endpoint and a backdoor: signed: the SSH signature by SHA256:")
            && text.contains("does not verify over the commit's content"),
        "{text}"
    );
}

/// Runs the independent tlog reference verifier (tests/reference/tlog.py) in `dir`.
fn tlog_reference(dir: &Path, args: &[&str]) -> Output {
    // sigstore-python's virtualenv carries `cryptography`, which the reference needs for Ed25519.
    let python = provenant_testkit::require_venv_tool("sigstore", "python3");
    let script = provenant_testkit::repo_root().join("tests/reference/tlog.py");
    run(Command::new(python).current_dir(dir).arg(script).args(args))
}

/// The scenario, a stage key and two ledgers: `l.db` (note key `note`) and `other.db` (note key `other`).
fn ledger_scenario() -> Scenario {
    let s = scenario(false);
    let dir = s.t.path();
    assert!(
        p(dir, &["keys", "generate", "--output-key-prefix", "stage"])
            .status
            .success()
    );
    for (ledger, prefix, origin) in [
        ("sqlite:l.db", "note", "example.com/audit"),
        ("sqlite:other.db", "other", "example.com/other"),
    ] {
        let out = p(
            dir,
            &[
                "ledger",
                "init",
                "--ledger",
                ledger,
                "--origin",
                origin,
                "--output-key-prefix",
                prefix,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    s
}

/// The size of the ledger `l.db`, as `ledger verify` reads it.
fn ledger_size(dir: &Path) -> u64 {
    let out = p(
        dir,
        &[
            "ledger",
            "verify",
            "--ledger",
            "sqlite:l.db",
            "--key",
            "note.pub",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    json_of(&out)["ledger"]["size"].as_u64().unwrap()
}

#[test]
fn source_check_with_a_ledger_refuses_a_missing_or_foreign_note_key_before_appending() {
    let s = ledger_scenario();
    let dir = s.t.path();
    // Refusals, before anything is signed or appended: no note key, another ledger's note key.
    assert_eq!(ledger_size(dir), 0);
    let out = run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env_remove("PROVENANT_LEDGER_NOTE_KEY")
        .args(check_args(&["--key", "stage.key", "--ledger", "sqlite:l.db"])));
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("--note-key"), "{}", stderr(&out));
    let out = p(
        dir,
        &check_args(&[
            "--key",
            "stage.key",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "other.key",
        ]),
    );
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains("the note key example.com/other is not this ledger's key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ledger_size(dir), 0, "nothing was appended by a refused run");
}

#[test]
fn source_check_signs_a_checkpoint_covering_its_ledger_entry() {
    let s = ledger_scenario();
    let dir = s.t.path();
    // An entry before ours, so that the proof has a sibling to hash.
    let out = p(
        dir,
        &check_args(&[
            "--key",
            "stage.key",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ]),
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));

    // JSON: the report, plus where the attestation went and the checkpoint made after it.
    let out = p(
        dir,
        &check_args(&[
            "--attestation-output",
            "source.json",
            "--key",
            "stage.key",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            "--output",
            "json",
        ]),
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let json = json_of(&out);
    assert_eq!(json["passed"], true);
    assert_eq!(json["ledger"]["index"], 1);
    assert_eq!(ledger_size(dir), 2);
    let checkpoint = json["ledger"]["checkpoint"].as_str().unwrap();
    fs::write(dir.join("cp"), checkpoint).unwrap();

    // The checkpoint verifies with the ledger's verifier key (the independent reference opens it) and is
    // of the tree holding our entry.
    let opened = tlog_reference(dir, &["checkpoint", "cp", "note.pub"]);
    assert!(opened.status.success(), "{}{}", stdout(&opened), stderr(&opened));
    let opened = stdout(&opened);
    let fields: Vec<&str> = opened.split_whitespace().collect();
    assert_eq!(fields[..2], ["example.com/audit", "2"], "{opened}");
    // Another ledger's key does not open it.
    let wrong = tlog_reference(dir, &["checkpoint", "cp", "other.pub"]);
    assert_ne!(wrong.status.code(), Some(0), "{}", stdout(&wrong));
    // It is the checkpoint the ledger keeps.
    let out = p(
        dir,
        &[
            "ledger",
            "checkpoint",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), checkpoint);

    // The inclusion proof of our entry at the checkpoint's size leads to the checkpoint's root, and the
    // leaf is the attestation's bundle, byte for byte.
    let proof = p(
        dir,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "1",
            "--size",
            "2",
            "--output",
            "json",
        ],
    );
    assert!(proof.status.success(), "{}", stderr(&proof));
    let doc = json_of(&proof);
    assert_eq!(doc["rootHash"], fields[2]);
    fs::write(dir.join("proof.json"), &proof.stdout).unwrap();
    let included = tlog_reference(dir, &["inclusion", "proof.json", "source.json"]);
    assert!(
        included.status.success(),
        "{}{}",
        stdout(&included),
        stderr(&included)
    );
    // The proof does not hold for another entry (the reference is not vacuous).
    fs::write(dir.join("not-ours.json"), b"{}").unwrap();
    let other = tlog_reference(dir, &["inclusion", "proof.json", "not-ours.json"]);
    assert_eq!(other.status.code(), Some(1), "{}", stdout(&other));
}

/// `provenant ledger serve` over `l.db` on a free loopback port, for one writer token; killed on drop.
struct ServedLedger(std::process::Child, u16);

impl Drop for ServedLedger {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_ledger(dir: &Path, token: &str) -> ServedLedger {
    let hash = provenant_digest::Algorithm::Sha256
        .hash_bytes(token.as_bytes())
        .hex();
    fs::write(
        dir.join("tokens.yaml"),
        format!("tokens:\n  - {{name: ci, role: writer, sha256: {hash}}}\n"),
    )
    .unwrap();
    let port = provenant_testkit::free_port();
    let child = provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env_remove("PROVENANT_LEDGER_NOTE_KEY")
        .args([
            "ledger",
            "serve",
            "--ledger",
            "sqlite:l.db",
            "--note-key",
            "note.key",
            "--tokens",
            "tokens.yaml",
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let served = ServedLedger(child, port);
    assert!(
        provenant_testkit::wait_for_port(port, std::time::Duration::from_secs(30)),
        "the ledger server did not listen on {port}"
    );
    served
}

#[test]
fn source_check_against_a_ledger_server_reports_the_checkpoint_the_server_signed() {
    let s = ledger_scenario();
    let dir = s.t.path();
    let token = "writer-token-0123456789";
    let served = serve_ledger(dir, token);
    let ledger = format!("http://127.0.0.1:{}", served.1);
    let args = check_args(&[
        "--attestation-output",
        "source.json",
        "--key",
        "stage.key",
        "--ledger",
        &ledger,
        "--output",
        "json",
    ]);
    // Without the token the server refuses the append, and the command says so.
    let out = run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000")
        .env_remove("PROVENANT_LEDGER_TOKEN")
        .env_remove("PROVENANT_LEDGER_NOTE_KEY")
        .args(&args));
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    // With it: no note key needed, the server signs, and the checkpoint it hands out covers the entry.
    let out = run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000")
        .env("PROVENANT_LEDGER_TOKEN", token)
        .env_remove("PROVENANT_LEDGER_NOTE_KEY")
        .args(&args));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let json = json_of(&out);
    assert_eq!(json["ledger"]["index"], 0);
    fs::write(dir.join("cp"), json["ledger"]["checkpoint"].as_str().unwrap()).unwrap();
    let opened = tlog_reference(dir, &["checkpoint", "cp", "note.pub"]);
    assert!(opened.status.success(), "{}{}", stdout(&opened), stderr(&opened));
    let opened = stdout(&opened);
    let fields: Vec<&str> = opened.split_whitespace().collect();
    assert_eq!(fields[..2], ["example.com/audit", "1"], "{opened}");
    drop(served);
    let proof = p(
        dir,
        &[
            "ledger",
            "prove",
            "--ledger",
            "sqlite:l.db",
            "--index",
            "0",
            "--size",
            "1",
            "--output",
            "json",
        ],
    );
    assert!(proof.status.success(), "{}", stderr(&proof));
    assert_eq!(json_of(&proof)["rootHash"], fields[2]);
    fs::write(dir.join("proof.json"), &proof.stdout).unwrap();
    let included = tlog_reference(dir, &["inclusion", "proof.json", "source.json"]);
    assert!(
        included.status.success(),
        "{}{}",
        stdout(&included),
        stderr(&included)
    );
}
