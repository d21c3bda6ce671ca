//! Subjects: the build outputs matching `--subject` globs, with their digests.

use std::path::{Path, PathBuf};

use provenant_digest::{Algorithm, Digest, HashError, NoProgress};

/// A build output recorded as a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its path relative to the build directory, `/`-separated.
    pub name: String,
    /// Its sha256.
    pub digest: Digest,
}

/// Matching subjects failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// A pattern is not a valid glob.
    #[error("invalid --subject pattern {pattern:?}: {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A pattern matched no file.
    #[error("--subject {pattern:?} matched no file under {}", dir.display())]
    NoMatch {
        /// The pattern.
        pattern: String,
        /// The build directory.
        dir: PathBuf,
    },
    /// A pattern reaches outside the build directory.
    #[error("--subject {pattern:?} must be relative to the build directory, without '..'")]
    Outside {
        /// The pattern.
        pattern: String,
    },
    /// Hashing a matched file failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// Finds the regular files under `dir` matching each glob (`*` and `?` stay within a path component,
/// `**` crosses them), hashes them and returns them sorted by name, each once. Every pattern must
/// match at least one file.
pub fn collect(dir: &Path, patterns: &[String]) -> Result<Vec<Output>, SubjectError> {
    let mut out: Vec<Output> = Vec::new();
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    for pattern in patterns {
        if pattern.starts_with('/') || pattern.split('/').any(|c| c == "..") {
            return Err(SubjectError::Outside {
                pattern: pattern.clone(),
            });
        }
        let base = glob::Pattern::escape(&dir.to_string_lossy());
        let full = format!("{base}/{pattern}");
        let paths = glob::glob_with(&full, options).map_err(|e| SubjectError::Pattern {
            pattern: pattern.clone(),
            reason: e.msg.to_owned(),
        })?;
        let mut matched = 0usize;
        for path in paths.flatten() {
            if !path.is_file() {
                continue;
            }
            matched += 1;
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if out.iter().any(|o| o.name == name) {
                continue;
            }
            let digest = Algorithm::Sha256.hash_file(&path, &NoProgress)?;
            out.push(Output { name, digest });
        }
        if matched == 0 {
            return Err(SubjectError::NoMatch {
                pattern: pattern.clone(),
                dir: dir.to_path_buf(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
