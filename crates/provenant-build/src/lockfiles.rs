//! Lockfiles: the resolved dependency sets a build read, recorded with their digests.

use std::path::Path;

use provenant_digest::{Algorithm, Digest, HashError, NoProgress};

/// File names recognised as lockfiles, looked for in the build directory and at the repository root.
pub const LOCKFILE_NAMES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "go.sum",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "Gemfile.lock",
    "composer.lock",
    "gradle.lockfile",
    "packages.lock.json",
    "flake.lock",
    "mix.lock",
    "pubspec.lock",
    "Package.resolved",
];

/// A lockfile found, by its path relative to the repository root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    /// Path relative to the repository root.
    pub name: String,
    /// Its sha256.
    pub digest: Digest,
}

/// Finds and hashes the lockfiles in `build_dir` and at `repo_root`, sorted by name.
pub fn find(repo_root: &Path, build_dir: &Path) -> Result<Vec<Lockfile>, HashError> {
    let mut out = Vec::new();
    let mut dirs = vec![build_dir.to_path_buf()];
    if build_dir != repo_root {
        dirs.push(repo_root.to_path_buf());
    }
    for dir in dirs {
        for name in LOCKFILE_NAMES {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let rel = path.strip_prefix(repo_root).unwrap_or(&path);
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if out.iter().any(|l: &Lockfile| l.name == rel) {
                continue;
            }
            let digest = Algorithm::Sha256.hash_file(&path, &NoProgress)?;
            out.push(Lockfile { name: rel, digest });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
