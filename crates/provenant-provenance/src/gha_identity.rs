//! The GitHub Actions workflow identity of a Fulcio certificate, and slsa-verifier's builder-id matching,
//! shared by the npm and GitHub-attestation verifiers.

use provenant_sigstore::{FulcioExtension, Verified, extension_or_older};

/// A certificate claim is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimError {
    /// The claim.
    pub(crate) claim: &'static str,
    /// What is wrong with it.
    pub(crate) reason: String,
}

/// The signing certificate's workflow claims (Fulcio's GitHub Actions extensions).
#[derive(Debug)]
pub(crate) struct WorkflowIdentity {
    /// `ORG/REPO`.
    pub(crate) repository: String,
    pub(crate) commit: Option<String>,
    pub(crate) git_ref: Option<String>,
    pub(crate) repository_id: Option<String>,
    pub(crate) owner_id: Option<String>,
    /// The signing workflow (SAN) without and with its ref.
    pub(crate) workflow: String,
    pub(crate) workflow_ref: String,
    /// `workflow_path@ref` as GitHub's `GITHUB_WORKFLOW_REF` spells it (no host).
    pub(crate) workflow_path_ref: String,
    pub(crate) workflow_digest: Option<String>,
    pub(crate) hosted: Option<String>,
    pub(crate) trigger: Option<String>,
    /// The workflow file of the run, relative to the repository.
    pub(crate) config_path: Option<String>,
    /// `<run id>/attempts/<attempt>`.
    pub(crate) run: Option<String>,
    /// The older GitHub extensions (`.2`–`.6`) read because the certificate predates their successors
    /// (early-2023 certificates), in OID order; empty for today's certificates.
    pub(crate) older_extensions: Vec<FulcioExtension>,
}

pub(crate) fn extension(verified: &Verified, e: FulcioExtension) -> Option<String> {
    verified
        .extensions
        .iter()
        .find(|(x, _)| *x == e)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

pub(crate) const GITHUB: &str = "https://github.com/";

pub(crate) fn workflow_identity(verified: &Verified) -> Result<WorkflowIdentity, ClaimError> {
    let claim = |claim: &'static str, reason: String| ClaimError { claim, reason };
    let san = verified
        .identity
        .clone()
        .ok_or_else(|| claim("subject alternative name", "missing".into()))?;
    let path = san.strip_prefix(GITHUB).ok_or_else(|| {
        claim(
            "subject alternative name",
            format!("{san:?}, not a GitHub workflow URI"),
        )
    })?;
    let (workflow_path, workflow_ref) = match path.rsplit_once('@') {
        Some((p, r)) if !p.is_empty() && !r.is_empty() => (p, r),
        _ => {
            return Err(claim(
                "subject alternative name",
                format!("{san:?}, not a workflow URI with a ref"),
            ));
        }
    };
    // Early-2023 certificates carry only the older GitHub extensions: each claim falls back to its
    // older equivalent when (and only when) the newer one is absent, and the fallbacks are recorded.
    let mut older_extensions = Vec::new();
    let mut claim_of = |e: FulcioExtension| {
        extension_or_older(&verified.extensions, e).map(|(v, from)| {
            if from != e {
                older_extensions.push(from);
            }
            v
        })
    };
    let repository_uri = claim_of(FulcioExtension::SourceRepositoryUri)
        .ok_or_else(|| claim("source repository URI", "missing".into()))?;
    let repository = repository_uri
        .strip_prefix(GITHUB)
        .ok_or_else(|| {
            claim(
                "source repository URI",
                format!("{repository_uri:?}, not on github.com"),
            )
        })?
        .to_owned();
    let commit = claim_of(FulcioExtension::SourceRepositoryDigest);
    let git_ref = claim_of(FulcioExtension::SourceRepositoryRef);
    let trigger = claim_of(FulcioExtension::BuildTrigger);
    older_extensions.sort();
    if let (Some(c), Some(b)) = (&commit, extension(verified, FulcioExtension::BuildConfigDigest))
        && *c != b
    {
        return Err(claim(
            "build config digest",
            format!("{b:?}, which differs from the source digest {c:?}"),
        ));
    }
    let config_path = match extension(verified, FulcioExtension::BuildConfigUri) {
        // Before the Build Config URI existed, the SAN named the workflow that ran when it was one of
        // the repository's own (not a reusable workflow of another repository).
        None if !older_extensions.is_empty() => workflow_path
            .strip_prefix(&format!("{repository}/"))
            .map(str::to_owned),
        None => None,
        Some(uri) => {
            let prefix = format!("{GITHUB}{repository}/");
            let path = uri
                .split_once('@')
                .and_then(|(p, _)| p.strip_prefix(&prefix))
                .ok_or_else(|| {
                    claim(
                        "build config URI",
                        format!("{uri:?}, not a workflow of {repository}"),
                    )
                })?;
            Some(path.to_owned())
        }
    };
    let run = extension(verified, FulcioExtension::RunInvocationUri).map(|uri| {
        uri.strip_prefix(&format!("{GITHUB}{repository}/actions/runs/"))
            .unwrap_or(&uri)
            .to_owned()
    });
    Ok(WorkflowIdentity {
        commit,
        git_ref,
        repository_id: extension(verified, FulcioExtension::SourceRepositoryIdentifier),
        owner_id: extension(verified, FulcioExtension::SourceRepositoryOwnerIdentifier),
        workflow: format!("{GITHUB}{workflow_path}"),
        workflow_ref: workflow_ref.to_owned(),
        workflow_path_ref: path.to_owned(),
        workflow_digest: extension(verified, FulcioExtension::BuildSignerDigest),
        hosted: extension(verified, FulcioExtension::RunnerEnvironment),
        trigger,
        config_path,
        run,
        repository,
        older_extensions,
    })
}

/// `refs/tags/vX.Y.Z`, with no pre-release or build suffix.
pub(crate) fn is_release_tag(git_ref: &str) -> bool {
    let Some(v) = git_ref.strip_prefix("refs/tags/v") else {
        return false;
    };
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0'))
        })
}

/// A builder id split at its single `@` (slsa-verifier's `ParseBuilderID`).
pub(crate) fn split_builder(id: &str) -> Option<(&str, Option<&str>)> {
    let mut parts = id.split('@');
    let name = parts.next()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((name, None)),
        (Some(v), None) if !v.is_empty() => Some((name, Some(v))),
        _ => None,
    }
}

/// slsa-verifier's loose builder match: same name, and the same version when `expected` names one
/// (`v1.2.3` also matching `refs/tags/v1.2.3`).
pub(crate) fn builder_matches(actual: &str, expected: &str) -> bool {
    match (split_builder(actual), split_builder(expected)) {
        (Some((an, av)), Some((en, ev))) => {
            an == en
                && match ev {
                    None => true,
                    Some(ev) => {
                        av == Some(ev) || av.is_some_and(|av| av.strip_prefix("refs/tags/") == Some(ev))
                    }
                }
        }
        _ => false,
    }
}

impl WorkflowIdentity {
    /// The `ORG/REPO` a source URI names (`github.com/ORG/REPO`, with or without `git+https://`), when
    /// the certificate's repository is not it.
    pub(crate) fn other_repository_than(&self, source: &provenant_slsa::policy::SourceUri) -> Option<String> {
        let expected = source
            .as_str()
            .trim_start_matches("git+https://")
            .trim_start_matches("github.com/");
        (self.repository != expected).then(|| expected.to_owned())
    }
}
