use std::cmp::Ordering;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

use subtle::ConstantTimeEq;

use crate::algorithm::{Algorithm, UnknownAlgorithm};

/// Longest output of any supported algorithm.
const MAX_LEN: usize = 64;

/// A content digest: an [`Algorithm`] and its output.
///
/// It has exactly one textual form, the OCI one: `<algorithm>:<lowercase hex>`. [`Display`](fmt::Display)
/// prints it and [`FromStr`] accepts only it. Serde uses the same string.
///
/// Equality compares in constant time, so a digest can be checked against an attacker-supplied value
/// without leaking how many leading bytes matched. Ordering (used to sort documents deterministically)
/// is not constant-time.
#[derive(Clone, Copy)]
pub struct Digest {
    algorithm: Algorithm,
    bytes: [u8; MAX_LEN],
}

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// There is no `:` between the algorithm and the hex.
    #[error("digest has no ':' between algorithm and hex (expected e.g. sha256:<64 hex>)")]
    MissingSeparator,
    /// The algorithm is not supported.
    #[error(transparent)]
    UnknownAlgorithm(#[from] UnknownAlgorithm),
    /// The hex part has the wrong number of characters for the algorithm.
    #[error("{algorithm} digest must have {expected} hex characters, found {actual}")]
    WrongLength {
        /// The algorithm named before the `:`.
        algorithm: Algorithm,
        /// Hex characters that algorithm produces.
        expected: usize,
        /// Hex characters found.
        actual: usize,
    },
    /// A character is not lowercase hex (`0-9a-f`); uppercase is refused so that every digest has a
    /// single spelling.
    #[error("{algorithm} digest has {found:?} at hex position {position}: only lowercase 0-9a-f is allowed")]
    InvalidHex {
        /// The algorithm named before the `:`.
        algorithm: Algorithm,
        /// Zero-based index into the hex part.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The byte slice given to [`Digest::from_bytes`] has the wrong length.
    #[error("{algorithm} digest must be {expected} bytes, got {actual}")]
    WrongByteLength {
        /// The algorithm requested.
        algorithm: Algorithm,
        /// Bytes that algorithm produces.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
}

/// A digest did not match the one expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("digest mismatch: expected {expected}, got {actual}")]
pub struct Mismatch {
    /// The digest that was required.
    pub expected: Digest,
    /// The digest that was computed.
    pub actual: Digest,
}

impl Digest {
    /// Builds a digest from raw output bytes.
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Digest, ParseError> {
        let expected = algorithm.output_len();
        if bytes.len() != expected {
            return Err(ParseError::WrongByteLength {
                algorithm,
                expected,
                actual: bytes.len(),
            });
        }
        let mut out = [0u8; MAX_LEN];
        out.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
        Ok(Digest {
            algorithm,
            bytes: out,
        })
    }

    /// Parses the hex part alone for a known algorithm (as found in in-toto digest maps and
    /// coreutils checksum lists).
    pub fn from_hex(algorithm: Algorithm, hex: &str) -> Result<Digest, ParseError> {
        let expected = algorithm.hex_len();
        let actual = hex.chars().count();
        if actual != expected || hex.len() != expected {
            return Err(ParseError::WrongLength {
                algorithm,
                expected,
                actual,
            });
        }
        if let Some((position, found)) = hex
            .char_indices()
            .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(ParseError::InvalidHex {
                algorithm,
                position,
                found,
            });
        }
        let mut out = [0u8; MAX_LEN];
        for (dst, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            if let [hi, lo] = pair {
                *dst = (nibble(*hi) << 4) | nibble(*lo);
            }
        }
        Ok(Digest {
            algorithm,
            bytes: out,
        })
    }

    /// The all-zero digest of an algorithm; never the digest of real content in practice.
    #[must_use]
    pub(crate) fn zero(algorithm: Algorithm) -> Digest {
        Digest {
            algorithm,
            bytes: [0u8; MAX_LEN],
        }
    }

    /// The algorithm that produced this digest.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw output bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..self.algorithm.output_len())
            .unwrap_or(&self.bytes)
    }

    /// The lowercase hex of the output, without the algorithm prefix.
    #[must_use]
    pub fn hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// Checks that this (computed) digest equals `expected`, in constant time.
    // A mismatch carries both digests by value (130 bytes); it is the cold path and callers want the
    // values, so boxing would only add an allocation.
    #[allow(clippy::result_large_err)]
    pub fn verify(&self, expected: &Digest) -> Result<(), Mismatch> {
        if self == expected {
            Ok(())
        } else {
            Err(Mismatch {
                expected: *expected,
                actual: *self,
            })
        }
    }
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0,
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && bool::from(self.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Eq for Digest {}

impl Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.algorithm.hash(state);
        state.write(self.as_bytes());
    }
}

impl PartialOrd for Digest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Digest {
    fn cmp(&self, other: &Self) -> Ordering {
        self.algorithm
            .name()
            .cmp(other.algorithm.name())
            .then_with(|| self.as_bytes().cmp(other.as_bytes()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, hex) = s.split_once(':').ok_or(ParseError::MissingSeparator)?;
        let algorithm: Algorithm = name.parse()?;
        Digest::from_hex(algorithm, hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest such as sha256:<64 lowercase hex>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}
