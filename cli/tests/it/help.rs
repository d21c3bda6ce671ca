use crate::provenant;

#[test]
fn top_level_help() {
    let t = tempfile::tempdir().unwrap();
    let (code, out, _) = provenant(t.path(), &["--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn digest_help() {
    let t = tempfile::tempdir().unwrap();
    let (code, out, _) = provenant(t.path(), &["digest", "--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn usage_error_message() {
    let t = tempfile::tempdir().unwrap();
    let (code, _, err) = provenant(t.path(), &["digest", "--algorithm", "md5", "x"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}
