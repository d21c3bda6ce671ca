//! The registry client as the commands use it: deadlines on registries that never answer, no
//! credential in any log level, and network errors reported as errors (exit 2), not as verdicts.

use std::path::Path;
use std::process::Command;

use provenant_testkit::registry::{DockerRegistry, Faults, MemoryRegistry, Stall, StallingServer};

use crate::support::{base64_encode, provenant, run, stderr, stdout};

const GENERATOR: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";

/// A digest no registry here has.
const DIGEST: &str = "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6";

fn provenant_cmd(args: &[&str]) -> Command {
    let mut cmd = provenant();
    cmd.args(args).env("DOCKER_CONFIG", "/nonexistent");
    cmd
}

/// Runs `provenant ARGS` and returns its exit code, stdout and stderr.
fn exec(args: &[&str]) -> (i32, String, String) {
    let out = run(&mut provenant_cmd(args));
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

fn trusted_root() -> String {
    provenant_testkit::vectors_dir()
        .join("sigstore-python/embedded-trust-roots/prod/trusted_root.json")
        .display()
        .to_string()
}

fn verify_image(image: &str, extra: &[&str]) -> (i32, String, String) {
    let root = trusted_root();
    let mut args = vec![
        "verify-image",
        image,
        "--source-uri",
        "github.com/slsa-framework/example-package",
        "--builder-id",
        GENERATOR,
        "--trusted-root",
        &root,
    ];
    args.extend_from_slice(extra);
    exec(&args)
}

/// Whether a directory holds no file at all (or does not exist).
fn holds_no_file(dir: &Path) -> bool {
    if !dir.exists() {
        return true;
    }
    std::fs::read_dir(dir).unwrap().all(|e| {
        let path = e.unwrap().path();
        path.is_dir() && holds_no_file(&path)
    })
}

fn assert_failed_with(result: &(i32, String, String), what: &str, args: &str) {
    let (code, out, err) = result;
    assert_eq!(*code, 2, "{args}: {out}\n{err}");
    assert!(err.contains(what), "{args}: expected {what:?} in:\n{err}");
}

#[test]
fn registry_silent_connection_times_out() {
    let t = tempfile::tempdir().unwrap();
    let silent = StallingServer::start(Stall::Silent);
    let image = format!("{}/app@{DIGEST}", silent.host());
    let short = ["--read-timeout", "1", "--connect-timeout", "2"];

    // oci pull: nothing written.
    let out = t.path().join("pulled");
    let mut args = vec!["oci", "pull", &image, "-o", out.to_str().unwrap()];
    args.extend(short);
    assert_failed_with(&exec(&args), "the read timeout", "oci pull");
    assert!(!out.exists(), "oci pull wrote {}", out.display());

    // promote: nothing copied, no tag.
    let dst = t.path().join("prod");
    let dst_ref = format!("oci:{}:v1", dst.display());
    let mut args = vec!["promote", &image, &dst_ref];
    args.extend(short);
    assert_failed_with(&exec(&args), "the read timeout", "promote");
    assert!(holds_no_file(&dst.join("blobs")), "promote copied blobs");
    if let Ok(index) = std::fs::read_to_string(dst.join("index.json")) {
        assert!(!index.contains("\"v1\""), "promote tagged: {index}");
    }

    // verify-image: an error, not a verdict.
    let (code, out, err) = verify_image(&image, &short);
    assert_eq!(code, 2, "verify-image: {out}\n{err}");
    assert!(err.contains("the read timeout"), "{err}");
    assert!(!out.contains("FAILED"), "{out}");

    // A registry that answers one byte at a time never lets the read timeout pass: the request's
    // deadline ends it.
    let trickle = StallingServer::start(Stall::Trickle(std::time::Duration::from_millis(300)));
    let image = format!("{}/app@{DIGEST}", trickle.host());
    let out = t.path().join("trickled");
    let args = [
        "oci",
        "pull",
        &image,
        "-o",
        out.to_str().unwrap(),
        "--read-timeout",
        "5",
        "--registry-timeout",
        "1.5",
    ];
    assert_failed_with(&exec(&args), "the registry timeout", "oci pull (trickle)");
    assert!(!out.exists());
}

#[test]
fn registry_timeout_flags_are_validated() {
    for value in ["0", "-1", "soon", "NaN"] {
        let flag = format!("--read-timeout={value}");
        let (code, _, err) = exec(&["oci", "pull", "127.0.0.1:1/app:v1", "-o", "x", &flag]);
        assert_eq!(code, 2, "{value}: {err}");
        assert!(
            err.contains("is not a positive number of seconds"),
            "{value}: {err}"
        );
    }
}

/// Everything a wire dump (hex rows of 16 bytes followed by their printable characters) shows, rows
/// joined, so that a secret split across rows is still found: the printable text and the hex digits.
fn wire_dumps(log: &str) -> (String, String) {
    let (mut text, mut hex) = (String::new(), String::new());
    for line in log.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() < 9 {
            continue;
        }
        let (groups, ascii) = tokens.split_at(tokens.len() - 1);
        let groups = &groups[groups.len() - 8..];
        let is_row = ascii[0].len() == 16
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        if is_row {
            text.push_str(ascii[0]);
            for g in groups {
                hex.push_str(&g.replace('-', ""));
            }
        }
    }
    (text, hex)
}

