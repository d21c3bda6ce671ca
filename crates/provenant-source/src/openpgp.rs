//! `OpenPGP` commit signatures, verified with rPGP (pure Rust) against a keyring the caller gives (armoured
//! or binary, as `gpg --export [--armor]` writes it), never against a key server or gpg's trust database.
//!
//! A signature holds when: its issuer is a key (primary or signing subkey) of the keyring whose bindings
//! verify, the signature verifies over the commit's signed bytes, the key was valid when the signature
//! says it was made (see below), and one of the key's user ids, not revoked at that time, carries the
//! committer's email (compared without regard to case).
//!
//! Validity is judged at the signature's creation time (a hashed subpacket, so believed only once the
//! signature verifies), as `OpenPGP` defines it and as git reads gpg's verdict for a key that has since
//! expired: a signature older than the key is refused; the binding in force is the newest self-signature
//! made at or before that time (a direct-key or user-id self-signature for the primary key, the subkey
//! binding for a subkey), or the earliest one when the publisher kept none that old (gpg drops the
//! self-signature an expiry change replaces); and the key had expired when its creation time plus that
//! binding's key expiration time is not after the signature's.
//! A subkey is also bound by its primary key's validity and must be bound for signing. A revocation whose
//! reason is "superseded" or "retired" (RFC 9580 5.2.3.31, soft) refuses the signatures made from its own
//! time on; any other revocation (compromised, no reason, another code) refuses every signature.
//!
//! The signature's own expiration time (RFC 9580 5.2.3.18, a hashed subpacket: seconds after its creation
//! time, zero or absent meaning never) is judged at the time of judgement the caller gives (the check's
//! time): a signature whose creation time plus that period is not after it is refused, as gpg reports
//! an expired signature (`EXPSIG`) to git.

use std::io::Cursor;

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey, SignedPublicSubKey};
use pgp::packet::{RevocationCode, Signature, SignatureType};
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
    /// When the signature says it was made.
    pub signed_at: Instant,
}

/// An instant, in seconds since the Unix epoch, as `OpenPGP` records times; shown in RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub u64);

impl std::fmt::Display for Instant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match i64::try_from(self.0)
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
        {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "{} seconds after the Unix epoch", self.0),
        }
    }
}

/// Why a key was revoked, as its revocation signature says (RFC 9580 5.2.3.31).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// No reason given (or no reason subpacket): a hard revocation.
    Unspecified,
    /// The key was superseded: a soft revocation.
    Superseded,
    /// The key material was compromised: a hard revocation.
    Compromised,
    /// The key is retired: a soft revocation.
    Retired,
    /// Another code (a user-id code or a private one), read as a hard revocation.
    Other(u8),
}

impl RevocationReason {
    fn of(sig: &Signature) -> Self {
        match sig.revocation_reason_code() {
            None | Some(RevocationCode::NoReason) => Self::Unspecified,
            Some(RevocationCode::KeySuperseded) => Self::Superseded,
            Some(RevocationCode::KeyCompromised) => Self::Compromised,
            Some(RevocationCode::KeyRetired) => Self::Retired,
            Some(other) => Self::Other(u8::from(*other)),
        }
    }

