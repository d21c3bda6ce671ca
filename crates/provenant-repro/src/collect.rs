//! Finding the artefacts a build produced.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Which files of a build directory are its artefacts.
#[derive(Debug, Clone)]
pub(crate) enum Selector {
    /// Paths (relative, `/`-separated) matching one of these globs. A matching directory is one
    /// artefact (for example an OCI image layout).
    Globs {
        set: GlobSet,
        patterns: Vec<String>,
        each: Vec<GlobSet>,
    },
    /// Every regular file the build created or changed.
    Changed,
}

impl Selector {
    pub(crate) fn globs(patterns: &[String]) -> Result<Selector, globset::Error> {
        let mut all = GlobSetBuilder::new();
        let mut each = Vec::new();
        for p in patterns {
            let pattern = p.trim_start_matches("./");
            let glob = GlobBuilder::new(pattern).literal_separator(true).build()?;
            all.add(glob.clone());
            let mut one = GlobSetBuilder::new();
            one.add(glob);
            each.push(one.build()?);
        }
        Ok(Selector::Globs {
            set: all.build()?,
            patterns: patterns.to_vec(),
            each,
        })
    }

    /// Patterns that match none of `found`.
    pub(crate) fn unmatched(&self, found: &BTreeMap<String, PathBuf>) -> Vec<String> {
        match self {
            Selector::Globs { patterns, each, .. } => patterns
                .iter()
                .zip(each)
                .filter(|(_, g)| !found.keys().any(|k| g.is_match(k)))
                .map(|(p, _)| p.clone())
                .collect(),
            Selector::Changed => Vec::new(),
        }
    }
}

/// The files (and matching directories) below `build` that `selector` picks, by relative path.
/// `source` is the pristine source snapshot, to tell what the build changed.
pub(crate) fn collect(
    build: &Path,
    source: &Path,
    selector: &Selector,
) -> io::Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    let mut stack: Vec<(PathBuf, String)> = vec![(build.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for item in std::fs::read_dir(&dir)? {
            let item = item?;
            let name = item.file_name();
            if prefix.is_empty() && name.as_bytes() == b".git" {
                continue;
            }
            let rel = if prefix.is_empty() {
                String::from_utf8_lossy(name.as_bytes()).into_owned()
            } else {
                format!("{prefix}/{}", String::from_utf8_lossy(name.as_bytes()))
            };
            let path = item.path();
            let ft = item.file_type()?;
            match selector {
                Selector::Globs { set, .. } => {
                    if set.is_match(&rel) && (ft.is_file() || ft.is_dir() || ft.is_symlink()) {
                        found.insert(rel, path);
                    } else if ft.is_dir() {
                        stack.push((path, rel));
                    }
                }
                Selector::Changed => {
                    if ft.is_dir() {
                        stack.push((path, rel));
                    } else if ft.is_file() && changed(&path, &source.join(&rel))? {
                        found.insert(rel, path);
                    }
                }
            }
        }
    }
    Ok(found)
}

fn changed(built: &Path, original: &Path) -> io::Result<bool> {
    let Ok(orig) = std::fs::symlink_metadata(original) else {
        return Ok(true);
    };
    let now = std::fs::metadata(built)?;
    if !orig.is_file() || orig.len() != now.len() {
        return Ok(true);
    }
    Ok(std::fs::read(built)? != std::fs::read(original)?)
}