fn hex(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Fails when `log` shows any of `secrets`, as text, base64 of `user:secret`, or hex.
fn assert_no_secret(log: &str, user: &str, secrets: &[String], what: &str) {
    let (dump_text, dump_hex) = wire_dumps(log);
    for secret in secrets {
        let basic = base64_encode(format!("{user}:{secret}").as_bytes());
        for needle in [secret.as_str(), basic.trim()] {
            assert!(
                !log.contains(needle),
                "{what} printed a credential ({needle}):\n{log}"
            );
            assert!(
                !dump_text.contains(needle),
                "{what} dumped a credential ({needle}):\n{log}"
            );
            assert!(
                !dump_hex.contains(&hex(needle)),
                "{what} dumped a credential in hex ({needle}):\n{log}"
            );
        }
    }
}

#[test]
fn vvv_never_prints_registry_credentials() {
    const USER: &str = "prov";
    const PASSWORD: &str = "s3cret-Basic-pw-9f2c";
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("note.txt");
    std::fs::write(&file, b"a note\n").unwrap();
    let creds = format!("{USER}:{PASSWORD}");

    // Basic authentication (docker-registry with htpasswd), at every verbosity and under RUST_LOG.
    let basic = DockerRegistry::start_with_auth(USER, PASSWORD);
    let reference = format!("{}/notes:v1", basic.host());
    let pulled = t.path().join("basic");
    let runs: [Vec<&str>; 2] = [
        vec![
            "-vvv",
            "oci",
            "push",
            &reference,
            file.to_str().unwrap(),
            "--creds",
            &creds,
        ],
        vec![
            "-vvv",
            "oci",
            "pull",
            &reference,
            "-o",
            pulled.to_str().unwrap(),
            "--creds",
            &creds,
        ],
    ];
    for args in &runs {
        for rust_log in [None, Some("trace")] {
            let mut cmd = provenant_cmd(args);
            if let Some(level) = rust_log {
                cmd.env("RUST_LOG", level);
            }
            let out = run(&mut cmd);
            let log = format!("{}{}", stdout(&out), stderr(&out));
            assert!(out.status.success(), "{args:?}: {log}");
            // The log is the trace the user asked for: the requests are in it.
            assert!(
                log.contains("TRACE") || log.contains("DEBUG"),
                "{args:?}: no trace at all:\n{log}"
            );
            assert_no_secret(&log, USER, &[PASSWORD.to_owned()], &format!("{args:?}"));
        }
    }
    assert_eq!(std::fs::read(pulled.join("note.txt")).unwrap(), b"a note\n");

    // The bearer-token flow (the in-test registry with its token endpoint): neither the password nor
    // any token issued.
    let bearer = MemoryRegistry::start();
    bearer.set_faults(Faults {
        bearer: Some((USER.to_owned(), PASSWORD.to_owned())),
        ..Faults::default()
    });
    let reference = format!("{}/app:v1", bearer.host());
    let pulled = t.path().join("bearer");
    let mut logs = Vec::new();
    for args in [
        vec![
            "-vvv",
            "oci",
            "push",
            &reference,
            file.to_str().unwrap(),
            "--creds",
            &creds,
        ],
        vec![
            "-vvv",
            "oci",
            "pull",
            &reference,
            "-o",
            pulled.to_str().unwrap(),
            "--creds",
            &creds,
        ],
    ] {
        let out = run(&mut provenant_cmd(&args));
        let log = format!("{}{}", stdout(&out), stderr(&out));
        assert!(out.status.success(), "{args:?}: {log}");
        logs.push((args, log));
    }
    let tokens = bearer.issued_tokens();
    assert!(!tokens.is_empty(), "the bearer flow was not used");
    let mut secrets = tokens;
    secrets.push(PASSWORD.to_owned());
    for (args, log) in &logs {
        assert_no_secret(log, USER, &secrets, &format!("{args:?}"));
    }
}

#[test]
fn verify_image_unreachable_registry_exits_2() {
    // Nothing listens there.
    let port = provenant_testkit::free_port();
    let image = format!("127.0.0.1:{port}/app@{DIGEST}");
    let (code, out, err) = verify_image(&image, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(!out.contains("no cosign attestation"), "{out}");
    assert!(
        err.contains("cosign attestation tag") && err.contains("refused"),
        "{err}"
    );
    let (code, out, err) = verify_image(&image, &["--output", "json"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
}
