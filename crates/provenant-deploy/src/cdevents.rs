//! `CDEvents` (specification 0.5.1) for deployments and rollbacks, as Provenant's own serde types: the
//! `cdevents-sdk` crate writes context `specversion` 0.5.0, so it cannot emit 0.5.1 events.
//!
//! An event is sent in `CloudEvents`' binary content mode: the `CDEvent` JSON is the HTTP body and the
//! `CloudEvents` attributes travel in `ce-*` headers ([`Event::cloudevent_headers`]).

use provenant_digest::Digest;
use serde::Serialize;

/// The `CDEvents` specification version every event carries in `context.specversion`.
pub const SPEC_VERSION: &str = "0.5.1";
/// The `CloudEvents` specification version of the `ce-specversion` header.
pub const CLOUDEVENTS_SPEC_VERSION: &str = "1.0";
/// `service.deployed` in specification 0.5.1.
pub const SERVICE_DEPLOYED: &str = "dev.cdevents.service.deployed.0.3.0";
/// `service.rolledback` in specification 0.5.1.
pub const SERVICE_ROLLEDBACK: &str = "dev.cdevents.service.rolledback.0.3.0";

/// One `CDEvent` (`service.deployed` or `service.rolledback`: both carry an environment and an artefact).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The event's context.
    pub context: Context,
    /// What the event is about.
    pub subject: Subject,
}

/// The `CDEvent` context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Context {
    /// [`SPEC_VERSION`].
    pub specversion: String,
    /// Unique per event: Provenant uses the digest of the signed record the event announces.
    pub id: String,
    /// Who produced the event (a URI reference).
    pub source: String,
    /// The event type ([`SERVICE_DEPLOYED`] or [`SERVICE_ROLLEDBACK`]).
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339), the record's timestamp.
    pub timestamp: String,
}

/// The event's subject: the service and what it now runs where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// The service (Provenant uses the image repository).
    pub id: String,
    /// The subject's source, when it differs from the context's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The environment and artefact.
    pub content: Content,
}

/// `service.deployed` and `service.rolledback` content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// The environment.
    pub environment: Environment,
    /// The artefact now running, as a package URL (`pkg:oci/…`).
    #[serde(rename = "artifactId")]
    pub artifact_id: String,
}

/// The environment of an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// The environment's name.
    pub id: String,
}

/// What a deployment or rollback event says.
#[derive(Debug, Clone, Copy)]
pub struct EventInput<'a> {
    /// The context's source (a URI reference such as `/provenant`).
    pub source: &'a str,
    /// The event's id (Provenant passes the signed record's digest).
    pub id: &'a str,
    /// The environment's name.
    pub environment: &'a str,
    /// The image repository, without tag or digest (`registry.example/team/app`).
    pub repository: &'a str,
    /// The digest now running.
    pub digest: &'a Digest,
    /// When (RFC 3339).
    pub timestamp: &'a str,
}

impl Event {
    /// `service.deployed`: `input.digest` was deployed to the environment.
    #[must_use]
    pub fn service_deployed(input: &EventInput<'_>) -> Event {
        Event::new(SERVICE_DEPLOYED, input)
    }

    /// `service.rolledback`: the environment was rolled back to `input.digest`.
    #[must_use]
    pub fn service_rolledback(input: &EventInput<'_>) -> Event {
        Event::new(SERVICE_ROLLEDBACK, input)
    }

    fn new(kind: &str, input: &EventInput<'_>) -> Event {
        Event {
            context: Context {
                specversion: SPEC_VERSION.to_owned(),
                id: input.id.to_owned(),
                source: input.source.to_owned(),
                kind: kind.to_owned(),
                timestamp: input.timestamp.to_owned(),
            },
            subject: Subject {
                id: input.repository.to_owned(),
                source: None,
                content: Content {
                    environment: Environment {
                        id: input.environment.to_owned(),
                    },
                    artifact_id: oci_purl(input.repository, input.digest),
                },
            },
        }
    }

    /// The event as JSON (the HTTP body), deterministic.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising these plain string fields cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The `CloudEvents` attributes of binary content mode, as `(header, value)` pairs in a fixed order:
    /// `ce-specversion`, `ce-id`, `ce-source`, `ce-type`, `ce-time`.
    #[must_use]
    pub fn cloudevent_headers(&self) -> [(&'static str, String); 5] {
        [
            ("ce-specversion", CLOUDEVENTS_SPEC_VERSION.to_owned()),
            ("ce-id", self.context.id.clone()),
            ("ce-source", self.context.source.clone()),
            ("ce-type", self.context.kind.clone()),
            ("ce-time", self.context.timestamp.clone()),
        ]
    }
}

/// The package URL of an OCI image by digest (purl's `oci` type): `pkg:oci/NAME@ALG%3AHEX` with the
/// repository (without its last segment's tag) in `repository_url`. `NAME` is the repository's last path
/// segment, lower-cased as purl requires.
#[must_use]
pub fn oci_purl(repository: &str, digest: &Digest) -> String {
    let name = repository
        .rsplit('/')
        .next()
        .unwrap_or(repository)
        .to_ascii_lowercase();
    format!(
        "pkg:oci/{}@{}%3A{}?repository_url={}",
        percent(&name),
        digest.algorithm(),
        digest.hex(),
        percent(repository)
    )
}

/// Percent-encodes everything but purl's unreserved characters and `/` (kept readable in
/// `repository_url`, as purl's examples do).
fn percent(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
