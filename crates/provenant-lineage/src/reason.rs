//! Why an edge is broken: the check that failed ([`Check`]) and the typed reason ([`Reason`]).
//!
//! Every broken edge carries exactly one [`Reason`]; its [`Reason::check`] names the check, and its
//! `Display` is the sentence shown to people. JSON carries the check, the reason's code and the
//! sentence, so a consumer never has to parse prose.

use std::fmt;

use provenant_digest::Digest;
use serde::Serialize;

/// A check of the lineage: what an edge must satisfy to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Check {
    /// The image's layers match their digests and diff ids.
    Layers,
    /// A packaging provenance is attached and signed by the packager.
    PackagingProvenance,
    /// A packaged file is in the image with the recorded digest (and no unrecorded file is).
    File,
    /// A build provenance is attached and signed by a trusted builder.
    BuildProvenance,
    /// The build names a trusted builder id.
    BuilderId,
    /// The build's source commit, repository and branch are the expected ones.
    Source,
    /// The SBOM describes the image (and one is attached when required).
    Sbom,
    /// A passing gate decision signed by the gate role exists.
    Gate,
    /// Each approval the environment requires is signed by a holder of its role.
    Approval,
    /// The approvals come from distinct people (separation of duties).
    SeparationOfDuties,
    /// Each environment of the chain has a promotion record of this digest, in order.
    Promotion,
    /// The image is in an environment's repository only through a promotion record.
    UnrecordedChange,
    /// Deployment records are signed, for a digest promoted there, with passing checks.
    Deployment,
    /// Rollback records are signed.
    Rollback,
    /// Release-health baselines are signed.
    ReleaseHealth,
    /// The promotion records the environment's configuration digest.
    Config,
    /// A ledger entry is readable and verifies.
    LedgerEntry,
}

impl Check {
    /// The check's name, as JSON spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::Layers => "layers",
            Check::PackagingProvenance => "packaging-provenance",
            Check::File => "file",
            Check::BuildProvenance => "build-provenance",
            Check::BuilderId => "builder-id",
            Check::Source => "source",
            Check::Sbom => "sbom",
            Check::Gate => "gate",
            Check::Approval => "approval",
            Check::SeparationOfDuties => "separation-of-duties",
            Check::Promotion => "promotion",
            Check::UnrecordedChange => "unrecorded-change",
            Check::Deployment => "deployment",
            Check::Rollback => "rollback",
            Check::ReleaseHealth => "release-health",
            Check::Config => "config",
            Check::LedgerEntry => "ledger-entry",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One rejected candidate: the evidence and why it was not accepted (a lower layer's error, rendered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// The candidate: a referrer digest, or a ledger entry.
    pub evidence: String,
    /// Why it was not accepted.
    pub why: String,
}

/// What holds the packaged files: an image's filesystem or an OCI artifact's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Holder {
    /// An image: files at paths of its final filesystem.
    Image,
    /// An OCI artifact: layers named by their `org.opencontainers.image.title`.
    Artifact,
}

/// The outcome a record states that does not let the edge hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FailedCheck {
    /// A deployment's health check.
    Health,
    /// A deployment's smoke test.
    Smoke,
    /// A deployment's readiness check.
    Readiness,
}

impl fmt::Display for FailedCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailedCheck::Health => "health check",
            FailedCheck::Smoke => "smoke test",
            FailedCheck::Readiness => "readiness check",
        })
    }
}

