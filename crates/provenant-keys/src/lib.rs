//! Signing keys for Provenant's keyed signatures, and the key files cosign users already have.
//!
//! - [`SigningKey`]: an ECDSA P-256 (SHA-256), ECDSA P-384 (SHA-384) or Ed25519 private key, generated
//!   here or read from PKCS#8 or SEC1 DER/PEM; signs bytes. Its PKCS#8 bytes live in a
//!   [`zeroize::Zeroizing`] buffer and never appear in `Debug` output or in errors.
//! - [`cosign`]: the `ENCRYPTED SIGSTORE PRIVATE KEY` file format that `cosign generate-key-pair`
//!   writes (scrypt key derivation, `NaCl` secretbox encryption of the PKCS#8 key), read and written
//!   byte-compatibly, and the `PUBLIC KEY` PEM beside it.
//!
//! Verification of signatures is not here: it belongs to the verifiers (`provenant-sigstore`), which
//! take public keys as PEM. The cryptography is aws-lc-rs, the single provider of the whole tree
//! (rustls, the sigstore crates), so there is one implementation to trust and to patch.
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
//! assert!(!signature.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod cosign;
mod key;
mod pem;

pub use key::{KeyError, KeyKind, SigningKey};
pub use pem::{PemError, pem_decode, pem_encode};
