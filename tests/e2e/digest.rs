//! `provenant digest` against coreutils and an independent implementation of the tree digest.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use crate::support::{provenant_in, run, stderr, stdout};

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn random_files(dir: &Path) -> Vec<String> {
    let sizes = [0usize, 1, 55, 64, 1000, 65_536, (1 << 20) + 3, (3 << 20) + 1];
    let mut names = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("file-{i}.bin");
        fs::write(dir.join(&name), noise(i as u64 + 11, *size)).unwrap();
        names.push(name);
    }
    fs::write(dir.join("with space.txt"), b"spaces").unwrap();
    fs::write(dir.join("back\\slash.txt"), b"escaped by coreutils").unwrap();
    names.push("with space.txt".into());
    names.push("back\\slash.txt".into());
    names
}

#[test]
fn plain_output_is_byte_identical_to_coreutils() {
    let t = tempfile::tempdir().unwrap();
    let names = random_files(t.path());
    for (tool, algorithm) in [("sha256sum", "sha256"), ("sha512sum", "sha512")] {
        let _ = provenant_testkit::require_on_path(tool);
        let theirs = run(Command::new(tool).current_dir(t.path()).args(&names));
        assert!(theirs.status.success());
        let mut args = vec!["digest", "--plain", "--algorithm", algorithm];
        args.extend(names.iter().map(String::as_str));
        let ours = provenant_in(t.path(), &args);
        assert!(ours.status.success(), "{}", stderr(&ours));
        assert_eq!(stdout(&ours), stdout(&theirs), "{tool}");
    }
}

#[test]
fn default_output_is_the_oci_form_of_the_same_digest() {
    let t = tempfile::tempdir().unwrap();
    let names = random_files(t.path());
    let theirs = stdout(&run(Command::new("sha256sum")
        .current_dir(t.path())
        .arg(&names[4])));
    let ours = stdout(&provenant_in(t.path(), &["digest", &names[4]]));
    assert_eq!(ours, format!("sha256:{theirs}"));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("in"), b"hello\n").unwrap();
    let out = run(crate::support::provenant()
        .current_dir(t.path())
        .args(["digest", "-"])
        .stdin(fs::File::open(t.path().join("in")).unwrap()));
    assert_eq!(
        stdout(&out),
        "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n"
    );
}

