//! Test harness for Provenant's integration and end-to-end tests. Never a dependency of shipped code.
//!
//! It finds the independent tools that `tests/harness/setup.sh` installs (Debian packages on `PATH`,
//! Python tools in per-tool virtualenvs and npm packages under the oracles directory), and starts
//! services on free loopback ports, stopping them when the guard is dropped.
//!
//! A missing peer is a test failure that names the command installing it: tests never skip silently.
#![forbid(unsafe_code)]
// This crate exists to be used from tests, where failing loudly with a message is the point.
#![allow(clippy::panic, clippy::expect_used, clippy::missing_panics_doc)]

pub mod cdevents;
pub mod http;
pub mod postgres;
pub mod prometheus;
pub mod sigstore;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The command that installs every peer; named in every "missing" failure.
pub const SETUP_COMMAND: &str = "just setup   (runs tests/harness/setup.sh)";

/// The repository root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

/// Where `setup.sh` installed the non-Debian peers: `$PROVENANT_ORACLES` or `<repo>/.oracles`.
#[must_use]
pub fn oracles_dir() -> PathBuf {
    std::env::var_os("PROVENANT_ORACLES").map_or_else(|| repo_root().join(".oracles"), PathBuf::from)
}

/// The third-party test vectors: `$PROVENANT_VECTORS`, else `../shared/vectors` beside the repository,
/// else beside the repository this one was cloned from (a local clone's `origin`, as a fresh checkout in a
/// scratch directory has). Panics (fails the test) with a clear message when none exists.
#[must_use]
pub fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROVENANT_VECTORS") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "PROVENANT_VECTORS={} is not a directory",
            dir.display()
        );
        return dir;
    }
    let beside = |root: &Path| root.join("../shared/vectors");
    let here = beside(&repo_root());
    if here.is_dir() {
        return here;
    }
    let origin = std::process::Command::new("git")
        .current_dir(repo_root())
        .args(["config", "--get", "remote.origin.url"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .map(|url| PathBuf::from(url.strip_prefix("file://").unwrap_or(&url)))
        .filter(|p| p.is_absolute())
        .map(|p| beside(&p))
        .filter(|p| p.is_dir());
    origin.unwrap_or_else(|| {
        panic!(
            "third-party test vectors not found at {} (nor beside the repository this was cloned from): \
             set PROVENANT_VECTORS to the vectors directory",
            here.display()
        )
    })
}

/// A program on `PATH`, or a failure naming the installer.
#[must_use]
pub fn require_on_path(program: &str) -> PathBuf {
    which(program).unwrap_or_else(|| panic!("`{program}` is not installed: run {SETUP_COMMAND}"))
}

/// Headless Chromium (Debian's `chromium`, installed by `tests/harness/setup.sh`), for pages a test
/// renders: run it with `--headless --no-sandbox --disable-gpu`.
#[must_use]
pub fn require_chromium() -> PathBuf {
    require_on_path("chromium")
}

/// Looks a program up on `PATH`.
#[must_use]
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// `kubernetes-validate` (it validates against the Kubernetes schemas offline), from the `kubernetes` virtualenv.
#[must_use]
pub fn require_kubernetes_validate() -> PathBuf {
    require_venv_tool("kubernetes", "kubernetes-validate")
}

/// A console script installed in one of the oracle virtualenvs (`venvs/<venv>/bin/<program>`).
#[must_use]
pub fn require_venv_tool(venv: &str, program: &str) -> PathBuf {
    let p = oracles_dir().join("venvs").join(venv).join("bin").join(program);
    assert!(
        p.is_file(),
        "`{program}` (virtualenv {venv}) is not installed at {}: run {SETUP_COMMAND}",
        p.display()
    );
    p
}

/// actionlint (the linter for GitHub Actions workflows), from its virtualenv.
#[must_use]
pub fn require_actionlint() -> PathBuf {
    require_venv_tool("actionlint", "actionlint")
}

/// check-jsonschema, whose vendored schemas (`--builtin-schema vendor.github-workflows`,
/// `vendor.gitlab-ci`) validate CI pipelines offline.
#[must_use]
pub fn require_check_jsonschema() -> PathBuf {
    require_venv_tool("sbom", "check-jsonschema")
}

/// The `node_modules` directory of an oracle npm install (`npm/<name>/node_modules`), for `NODE_PATH`.
#[must_use]
pub fn require_node_modules(name: &str) -> PathBuf {
    let p = oracles_dir().join("npm").join(name).join("node_modules");
    assert!(
        p.is_dir(),
        "npm packages `{name}` are not installed at {}: run {SETUP_COMMAND}",
        p.display()
    );
    p
}

/// A fixture that `setup.sh` downloads rather than the repository holding it (third-party binaries):
/// `fixtures/<group>/<path>` under the oracles directory.
#[must_use]
pub fn require_fixture(group: &str, path: &str) -> PathBuf {
    let p = oracles_dir().join("fixtures").join(group).join(path);
    assert!(
        p.is_file(),
        "fixture `{path}` ({group}) is not downloaded at {}: run {SETUP_COMMAND}",
        p.display()
    );
    p
}

/// A free TCP port on 127.0.0.1 (bound and released; services should still retry on a clash).
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
#[must_use]
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// A background service that is killed when dropped.
#[derive(Debug)]
pub struct Service {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    /// Its scratch directory (configuration, data, logs), removed on drop.
    pub dir: tempfile::TempDir,
}

impl Service {
    /// Spawns `command` (already configured to listen on `port`) and waits until the port accepts
    /// connections; fails the test with the log file's tail otherwise.
    #[must_use]
    pub fn spawn(mut command: Command, port: u16, dir: tempfile::TempDir, log_name: &str) -> Service {
        let log = std::fs::File::create(dir.path().join(log_name)).expect("create service log");
        command
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        let program = command.get_program().display().to_string();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}; run {SETUP_COMMAND}"));
        let mut service = Service { child, port, dir };
        if !wait_for_port(port, Duration::from_secs(20)) {
            let log = std::fs::read_to_string(service.dir.path().join(log_name)).unwrap_or_default();
            let _ = service.child.kill();
            panic!("{program} did not listen on 127.0.0.1:{port} within 20 s; its log:\n{log}");
        }
        service
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
pub mod registry;

/// Runs `git ARGS` in `dir` with a fixed test identity and returns its trimmed standard output; fails the
/// test when git fails.
#[allow(clippy::must_use_candidate)] // called for its effect as often as for its output
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(require_on_path("git"))
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.invalid"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The time of every fixture commit (`git_fixed`): 2023-11-14T22:13:20Z.
pub const FIXTURE_COMMIT_TIME: &str = "@1700000000 +0000";

/// Runs `git ARGS` in `dir` as the fixtures' committer (`t <t@example.invalid>`, no signing) at
/// [`FIXTURE_COMMIT_TIME`], so that a fixture's commits have the same ids on every run; fails the test
/// when git fails.
pub fn git_fixed(dir: &Path, args: &[&str]) {
    let status = Command::new(require_on_path("git"))
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", FIXTURE_COMMIT_TIME)
        .env("GIT_COMMITTER_DATE", FIXTURE_COMMIT_TIME)
        .status()
        .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}"));
    assert!(status.success(), "git {args:?}");
}

/// Makes `dir` a git repository on `main` whose one commit (`fixture`, made by [`git_fixed`]) holds
/// everything in it.
pub fn commit_fixture(dir: &Path) {
    git_fixed(dir, &["init", "-q", "-b", "main", "."]);
    git_fixed(dir, &["add", "-A"]);
    git_fixed(dir, &["commit", "-qm", "fixture"]);
}

/// A copy of the fixture directory `src` (`cp -a`, modes kept) in a fresh temporary directory,
/// committed by [`commit_fixture`].
#[must_use]
pub fn committed_copy(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let status = Command::new("cp")
        .arg("-a")
        .arg(src.join("."))
        .arg(dir.path())
        .status()
        .unwrap_or_else(|e| panic!("cannot run cp: {e}"));
    assert!(status.success(), "cp -a {}", src.display());
    commit_fixture(dir.path());
    dir
}

/// Validates an in-toto statement file with in-toto-attestation (Statement v1, and a strict SLSA v1
/// predicate when it has one) through `tests/harness/validate_statement.py`; fails the test when it is
/// rejected.
pub fn validate_statement(statement: &Path) {
    let python = require_venv_tool("intoto", "python");
    let script = repo_root().join("tests/harness/validate_statement.py");
    let out = Command::new(python)
        .arg(script)
        .arg(statement)
        .output()
        .unwrap_or_else(|e| panic!("cannot run validate_statement.py: {e}"));
    assert!(
        out.status.success(),
        "in-toto-attestation rejects {}:\n{}{}",
        statement.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// npm's registry keys (`keys.json`, the sigstore TUF repository's `registry.npmjs.org/keys.json`
/// target), as sigstore-js ships it in `@sigstore/tuf/seeds.json` under the oracles' npm install.
#[must_use]
pub fn npm_registry_keys() -> Vec<u8> {
    use base64::Engine as _;
    let seeds = require_node_modules("sigstore").join("@sigstore/tuf/seeds.json");
    let text = std::fs::read_to_string(&seeds)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run {SETUP_COMMAND}", seeds.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("seeds.json is JSON");
    let target = doc
        .as_object()
        .and_then(|repos| {
            repos
                .values()
                .find_map(|r| r.pointer("/targets/registry.npmjs.org%2Fkeys.json"))
        })
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("{} has no registry.npmjs.org/keys.json target", seeds.display()));
    base64::engine::general_purpose::STANDARD
        .decode(target)
        .expect("the keys.json target is base64")
}

/// A small seeded pseudo-random generator (Knuth's MMIX linear congruential one) for tests that need
/// many varied inputs, the same on every run.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator starting from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// The next 31 bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from(self.0 >> 33).unwrap_or(0)
    }

    /// The next byte (the top bits of the next number).
    pub fn byte(&mut self) -> u8 {
        u8::try_from(self.next_u32() >> 23).unwrap_or(0)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u32()).unwrap_or(0) % n
    }
}
