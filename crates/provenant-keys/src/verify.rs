//! [`PublicKey`]: verification keys read from `SubjectPublicKeyInfo` (PEM or DER), and the [`Signer`]
//! trait that every signing key implements.

use std::fmt;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use provenant_digest::Algorithm;

use crate::der::parse_spki;
use crate::key::{KeyError, SigningKey};
use crate::pem::{PemError, pem_decode, pem_encode};

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The algorithm of a verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicKeyAlgorithm {
    /// ECDSA over NIST P-256; signatures are over SHA-256.
    EcdsaP256,
    /// ECDSA over NIST P-384; signatures are over SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA, 2048 to 8192 bits (verification only).
    Rsa,
}

impl fmt::Display for PublicKeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PublicKeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            PublicKeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            PublicKeyAlgorithm::Ed25519 => "ed25519",
            PublicKeyAlgorithm::Rsa => "rsa",
        })
    }
}

/// An RSA signature scheme: padding and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaScheme {
    /// PKCS#1 v1.5 with SHA-256 (what sigstore and cosign use for RSA keys).
    Pkcs1v15Sha256,
    /// PKCS#1 v1.5 with SHA-384.
    Pkcs1v15Sha384,
    /// PKCS#1 v1.5 with SHA-512.
    Pkcs1v15Sha512,
    /// PSS with SHA-256, MGF1 with SHA-256, salt as long as the digest.
    PssSha256,
    /// PSS with SHA-384, MGF1 with SHA-384, salt as long as the digest.
    PssSha384,
    /// PSS with SHA-512, MGF1 with SHA-512, salt as long as the digest.
    PssSha512,
}

impl RsaScheme {
    fn algorithm(self) -> &'static dyn VerificationAlgorithm {
        match self {
            RsaScheme::Pkcs1v15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            RsaScheme::Pkcs1v15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            RsaScheme::Pkcs1v15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            RsaScheme::PssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
            RsaScheme::PssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
            RsaScheme::PssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        }
    }
}

impl fmt::Display for RsaScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RsaScheme::Pkcs1v15Sha256 => "RSA PKCS#1 v1.5 SHA-256",
            RsaScheme::Pkcs1v15Sha384 => "RSA PKCS#1 v1.5 SHA-384",
            RsaScheme::Pkcs1v15Sha512 => "RSA PKCS#1 v1.5 SHA-512",
            RsaScheme::PssSha256 => "RSA-PSS SHA-256",
            RsaScheme::PssSha384 => "RSA-PSS SHA-384",
            RsaScheme::PssSha512 => "RSA-PSS SHA-512",
        })
    }
}

/// Why a public key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// The PEM text could not be read.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// The PEM block is not a `PUBLIC KEY`.
    #[error("PEM block is {found:?}, expected \"PUBLIC KEY\"")]
    WrongLabel {
        /// The label found.
        found: String,
    },
    /// The DER is not a `SubjectPublicKeyInfo`.
    #[error("public key is not a DER SubjectPublicKeyInfo")]
    Malformed,
    /// The key's algorithm or curve is not one Provenant verifies.
    #[error("unsupported public key algorithm (supported: ECDSA P-256, ECDSA P-384, Ed25519, RSA 2048-8192)")]
    Unsupported,
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature does not match the message under this key.
    #[error("{algorithm} signature does not verify with key {key_id}")]
    BadSignature {
        /// The key's algorithm.
        algorithm: PublicKeyAlgorithm,
        /// The key's id ([`PublicKey::key_id`]).
        key_id: String,
    },
    /// The scheme does not apply to this key (an RSA scheme on an ECDSA key).
    #[error("{algorithm} key {key_id} cannot verify {scheme} signatures")]
    WrongScheme {
        /// The key's algorithm.
        algorithm: PublicKeyAlgorithm,
        /// The key's id.
        key_id: String,
        /// The scheme asked for.
        scheme: RsaScheme,
    },
}

/// A verification key. Its [`key_id`](PublicKey::key_id) is the lowercase hex SHA-256 of its DER
/// `SubjectPublicKeyInfo`, the hint keyed sigstore bundles carry.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: PublicKeyAlgorithm,
    spki: Vec<u8>,
    /// What the backend verifies with: the EC point, the Ed25519 key or the PKCS#1 `RSAPublicKey`.
    raw: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm, self.key_id())
    }
}

impl PublicKey {
    /// Reads a `PUBLIC KEY` PEM block (the content of `cosign.pub`).
    pub fn from_pem(text: &str) -> Result<PublicKey, PublicKeyError> {
        let (label, der) = pem_decode(text)?;
        if label != "PUBLIC KEY" {
            return Err(PublicKeyError::WrongLabel { found: label });
        }
        PublicKey::from_spki_der(&der)
    }

