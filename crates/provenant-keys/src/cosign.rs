//! cosign's encrypted private key files.
//!
//! `cosign generate-key-pair` writes a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` whose body
//! is this JSON document:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64, 32 bytes>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64, 24 bytes>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! The 32-byte secretbox key is `scrypt(password, salt, N, r, p)`, and the ciphertext is the `NaCl`
//! secretbox (XSalsa20-Poly1305) of the PKCS#8 DER private key. Reading accepts what cosign writes
//! (and refuses unknown KDF or cipher names and implausible parameters); writing uses cosign's own
//! parameters, so cosign opens our files and we open cosign's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use zeroize::Zeroizing;

use crate::key::{KeyError, SigningKey};
use crate::pem::{PemError, pem_decode, pem_encode};

/// The PEM label of a cosign encrypted private key.
pub const PEM_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";

/// scrypt cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    /// CPU/memory cost, a power of two.
    #[serde(rename = "N")]
    pub n: u64,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// What cosign writes (N = 2^16, r = 8, p = 1).
    pub const COSIGN: KdfParams = KdfParams {
        n: 1 << 16,
        r: 8,
        p: 1,
    };
    /// Cheap parameters for tests and examples only; never for keys that protect anything.
    pub const TEST_ONLY_FAST: KdfParams = KdfParams {
        n: 1 << 10,
        r: 8,
        p: 1,
    };
}

/// Why a cosign key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosignKeyError {
    /// The PEM could not be read.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// The PEM block is not an encrypted sigstore key.
    #[error("PEM block is {found:?}, expected {PEM_LABEL:?}")]
    WrongLabel {
        /// The label found.
        found: String,
    },
    /// The JSON inside is malformed; `field` names what is wrong.
    #[error("malformed encrypted key: {field}")]
    Malformed {
        /// The offending field or the JSON error position.
        field: String,
    },
    /// A KDF or cipher other than scrypt / nacl/secretbox.
    #[error("unsupported {what} {name:?} (cosign keys use scrypt and nacl/secretbox)")]
    Unsupported {
        /// "kdf" or "cipher".
        what: &'static str,
        /// The name found.
        name: String,
    },
    /// scrypt parameters outside what any real key uses (and what could exhaust memory).
    #[error("scrypt parameters N={n} r={r} p={p} are out of bounds")]
    KdfBounds {
        /// N.
        n: u64,
        /// r.
        r: u32,
        /// p.
        p: u32,
    },
    /// The secretbox did not authenticate: the password is wrong or the file was altered.
    #[error("cannot decrypt the key: wrong password or corrupted key file")]
    Decrypt,
    /// Encryption failed.
    #[error("cannot encrypt the key")]
    Encrypt,
    /// The decrypted key is not a supported private key.
    #[error(transparent)]
    Key(#[from] KeyError),
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    name: String,
    params: KdfParams,
    salt: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Most memory scrypt may use for a key file (128·N·r bytes): four times what cosign's own parameters
/// need (64 MiB).
pub const MAX_KDF_MEMORY: u64 = 256 << 20;
/// Most work scrypt may do for a key file (N·r·p block mixes): eight times cosign's.
pub const MAX_KDF_WORK: u64 = 1 << 22;

/// Checks scrypt parameters before anything is allocated for them: N a power of two from 2^10 to
/// 2^20, 1 ≤ r ≤ 32, 1 ≤ p ≤ 16, memory 128·N·r at most [`MAX_KDF_MEMORY`] and work N·r·p at most
/// [`MAX_KDF_WORK`]. Returns log2(N).
fn check_params(params: KdfParams) -> Result<u8, CosignKeyError> {
    let bounds = CosignKeyError::KdfBounds {
        n: params.n,
        r: params.r,
        p: params.p,
    };
    let (r, p) = (u64::from(params.r), u64::from(params.p));
    let plausible = params.n.is_power_of_two()
        && (1 << 10..=1 << 20).contains(&params.n)
        && (1..=32).contains(&r)
        && (1..=16).contains(&p);
    // With the ranges above these products cannot overflow.
    if !plausible || 128 * params.n * r > MAX_KDF_MEMORY || params.n * r * p > MAX_KDF_WORK {
        return Err(bounds);
    }
    u8::try_from(params.n.trailing_zeros()).map_err(|_| bounds)
}

fn derive_key(
    password: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, CosignKeyError> {
    let log_n = check_params(params)?;
    let scrypt_params =
        scrypt::Params::new(log_n, params.r, params.p, 32).map_err(|_| CosignKeyError::KdfBounds {
            n: params.n,
            r: params.r,
            p: params.p,
        })?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &scrypt_params, key.as_mut_slice())
        .map_err(|_| CosignKeyError::Malformed { field: "kdf".into() })?;
    Ok(key)
}

fn b64(field: &str, value: &str) -> Result<Vec<u8>, CosignKeyError> {
    BASE64.decode(value).map_err(|_| CosignKeyError::Malformed {
        field: format!("{field} is not base64"),
    })
}

/// Decrypts a cosign `ENCRYPTED SIGSTORE PRIVATE KEY` PEM with `password`.
pub fn decrypt(pem: &str, password: &[u8]) -> Result<SigningKey, CosignKeyError> {
    let plaintext = decrypt_secret(pem, PEM_LABEL, password)?;
    Ok(SigningKey::from_der(&plaintext)?)
}

/// Decrypts a PEM block labelled `label` in cosign's encrypted format (any secret, not only a PKCS#8
/// key: the ledger's note keys use it) with `password`.
pub fn decrypt_secret(pem: &str, label: &str, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, CosignKeyError> {
    let (found_label, body) = pem_decode(pem)?;
    if found_label != label {
        return Err(CosignKeyError::WrongLabel { found: found_label });
    }
    let file: File = serde_json::from_slice(&body).map_err(|e| CosignKeyError::Malformed {
        field: format!("JSON: {e}"),
    })?;
    if file.kdf.name != "scrypt" {
        return Err(CosignKeyError::Unsupported {
            what: "kdf",
            name: file.kdf.name,
        });
    }
    if file.cipher.name != "nacl/secretbox" {
        return Err(CosignKeyError::Unsupported {
            what: "cipher",
            name: file.cipher.name,
        });
    }
    // Hostile cost parameters are refused before anything else is decoded or allocated.
    check_params(file.kdf.params)?;
    let salt = b64("kdf.salt", &file.kdf.salt)?;
    let nonce = b64("cipher.nonce", &file.cipher.nonce)?;
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| CosignKeyError::Malformed {
        field: "cipher.nonce must be 24 bytes".into(),
    })?;
    let ciphertext = b64("ciphertext", &file.ciphertext)?;
    let key = derive_key(password, &salt, file.kdf.params)?;
    let cipher = XSalsa20Poly1305::new(&(*key).into());
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(&nonce.into(), ciphertext.as_slice())
            .map_err(|_| CosignKeyError::Decrypt)?,
    );
    Ok(plaintext)
}

