//! The one atomic writer.

use provenant_evidence::fs::write_atomic;

#[test]
fn write_atomic_replaces_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    write_atomic(&path, b"first").unwrap();
    write_atomic(&path, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    // Nothing is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.json"]);
}

/// Two writers racing on one path: the file always holds one writer's bytes whole, never a mix or a
/// truncation, and no writer fails because the other used the same temporary name (a fixed name
/// would make one rename the other's half-written file or fail to find its own).
#[test]
fn concurrent_writers_never_leave_a_torn_or_mixed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    let a = vec![b'a'; 1 << 20];
    let b = vec![b'b'; (1 << 20) + 4096];
    std::thread::scope(|s| {
        for bytes in [&a, &b] {
            let path = path.clone();
            s.spawn(move || {
                for _ in 0..50 {
                    write_atomic(&path, bytes).unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..200 {
                if let Ok(seen) = std::fs::read(&path) {
                    assert!(seen == a || seen == b, "torn or mixed: {} bytes", seen.len());
                }
            }
        });
    });
    let last = std::fs::read(&path).unwrap();
    assert!(last == a || last == b);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "bundle.json")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// The temporary file has a unique name: a stale file at the old fixed name neither blocks a write
/// nor is renamed over the target.
#[test]
fn a_fixed_temporary_name_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    let fixed = dir.path().join(".bundle.json.tmp");
    std::fs::create_dir(&fixed).unwrap();
    write_atomic(&path, b"bundle").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"bundle");
    assert!(fixed.is_dir(), "the fixed name was touched");
}

/// `oci pull` streamed each blob through a fixed `.NAME.partial` file, which two concurrent pulls
/// into one directory shared. The streaming writer uses a unique temporary name, and a failed
/// producer leaves neither the target nor a temporary file behind.
#[test]
fn streaming_writer_uses_no_fixed_temporary_name_and_cleans_up_on_failure() {
    use provenant_evidence::fs::{StreamWriteError, write_atomic_with};
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar");
    // A directory where the old fixed temporary name would go: creating that file would fail.
    std::fs::create_dir(dir.path().join(".layer.tar.partial")).unwrap();
    write_atomic_with(&path, |f| f.write_all(b"streamed")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"streamed");

    let failed = write_atomic_with(&path, |f| {
        f.write_all(b"half")?;
        Err::<(), _>(std::io::Error::other("the registry went away"))
    });
    assert!(matches!(failed, Err(StreamWriteError::Fill(_))), "{failed:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"streamed",
        "the target is untouched"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".layer.tar.partial", "layer.tar"]);
}
