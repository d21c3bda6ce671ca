//! Commit signatures: which format a `gpgsig` header holds, and SSH signatures (`sshsig`, namespace
//! `git`) verified over the commit's signed bytes and authorised by an allowed-signers file for the
//! committer's email.
//!
//! Only what is verified passes: an X.509 signature (gitsign, `gpgsm`) is reported as unsupported, an
//! unknown armour as unknown, and an `OpenPGP` signature is verified only against a keyring the caller gives.

use ssh_key::{PublicKey, SshSig};

use crate::allowed_signers::{AllowedSigners, Refusal};

/// The namespace git signs commits and tags in.
pub const GIT_NAMESPACE: &str = "git";

/// The format of an armoured signature, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// `-----BEGIN SSH SIGNATURE-----`.
    Ssh,
    /// `-----BEGIN PGP SIGNATURE-----`.
    Openpgp,
    /// `-----BEGIN SIGNED MESSAGE-----` (gitsign, `gpgsm`).
    X509,
    /// Anything else.
    Unknown,
}

impl Format {
    /// Detects the format of an armoured signature.
    #[must_use]
    pub fn detect(armored: &[u8]) -> Self {
        let start = armored
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .and_then(|i| armored.get(i..))
            .unwrap_or_default();
        if start.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
            Self::Ssh
        } else if start.starts_with(b"-----BEGIN PGP SIGNATURE-----") {
            Self::Openpgp
        } else if start.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
            Self::X509
        } else {
            Self::Unknown
        }
    }

    /// The format's name in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Openpgp => "openpgp",
            Self::X509 => "x509",
            Self::Unknown => "unknown",
        }
    }
}

/// A verified and authorised SSH signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshVerified {
    /// The signing key's SHA-256 fingerprint (`SHA256:…`).
    pub fingerprint: String,
    /// The allowed-signers line that authorised it.
    pub line: usize,
    /// That line's principal patterns.
    pub principals: Vec<String>,
}

/// Why an SSH signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SshError {
    /// The armour or its content does not parse.
    #[error("the SSH signature does not parse: {reason}")]
    Malformed {
        /// The parser's reason.
        reason: String,
    },
    /// The signature was made in another namespace.
    #[error("the SSH signature is in the namespace {found}, not git")]
    Namespace {
        /// The namespace it carries.
        found: String,
    },
    /// The signature does not verify over the commit.
    #[error("the SSH signature by {fingerprint} does not verify over the commit's content")]
    BadSignature {
        /// The key's SHA-256 fingerprint.
        fingerprint: String,
    },
    /// The signature verifies but the allowed-signers file does not authorise the key for the committer.
    #[error("{0}")]
    NotAllowed(Refusal),
}

/// Verifies an armoured SSH signature over `signed` (the commit without its `gpgsig` header) and
/// authorises its key for `email` at `time` (the committer time, Unix seconds) under `signers`.
pub fn verify_ssh(
    armored: &[u8],
    signed: &[u8],
    signers: &AllowedSigners,
    email: &str,
    time: i64,
) -> Result<SshVerified, SshError> {
    let sig = SshSig::from_pem(armored).map_err(|e| SshError::Malformed {
        reason: e.to_string(),
    })?;
    if sig.namespace() != GIT_NAMESPACE {
        return Err(SshError::Namespace {
            found: sig.namespace().to_owned(),
        });
    }
    let key = PublicKey::from(sig.public_key().clone());
    let fingerprint = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    key.verify(GIT_NAMESPACE, signed, &sig)
        .map_err(|_| SshError::BadSignature {
            fingerprint: fingerprint.clone(),
        })?;
    let entry = signers
        .authorize(&key, email, GIT_NAMESPACE, time)
        .map_err(SshError::NotAllowed)?;
    Ok(SshVerified {
        fingerprint,
        line: entry.line,
        principals: entry.principals.clone(),
    })
}
