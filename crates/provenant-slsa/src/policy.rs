//! Policy checks with slsa-verifier's semantics, as pure functions over parsed provenance.
//!
//! Each check returns its own [`PolicyError`] variant so that a caller can say exactly which expectation
//! failed. The checks do not look at signatures: the caller verifies the envelope first.

use std::fmt;
use std::str::FromStr;

use provenant_digest::Digest;

use crate::provenance::{Provenance, Subject};

/// A policy check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// No subject of the provenance has the artefact's digest.
    #[error("no subject has digest {artefact} (subjects: {subjects})")]
    SubjectMismatch {
        /// The artefact's digest.
        artefact: Digest,
        /// The subjects' digests of the same algorithm, comma-separated.
        subjects: String,
    },
    /// The builder is not the one trusted.
    #[error("builder {actual:?} is not trusted: expected {expected:?}")]
    UntrustedBuilder {
        /// What the verifier trusts (a URI, optionally `@version`).
        expected: String,
        /// `builder.id` of the provenance.
        actual: String,
    },
    /// The provenance records no source.
    #[error("the provenance records no source in {field}")]
    NoSource {
        /// Where it was looked for.
        field: &'static str,
    },
    /// A source URI of the provenance has no `@ref`.
    #[error("malformed source URI {uri:?} in {field}: expected <repository>@<ref>")]
    MalformedSourceUri {
        /// The URI.
        uri: String,
        /// Where it is.
        field: &'static str,
    },
    /// The source is not the expected repository.
    #[error("source mismatch in {field}: expected {expected}, got {actual:?}")]
    SourceMismatch {
        /// The normalised expected source.
        expected: SourceUri,
        /// The URI in the provenance.
        actual: String,
        /// Which field of the provenance.
        field: &'static str,
    },
    /// The configuration source and the source material name different revisions.
    #[error("configuration source {config:?} and source material {material:?} disagree")]
    SourceDisagreement {
        /// The configuration source URI.
        config: String,
        /// The first material's URI.
        material: String,
    },
    /// The provenance's ref is not of the kind the check needs (a branch, or a tag).
    #[error(
        "cannot check the {wanted}: the build ran for {}",
        .actual.as_deref().unwrap_or("no recorded ref")
    )]
    InvalidRef {
        /// `branch` or `tag`.
        wanted: RefKind,
        /// The ref the provenance records (`None` when it records none).
        actual: Option<String>,
    },
    /// The build ran for another branch.
    #[error("branch mismatch: expected refs/heads/{expected}, got {actual}")]
    BranchMismatch {
        /// The expected branch name.
        expected: String,
        /// The ref of the provenance.
        actual: String,
    },
    /// The build ran for another tag.
    #[error("tag mismatch: expected refs/tags/{expected}, got {actual}")]
    TagMismatch {
        /// The expected tag name.
        expected: String,
        /// The ref of the provenance.
        actual: String,
    },
    /// The build's tag is not of the expected semantic version.
    #[error("versioned tag mismatch: expected a tag of version {expected}, got {actual}")]
    VersionedTagMismatch {
        /// The expected version prefix (`v1`, `v1.2`, `v1.2.3`).
        expected: String,
        /// The tag of the provenance.
        actual: String,
    },
    /// A version is not semantic (`vMAJOR[.MINOR[.PATCH]]`).
    #[error("{value:?} is not a semantic version tag (vMAJOR[.MINOR[.PATCH[-PRE]]])")]
    InvalidSemver {
        /// The offending value.
        value: String,
    },
    /// The evidence does not reach the build level required.
    #[error("SLSA build level {required} required, the evidence supports level {achieved}")]
    BuildLevel {
        /// The level required.
        required: u8,
        /// The level the evidence supports.
        achieved: u8,
    },
}

/// A kind of git ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefKind {
    /// `refs/heads/…`.
    Branch,
    /// `refs/tags/…`.
    Tag,
}

impl fmt::Display for RefKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        })
    }
}