/// Why an edge does not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// The layers could not be read or do not match their digests.
    LayersUnreadable {
        /// The error.
        error: String,
    },
    /// No packaging provenance has the image as subject.
    NoPackagingProvenance {
        /// The image.
        image: Digest,
    },
    /// Packaging provenance candidates exist, none verifies.
    PackagingRejected {
        /// The image.
        image: Digest,
        /// Each candidate and why.
        candidates: Vec<Rejected>,
    },
    /// The image holds files (or the artifact layers) the packaging provenance does not record.
    UnrecordedFiles {
        /// An image's files or an artifact's layers.
        holder: Holder,
        /// Up to ten of them.
        listed: Vec<String>,
        /// How many more.
        more: usize,
    },
    /// The packaging provenance records a file without a SHA-256 digest.
    FileWithoutDigest,
    /// The image has another digest at the recorded path (the artifact's layer of that title has another
    /// digest).
    FileDigestMismatch {
        /// An image's files or an artifact's layers.
        holder: Holder,
        /// The path.
        path: String,
        /// What the image holds.
        actual: Digest,
        /// What the provenance records.
        recorded: Digest,
    },
    /// The file was read without its digest.
    FileReadWithoutDigest {
        /// The path.
        path: String,
    },
    /// Not a regular file in the image.
    NotRegularFile {
        /// The path.
        path: String,
    },
    /// Not in the image (no layer of the artifact has that title).
    FileMissing {
        /// An image's files or an artifact's layers.
        holder: Holder,
        /// The path.
        path: String,
    },
    /// No build provenance has the file as subject.
    NoBuildProvenance {
        /// The file's digest.
        digest: Digest,
        /// Its path.
        path: String,
    },
    /// The build provenance does not verify under the build signer.
    UntrustedBuild {
        /// The candidate.
        evidence: Digest,
        /// Why.
        why: String,
    },
    /// The build names an untrusted builder id.
    UntrustedBuilderId {
        /// Who signed it.
        signer: String,
        /// The builder id it names.
        builder: String,
        /// The trusted ones.
        trusted: Vec<String>,
    },
    /// The build provenance records no source commit.
    NoSourceCommit,
    /// The source repository or branch is not the expected one (the policy check's words).
    SourcePolicy {
        /// The policy check's error.
        error: String,
    },
    /// Built from another commit.
    WrongCommit {
        /// The commit recorded (abbreviated).
        recorded: String,
        /// The commit expected.
        expected: String,
    },
    /// The commit is not on the branch in the clone.
    CommitNotOnBranch {
        /// The commit (abbreviated).
        commit: String,
        /// The branch.
        branch: String,
    },
    /// The commit is not in the clone.
    CommitNotInClone {
        /// The commit (abbreviated).
        commit: String,
        /// The clone.
        repo: String,
    },
    /// The clone could not be read.
    CloneUnreadable {
        /// The error.
        error: String,
    },
    /// The SBOM does not say what it describes.
    SbomDescribesNothing,
    /// The SBOM describes other digests.
    SbomDescribesOther {
        /// What it describes.
        described: Vec<Digest>,
        /// The image.
        image: Digest,
    },
    /// No SBOM attached, one required.
    NoSbom {
        /// The image.
        image: Digest,
    },
    /// No gate decision about the image is in the ledger.
    NoGateDecision {
        /// The image.
        image: Digest,
    },
    /// Gate decisions exist, none is signed by the role.
    GateUnsigned {
        /// The role.
        role: String,
        /// Each candidate and why.
        candidates: Vec<Rejected>,
    },
    /// The newest signed gate decision blocks.
    GateBlocked {
        /// The decision's bundle.
        evidence: Digest,
        /// The gates that block.
        gates: Vec<String>,
    },
    /// No source-stage attestation of the build's commit, signed by one of the roles, is in the ledger
    /// (broken only when one is required; shown as absent otherwise).
    NoSourceAttestation {
        /// The commit.
        commit: String,
        /// The roles whose holders may sign it.
        roles: Vec<String>,
        /// Attestations found for the commit and refused, and why.
        candidates: Vec<Rejected>,
    },
    /// The newest signed source-stage attestation of the commit says its checks did not pass.
    SourceCheckFailed {
        /// The commit.
        commit: String,
        /// The attestation's bundle.
        evidence: Digest,
        /// The result it records.
        result: String,
    },
    /// The gate decision cannot be read.
    GateMalformed {
        /// The decision's bundle.
        evidence: Digest,
        /// What is wrong.
        why: String,
    },
    /// A required approval is missing.
    MissingApproval {
        /// The environment.
        environment: String,
        /// The role whose approval is required.
        role: String,
        /// How many are required.
        required: usize,
        /// How many valid ones were found.
        found: usize,
        /// Candidates refused, and why.
        candidates: Vec<Rejected>,
    },
    /// Two approvals, or an approval and the change's author, are one person.
    SameIdentity {
        /// The environment.
        environment: String,
        /// The identity appearing twice.
        identity: String,
    },
    /// An approval signed by someone who had another part in the artefact: the author or committer
    /// of its commit (as the verified source-stage attestation records them), or the signer of its
    /// build or packaging provenance.
    ApproverHadPart {
        /// The environment.
        environment: String,
        /// Who signed the approval.
        approver: String,
        /// The part they had.
        part: provenant_env::requirements::Duty,
        /// The commit, for the author and committer.
        #[serde(skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
    },
    /// No promotion record into an environment of the chain.
    NotPromoted {
        /// The environment.
        environment: String,
        /// The environment before it in the chain, when any.
        previous: Option<String>,
        /// Records refused or unverified, and why.
        candidates: Vec<Rejected>,
    },
    /// The promotion into an environment came before the one into its predecessor.
    OutOfOrder {
        /// The environment.
        environment: String,
        /// Its predecessor.
        previous: String,
    },
    /// The promotion record names another predecessor than the chain's.
    WrongPrevious {
        /// The environment.
        environment: String,
        /// What the chain requires.
        expected: String,
        /// What the record names (none when it names none).
        recorded: Option<String>,
    },
    /// An image is in an environment's repository with no promotion record.
    UnrecordedChange {
        /// The environment.
        environment: String,
        /// Its repository.
        repository: String,
    },
    /// A deployment of a digest never promoted into the environment.
    DeployedUnpromoted {
        /// The environment.
        environment: String,
        /// The deployment record's ledger index.
        index: u64,
    },
    /// A governance record in the ledger is not signed by its role.
    RecordUnsigned {
        /// The record kind.
        kind: String,
        /// The role.
        role: String,
        /// The ledger index.
        index: u64,
        /// Why.
        why: String,
    },
    /// A deployment's check failed.
    DeploymentCheckFailed {
        /// The environment.
        environment: String,
        /// Which check.
        check: FailedCheck,
    },
    /// A record's configuration digest is not the environment's.
    ConfigMismatch {
        /// The environment.
        environment: String,
        /// Expected.
        expected: String,
        /// Recorded (none when it records none).
        recorded: Option<String>,
    },
    /// A ledger entry could not be read as a record.
    LedgerEntryUnreadable {
        /// The ledger index.
        index: u64,
        /// Why.
        why: String,
    },
}

