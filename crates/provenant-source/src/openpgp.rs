//! `OpenPGP` commit signatures, verified with rPGP (pure Rust) against a keyring the caller gives (armoured
//! or binary, as `gpg --export [--armor]` writes it), never against a key server or gpg's trust database.
//!
//! A signature holds when: its issuer is a key (primary or signing subkey) of the keyring whose bindings
//! verify, the key has no revocation signature, the signature verifies over the commit's signed bytes,
//! and one of the key's user ids carries the committer's email (compared without regard to case).

use std::io::Cursor;

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;

/// The armour line that starts a public key block.
const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/// The largest keyring read.
pub const MAX_KEYRING_BYTES: usize = 16 << 20;

/// A set of `OpenPGP` public keys.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

/// Why a keyring could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// Larger than [`MAX_KEYRING_BYTES`].
    #[error("the keyring has {len} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A key does not parse.
    #[error("the keyring's key number {index} does not parse: {reason}")]
    Key {
        /// 1-based position of the key.
        index: usize,
        /// rPGP's reason.
        reason: String,
    },
    /// No key at all.
    #[error("the keyring holds no public key")]
    Empty,
}

/// A verified `OpenPGP` signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpVerified {
    /// The signing key's fingerprint (hex, uppercase).
    pub fingerprint: String,
    /// The primary key's fingerprint, when a subkey signed.
    pub primary_fingerprint: String,
    /// The user id that carries the committer's email.
    pub user_id: String,
}

/// Why an `OpenPGP` signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PgpError {
    /// The armour does not parse.
    #[error("the OpenPGP signature does not parse: {reason}")]
    Malformed {
        /// rPGP's reason.
        reason: String,
    },
    /// No key of the keyring made it.
    #[error("no key of the keyring made the OpenPGP signature (issuer {issuer})")]
    UnknownKey {
        /// The issuer fingerprints or key ids the signature names.
        issuer: String,
    },
    /// The issuing key's bindings do not verify.
    #[error("the key {fingerprint}'s self-signatures do not verify: {reason}")]
    BadKey {
        /// The key.
        fingerprint: String,
        /// rPGP's reason.
        reason: String,
    },
    /// The issuing key is revoked.
    #[error("the key {fingerprint} is revoked")]
    Revoked {
        /// The key.
        fingerprint: String,
    },
    /// The signature does not verify.
    #[error("the OpenPGP signature by {fingerprint} does not verify over the commit's content")]
    BadSignature {
        /// The key.
        fingerprint: String,
    },
    /// No user id of the key carries the committer's email.
    #[error("the key {fingerprint} has no user id with the committer's email {email}")]
    EmailMismatch {
        /// The key.
        fingerprint: String,
        /// The committer's email.
        email: String,
    },
}

impl Keyring {
    /// Reads an armoured or binary keyring (several armour blocks may follow each other).
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyringError> {
        if bytes.len() > MAX_KEYRING_BYTES {
            return Err(KeyringError::TooLarge {
                len: bytes.len(),
                max: MAX_KEYRING_BYTES,
            });
        }
        let mut keys = Vec::new();
        let key_err = |index: usize, e: &pgp::errors::Error| KeyringError::Key {
            index,
            reason: e.to_string(),
        };
        let text = std::str::from_utf8(bytes).ok().filter(|t| t.contains(BEGIN));
        if let Some(text) = text {
            for block in text.split(BEGIN).skip(1) {
                let armored = format!("{BEGIN}{block}");
                let (iter, _) = SignedPublicKey::from_armor_many(Cursor::new(armored.into_bytes()))
                    .map_err(|e| key_err(keys.len() + 1, &e))?;
                for key in iter {
                    keys.push(key.map_err(|e| key_err(keys.len() + 1, &e))?);
                }
            }
        } else {
            let iter = SignedPublicKey::from_bytes_many(Cursor::new(bytes)).map_err(|e| key_err(1, &e))?;
            for key in iter {
                keys.push(key.map_err(|e| key_err(keys.len() + 1, &e))?);
            }
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        Ok(Self { keys })
    }

    /// The number of primary keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyring is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// The email of a user id `Name <email>` (or the whole id when it is a bare address).
fn user_id_email(id: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(id);
    let email = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => text.get(open + 1..close)?.to_owned(),
        _ => text.trim().to_owned(),
    };
    email.contains('@').then_some(email)
}

/// Verifies an armoured `OpenPGP` signature over `signed` and matches the key's user ids to `email`.
pub fn verify_pgp(
    armored: &[u8],
    signed: &[u8],
    keyring: &Keyring,
    email: &str,
) -> Result<PgpVerified, PgpError> {
    let (sig, _) =
        DetachedSignature::from_armor_single(Cursor::new(armored)).map_err(|e| PgpError::Malformed {
            reason: e.to_string(),
        })?;
    let issuer_fps: Vec<Vec<u8>> = sig
        .signature
        .issuer_fingerprint()
        .into_iter()
        .map(|f| f.as_bytes().to_vec())
        .collect();
    let issuer_ids: Vec<Vec<u8>> = sig
        .signature
        .issuer_key_id()
        .into_iter()
        .map(|k| k.as_ref().to_vec())
        .collect();
    let names =
        |fp: &[u8], id: &[u8]| issuer_fps.iter().any(|f| f == fp) || issuer_ids.iter().any(|k| k == id);
    for key in &keyring.keys {
        let primary_fp = key.primary_key.fingerprint();
        let primary_hex = hex_upper(primary_fp.as_bytes());
        let mut candidates: Vec<(String, Result<(), pgp::errors::Error>)> = Vec::new();
        if names(primary_fp.as_bytes(), key.primary_key.legacy_key_id().as_ref()) {
            candidates.push((primary_hex.clone(), sig.verify(&key.primary_key, signed)));
        }
        for sub in &key.public_subkeys {
            let fp = sub.key.fingerprint();
            if names(fp.as_bytes(), sub.key.legacy_key_id().as_ref()) {
                candidates.push((hex_upper(fp.as_bytes()), sig.verify(&sub.key, signed)));
            }
        }
        let Some((fingerprint, outcome)) = candidates.into_iter().next() else {
            continue;
        };
        key.verify_bindings().map_err(|e| PgpError::BadKey {
            fingerprint: primary_hex.clone(),
            reason: e.to_string(),
        })?;
        if !key.details.revocation_signatures.is_empty() {
            return Err(PgpError::Revoked {
                fingerprint: primary_hex,
            });
        }
        outcome.map_err(|_| PgpError::BadSignature {
            fingerprint: fingerprint.clone(),
        })?;
        let user_id = key
            .details
            .users
            .iter()
            .find(|u| user_id_email(u.id.id()).is_some_and(|e| e.eq_ignore_ascii_case(email)))
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .ok_or_else(|| PgpError::EmailMismatch {
                fingerprint: primary_hex.clone(),
                email: email.to_owned(),
            })?;
        return Ok(PgpVerified {
            fingerprint,
            primary_fingerprint: primary_hex,
            user_id,
        });
    }
    let mut issuer: Vec<String> = issuer_fps.iter().map(|f| hex_upper(f)).collect();
    issuer.extend(issuer_ids.iter().map(|k| hex_upper(k)));
    Err(PgpError::UnknownKey {
        issuer: if issuer.is_empty() {
            "not named".into()
        } else {
            issuer.join(", ")
        },
    })
}