/// An expected source repository, normalised as slsa-verifier does: `github.com/ORG/REPO` and
/// `https://github.com/ORG/REPO` both become `git+https://github.com/ORG/REPO`. A trailing `.git` (and
/// `/`) is dropped too, so that the repository URL as package.json writes it
/// (`git+https://github.com/ORG/REPO.git`) names the same repository as slsa-verifier's documented
/// `github.com/ORG/REPO`: provenance records repositories without it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceUri(String);

/// An expected source is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid source URI {value:?}: {reason}")]
pub struct SourceUriError {
    /// The value given.
    pub value: String,
    /// Why it is refused.
    pub reason: &'static str,
}

impl FromStr for SourceUri {
    type Err = SourceUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| SourceUriError {
            value: s.chars().take(200).collect(),
            reason,
        };
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.contains('@') {
            return Err(err(
                "give the repository without a ref; check the ref with a branch or tag option",
            ));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(err("contains whitespace"));
        }
        let normalised = if s.starts_with("git+") {
            s.to_owned()
        } else if s.contains("://") {
            format!("git+{s}")
        } else {
            format!("git+https://{s}")
        };
        let trimmed = normalised.trim_end_matches('/');
        let trimmed = trimmed
            .strip_suffix(".git")
            .unwrap_or(trimmed)
            .trim_end_matches('/');
        if trimmed.ends_with("://") || trimmed.ends_with(':') {
            return Err(err("names no repository"));
        }
        Ok(SourceUri(trimmed.to_owned()))
    }
}

impl SourceUri {
    /// The normalised URI (`git+https://…`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A builder identity: a URI and an optional version after `@` (for GitHub reusable workflows, the ref).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuilderId {
    name: String,
    version: Option<String>,
}

/// A builder id is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid builder id {value:?}: {reason}")]
pub struct BuilderIdError {
    /// The value given.
    pub value: String,
    /// Why it is refused.
    pub reason: &'static str,
}

impl FromStr for BuilderId {
    type Err = BuilderIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| BuilderIdError {
            value: s.chars().take(200).collect(),
            reason,
        };
        if s.is_empty() {
            return Err(err("empty"));
        }
        if !s.contains(':') {
            return Err(err("not a URI (no scheme)"));
        }
        let (name, version) = match s.rsplit_once('@') {
            Some((n, v)) if !v.contains('/') || v.starts_with("refs/") => (n, Some(v)),
            _ => (s, None),
        };
        if name.is_empty() || version == Some("") {
            return Err(err("empty name or version around '@'"));
        }
        Ok(BuilderId {
            name: name.to_owned(),
            version: version.map(str::to_owned),
        })
    }
}

impl BuilderId {
    /// A builder id from a name and version that another parse rule has split (GCB's, in
    /// [`crate::gcb`]); the identity, display and loose match are this type's either way.
    pub(crate) fn from_parts(name: &str, version: Option<&str>) -> BuilderId {
        BuilderId {
            name: name.to_owned(),
            version: version.map(str::to_owned),
        }
    }

    /// The URI without the version.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version after `@`, if any.
    #[must_use]
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Whether `actual` satisfies this expectation: same name, and the same version when this one
    /// names a version (slsa-verifier's loose match).
    #[must_use]
    pub fn matches(&self, actual: &BuilderId) -> bool {
        self.name == actual.name && (self.version.is_none() || self.version == actual.version)
    }
}

impl fmt::Display for BuilderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Checks that one subject carries the artefact's digest (same algorithm, same value).
pub fn check_subject(subjects: &[Subject], artefact: &Digest) -> Result<(), PolicyError> {
    let algorithm = artefact.algorithm().name();
    let mut seen = Vec::new();
    for subject in subjects {
        if let Some(hex) = subject.digest.get(algorithm) {
            if let Ok(d) = Digest::from_hex(artefact.algorithm(), hex)
                && d == *artefact
            {
                return Ok(());
            }
            seen.push(format!("{algorithm}:{hex}"));
        }
    }
    Err(PolicyError::SubjectMismatch {
        artefact: *artefact,
        subjects: seen.join(", "),
    })
}

