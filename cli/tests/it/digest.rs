use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use crate::provenant;

fn fixture() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    fs::create_dir_all(r.join("tree/src")).unwrap();
    fs::write(r.join("tree/src/main.c"), "int main(void) { return 0; }\n").unwrap();
    fs::write(r.join("tree/build.sh"), "#!/bin/sh\ncc -o hello src/main.c\n").unwrap();
    fs::set_permissions(r.join("tree/build.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("src/main.c", r.join("tree/main.c")).unwrap();
    fs::write(r.join("hello.txt"), "hello\n").unwrap();
    t
}

#[test]
fn text_report() {
    let t = fixture();
    let (code, out, err) = provenant(t.path(), &["digest", "hello.txt", "tree"]);
    assert_eq!((code, err.as_str()), (0, ""));
    insta::assert_snapshot!(out);
}

#[test]
fn text_report_sha512_plain() {
    let t = fixture();
    let (code, out, _) = provenant(
        t.path(),
        &["digest", "--algorithm", "sha512", "--plain", "hello.txt", "tree"],
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn json_report() {
    let t = fixture();
    let (code, out, _) = provenant(t.path(), &["digest", "--output", "json", "hello.txt", "tree"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn check_reports_in_text_and_json() {
    let t = fixture();
    let (_, list, _) = provenant(t.path(), &["digest", "hello.txt", "tree"]);
    fs::write(t.path().join("list"), list).unwrap();
    fs::write(t.path().join("tree/src/main.c"), "int main(void) { return 1; }\n").unwrap();
    let (code, out, err) = provenant(t.path(), &["digest", "--check", "list"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("check_text_stdout", out);
    insta::assert_snapshot!("check_text_stderr", err);
    let (code, out, _) = provenant(t.path(), &["digest", "--check", "list", "--output", "json"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("check_json", out);
}
