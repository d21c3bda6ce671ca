use std::io;
use std::path::PathBuf;
use std::time::Duration;

use provenant_digest::Digest;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The named blob, manifest or tag does not exist.
    #[error("{what} not found in {location}")]
    NotFound {
        /// What was looked for (`manifest sha256:…`, `tag v1`, `blob sha256:…`).
        what: String,
        /// The store.
        location: String,
    },
    /// Content did not hash to the digest it was requested by.
    #[error("digest mismatch for {what} from {location}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was read.
        what: String,
        /// The store.
        location: String,
        /// The digest requested.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// Content had a different size from its descriptor.
    #[error("size mismatch for {what} from {location}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was read.
        what: String,
        /// The store.
        location: String,
        /// The size announced.
        expected: u64,
        /// The size received (so far, when too long).
        actual: u64,
    },
    /// Content is larger than Provenant accepts for its kind.
    #[error("{what} from {location} is larger than the {limit}-byte limit")]
    TooLarge {
        /// What was read.
        what: String,
        /// The store.
        location: String,
        /// The limit.
        limit: u64,
    },
    /// A file of an image layout could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`cannot read`, `cannot write`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A stream being copied failed.
    #[error("stream error while {action}: {source}")]
    Stream {
        /// What was being done.
        action: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A manifest is malformed or of an unsupported kind.
    #[error("manifest {what} from {location}: {source}")]
    Manifest {
        /// Which manifest.
        what: String,
        /// The store.
        location: String,
        /// Why.
        #[source]
        source: provenant_oci::ManifestError,
    },
    /// A directory is not an OCI image layout Provenant can use.
    #[error("{path} is not a usable OCI image layout: {reason}")]
    Layout {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The registry answered with an error status.
    #[error("{method} {url}: registry answered {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Status {
        /// The HTTP method.
        method: &'static str,
        /// The URL (credentials never appear in it).
        url: String,
        /// The status code.
        status: u16,
        /// The registry's error codes and messages, truncated.
        message: String,
    },
    /// The registry could not be reached, or the connection failed.
    #[error("{method} {url}: {source}")]
    Transport {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The transport error.
        #[source]
        source: TransportError,
    },
    /// The registry let a deadline pass: it did not accept the connection, went silent, or took too
    /// long over the whole request. Never retried.
    #[error("{method} {url}: {deadline}")]
    Timeout {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// Which deadline passed.
        deadline: Deadline,
    },
    /// Authentication failed or was impossible.
    #[error("authentication to {registry} failed: {reason}")]
    Auth {
        /// The registry host.
        registry: String,
        /// Why (never contains a secret).
        reason: String,
    },
    /// The registry sent something that breaks the distribution protocol.
    #[error("{registry} broke the distribution protocol: {reason}")]
    Protocol {
        /// The registry host.
        registry: String,
        /// What was wrong.
        reason: String,
    },
    /// A registry that had taken a monolithic upload answered the next one with an upload session: the
    /// streamed blob was not stored and must be sent again (a transient error: the copy is retried,
    /// then by POST and PUT).
    #[error("{registry} stopped taking monolithic uploads; blob {digest} was not stored and is sent again")]
    MonolithicWithdrawn {
        /// The registry host.
        registry: String,
        /// The blob.
        digest: Digest,
    },
}

/// A deadline of a registry request (see `remote::ClientOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deadline {
    /// No connection (name resolution, TCP, TLS handshake) within this long.
    Connect(Duration),
    /// Nothing was received (or sent) for this long on an open connection.
    Read(Duration),
    /// The whole request took longer than this (plus its time for a blob's bytes).
    Request(Duration),
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Deadline::Connect(d) => write!(
                f,
                "no connection within {} (the connect timeout; raise it with --connect-timeout)",
                Seconds(*d)
            ),
            Deadline::Read(d) => write!(
                f,
                "the registry sent nothing for {} (the read timeout; raise it with --read-timeout)",
                Seconds(*d)
            ),
            Deadline::Request(d) => write!(
                f,
                "the request did not complete within {} (the registry timeout; raise it with --registry-timeout)",
                Seconds(*d)
            ),
        }
    }
}

/// A duration written in seconds (`30 s`, `1.5 s`).
struct Seconds(Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.subsec_nanos() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{} s", self.0.as_secs_f64())
        }
    }
}

impl StoreError {
    /// Whether the error is a [`StoreError::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. })
    }

    /// Whether the registry let a deadline pass.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        match self {
            StoreError::Timeout { .. } => true,
            StoreError::Stream { source, .. } => source
                .get_ref()
                .and_then(|e| e.downcast_ref::<StoreError>())
                .is_some_and(StoreError::is_timeout),
            _ => false,
        }
    }

    /// Whether retrying the whole operation may succeed: connection failures and 429/5xx answers (not
    /// a registry that let a deadline pass).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Transport { .. } | StoreError::MonolithicWithdrawn { .. } => true,
            StoreError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether this error (or the I/O error wrapping it) reports content that failed verification.
    #[must_use]
    pub fn is_integrity(&self) -> bool {
        match self {
            StoreError::DigestMismatch { .. }
            | StoreError::SizeMismatch { .. }
            | StoreError::TooLarge { .. } => true,
            StoreError::Stream { source, .. } => source
                .get_ref()
                .and_then(|e| e.downcast_ref::<StoreError>())
                .is_some_and(StoreError::is_integrity),
            _ => false,
        }
    }

    /// Unwraps a [`StoreError`] carried inside an I/O error (as verifying readers report them).
    #[must_use]
    #[allow(clippy::redundant_closure_for_method_calls)] // the method paths name `dyn Error + Send + Sync` in full
    pub fn from_io(action: impl Into<String>, e: io::Error) -> StoreError {
        if e.get_ref().is_some_and(|inner| inner.is::<StoreError>()) {
            if let Some(Ok(inner)) = e.into_inner().map(|inner| inner.downcast::<StoreError>()) {
                return *inner;
            }
            return StoreError::Stream {
                action: action.into(),
                source: io::Error::other("verification failed"),
            };
        }
        StoreError::Stream {
            action: action.into(),
            source: e,
        }
    }
}

/// A connection, TLS or protocol failure of the HTTP client, wrapped so that the client's own types
/// stay out of this crate's API (its message names the failure, never a header).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransportError(pub(crate) Box<ureq::Error>);
