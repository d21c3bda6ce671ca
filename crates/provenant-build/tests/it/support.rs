//! Fixture repositories made by real git, and the in-toto validator.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

pub(crate) use provenant_testkit::git_fixed as git;
pub(crate) use provenant_testkit::validate_statement as validate;

/// A committed C-like project with a build script writing `out/hello` and `out/hello.txt`.
pub(crate) fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("build.sh"), "#!/bin/sh\nset -eu\nmkdir -p out\nprintf 'binary' > out/hello\nprintf 'text' > out/hello.txt\necho built\necho warning >&2\n").unwrap();
    std::fs::write(root.join("Cargo.lock"), "# lock\n").unwrap();
    std::fs::write(root.join(".gitignore"), "out/\n").unwrap();
    std::fs::set_permissions(root.join("build.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    provenant_testkit::commit_fixture(root);
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
