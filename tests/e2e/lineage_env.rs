//! `provenant lineage verify IMAGE@DIGEST --env NAME` on the command line, over OCI layouts and a
//! `SQLite` ledger: the full governed path (`env init`, a build with provenance, a signed gate
//! decision, `promote --env` dev → test → uat → prod, `approve`, `deploy record`) holds at every edge;
//! then each break on its own, each asserting the named check in `--output json`; and the graph
//! outputs (`--output mermaid`, `--output dot`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use provenant_testkit::git;

use crate::support::{provenant, run, stderr, stdout, succeeded};

const BUILDER: &str = "https://ci.example.com/builders/linux";
const GATE: &str = "https://provenant.dev/attestation/gate-decision/v1";
const PROMOTION: &str = "https://provenant.dev/attestation/promotion/v1";
/// The built commit's author and committer.
const AUTHOR: &str = "alice@example.com";
const COMMITTER: &str = "carol@example.com";
/// The OIDC issuer of the mock sigstore's identity tokens.
const ISSUER: &str = "https://issuer.example";
/// The CI's keyless identity.
const CI_BOT: &str = "ci-bot@example.com";

fn p(dir: &Path, args: &[&str]) -> Output {
    run(provenant()
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "s3cret")
        .env("SOURCE_DATE_EPOCH", "1780000000") // 2026-05-28
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(args))
}

fn ok(dir: &Path, args: &[&str]) -> String {
    succeeded(&p(dir, args), args)
}

/// The governed world: keys, roles, ledger, environments over OCI layouts, and one image built from
/// a commit with its build provenance attached.
struct World {
    dir: tempfile::TempDir,
    repo: PathBuf,
    commit: String,
    digest: String,
}

impl World {
    fn d(&self) -> &Path {
        self.dir.path()
    }

    /// The image in the build layout, by digest.
    fn built(&self) -> String {
        format!("oci:{}/build@{}", self.d().display(), self.digest)
    }

    /// The image in an environment's layout, by digest.
    fn at(&self, env: &str) -> String {
        format!("oci:{}/{env}@{}", self.d().display(), self.digest)
    }