#[test]
fn check_accepts_lists_written_by_sha256sum_and_by_us() {
    let t = tempfile::tempdir().unwrap();
    let names = random_files(t.path());
    let list = run(Command::new("sha256sum").current_dir(t.path()).args(&names));
    fs::write(t.path().join("coreutils.list"), &list.stdout).unwrap();
    let ok = provenant_in(t.path(), &["digest", "--check", "coreutils.list"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert_eq!(
        stdout(&ok).lines().filter(|l| l.ends_with(": OK")).count(),
        names.len()
    );

    let mut args = vec!["digest"];
    args.extend(names.iter().map(String::as_str));
    let ours = provenant_in(t.path(), &args);
    fs::write(t.path().join("ours.list"), &ours.stdout).unwrap();
    // And coreutils cannot read ours (prefixed), but we read both; the plain form is theirs.
    assert!(
        provenant_in(t.path(), &["digest", "--check", "ours.list"])
            .status
            .success()
    );
}

#[test]
fn check_fails_with_exit_1_naming_the_tampered_and_missing_files() {
    let t = tempfile::tempdir().unwrap();
    let names = random_files(t.path());
    let mut args = vec!["digest"];
    args.extend(names.iter().map(String::as_str));
    let list = provenant_in(t.path(), &args);
    fs::write(t.path().join("list"), &list.stdout).unwrap();

    let mut bytes = fs::read(t.path().join(&names[3])).unwrap();
    bytes[10] ^= 1;
    fs::write(t.path().join(&names[3]), bytes).unwrap();
    fs::remove_file(t.path().join(&names[5])).unwrap();

    let out = provenant_in(t.path(), &["digest", "--check", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}: FAILED (expected sha256:", names[3])),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: FAILED open or read", names[5])),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(": OK")).count(),
        names.len() - 2
    );
    assert!(
        stderr(&out).contains("1 of 10 computed digests did NOT match"),
        "{}",
        stderr(&out)
    );

    let json = provenant_in(t.path(), &["digest", "--check", "list", "--output", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["mismatched"], 1);
    assert_eq!(v["unreadable"], 1);
}

#[test]
fn check_of_a_list_without_checksum_lines_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("list"), b"this is not a checksum list\n").unwrap();
    let out = provenant_in(t.path(), &["digest", "--check", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no properly formatted checksum lines"),
        "{}",
        stderr(&out)
    );

    let d = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    fs::write(t.path().join("empty"), b"").unwrap();
    fs::write(t.path().join("list"), format!("{d}  empty\ngarbage\n")).unwrap();
    assert!(
        provenant_in(t.path(), &["digest", "--check", "list"])
            .status
            .success()
    );
    let strict = provenant_in(t.path(), &["digest", "--check", "list", "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn tree_digest_matches_the_independent_reference_implementation() {
    let python = provenant_testkit::require_on_path("python3");
    let reference = provenant_testkit::repo_root().join("tests/reference/tree_digest.py");
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    for (i, name) in [
        "a/x",
        "a/b/y",
        "a/b/c/z",
        "top",
        "a.b",
        "a-b",
        "ünïcode",
        "with space",
    ]
    .iter()
    .enumerate()
    {
        fs::write(root.join(name), noise(i as u64, 3000 * i)).unwrap();
    }
    fs::set_permissions(root.join("a/b/y"), fs::Permissions::from_mode(0o750)).unwrap();
    symlink("../top", root.join("a/link")).unwrap();
    symlink("nowhere", root.join("dangling")).unwrap();
    for algorithm in ["sha256", "sha512"] {
        let reference = run(Command::new(&python).arg(&reference).arg(algorithm).arg(&root));
        assert!(reference.status.success(), "{}", stderr(&reference));
        let ours = provenant_in(t.path(), &["digest", "--algorithm", algorithm, "tree"]);
        assert_eq!(stdout(&ours), format!("{}  tree\n", stdout(&reference).trim()));
    }
}

#[test]
fn json_output_lists_kind_and_digest_and_errors() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir(t.path().join("dir")).unwrap();
    fs::write(t.path().join("dir/f"), b"x").unwrap();
    let out = provenant_in(
        t.path(),
        &["digest", "--output", "json", "dir", "dir/f", "missing"],
    );
    assert_eq!(out.status.code(), Some(2), "a missing input is a runtime error");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["algorithm"], "sha256");
    assert_eq!(v["results"][0]["kind"], "tree");
    assert_eq!(v["results"][1]["kind"], "file");
    assert_eq!(
        v["results"][1]["digest"],
        "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    );
    assert!(v["results"][2]["error"].as_str().unwrap().contains("missing"));
}

#[test]
fn usage_errors_exit_2() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(provenant_in(t.path(), &["digest"]).status.code(), Some(2));
    assert_eq!(
        provenant_in(t.path(), &["digest", "--algorithm", "md5", "x"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        provenant_in(t.path(), &["no-such-command"]).status.code(),
        Some(2)
    );
}

#[test]
fn version_names_commit_and_date_and_is_stable() {
    let t = tempfile::tempdir().unwrap();
    let a = stdout(&provenant_in(t.path(), &["--version"]));
    let b = stdout(&provenant_in(t.path(), &["--version"]));
    assert_eq!(a, b);
    assert!(
        a.starts_with(concat!("provenant ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{a}"
    );
    assert!(a.contains(", built "), "{a}");
}

#[test]
fn completions_and_man_page_are_generated() {
    let t = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = provenant_in(t.path(), &["completions", shell]);
        assert!(out.status.success());
        assert!(stdout(&out).contains("digest"), "{shell}");
    }
    let man = provenant_in(t.path(), &["man"]);
    assert!(man.status.success());
    assert!(stdout(&man).contains(".TH provenant"), "{}", stdout(&man));
}

/// A reader that stops early (`provenant man | head -1`) gets its line and no "Broken pipe" error on
/// stderr; the writer does not claim success for output nobody read.
#[test]
fn output_into_a_closed_pipe_is_not_reported_as_an_error() {
    let bin = env!("CARGO_BIN_EXE_provenant");
    let out = run(Command::new("bash").args([
        "-c",
        &format!("set -o pipefail; {bin} man | head -1; echo \"status ${{PIPESTATUS[0]}}\""),
    ]));
    let text = stdout(&out);
    assert!(text.starts_with(".ie"), "{text}");
    assert!(text.contains("status 2"), "{text}");
    assert!(!stderr(&out).contains("Broken pipe"), "{}", stderr(&out));
}

/// The progress bar appears on stderr when it is a terminal and the work outlasts a second, and never
/// when stderr is a pipe. `script` (util-linux) provides the terminal.
#[test]
fn progress_bar_only_on_a_terminal() {
    let script = provenant_testkit::require_on_path("script");
    let bin = env!("CARGO_BIN_EXE_provenant");
    let slow = format!(
        "(head -c 1048576 /dev/zero; sleep 2.5; head -c 1048576 /dev/zero) | {bin} digest - >/dev/null"
    );
    let t = tempfile::tempdir().unwrap();
    let typescript = t.path().join("typescript");
    let out = run(Command::new(script).arg("-qec").arg(&slow).arg(&typescript));
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = String::from_utf8_lossy(&fs::read(&typescript).unwrap()).into_owned();
    assert!(
        seen.contains("hashing"),
        "no progress bar on a terminal: {seen:?}"
    );

    let piped = run(Command::new("sh").arg("-c").arg(&slow));
    assert!(piped.status.success());
    assert!(
        !stderr(&piped).contains("hashing"),
        "progress bar drawn into a pipe: {}",
        stderr(&piped)
    );
}