    /// Whether the revocation leaves the signatures made before it valid.
    #[must_use]
    pub fn is_soft(self) -> bool {
        matches!(self, Self::Superseded | Self::Retired)
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unspecified => f.write_str("no reason given, so every signature by it is refused"),
            Self::Superseded => f.write_str("key superseded"),
            Self::Compromised => f.write_str("key compromised, so every signature by it is refused"),
            Self::Retired => f.write_str("key retired"),
            Self::Other(code) => write!(f, "reason code {code}, so every signature by it is refused"),
        }
    }
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
    /// The issuing key (or the primary key of the issuing subkey) is revoked: by a hard revocation, or by
    /// a soft one made at or before the signature.
    #[error(
        "the key {fingerprint} was revoked at {revoked_at} ({reason}); the signature was made at {signed_at}"
    )]
    Revoked {
        /// The revoked key.
        fingerprint: String,
        /// Why, as the revocation says.
        reason: RevocationReason,
        /// When the revocation was made.
        revoked_at: Instant,
        /// When the signature was made.
        signed_at: Instant,
    },
    /// The issuing key (or the primary key of the issuing subkey) had expired when the signature was made.
    #[error(
        "the key {fingerprint} expired at {expired_at}, before the signature was made at {signed_at}: a key \
         signs nothing after its expiry"
    )]
    Expired {
        /// The expired key.
        fingerprint: String,
        /// When it expired (its creation time plus the key expiration time of its binding then in force).
        expired_at: Instant,
        /// When the signature was made.
        signed_at: Instant,
    },
    /// The signature's own expiration time (RFC 9580 5.2.3.18) had passed at the time of judgement.
    #[error(
        "the OpenPGP signature by {fingerprint}, made at {signed_at}, expired at {expired_at}, before the \
         time of judgement {judged_at}: a signature is not accepted after its own expiration time; sign \
         the commit again"
    )]
    SignatureExpired {
        /// The signing key.
        fingerprint: String,
        /// When the signature was made.
        signed_at: Instant,
        /// When it expired (its creation time plus its signature expiration time).
        expired_at: Instant,
        /// The time it was judged at.
        judged_at: Instant,
    },
    /// The signature claims a time before the key was created.
    #[error(
        "the signature was made at {signed_at}, before the key {fingerprint} was created at {created_at}"
    )]
    BeforeKeyCreation {
        /// The key.
        fingerprint: String,
        /// When the signature was made.
        signed_at: Instant,
        /// When the key was created.
        created_at: Instant,
    },
    /// No self-signature binds the key.
    #[error("no self-signature binds the key {fingerprint}")]
    Unbound {
        /// The key.
        fingerprint: String,
    },
    /// The issuing subkey's binding in force at the signature's time does not allow signing.
    #[error("the subkey {fingerprint} is not bound for signing (its key flags lack the signing flag)")]
    NotForSigning {
        /// The subkey.
        fingerprint: String,
    },
    /// The signature has no creation time.
    #[error("the OpenPGP signature by {fingerprint} records no creation time")]
    NoCreationTime {
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

/// A key of the keyring the signature names: its fingerprint, the subkey (none for the primary key) and
/// whether the signature verifies with it.
type Candidate<'k> = (
    String,
    Option<&'k SignedPublicSubKey>,
    Result<(), pgp::errors::Error>,
);

/// When a signature was made, if it says.
fn created(sig: &Signature) -> Option<Instant> {
    sig.created().map(|t| Instant(u64::from(t.as_secs())))
}

/// The newest of `sigs` made at or before `at`; when none was made by then, the earliest of them all.
///
/// The fallback is for keys whose publisher kept only a newer self-signature (gpg drops the one an
/// expiry change replaces): the earliest binding left speaks for the key's earlier life, its expiry being
/// counted from the key's creation time like any other.
fn in_force<'s>(sigs: impl Iterator<Item = &'s Signature>, at: Instant) -> Option<&'s Signature> {
    let mut newest: Option<(Instant, &Signature)> = None;
    let mut earliest: Option<(Instant, &Signature)> = None;
    for sig in sigs {
        let Some(t) = created(sig) else { continue };
        if earliest.is_none_or(|(e, _)| t < e) {
            earliest = Some((t, sig));
        }
        if t <= at && newest.is_none_or(|(n, _)| t >= n) {
            newest = Some((t, sig));
        }
    }
    newest.or(earliest).map(|(_, s)| s)
}

/// The revocation among `sigs` (already verified) that refuses a signature made at `at`, if any.
fn revocation_at<'s>(
    sigs: impl Iterator<Item = &'s Signature>,
    at: Instant,
) -> Option<(RevocationReason, Instant)> {
    sigs.filter_map(|sig| {
        let reason = RevocationReason::of(sig);
        let revoked_at = created(sig).unwrap_or(Instant(0));
        (!reason.is_soft() || revoked_at <= at).then_some((reason, revoked_at))
    })
    .min_by_key(|(_, t)| *t)
}

/// The key expiry a binding sets, if any: the key's creation time plus its key expiration time (absent or
/// zero: never).
fn expiry(created_at: Instant, binding: &Signature) -> Option<Instant> {
    binding
        .key_expiration_time()
        .map(|d| u64::from(d.as_secs()))
        .filter(|&d| d > 0)
        .map(|d| Instant(created_at.0.saturating_add(d)))
}

/// Checks the key at `at`: created by then, bound (the binding in force then, see [`in_force`]), and not
/// expired by then.
fn bound_at<'s>(
    fingerprint: &str,
    created_at: Instant,
    bindings: impl Iterator<Item = &'s Signature>,
    at: Instant,
) -> Result<&'s Signature, PgpError> {
    if at < created_at {
        return Err(PgpError::BeforeKeyCreation {
            fingerprint: fingerprint.to_owned(),
            signed_at: at,
            created_at,
        });
    }
    let binding = in_force(bindings, at).ok_or_else(|| PgpError::Unbound {
        fingerprint: fingerprint.to_owned(),
    })?;
    if let Some(expired_at) = expiry(created_at, binding).filter(|&e| e <= at) {
        return Err(PgpError::Expired {
            fingerprint: fingerprint.to_owned(),
            expired_at,
            signed_at: at,
        });
    }
    Ok(binding)
}

