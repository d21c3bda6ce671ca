//! The justfile's recipes and the harness scripts they run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `just demo` and `just bench` ran `target/release/provenant`, which is not where cargo puts the binary
/// when `CARGO_TARGET_DIR` is set: the recipe exited 127. They now run the binary whose path cargo
/// reports, found by `tests/harness/release-binary.sh`.
#[test]
fn just_demo_exits_127_when_cargo_target_dir_is_set() {
    let justfile = std::fs::read_to_string(repository().join("justfile")).unwrap();
    assert!(
        !justfile.contains("target/release"),
        "a recipe names target/release:\n{justfile}"
    );
    for recipe in ["demo:", "bench:"] {
        let body: String = justfile
            .split(recipe)
            .nth(1)
            .unwrap_or_else(|| panic!("no {recipe} recipe"))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .collect();
        assert!(
            body.contains("tests/harness/release-binary.sh provenant-cli"),
            "{recipe} {body}"
        );
    }

    // The script against a small package, built into a target directory elsewhere.
    let t = tempfile::tempdir().unwrap();
    let package = t.path().join("hello");
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::write(
        package.join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        package.join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"hello\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(
        package.join("src/main.rs"),
        "fn main() { println!(\"hello from elsewhere\"); }\n",
    )
    .unwrap();
    let target = t.path().join("elsewhere");
    let out = Command::new("bash")
        .arg(repository().join("tests/harness/release-binary.sh"))
        .args(["hello", "--manifest-path"])
        .arg(package.join("Cargo.toml"))
        .current_dir(&package)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let binary = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(
        binary.starts_with(&target),
        "{} is not under {}",
        binary.display(),
        target.display()
    );
    assert!(
        !package.join("target").exists(),
        "built into the package's own target/"
    );
    let ran = Command::new(&binary).output().unwrap();
    assert_eq!(String::from_utf8(ran.stdout).unwrap(), "hello from elsewhere\n");
}