/// Checks the builder id against the trusted one and returns the provenance's parsed builder id.
pub fn check_builder_id(provenance: &Provenance, expected: &BuilderId) -> Result<BuilderId, PolicyError> {
    let untrusted = || PolicyError::UntrustedBuilder {
        expected: expected.to_string(),
        actual: provenance.builder_id().chars().take(500).collect(),
    };
    let actual: BuilderId = provenance.builder_id().parse().map_err(|_| untrusted())?;
    if expected.matches(&actual) {
        Ok(actual)
    } else {
        Err(untrusted())
    }
}

fn repository_part(uri: &str, field: &'static str) -> Result<String, PolicyError> {
    match uri.split_once('@') {
        Some((repo, r)) if !repo.is_empty() && !r.is_empty() => Ok(repo.trim_end_matches('/').to_owned()),
        _ => Err(PolicyError::MalformedSourceUri {
            uri: uri.chars().take(500).collect(),
            field,
        }),
    }
}

/// Checks the source repository as slsa-verifier does: the configuration source and the first
/// material must both name the expected repository, and both must name the same revision.
pub fn check_source(provenance: &Provenance, expected: &SourceUri) -> Result<(), PolicyError> {
    let (config_field, material_field) = match provenance {
        Provenance::V02(_) => ("invocation.configSource.uri", "materials[0].uri"),
        Provenance::V1(_) => (
            "buildDefinition.externalParameters",
            "buildDefinition.resolvedDependencies[0].uri",
        ),
    };
    let config = provenance
        .config_source_uri()
        .ok_or(PolicyError::NoSource { field: config_field })?;
    if repository_part(&config, config_field)? != expected.as_str() {
        return Err(PolicyError::SourceMismatch {
            expected: expected.clone(),
            actual: config.chars().take(500).collect(),
            field: config_field,
        });
    }
    let material = provenance.material_source_uri().ok_or(PolicyError::NoSource {
        field: material_field,
    })?;
    if repository_part(&material, material_field)? != expected.as_str() {
        return Err(PolicyError::SourceMismatch {
            expected: expected.clone(),
            actual: material.chars().take(500).collect(),
            field: material_field,
        });
    }
    if config != material {
        return Err(PolicyError::SourceDisagreement {
            config: config.chars().take(500).collect(),
            material: material.chars().take(500).collect(),
        });
    }
    Ok(())
}

/// The branch the build ran on: its ref when it built a branch, or the branch a tag was pushed from
/// when the builder recorded it.
fn branch_ref(provenance: &Provenance) -> Result<String, PolicyError> {
    let r = provenance.source_ref();
    match r.as_deref() {
        Some(b) if b.starts_with("refs/heads/") => Ok(b.to_owned()),
        Some(t) if t.starts_with("refs/tags/") => match provenance.tag_base_ref() {
            Some(base) if base.starts_with("refs/heads/") => Ok(base),
            _ => Err(PolicyError::InvalidRef {
                wanted: RefKind::Branch,
                actual: r,
            }),
        },
        _ => Err(PolicyError::InvalidRef {
            wanted: RefKind::Branch,
            actual: r,
        }),
    }
}

/// Checks that the build ran on `branch` (a name, or `refs/heads/<name>`).
pub fn check_branch(provenance: &Provenance, branch: &str) -> Result<(), PolicyError> {
    let expected = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    let actual = branch_ref(provenance)?;
    if actual.strip_prefix("refs/heads/") == Some(expected) {
        Ok(())
    } else {
        Err(PolicyError::BranchMismatch {
            expected: expected.to_owned(),
            actual,
        })
    }
}

fn tag_name(provenance: &Provenance) -> Result<String, PolicyError> {
    let r = provenance.source_ref();
    match r.as_deref().and_then(|t| t.strip_prefix("refs/tags/")) {
        Some(tag) if !tag.is_empty() => Ok(tag.to_owned()),
        _ => Err(PolicyError::InvalidRef {
            wanted: RefKind::Tag,
            actual: r,
        }),
    }
}

