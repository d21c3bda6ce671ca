use std::fmt;
use std::str::FromStr;

/// A hash algorithm Provenant accepts for content digests.
///
/// Only the SHA-2 family members that the OCI image specification registers are accepted; anything
/// else is refused at parse time rather than carried around unverifiable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, 32-byte output; the default everywhere.
    Sha256,
    /// SHA-512, 64-byte output.
    Sha512,
}

/// The algorithm name in a digest or on the command line is not one Provenant supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown digest algorithm {name:?}: expected sha256 or sha512")]
pub struct UnknownAlgorithm {
    /// The name that was given, truncated to 32 characters.
    pub name: String,
}

impl Algorithm {
    /// Every supported algorithm, in a stable order.
    pub const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];

    /// The registered name used before the `:` of a digest (`sha256`, `sha512`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Output length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// Output length in lowercase hex characters.
    #[must_use]
    pub const fn hex_len(self) -> usize {
        self.output_len() * 2
    }

    /// The algorithm whose hex output has `len` characters, if any: used to read coreutils-style
    /// checksum lists, which carry no algorithm name.
    #[must_use]
    pub fn from_hex_len(len: usize) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.hex_len() == len)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            other => Err(UnknownAlgorithm {
                name: other.chars().take(32).collect(),
            }),
        }
    }
}
