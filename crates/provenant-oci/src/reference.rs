//! Image references: `[registry/]repository[:tag][@digest]` and `oci:PATH[:tag|@digest]`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use provenant_digest::Digest;

/// The registry used when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The host that serves the default registry's API.
pub const DEFAULT_REGISTRY_API_HOST: &str = "registry-1.docker.io";
/// Longest repository name the distribution specification allows.
const MAX_NAME_LEN: usize = 255;
/// Longest tag.
const MAX_TAG_LEN: usize = 128;
/// Longest reference string accepted at all.
const MAX_REFERENCE_LEN: usize = 4096;

/// Why a string is not a valid reference, registry, repository or tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The reference is empty.
    #[error("image reference is empty")]
    Empty,
    /// The reference is longer than any valid reference.
    #[error("image reference is {len} characters long; at most {MAX_REFERENCE_LEN} are accepted")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// The registry host is not a valid `host[:port]`.
    #[error("invalid registry host {host:?}: expected host[:port] of letters, digits, '.', '-' (or [IPv6])")]
    InvalidRegistry {
        /// The host as given.
        host: String,
    },
    /// A repository path component breaks the distribution grammar.
    #[error(
        "invalid repository name {name:?}: components must be lowercase [a-z0-9] separated by '.', '_', '__' or '-' \
         and the name at most {MAX_NAME_LEN} characters"
    )]
    InvalidRepository {
        /// The repository as given.
        name: String,
    },
    /// The tag breaks the grammar `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error("invalid tag {tag:?}: expected [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")]
    InvalidTag {
        /// The tag as given.
        tag: String,
    },
    /// The part after `@` is not a digest.
    #[error("invalid digest in reference: {0}")]
    InvalidDigest(#[from] provenant_digest::ParseError),
    /// An `oci:` reference names no directory.
    #[error("oci: reference names no layout directory (expected oci:PATH[:tag|@digest])")]
    EmptyLayoutPath,
}

/// A registry host with an optional port, such as `ghcr.io` or `127.0.0.1:5000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Registry(String);

impl Registry {
    /// The registry as written in references (`docker.io` for the default one).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host (and port) to talk to: `registry-1.docker.io` for `docker.io`.
    #[must_use]
    pub fn api_host(&self) -> &str {
        if self.0 == DEFAULT_REGISTRY {
            DEFAULT_REGISTRY_API_HOST
        } else {
            &self.0
        }
    }

    /// The host without its port.
    #[must_use]
    pub fn hostname(&self) -> &str {
        let h = self.api_host();
        if let Some(rest) = h.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        h.rsplit_once(':').map_or(h, |(host, _)| host)
    }

    /// Whether the host is a loopback address (`localhost`, `127.x.x.x`, `[::1]`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        let h = self.hostname();
        h == "localhost" || h == "::1" || h.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl FromStr for Registry {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ReferenceError::InvalidRegistry {
            host: s.chars().take(300).collect(),
        };
        if s.is_empty() || s.len() > MAX_NAME_LEN {
            return Err(bad());
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (inner, after) = rest.split_once(']').ok_or_else(bad)?;
            if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                return Err(bad());
            }
            let port = if after.is_empty() {
                None
            } else {
                Some(after.strip_prefix(':').ok_or_else(bad)?)
            };
            (None, port)
        } else {
            match s.split_once(':') {
                Some((h, p)) => (Some(h), Some(p)),
                None => (Some(s), None),
            }
        };
        if let Some(host) = host {
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            };
            if !host.split('.').all(label_ok) {
                return Err(bad());
            }
        }
        if let Some(port) = port
            && (port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad());
        }
        Ok(Registry(s.to_owned()))
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository on a registry, such as `ghcr.io/org/app`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository {
    registry: Registry,
    name: String,
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if !alnum(*first) || !alnum(*last) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let x = b.get(i).copied().unwrap_or(0);
        if alnum(x) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or '-'+.
        let run = b
            .iter()
            .skip(i)
            .take_while(|y| !alnum(**y))
            .copied()
            .collect::<Vec<u8>>();
        let ok =
            run == b"." || run == b"_" || run == b"__" || (!run.is_empty() && run.iter().all(|y| *y == b'-'));
        if !ok {
            return false;
        }
        i += run.len();
    }
    true
}

impl Repository {
    /// A repository from its registry and path (`library/` is added for single-component names on
    /// the default registry).
    pub fn new(registry: Registry, name: &str) -> Result<Repository, ReferenceError> {
        let name = if registry.as_str() == DEFAULT_REGISTRY && !name.contains('/') {
            format!("library/{name}")
        } else {
            name.to_owned()
        };
        if name.len() > MAX_NAME_LEN || !name.split('/').all(valid_component) {
            return Err(ReferenceError::InvalidRepository {
                name: name.chars().take(300).collect(),
            });
        }
        Ok(Repository { registry, name })
    }