fn key_created(key: &impl KeyDetails) -> Instant {
    Instant(u64::from(key.created_at().as_secs()))
}

/// Whether the issuing key (the primary key, or `subkey` of it) was valid at `at`: not revoked then, bound
/// then, not expired then, and a subkey bound for signing. Every signature read here has been verified by
/// `verify_bindings`.
fn valid_at(
    key: &SignedPublicKey,
    subkey: Option<&SignedPublicSubKey>,
    fingerprint: &str,
    primary_hex: &str,
    at: Instant,
) -> Result<(), PgpError> {
    let revoked = |fingerprint: &str, (reason, revoked_at): (RevocationReason, Instant)| PgpError::Revoked {
        fingerprint: fingerprint.to_owned(),
        reason,
        revoked_at,
        signed_at: at,
    };
    let primary_revocations = key
        .details
        .revocation_signatures
        .iter()
        .filter(|s| s.typ() == Some(SignatureType::KeyRevocation));
    if let Some(r) = revocation_at(primary_revocations, at) {
        return Err(revoked(primary_hex, r));
    }
    let self_signatures = key
        .details
        .direct_signatures
        .iter()
        .filter(|s| s.typ() == Some(SignatureType::Key))
        .chain(
            key.details
                .users
                .iter()
                .flat_map(|u| u.signatures.iter())
                .filter(|s| s.is_certification() && s.typ() != Some(SignatureType::CertRevocation)),
        );
    bound_at(primary_hex, key_created(&key.primary_key), self_signatures, at)?;
    if let Some(sub) = subkey {
        let revocations = sub
            .signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
        if let Some(r) = revocation_at(revocations, at) {
            return Err(revoked(fingerprint, r));
        }
        let bindings = sub
            .signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding));
        let binding = bound_at(fingerprint, key_created(&sub.key), bindings, at)?;
        if !binding.key_flags().sign() {
            return Err(PgpError::NotForSigning {
                fingerprint: fingerprint.to_owned(),
            });
        }
    }
    Ok(())
}

/// Whether a user id had been revoked at `at`: its newest self-signature made by then is a revocation.
fn uid_revoked_at(signatures: &[Signature], at: Instant) -> bool {
    in_force(signatures.iter(), at).is_some_and(|s| s.typ() == Some(SignatureType::CertRevocation))
}

/// When a signature expires, if it does: its creation time plus its signature expiration time (absent or
/// zero: never).
fn signature_expiry(signed_at: Instant, sig: &Signature) -> Option<Instant> {
    sig.signature_expiration_time()
        .map(|d| u64::from(d.as_secs()))
        .filter(|&d| d > 0)
        .map(|d| Instant(signed_at.0.saturating_add(d)))
}

/// Verifies an armoured `OpenPGP` signature over `signed` and matches the key's user ids to `email`; the
/// signature's own expiration time is judged at `judged_at`, the key's validity at the signature's time.
pub fn verify_pgp(
    armored: &[u8],
    signed: &[u8],
    keyring: &Keyring,
    email: &str,
    judged_at: Instant,
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
        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        if names(primary_fp.as_bytes(), key.primary_key.legacy_key_id().as_ref()) {
            candidates.push((primary_hex.clone(), None, sig.verify(&key.primary_key, signed)));
        }
        for sub in &key.public_subkeys {
            let fp = sub.key.fingerprint();
            if names(fp.as_bytes(), sub.key.legacy_key_id().as_ref()) {
                candidates.push((hex_upper(fp.as_bytes()), Some(sub), sig.verify(&sub.key, signed)));
            }
        }
        let Some((fingerprint, subkey, outcome)) = candidates.into_iter().next() else {
            continue;
        };
        key.verify_bindings().map_err(|e| PgpError::BadKey {
            fingerprint: primary_hex.clone(),
            reason: e.to_string(),
        })?;
        outcome.map_err(|_| PgpError::BadSignature {
            fingerprint: fingerprint.clone(),
        })?;
        let signed_at = created(&sig.signature).ok_or_else(|| PgpError::NoCreationTime {
            fingerprint: fingerprint.clone(),
        })?;
        if let Some(expired_at) = signature_expiry(signed_at, &sig.signature).filter(|&e| e <= judged_at) {
            return Err(PgpError::SignatureExpired {
                fingerprint,
                signed_at,
                expired_at,
                judged_at,
            });
        }
        valid_at(key, subkey, &fingerprint, &primary_hex, signed_at)?;
        let user_id = key
            .details
            .users
            .iter()
            .filter(|u| !uid_revoked_at(&u.signatures, signed_at))
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
            signed_at,
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
