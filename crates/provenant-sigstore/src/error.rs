//! Error types. The sigstore-rust crates' errors never cross this crate's boundary: they are mapped onto
//! these enums, which say which document, field or check failed.

use std::fmt;

/// A bundle, trusted root, signing config or key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The document is larger than Provenant accepts.
    #[error("{document} is {actual} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Which document (`bundle`, `trusted root`, …).
        document: &'static str,
        /// The limit in bytes.
        limit: usize,
        /// The document's size.
        actual: usize,
    },
    /// The document is not valid JSON, or a field is missing or malformed.
    #[error("{document}: {}{reason}", field_prefix(.path))]
    Field {
        /// Which document.
        document: &'static str,
        /// JSON path of the field (`verificationMaterial.tlogEntries[0].logIndex`), empty for the
        /// document itself.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The document's media type is not one Provenant reads.
    #[error("{document}: unsupported mediaType {media_type:?}")]
    UnsupportedMediaType {
        /// Which document.
        document: &'static str,
        /// The media type found.
        media_type: String,
    },
}

fn field_prefix(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!("field `{path}` ")
    }
}

impl ParseError {
    pub(crate) fn field(document: &'static str, path: &str, reason: &str) -> ParseError {
        ParseError::Field {
            document,
            path: path.to_owned(),
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn json(document: &'static str, path: String, e: &serde_json::Error) -> ParseError {
        // serde's message already names a missing or unknown field; the path says where.
        ParseError::Field {
            document,
            path,
            reason: e.to_string(),
        }
    }
}

/// Where the time a certificate was checked against came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeSource {
    /// A Rekor v1 integrated time, authenticated by the entry's Signed Entry Timestamp.
    IntegratedTime,
    /// An RFC 3161 timestamp from a trusted timestamp authority.
    Rfc3161,
}

impl fmt::Display for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeSource::IntegratedTime => "integrated time",
            TimeSource::Rfc3161 => "RFC 3161 timestamp",
        })
    }
}

/// Why a bundle did not verify. Each variant names the check that failed; verification stops at the
/// first failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The bundle is malformed or internally inconsistent (e.g. an inclusion proof is required and
    /// missing).
    #[error("invalid bundle: {detail}")]
    InvalidBundle {
        /// What is wrong.
        detail: String,
    },
    /// The bundle uses a kind of content, key or entry this verifier does not accept.
    #[error("unsupported bundle: {detail}")]
    UnsupportedBundle {
        /// What is unsupported.
        detail: String,
    },
    /// The trusted root cannot be used (malformed key or certificate, reversed validity window).
    #[error("invalid trusted root: {detail}")]
    InvalidTrustedRoot {
        /// What is wrong.
        detail: String,
    },
    /// A keyed bundle was given to an identity policy or the other way round.
    #[error("policy mismatch: the bundle is signed with {bundle}, but verification was asked for {policy}")]
    PolicyKind {
        /// `a certificate` or `a public key`.
        bundle: &'static str,
        /// `an identity` or `a public key`.
        policy: &'static str,
    },
    /// The signing certificate could not be parsed.
    #[error("malformed signing certificate: {detail}")]
    MalformedCertificate {
        /// Why.
        detail: String,
    },
    /// The certificate does not chain to a Fulcio CA of the trusted root.
    #[error("certificate chain does not lead to a trusted Fulcio CA: {detail}")]
    CertificateChain {
        /// Why.
        detail: String,
    },
    /// No Fulcio CA of the trusted root was valid at the signing time.
    #[error("no trusted Fulcio CA was valid at {time_source} {time}")]
    NoValidCertificateAuthority {
        /// The signing time.
        time: jiff::Timestamp,
        /// Where it came from.
        time_source: TimeSource,
    },
    /// The signing certificate was not valid at a verified signing time.
    #[error("certificate not valid at {time_source} {time} (valid from {not_before} to {not_after})")]
    CertificateNotValidAt {
        /// The verified signing time.
        time: jiff::Timestamp,
        /// Where it came from.
        time_source: TimeSource,
        /// Certificate `notBefore`.
        not_before: jiff::Timestamp,
        /// Certificate `notAfter`.
        not_after: jiff::Timestamp,
    },
    /// The certificate's Signed Certificate Timestamp is missing or does not verify against a CT log
    /// key of the trusted root.
    #[error("SCT check failed: {detail}")]
    Sct {
        /// Why.
        detail: String,
    },
    /// The certificate's SAN is not the one the policy requires.
    #[error("SAN mismatch: got {}, want {want}", .got.as_deref().unwrap_or("no SAN"))]
    SanMismatch {
        /// The certificate's SAN (email or URI), if any.
        got: Option<String>,
        /// The required identity (`exact value` or `/regexp/`).
        want: String,
    },
    /// The certificate's OIDC issuer is not the one the policy requires.
    #[error("OIDC issuer mismatch: got {}, want {want}", .got.as_deref().unwrap_or("no issuer extension"))]
    IssuerMismatch {
        /// The certificate's issuer extension, if any.
        got: Option<String>,
        /// The required issuer.
        want: String,
    },
    /// A Fulcio certificate extension is not the value the policy requires.
    #[error("certificate extension {extension} mismatch: got {}, want {want}", .got.as_deref().unwrap_or("absent"))]
    ExtensionMismatch {
        /// The extension's name (`source-repository-uri`, …).
        extension: &'static str,
        /// Its value in the certificate, if present.
        got: Option<String>,
        /// The required value.
        want: String,
    },
    /// A log entry names a transparency log that is not in the trusted root.
    #[error("transparency log {log_id} is not in the trusted root")]
    UnknownLog {
        /// The entry's log id.
        log_id: String,
    },
    /// The Merkle inclusion proof does not lead from the entry to the checkpoint's root hash.
    #[error("inclusion proof does not match checkpoint root: {detail}")]
    InclusionProof {
        /// Why.
        detail: String,
    },
    /// A transparency-log entry lacks the inclusion proof its bundle version requires.
    #[error("no inclusion proof: {detail}")]
    InclusionProofMissing {
        /// Why.
        detail: String,
    },
    /// The checkpoint (signed tree head) is missing, malformed, not signed by a trusted log key, or
    /// for another tree.
    #[error("checkpoint check failed: {detail}")]
    Checkpoint {
        /// Why.
        detail: String,
    },
    /// The Signed Entry Timestamp (inclusion promise) is missing or does not verify.
    #[error("signed entry timestamp (SET) check failed: {detail}")]
    SignedEntryTimestamp {
        /// Why.
        detail: String,
    },
    /// The log entry's body does not describe this bundle's signature, key or artefact.
    #[error("log entry does not match the bundle: {detail}")]
    EntryMismatch {
        /// Why.
        detail: String,
    },
    /// The log entry's integrated time is in the future or outside the certificate's validity.
    #[error("integrated time check failed: {detail}")]
    IntegratedTime {
        /// Why.
        detail: String,
    },
    /// The log entry body could not be parsed.
    #[error("malformed log entry: {detail}")]
    MalformedEntry {
        /// Why.
        detail: String,
    },
    /// An RFC 3161 timestamp did not verify against a trusted timestamp authority.
    #[error("RFC 3161 timestamp check failed: {detail}")]
    Timestamp {
        /// Why.
        detail: String,
    },
    /// An RFC 3161 timestamp is authentic but outside its authority's validity window.
    #[error("RFC 3161 timestamp {time} is outside the validity window of the timestamp authority")]
    TimestampOutsideAuthority {
        /// The timestamp's time.
        time: jiff::Timestamp,
    },
    /// No verified time (SET-backed integrated time or RFC 3161 timestamp) exists to check the
    /// certificate against.
    #[error("no verified signing time: {detail}")]
    NoVerifiedTime {
        /// Why.
        detail: String,
    },
    /// The signature does not verify over the artefact or DSSE payload.
    #[error("signature check failed: {detail}")]
    Signature {
        /// Why.
        detail: String,
    },
    /// The bundle does not describe the artefact given (digest or in-toto subject mismatch).
    #[error("artefact mismatch: {detail}")]
    ArtifactMismatch {
        /// Why.
        detail: String,
    },
    /// The artefact was given in a form this bundle cannot be checked with (e.g. a digest for an
    /// Ed25519 signature that needs the whole message).
    #[error("unsupported artefact input: {detail}")]
    UnsupportedArtifact {
        /// Why.
        detail: String,
    },
    /// The artefact could not be read.
    #[error("cannot read the artefact: {detail}")]
    ArtifactRead {
        /// The I/O error.
        detail: String,
    },
    /// The statement's predicate type is not the one required.
    #[error("predicate type mismatch: got {got}, want {want}")]
    PredicateTypeMismatch {
        /// The statement's predicateType.
        got: String,
        /// The required one.
        want: String,
    },
    /// The public key supplied is malformed or of an unsupported kind.
    #[error("public key: {detail}")]
    PublicKey {
        /// Why.
        detail: String,
    },
}

