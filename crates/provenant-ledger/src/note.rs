//! C2SP signed notes with Ed25519 (c2sp.org/signed-note), and checkpoints signed as notes.
//!
//! A note key is named (the log's origin, by this ledger's convention) and identified by its key hash,
//! the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). The signer is written
//! `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>` and the verifier key `<name>+<hash>+<base64(0x01 ‖
//! public key)>`, as Go's `golang.org/x/mod/sumdb/note` does. Parsing, signing and verifying notes is the
//! `signed_note` crate's; this module adds key generation from a caller's seed, typed errors and the
//! checkpoint rules (the origin line must be the key's name).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::{Note, StandardSigner, StandardVerifier, Verifier as _, VerifierList};
use zeroize::Zeroizing;

use crate::checkpoint::{Checkpoint, CheckpointError};

/// The algorithm byte of Ed25519 note keys.
const ALG_ED25519: u8 = 1;
/// Prefix of an encoded signer key.
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";
/// Longest key text accepted.
const MAX_KEY_TEXT: usize = 1024;

/// Why a note key, note or signed checkpoint was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The key name is empty or has spaces, `+` or control characters.
    #[error(
        "note key name is not valid: it must be non-empty, without spaces, plus signs or control characters"
    )]
    BadName,
    /// The signer key text is not `PRIVATE+KEY+name+hash+base64`.
    #[error("note signer key is malformed: {reason}")]
    BadSignerKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The verifier key text is not `name+hash+base64` of an Ed25519 key.
    #[error("note verifier key is malformed: expected name+hash+base64 of an Ed25519 key")]
    BadVerifierKey,
    /// The note is not a well-formed signed note.
    #[error(
        "signed note is malformed: text, a blank line and signature lines each ending in a newline are expected"
    )]
    Malformed,
    /// A signature by the trusted key does not verify.
    #[error(
        "signature of {name} ({key_id:08x}) does not verify: the note was altered or signed by another key"
    )]
    BadSignature {
        /// The key's name.
        name: String,
        /// The key hash.
        key_id: u32,
    },
    /// No signature by the trusted key.
    #[error("the note has no signature by the trusted key {name} ({key_id:08x})")]
    NotSignedByKey {
        /// The key's name.
        name: String,
        /// The key hash.
        key_id: u32,
    },
    /// Signing failed.
    #[error("cannot sign the note")]
    Sign,
    /// The signed text is not a checkpoint.
    #[error("signed note is not a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint's origin is not the key's name.
    #[error("checkpoint origin {found} is not the log's origin {expected}")]
    OriginMismatch {
        /// The key's name.
        expected: String,
        /// The origin line.
        found: String,
    },
}

/// Whether `name` can name a note key.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    signed_note::is_key_name_valid(name)
}

/// A note signing key. The encoded key is zeroized on drop and never shown by `Debug`.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    skey: Zeroizing<String>,
    verifier_key: String,
    inner: StandardSigner,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

fn encode_public(name: &str, public: &[u8; 32]) -> (u32, String) {
    let mut key = Vec::with_capacity(33);
    key.push(ALG_ED25519);
    key.extend_from_slice(public);
    let id = signed_note::key_id(name, &key);
    (id, format!("{name}+{id:08x}+{}", BASE64.encode(&key)))
}

impl NoteSigner {
    /// The key named `name` whose Ed25519 seed is `seed` (the caller draws it from a secure random source).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::BadName);
        }
        let public = ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes();
        let (key_id, verifier_key) = encode_public(name, &public);
        let mut raw = Zeroizing::new(Vec::with_capacity(33));
        raw.push(ALG_ED25519);
        raw.extend_from_slice(seed);
        let skey = Zeroizing::new(format!(
            "{PRIVATE_PREFIX}{name}+{key_id:08x}+{}",
            BASE64.encode(raw.as_slice())
        ));
        let inner = StandardSigner::new(&skey).map_err(|_| NoteError::BadSignerKey {
            reason: "the key does not round-trip",
        })?;
        Ok(NoteSigner {
            name: name.to_owned(),
            key_id,
            skey,
            verifier_key,
            inner,
        })
    }

    /// Reads `PRIVATE+KEY+name+hash+base64(0x01 ‖ seed)` (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<NoteSigner, NoteError> {
        let text = text.trim();
        if text.len() > MAX_KEY_TEXT {
            return Err(NoteError::BadSignerKey { reason: "too long" });
        }
        let rest = text.strip_prefix(PRIVATE_PREFIX).ok_or(NoteError::BadSignerKey {
            reason: "it does not start with PRIVATE+KEY+",
        })?;
        // name+hash+key: the name and hash hold no '+', the base64 key may.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadSignerKey {
                reason: "expected name+hash+key after the prefix",
            });
        };
        let raw = Zeroizing::new(BASE64.decode(key).map_err(|_| NoteError::BadSignerKey {
            reason: "the key is not base64",
        })?);
        let (Some(&ALG_ED25519), Some(seed)) = (raw.first(), raw.get(1..)) else {
            return Err(NoteError::BadSignerKey {
                reason: "the key is not an Ed25519 key (algorithm byte 1)",
            });
        };
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| NoteError::BadSignerKey {
                reason: "an Ed25519 seed has 32 bytes",
            })?);
        let signer = NoteSigner::from_seed(name, &seed)?;
        if hash != format!("{:08x}", signer.key_id) {
            return Err(NoteError::BadSignerKey {
                reason: "the key hash does not match the name and key",
            });
        }
        Ok(signer)
    }

    /// The encoded signer key, `PRIVATE+KEY+…` (secret: write it only to a protected file).
    #[must_use]
    pub fn to_text(&self) -> &Zeroizing<String> {
        &self.skey
    }

    /// The verifier key, `name+hash+base64`.
    #[must_use]
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Signs `text` (which must end in a newline) into a signed note.
    pub fn sign(&self, text: &[u8]) -> Result<Vec<u8>, NoteError> {
        let mut note = Note::new(text, &[]).map_err(|_| NoteError::Malformed)?;
        note.add_sigs(&[&self.inner]).map_err(|_| NoteError::Sign)?;
        Ok(note.to_bytes())
    }

    /// Signs a checkpoint; its origin must be the key's name.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<Vec<u8>, NoteError> {
        if checkpoint.origin != self.name {
            return Err(NoteError::OriginMismatch {
                expected: self.name.clone(),
                found: checkpoint.origin.clone(),
            });
        }
        self.sign(&checkpoint.to_bytes())
    }
}

