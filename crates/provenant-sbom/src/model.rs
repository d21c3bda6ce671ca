//! The component model: what a cataloger found and how it relates to the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use provenant_digest::Digest;

use crate::purl::{InvalidPurl, Purl};

/// The package ecosystem a component belongs to; it fixes the PURL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Ecosystem {
    /// Rust crates (`pkg:cargo`).
    Cargo,
    /// npm packages (`pkg:npm`).
    Npm,
    /// Python distributions on PyPI (`pkg:pypi`).
    Pypi,
    /// Debian packages (`pkg:deb/debian`).
    Deb,
    /// Go modules (`pkg:golang`, the module path split into namespace and name).
    Golang,
    /// Maven artefacts (`pkg:maven/<groupId>/<artifactId>`; the name is `groupId:artifactId`).
    Maven,
    /// Ruby gems (`pkg:gem`).
    Gem,
    /// PHP Composer packages (`pkg:composer/<vendor>/<name>`).
    Composer,
    /// Alpine packages (`pkg:apk/alpine`).
    Apk,
    /// RPM packages (`pkg:rpm`; the distribution namespace is not known from the database alone).
    Rpm,
    /// A package type no cataloger here produces, read from another tool's document (`pkg:github`,
    /// `pkg:nuget`, ...); its PURL says which. Built from parts, it is `pkg:generic`.
    Other,
}

impl Ecosystem {
    /// The ecosystem of a PURL type; [`Ecosystem::Other`] for a type no cataloger here produces.
    #[must_use]
    pub fn from_purl_type(ty: &str) -> Ecosystem {
        match ty {
            "cargo" => Ecosystem::Cargo,
            "npm" => Ecosystem::Npm,
            "pypi" => Ecosystem::Pypi,
            "deb" => Ecosystem::Deb,
            "golang" => Ecosystem::Golang,
            "maven" => Ecosystem::Maven,
            "gem" => Ecosystem::Gem,
            "composer" => Ecosystem::Composer,
            "apk" => Ecosystem::Apk,
            "rpm" => Ecosystem::Rpm,
            _ => Ecosystem::Other,
        }
    }

    /// The PURL type.
    #[must_use]
    pub const fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Deb => "deb",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Other => "generic",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// Whether the target depends on a component directly or only through another component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Scope {
    /// Declared by the target itself.
    Direct,
    /// Pulled in by another component.
    Transitive,
    /// The source does not say (an installed package database).
    #[default]
    Unknown,
}

impl Scope {
    /// `direct`, `transitive` or `unknown`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Direct => "direct",
            Scope::Transitive => "transitive",
            Scope::Unknown => "unknown",
        }
    }
}

/// Hash algorithms a package source can state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum HashAlg {
    /// SHA-1 (old npm lockfiles).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// Output length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }
    /// The CycloneDX spelling (`SHA-256`).
    #[must_use]
    pub const fn cyclonedx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }
    /// The SPDX spelling (`SHA256`).
    #[must_use]
    pub const fn spdx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
        }
    }
}

/// A hash value whose length does not match its algorithm, or that is not hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {alg:?} hash {value:?}: expected {expected} lowercase hex characters")]
#[non_exhaustive]
pub struct InvalidHash {
    /// The algorithm.
    pub alg: HashAlg,
    /// The rejected value (truncated to 160 characters).
    pub value: String,
    /// The expected number of hex characters.
    pub expected: usize,
}

/// A hash stated by the package source, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashValue {
    alg: HashAlg,
    hex: String,
}

impl HashValue {
    /// Checks the length and the hex alphabet; upper-case hex is lowered.
    pub fn new(alg: HashAlg, hex: &str) -> Result<HashValue, InvalidHash> {
        let lower = hex.to_ascii_lowercase();
        if lower.len() == alg.output_len() * 2 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(HashValue { alg, hex: lower })
        } else {
            Err(InvalidHash {
                alg,
                value: hex.chars().take(160).collect(),
                expected: alg.output_len() * 2,
            })
        }
    }
    /// From raw digest bytes.
    pub fn from_bytes(alg: HashAlg, bytes: &[u8]) -> Result<HashValue, InvalidHash> {
        let nibble = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
        let hex: String = bytes
            .iter()
            .flat_map(|b| [nibble(b >> 4), nibble(b & 15)])
            .collect();
        if hex.len() == alg.output_len() * 2 {
            Ok(HashValue { alg, hex })
        } else {
            Err(InvalidHash {
                alg,
                value: hex.chars().take(160).collect(),
                expected: alg.output_len() * 2,
            })
        }
    }
    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> HashAlg {
        self.alg
    }
    /// Lowercase hex.
    #[must_use]
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

/// A licence text that is not a valid SPDX licence expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SPDX licence expression {input:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidLicense {
    /// The rejected text (truncated to 160 characters).
    pub input: String,
    /// Why.
    pub reason: String,
}

