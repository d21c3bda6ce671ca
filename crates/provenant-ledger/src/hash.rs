//! RFC 6962/9162 SHA-256 hashing of leaves and interior nodes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

/// Bytes in a hash.
pub const HASH_SIZE: usize = 32;

/// A node hash of the tree (a leaf hash, an interior node or a root).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Why bytes are not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// Not base64.
    #[error("hash is not base64")]
    NotBase64,
    /// Not hex.
    #[error("hash is not hex")]
    NotHex,
    /// Not 32 bytes.
    #[error("hash has {found} bytes where SHA-256 has 32")]
    WrongLength {
        /// Bytes found.
        found: usize,
    },
}

impl Hash {
    /// The root of the empty tree: SHA-256 of nothing.
    pub const EMPTY_ROOT: Hash = Hash(tlog_tiles::EMPTY_HASH.0);

    /// A hash from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, HashError> {
        <[u8; HASH_SIZE]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashError::WrongLength { found: bytes.len() })
    }

    /// A hash from standard base64 (the encoding of checkpoints, proofs and the JSON API).
    pub fn from_base64(text: &str) -> Result<Hash, HashError> {
        let bytes = BASE64.decode(text).map_err(|_| HashError::NotBase64)?;
        Hash::from_slice(&bytes)
    }

    /// A hash from lowercase or uppercase hex.
    pub fn from_hex(text: &str) -> Result<Hash, HashError> {
        if text.len() != 2 * HASH_SIZE {
            return Err(HashError::WrongLength {
                found: text.len() / 2,
            });
        }
        let mut out = [0u8; HASH_SIZE];
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| HashError::NotHex)?;
            let b = u8::from_str_radix(s, 16).map_err(|_| HashError::NotHex)?;
            if let Some(slot) = out.get_mut(i) {
                *slot = b;
            }
        }
        Ok(Hash(out))
    }

    /// Standard base64 with padding.
    #[must_use]
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Lowercase hex.
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub(crate) fn to_tlog(self) -> tlog_tiles::Hash {
        tlog_tiles::Hash(self.0)
    }

    pub(crate) fn from_tlog(h: tlog_tiles::Hash) -> Hash {
        Hash(h.0)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// The leaf hash of an entry: SHA-256(0x00 ‖ entry), over the entry's bytes exactly as appended.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}
