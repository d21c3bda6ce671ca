//! Toolchain version detection: which compilers and package managers the build could have used.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Tools asked for their version: always the C toolchain and make, and a language's tools when its
/// project file is in the build directory.
const ALWAYS: &[(&str, &str)] = &[("cc", "--version"), ("make", "--version")];
const BY_PROJECT_FILE: &[(&str, &[(&str, &str)])] = &[
    ("Cargo.toml", &[("rustc", "--version"), ("cargo", "--version")]),
    ("go.mod", &[("go", "version")]),
    ("package.json", &[("node", "--version"), ("npm", "--version")]),
    ("pyproject.toml", &[("python3", "--version")]),
    ("requirements.txt", &[("python3", "--version")]),
    ("pom.xml", &[("java", "-version"), ("mvn", "--version")]),
    ("build.gradle", &[("java", "-version")]),
    ("build.gradle.kts", &[("java", "-version")]),
    ("CMakeLists.txt", &[("cmake", "--version")]),
];

/// Longest version line recorded.
const MAX_LINE: usize = 200;

/// The first line each detected tool prints for its version, by tool name, for the tools that are on
/// `path` (a `PATH` value). Tools that are absent or fail are left out.
#[must_use]
pub fn detect(build_dir: &Path, path: Option<&std::ffi::OsStr>) -> BTreeMap<String, String> {
    let mut tools: Vec<(&str, &str)> = ALWAYS.to_vec();
    for (file, more) in BY_PROJECT_FILE {
        if build_dir.join(file).is_file() {
            tools.extend_from_slice(more);
        }
    }
    tools.sort_unstable();
    tools.dedup();
    let mut out = BTreeMap::new();
    for (tool, flag) in tools {
        let Some(program) = which(tool, path) else {
            continue;
        };
        let Ok(output) = Command::new(program).arg(flag).stdin(Stdio::null()).output() else {
            continue;
        };
        if !output.status.success() {
            continue;
        }
        // java prints its version on stderr.
        let text = if output.stdout.is_empty() {
            output.stderr
        } else {
            output.stdout
        };
        let text = String::from_utf8_lossy(&text);
        if let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty()) {
            out.insert(tool.to_owned(), line.chars().take(MAX_LINE).collect());
        }
    }
    out
}

fn which(program: &str, path: Option<&std::ffi::OsStr>) -> Option<std::path::PathBuf> {
    std::env::split_paths(path?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