    fn append(&self, file: &str) {
        ok(
            self.d(),
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

    /// Signs `predicate` of `predicate_type` about the image with `key` (`provenant attest`) and
    /// appends the bundle to the ledger.
    fn record(&self, name: &str, predicate_type: &str, predicate: &serde_json::Value, key: &str) {
        fs::write(
            self.d().join(format!("{name}.predicate.json")),
            predicate.to_string(),
        )
        .unwrap();
        ok(
            self.d(),
            &[
                "attest",
                &format!("example.com/app@{}", self.digest),
                "--predicate",
                &format!("{name}.predicate.json"),
                "--type",
                predicate_type,
                "--key",
                key,
                "--bundle",
                &format!("{name}.bundle.json"),
            ],
        );
        self.append(&format!("{name}.bundle.json"));
    }

    /// A gate decision signed by ci.
    fn gate(&self, name: &str, decision: &str, at: &str) {
        let status = if decision == "pass" { "pass" } else { "block" };
        self.record(
            name,
            GATE,
            &serde_json::json!({
                "decision": decision,
                "gates": [{"id": "vulnerabilities", "status": status, "value": 0, "threshold": 0,
                           "findings": [], "exceptions": []}],
                "evaluatedAt": at,
            }),
            "ci.key",
        );
    }

    /// A promotion record signed by ci and appended by hand, bypassing `promote --env` (what someone
    /// with the key could do).
    fn forged_promotion(&self, env: &str, previous: Option<&str>) {
        self.record(
            &format!("promotion-{env}"),
            PROMOTION,
            &serde_json::json!({
                "environment": env, "outcome": "promoted",
                "repository": format!("oci:{}/{env}", self.d().display()),
                "previous_environment": previous, "reasons": [], "evidence": [],
                "timestamp": "2026-05-28T21:00:00Z",
            }),
            "ci.key",
        );
    }

    /// `promote --env`, which must succeed.
    fn promote(&self, env: &str) {
        let built = self.built();
        ok(
            self.d(),
            &[
                "promote",
                &built,
                "--env",
                env,
                "--environments",
                "environments.yaml",
                "--record-key",
                "ci.key",
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
    }

    fn approve(&self, key: &str) {
        let built = self.built();
        ok(
            self.d(),
            &[
                "approve",
                &built,
                "--env",
                "prod",
                "--role",
                "release-manager",
                "--key",
                key,
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
    }

    fn deploy(&self, env: &str) {
        let image = self.at(env);
        ok(
            self.d(),
            &[
                "deploy",
                "record",
                &image,
                "--env",
                env,
                "--strategy",
                "rolling",
                "--health",
                "pass",
                "--smoke",
                "pass",
                "--key",
                "deployer.key",
                "--ledger",
                "sqlite:ledger.db",
            ],
        );
    }

    /// `lineage verify IMAGE --env ENV` with the build's expectations and `extra` flags.
    fn verify(&self, image: &str, env: &str, extra: &[&str]) -> Output {
        self.verify_with_commit(image, env, &self.commit, extra)
    }

    /// `verify`, expecting the build from `commit`.
    fn verify_with_commit(&self, image: &str, env: &str, commit: &str, extra: &[&str]) -> Output {
        let repo = self.repo.display().to_string();
        let mut args = vec![
            "lineage",
            "verify",
            image,
            "--env",
            env,
            "--environments",
            "environments.yaml",
            "--ledger",
            "sqlite:ledger.db",
            "--key",
            "ci.pub",
            "--insecure-ignore-tlog",
            "--commit",
            commit,
            "--repo",
            &repo,
            "--branch",
            "main",
            "--builder-id",
            BUILDER,
            "--source-uri",
            "github.com/example/app",
        ];
        args.extend_from_slice(extra);
        p(self.d(), &args)
    }

    /// `--output json` of `verify`: the exit code and the report.
    fn report(&self, image: &str, env: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
        self.report_with_commit(image, env, &self.commit, extra)
    }

    fn report_with_commit(
        &self,
        image: &str,
        env: &str,
        commit: &str,
        extra: &[&str],
    ) -> (Option<i32>, serde_json::Value) {
        let mut extra = extra.to_vec();
        extra.extend(["--output", "json"]);
        let out = self.verify_with_commit(image, env, commit, &extra);
        let report = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (out.status.code(), report)
    }

    /// The broken edges of `verify --output json` (exit 1): each as (edge kind, check, detail).
    fn broken(&self, image: &str, env: &str) -> Vec<(String, String, String)> {
        self.broken_with_commit(image, env, &self.commit)
    }

    /// The broken edges of `verify --output json` with `extra` flags (exit 1).
    fn broken_with(&self, image: &str, env: &str, extra: &[&str]) -> Vec<(String, String, String)> {
        let (code, report) = self.report(image, env, extra);
        assert_eq!(code, Some(1), "expected a broken lineage: {report:#}");
        broken_edges(&report["lineage"])
    }

    /// `provenant source check` of the build's commit requiring `checks`, its attestation signed by
    /// ci and appended to the ledger; the exit code.
    fn source_check(&self, checks: &str) -> Option<i32> {
        self.source_check_with(
            checks,
            &["--ledger", "sqlite:ledger.db", "--note-key", "note.key"],
        )
    }

    /// `source check` as [`World::source_check`] with `extra` flags instead of the ledger's.
    fn source_check_with(&self, checks: &str, extra: &[&str]) -> Option<i32> {
        let repo = self.repo.display().to_string();
        // One developer's SSH key: the project's commits are not signed by it (nor at all).
        fs::write(
            self.d().join("allowed_signers"),
            "dev@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkie46Ck/ZJjMay+4aST7Gc3mey90V1Rkhg5wtS0vtv\n",
        )
        .unwrap();
        let out = p(
            self.d(),
            &[
                "source",
                "check",
                "--range",
                "HEAD~1..HEAD",
                "--repo",
                &repo,
                "--require",
                checks,
                "--allowed-signers",
                "allowed_signers",
            ]
            .into_iter()
            // Keyless when given an identity token, else with ci's key.
            .chain(
                if extra.contains(&"--identity-token") {
                    &[][..]
                } else {
                    &["--key", "ci.key"][..]
                }
                .iter()
                .copied(),
            )
            .chain(extra.iter().copied())
            .collect::<Vec<_>>(),
        );
        assert!(
            !extra.contains(&"--ledger") || stdout(&out).contains("attestation appended to the ledger"),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        out.status.code()
    }

    /// The broken edges when the build is expected from `commit`.
    fn broken_with_commit(&self, image: &str, env: &str, commit: &str) -> Vec<(String, String, String)> {
        let (code, report) = self.report_with_commit(image, env, commit, &[]);
        assert_eq!(code, Some(1), "expected a broken lineage: {report:#}");
        assert_eq!(report["verified"], false);
        let broken = broken_edges(&report["lineage"]);
        assert!(!broken.is_empty(), "{report:#}");
        broken
    }
}

/// Every broken edge of a lineage tree in `--output json`, depth first.
fn broken_edges(edge: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![edge];
    while let Some(e) = stack.pop() {
        if e["verdict"] == "broken" {
            out.push((
                e["kind"].as_str().unwrap().to_owned(),
                e["check"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            ));
        }
        if let Some(children) = e["edges"].as_array() {
            stack.extend(children.iter().rev());
        }
    }
    out
}

/// Every edge kind of a lineage tree.
fn kinds(edge: &serde_json::Value) -> Vec<String> {
    let mut out = vec![edge["kind"].as_str().unwrap().to_owned()];
    for child in edge["edges"].as_array().into_iter().flatten() {
        out.extend(kinds(child));
    }
    out
}

fn checks(broken: &[(String, String, String)]) -> Vec<&str> {
    broken.iter().map(|(_, c, _)| c.as_str()).collect()
}

/// Keys (ci builds, packages, gates and promotes; rm approves; deployer records deployments), the
/// roles, a ledger, `env init` over OCI layouts, and the image: a git project built with signed
/// provenance (attached), packaged by ci with its packaging provenance in the ledger.
#[allow(clippy::too_many_lines)] // one setup, step by step
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for k in ["ci", "rm", "deployer", "mallory"] {
        ok(d, &["keys", "generate", "--output-key-prefix", k]);
    }
    fs::write(
        d.join("roles.yaml"),
        "roles:\n  ci:\n    keys: [ci.pub]\n  release-manager:\n    keys: [rm.pub]\n  deployer:\n    keys: [deployer.pub]\n",
    )
    .unwrap();
    crate::environments::ledger_and_environments(d);

    // The project, committed, built with provenance signed by ci.
    let repo = d.join("app");
    fs::create_dir_all(repo.join("src")).unwrap();
    fs::write(repo.join("src/app.sh"), "#!/bin/sh\necho app\n").unwrap();
    fs::write(
        repo.join("build.sh"),
        "#!/bin/sh\nset -eu\nmkdir -p out\ncp src/app.sh out/app\n",
    )
    .unwrap();
    fs::write(repo.join(".gitignore"), "out/\n").unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", ".gitignore"]);
    git(&repo, &["commit", "-qm", "chore: start"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["update-index", "--chmod=+x", "build.sh"]);
    // The built commit: authored by alice, committed by carol.
    let out = std::process::Command::new(provenant_testkit::require_on_path("git"))
        .current_dir(&repo)
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", AUTHOR)
        .env("GIT_COMMITTER_NAME", "Carol")
        .env("GIT_COMMITTER_EMAIL", COMMITTER)
        .args(["-c", "commit.gpgsign=false", "commit", "-qm", "feat: app"])
        .output()
        .unwrap();
    assert!(out.status.success(), "git commit: {}", stderr(&out));
    git(&repo, &["checkout", "-q", "--", "."]);
    let mut perms = fs::metadata(repo.join("build.sh")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(repo.join("build.sh"), perms).unwrap();
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let build_bundle = d.join("app.provenance.json").display().to_string();
    let ci_key = d.join("ci.key").display().to_string();
    ok(
        &repo,
        &[
            "build",
            "--subject",
            "out/app",
            "--source",
            "github.com/example/app",
            "--builder-id",
            BUILDER,
            "--bundle",
            &build_bundle,
            "--key",
            &ci_key,
            "--",
            "./build.sh",
        ],
    );

    // Packaged by ci into the build layout, the build provenance attached.
    let root = d.join("rootfs");
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::copy(repo.join("out/app"), root.join("usr/bin/app")).unwrap();
    let layout = format!("oci:{}/build", d.display());
    let out = ok(
        d,
        &[
            "oci",
            "image",
            root.to_str().unwrap(),
            &format!("{layout}:1"),
            "--key",
            "ci.key",
            "--provenance-bundle",
            "packaging.json",
            "--output",
            "json",
        ],
    );
    let digest = serde_json::from_str::<serde_json::Value>(&out).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        d,
        &[
            "oci",
            "attach",
            &format!("{layout}@{digest}"),
            "--bundle",
            "app.provenance.json",
        ],
    );
    let w = World {
        dir,
        repo,
        commit,
        digest,
    };
    w.append("packaging.json");
    w
}

/// The whole governed path: gate, dev → test → uat → prod, the release manager's approval, a
/// deployment into prod.
fn governed() -> World {
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    for env in ["dev", "test", "uat"] {
        w.promote(env);
    }
    w.approve("rm.key");
    w.promote("prod");
    w.deploy("prod");
    w
}

#[test]
fn lineage_verify_env_holds_over_the_whole_governed_path() {
    let w = governed();
    let (code, report) = w.report(&w.at("prod"), "prod", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verified"], true);
    assert_eq!(report["digest"], w.digest.as_str());
    assert!(broken_edges(&report["lineage"]).is_empty());
    let kinds = kinds(&report["lineage"]);
    for kind in [
        "image",
        "packaging-provenance",
        "build-provenance",
        "source",
        "gate",
        "approval",
        "promotion",
        "deployment",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} edge: {kinds:?}");
    }
    // One promotion edge per environment, in order.
    let text = report.to_string();
    let positions: Vec<usize> = ["dev", "test", "uat", "prod"]
        .iter()
        .map(|env| {
            text.find(&format!("promoted into oci:{}/{env} at", w.d().display()))
                .unwrap_or_else(|| panic!("no promotion into {env}: {report:#}"))
        })
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
    assert!(text.contains(&w.commit), "{report:#}");
    // The text tree says so too.
    let out = w.verify(&w.at("prod"), "prod", &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("lineage verified: every edge holds"));
    crate::support::assert_no_debug_values(&out, "lineage verify --env");
}

#[test]
fn lineage_verify_env_breaks_on_a_missing_gate() {
    let w = world();
    // Promotion records written by hand with the ci key: no gate decision was ever made.
    w.promote("dev");
    w.forged_promotion("test", Some("dev"));
    let broken = w.broken(&w.at("dev"), "test");
    assert_eq!(checks(&broken), ["gate"], "{broken:#?}");
    assert_eq!(broken[0].0, "gate");
    assert!(broken[0].2.contains("no gate decision"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_failed_gate() {
    let w = governed();
    // A later decision blocks: the newest signed decision is the one that counts.
    w.gate("gate-block", "block", "2026-05-29T08:00:00Z");
    let broken = w.broken(&w.at("prod"), "prod");
    assert_eq!(checks(&broken), ["gate"], "{broken:#?}");
    assert!(broken[0].2.contains("vulnerabilities"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_missing_approval() {
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    for env in ["dev", "test", "uat"] {
        w.promote(env);
    }
    // An approval by someone outside the release-manager role, then prod promoted by hand.
    let built = w.built();
    ok(
        w.d(),
        &[
            "approve",
            &built,
            "--env",
            "prod",
            "--role",
            "release-manager",
            "--key",
            "mallory.key",
            "--ledger",
            "sqlite:ledger.db",
        ],
    );
    w.forged_promotion("prod", Some("uat"));
    let broken = w.broken(&w.at("uat"), "prod");
    assert_eq!(checks(&broken), ["approval"], "{broken:#?}");
    assert_eq!(broken[0].0, "approval");
    assert!(broken[0].2.contains("release-manager"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_skipped_environment() {
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    w.promote("dev");
    w.promote("test");
    w.approve("rm.key");
    // uat skipped: prod's record names test as the environment before it.
    w.forged_promotion("prod", Some("test"));
    let broken = w.broken(&w.at("test"), "prod");
    assert_eq!(checks(&broken), ["promotion", "promotion"], "{broken:#?}");
    assert!(broken[0].2.contains("uat"), "{broken:#?}");
    assert!(broken.iter().all(|(kind, _, _)| kind == "promotion"));
}

#[test]
fn lineage_verify_env_breaks_on_an_unrecorded_copy_into_prod() {
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    for env in ["dev", "test", "uat"] {
        w.promote(env);
    }
    w.approve("rm.key");
    // Copied into prod's repository without `--env`: no promotion record.
    let built = w.built();
    ok(
        w.d(),
        &["promote", &built, &format!("oci:{}/prod:1", w.d().display())],
    );
    let broken = w.broken(&w.at("prod"), "prod");
    assert_eq!(checks(&broken), ["promotion", "unrecorded-change"], "{broken:#?}");
    assert!(broken[1].2.contains("/prod"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_deployment_of_an_unpromoted_digest() {
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    for env in ["dev", "test", "uat"] {
        w.promote(env);
    }
    w.deploy("prod");
    let broken = w.broken(&w.at("uat"), "prod");
    let checks = checks(&broken);
    assert!(checks.contains(&"deployment"), "{broken:#?}");
    let deployment = broken.iter().find(|(k, _, _)| k == "deployment").unwrap();
    assert_eq!(deployment.1, "deployment");
    assert!(deployment.2.contains("prod"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_tampered_ledger_entry() {
    use base64::Engine as _;
    let w = world();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    w.promote("dev");
    // A refused promotion into test whose payload was edited to "promoted" after signing.
    fs::write(
        w.d().join("refused.predicate.json"),
        serde_json::json!({
            "environment": "test", "outcome": "refused",
            "repository": format!("oci:{}/test", w.d().display()),
            "previous_environment": "dev", "reasons": [], "evidence": [],
            "timestamp": "2026-05-28T21:00:00Z",
        })
        .to_string(),
    )
    .unwrap();
    ok(
        w.d(),
        &[
            "attest",
            &format!("example.com/app@{}", w.digest),
            "--predicate",
            "refused.predicate.json",
            "--type",
            PROMOTION,
            "--key",
            "ci.key",
            "--bundle",
            "refused.bundle.json",
        ],
    );
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(w.d().join("refused.bundle.json")).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let edited = String::from_utf8(payload)
        .unwrap()
        .replace("\"refused\"", "\"promoted\"");
    bundle["dsseEnvelope"]["payload"] = b64.encode(edited).into();
    fs::write(w.d().join("tampered.json"), bundle.to_string()).unwrap();
    w.append("tampered.json");
    let broken = w.broken(&w.at("dev"), "test");
    assert_eq!(checks(&broken), ["promotion"], "{broken:#?}");
    assert!(broken[0].2.contains("signature"), "{broken:#?}");
}

#[test]
fn lineage_verify_env_breaks_on_a_wrong_commit() {
    let w = governed();
    // The build's commit is the work tree's HEAD; a commit made after it is not the one built.
    fs::write(w.repo.join("NOTES"), "notes\n").unwrap();
    git(&w.repo, &["add", "NOTES"]);
    git(&w.repo, &["commit", "-qm", "notes"]);
    let other = git(&w.repo, &["rev-parse", "HEAD"]);
    let broken = w.broken_with_commit(&w.at("prod"), "prod", &other);
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(broken[0].2.contains(&w.commit[..12]), "{broken:#?}");
}

#[test]
fn lineage_verify_env_draws_mermaid_and_dot() {
    let w = governed();
    let out = w.verify(&w.at("prod"), "prod", &["--output", "mermaid"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mermaid = stdout(&out);
    assert!(
        mermaid.starts_with("flowchart") || mermaid.starts_with("graph"),
        "{mermaid}"
    );
    for word in ["gate", "approval", "promotion", "deployment", "prod"] {
        assert!(mermaid.contains(word), "{word}: {mermaid}");
    }
    let out = w.verify(&w.at("prod"), "prod", &["--output", "dot"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dot = stdout(&out);
    check_dot(w.d(), &dot);
    for word in ["gate", "approval", "promotion", "deployment", "prod"] {
        assert!(dot.contains(word), "{word}: {dot}");
    }
}

/// The DOT text is a well-formed digraph: laid out by Graphviz's `dot` (installed by setup.sh),
/// which must not warn, and structurally (balanced braces and quotes, every edge between declared
/// nodes).
fn check_dot(dir: &Path, dot: &str) {
    let program = provenant_testkit::require_on_path("dot");
    fs::write(dir.join("lineage.dot"), dot).unwrap();
    let o = run(std::process::Command::new(program)
        .args(["-Tsvg", "lineage.dot", "-o", "lineage.svg"])
        .current_dir(dir));
    assert!(o.status.success(), "dot: {}\n{dot}", stderr(&o));
    assert!(stderr(&o).is_empty(), "dot warned: {}\n{dot}", stderr(&o));
    let svg = fs::read_to_string(dir.join("lineage.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("deployment"), "{svg}");
    let body = dot.trim();
    assert!(body.starts_with("digraph"), "{dot}");
    assert!(body.ends_with('}'), "{dot}");
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    for c in body.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => quoted = !quoted,
            (false, _, '{') => depth += 1,
            (false, _, '}') => depth -= 1,
            _ => {}
        }
        assert!(depth >= 0, "{dot}");
    }
    assert_eq!((depth, quoted), (0, false), "{dot}");
    let mut nodes = std::collections::BTreeSet::new();
    let mut edges = Vec::new();
    for line in body.lines().map(str::trim) {
        if let Some((from, rest)) = line.split_once(" -> ") {
            let to = rest.split([' ', ';', '[']).next().unwrap();
            edges.push((from.to_owned(), to.to_owned()));
        } else if let Some((id, _)) = line.split_once(" [") {
            nodes.insert(id.to_owned());
        }
    }
    assert!(edges.len() >= 8, "{dot}");
    for (from, to) in &edges {
        assert!(
            nodes.contains(from) && nodes.contains(to),
            "{from} -> {to}: {dot}"
        );
    }
}

#[test]
fn lineage_verify_env_checks_the_source_attestation_of_the_build_commit() {
    let w = governed();
    // None in the ledger and none required: shown as absent below the build's source commit.
    let (code, report) = w.report(&w.at("prod"), "prod", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let text = report.to_string();
    assert!(
        text.contains(&format!("source attestation of {}", w.commit)),
        "{report:#}"
    );
    assert!(text.contains("absent (not required)"), "{report:#}");
    // Required: the source edge breaks, naming the commit and the role.
    let broken = w.broken_with(&w.at("prod"), "prod", &["--require-source-attestation"]);
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(
        broken[0].2.contains(&format!(
            "no source attestation of commit {} signed by a holder of role ci",
            w.commit
        )),
        "{broken:#?}"
    );
    // `source check` requiring signed commits fails (the commit is unsigned) and records it: that
    // breaks the lineage even when no attestation is required.
    assert_eq!(w.source_check("signed"), Some(1));
    let broken = w.broken_with(&w.at("prod"), "prod", &[]);
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(
        broken[0].2.contains("records result fail, not pass"),
        "{broken:#?}"
    );
    // A later passing check (conventional commits) is the newest: the required edge holds.
    assert_eq!(w.source_check("conventional"), Some(0));
    let (code, report) = w.report(&w.at("prod"), "prod", &["--require-source-attestation"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert!(
        report
            .to_string()
            .contains("source checks passed, signed by ci.pub (role ci)"),
        "{report:#}"
    );
    // Another role's holders are not believed: rm signs nothing here, so with --source-role
    // release-manager the attestation by ci is refused.
    let broken = w.broken_with(
        &w.at("prod"),
        "prod",
        &["--require-source-attestation", "--source-role", "release-manager"],
    );
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(broken[0].2.contains("ledger entry"), "{broken:#?}");
}

/// The governed world up to uat, with keyless holders of release-manager (the commit's author
/// alice, its committer carol, and dave, who had no part in it) at the mock sigstore, and the
/// source stage's attestation of the built commit (signed by ci) in the ledger.
fn keyless_world() -> (World, provenant_testkit::sigstore::MockSigstore) {
    let sigstore = provenant_testkit::sigstore::start_mock_sigstore();
    let w = world();
    let holder = |san: &str| format!("      - {{san: {san}, issuer: '{ISSUER}'}}\n");
    let mut identities = String::new();
    for san in [AUTHOR, COMMITTER, "dave@example.com"] {
        identities.push_str(&holder(san));
    }
    // ci's stage signs keylessly too (as ci-bot).
    let ci_bot = holder(CI_BOT);
    fs::write(
        w.d().join("roles.yaml"),
        format!(
            "roles:\n  ci:\n    keys: [ci.pub]\n    identities:\n{ci_bot}  release-manager:\n    keys: [rm.pub]\n    \
             identities:\n{identities}  deployer:\n    keys: [deployer.pub]\n"
        ),
    )
    .unwrap();
    w.gate("gate-pass", "pass", "2026-05-28T20:00:00Z");
    for env in ["dev", "test", "uat"] {
        w.promote(env);
    }
    (w, sigstore)
}

impl World {
    /// `approve` for prod by `who`, keylessly at the mock sigstore.
    fn approve_keyless(&self, sigstore: &provenant_testkit::sigstore::MockSigstore, who: &str) {
        let token = provenant_testkit::sigstore::mock_identity_token(ISSUER, who);
        let base = sigstore.base_url();
        let built = self.built();
        ok(
            self.d(),
            &[
                "approve",
                &built,
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
            ],
        );
    }
}

/// The typed reasons of the broken `separation-of-duties` edges: (part, approver's SAN, commit).
fn duty_reasons(edge: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![edge];
    while let Some(e) = stack.pop() {
        if e["check"] == "separation-of-duties" {
            let r = &e["reason"];
            assert_eq!(r["reason"], "approver-had-part", "{e:#}");
            out.push((
                r["part"].as_str().unwrap().to_owned(),
                r["approver"].as_str().unwrap().to_owned(),
                r["commit"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        if let Some(children) = e["edges"].as_array() {
            stack.extend(children.iter().rev());
        }
    }
    out
}

#[test]
fn lineage_verify_env_refuses_a_prod_approval_by_the_commits_author_or_committer() {
    let (w, sigstore) = keyless_world();
    assert_eq!(w.source_check("conventional"), Some(0));
    w.approve_keyless(&sigstore, AUTHOR);
    w.approve_keyless(&sigstore, COMMITTER);
    // Promoted into prod by hand: `promote --env` itself refuses these approvals.
    w.forged_promotion("prod", Some("uat"));
    let root = sigstore.trusted_root.display().to_string();
    let trust = ["--trusted-root", root.as_str()];
    let (code, report) = w.report(&w.at("uat"), "prod", &trust);
    assert_eq!(code, Some(1), "{report:#}");
    let broken = broken_edges(&report["lineage"]);
    assert_eq!(
        checks(&broken),
        ["separation-of-duties", "separation-of-duties", "approval"],
        "{broken:#?}"
    );
    assert!(broken[..2].iter().all(|(kind, _, _)| kind == "approval"));
    assert_eq!(
        duty_reasons(&report["lineage"]),
        [
            (
                "author".to_owned(),
                format!("{AUTHOR} ({ISSUER})"),
                w.commit.clone()
            ),
            (
                "committer".to_owned(),
                format!("{COMMITTER} ({ISSUER})"),
                w.commit.clone()
            ),
        ]
    );
    assert!(broken[2].2.contains("0 found"), "{broken:#?}");
    // The text tree names the check and the part.
    let out = w.verify(&w.at("uat"), "prod", &trust);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for part in ["author", "committer"] {
        let who = if part == "author" { AUTHOR } else { COMMITTER };
        assert!(
            text.contains(&format!(
                "separation of duties: the approver of prod, {who} ({ISSUER}), is the {part} of commit {}",
                w.commit
            )),
            "{text}"
        );
    }
    assert!(text.contains("separation-of-duties"), "{text}");
    crate::support::assert_no_debug_values(&out, "lineage verify --env (separation of duties)");
}

#[test]
fn lineage_verify_env_accepts_a_prod_approval_by_someone_without_a_part_in_the_change() {
    let (w, sigstore) = keyless_world();
    assert_eq!(w.source_check("conventional"), Some(0));
    w.approve_keyless(&sigstore, "dave@example.com");
    let root = sigstore.trusted_root.display().to_string();
    // Promoted through `promote --env`, which counts dave's approval.
    let built = w.built();
    ok(
        w.d(),
        &[
            "promote",
            &built,
            "--env",
            "prod",
            "--environments",
            "environments.yaml",
            "--record-key",
            "ci.key",
            "--ledger",
            "sqlite:ledger.db",
            "--trusted-root",
            &root,
        ],
    );
    let (code, report) = w.report(
        &w.at("prod"),
        "prod",
        &["--trusted-root", &root, "--require-source-attestation"],
    );
    assert_eq!(code, Some(0), "{report:#}");
    assert!(duty_reasons(&report["lineage"]).is_empty());
    let text = report.to_string();
    assert!(
        text.contains("approved prod at") && text.contains(&format!("dave@example.com ({ISSUER})")),
        "{report:#}"
    );
}

#[test]
fn lineage_verify_env_does_not_believe_the_parties_of_a_tampered_source_statement() {
    use base64::Engine as _;
    let (w, sigstore) = keyless_world();
    // The source stage's attestation, edited after signing to name dave as the commit's author and
    // committer: believed, it would bar dave's approval.
    assert_eq!(
        w.source_check_with("conventional", &["--attestation-output", "source.json"]),
        Some(0)
    );
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(w.d().join("source.json")).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let edited = String::from_utf8(payload)
        .unwrap()
        .replace(AUTHOR, "dave@example.com")
        .replace(COMMITTER, "dave@example.com");
    assert!(edited.contains("dave@example.com"), "{edited}");
    bundle["dsseEnvelope"]["payload"] = b64.encode(edited).into();
    fs::write(w.d().join("tampered.json"), bundle.to_string()).unwrap();
    w.append("tampered.json");
    w.approve_keyless(&sigstore, "dave@example.com");
    w.forged_promotion("prod", Some("uat"));
    let root = sigstore.trusted_root.display().to_string();
    let (code, report) = w.report(
        &w.at("uat"),
        "prod",
        &["--trusted-root", &root, "--require-source-attestation"],
    );
    assert_eq!(code, Some(1), "{report:#}");
    // The statement is refused on its signature; dave's approval is not barred by what it claims.
    let broken = broken_edges(&report["lineage"]);
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(broken[0].2.contains("signature"), "{broken:#?}");
    assert!(duty_reasons(&report["lineage"]).is_empty());
}

#[test]
fn lineage_verify_env_binds_a_keyless_logged_source_attestation_to_the_commit() {
    let (w, sigstore) = keyless_world();
    let base = sigstore.base_url();
    let sign_as = |who: &str| {
        let token = provenant_testkit::sigstore::mock_identity_token(ISSUER, who);
        w.source_check_with(
            "conventional",
            &[
                "--identity-token",
                &token,
                "--fulcio-url",
                &base,
                "--rekor-url",
                &base,
                "--ledger",
                "sqlite:ledger.db",
                "--note-key",
                "note.key",
            ],
        )
    };
    // Signed keylessly by ci's identity, logged in Rekor: bound to the built commit and believed.
    assert_eq!(sign_as(CI_BOT), Some(0));
    let root = sigstore.trusted_root.display().to_string();
    let (code, report) = w.report(
        &w.at("uat"),
        "uat",
        &["--trusted-root", &root, "--require-source-attestation"],
    );
    assert_eq!(code, Some(0), "{report:#}");
    assert!(
        report.to_string().contains(&format!(
            "source checks passed, signed by {CI_BOT} ({ISSUER}) (role ci)"
        )),
        "{report:#}"
    );
    // Wrong identity: checked for a role ci-bot does not hold (its keyless holders are others),
    // refused by the SAN check.
    let broken = w.broken_with(
        &w.at("uat"),
        "uat",
        &[
            "--trusted-root",
            &root,
            "--require-source-attestation",
            "--source-role",
            "release-manager",
        ],
    );
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    assert!(broken[0].2.contains("SAN mismatch"), "{broken:#?}");
    // Without the trusted root, the logged bundle cannot be checked: refused, never believed.
    let broken = w.broken_with(&w.at("uat"), "uat", &["--require-source-attestation"]);
    assert_eq!(checks(&broken), ["source"], "{broken:#?}");
    // The keyless attestation's author bars her prod approval.
    w.approve_keyless(&sigstore, AUTHOR);
    w.forged_promotion("prod", Some("uat"));
    let (code, report) = w.report(&w.at("uat"), "prod", &["--trusted-root", &root]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(
        duty_reasons(&report["lineage"]),
        [(
            "author".to_owned(),
            format!("{AUTHOR} ({ISSUER})"),
            w.commit.clone()
        )]
    );
}