    /// Reads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, PublicKeyError> {
        let spki = parse_spki(der).ok_or(PublicKeyError::Malformed)?;
        let algorithm = match (spki.algorithm, spki.parameter) {
            (OID_EC_PUBLIC_KEY, Some(OID_P256)) if spki.key.len() == 65 => PublicKeyAlgorithm::EcdsaP256,
            (OID_EC_PUBLIC_KEY, Some(OID_P384)) if spki.key.len() == 97 => PublicKeyAlgorithm::EcdsaP384,
            (OID_ED25519, None) if spki.key.len() == 32 => PublicKeyAlgorithm::Ed25519,
            (OID_RSA, _) => PublicKeyAlgorithm::Rsa,
            _ => return Err(PublicKeyError::Unsupported),
        };
        Ok(PublicKey {
            algorithm,
            spki: der.to_vec(),
            raw: spki.key.to_vec(),
        })
    }

    /// The key's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> PublicKeyAlgorithm {
        self.algorithm
    }

    /// The DER `SubjectPublicKeyInfo`.
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The `PUBLIC KEY` PEM block with 64-column lines.
    #[must_use]
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki)
    }

    /// Lowercase hex SHA-256 of the DER `SubjectPublicKeyInfo`.
    #[must_use]
    pub fn key_id(&self) -> String {
        Algorithm::Sha256.hash_bytes(&self.spki).hex()
    }

    /// Verifies `signature` over `message` with the key's usual scheme: ECDSA P-256 over SHA-256 or
    /// P-384 over SHA-384 (ASN.1 DER, or the fixed-width `r||s` form), Ed25519, or RSA PKCS#1 v1.5
    /// over SHA-256. Other RSA schemes: [`PublicKey::verify_rsa`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        let ok = match self.algorithm {
            PublicKeyAlgorithm::EcdsaP256 => {
                check(&signature::ECDSA_P256_SHA256_ASN1, &self.raw, message, signature)
                    || (signature.len() == 64
                        && check(&signature::ECDSA_P256_SHA256_FIXED, &self.raw, message, signature))
            }
            PublicKeyAlgorithm::EcdsaP384 => {
                check(&signature::ECDSA_P384_SHA384_ASN1, &self.raw, message, signature)
                    || (signature.len() == 96
                        && check(&signature::ECDSA_P384_SHA384_FIXED, &self.raw, message, signature))
            }
            PublicKeyAlgorithm::Ed25519 => check(&signature::ED25519, &self.raw, message, signature),
            PublicKeyAlgorithm::Rsa => check(
                RsaScheme::Pkcs1v15Sha256.algorithm(),
                &self.raw,
                message,
                signature,
            ),
        };
        if ok { Ok(()) } else { Err(self.bad()) }
    }

    /// Verifies an RSA signature made with `scheme` (PKCS#1 v1.5 or PSS, SHA-256/384/512).
    pub fn verify_rsa(&self, scheme: RsaScheme, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        if self.algorithm != PublicKeyAlgorithm::Rsa {
            return Err(VerifyError::WrongScheme {
                algorithm: self.algorithm,
                key_id: self.key_id(),
                scheme,
            });
        }
        if check(scheme.algorithm(), &self.raw, message, signature) {
            Ok(())
        } else {
            Err(self.bad())
        }
    }

    fn bad(&self) -> VerifyError {
        VerifyError::BadSignature {
            algorithm: self.algorithm,
            key_id: self.key_id(),
        }
    }
}

fn check(alg: &'static dyn VerificationAlgorithm, key: &[u8], message: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(alg, key).verify(message, sig).is_ok()
}

/// Something that signs bytes: a local [`SigningKey`] here; a KMS or an ephemeral keyless key
/// elsewhere.
pub trait Signer {
    /// Signs `message` (the whole message: hashing is part of the scheme).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The matching verification key.
    fn public_key(&self) -> Result<PublicKey, KeyError>;
    /// A stable id for the key: by default [`PublicKey::key_id`].
    fn key_id(&self) -> Result<String, KeyError> {
        Ok(self.public_key()?.key_id())
    }
}

impl Signer for SigningKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        SigningKey::sign(self, message)
    }

    fn public_key(&self) -> Result<PublicKey, KeyError> {
        let kind = self.kind();
        PublicKey::from_spki_der(&self.public_key_der()?).map_err(|_| KeyError::PublicKey { kind })
    }
}