/// A trusted note verifier key.
#[derive(Clone)]
pub struct NoteVerifier {
    text: String,
    inner: StandardVerifier,
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NoteVerifier").field(&self.text).finish()
    }
}

impl NoteVerifier {
    /// Reads `name+hash+base64(0x01 ‖ public key)` (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<NoteVerifier, NoteError> {
        let text = text.trim();
        if text.len() > MAX_KEY_TEXT {
            return Err(NoteError::BadVerifierKey);
        }
        let inner = StandardVerifier::new(text).map_err(|_| NoteError::BadVerifierKey)?;
        Ok(NoteVerifier {
            text: text.to_owned(),
            inner,
        })
    }

    /// The key's encoding.
    #[must_use]
    pub fn to_text(&self) -> &str {
        &self.text
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The key hash.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.inner.key_id()
    }

    /// Verifies a signed note and returns its text. Signatures by other keys are ignored; the note must
    /// carry a valid signature by this key and no invalid one by it.
    pub fn open(&self, note: &[u8]) -> Result<Vec<u8>, NoteError> {
        let parsed = parse(note)?;
        let known = VerifierList::new(vec![Box::new(self.inner.clone())]);
        match parsed.verify(&known) {
            Ok(_) => Ok(parsed.text().to_vec()),
            Err(signed_note::NoteError::InvalidSignature { .. }) => Err(NoteError::BadSignature {
                name: self.name().to_owned(),
                key_id: self.key_id(),
            }),
            Err(signed_note::NoteError::UnverifiedNote) => Err(NoteError::NotSignedByKey {
                name: self.name().to_owned(),
                key_id: self.key_id(),
            }),
            Err(_) => Err(NoteError::Malformed),
        }
    }

    /// Verifies a signed checkpoint: the signature, then the body, whose origin must be the key's name.
    pub fn open_checkpoint(&self, note: &[u8]) -> Result<Checkpoint, NoteError> {
        let text = self.open(note)?;
        let checkpoint = Checkpoint::parse(&text)?;
        if checkpoint.origin != self.name() {
            return Err(NoteError::OriginMismatch {
                expected: self.name().to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}

/// Parses a signed note: text ending in a newline, a blank line, then one or more signature lines
/// (`— name base64`), each ending in a newline. The text ends at the last blank line, as c2sp.org/signed-note
/// and Go's `note.Open` split it: signature lines hold no blank line, the text may.
fn parse(note: &[u8]) -> Result<Note, NoteError> {
    Note::from_bytes(note).map_err(|_| NoteError::Malformed)
}

/// The text of a signed note, up to and including the newline before the blank line that precedes its
/// signatures. The note must be well-formed (see [`NoteError::Malformed`]), but its signatures are **not**
/// verified: [`NoteVerifier::open`] does that.
pub fn unverified_text(note: &[u8]) -> Result<Vec<u8>, NoteError> {
    Ok(parse(note)?.text().to_vec())
}

/// The checkpoint a signed note carries, read without verifying its signatures (for showing a note
/// already trusted, or one whose signature is checked elsewhere); [`NoteVerifier::open_checkpoint`]
/// verifies and reads.
pub fn unverified_checkpoint(note: &[u8]) -> Result<Checkpoint, NoteError> {
    Ok(Checkpoint::parse(&unverified_text(note)?)?)
}
