use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _,
};
use zeroize::Zeroizing;

use crate::pem::{PemError, pem_decode, pem_encode};

/// The kinds of signing key Provenant makes and uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA over NIST P-256 with SHA-256 (cosign's default).
    EcdsaP256,
    /// ECDSA over NIST P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// The name used on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::EcdsaP384 => "ecdsa-p384",
            KeyKind::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyKind {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ecdsa-p256" => Ok(KeyKind::EcdsaP256),
            "ecdsa-p384" => Ok(KeyKind::EcdsaP384),
            "ed25519" => Ok(KeyKind::Ed25519),
            _ => Err(KeyError::UnknownKind),
        }
    }
}

/// What went wrong with a key. No variant carries key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key kind name is not one of ecdsa-p256, ecdsa-p384, ed25519.
    #[error("unknown key kind: expected ecdsa-p256, ecdsa-p384 or ed25519")]
    UnknownKind,
    /// The system random number generator failed while generating a key.
    #[error("cannot generate a {kind} key: the system random number generator failed")]
    Generate {
        /// The kind requested.
        kind: KeyKind,
    },
    /// The DER is not a PKCS#8 or SEC1 private key of a supported kind.
    #[error("not a supported private key (PKCS#8 or SEC1 ECDSA P-256/P-384, or PKCS#8 Ed25519)")]
    UnsupportedPrivateKey,
    /// A PEM block had the wrong label.
    #[error("PEM block is {found:?}, expected {expected}")]
    WrongLabel {
        /// The label found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The PEM text could not be read.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// Signing failed inside the cryptographic library.
    #[error("signing with the {kind} key failed")]
    Sign {
        /// The key's kind.
        kind: KeyKind,
    },
    /// The public key could not be encoded.
    #[error("cannot encode the {kind} public key")]
    PublicKey {
        /// The key's kind.
        kind: KeyKind,
    },
}

enum Inner {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private signing key. Its PKCS#8 encoding is kept zeroized-on-drop so that it can be written out
/// (encrypted) again; `Debug` shows only the kind.
pub struct SigningKey {
    kind: KeyKind,
    pkcs8: Zeroizing<Vec<u8>>,
    inner: Inner,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key from the system's random number generator.
    pub fn generate(kind: KeyKind) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let doc = match kind {
            KeyKind::EcdsaP256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng),
            KeyKind::EcdsaP384 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &rng),
            KeyKind::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| KeyError::Generate { kind })?;
        SigningKey::from_der(doc.as_ref())
    }

    /// Reads a PKCS#8 (ECDSA P-256/P-384, Ed25519) or SEC1 (ECDSA) private key in DER.
    pub fn from_der(der: &[u8]) -> Result<SigningKey, KeyError> {
        for (kind, alg) in [
            (KeyKind::EcdsaP256, &ECDSA_P256_SHA256_ASN1_SIGNING),
            (KeyKind::EcdsaP384, &ECDSA_P384_SHA384_ASN1_SIGNING),
        ] {
            if let Ok(pair) = EcdsaKeyPair::from_private_key_der(alg, der) {
                // Normalise to PKCS#8 so that what we write back is what cosign writes.
                let pkcs8 = pair.to_pkcs8v1().map_err(|_| KeyError::UnsupportedPrivateKey)?;
                return Ok(SigningKey {
                    kind,
                    pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()),
                    inner: Inner::Ecdsa(pair),
                });
            }
        }
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(SigningKey {
                kind: KeyKind::Ed25519,
                pkcs8: Zeroizing::new(der.to_vec()),
                inner: Inner::Ed25519(pair),
            });
        }
        Err(KeyError::UnsupportedPrivateKey)
    }

    /// Reads an unencrypted `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1) PEM block.
    pub fn from_pem(text: &str) -> Result<SigningKey, KeyError> {
        let (label, der) = pem_decode(text)?;
        let der = Zeroizing::new(der);
        match label.as_str() {
            "PRIVATE KEY" | "EC PRIVATE KEY" => SigningKey::from_der(&der),
            _ => Err(KeyError::WrongLabel {
                found: label,
                expected: "PRIVATE KEY or EC PRIVATE KEY",
            }),
        }
    }

    /// The key's kind.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The PKCS#8 DER of the private key (for encrypting it into a key file).
    #[must_use]
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Signs `message`: ECDSA signatures are ASN.1 DER over SHA-256 (P-256) or SHA-384 (P-384) of the
    /// message, Ed25519 signatures are the 64 raw bytes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Ecdsa(_) if self.kind == KeyKind::EcdsaP256 => self.sign_p256(message),
            Inner::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign { kind: self.kind }),
            Inner::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// ECDSA P-256 over SHA-256 with an RFC 6979 nonce hedged with the operating system's randomness
    /// (RFC 6979 section 3.6). aws-lc's random number generator seeds itself from CPU jitter entropy
    /// on its first use in a process, tens of milliseconds that every signing command (a governed
    /// promotion's record) would pay for one nonce; the key itself is the one aws-lc read.
    fn sign_p256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        use p256::ecdsa::signature::RandomizedSigner as _;
        use p256::pkcs8::DecodePrivateKey as _;
        let failed = |_| KeyError::Sign { kind: self.kind };
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(&self.pkcs8)
            .map_err(|_| KeyError::Sign { kind: self.kind })?;
        let signature: p256::ecdsa::Signature = key
            .try_sign_with_rng(&mut rand_core::OsRng, message)
            .map_err(failed)?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    /// The public key as `SubjectPublicKeyInfo` DER.
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        let der = match &self.inner {
            Inner::Ecdsa(pair) => pair.public_key().as_der().map(|d| d.as_ref().to_vec()),
            Inner::Ed25519(pair) => pair.public_key().as_der().map(|d| d.as_ref().to_vec()),
        };
        der.map_err(|_| KeyError::PublicKey { kind: self.kind })
    }

    /// The public key as a `PUBLIC KEY` PEM block (the content of cosign's `cosign.pub`).
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        Ok(pem_encode("PUBLIC KEY", &self.public_key_der()?))
    }
}
