//! Finding the files to catalog inside a target.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use provenant_sbom::Component;

use crate::exclude::Exclude;
use crate::{Warning, bound, cargo, dpkg, formats, nodepkg, npm, pip, pydist, uvlock};

/// Files larger than this are not read: a warning is recorded instead.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Directories never descended into: version control and build output. Inside `node_modules` only the
/// directories leading to installed packages' manifests are entered ([`nodepkg::may_descend`]).
const SKIP_DIRS: [&str; 2] = [".git", "target"];

/// The target itself cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The target does not exist or cannot be inspected.
    #[error("cannot read target {path}: {source}")]
    Target {
        /// The target.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The target is neither a directory nor a regular file (a device, a FIFO, a socket), or a symbolic
    /// link to one: reading it could block or never end.
    #[error("{} is not a regular file or directory: refusing to read it", path.display())]
    NotAFile {
        /// The target.
        path: PathBuf,
    },
}

/// What the catalogers found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Catalog {
    /// Components, in discovery order (the SBOM sorts them).
    pub components: Vec<Component>,
    /// Files that could not be read or parsed: when not empty, the result is incomplete.
    pub warnings: Vec<Warning>,
    /// The files that were cataloged, relative to the target.
    pub files: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    CargoLock,
    NpmLock,
    Requirements,
    DpkgStatus,
    PythonDistInfo,
    UvLock,
    Other(formats::Format),
}

pub(crate) fn kind_of(rel: &Path) -> Option<Kind> {
    if let Some(f) = formats::recognise(rel) {
        return Some(Kind::Other(f));
    }
    if nodepkg::inside_node_modules(rel) {
        return None;
    }
    let name = rel.file_name()?.to_str()?;
    match name {
        "Cargo.lock" => Some(Kind::CargoLock),
        "uv.lock" => Some(Kind::UvLock),
        "METADATA"
            if rel
                .parent()
                .and_then(Path::file_name)
                .and_then(|p| p.to_str())
                .is_some_and(|p| p.ends_with(".dist-info")) =>
        {
            Some(Kind::PythonDistInfo)
        }
        "package-lock.json" | "npm-shrinkwrap.json" => Some(Kind::NpmLock),
        "status"
            if rel
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == "dpkg") =>
        {
            Some(Kind::DpkgStatus)
        }
        _ if name.starts_with("requirements")
            && Path::new(name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("txt")) =>
        {
            Some(Kind::Requirements)
        }
        _ => None,
    }
}

fn read_bounded(path: &Path, rel: &str) -> Result<Vec<u8>, Warning> {
    let file = File::open(path).map_err(|e| Warning::new(rel, None, format!("cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| Warning::new(rel, None, format!("cannot inspect: {e}")))?;
    if !meta.is_file() {
        return Err(Warning::new(rel, None, "not a regular file: not read"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(rel));
    }
    // The size read may differ from the one stated (a file being written): the read stays bounded.
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Warning::new(rel, None, format!("cannot read: {e}")))?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(rel));
    }
    Ok(buf)
}

/// The warning about a file larger than [`MAX_FILE_BYTES`], wherever it is found.
pub(crate) fn too_large(rel: &str) -> Warning {
    Warning::new(rel, None, format!("larger than {MAX_FILE_BYTES} bytes: not read"))
}

/// The files of a target other than the one being cataloged: a lockfile's manifest beside it, a Debian
/// package's copyright file.
pub(crate) trait Source {
    /// The content of the regular file at `rel` (relative to the target, `/`-separated), bounded; `None`
    /// when there is none.
    fn read(&self, rel: &str) -> Option<Vec<u8>>;
}

/// A directory on disk: no symbolic link is followed on the way to a file (a link in a root filesystem
/// may point anywhere on this machine).
struct Dir<'a>(&'a Path, &'a Exclude);

impl Source for Dir<'_> {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        if self.1.excludes(rel) {
            return None;
        }
        let mut path = self.0.to_path_buf();
        for part in rel.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return None;
            }
            path.push(part);
            if std::fs::symlink_metadata(&path).ok()?.file_type().is_symlink() {
                return None;
            }
        }
        let meta = std::fs::symlink_metadata(&path).ok()?;
        (meta.is_file() && meta.len() <= MAX_FILE_BYTES)
            .then(|| std::fs::read(&path).ok())
            .flatten()
    }
}

/// `name` in the directory of `rel`.
fn sibling_rel(rel: &str, name: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_owned(),
    }
}

/// Where a cataloged file is: its name in reports, and its path in the [`Source`] its neighbours are read
/// from (the same for a directory target; for a single file, its absolute path from `/`).
#[derive(Clone, Copy)]
pub(crate) struct Located<'a> {
    pub(crate) rel: &'a str,
    pub(crate) at: &'a str,
}

fn catalog_file(out: &mut Catalog, path: &Path, file: Located<'_>, kind: Kind, source: &dyn Source) {
    match read_bounded(path, file.rel) {
        Ok(bytes) => catalog_bytes(out, file, &bytes, kind, source),
        Err(w) => out.warnings.push(w),
    }
}

