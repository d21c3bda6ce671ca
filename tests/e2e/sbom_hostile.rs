//! `provenant sbom generate` on hostile targets: padded lockfiles under a memory limit, special files, an
//! unreadable directory, and an oversize lockfile inside an image.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::sbom::fixtures;
use crate::support::{provenant, run, stderr, stdout};

/// `provenant sbom generate ARGS` with a fixed epoch.
fn generate(args: &[&str]) -> Output {
    run(provenant()
        .env("SOURCE_DATE_EPOCH", "0")
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(["sbom", "generate"])
        .args(args))
}

fn doc(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

fn purls(doc: &Value) -> Vec<String> {
    doc["components"]
        .as_array()
        .map(|a| a.iter().map(|c| c["purl"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn incomplete(doc: &Value) -> bool {
    doc["metadata"]["properties"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["name"] == "provenant:incomplete"))
}

/// The data segment limit a padded lockfile of `input` bytes is cataloged within: four times its size and
/// 16 MiB for the program itself (the parsers used to take 33 to 50 bytes per byte of padding).
fn data_limit(input: usize) -> usize {
    4 * input + (16 << 20)
}

/// `provenant sbom generate DIR` under `prlimit --data=LIMIT` (util-linux): allocating beyond the limit
/// aborts the program.
fn generate_limited(dir: &Path, limit: usize) -> Output {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--data={limit}"))
        .arg(env!("CARGO_BIN_EXE_provenant"))
        .args(["sbom", "generate"])
        .arg(dir)
        .env("SOURCE_DATE_EPOCH", "0")
        .env_remove("RUST_LOG");
    run(&mut cmd)
}

#[test]
fn memory_amplification_in_lockfile_parsers() {
    const PADDING: usize = 6 << 20;
    let t = tempfile::tempdir().unwrap();
    // Each fixture made by its package manager, padded with newlines after its content (TOML also with
    // comment lines, which its parser keeps a token for as well).
    let cases: [(&str, &str, &[u8], &str); 5] = [
        ("cargo-v4", "Cargo.lock", b"\n", "pkg:cargo/"),
        ("poetry-lock", "poetry.lock", b"#\n", "pkg:pypi/"),
        ("uv-lock", "uv.lock", b"\n", "pkg:pypi/"),
        ("pip-req", "requirements.txt", b"\n", "pkg:pypi/"),
        ("pnpm-v9", "pnpm-lock.yaml", b"\n", "pkg:npm/"),
    ];
    for (fixture, name, pad, purl_type) in cases {
        let dir = t.path().join(fixture);
        std::fs::create_dir(&dir).unwrap();
        let mut content = std::fs::read(fixtures().join(fixture).join(name)).unwrap();
        let original = content.len();
        content.extend(pad.repeat(PADDING / pad.len()));
        std::fs::write(dir.join(name), &content).unwrap();
        let o = generate_limited(&dir, data_limit(content.len()));
        assert!(
            o.status.success(),
            "{name} padded to {} bytes ({original} of content) is not cataloged within {} bytes of data: {}",
            content.len(),
            data_limit(content.len()),
            stderr(&o)
        );
        let found = purls(&doc(&o));
        assert!(
            found.iter().any(|p| p.starts_with(purl_type)),
            "{name}: the padded lockfile's packages are missing: {found:?}"
        );
        assert!(!incomplete(&doc(&o)), "{name}: {}", stderr(&o));
    }
}

#[test]
fn memory_amplification_in_lockfile_parsers_dense_content_is_refused_within_the_bound() {
    // Content, not padding: a TOML array of 4 million values and a requirements file of 3 million pins.
    let t = tempfile::tempdir().unwrap();
    let mut lock = b"version = 4\nx = [".to_vec();
    lock.extend(b"1,".repeat(4_000_000));
    lock.extend(b"]\n");
    std::fs::write(t.path().join("Cargo.lock"), &lock).unwrap();
    let mut req = Vec::new();
    for i in 0..3_000_000 {
        req.extend(format!("p{i}==1\n").as_bytes());
    }
    std::fs::write(t.path().join("requirements.txt"), &req).unwrap();
    let o = generate_limited(t.path(), data_limit(lock.len() + req.len()));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for name in ["Cargo.lock", "requirements.txt"] {
        assert!(
            err.contains(&format!("warning: {name}: holds about")) && err.contains("values, more than the"),
            "{name} is not refused: {err}"
        );
    }
    assert!(incomplete(&doc(&o)));
}

#[test]
fn sbom_generate_file_hangs_on_special_files() {
    let t = tempfile::tempdir().unwrap();
    let zero = t.path().join("Cargo.lock");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = t.path().join("requirements.txt");
    let made = run(Command::new("mkfifo").arg(&fifo));
    assert!(made.status.success(), "mkfifo: {}", stderr(&made));
    for target in [&zero, &fifo, &Path::new("/dev/null").to_path_buf()] {
        // A hang fails the test through the harness's slow-test timeout; the exit code and message are
        // what is asserted.
        let o = generate(&[target.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}{}",
            target.display(),
            stdout(&o),
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("is not a regular file or directory"),
            "{}: {}",
            target.display(),
            stderr(&o)
        );
        assert!(o.stdout.is_empty());
    }
    // A symbolic link to a regular file is still cataloged.
    let lock = t.path().join("linked");
    std::fs::create_dir(&lock).unwrap();
    std::os::unix::fs::symlink(fixtures().join("cargo-v4/Cargo.lock"), lock.join("Cargo.lock")).unwrap();
    let o = generate(&[lock.join("Cargo.lock").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(purls(&doc(&o)).iter().any(|p| p.starts_with("pkg:cargo/")));
}

/// Runs `args` as the unprivileged user `nobody` (setpriv, util-linux), so that file permissions apply.
fn as_nobody(binary: &Path, args: &[&str]) -> Output {
    run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(binary)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "0")
        .env_remove("RUST_LOG"))
}

#[test]
fn one_unreadable_directory_aborts_sbom_generate() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = tempfile::tempdir().unwrap();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The binary is copied where the unprivileged user can run it.
    let binary = t.path().join("provenant");
    std::fs::copy(env!("CARGO_BIN_EXE_provenant"), &binary).unwrap();
    let target = t.path().join("project");
    std::fs::create_dir_all(target.join("app")).unwrap();
    std::fs::create_dir_all(target.join("secret/inner")).unwrap();
    std::fs::copy(
        fixtures().join("cargo-v4/Cargo.lock"),
        target.join("app/Cargo.lock"),
    )
    .unwrap();
    std::fs::write(target.join("secret/inner/requirements.txt"), "six==1.16.0\n").unwrap();
    let ok = as_nobody(&binary, &["sbom", "generate", target.to_str().unwrap()]);
    assert!(ok.status.success(), "readable tree: {}", stderr(&ok));
    assert!(!incomplete(&doc(&ok)));
    std::fs::set_permissions(target.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // The precondition: the user cannot read the directory.
    let ls = run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "ls"])
        .arg(target.join("secret")));
    assert!(!ls.status.success(), "the directory is readable as nobody");

    let o = as_nobody(&binary, &["sbom", "generate", target.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d = doc(&o);
    assert!(incomplete(&d), "the SBOM is not marked incomplete");
    assert!(
        purls(&d).iter().any(|p| p.starts_with("pkg:cargo/")),
        "the readable part is not cataloged"
    );
    assert!(stderr(&o).contains("warning: secret"), "{}", stderr(&o));
    let strict = as_nobody(
        &binary,
        &["sbom", "generate", "--strict", target.to_str().unwrap()],
    );
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
    assert!(strict.stdout.is_empty());
    std::fs::set_permissions(target.join("secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn oversize_lockfile_inside_an_image_is_dropped_silently() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("rootfs");
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::create_dir_all(root.join("big")).unwrap();
    std::fs::copy(
        fixtures().join("cargo-v4/Cargo.lock"),
        root.join("app/Cargo.lock"),
    )
    .unwrap();
    // One byte over the bound: zeros, which compress to almost nothing.
    let big = std::fs::File::create(root.join("big/Cargo.lock")).unwrap();
    big.set_len(provenant_catalog::MAX_FILE_BYTES + 1).unwrap();
    drop(big);
    // The same tree as a directory warns...
    let dir = generate(&[root.to_str().unwrap()]);
    assert!(dir.status.success(), "{}", stderr(&dir));
    assert!(
        stderr(&dir).contains("warning: big/Cargo.lock: larger than"),
        "{}",
        stderr(&dir)
    );
    assert!(incomplete(&doc(&dir)));
    // ...and so does the image made of it (umoci, one layer).
    let layout = t.path().join("layout");
    let image = format!("{}:v1", layout.display());
    for args in [
        vec!["init", "--layout", layout.to_str().unwrap()],
        vec!["new", "--image", &image],
    ] {
        umoci(&args);
    }
    let bundle = t.path().join("bundle");
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &image,
        bundle.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(bundle.join("rootfs")).unwrap();
    std::fs::rename(&root, bundle.join("rootfs")).unwrap();
    umoci(&["repack", "--image", &image, bundle.to_str().unwrap()]);
    let reference = format!("oci:{image}");
    let o = generate(&[&reference]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: big/Cargo.lock: larger than"),
        "{}",
        stderr(&o)
    );
    let d = doc(&o);
    assert!(incomplete(&d), "the image's SBOM is not marked incomplete");
    assert!(purls(&d).iter().any(|p| p.starts_with("pkg:cargo/")));
    let strict = generate(&["--strict", &reference]);
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
}

fn umoci(args: &[&str]) {
    let o = Command::new(provenant_testkit::require_on_path("umoci"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "umoci {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
