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
