//! Catalogers: find the packages a directory or a single file contains.
//!
//! [`catalog`] walks a target (never following symbolic links, skipping `.git` and `target`, and reading
//! only installed packages' `package.json` inside `node_modules`) and hands every file it recognises to the cataloger for its format:
//!
//! | file | cataloger | direct dependencies |
//! | --- | --- | --- |
//! | `Cargo.lock` (v3, v4) | [`cargo::parse`] | the dependency lists of the lockfile's local packages |
//! | `package-lock.json` (v1 `dependencies`, v2/v3 `packages`) | [`npm::parse`] | the root package's dependency lists |
//! | `requirements*.txt` (`==` pins, `--hash`) | [`pip::parse`] | lines not marked `# via` another package |
//! | `uv.lock` | [`uvlock::parse`] | the project's dependencies and dependency groups |
//! | `*.dist-info/METADATA` | [`pydist::parse`] | unknown (installed distributions) |
//! | `var/lib/dpkg/status` (licences: [`debcopyright::license`] of `usr/share/doc/*/copyright`) | [`dpkg::parse`] | unknown (an installed database) |
//! | `yarn.lock` (classic v1, berry v2+) | [`yarn::parse`] | classic: the sibling `package.json`; berry: the workspaces' dependencies |
//! | `pnpm-lock.yaml` (5.x, 6.0, 9.0) | [`pnpm::parse`] | the importers' dependencies |
//! | `poetry.lock` (1.x, 2.x) | [`pylock::parse_poetry`] | the sibling `pyproject.toml`'s dependency tables |
//! | `pdm.lock` (lock format 4.x) | [`pylock::parse_pdm`] | the sibling `pyproject.toml` (PEP 621, PDM dev groups, PEP 735) |
//! | `Pipfile.lock` | [`pylock::parse_pipfile`] | the sibling `Pipfile`'s `[packages]` and `[dev-packages]` |
//! | `go.mod` (with `go.sum` hashes) | [`golang::parse`] | `require` lines without `// indirect` |
//! | Executables (ELF, PE, Mach-O): Go build information (the pre-1.18 pointer format too), cargo-auditable `.dep-v0`, ELF package notes (`.note.package`) | [`binary::parse`] | Go: unknown; cargo-auditable: the local packages' dependencies; package notes: unknown |
//! | `pom.xml` (`${properties}` resolved within the file) | [`java::parse_pom`] | every declared dependency |
//! | `gradle.lockfile`, `gradle/dependency-locks/*.lockfile` | [`java::parse_gradle_lock`] | unknown (the lockfile does not say) |
//! | `*.jar`, `*.war`, `*.ear` (`pom.properties`, manifest, nested archives) | [`java::parse_archive`] | unknown |
//! | `Gemfile.lock`, `gems.locked` | [`ruby_php::parse_gemfile_lock`] | the `DEPENDENCIES` section |
//! | `composer.lock` | [`ruby_php::parse_composer_lock`] | the sibling `composer.json`'s `require` and `require-dev` |
//! | `lib/apk/db/installed` | [`apk::parse`] | unknown (an installed database) |
//! | `rpmdb.sqlite` (own bounded `SQLite` reader) | [`rpm::parse`] | unknown (an installed database) |
//! | `node_modules/**/package.json` (installed packages) | [`nodepkg::parse`] | unknown (an installed tree) |
//!
//! The format parsers are pure functions of the file's bytes. A file that cannot be read or parsed gives a
//! [`Warning`] naming the file (and the line where there is one); the other files are still cataloged and
//! the caller marks the document incomplete.
//!
//! ```
//! let lock = "version = 3\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\"]\n\n\
//!             [[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\n\
//!             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
//! let found = provenant_catalog::cargo::parse("Cargo.lock", lock.as_bytes())?;
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].purl.as_str(), "pkg:cargo/itoa@1.0.11");
//! assert_eq!(found[0].scope, provenant_sbom::Scope::Direct);
//! # Ok::<(), provenant_catalog::Warning>(())
//! ```
#![forbid(unsafe_code)]

pub mod apk;
pub mod binary;
pub mod bound;
pub mod cargo;
pub mod debcopyright;
pub mod dpkg;
pub mod exclude;
mod exemap;
pub mod formats;
pub mod golang;
pub mod image;
pub mod java;
pub mod nodepkg;
pub mod npm;
pub mod pip;
pub mod pnpm;
pub mod pydist;
pub mod pylock;
pub mod rpm;
pub mod ruby_php;
pub mod sqlite;
pub mod uvlock;
mod walk;
pub mod yarn;
/// The bounded zip reader the Java cataloger reads archives with, shared with `provenant-diff`.
pub use provenant_archive::zip;

use std::fmt;

pub use exclude::{Exclude, InvalidPattern};
pub use walk::{Catalog, CatalogError, MAX_FILE_BYTES, catalog, catalog_excluding};

/// A problem with one file: it was skipped or only partly read, so the result may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct Warning {
    /// The file, relative to the target.
    pub file: String,
    /// The 1-based line, where the format has lines and the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Warning {
    /// A warning about `file` at `line`.
    #[must_use]
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Warning {
        Warning {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes().iter().take(at).filter(|b| **b == b'\n').count() + 1
}

/// Decodes a file as UTF-8 or explains why not.
fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Warning> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = line_of(
            &String::from_utf8_lossy(bytes.get(..e.valid_up_to()).unwrap_or(&[])),
            e.valid_up_to(),
        );
        Warning::new(file, Some(line), "not valid UTF-8")
    })
}

fn evidence(file: &str, method: &str) -> provenant_sbom::Evidence {
    provenant_sbom::Evidence {
        file: file.to_owned(),
        method: method.to_owned(),
        layer: None,
    }
}