/// Checks that the build ran for exactly the tag `tag` (a name, or `refs/tags/<name>`).
pub fn check_tag(provenance: &Provenance, tag: &str) -> Result<(), PolicyError> {
    let expected = tag.strip_prefix("refs/tags/").unwrap_or(tag);
    let actual = tag_name(provenance)?;
    if actual == expected {
        Ok(())
    } else {
        Err(PolicyError::TagMismatch {
            expected: expected.to_owned(),
            actual: format!("refs/tags/{actual}"),
        })
    }
}

/// A semantic version as tags spell it: `v` and one to three numbers, with an optional pre-release
/// only after all three (Go's `golang.org/x/mod/semver` form, which slsa-verifier uses).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Semver {
    major: u64,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Option<String>,
}

fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_semver(value: &str) -> Option<Semver> {
    let rest = value.strip_prefix('v')?;
    let rest = rest
        .split_once('+')
        .map_or(rest, |(v, build)| if build.is_empty() { "" } else { v });
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) if !p.is_empty() => (c, Some(p.to_owned())),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let major = parse_number(parts.next()?)?;
    let minor = parts.next().map(parse_number);
    let patch = parts.next().map(parse_number);
    if parts.next().is_some() {
        return None;
    }
    let (minor, patch) = match (minor, patch) {
        (Some(None), _) | (_, Some(None)) => return None,
        (m, p) => (m.flatten(), p.flatten()),
    };
    if pre.is_some() && patch.is_none() {
        return None;
    }
    Some(Semver {
        major,
        minor,
        patch,
        pre,
    })
}

/// Checks the tag against a semantic version prefix as slsa-verifier does: the major must match; the
/// minor and the patch must match when the expectation gives them (a tag `v1.2` reads as `v1.2.0`).
pub fn check_versioned_tag(provenance: &Provenance, expected: &str) -> Result<(), PolicyError> {
    parse_semver(expected).ok_or_else(|| PolicyError::InvalidSemver {
        value: expected.to_owned(),
    })?;
    check_versioned_tag_name(&tag_name(provenance)?, expected)
}

/// [`check_versioned_tag`] on a tag name read elsewhere (Google Cloud Build records it in its
/// substitutions rather than in a ref).
pub fn check_versioned_tag_name(tag: &str, expected: &str) -> Result<(), PolicyError> {
    let want = parse_semver(expected).ok_or_else(|| PolicyError::InvalidSemver {
        value: expected.to_owned(),
    })?;
    let tag = tag.to_owned();
    let have = parse_semver(&tag).ok_or_else(|| PolicyError::InvalidSemver { value: tag.clone() })?;
    let mismatch = || PolicyError::VersionedTagMismatch {
        expected: expected.to_owned(),
        actual: tag.clone(),
    };
    if have.major != want.major {
        return Err(mismatch());
    }
    if let Some(minor) = want.minor
        && have.minor.unwrap_or(0) != minor
    {
        return Err(mismatch());
    }
    if let Some(patch) = want.patch
        && have.patch.unwrap_or(0) != patch
    {
        return Err(mismatch());
    }
    if want.pre.is_some() && want.pre != have.pre {
        return Err(mismatch());
    }
    Ok(())
}

/// Checks that the evidence reaches `required` (0–3).
pub fn check_build_level(required: u8, achieved: u8) -> Result<(), PolicyError> {
    if achieved >= required {
        Ok(())
    } else {
        Err(PolicyError::BuildLevel { required, achieved })
    }
}

