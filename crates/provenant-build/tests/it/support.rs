//! Fixture repositories made by real git, and the in-toto validator.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let status = Command::new(provenant_testkit::require_on_path("git"))
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
        .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A committed C-like project with a build script writing `out/hello` and `out/hello.txt`.
pub(crate) fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("build.sh"), "#!/bin/sh\nset -eu\nmkdir -p out\nprintf 'binary' > out/hello\nprintf 'text' > out/hello.txt\necho built\necho warning >&2\n").unwrap();
    std::fs::write(root.join("Cargo.lock"), "# lock\n").unwrap();
    std::fs::write(root.join(".gitignore"), "out/\n").unwrap();
    std::fs::set_permissions(root.join("build.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    git(root, &["init", "-q", "-b", "main", "."]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "fixture"]);
    git(
        root,
        &["remote", "add", "origin", "git@github.com:org/fixture.git"],
    );
    dir
}

pub(crate) fn head(dir: &Path) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Validates a statement file with in-toto-attestation (Statement v1 + strict SLSA v1 predicate).
pub(crate) fn validate(statement: &Path) {
    let python = provenant_testkit::require_venv_tool("intoto", "python");
    let script: PathBuf = provenant_testkit::repo_root().join("tests/harness/validate_statement.py");
    let out = Command::new(python).arg(script).arg(statement).output().unwrap();
    assert!(
        out.status.success(),
        "in-toto-attestation rejects {}:\n{}{}",
        statement.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