    /// The registry.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The path within the registry, such as `org/app`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

impl FromStr for Repository {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (registry, name) = split_registry(s)?;
        Repository::new(registry, name)
    }
}

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// A tag the caller built from characters known to be valid.
    pub(crate) fn new_unchecked(s: String) -> Tag {
        Tag(s)
    }

    /// The tag text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if first_ok && rest_ok && s.len() <= MAX_TAG_LEN {
            Ok(Tag(s.to_owned()))
        } else {
            Err(ReferenceError::InvalidTag {
                tag: s.chars().take(200).collect(),
            })
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn split_registry(s: &str) -> Result<(Registry, &str), ReferenceError> {
    match s.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':', '[']) || first == "localhost" => {
            Ok((first.parse()?, rest))
        }
        _ => Ok((Registry(DEFAULT_REGISTRY.to_owned()), s)),
    }
}

/// Splits `name[:tag][@digest]` (the tag's ':' is the last one after the last '/').
fn split_tag_digest(s: &str) -> Result<(&str, Option<Tag>, Option<Digest>), ReferenceError> {
    let (rest, digest) = match s.rsplit_once('@') {
        Some((rest, d)) => (rest, Some(d.parse::<Digest>()?)),
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let tail = rest.get(last_slash..).unwrap_or("");
    match tail.rfind(':') {
        Some(i) => {
            let cut = last_slash + i;
            let tag = rest.get(cut + 1..).unwrap_or("").parse::<Tag>()?;
            Ok((rest.get(..cut).unwrap_or(""), Some(tag), digest))
        }
        None => Ok((rest, None, digest)),
    }
}

/// A manifest reference within a repository: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManifestRef {
    /// By tag (mutable; resolved once).
    Tag(Tag),
    /// By digest.
    Digest(Digest),
}

impl fmt::Display for ManifestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestRef::Tag(t) => t.fmt(f),
            ManifestRef::Digest(d) => d.fmt(f),
        }
    }
}

/// A reference to an image in a registry: `[registry/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryReference {
    /// The repository.
    pub repository: Repository,
    /// The tag, if any.
    pub tag: Option<Tag>,
    /// The digest, if any (it wins over the tag when both are given).
    pub digest: Option<Digest>,
}

/// A reference to an OCI image-layout directory: `oci:PATH[:tag|@digest]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutReference {
    /// The layout directory.
    pub path: PathBuf,
    /// The tag (`org.opencontainers.image.ref.name`), if any.
    pub tag: Option<Tag>,
    /// The digest, if any.
    pub digest: Option<Digest>,
}

/// Where an image lives: a registry repository or an OCI image-layout directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `[registry/]repository[:tag][@digest]`.
    Registry(RegistryReference),
    /// `oci:PATH[:tag|@digest]`.
    Layout(LayoutReference),
}

impl Reference {
    /// The tag, if the reference has one.
    #[must_use]
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            Reference::Registry(r) => r.tag.as_ref(),
            Reference::Layout(l) => l.tag.as_ref(),
        }
    }

    /// The digest, if the reference has one.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            Reference::Registry(r) => r.digest.as_ref(),
            Reference::Layout(l) => l.digest.as_ref(),
        }
    }

    /// What to fetch: the digest when present, else the tag, else `None`.
    #[must_use]
    pub fn manifest_ref(&self) -> Option<ManifestRef> {
        self.digest()
            .map(|d| ManifestRef::Digest(*d))
            .or_else(|| self.tag().map(|t| ManifestRef::Tag(t.clone())))
    }

    /// The same location with a different tag and digest.
    #[must_use]
    pub fn with(&self, tag: Option<Tag>, digest: Option<Digest>) -> Reference {
        match self {
            Reference::Registry(r) => Reference::Registry(RegistryReference {
                repository: r.repository.clone(),
                tag,
                digest,
            }),
            Reference::Layout(l) => Reference::Layout(LayoutReference {
                path: l.path.clone(),
                tag,
                digest,
            }),
        }
    }

    /// The location without tag or digest, as text (`registry/repo` or `oci:PATH`).
    #[must_use]
    pub fn location(&self) -> String {
        match self {
            Reference::Registry(r) => r.repository.to_string(),
            Reference::Layout(l) => format!("oci:{}", l.path.display()),
        }
    }
}

fn write_suffix(f: &mut fmt::Formatter<'_>, tag: Option<&Tag>, digest: Option<&Digest>) -> fmt::Result {
    if let Some(t) = tag {
        write!(f, ":{t}")?;
    }
    if let Some(d) = digest {
        write!(f, "@{d}")?;
    }
    Ok(())
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.location())?;
        write_suffix(f, self.tag(), self.digest())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if s.len() > MAX_REFERENCE_LEN {
            return Err(ReferenceError::TooLong { len: s.len() });
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (path, tag, digest) = split_tag_digest(rest)?;
            if path.is_empty() {
                return Err(ReferenceError::EmptyLayoutPath);
            }
            return Ok(Reference::Layout(LayoutReference {
                path: Path::new(path).to_path_buf(),
                tag,
                digest,
            }));
        }
        let (registry, rest) = split_registry(s)?;
        let (name, tag, digest) = split_tag_digest(rest)?;
        let repository = Repository::new(registry, name)?;
        Ok(Reference::Registry(RegistryReference {
            repository,
            tag,
            digest,
        }))
    }
}