/// Catalogs the content of `file`, of the given kind.
pub(crate) fn catalog_bytes(
    out: &mut Catalog,
    file: Located<'_>,
    bytes: &[u8],
    kind: Kind,
    source: &dyn Source,
) {
    let rel = file.rel;
    out.files.push(rel.to_owned());
    let sibling = |name: &str| source.read(&sibling_rel(file.at, name));
    let binary = matches!(
        kind,
        Kind::Other(formats::Format::Executable | formats::Format::JavaArchive | formats::Format::RpmSqlite)
    );
    if !binary && let Some(w) = bound::too_many_values(rel, bytes) {
        out.warnings.push(w);
        return;
    }
    let result = match kind {
        Kind::CargoLock => cargo::parse(rel, bytes),
        Kind::NpmLock => npm::parse(rel, bytes, sibling("package.json").as_deref()),
        Kind::Requirements => {
            let (c, w) = pip::parse(rel, bytes);
            out.warnings.extend(w);
            Ok(c)
        }
        Kind::DpkgStatus => {
            let (mut c, w) = dpkg::parse(rel, bytes);
            formats::add_deb_licenses(file.at, &mut c, &|r| source.read(r));
            out.warnings.extend(w);
            Ok(c)
        }
        Kind::PythonDistInfo => pydist::parse(rel, bytes).map(|c| vec![c]),
        Kind::UvLock => uvlock::parse(rel, bytes),
        Kind::Other(f) => {
            let (c, w) = formats::parse(f, rel, bytes, &sibling);
            out.warnings.extend(w);
            Ok(c)
        }
    };
    match result {
        Ok(c) => out.components.extend(c),
        Err(w) => out.warnings.push(w),
    }
}

fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Catalogs `target`: a directory (walked without following symbolic links; `.git` and `target` are
/// skipped, and inside `node_modules` only installed packages' manifests are read) or a single file, recognised by its name. A single file of a name no
/// cataloger knows is tried as each format in turn. Any other target (a device, a FIFO, a socket, or a
/// symbolic link to one) is refused: reading it could block or never end.
///
/// # Errors
///
/// When the target cannot be inspected or is not a directory or regular file; a file or directory inside
/// it that cannot be read is a [`Warning`] instead.
pub fn catalog(target: &Path) -> Result<Catalog, CatalogError> {
    catalog_excluding(target, &Exclude::default())
}

/// [`catalog`], leaving out the paths `exclude` names: an excluded directory is not entered and an
/// excluded file is neither read nor offered to a cataloger as a neighbour (a lockfile's manifest).
/// A single-file target is cataloged whatever the patterns say.
pub fn catalog_excluding(target: &Path, exclude: &Exclude) -> Result<Catalog, CatalogError> {
    let meta = std::fs::symlink_metadata(target).map_err(|source| CatalogError::Target {
        path: target.to_owned(),
        source,
    })?;
    let mut out = Catalog::default();
    if !meta.is_dir() {
        let meta = std::fs::metadata(target).map_err(|source| CatalogError::Target {
            path: target.to_owned(),
            source,
        })?;
        if !meta.is_file() {
            return Err(CatalogError::NotAFile {
                path: target.to_owned(),
            });
        }
        let rel = target
            .file_name()
            .map_or_else(|| rel_string(target), |n| n.to_string_lossy().into_owned());
        let kind = kind_of(target)
            .or_else(|| formats::sniff(target, false).map(Kind::Other))
            .or_else(|| {
                // A lone "status" file given by path is a dpkg database.
                (rel == "status").then_some(Kind::DpkgStatus)
            });
        let absolute = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_owned());
        let at = rel_string(absolute.strip_prefix("/").unwrap_or(&absolute));
        let file = Located { rel: &rel, at: &at };
        match kind {
            Some(k) => catalog_file(
                &mut out,
                target,
                file,
                k,
                &Dir(Path::new("/"), &Exclude::default()),
            ),
            _ => out
                .warnings
                .push(Warning::new(&rel, None, "no cataloger recognises this file")),
        }
        return Ok(out);
    }
    let walker = walkdir::WalkDir::new(target)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let excluded = e.depth() > 0
                && e.path()
                    .strip_prefix(target)
                    .is_ok_and(|r| exclude.excludes(&rel_string(r)));
            !excluded
                && !(e.file_type().is_dir()
                    && e.depth() > 0
                    && (SKIP_DIRS.iter().any(|s| e.file_name() == *s)
                        || e.path()
                            .strip_prefix(target)
                            .is_ok_and(|r| !nodepkg::may_descend(r))))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .and_then(|p| p.strip_prefix(target).ok())
                    .map(rel_string)
                    .unwrap_or_default();
                out.warnings
                    .push(Warning::new(&rel, None, format!("cannot walk: {e}")));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(target) else {
            continue;
        };
        if let Some(kind) = kind_of(rel).or_else(|| formats::sniff(entry.path(), true).map(Kind::Other)) {
            let rel = rel_string(rel);
            let file = Located { rel: &rel, at: &rel };
            catalog_file(&mut out, entry.path(), file, kind, &Dir(target, exclude));
        }
    }
    Ok(out)
}