/// Encrypts `key` into a cosign `ENCRYPTED SIGSTORE PRIVATE KEY` PEM under `password`, with a fresh
/// random salt and nonce.
pub fn encrypt(key: &SigningKey, password: &[u8], params: &KdfParams) -> Result<String, CosignKeyError> {
    encrypt_secret(key.pkcs8_der(), PEM_LABEL, password, params)
}

/// Encrypts `secret` into a PEM block labelled `label` in cosign's encrypted format under `password`,
/// with a fresh random salt and nonce.
pub fn encrypt_secret(
    secret: &[u8],
    label: &str,
    password: &[u8],
    params: &KdfParams,
) -> Result<String, CosignKeyError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    rng.fill(&mut salt).map_err(|_| CosignKeyError::Encrypt)?;
    rng.fill(&mut nonce).map_err(|_| CosignKeyError::Encrypt)?;
    let derived = derive_key(password, &salt, *params)?;
    let cipher = XSalsa20Poly1305::new(&(*derived).into());
    let ciphertext = cipher
        .encrypt(&nonce.into(), secret)
        .map_err(|_| CosignKeyError::Encrypt)?;
    let file = File {
        kdf: Kdf {
            name: "scrypt".into(),
            params: *params,
            salt: BASE64.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: BASE64.encode(nonce),
        },
        ciphertext: BASE64.encode(ciphertext),
    };
    let json = serde_json::to_vec(&file).map_err(|_| CosignKeyError::Encrypt)?;
    Ok(pem_encode(label, &json))
}
