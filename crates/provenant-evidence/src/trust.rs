//! Whom to believe: signers, the trusted root, and the checks a caller chose to skip.

use std::collections::BTreeSet;
use std::fmt;

use provenant_sigstore::{Policy, TrustedRoot, Verifier};

/// A check that a caller may skip, explicitly; every verification reports the ones skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SkippedCheck {
    /// Transparency-log evidence (inclusion proofs, SETs, checkpoints); an RFC 3161 timestamp, if
    /// any, is then the only proof of the signing time.
    TransparencyLog,
    /// The Signed Certificate Timestamp of a Fulcio certificate.
    Sct,
}

impl SkippedCheck {
    /// The check's name in reports: `transparency-log`, `sct`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SkippedCheck::TransparencyLog => "transparency-log",
            SkippedCheck::Sct => "sct",
        }
    }
}

impl fmt::Display for SkippedCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role: a named set of signers, any one of whom is believed (a public key or a certificate
/// identity each). Roles files will name several; the command line gives one.
#[derive(Debug, Clone)]
pub struct Role {
    /// The role's name, for reports (`signer` from the command line).
    pub name: String,
    /// Who may sign for the role.
    pub signers: Vec<Policy>,
}

impl Role {
    /// A role of one signer.
    #[must_use]
    pub fn single(name: impl Into<String>, signer: Policy) -> Role {
        Role {
            name: name.into(),
            signers: vec![signer],
        }
    }

    fn needs_trusted_root(&self) -> bool {
        self.signers.iter().any(|p| matches!(p, Policy::Identity(_)))
    }
}

/// Why a trust policy cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A certificate identity must chain to a trusted root, and none was given.
    #[error(
        "no trusted root: Provenant embeds none; give the trusted_root.json of the sigstore instance you trust"
    )]
    NoTrustedRoot,
    /// The role names no signer.
    #[error("the role {role} names no signer")]
    NoSigner {
        /// The role.
        role: String,
    },
    /// The trusted root is unusable.
    #[error("cannot use the trusted root: {0}")]
    TrustedRoot(#[source] provenant_sigstore::VerifyError),
    /// The empty trusted root of keyed verification could not be built (a bug).
    #[error("internal error: the empty trusted root does not build: {0}")]
    EmptyRoot(#[source] provenant_sigstore::ParseError),
}

/// Keys and identities to believe, the trusted root, and the checks skipped.
pub struct TrustPolicy {
    role: Role,
    primary: Policy,
    verifier: Verifier,
    has_root: bool,
    skipped: BTreeSet<SkippedCheck>,
}

impl fmt::Debug for TrustPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustPolicy")
            .field("role", &self.role.name)
            .field("has_root", &self.has_root)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl TrustPolicy {
    /// A policy for `role` under `trusted_root`, skipping `skipped`. Keyed signers need no root; a
    /// certificate identity does.
    pub fn new(
        role: Role,
        trusted_root: Option<&TrustedRoot>,
        skipped: impl IntoIterator<Item = SkippedCheck>,
    ) -> Result<TrustPolicy, TrustError> {
        let Some(primary) = role.signers.first().cloned() else {
            return Err(TrustError::NoSigner { role: role.name });
        };
        let skipped: BTreeSet<SkippedCheck> = skipped.into_iter().collect();
        let has_root = trusted_root.is_some();
        let empty;
        let root = match trusted_root {
            Some(root) => root,
            None if role.needs_trusted_root() => return Err(TrustError::NoTrustedRoot),
            None => {
                empty = TrustedRoot::empty().map_err(TrustError::EmptyRoot)?;
                &empty
            }
        };
        let mut verifier = Verifier::new(root).map_err(TrustError::TrustedRoot)?;
        if skipped.contains(&SkippedCheck::TransparencyLog) {
            tracing::warn!("the transparency log is NOT checked (skipped by request)");
            verifier = verifier.dangerously_skip_transparency_log();
        }
        if skipped.contains(&SkippedCheck::Sct) {
            tracing::warn!("the certificate's SCT is NOT checked (skipped by request)");
            verifier = verifier.dangerously_skip_sct();
        }
        Ok(TrustPolicy {
            role,
            primary,
            verifier,
            has_root,
            skipped,
        })
    }

    /// The role whose signers are believed.
    #[must_use]
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The checks skipped, sorted.
    #[must_use]
    pub fn skipped(&self) -> Vec<SkippedCheck> {
        self.skipped.iter().copied().collect()
    }

    /// Whether `check` is skipped.
    #[must_use]
    pub fn skips(&self, check: SkippedCheck) -> bool {
        self.skipped.contains(&check)
    }

    /// Whether a trusted root was given.
    #[must_use]
    pub fn has_trusted_root(&self) -> bool {
        self.has_root
    }

    /// The sigstore verifier, for the verifiers that check more than a statement (SLSA provenance,
    /// npm, GitHub attestations, lineage) and take it with [`TrustPolicy::signer_policy`].
    #[must_use]
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The first signer of the role (the one the command line gave).
    #[must_use]
    pub fn signer_policy(&self) -> &Policy {
        &self.primary
    }
}
