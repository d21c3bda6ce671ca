//! Verification of evidence: a bundle's signature under a [`TrustPolicy`], then its statement.

use std::fmt;

use provenant_attest::{IN_TOTO_PAYLOAD_TYPE, Statement, StatementError};
use provenant_digest::{Algorithm, Digest};
use provenant_sigstore::{Artifact, Bundle, Policy, Verified, VerifyError};

use crate::trust::{SkippedCheck, TrustPolicy};

/// The check a verification failed, one per step of the evidence path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// The bundle could not be read, parsed or used.
    Bundle,
    /// The bundle has no transparency-log entry and the log is not skipped.
    TransparencyLog,
    /// The bundle has log entries, but no trusted root was given to check them against.
    TrustedRoot,
    /// A check of the trust core, by its name (`signature`, `san`, `oidc-issuer`, `sct`,
    /// `inclusion-proof`, …: see `provenant_sigstore::VerifyError::check`).
    Sigstore(&'static str),
    /// The signed payload is not an in-toto statement.
    Statement,
    /// The statement's predicate type is not the one required.
    PredicateType,
}

impl Check {
    /// The check's name in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::Bundle => "bundle",
            Check::TransparencyLog => "transparency-log",
            Check::TrustedRoot => "trusted-root",
            Check::Sigstore(name) => name,
            Check::Statement => "statement",
            Check::PredicateType => "predicate-type",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why evidence did not verify. [`EvidenceError::check`] names the failed check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The bundle does not parse.
    #[error("the bundle does not parse: {0}")]
    Bundle(#[source] provenant_sigstore::ParseError),
    /// The bundle holds a message signature where a DSSE attestation is required.
    #[error("the bundle holds a message signature, not a DSSE-signed attestation")]
    NotAttestation,
    /// No transparency-log entry, and the log is not skipped.
    #[error(
        "the bundle has no transparency-log entry, so no inclusion proof or inclusion promise to check: \
         it verifies only if the transparency-log check is skipped (--insecure-ignore-tlog), and then only \
         a key or a timestamp vouches for it"
    )]
    NoTransparencyLogEntry,
    /// Log entries to check, but no trusted root to check them against.
    #[error(
        "no trusted root: the bundle's transparency-log entries need the trusted_root.json of the \
         sigstore instance you trust (Provenant embeds none)"
    )]
    NoTrustedRoot,
    /// A check of the trust core failed.
    #[error(transparent)]
    Signature(#[from] VerifyError),
    /// The DSSE payload type is not in-toto's.
    #[error("the DSSE payloadType is {found}, not {IN_TOTO_PAYLOAD_TYPE}")]
    PayloadType {
        /// The payload type found.
        found: String,
    },
    /// The payload is not a valid in-toto statement.
    #[error("the payload is not an in-toto statement: {0}")]
    Statement(#[source] StatementError),
    /// The predicate type is not the one required.
    #[error("the statement's predicateType is {got}, not {want}")]
    PredicateType {
        /// The statement's.
        got: String,
        /// The one required.
        want: String,
    },
}

impl EvidenceError {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            EvidenceError::Bundle(_) | EvidenceError::NotAttestation => Check::Bundle,
            EvidenceError::NoTransparencyLogEntry => Check::TransparencyLog,
            EvidenceError::NoTrustedRoot => Check::TrustedRoot,
            EvidenceError::Signature(e) => Check::Sigstore(e.check()),
            EvidenceError::PayloadType { .. } | EvidenceError::Statement(_) => Check::Statement,
            EvidenceError::PredicateType { .. } => Check::PredicateType,
        }
    }
}

/// Who signed a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerIdentity {
    /// A public key of the policy.
    Key {
        /// Lowercase hex SHA-256 of the key's SPKI DER (what keyed bundles give as their hint).
        fingerprint: String,
    },
    /// A Fulcio certificate.
    Certificate {
        /// The certificate's SAN.
        san: String,
        /// Its OIDC issuer extension.
        issuer: Option<String>,
    },
}

impl fmt::Display for SignerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignerIdentity::Key { fingerprint } => write!(f, "key sha256:{fingerprint}"),
            SignerIdentity::Certificate { san, issuer: Some(i) } => write!(f, "{san} (issuer {i})"),
            SignerIdentity::Certificate { san, issuer: None } => f.write_str(san),
        }
    }
}

/// A bundle and the digest of its bytes as read.
#[derive(Debug, Clone)]
pub struct EvidenceBundle {
    /// The parsed bundle.
    pub bundle: Bundle,
    /// SHA-256 of the bundle's bytes.
    pub digest: Digest,
}

impl EvidenceBundle {
    /// Parses a bundle (v0.1 to v0.3) and digests its bytes.
    pub fn from_json(bytes: &[u8]) -> Result<EvidenceBundle, EvidenceError> {
        Ok(EvidenceBundle {
            bundle: Bundle::from_json(bytes).map_err(EvidenceError::Bundle)?,
            digest: Algorithm::Sha256.hash_bytes(bytes),
        })
    }
}

/// A bundle whose signature verified under a policy.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    /// Who signed.
    pub signer: SignerIdentity,
    /// SHA-256 of the bundle's bytes.
    pub bundle_digest: Digest,
    /// The checks skipped by the policy (reported as `"skipped"`).
    pub skipped: Vec<SkippedCheck>,
    /// What the trust core verified (log entries, times, certificate extensions, DSSE payload).
    pub verified: Verified,
}

