use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, SystemTime};

use provenant_digest::tree::{TreeError, digest_tree};
use provenant_digest::{Algorithm, Digest, NoProgress};

fn td(dir: &Path) -> Digest {
    digest_tree(Algorithm::Sha256, dir, &NoProgress).unwrap().digest
}

/// Lays out a small tree, creating entries in the given order.
fn make_tree(root: &Path, reverse: bool) {
    let mut steps: Vec<Box<dyn Fn(&Path)>> = vec![
        Box::new(|r| fs::write(r.join("a.txt"), b"alpha\n").unwrap()),
        Box::new(|r| {
            fs::create_dir_all(r.join("sub/deeper")).unwrap();
            fs::write(r.join("sub/deeper/z"), b"zed").unwrap();
        }),
        Box::new(|r| {
            fs::write(r.join("run.sh"), b"#!/bin/sh\n").unwrap();
            fs::set_permissions(r.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        }),
        Box::new(|r| symlink("a.txt", r.join("link")).unwrap()),
        Box::new(|r| fs::create_dir(r.join("empty")).unwrap()),
    ];
    if reverse {
        steps.reverse();
    }
    for step in steps {
        step(root);
    }
}

fn fresh() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    make_tree(t.path(), false);
    t
}

#[test]
fn known_answer_matches_the_specified_manifest() {
    let t = fresh();
    let h = |b: &[u8]| Algorithm::Sha256.hash_bytes(b).hex();
    let manifest = format!(
        "provenant-tree-v1\nf {} a.txt\nd - empty\nl {} link\nx {} run.sh\nd - sub\nd - sub/deeper\nf {} sub/deeper/z\n",
        h(b"alpha\n"),
        h(b"a.txt"),
        h(b"#!/bin/sh\n"),
        h(b"zed"),
    );
    assert_eq!(td(t.path()), Algorithm::Sha256.hash_bytes(manifest.as_bytes()));
    let summary = digest_tree(Algorithm::Sha256, t.path(), &NoProgress).unwrap();
    assert_eq!(summary.entries, 7);
    assert_eq!(summary.bytes, 6 + 10 + 3);
}

#[test]
fn independent_of_creation_order_mtime_owner_and_non_exec_modes() {
    let a = fresh();
    let b = tempfile::tempdir().unwrap();
    make_tree(b.path(), true);
    assert_eq!(td(a.path()), td(b.path()), "creation order");

    let before = td(a.path());
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    fs::File::options()
        .write(true)
        .open(a.path().join("a.txt"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(td(a.path()), before, "mtime");

    // The suite runs as root (CI and the setup recipe); changing the owner needs it.
    std::os::unix::fs::chown(a.path().join("a.txt"), Some(65534), Some(65534)).expect("tests run as root");
    assert_eq!(td(a.path()), before, "owner");

    fs::set_permissions(a.path().join("a.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(td(a.path()), before, "non-executable permission bits");
}

#[test]
fn every_recorded_property_changes_the_digest() {
    type Mutation = fn(&Path);
    let mutations: Vec<(&str, Mutation)> = vec![
        ("content", |r| fs::write(r.join("a.txt"), b"alphA\n").unwrap()),
        ("executable bit", |r| {
            fs::set_permissions(r.join("a.txt"), fs::Permissions::from_mode(0o744)).unwrap()
        }),
        ("name", |r| fs::rename(r.join("a.txt"), r.join("b.txt")).unwrap()),
        ("move into a directory", |r| {
            fs::rename(r.join("a.txt"), r.join("empty/a.txt")).unwrap()
        }),
        ("symlink target", |r| {
            fs::remove_file(r.join("link")).unwrap();
            symlink("run.sh", r.join("link")).unwrap();
        }),
        ("file replaced by symlink", |r| {
            fs::remove_file(r.join("sub/deeper/z")).unwrap();
            symlink("zed", r.join("sub/deeper/z")).unwrap();
        }),
        ("new empty directory", |r| fs::create_dir(r.join("more")).unwrap()),
        ("removed empty directory", |r| {
            fs::remove_dir(r.join("empty")).unwrap()
        }),
        ("new empty file", |r| fs::write(r.join("empty/new"), b"").unwrap()),
    ];
    let baseline = td(fresh().path());
    for (what, mutate) in mutations {
        let t = fresh();
        mutate(t.path());
        assert_ne!(td(t.path()), baseline, "{what} must change the tree digest");
    }
}

#[test]
fn symlink_loops_are_recorded_not_followed() {
    let t = fresh();
    symlink(".", t.path().join("self")).unwrap();
    symlink("../..", t.path().join("sub/deeper/up")).unwrap();
    digest_tree(Algorithm::Sha256, t.path(), &NoProgress).unwrap();
}

#[test]
fn newline_in_a_name_is_refused() {
    let t = fresh();
    fs::write(t.path().join("bad\nname"), b"").unwrap();
    let err = digest_tree(Algorithm::Sha256, t.path(), &NoProgress).unwrap_err();
    assert!(matches!(err, TreeError::UnrepresentablePath { .. }), "{err}");
}

#[test]
fn a_file_is_not_a_tree() {
    let t = fresh();
    let err = digest_tree(Algorithm::Sha256, &t.path().join("a.txt"), &NoProgress).unwrap_err();
    assert!(matches!(err, TreeError::NotADirectory { .. }));
}

#[test]
fn missing_root_names_its_path() {
    let t = fresh();
    let err = digest_tree(Algorithm::Sha256, &t.path().join("missing"), &NoProgress).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn deep_trees_do_not_overflow_the_stack() {
    let t = tempfile::tempdir().unwrap();
    let mut p = t.path().to_path_buf();
    for _ in 0..300 {
        p.push("d");
    }
    fs::create_dir_all(&p).unwrap();
    fs::write(p.join("leaf"), b"x").unwrap();
    let summary = digest_tree(Algorithm::Sha256, t.path(), &NoProgress).unwrap();
    assert_eq!(summary.entries, 301);
}

#[test]
fn sha512_trees_use_sha512_throughout() {
    let t = fresh();
    let d = digest_tree(Algorithm::Sha512, t.path(), &NoProgress)
        .unwrap()
        .digest;
    assert_eq!(d.algorithm(), Algorithm::Sha512);
    assert_ne!(d.as_bytes().len(), td(t.path()).as_bytes().len());
}
