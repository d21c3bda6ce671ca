//! The admission decision: every image names a digest, and that digest was promoted into the
//! namespace's environment. Fails closed: anything that prevents an answer denies, with the reason.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use provenant_digest::Digest;
use provenant_oci::Reference;

use crate::cache::{Cache, CacheOutcome};
use crate::review::{ContainerImage, ObjectError, Workload};

/// Why a decision came out as it did: the `reason` label of the requests metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Every image was promoted into the environment.
    Promoted,
    /// Nothing to decide (DELETE, CONNECT, no pod spec).
    NotApplicable,
    /// An image names a tag, not a digest.
    Tag,
    /// An image reference cannot be read (or names no image).
    BadReference,
    /// The namespace maps to no environment and there is no default.
    NoEnvironment,
    /// A digest was not promoted into the environment.
    NotPromoted,
    /// The environment is not in the environments file, or names no promote role.
    UnknownEnvironment,
    /// The object cannot be read as its kind.
    MalformedObject,
    /// The ledger cannot be read.
    LedgerUnavailable,
    /// The ledger breaks an invariant (it shrank, or its data is inconsistent).
    LedgerInconsistent,
    /// The decision did not finish within its deadline.
    Timeout,
    /// Anything else that prevented an answer.
    Internal,
}

impl Reason {
    /// Every reason, for the metrics.
    pub const ALL: [Reason; 12] = [
        Reason::Promoted,
        Reason::NotApplicable,
        Reason::Tag,
        Reason::BadReference,
        Reason::NoEnvironment,
        Reason::NotPromoted,
        Reason::UnknownEnvironment,
        Reason::MalformedObject,
        Reason::LedgerUnavailable,
        Reason::LedgerInconsistent,
        Reason::Timeout,
        Reason::Internal,
    ];

    /// The label spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Promoted => "promoted",
            Reason::NotApplicable => "not-applicable",
            Reason::Tag => "tag",
            Reason::BadReference => "bad-reference",
            Reason::NoEnvironment => "no-environment",
            Reason::NotPromoted => "not-promoted",
            Reason::UnknownEnvironment => "unknown-environment",
            Reason::MalformedObject => "malformed-object",
            Reason::LedgerUnavailable => "ledger-unavailable",
            Reason::LedgerInconsistent => "ledger-inconsistent",
            Reason::Timeout => "timeout",
            Reason::Internal => "internal",
        }
    }

    /// Whether this reason allows.
    #[must_use]
    pub fn allows(self) -> bool {
        matches!(self, Reason::Promoted | Reason::NotApplicable)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a promotion lookup found for one digest in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A verified `promoted` record.
    Promoted {
        /// Its ledger index.
        index: u64,
        /// Who signed it.
        signer: String,
    },
    /// No verified `promoted` record; `detail` says what was found instead (refusals, records that
    /// did not verify), for the person reading the denial.
    NotPromoted {
        /// What was found.
        detail: String,
    },
}

/// Why a lookup could not answer. Every variant denies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The ledger cannot be read.
    #[error("the ledger cannot be read")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The ledger breaks an invariant.
    #[error("the ledger is inconsistent")]
    Inconsistent(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The ledger has fewer entries than it had before: an append-only log never shrinks.
    #[error(
        "the ledger has {size} entries, fewer than the {seen} seen before (an append-only log never shrinks)"
    )]
    Shrunk {
        /// Its size now.
        size: u64,
        /// The largest size seen.
        seen: u64,
    },
    /// The environment is not in the environments file.
    #[error("environment {environment} is not in the environments file")]
    UnknownEnvironment {
        /// The environment.
        environment: String,
    },
    /// The environment names no role that may promote into it.
    #[error("environment {environment} names no promote role: no promotion into it can be verified")]
    NoPromoteRole {
        /// The environment.
        environment: String,
    },
    /// The lookup itself failed.
    #[error("the promotion lookup failed")]
    Lookup(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The lookup task ended without an answer.
    #[error("the lookup task ended without an answer")]
    Aborted,
}