/// A verified in-toto statement.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The statement, parsed strictly.
    pub statement: Statement,
    /// The payload exactly as signed.
    pub payload: Vec<u8>,
    /// The signature that covers it.
    pub signature: VerifiedSignature,
}

impl VerifiedStatement {
    /// The statement a verified DSSE signature carries, of `predicate_type` when given.
    pub fn from_signature(
        signature: VerifiedSignature,
        predicate_type: Option<&str>,
    ) -> Result<VerifiedStatement, EvidenceError> {
        let Some((payload_type, payload)) = &signature.verified.dsse else {
            return Err(EvidenceError::NotAttestation);
        };
        if payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(EvidenceError::PayloadType {
                found: payload_type.chars().take(200).collect(),
            });
        }
        let statement = Statement::from_json(payload).map_err(EvidenceError::Statement)?;
        if let Some(want) = predicate_type
            && statement.predicate_type != want
        {
            return Err(EvidenceError::PredicateType {
                got: statement.predicate_type.chars().take(300).collect(),
                want: want.to_owned(),
            });
        }
        let payload = payload.clone();
        Ok(VerifiedStatement {
            statement,
            payload,
            signature,
        })
    }
}

impl TrustPolicy {
    /// Verifies `bundle` for `artifact` under the policy: any signer of the role will do.
    pub fn verify_signature(
        &self,
        artifact: Artifact<'_>,
        bundle: &EvidenceBundle,
    ) -> Result<VerifiedSignature, EvidenceError> {
        self.each_signer(bundle, |policy| {
            self.verifier().verify(artifact, &bundle.bundle, policy)
        })
    }

    /// Verifies `bundle` for the artefact read to its end from `reader`, in constant memory.
    pub fn verify_signature_reader(
        &self,
        reader: impl std::io::Read,
        bundle: &EvidenceBundle,
    ) -> Result<VerifiedSignature, EvidenceError> {
        let mut reader = Some(reader);
        // A reader is consumed once: only the first signer of a role is tried for a stream.
        self.each_signer(bundle, |policy| match reader.take() {
            Some(r) => self.verifier().verify_reader(r, &bundle.bundle, policy),
            None => Err(VerifyError::ArtifactRead {
                detail: "the artefact stream was already read for another signer".to_owned(),
            }),
        })
    }

    /// Verifies a DSSE attestation about `subject`: the signature, then the statement (of
    /// `predicate_type` when given).
    pub fn verify_statement(
        &self,
        subject: &Digest,
        bundle: &EvidenceBundle,
        predicate_type: Option<&str>,
    ) -> Result<VerifiedStatement, EvidenceError> {
        if bundle.bundle.dsse_payload().is_none() {
            return Err(EvidenceError::NotAttestation);
        }
        let signature = self.verify_signature(Artifact::Digest(*subject), bundle)?;
        VerifiedStatement::from_signature(signature, predicate_type)
    }

    /// Verifies a DSSE attestation whose subject is the git commit `commit` (a `gitCommit` digest,
    /// matched exactly): the signature, then the statement (of `predicate_type` when given). Keyless
    /// and logged statements (the source stage's) get every check any other bundle gets
    /// (`provenant_sigstore::Artifact::GitCommit`).
    pub fn verify_commit_statement(
        &self,
        commit: &str,
        bundle: &EvidenceBundle,
        predicate_type: Option<&str>,
    ) -> Result<VerifiedStatement, EvidenceError> {
        if bundle.bundle.dsse_payload().is_none() {
            return Err(EvidenceError::NotAttestation);
        }
        let signature = self.verify_signature(Artifact::GitCommit(commit), bundle)?;
        VerifiedStatement::from_signature(signature, predicate_type)
    }

    /// Whether `bundle` carries the evidence this policy requires before any signature is checked:
    /// a transparency-log entry unless the log is skipped, and then a trusted root to check it
    /// against. Every verifier that takes [`TrustPolicy::verifier`] directly calls this first.
    pub fn evidence_present(&self, bundle: &Bundle) -> Result<(), EvidenceError> {
        let has_log = !bundle.log_entries().is_empty();
        if !has_log && !self.skips(SkippedCheck::TransparencyLog) {
            return Err(EvidenceError::NoTransparencyLogEntry);
        }
        if has_log && !self.has_trusted_root() && !self.skips(SkippedCheck::TransparencyLog) {
            return Err(EvidenceError::NoTrustedRoot);
        }
        Ok(())
    }

    fn each_signer(
        &self,
        bundle: &EvidenceBundle,
        mut verify: impl FnMut(&Policy) -> Result<Verified, VerifyError>,
    ) -> Result<VerifiedSignature, EvidenceError> {
        self.evidence_present(&bundle.bundle)?;
        let mut first_error = None;
        for policy in &self.role().signers {
            match verify(policy) {
                Ok(verified) => {
                    return Ok(VerifiedSignature {
                        signer: signer_identity(policy, &verified),
                        bundle_digest: bundle.digest,
                        skipped: self.skipped(),
                        verified,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.map_or(EvidenceError::NoTrustedRoot, EvidenceError::Signature))
    }
}

fn signer_identity(policy: &Policy, verified: &Verified) -> SignerIdentity {
    match (policy, &verified.identity) {
        (_, Some(san)) => SignerIdentity::Certificate {
            san: san.clone(),
            issuer: verified.issuer.clone(),
        },
        (Policy::Key(key), None) => SignerIdentity::Key {
            fingerprint: Algorithm::Sha256.hash_bytes(key.spki_der()).hex(),
        },
        (_, None) => SignerIdentity::Certificate {
            san: String::new(),
            issuer: verified.issuer.clone(),
        },
    }
}
