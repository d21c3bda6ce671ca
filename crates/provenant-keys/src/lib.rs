//! Signing keys for Provenant's keyed signatures, and the key files cosign users already have.
//!
//! - [`SigningKey`]: an ECDSA P-256 (SHA-256), ECDSA P-384 (SHA-384) or Ed25519 private key, generated
//!   here or read from PKCS#8 or SEC1 DER/PEM; signs bytes. Its PKCS#8 bytes live in a
//!   [`zeroize::Zeroizing`] buffer and never appear in `Debug` output or in errors.
//! - [`cosign`]: the `ENCRYPTED SIGSTORE PRIVATE KEY` file format that `cosign generate-key-pair`
//!   writes (scrypt key derivation, `NaCl` secretbox encryption of the PKCS#8 key), read and written
//!   byte-compatibly, and the `PUBLIC KEY` PEM beside it.
//!
//! - [`PublicKey`]: a verification key read from a `PUBLIC KEY` PEM or DER `SubjectPublicKeyInfo`:
//!   ECDSA P-256/P-384 (DER or fixed `r||s` signatures), Ed25519, and RSA 2048–8192 with PKCS#1 v1.5
//!   or PSS ([`RsaScheme`]). Its key id is the hex SHA-256 of the SPKI, as keyed sigstore bundles hint.
//! - [`Signer`]: what signs bytes; [`SigningKey`] is one, a KMS or keyless key can be another.
//! - [`dsse`]: DSSE envelopes ([`provenant_attest::Envelope`]) signed by several signers, and verified
//!   against trusted keys with a threshold; errors name the check that failed.
//!
//! Sigstore bundles are verified by `provenant-sigstore`. The cryptography is aws-lc-rs, the single
//! provider of the whole tree (rustls and the sigstore crates already use it), so there is one
//! implementation to trust and to patch, with FIPS-validated primitives available; the two schemes
//! it lacks, scrypt and the `NaCl` secretbox of cosign key files, come from `RustCrypto`.
//!
//! This crate does no I/O: callers read and write the files, and ask for passwords.
//!
//! ```
//! use provenant_keys::{KeyKind, SigningKey, cosign};
//!
//! let key = SigningKey::generate(KeyKind::EcdsaP256)?;
//! let file = cosign::encrypt(&key, b"correct horse", &cosign::KdfParams::TEST_ONLY_FAST)?;
//! let back = cosign::decrypt(&file, b"correct horse")?;
//! assert_eq!(back.public_key_pem()?, key.public_key_pem()?);
//! assert!(cosign::decrypt(&file, b"wrong").is_err());
//! let signature = key.sign(b"message")?;
//! let public = provenant_keys::PublicKey::from_pem(&key.public_key_pem()?)?;
//! public.verify(b"message", &signature)?;
//! assert!(public.verify(b"massage", &signature).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod cosign;
mod der;
pub mod dsse;
mod key;
mod pem;
mod verify;

pub use key::{KeyError, KeyKind, SigningKey};
pub use pem::{PemError, pem_decode, pem_encode};
pub use verify::{PublicKey, PublicKeyAlgorithm, PublicKeyError, RsaScheme, Signer, VerifyError};