/// The SLSA build level that verified provenance supports, by the SLSA v1.0 Build track:
/// level 1 when provenance exists, level 2 when it is signed by a hosted build platform (any builder
/// other than a developer's machine, [`crate::LOCAL_BUILDER_ID`]), level 3 when the builder is one known
/// to isolate the provenance signing from the build (see [`gha::TRUSTED_REUSABLE_WORKFLOWS`]).
#[must_use]
pub fn achieved_build_level(builder: &BuilderId, signature_verified: bool) -> u8 {
    if !signature_verified || builder.name() == crate::LOCAL_BUILDER_ID {
        return 1;
    }
    if gha::TRUSTED_REUSABLE_WORKFLOWS.contains(&builder.name()) && gha::is_release_ref(builder.version()) {
        3
    } else {
        2
    }
}

/// slsa-verifier's built-in trust in the SLSA GitHub generator's reusable workflows.
pub mod gha {
    use super::{BuilderId, PolicyError, SourceUri, parse_semver};

    /// The reusable workflows of `slsa-framework/slsa-github-generator` that slsa-verifier trusts.
    pub const TRUSTED_REUSABLE_WORKFLOWS: &[&str] = &[
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_lowperms-generic_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_gradle_slsa3.yml",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_maven_slsa3.yml",
    ];

    /// The repository whose end-to-end tests may use the generator at `refs/heads/main`.
    pub const E2E_TEST_REPOSITORY: &str = "git+https://github.com/slsa-framework/example-package";

    pub(super) fn is_release_ref(version: Option<&str>) -> bool {
        version
            .and_then(|v| v.strip_prefix("refs/tags/"))
            .and_then(parse_semver)
            .is_some_and(|s| s.minor.is_some() && s.patch.is_some() && s.pre.is_none())
    }

    /// The trust slsa-verifier places in GitHub builders: `actual` must be one of the trusted reusable
    /// workflows (and match `expected` when given), at a release tag `refs/tags/vX.Y.Z`, or at
    /// `refs/heads/main` when the source is the generator's end-to-end test repository.
    pub fn check_trusted_builder(
        actual: &str,
        expected: Option<&BuilderId>,
        source: &SourceUri,
    ) -> Result<BuilderId, PolicyError> {
        let id = check_trusted_workflow(actual, expected)?;
        check_builder_ref(&id, expected, source)?;
        Ok(id)
    }

    fn untrusted(actual: &str, expected: Option<&BuilderId>) -> PolicyError {
        PolicyError::UntrustedBuilder {
            expected: expected.map_or_else(
                || "a trusted slsa-github-generator workflow".to_owned(),
                ToString::to_string,
            ),
            actual: actual.chars().take(500).collect(),
        }
    }

    /// The first half of [`check_trusted_builder`], which slsa-verifier runs before it looks at the
    /// source: the workflow is a trusted one, and the expected one when given.
    pub fn check_trusted_workflow(
        actual: &str,
        expected: Option<&BuilderId>,
    ) -> Result<BuilderId, PolicyError> {
        let id: BuilderId = actual.parse().map_err(|_| untrusted(actual, expected))?;
        // slsa-verifier matches loosely and allows the short form of a tag ref: an expected `@v1.2.3`
        // is met by the workflow at `refs/tags/v1.2.3`.
        let short_tag_matches = |e: &BuilderId| {
            e.name() == id.name()
                && e.version()
                    .is_some_and(|v| id.version() == Some(format!("refs/tags/{v}").as_str()))
        };
        if !TRUSTED_REUSABLE_WORKFLOWS.contains(&id.name())
            || expected.is_some_and(|e| !e.matches(&id) && !short_tag_matches(e))
        {
            return Err(untrusted(actual, expected));
        }
        Ok(id)
    }

    /// The second half of [`check_trusted_builder`]: the workflow's ref is a release tag, or
    /// `refs/heads/main` for the end-to-end test repository.
    pub fn check_builder_ref(
        id: &BuilderId,
        expected: Option<&BuilderId>,
        source: &SourceUri,
    ) -> Result<(), PolicyError> {
        let e2e_main = source.as_str() == E2E_TEST_REPOSITORY && id.version() == Some("refs/heads/main");
        if is_release_ref(id.version()) || e2e_main {
            Ok(())
        } else {
            Err(untrusted(&id.to_string(), expected))
        }
    }
}
