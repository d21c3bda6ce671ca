//! Readers that verify what they stream.

use std::io::{self, Read};

use provenant_digest::{Digest, Hasher};

use crate::StoreError;

/// Wraps a reader of content requested by digest: hashes everything read and, at the end of the stream,
/// fails with [`StoreError::DigestMismatch`] or [`StoreError::SizeMismatch`] (inside an `io::Error`)
/// unless the content is exactly what was asked for. Reading more than the expected size fails at once.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Digest,
    expected_size: Option<u64>,
    limit: u64,
    read: u64,
    verified: bool,
    what: String,
    location: String,
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies `inner` against `expected` (and `expected_size` when known); never reads more than
    /// `limit` bytes.
    pub fn new(
        inner: R,
        expected: Digest,
        expected_size: Option<u64>,
        limit: u64,
        what: String,
        location: String,
    ) -> VerifyingReader<R> {
        VerifyingReader {
            inner,
            hasher: Some(Hasher::new(expected.algorithm())),
            expected,
            expected_size,
            limit: expected_size.map_or(limit, |s| s.min(limit)),
            read: 0,
            verified: false,
            what,
            location,
        }
    }

    fn fail(e: StoreError) -> io::Error {
        io::Error::other(e)
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(hasher) = self.hasher.as_mut() else {
            return if self.verified {
                Ok(0)
            } else {
                Err(io::Error::other("stream already failed verification"))
            };
        };
        // Read up to one byte past the limit, so that overlong content is detected.
        let room = self.limit.saturating_add(1).saturating_sub(self.read);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX)).max(1);
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            let actual = self.hasher.take().map(Hasher::finish);
            if let Some(size) = self.expected_size.filter(|s| *s != self.read) {
                return Err(Self::fail(StoreError::SizeMismatch {
                    what: self.what.clone(),
                    location: self.location.clone(),
                    expected: size,
                    actual: self.read,
                }));
            }
            if let Some(actual) = actual
                && actual != self.expected
            {
                return Err(Self::fail(StoreError::DigestMismatch {
                    what: self.what.clone(),
                    location: self.location.clone(),
                    expected: self.expected,
                    actual,
                }));
            }
            self.verified = true;
            return Ok(0);
        }
        self.read += n as u64;
        if self.read > self.limit {
            self.hasher = None;
            let e = match self.expected_size {
                Some(expected) => StoreError::SizeMismatch {
                    what: self.what.clone(),
                    location: self.location.clone(),
                    expected,
                    actual: self.read,
                },
                None => StoreError::TooLarge {
                    what: self.what.clone(),
                    location: self.location.clone(),
                    limit: self.limit,
                },
            };
            return Err(Self::fail(e));
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        if self.expected_size == Some(self.read) {
            // All the announced bytes are here: verify now, before handing out the last of them, so
            // that a consumer that stops at the announced length (an HTTP upload) never passes on
            // unverified content.
            let actual = self.hasher.take().map(Hasher::finish);
            if let Some(actual) = actual.filter(|a| *a != self.expected) {
                return Err(Self::fail(StoreError::DigestMismatch {
                    what: self.what.clone(),
                    location: self.location.clone(),
                    expected: self.expected,
                    actual,
                }));
            }
            self.verified = true;
        }
        Ok(n)
    }
}

/// Reads a whole verified stream into memory (for manifests and other small content).
pub fn read_verified<R: Read>(mut reader: VerifyingReader<R>, action: &str) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| StoreError::from_io(action, e))?;
    Ok(out)
}