impl Reason {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            Reason::LayersUnreadable { .. } => Check::Layers,
            Reason::NoPackagingProvenance { .. } | Reason::PackagingRejected { .. } => {
                Check::PackagingProvenance
            }
            Reason::UnrecordedFiles { .. }
            | Reason::FileWithoutDigest
            | Reason::FileDigestMismatch { .. }
            | Reason::FileReadWithoutDigest { .. }
            | Reason::NotRegularFile { .. }
            | Reason::FileMissing { .. } => Check::File,
            Reason::NoBuildProvenance { .. } | Reason::UntrustedBuild { .. } => Check::BuildProvenance,
            Reason::UntrustedBuilderId { .. } => Check::BuilderId,
            Reason::NoSourceCommit
            | Reason::SourcePolicy { .. }
            | Reason::WrongCommit { .. }
            | Reason::CommitNotOnBranch { .. }
            | Reason::CommitNotInClone { .. }
            | Reason::CloneUnreadable { .. }
            | Reason::NoSourceAttestation { .. }
            | Reason::SourceCheckFailed { .. } => Check::Source,
            Reason::SbomDescribesNothing | Reason::SbomDescribesOther { .. } | Reason::NoSbom { .. } => {
                Check::Sbom
            }
            Reason::NoGateDecision { .. }
            | Reason::GateUnsigned { .. }
            | Reason::GateBlocked { .. }
            | Reason::GateMalformed { .. } => Check::Gate,
            Reason::MissingApproval { .. } => Check::Approval,
            Reason::SameIdentity { .. } | Reason::ApproverHadPart { .. } => Check::SeparationOfDuties,
            Reason::NotPromoted { .. } | Reason::OutOfOrder { .. } | Reason::WrongPrevious { .. } => {
                Check::Promotion
            }
            Reason::UnrecordedChange { .. } => Check::UnrecordedChange,
            Reason::DeployedUnpromoted { .. } | Reason::DeploymentCheckFailed { .. } => Check::Deployment,
            Reason::RecordUnsigned { kind, .. } => match kind.as_str() {
                "approval" => Check::Approval,
                "promotion" => Check::Promotion,
                "rollback" => Check::Rollback,
                "release-health" => Check::ReleaseHealth,
                _ => Check::Deployment,
            },
            Reason::ConfigMismatch { .. } => Check::Config,
            Reason::LedgerEntryUnreadable { .. } => Check::LedgerEntry,
        }
    }
}