impl VerifyError {
    /// A short, stable name of the check that failed (`certificate-validity`, `inclusion-proof`, …),
    /// for JSON reports.
    #[must_use]
    pub fn check(&self) -> &'static str {
        match self {
            VerifyError::InvalidBundle { .. } | VerifyError::UnsupportedBundle { .. } => "bundle",
            VerifyError::InvalidTrustedRoot { .. } => "trusted-root",
            VerifyError::PolicyKind { .. } => "policy-kind",
            VerifyError::MalformedCertificate { .. } | VerifyError::CertificateChain { .. } => {
                "certificate-chain"
            }
            VerifyError::NoValidCertificateAuthority { .. } => "certificate-authority-validity",
            VerifyError::CertificateNotValidAt { .. } => "certificate-validity",
            VerifyError::Sct { .. } => "sct",
            VerifyError::SanMismatch { .. } => "san",
            VerifyError::IssuerMismatch { .. } => "oidc-issuer",
            VerifyError::ExtensionMismatch { .. } => "certificate-extension",
            VerifyError::UnknownLog { .. } => "transparency-log",
            VerifyError::InclusionProof { .. } | VerifyError::InclusionProofMissing { .. } => {
                "inclusion-proof"
            }
            VerifyError::Checkpoint { .. } => "checkpoint",
            VerifyError::SignedEntryTimestamp { .. } => "signed-entry-timestamp",
            VerifyError::EntryMismatch { .. } | VerifyError::MalformedEntry { .. } => "log-entry",
            VerifyError::IntegratedTime { .. } => "integrated-time",
            VerifyError::Timestamp { .. } | VerifyError::TimestampOutsideAuthority { .. } => {
                "rfc3161-timestamp"
            }
            VerifyError::NoVerifiedTime { .. } => "signing-time",
            VerifyError::Signature { .. } => "signature",
            VerifyError::ArtifactMismatch { .. }
            | VerifyError::UnsupportedArtifact { .. }
            | VerifyError::ArtifactRead { .. } => "artefact",
            VerifyError::PredicateTypeMismatch { .. } => "predicate-type",
            VerifyError::PublicKey { .. } => "public-key",
        }
    }
}