/// Parses an SPDX licence expression strictly (SPDX licence list identifiers, `AND`/`OR`/`WITH`) and
/// returns its text. `LicenseRef-` and `DocumentRef-` references are refused: use
/// [`parse_license_with_refs`] where their texts are known.
pub fn parse_license(text: &str) -> Result<String, InvalidLicense> {
    let bad = |reason: String| InvalidLicense {
        input: text.chars().take(160).collect(),
        reason,
    };
    let trimmed = text.trim();
    if trimmed.contains("LicenseRef-") || trimmed.contains("DocumentRef-") {
        return Err(bad("licence references carry no text here".to_owned()));
    }
    spdx::Expression::parse(trimmed).map_err(|e| bad(e.reason.to_string()))?;
    Ok(trimmed.to_owned())
}

/// Parses an SPDX licence expression whose `LicenseRef-` ids must each be a key of `refs` (their
/// texts); `DocumentRef-` references are refused.
pub fn parse_license_with_refs<V>(text: &str, refs: &BTreeMap<String, V>) -> Result<String, InvalidLicense> {
    let bad = |reason: String| InvalidLicense {
        input: text.chars().take(160).collect(),
        reason,
    };
    let trimmed = text.trim();
    if trimmed.contains("DocumentRef-") {
        return Err(bad("references to other documents are not followed".to_owned()));
    }
    let expression = spdx::Expression::parse(trimmed).map_err(|e| bad(e.reason.to_string()))?;
    for req in expression.requirements() {
        if let spdx::LicenseItem::Other(other) = &req.req.license {
            let id = format!("LicenseRef-{}", other.lic_ref);
            if other.doc_ref.is_some() || !refs.contains_key(&id) {
                return Err(bad(format!("{id} has no licence text in this document")));
            }
        }
    }
    Ok(trimmed.to_owned())
}

/// The `LicenseRef-` ids an SPDX expression uses.
#[must_use]
pub fn license_refs(expression: &str) -> BTreeSet<&str> {
    expression
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| t.starts_with("LicenseRef-"))
        .collect()
}

/// Where a component was found, and how.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Evidence {
    /// The file, relative to the target, with `/` separators.
    pub file: String,
    /// How it was read (`cargo-lock`, `npm-package-lock`, `requirements-txt`, `dpkg-status`, ...).
    pub method: String,
    /// For an image, the layer (its diff id) that put the file there.
    pub layer: Option<Digest>,
}

/// One package found inside the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Component {
    /// Package name as its ecosystem spells it (npm scopes included: `@types/node`).
    pub name: String,
    /// Version as the source states it.
    pub version: String,
    /// The package URL; also the component's reference in the dependency graph.
    pub purl: Purl,
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Hashes stated by the source.
    pub hashes: BTreeSet<HashValue>,
    /// Licence as a validated SPDX expression; its `LicenseRef-` ids, if any, are keys of
    /// `license_texts`.
    pub license: Option<String>,
    /// The text of each `LicenseRef-` id the licence uses.
    pub license_texts: BTreeMap<String, String>,
    /// Supplier (maintainer), where the source names one.
    pub supplier: Option<String>,
    /// Files it was found in.
    pub evidence: BTreeSet<Evidence>,
    /// Direct or transitive.
    pub scope: Scope,
    /// PURLs of the components it depends on.
    pub depends_on: BTreeSet<Purl>,
}

impl Component {
    /// A component with its PURL built from the ecosystem, name and version.
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str) -> Result<Component, InvalidPurl> {
        let purl = purl_for(ecosystem, name, version, &[])?;
        Ok(Component::with_purl(ecosystem, name, version, purl))
    }

    /// A component with an explicit PURL (for qualifiers such as a Debian architecture).
    #[must_use]
    pub fn with_purl(ecosystem: Ecosystem, name: &str, version: &str, purl: Purl) -> Component {
        Component {
            name: name.to_owned(),
            version: version.to_owned(),
            purl,
            ecosystem,
            hashes: BTreeSet::new(),
            license: None,
            license_texts: BTreeMap::new(),
            supplier: None,
            evidence: BTreeSet::new(),
            scope: Scope::Unknown,
            depends_on: BTreeSet::new(),
        }
    }
}