fn rejected_list(candidates: &[Rejected]) -> String {
    candidates
        .iter()
        .map(|c| format!("{}: {}", c.evidence, c.why))
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for Reason {
    #[allow(clippy::too_many_lines)] // one arm per reason: splitting it would only scatter the sentences
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPackagingProvenance { image } => {
                write!(f, "no packaging provenance has subject {image}")
            }
            Reason::PackagingRejected { image, candidates } => write!(
                f,
                "no packaging provenance of {image} verified: {}",
                rejected_list(candidates)
            ),
            Reason::UnrecordedFiles { holder, listed, more } => {
                let what = match holder {
                    Holder::Image => "the image holds files",
                    Holder::Artifact => "the artifact holds layers",
                };
                write!(
                    f,
                    "{what} the packaging provenance does not record: {}",
                    listed.join(", ")
                )?;
                if *more > 0 {
                    write!(f, " and {more} more")?;
                }
                Ok(())
            }
            Reason::FileWithoutDigest => {
                f.write_str("the packaging provenance records no SHA-256 digest for it")
            }
            Reason::FileDigestMismatch {
                holder: Holder::Image,
                path,
                actual,
                recorded,
            } => write!(
                f,
                "the image has {actual} at {path}, but the packaging provenance records {recorded}"
            ),
            Reason::FileDigestMismatch {
                holder: Holder::Artifact,
                path,
                actual,
                recorded,
            } => write!(
                f,
                "the artifact's layer titled {path} is {actual}, but the packaging provenance records {recorded}"
            ),
            Reason::FileReadWithoutDigest { path } => {
                write!(f, "{path} was read from the image without its digest")
            }
            Reason::NotRegularFile { path } => write!(f, "{path} is not a regular file in the image"),
            Reason::FileMissing {
                holder: Holder::Image,
                path,
            } => write!(f, "{path} is not in the image"),
            Reason::FileMissing {
                holder: Holder::Artifact,
                path,
            } => write!(f, "no layer of the artifact is titled {path}"),
            Reason::NoBuildProvenance { digest, path } => {
                write!(f, "no build provenance has subject {digest} ({path})")
            }
            Reason::UntrustedBuild { evidence, why } => {
                write!(
                    f,
                    "build provenance {evidence} is not from a trusted builder: {why}"
                )
            }
            Reason::UntrustedBuilderId {
                signer,
                builder,
                trusted,
            } => write!(
                f,
                "build provenance signed by {signer} names builder {builder}, not a trusted builder ({})",
                trusted.join(", ")
            ),
            Reason::NoSourceCommit => f.write_str("the build provenance records no source commit"),
            Reason::LayersUnreadable { error }
            | Reason::SourcePolicy { error }
            | Reason::CloneUnreadable { error } => f.write_str(error),
            Reason::WrongCommit { recorded, expected } => {
                write!(f, "built from commit {recorded}, not {expected}")
            }
            Reason::CommitNotOnBranch { commit, branch } => write!(f, "commit {commit} is not on {branch}"),
            Reason::CommitNotInClone { commit, repo } => write!(f, "commit {commit} is not in {repo}"),
            Reason::SbomDescribesNothing => f.write_str("the SBOM does not say which image it describes"),
            Reason::SbomDescribesOther { described, image } => {
                let list: Vec<String> = described.iter().map(ToString::to_string).collect();
                write!(f, "the SBOM describes {}, not {image}", list.join(", "))
            }
            Reason::NoSbom { image } => write!(f, "no SBOM is attached to {image}"),
            Reason::NoGateDecision { image } => {
                write!(f, "the ledger holds no gate decision about {image}")
            }
            Reason::GateUnsigned { role, candidates } => write!(
                f,
                "no gate decision is signed by a holder of role {role}: {}",
                rejected_list(candidates)
            ),
            Reason::GateBlocked { evidence, gates } => {
                write!(f, "the gate decision {evidence} blocks")?;
                if !gates.is_empty() {
                    write!(f, " (gates {})", gates.join(", "))?;
                }
                Ok(())
            }
            Reason::NoSourceAttestation {
                commit,
                roles,
                candidates,
            } => {
                write!(
                    f,
                    "no source attestation of commit {commit} signed by a holder of role {} is in the ledger",
                    roles.join(" or ")
                )?;
                if !candidates.is_empty() {
                    write!(f, ": {}", rejected_list(candidates))?;
                }
                Ok(())
            }
            Reason::SourceCheckFailed {
                commit,
                evidence,
                result,
            } => write!(
                f,
                "the source attestation {evidence} of commit {commit} records result {result}, not pass"
            ),
            Reason::GateMalformed { evidence, why } => {
                write!(f, "the gate decision {evidence} cannot be read: {why}")
            }
            Reason::MissingApproval {
                environment,
                role,
                required,
                found,
                candidates,
            } => {
                write!(
                    f,
                    "{environment} requires {required} approval(s) by role {role}, {found} found"
                )?;
                if !candidates.is_empty() {
                    write!(f, " (refused: {})", rejected_list(candidates))?;
                }
                Ok(())
            }
            Reason::SameIdentity {
                environment,
                identity,
            } => write!(
                f,
                "separation of duties: {identity} approved {environment} more than once or approved their own change"
            ),
            Reason::ApproverHadPart {
                environment,
                approver,
                part,
                commit,
            } => {
                use provenant_env::requirements::Duty;
                write!(
                    f,
                    "separation of duties: the approver of {environment}, {approver}, is "
                )?;
                match (part, commit) {
                    (Duty::Author, Some(c)) => write!(f, "the author of commit {c}"),
                    (Duty::Committer, Some(c)) => write!(f, "the committer of commit {c}"),
                    (Duty::Author, None) => f.write_str("the commit's author"),
                    (Duty::Committer, None) => f.write_str("the commit's committer"),
                    (Duty::BuildSigner, _) => f.write_str("the signer of the build provenance"),
                    (Duty::PackagingSigner, _) => f.write_str("the signer of the packaging provenance"),
                    _ => f.write_str("someone with another part in the artefact"),
                }
            }
            Reason::NotPromoted {
                environment,
                previous,
                candidates,
            } => {
                write!(f, "no signed promotion record of this digest into {environment}")?;
                if let Some(previous) = previous {
                    write!(f, " (from {previous})")?;
                }
                if !candidates.is_empty() {
                    write!(f, "; refused or unverified: {}", rejected_list(candidates))?;
                }
                Ok(())
            }
            Reason::OutOfOrder {
                environment,
                previous,
            } => write!(
                f,
                "the promotion into {environment} was recorded before the promotion into {previous}"
            ),
            Reason::WrongPrevious {
                environment,
                expected,
                recorded,
            } => write!(
                f,
                "the promotion into {environment} names {} as its previous environment, not {expected}: an environment was skipped",
                recorded.as_deref().unwrap_or("no environment")
            ),
            Reason::UnrecordedChange {
                environment,
                repository,
            } => write!(
                f,
                "unrecorded change: the image is in {environment}'s repository {repository} with no promotion record"
            ),
            Reason::DeployedUnpromoted { environment, index } => write!(
                f,
                "deployment record {index} deploys this digest to {environment}, where it was never promoted"
            ),
            Reason::RecordUnsigned {
                kind,
                role,
                index,
                why,
            } => write!(
                f,
                "{kind} record {index} is not signed by a holder of role {role}: {why}"
            ),
            Reason::DeploymentCheckFailed { environment, check } => {
                write!(f, "the deployment to {environment} records a failed {check}")
            }
            Reason::ConfigMismatch {
                environment,
                expected,
                recorded,
            } => write!(
                f,
                "the promotion into {environment} records configuration {}, not {expected}",
                recorded.as_deref().unwrap_or("none")
            ),
            Reason::LedgerEntryUnreadable { index, why } => {
                write!(f, "ledger entry {index} cannot be read: {why}")
            }
        }
    }
}
