//! The C2SP tlog-checkpoint body: `origin\nsize\nbase64(root)\n` followed by optional extension lines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::{Hash, HashError};

/// Largest checkpoint body read.
pub const MAX_CHECKPOINT_BYTES: usize = 64 << 10;

/// A checkpoint: the log's origin, its size and root hash, and any extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its name, by convention a schema-less URL).
    pub origin: String,
    /// Leaves in the tree.
    pub size: u64,
    /// The root hash's bytes (32 for this ledger; other logs may use other lengths).
    pub root_hash: Vec<u8>,
    /// Everything after the root hash line, kept as is (extension lines, each ending in a newline).
    pub rest: String,
}

/// Why bytes are not a checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Larger than [`MAX_CHECKPOINT_BYTES`].
    #[error("checkpoint is larger than {MAX_CHECKPOINT_BYTES} bytes")]
    TooLarge,
    /// Not UTF-8.
    #[error("checkpoint is not UTF-8 text")]
    NotUtf8,
    /// The body does not end in a newline.
    #[error("checkpoint does not end with a newline")]
    NoFinalNewline,
    /// Fewer than three lines.
    #[error("checkpoint has fewer than the three lines origin, size and root hash")]
    MissingLines,
    /// The origin line is empty.
    #[error("checkpoint origin (line 1) is empty")]
    EmptyOrigin,
    /// The size line is not a decimal number that fits 64 bits.
    #[error("checkpoint size (line 2) is not a decimal number of at most 64 bits")]
    BadSize,
    /// The root hash line is not base64.
    #[error("checkpoint root hash (line 3) is not base64")]
    BadRootHash,
    /// The root hash is not a SHA-256 hash.
    #[error("checkpoint root hash is not a SHA-256 hash: {0}")]
    RootNotSha256(HashError),
}

impl Checkpoint {
    /// A checkpoint of this ledger's tree (no extension lines).
    #[must_use]
    pub fn new(origin: impl Into<String>, size: u64, root: &Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size,
            root_hash: root.0.to_vec(),
            rest: String::new(),
        }
    }

    /// Parses a checkpoint body (the text of its signed note).
    pub fn parse(text: &[u8]) -> Result<Checkpoint, CheckpointError> {
        if text.len() > MAX_CHECKPOINT_BYTES {
            return Err(CheckpointError::TooLarge);
        }
        let text = std::str::from_utf8(text).map_err(|_| CheckpointError::NotUtf8)?;
        if !text.ends_with('\n') {
            return Err(CheckpointError::NoFinalNewline);
        }
        let mut parts = text.splitn(4, '\n');
        let (Some(origin), Some(size), Some(root), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CheckpointError::MissingLines);
        };
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        // Decimal digits only: no sign, no spaces; leading zeros would give two spellings of one size.
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(CheckpointError::BadSize);
        }
        let size: u64 = size.parse().map_err(|_| CheckpointError::BadSize)?;
        let root_hash = BASE64.decode(root).map_err(|_| CheckpointError::BadRootHash)?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root_hash,
            rest: rest.to_owned(),
        })
    }

    /// The body's bytes: exactly what is signed.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "{}\n{}\n{}\n{}",
            self.origin,
            self.size,
            BASE64.encode(&self.root_hash),
            self.rest
        )
        .into_bytes()
    }

    /// The root hash as a SHA-256 tree hash.
    pub fn root(&self) -> Result<Hash, CheckpointError> {
        Hash::from_slice(&self.root_hash).map_err(CheckpointError::RootNotSha256)
    }
}