impl SourceError {
    /// The metrics reason of this failure.
    #[must_use]
    pub fn reason(&self) -> Reason {
        match self {
            SourceError::Unavailable(_) => Reason::LedgerUnavailable,
            SourceError::Inconsistent(_) | SourceError::Shrunk { .. } => Reason::LedgerInconsistent,
            SourceError::UnknownEnvironment { .. } | SourceError::NoPromoteRole { .. } => {
                Reason::UnknownEnvironment
            }
            SourceError::Lookup(_) | SourceError::Aborted => Reason::Internal,
        }
    }
}

/// Where promotions are looked up: the ledger, with the roles that may promote into each environment.
/// Calls block (they read the ledger); the decider runs them off the async workers.
pub trait PromotionSource: Send + Sync + 'static {
    /// Was `digest` promoted into `environment`?
    fn lookup(&self, digest: &Digest, environment: &str) -> Result<Verdict, SourceError>;
    /// The ledger's size (entries), read to notice growth and health.
    fn ledger_size(&self) -> Result<u64, SourceError>;
}

/// Which environment each namespace deploys to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    /// Namespace → environment.
    pub map: BTreeMap<String, String>,
    /// The environment of every other namespace; without it they are denied.
    pub default: Option<String>,
}

impl Namespaces {
    /// The environment of `namespace`.
    #[must_use]
    pub fn environment(&self, namespace: &str) -> Option<&str> {
        self.map
            .get(namespace)
            .or(self.default.as_ref())
            .map(String::as_str)
    }
}

/// A decision: allowed or denied, why, and the message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The reason (allowed when [`Reason::allows`]).
    pub reason: Reason,
    /// What was decided, naming the container, the image and what is missing.
    pub message: String,
    /// Cache hits and misses of this decision's lookups.
    pub cache_hits: u32,
    /// Lookups that missed the cache.
    pub cache_misses: u32,
}

impl Decision {
    fn new(reason: Reason, message: String) -> Decision {
        Decision {
            reason,
            message,
            cache_hits: 0,
            cache_misses: 0,
        }
    }

    /// The denial of a request that found no free slot within `deadline`.
    #[must_use]
    pub fn busy(deadline: Duration) -> Decision {
        Decision::new(
            Reason::Timeout,
            format!(
                "denied: the webhook is at its limit of concurrent decisions and none finished within {} ms",
                deadline.as_millis()
            ),
        )
    }

    /// Whether it allows.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.reason.allows()
    }
}

/// The decision of one image reference in one environment (`verify-deploy` and each container).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDecision {
    /// Why.
    pub reason: Reason,
    /// What was found or is missing.
    pub message: String,
    /// Whether the answer came from the cache.
    pub cached: bool,
}

/// An error and its sources, `: `-separated.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Reads the digest an image reference names: a tag alone is denied, naming the image.
pub fn image_digest(image: &str) -> Result<Digest, (Reason, String)> {
    let reference = Reference::from_str(image).map_err(|e| {
        (
            Reason::BadReference,
            format!("image {image} cannot be read as a reference: {e}"),
        )
    })?;
    match reference {
        Reference::Layout(_) => Err((
            Reason::BadReference,
            format!("image {image} is an OCI layout path, not a registry reference"),
        )),
        Reference::Registry(r) => r.digest.ok_or_else(|| {
            (
                Reason::Tag,
                format!("image {image} names no digest: deploy it by digest (IMAGE@sha256:…) as promoted, never by tag"),
            )
        }),
    }
}

/// The decider: the promotion source behind a cache, a per-decision deadline and the namespace map.
pub struct Decider {
    cache: Cache,
    namespaces: Namespaces,
    deadline: Duration,
}

impl Decider {
    /// A decider over `source`.
    #[must_use]
    pub fn new(source: Arc<dyn PromotionSource>, namespaces: Namespaces, deadline: Duration) -> Decider {
        Decider {
            cache: Cache::new(source),
            namespaces,
            deadline,
        }
    }

