//! Who signed the provenance and which builder that makes it: GitHub Actions' issuer, the npm CLI's
//! builder ids and the SLSA generator's trusted delegator workflows, the build types each writes, and
//! the builder id the provenance records.

use provenant_sigstore::Verified;

use super::PackageExpectations;
use super::checks::NpmError;
use crate::gha_identity::{WorkflowIdentity, builder_matches, is_release_tag, split_builder};

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The npm CLI's builder id in older provenance (GitHub-hosted runners).
pub const NPM_CLI_LEGACY_BUILDER: &str = "https://github.com/actions/runner";
/// The npm CLI's builder id on GitHub-hosted runners.
pub const NPM_CLI_HOSTED_BUILDER: &str = "https://github.com/actions/runner/github-hosted";
/// The npm CLI's builder id on self-hosted runners.
pub const NPM_CLI_SELF_HOSTED_BUILDER: &str = "https://github.com/actions/runner/self-hosted";

/// The SLSA generator's delegator workflows (the BYOB framework), trusted to sign for the builders
/// that call them.
pub const DELEGATOR_WORKFLOWS: &[&str] = &[
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml",
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_lowperms-generic_slsa3.yml",
];

/// Build types, by the builder that may write them.
const BYOB_BUILD_TYPE: &str = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0";
pub(crate) const NPM_CLI_BUILD_TYPE_V1: &str = "https://github.com/npm/cli/gha@v1";
const NPM_CLI_BUILD_TYPE_V2: &str = "https://github.com/npm/cli/gha/v2";
const NPM_CLI_GHA_BUILD_TYPE: &str = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";

const HOSTED_SUFFIX: &str = "/github-hosted";

/// The build types a builder writes, per predicate type (slsa-verifier's registry; the npm CLI on
/// self-hosted runners is not supported there either).
pub(crate) fn build_types(builder: &str, predicate_type: &str) -> Option<&'static [&'static str]> {
    let v1 = predicate_type == provenant_slsa::v1::PREDICATE_TYPE;
    if DELEGATOR_WORKFLOWS.contains(&builder) {
        return Some(&[BYOB_BUILD_TYPE]);
    }
    match (builder, v1) {
        (NPM_CLI_LEGACY_BUILDER | NPM_CLI_HOSTED_BUILDER, false) => {
            Some(&[NPM_CLI_BUILD_TYPE_V1, NPM_CLI_BUILD_TYPE_V2])
        }
        (NPM_CLI_HOSTED_BUILDER, true) => Some(&[NPM_CLI_GHA_BUILD_TYPE]),
        _ => None,
    }
}

/// The builder step: who signed, and which builder that makes it.
pub(crate) struct Builder {
    /// The builder whose provenance format applies (the delegator, or the npm CLI id asked).
    pub(crate) provenance_format: String,
    /// The builder id the provenance must record.
    pub(crate) expected: String,
    pub(crate) trusted: bool,
}

pub(crate) fn check_signer(
    verified: &Verified,
    workflow: &WorkflowIdentity,
    expectations: &PackageExpectations,
) -> Result<Builder, NpmError> {
    if verified.issuer.as_deref() != Some(GITHUB_ISSUER) {
        return Err(NpmError::Issuer {
            actual: verified.issuer.clone(),
        });
    }
    let delegator = DELEGATOR_WORKFLOWS.contains(&workflow.workflow.as_str());
    if delegator && !is_release_tag(&workflow.workflow_ref) {
        return Err(NpmError::BuilderRef {
            workflow: workflow.workflow.clone(),
            git_ref: workflow.workflow_ref.clone(),
        });
    }
    if let Some(expected) = workflow.other_repository_than(&expectations.source) {
        return Err(NpmError::CertificateSource {
            expected,
            actual: workflow.repository.clone(),
        });
    }
    let builder_id = expectations.builder_id.clone().ok_or(NpmError::NoBuilderId)?;
    if delegator {
        if let Some(hosted) = &workflow.hosted
            && hosted != "github-hosted"
        {
            return Err(NpmError::RunnerMismatch {
                builder_id,
                runner: hosted.clone(),
            });
        }
        return Ok(Builder {
            provenance_format: workflow.workflow.clone(),
            expected: builder_id,
            trusted: true,
        });
    }
    // A certificate from before the Runner Environment extension (early 2023, the older GitHub
    // extensions alone) cannot say which kind of runner ran: only the older builder id, which claims
    // no kind, is accepted for it.
    if workflow.hosted.is_none()
        && !workflow.older_extensions.is_empty()
        && builder_id == NPM_CLI_LEGACY_BUILDER
    {
        return Ok(Builder {
            provenance_format: builder_id.clone(),
            expected: builder_id,
            trusted: false,
        });
    }
    let hosted = workflow.hosted.clone().ok_or(NpmError::RunnerUnknown)?;
    let want = match builder_id.as_str() {
        NPM_CLI_LEGACY_BUILDER | NPM_CLI_HOSTED_BUILDER => "github-hosted",
        NPM_CLI_SELF_HOSTED_BUILDER => "self-hosted",
        _ => return Err(NpmError::UnsupportedBuilder { builder_id }),
    };
    if hosted != want {
        return Err(NpmError::RunnerMismatch {
            builder_id,
            runner: hosted,
        });
    }
    let name = split_builder(&builder_id)
        .map_or(builder_id.as_str(), |(n, _)| n)
        .to_owned();
    Ok(Builder {
        provenance_format: name,
        expected: builder_id,
        trusted: false,
    })
}

/// The provenance's builder id against the one asked, loosely; older provenance records the npm CLI's
/// builder without the runner kind, which means GitHub-hosted.
pub(crate) fn check_recorded_builder(recorded: &str, expected: &str) -> Result<(), NpmError> {
    let builder_ok = builder_matches(recorded, expected)
        || match expected.strip_suffix(HOSTED_SUFFIX) {
            Some(short) => builder_matches(recorded, short),
            None => builder_matches(recorded, &format!("{expected}{HOSTED_SUFFIX}")),
        };
    if builder_ok {
        Ok(())
    } else {
        Err(NpmError::BuilderMismatch {
            expected: expected.to_owned(),
            actual: recorded.chars().take(500).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_ids_match_loosely() {
        assert!(builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml"
        ));
        assert!(builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml@v1.6.0"
        ));
        assert!(!builder_matches(
            "https://x/b.yml@refs/tags/v1.6.0",
            "https://x/b.yml@v1.6.1"
        ));
        assert!(!builder_matches("https://x/b.yml", "https://x/c.yml"));
        assert!(is_release_tag("refs/tags/v1.6.0"));
        assert!(!is_release_tag("refs/tags/v1.6"));
        assert!(!is_release_tag("refs/heads/main"));
        assert!(!is_release_tag("refs/tags/v1.6.0-rc.1"));
    }
}
