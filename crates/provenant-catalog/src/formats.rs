//! The catalogers added beside the original ones, recognised by file name (or, for executables and
//! archives, by their first bytes) and dispatched from one place so that the walk needs one entry for all.

use std::path::Path;

use provenant_sbom::Component;

use crate::{Warning, apk, binary, debcopyright, golang, java, nodepkg, pnpm, pylock, rpm, ruby_php, yarn};

/// A file format one of these catalogers reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `yarn.lock`, classic (v1) or berry.
    YarnLock,
    /// `pnpm-lock.yaml`.
    PnpmLock,
    /// `node_modules/**/package.json` of an installed package.
    NodePackage,
    /// `poetry.lock`.
    PoetryLock,
    /// `pdm.lock`.
    PdmLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `go.mod`.
    GoMod,
    /// An ELF, PE or Mach-O executable (Go build information, cargo-auditable data).
    Executable,
    /// `pom.xml`.
    PomXml,
    /// `gradle.lockfile`, `buildscript-gradle.lockfile`, `gradle/dependency-locks/*.lockfile`.
    GradleLock,
    /// A Java archive (`.jar`, `.war`, `.ear`).
    JavaArchive,
    /// `Gemfile.lock` (and `gems.locked`).
    GemfileLock,
    /// `composer.lock`.
    ComposerLock,
    /// `lib/apk/db/installed`.
    ApkInstalled,
    /// `var/lib/rpm/rpmdb.sqlite` (also `usr/lib/sysimage/rpm/rpmdb.sqlite`).
    RpmSqlite,
}

/// The format of the file at `rel` (relative to the target), by name.
#[must_use]
pub fn recognise(rel: &Path) -> Option<Format> {
    let name = rel.file_name()?.to_str()?;
    if nodepkg::inside_node_modules(rel) {
        return nodepkg::is_manifest(rel).then_some(Format::NodePackage);
    }
    match name {
        "yarn.lock" => Some(Format::YarnLock),
        "pnpm-lock.yaml" => Some(Format::PnpmLock),
        "poetry.lock" => Some(Format::PoetryLock),
        "pdm.lock" => Some(Format::PdmLock),
        "Pipfile.lock" => Some(Format::PipfileLock),
        "go.mod" => Some(Format::GoMod),
        "pom.xml" => Some(Format::PomXml),
        "Gemfile.lock" | "gems.locked" => Some(Format::GemfileLock),
        "composer.lock" => Some(Format::ComposerLock),
        "rpmdb.sqlite" => Some(Format::RpmSqlite),
        "installed" if rel.ends_with("lib/apk/db/installed") || rel == Path::new("installed") => {
            Some(Format::ApkInstalled)
        }
        "gradle.lockfile" | "buildscript-gradle.lockfile" => Some(Format::GradleLock),
        _ if name.ends_with(".lockfile")
            && rel
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == "dependency-locks") =>
        {
            Some(Format::GradleLock)
        }
        _ if [".jar", ".war", ".ear"]
            .iter()
            .any(|x| name.len() > x.len() && name.to_ascii_lowercase().ends_with(x)) =>
        {
            Some(Format::JavaArchive)
        }
        _ => None,
    }
}

/// The format of a file no name identifies, from its first bytes: ELF, PE and Mach-O executables. In a directory walk
/// (`require_exec`) only files with an execute permission bit are opened.
#[must_use]
pub fn sniff(path: &Path, require_exec: bool) -> Option<Format> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    if require_exec {
        use std::os::unix::fs::PermissionsExt as _;
        if meta.permissions().mode() & 0o111 == 0 {
            return None;
        }
    }
    if !meta.is_file() || meta.len() < 64 {
        return None;
    }
    let mut head = [0u8; 8];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    binary::is_executable(&head).then_some(Format::Executable)
}

/// Adds to the Debian packages found in `<root>/var/lib/dpkg/status` (at `status_rel`, relative to the
/// target) the licences of their machine-readable `<root>/usr/share/doc/<package>/copyright` files, read
/// through `read` (which follows no symbolic link and bounds what it reads).
pub fn add_deb_licenses(status_rel: &str, comps: &mut [Component], read: &dyn Fn(&str) -> Option<Vec<u8>>) {
    let Some(root) = status_rel.strip_suffix("var/lib/dpkg/status") else {
        return;
    };
    if !(root.is_empty() || root.ends_with('/')) {
        return;
    }
    for c in comps.iter_mut().filter(|c| c.license.is_none()) {
        if c.name.contains(['/', '\\']) || c.name.starts_with('.') {
            continue;
        }
        if let Some(bytes) = read(&format!("{root}usr/share/doc/{}/copyright", c.name)) {
            let bytes = bytes
                .get(..debcopyright::MAX_COPYRIGHT_BYTES as usize)
                .unwrap_or(&bytes);
            if let Some(l) = debcopyright::license(bytes) {
                c.license = Some(l.expression);
                c.license_texts = l.texts;
            }
        }
    }
}

/// Catalogs one file. `sibling(name)` returns the bytes of the file `name` in the same directory, where
/// there is one (a lockfile's `package.json`, a `go.mod`'s `go.sum`).
pub fn parse(
    format: Format,
    rel: &str,
    bytes: &[u8],
    sibling: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> (Vec<Component>, Vec<Warning>) {
    let one = |r: Result<Vec<Component>, Warning>| match r {
        Ok(c) => (c, Vec::new()),
        Err(w) => (Vec::new(), vec![w]),
    };
    match format {
        Format::YarnLock => one(yarn::parse(rel, bytes, sibling("package.json").as_deref())),
        Format::PnpmLock => one(pnpm::parse(rel, bytes)),
        Format::PoetryLock => one(pylock::parse_poetry(
            rel,
            bytes,
            sibling("pyproject.toml").as_deref(),
        )),
        Format::PdmLock => one(pylock::parse_pdm(
            rel,
            bytes,
            sibling("pyproject.toml").as_deref(),
        )),
        Format::PipfileLock => one(pylock::parse_pipfile(rel, bytes, sibling("Pipfile").as_deref())),
        Format::GoMod => one(golang::parse(rel, bytes, sibling("go.sum").as_deref())),
        Format::Executable => one(binary::parse(rel, bytes)),
        Format::PomXml => java::parse_pom(rel, bytes),
        Format::GradleLock => one(java::parse_gradle_lock(rel, bytes)),
        Format::JavaArchive => java::parse_archive(rel, bytes),
        Format::GemfileLock => one(ruby_php::parse_gemfile_lock(rel, bytes)),
        Format::ComposerLock => one(ruby_php::parse_composer_lock(
            rel,
            bytes,
            sibling("composer.json").as_deref(),
        )),
        Format::ApkInstalled => apk::parse(rel, bytes),
        Format::RpmSqlite => rpm::parse(rel, bytes),
        Format::NodePackage => one(nodepkg::parse(rel, bytes).map(|c| vec![c])),
    }
}