    /// The per-decision deadline.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The cache (for its counters).
    #[must_use]
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Checks that the ledger answers (for `/readyz`), within the deadline.
    pub async fn ready(&self) -> Result<u64, SourceError> {
        match tokio::time::timeout(self.deadline, self.cache.ledger_size()).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::Unavailable(
                format!("no answer within {} ms", self.deadline.as_millis()).into(),
            )),
        }
    }

    /// Decides a request's workload in `namespace`, within the deadline.
    pub async fn decide(&self, namespace: Option<&str>, workload: Result<Workload, ObjectError>) -> Decision {
        let namespace = namespace.unwrap_or_default();
        match tokio::time::timeout(self.deadline, self.decide_inner(namespace, workload)).await {
            Ok(decision) => decision,
            Err(_) => Decision::new(
                Reason::Timeout,
                format!(
                    "denied: the decision did not finish within {} ms (the ledger did not answer in time)",
                    self.deadline.as_millis()
                ),
            ),
        }
    }

    async fn decide_inner(&self, namespace: &str, workload: Result<Workload, ObjectError>) -> Decision {
        let (kind, images) = match workload {
            Err(e) => return Decision::new(Reason::MalformedObject, format!("denied: {e}")),
            Ok(Workload::NotApplicable(why)) => return Decision::new(Reason::NotApplicable, why.to_owned()),
            Ok(Workload::Images { kind, images }) => (kind, images),
        };
        let Some(environment) = self.namespaces.environment(namespace) else {
            return Decision::new(
                Reason::NoEnvironment,
                format!(
                    "denied: namespace {namespace} maps to no environment (add --namespace-env {namespace}=ENV, or set --default-env)"
                ),
            );
        };
        let mut hits = 0;
        let mut misses = 0;
        let mut denials = Vec::new();
        let mut worst = None;
        for container in &images {
            let d = self.decide_container(container, environment).await;
            if d.cached {
                hits += 1;
            } else if matches!(d.reason, Reason::Promoted | Reason::NotPromoted) {
                misses += 1;
            }
            if !d.reason.allows() {
                worst.get_or_insert(d.reason);
                denials.push(format!("{} {}: {}", container.list, container.name, d.message));
            }
        }
        let mut decision = match worst {
            None => Decision::new(
                Reason::Promoted,
                format!(
                    "allowed: every image of the {} was promoted into {environment}",
                    kind.name()
                ),
            ),
            Some(reason) => Decision::new(
                reason,
                format!(
                    "denied in namespace {namespace} (environment {environment}): {}",
                    denials.join("; ")
                ),
            ),
        };
        decision.cache_hits = hits;
        decision.cache_misses = misses;
        decision
    }

    async fn decide_container(&self, container: &ContainerImage, environment: &str) -> ImageDecision {
        match &container.image {
            None => ImageDecision {
                reason: Reason::BadReference,
                message: "names no image".to_owned(),
                cached: false,
            },
            Some(image) => self.decide_image(image, environment).await,
        }
    }

    /// Decides one image reference in `environment` (no deadline of its own: callers set one).
    pub async fn decide_image(&self, image: &str, environment: &str) -> ImageDecision {
        let digest = match image_digest(image) {
            Ok(d) => d,
            Err((reason, message)) => {
                return ImageDecision {
                    reason,
                    message,
                    cached: false,
                };
            }
        };
        match self.cache.lookup(&digest, environment).await {
            Ok(CacheOutcome { verdict, cached }) => match verdict {
                Verdict::Promoted { index, signer } => ImageDecision {
                    reason: Reason::Promoted,
                    message: format!(
                        "image {image} was promoted into {environment} (ledger entry {index}, signed by {signer})"
                    ),
                    cached,
                },
                Verdict::NotPromoted { detail } => ImageDecision {
                    reason: Reason::NotPromoted,
                    message: format!(
                        "digest {digest} of image {image} has no verified promotion into {environment}: {detail}"
                    ),
                    cached,
                },
            },
            Err(e) => ImageDecision {
                reason: e.reason(),
                message: format!("image {image} cannot be decided, so it is denied: {}", chain(&e)),
                cached: false,
            },
        }
    }

    /// Decides one image in one environment within the deadline (`verify-deploy`).
    pub async fn decide_image_with_deadline(&self, image: &str, environment: &str) -> ImageDecision {
        match tokio::time::timeout(self.deadline, self.decide_image(image, environment)).await {
            Ok(d) => d,
            Err(_) => ImageDecision {
                reason: Reason::Timeout,
                message: format!(
                    "image {image} cannot be decided within {} ms, so it is denied",
                    self.deadline.as_millis()
                ),
                cached: false,
            },
        }
    }
}
