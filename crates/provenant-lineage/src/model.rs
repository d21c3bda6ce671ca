//! The lineage model: what [`verify`](crate::verify) is given (who must have signed what, [`Trust`]; what the
//! lineage must show, [`Expectations`]) and what it returns: a [`Report`] rooted at the image, a tree
//! of [`Edge`]s each of an [`EdgeKind`] with its [`Verdict`]; why a provenance bundle is not accepted
//! ([`Rejection`]); and why verification could not run at all ([`LineageError`]).

use std::path::PathBuf;

use globset::GlobSet;
use provenant_digest::Digest;
use provenant_evidence::{SkippedCheck, TrustPolicy};
use provenant_registry::StoreError;
use provenant_slsa::policy::{BuilderId, SourceUri};
use serde::Serialize;

use crate::evidence;
use crate::reason::{Check, Reason};

/// Verification could not run (as opposed to an edge not holding).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineageError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evidence could not be collected.
    #[error(transparent)]
    Evidence(#[from] evidence::EvidenceError),
    /// The digest names an index, not an image or artifact manifest.
    #[error(
        "{digest} is {kind}, not an image or artifact manifest: verify a platform's image manifest by its digest"
    )]
    NotAnImage {
        /// The digest.
        digest: Digest,
        /// What it is.
        kind: &'static str,
    },
}

/// Who must have signed what: one trust policy (a role under the trusted root and the checks
/// skipped) per signer.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// Who packages images: the signer of packaging provenance.
    pub packager: &'a TrustPolicy,
    /// Who builds: the signer of build provenance.
    pub builder: &'a TrustPolicy,
}

/// What the lineage must show.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// The source commit (full, or a prefix of at least 7 hex digits).
    pub commit: Option<String>,
    /// The source repository.
    pub source: Option<SourceUri>,
    /// Builder ids trusted for build provenance (any, when empty: the signer is then the trust).
    pub builder_ids: Vec<BuilderId>,
    /// A local clone in which the commit must exist.
    pub repo: Option<PathBuf>,
    /// The branch the commit must be on (in the clone when given, else as the provenance records it).
    pub branch: Option<String>,
    /// Packaged files that need no build provenance (configuration, base files).
    pub allow_unattested: Option<GlobSet>,
    /// Whether an SBOM describing the image must be attached.
    pub require_sbom: bool,
}

/// The kind of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EdgeKind {
    /// The image itself (the root).
    Image,
    /// The image's content, read from its layers.
    Layers,
    /// The image's packaging provenance.
    PackagingProvenance,
    /// A packaged file.
    File,
    /// A file's build provenance.
    BuildProvenance,
    /// The source commit a build provenance records.
    Source,
    /// An SBOM of the image.
    Sbom,
    /// A reproducibility attestation of a file.
    Reproducibility,
    /// A signature over the image manifest.
    Signature,
    /// An environment of the promotion chain (groups its records).
    Environment,
    /// The gate decision about the image.
    Gate,
    /// An approval an environment requires.
    Approval,
    /// A promotion record into an environment.
    Promotion,
    /// A deployment record in an environment.
    Deployment,
    /// A rollback record.
    Rollback,
    /// A release-health baseline.
    ReleaseHealth,
    /// An environment's configuration digest.
    Config,
}

/// Whether an edge holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// Verified.
    Holds,
    /// Does not hold: the lineage fails here.
    Broken,
    /// Shown for information; it neither proves nor breaks the lineage.
    Shown,
}

/// One edge of the lineage, with the evidence that carries it and what follows from it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// What kind of link this is.
    pub kind: EdgeKind,
    /// What the edge leads to (a path and digest, a commit), when its kind does not say it all.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The referrer manifest that carries the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Digest>,
    /// The verdict.
    pub verdict: Verdict,
    /// What established it, or why it does not hold (the reason's sentence when broken).
    pub detail: String,
    /// The check that failed, when broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// Why it is broken, typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Who signed the evidence, when it is signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The edges that follow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<Edge>,
}

impl Edge {
    /// An edge that holds, with no detail yet.
    #[must_use]
    pub fn new(kind: EdgeKind, target: impl Into<String>) -> Edge {
        Edge {
            kind,
            target: target.into(),
            evidence: None,
            verdict: Verdict::Holds,
            detail: String::new(),
            check: None,
            reason: None,
            signer: None,
            edges: Vec::new(),
        }
    }

    /// Marks it broken, with the reason (which names the check).
    #[must_use]
    pub fn broken(mut self, reason: Reason) -> Edge {
        self.verdict = Verdict::Broken;
        self.detail = reason.to_string();
        self.check = Some(reason.check());
        self.reason = Some(reason);
        self
    }

    /// Records who signed the evidence.
    #[must_use]
    pub fn signed_by(mut self, signer: impl Into<String>) -> Edge {
        self.signer = Some(signer.into());
        self
    }

    /// Marks it as shown only, with a note.
    #[must_use]
    pub fn shown(mut self, note: impl Into<String>) -> Edge {
        self.verdict = Verdict::Shown;
        self.detail = note.into();
        self
    }

    /// Marks it as holding, with what established it.
    #[must_use]
    pub fn holds(mut self, detail: impl Into<String>) -> Edge {
        self.verdict = Verdict::Holds;
        self.detail = detail.into();
        self
    }

    /// Records the evidence.
    #[must_use]
    pub fn with_evidence(mut self, digest: Digest) -> Edge {
        self.evidence = Some(digest);
        self
    }

    /// Adds an edge that follows from this one.
    pub fn push(&mut self, edge: Edge) {
        self.edges.push(edge);
    }

    /// Every broken edge at or below this one, depth first.
    #[must_use]
    pub fn broken_edges(&self) -> Vec<&Edge> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if e.verdict == Verdict::Broken {
                out.push(e);
            }
            stack.extend(e.edges.iter().rev());
        }
        out
    }
}

/// The outcome of [`verify`](crate::verify).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Whether every edge holds.
    pub verified: bool,
    /// The image digest verified.
    pub digest: Digest,
    /// The lineage, rooted at the image.
    pub lineage: Edge,
    /// The checks skipped by request for either signer (`transparency-log`, `sct`), sorted.
    #[serde(serialize_with = "skipped_names", skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedCheck>,
}

fn skipped_names<S: serde::Serializer>(skipped: &[SkippedCheck], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(skipped.iter().map(|c| c.name()))
}

/// Why a provenance bundle is not accepted for a subject: the check that failed, typed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The bundle lacks evidence the policy requires before any signature is checked.
    #[error(transparent)]
    Evidence(#[from] provenant_evidence::EvidenceError),
    /// A keyed bundle signed by another key than the trusted one.
    #[error("signed by key {hint}…, not the trusted one: {source}")]
    UntrustedKey {
        /// The start of the bundle's key hint.
        hint: String,
        /// What the trust core found.
        source: provenant_sigstore::VerifyError,
    },
    /// The signature did not verify under the policy.
    #[error(transparent)]
    Signature(provenant_sigstore::VerifyError),
    /// The bundle is a message signature, not a DSSE statement.
    #[error("statement: the bundle carries no DSSE statement")]
    NoStatement,
    /// The DSSE payload is not an in-toto statement.
    #[error("statement: DSSE payload type {found} is not in-toto")]
    PayloadType {
        /// The payload type found.
        found: String,
    },
    /// The statement's envelope fields are malformed.
    #[error("statement: {0}")]
    Statement(provenant_slsa::FieldError),
    /// The predicate is not SLSA provenance this crate reads.
    #[error("predicate: {0}")]
    Predicate(provenant_slsa::PredicateError),
}
