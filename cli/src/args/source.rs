//! slsa-verifier's source ref flags, one group flattened into each verify command that takes them.

use clap::Args;

/// slsa-verifier's source ref flags: at most one of a branch, a tag and a versioned tag.
#[derive(Debug, Clone, Args)]
pub(crate) struct SourceRefArgs {
    /// The branch the build must have run on.
    #[arg(long = "source-branch", value_name = "BRANCH", group = "git_ref")]
    pub(crate) branch: Option<String>,
    /// The exact tag the build must have run for.
    #[arg(long = "source-tag", value_name = "TAG", group = "git_ref")]
    pub(crate) tag: Option<String>,
    /// A semantic version prefix the build's tag must match (`v1`, `v1.2`, `v1.2.3`).
    #[arg(long = "source-versioned-tag", value_name = "vX[.Y[.Z]]", group = "git_ref")]
    pub(crate) versioned_tag: Option<String>,
}

impl SourceRefArgs {
    /// The ref the provenance must record, if one was asked for.
    pub(crate) fn expectation(&self) -> Option<provenant_provenance::RefExpectation> {
        ref_expectation(
            self.branch.as_deref(),
            self.tag.as_deref(),
            self.versioned_tag.as_deref(),
        )
    }
}

/// The ref expectation of the first of a branch, a tag and a versioned tag that is given.
pub(crate) fn ref_expectation(
    branch: Option<&str>,
    tag: Option<&str>,
    versioned_tag: Option<&str>,
) -> Option<provenant_provenance::RefExpectation> {
    use provenant_provenance::RefExpectation;
    match (branch, tag, versioned_tag) {
        (Some(b), _, _) => Some(RefExpectation::Branch(b.to_owned())),
        (_, Some(t), _) => Some(RefExpectation::Tag(t.to_owned())),
        (_, _, Some(v)) => Some(RefExpectation::VersionedTag(v.to_owned())),
        _ => None,
    }
}
