//! Promotion's verification hook: the [`Verifier`] trait, its typed failure ([`VerificationFailed`]) and
//! the evidence core's verifier ([`EvidenceVerifier`]: a sigstore bundle attached as a referrer, verified
//! under a [`TrustPolicy`]).

use std::fmt;

use provenant_digest::Digest;
use provenant_evidence::attached::{self, Want};
use provenant_evidence::{Check, SkippedCheck, TrustPolicy};
use provenant_registry::Store;
use provenant_registry::referrers::Referrer;
use serde::{Serialize, Serializer};

/// The hook through which a trust policy checks an image before it is promoted.
///
/// It is called with the source store before anything is copied and with the destination store before
/// any tag is written. It receives the subject digest and its referrers (as discovered in that store)
/// and must fail closed.
pub trait Verifier: Send + Sync {
    /// Checks `subject` (and, as the policy requires, its `referrers`) in `store`.
    ///
    /// # Errors
    /// [`VerificationFailed`] naming what is missing or which check each candidate failed.
    fn verify(
        &self,
        store: &dyn Store,
        subject: &Digest,
        referrers: &[Referrer],
    ) -> Result<(), VerificationFailed>;

    /// The checks this verifier skips by request (reported with every promotion).
    fn skipped(&self) -> Vec<SkippedCheck> {
        Vec::new()
    }

    /// Whether [`Verifier::verify`] reads the referrers: when it does not, they are not discovered for
    /// it (a promotion without verification asks each store for them only while walking).
    fn needs_referrers(&self) -> bool {
        true
    }
}

/// A [`Verifier`] that checks nothing (promotion without verification flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVerification;

impl Verifier for NoVerification {
    fn verify(&self, _: &dyn Store, _: &Digest, _: &[Referrer]) -> Result<(), VerificationFailed> {
        Ok(())
    }

    fn needs_referrers(&self) -> bool {
        false
    }
}

/// What the evidence must be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Required {
    /// A signature over the subject's digest (message signature or DSSE).
    Signature,
    /// A DSSE in-toto attestation, of this predicate type when given.
    Attestation(Option<String>),
}

impl fmt::Display for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Required::Signature => f.write_str("signature"),
            Required::Attestation(None) => f.write_str("attestation"),
            Required::Attestation(Some(t)) => write!(f, "attestation of predicate type {t}"),
        }
    }
}

/// An attached bundle that did not verify: the referrer, the check it failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedEvidence {
    /// The referrer's manifest digest.
    pub referrer: Digest,
    /// The check that failed.
    #[serde(serialize_with = "check_name")]
    pub check: Check,
    /// The failure, as the evidence core words it.
    pub error: String,
}

impl fmt::Display for RejectedEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.referrer, self.check, self.error)
    }
}

fn check_name<S: Serializer>(check: &Check, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(check.name())
}

/// A policy check failed: nothing verifiable is attached, or no attached candidate verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum VerificationFailed {
    /// No sigstore bundle is attached to the subject.
    #[error("no sigstore bundle is attached to {subject} in {location}")]
    #[serde(rename_all = "camelCase")]
    NothingAttached {
        /// The subject.
        subject: Digest,
        /// The store asked.
        location: String,
        /// What was required.
        #[serde(serialize_with = "display")]
        required: Required,
    },
    /// Bundles are attached, none verifies as required; each candidate with the check it failed.
    #[error(
        "no sigstore bundle attached to {subject} in {location} verified: {}",
        list(rejected)
    )]
    #[serde(rename_all = "camelCase")]
    NoneVerified {
        /// The subject.
        subject: Digest,
        /// The store asked.
        location: String,
        /// What was required.
        #[serde(serialize_with = "display")]
        required: Required,
        /// Every candidate and why.
        rejected: Vec<RejectedEvidence>,
    },
}

impl VerificationFailed {
    /// The checks that failed, one per candidate (empty when nothing was attached).
    #[must_use]
    pub fn checks(&self) -> Vec<Check> {
        match self {
            VerificationFailed::NothingAttached { .. } => Vec::new(),
            VerificationFailed::NoneVerified { rejected, .. } => rejected.iter().map(|r| r.check).collect(),
        }
    }
}

fn display<T: fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

fn list(rejected: &[RejectedEvidence]) -> String {
    rejected
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The evidence core's verifier: a sigstore bundle attached as a referrer of the subject must verify
/// under the policy (as a signature, or as an attestation of a predicate type).
#[derive(Debug)]
pub struct EvidenceVerifier {
    /// Whom to believe, and the checks skipped.
    pub policy: TrustPolicy,
    /// What the evidence must be.
    pub required: Required,
}

impl Verifier for EvidenceVerifier {
    fn verify(
        &self,
        store: &dyn Store,
        subject: &Digest,
        referrers: &[Referrer],
    ) -> Result<(), VerificationFailed> {
        let want = match &self.required {
            Required::Signature => Want::Signature,
            Required::Attestation(t) => Want::Attestation(t.as_deref()),
        };
        let Err(rejected) = attached::verify_referrers(&self.policy, store, subject, referrers, want) else {
            return Ok(());
        };
        let location = store.location();
        let required = self.required.clone();
        if rejected.is_empty() {
            return Err(VerificationFailed::NothingAttached {
                subject: *subject,
                location,
                required,
            });
        }
        Err(VerificationFailed::NoneVerified {
            subject: *subject,
            location,
            required,
            rejected: rejected
                .into_iter()
                .map(|r| RejectedEvidence {
                    referrer: r.referrer.descriptor.digest,
                    check: r.check,
                    error: r.error,
                })
                .collect(),
        })
    }

    fn skipped(&self) -> Vec<SkippedCheck> {
        self.policy.skipped()
    }
}