/// The PURL of a package in an ecosystem: npm scopes become the namespace, PyPI names are normalised
/// (PEP 503), Debian packages get the `debian` namespace, Alpine packages `alpine`; Go module paths and
/// Composer names split at their last `/`, Maven names (`groupId:artifactId`) at the `:`.
pub fn purl_for(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Result<Purl, InvalidPurl> {
    let ty = ecosystem.purl_type();
    match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|r| r.split_once('/')) {
            Some((scope, bare)) => {
                Purl::build(ty, Some(&format!("@{scope}")), bare, Some(version), qualifiers)
            }
            None => Purl::build(ty, None, name, Some(version), qualifiers),
        },
        Ecosystem::Pypi => Purl::build(ty, None, &normalize_pypi(name), Some(version), qualifiers),
        Ecosystem::Deb => Purl::build(ty, Some("debian"), name, Some(version), qualifiers),
        Ecosystem::Cargo | Ecosystem::Gem | Ecosystem::Rpm | Ecosystem::Other => {
            Purl::build(ty, None, name, Some(version), qualifiers)
        }
        Ecosystem::Apk => Purl::build(ty, Some("alpine"), name, Some(version), qualifiers),
        // `github.com/x/y` → namespace `github.com/x`, name `y`; `vendor/pkg` likewise.
        Ecosystem::Golang | Ecosystem::Composer => match name.rsplit_once('/') {
            Some((ns, bare)) => Purl::build(ty, Some(ns), bare, Some(version), qualifiers),
            None => Purl::build(ty, None, name, Some(version), qualifiers),
        },
        // `groupId:artifactId`.
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) => Purl::build(ty, Some(group), artifact, Some(version), qualifiers),
            None => Purl::build(ty, None, name, Some(version), qualifiers),
        },
    }
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
#[must_use]
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The target an SBOM describes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Root {
    /// A name for the target (the directory or file name).
    pub name: String,
    /// Its digest (file digest, or tree digest of a directory). Present in a generated SBOM unless a
    /// directory could not be read whole (the SBOM is then incomplete); absent too when a converted
    /// document stated none.
    pub digest: Option<Digest>,
    /// Version, when the target states one.
    pub version: Option<String>,
    /// For an image: the image's package URL (`pkg:oci/NAME@sha256%3A…`); the root is then a container
    /// whose digest is the manifest's.
    pub image_purl: Option<Purl>,
    /// The package URL of a root that is itself a package (a converted document's `pkg:npm/app@1.0.0`).
    pub purl: Option<Purl>,
}

impl Root {
    /// A root named `name` with `digest`.
    #[must_use]
    pub fn new(name: &str, digest: Digest) -> Root {
        Root {
            name: name.to_owned(),
            digest: Some(digest),
            version: None,
            image_purl: None,
            purl: None,
        }
    }

    /// An image root: `name` the repository's last component, `digest` the manifest's, and, when the
    /// image lives in a registry, `repository_url` (`registry/repo`) as the purl qualifier.
    pub fn image(name: &str, digest: Digest, repository_url: Option<&str>) -> Result<Root, InvalidPurl> {
        let version = format!("{}:{}", digest.algorithm().name(), digest.hex());
        let qualifiers: Vec<(&str, &str)> = repository_url
            .map(|u| ("repository_url", u))
            .into_iter()
            .collect();
        let purl = Purl::build(
            "oci",
            None,
            &name.to_ascii_lowercase(),
            Some(&version),
            &qualifiers,
        )?;
        Ok(Root {
            name: name.to_owned(),
            digest: Some(digest),
            version: Some(version),
            image_purl: Some(purl),
            purl: None,
        })
    }
}

/// A software bill of materials: the target, what it contains and the dependency graph.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sbom {
    /// The target.
    pub root: Root,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Components keyed by PURL.
    pub components: BTreeMap<Purl, Component>,
    /// Warnings from catalogers; when not empty the document says it is incomplete.
    pub warnings: Vec<String>,
}

impl Sbom {
    /// An empty SBOM for `root` created at `created` (Unix seconds).
    #[must_use]
    pub fn new(root: Root, created: u64) -> Sbom {
        Sbom {
            root,
            created,
            components: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds a component; one already present under the same PURL is merged (evidence, hashes and
    /// edges are united, a direct scope wins, a known licence or supplier is kept).
    pub fn add(&mut self, c: Component) {
        match self.components.get_mut(&c.purl) {
            Some(old) => {
                old.hashes.extend(c.hashes);
                old.evidence.extend(c.evidence);
                old.depends_on.extend(c.depends_on);
                if c.scope == Scope::Direct || old.scope == Scope::Unknown {
                    old.scope = c.scope;
                }
                if old.license.is_none() {
                    old.license = c.license;
                    old.license_texts = c.license_texts;
                }
                if old.supplier.is_none() {
                    old.supplier = c.supplier;
                }
            }
            None => {
                self.components.insert(c.purl.clone(), c);
            }
        }
    }

    /// Whether a cataloger reported a problem, so that components may be missing.
    #[must_use]
    pub fn is_incomplete(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Components the target depends on directly, sorted.
    #[must_use]
    pub fn direct(&self) -> Vec<&Purl> {
        self.components
            .values()
            .filter(|c| c.scope == Scope::Direct)
            .map(|c| &c.purl)
            .collect()
    }

    /// Edges of a component restricted to components in this SBOM (no dangling references).
    #[must_use]
    pub fn edges<'a>(&self, c: &'a Component) -> Vec<&'a Purl> {
        c.depends_on
            .iter()
            .filter(|p| self.components.contains_key(*p) && **p != c.purl)
            .collect()
    }
}
