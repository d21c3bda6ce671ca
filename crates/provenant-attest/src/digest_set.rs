//! [`DigestSet`]: the `digest` map of an in-toto `ResourceDescriptor`, typed.

use std::collections::BTreeMap;

use provenant_digest::{Algorithm, Digest};
use serde::{Deserialize, Serialize};

/// Digest algorithm names of the in-toto `DigestSet` specification, with the hex lengths their values
/// must have. Where the list of lengths is empty, the value is not checked beyond being non-empty, as
/// the specification's reference validator does not check it either; names not listed here (custom
/// algorithms) are accepted likewise.
pub const KNOWN_ALGORITHMS: [(&str, &[usize]); 24] = [
    ("sha224", &[56]),
    ("sha256", &[64]),
    ("sha384", &[96]),
    ("sha512", &[128]),
    ("sha512_224", &[56]),
    ("sha512_256", &[64]),
    ("sha3_224", &[56]),
    ("sha3_256", &[64]),
    ("sha3_384", &[96]),
    ("sha3_512", &[128]),
    ("shake128", &[]),
    ("shake256", &[]),
    ("blake2b", &[]),
    ("blake2s", &[]),
    ("ripemd160", &[]),
    ("sm3", &[]),
    ("gost", &[]),
    ("sha1", &[40]),
    ("md5", &[32]),
    ("dirHash", &[64]),
    ("gitCommit", &[40, 64]),
    ("gitTree", &[40, 64]),
    ("gitBlob", &[40, 64]),
    ("gitTag", &[40, 64]),
];

/// Why a digest value is not acceptable for its algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestSetError {
    /// The value is empty.
    #[error("digest value is empty")]
    Empty,
    /// A known algorithm's value is not lowercase hex.
    #[error("digest is not lowercase hex")]
    NotLowercaseHex,
    /// A known algorithm's value has the wrong number of hex digits.
    #[error("digest has the wrong length for its algorithm")]
    WrongLength,
}

/// An in-toto `DigestSet`: algorithm name to value, sorted by name.
///
/// Values of the hash algorithms whose length [`KNOWN_ALGORITHMS`] gives must be lowercase hex of that
/// length; other algorithms, custom ones included, need a non-empty value. A subject needs a non-empty set (checked by [`crate::Statement::validate`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DigestSet(BTreeMap<String, String>);

impl DigestSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> DigestSet {
        DigestSet(BTreeMap::new())
    }

    /// The set holding `digest` alone.
    #[must_use]
    pub fn from_digest(digest: &Digest) -> DigestSet {
        let mut set = DigestSet::new();
        set.insert_digest(digest);
        set
    }

    /// Adds (or replaces) a typed digest.
    pub fn insert_digest(&mut self, digest: &Digest) {
        self.0.insert(digest.algorithm().name().to_owned(), digest.hex());
    }

    /// Adds (or replaces) a digest by algorithm name, checked as [`DigestSet::check`] does.
    pub fn insert(
        &mut self,
        algorithm: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), DigestSetError> {
        let (algorithm, value) = (algorithm.into(), value.into());
        DigestSet::check(&algorithm, &value)?;
        self.0.insert(algorithm, value);
        Ok(())
    }

    /// Whether `value` is acceptable for `algorithm`.
    pub fn check(algorithm: &str, value: &str) -> Result<(), DigestSetError> {
        if value.is_empty() {
            return Err(DigestSetError::Empty);
        }
        let lengths = KNOWN_ALGORITHMS
            .iter()
            .find(|(name, _)| *name == algorithm)
            .map_or(&[][..], |(_, lengths)| *lengths);
        if lengths.is_empty() {
            return Ok(());
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestSetError::NotLowercaseHex);
        }
        if !lengths.contains(&value.len()) {
            return Err(DigestSetError::WrongLength);
        }
        Ok(())
    }

    /// The value recorded for `algorithm`.
    #[must_use]
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0.get(algorithm).map(String::as_str)
    }

    /// Whether the set records `digest` (same algorithm, same value).
    #[must_use]
    pub fn matches(&self, digest: &Digest) -> bool {
        self.get(digest.algorithm().name())
            .and_then(|hex| Digest::from_hex(digest.algorithm(), hex).ok())
            .is_some_and(|d| d == *digest)
    }

    /// The digests of the set that Provenant computes, typed.
    #[must_use]
    pub fn digests(&self) -> Vec<Digest> {
        Algorithm::ALL
            .iter()
            .filter_map(|a| self.get(a.name()).and_then(|hex| Digest::from_hex(*a, hex).ok()))
            .collect()
    }

    /// (algorithm, value) pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(a, v)| (a.as_str(), v.as_str()))
    }

    /// Number of digests.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set has no digest.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl DigestSet {
    /// Whether the set records a value for `algorithm`.
    #[must_use]
    pub fn contains_key(&self, algorithm: &str) -> bool {
        self.0.contains_key(algorithm)
    }

    /// Adds (or replaces) a value without checking it: for readers that check the set as a whole
    /// afterwards with their own rules (SLSA's stricter algorithm list), naming the field.
    pub fn insert_unchecked(&mut self, algorithm: impl Into<String>, value: impl Into<String>) {
        self.0.insert(algorithm.into(), value.into());
    }
}

impl<'a> IntoIterator for &'a DigestSet {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<(String, String)> for DigestSet {
    /// Collects pairs unchecked, as [`DigestSet::insert_unchecked`].
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> DigestSet {
        DigestSet(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, String); N]> for DigestSet {
    fn from(pairs: [(String, String); N]) -> DigestSet {
        pairs.into_iter().collect()
    }
}

impl From<&Digest> for DigestSet {
    fn from(digest: &Digest) -> DigestSet {
        DigestSet::from_digest(digest)
    }
}
