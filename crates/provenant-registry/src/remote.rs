//! The distribution API over HTTP(S) ([`Client`]), and one repository of a registry as a [`Store`]
//! ([`Remote`]).
//!
//! - TLS is rustls with the aws-lc-rs provider and the Mozilla roots; plain HTTP is used only for
//!   loopback registries and for hosts named in [`ClientOptions::insecure_registries`].
//! - Authentication: anonymous first; on a 401 the `WWW-Authenticate` challenge decides between Basic
//!   and the bearer-token flow (token requested from the realm with the credentials, cached per scope).
//! - Requests whose body can be replayed are retried with exponential backoff on 429 and 5xx
//!   (honouring `Retry-After` up to a bound), except the `PUT` that closes an upload session (the
//!   registry may have cancelled the session: the caller copies the blob again in a new one).
//! - Every request has deadlines ([`ClientOptions::connect_timeout`], [`ClientOptions::read_timeout`],
//!   [`ClientOptions::request_timeout`]); a registry that misses one fails the request with
//!   [`StoreError::Timeout`], which is not retried.
//! - Blobs are uploaded in one request where the registry takes it (the monolithic `POST
//!   …/blobs/uploads/?digest=` of the distribution spec, tried with blobs of at most
//!   [`MONOLITHIC_PROBE_BYTES`] and remembered per registry), else with POST then PUT, or POST, PATCH
//!   chunks and a closing PUT above [`ClientOptions::chunk_size`]; a registry that answers the
//!   monolithic POST with an upload session (202, as docker-registry does) gets the blob by PUT into
//!   that session, so refusing costs no extra round trip. A declined cross-repository mount falls back
//!   to an upload.
//! - Connections are kept alive and reused: the bodies of answers that are not used (404s, 401s,
//!   errors) are read to their end (up to [`MAX_DISCARDED_BODY`]) so that their connection returns
//!   to the pool.
//! - Everything read is verified against its digest while it streams; manifests are bounded by
//!   [`MAX_MANIFEST_BYTES`]; redirects are bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provenant_digest::Digest;
use provenant_oci::manifest::MAX_MANIFEST_BYTES;
use provenant_oci::{Descriptor, ImageIndex, ManifestRef, Registry, Repository, Tag, media};
use ureq::http;

use crate::auth::{Challenge, CredentialSource, Credentials, parse_challenge};
use crate::verify::VerifyingReader;
use crate::{Deadline, FetchedManifest, PutManifest, Store, StoreError, check_manifest};

/// Default size of a PATCH chunk, and the size above which uploads are chunked.
pub const DEFAULT_CHUNK_SIZE: u64 = 32 << 20;
/// Largest error body or token response read.
const MAX_SMALL_RESPONSE: u64 = 1 << 20;
/// Largest tag list page read.
const MAX_TAG_LIST: u64 = 16 << 20;
/// Most bytes of an unused answer's body read so that its connection can be reused; a longer body
/// closes the connection instead.
pub const MAX_DISCARDED_BODY: u64 = 64 << 10;
/// Largest blob that tries the monolithic upload while the registry's support for it is unknown: a
/// registry that ignores the body (answering 202) still reads and discards a body this small, so its
/// connection stays usable, and the bytes are sent again by PUT.
pub const MONOLITHIC_PROBE_BYTES: u64 = 64 << 10;

/// How a [`Client`] behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Hosts (`host[:port]`) that may be spoken to over plain HTTP. Loopback always may.
    pub insecure_registries: Vec<String>,
    /// Where credentials come from.
    pub credentials: CredentialSource,
    /// Uploads larger than this are sent in PATCH chunks of this size.
    pub chunk_size: u64,
    /// Retries of a failed replayable request (429/5xx/connection errors).
    pub max_retries: u32,
    /// First backoff delay; doubled on each retry.
    pub initial_backoff: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: u32,
    /// Longest wait for a connection (name resolution, TCP, TLS handshake).
    pub connect_timeout: Duration,
    /// Longest wait for the registry to send (or take) any byte once connected: a silent connection
    /// fails after this long.
    pub read_timeout: Duration,
    /// Longest a whole request may take, from connecting to the last byte of its answer. Requests that
    /// transfer a blob of known size get one more second per [`MIN_TRANSFER_RATE`] bytes.
    pub request_timeout: Duration,
}

/// Default [`ClientOptions::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ClientOptions::read_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ClientOptions::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_mins(1);
/// The slowest blob transfer (bytes per second) that the request timeout leaves time for.
pub const MIN_TRANSFER_RATE: u64 = 128 << 10;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure_registries: Vec::new(),
            credentials: CredentialSource::from_environment(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_retries: 4,
            initial_backoff: Duration::from_millis(200),
            max_redirects: 5,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

#[derive(Debug, Clone)]
enum HostAuth {
    Basic(String),
    Bearer { tokens: BTreeMap<String, String> },
}

/// An HTTP(S) client for the distribution API, shared by every [`Remote`] (it caches authentication).
pub struct Client {
    agent: ureq::Agent,
    options: ClientOptions,
    auth: Mutex<BTreeMap<String, HostAuth>>,
    /// Per registry host: whether it takes a monolithic `POST ?digest=` upload (absent: not known yet).
    monolithic: Mutex<BTreeMap<String, bool>>,
    /// Registry hosts known to lack the referrers API (they answered it 404, which the distribution
    /// spec forbids a registry that has it): not asked again.
    no_referrers_api: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A request body.
enum ReqBody<'a> {
    Empty,
    Bytes(&'a [u8]),
    Stream(&'a mut dyn Read, u64),
}

impl ReqBody<'_> {
    fn replayable(&self) -> bool {
        !matches!(self, ReqBody::Stream(..))
    }
}

struct Req<'a> {
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: ReqBody<'a>,
    scopes: Vec<String>,
    /// The size of the blob this request sends or fetches, when known: it extends the deadline.
    blob_size: Option<u64>,
    /// Whether the answer is a blob of unknown size: its body is bounded by the read timeout only.
    open_ended: bool,
    /// Whether the request closes an upload session (`PUT <location>?digest=`). A registry that answers
    /// it with an error may have cancelled the session, so it is not sent again on a 429 or 5xx: the
    /// error goes back to the caller, which retries the whole blob copy in a new session (sent again
    /// into the old one, it would only meet `BLOB_UPLOAD_UNKNOWN`).
    closes_session: bool,
}

type Response = http::Response<ureq::Body>;

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn pull_scope(repo: &Repository) -> String {
    format!("repository:{}:pull", repo.name())
}

fn push_scope(repo: &Repository) -> String {
    format!("repository:{}:pull,push", repo.name())
}

impl Client {
    /// A client with these options.
    #[must_use]
    pub fn new(options: ClientOptions) -> Client {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(options.max_redirects)
            .max_redirects_will_error(true)
            .tls_config(tls)
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.read_timeout))
            .timeout_recv_response(Some(options.request_timeout))
            .timeout_per_call(Some(options.request_timeout))
            .user_agent(concat!("provenant/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client {
            agent,
            options,
            auth: Mutex::new(BTreeMap::new()),
            monolithic: Mutex::new(BTreeMap::new()),
            no_referrers_api: Mutex::new(BTreeSet::new()),
        }
    }

    fn lacks_referrers_api(&self, registry: &Registry) -> bool {
        self.no_referrers_api
            .lock()
            .is_ok_and(|s| s.contains(registry.api_host()))
    }

    /// Whether `registry` is known to take (`Some(true)`) or refuse (`Some(false)`) monolithic uploads.
    fn monolithic(&self, registry: &Registry) -> Option<bool> {
        self.monolithic
            .lock()
            .ok()
            .and_then(|m| m.get(registry.api_host()).copied())
    }

    fn set_monolithic(&self, registry: &Registry, takes: bool) {
        if let Ok(mut m) = self.monolithic.lock() {
            m.insert(registry.api_host().to_owned(), takes);
        }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// `http` for loopback and explicitly insecure registries, `https` otherwise.
    #[must_use]
    pub fn scheme(&self, registry: &Registry) -> &'static str {
        let host = registry.api_host();
        if registry.is_loopback()
            || self
                .options
                .insecure_registries
                .iter()
                .any(|h| h == host || h == registry.as_str())
        {
            "http"
        } else {
            "https"
        }
    }

    fn base(&self, registry: &Registry) -> String {
        format!("{}://{}", self.scheme(registry), registry.api_host())
    }

    fn credentials(&self, registry: &Registry) -> Option<Credentials> {
        self.options
            .credentials
            .lookup(registry.as_str())
            .or_else(|| self.options.credentials.lookup(registry.api_host()))
    }

    fn auth_header(&self, host: &str, scopes: &[String]) -> Option<String> {
        let cache = self.auth.lock().ok()?;
        match cache.get(host)? {
            HostAuth::Basic(h) => Some(h.clone()),
            HostAuth::Bearer { tokens, .. } => tokens.get(&scopes.join(" ")).map(|t| format!("Bearer {t}")),
        }
    }

    fn authenticate(
        &self,
        registry: &Registry,
        challenge: Option<&str>,
        scopes: &[String],
    ) -> Result<(), StoreError> {
        let host = registry.api_host().to_owned();
        let auth_error = |reason: String| StoreError::Auth {
            registry: registry.to_string(),
            reason,
        };
        let challenge = challenge.and_then(parse_challenge).ok_or_else(|| {
            auth_error("401 without a Basic or Bearer WWW-Authenticate challenge".to_owned())
        })?;
        let credentials = self.credentials(registry);
        match challenge {
            Challenge::Basic => {
                let c = credentials.ok_or_else(|| {
                    auth_error("the registry requires Basic authentication and no credentials were found (use --creds, PROVENANT_REGISTRY_CREDS or docker login)".to_owned())
                })?;
                if let Ok(mut cache) = self.auth.lock() {
                    cache.insert(host, HostAuth::Basic(c.basic_header()));
                }
                Ok(())
            }
            Challenge::Bearer { realm, service, .. } => {
                let token =
                    self.fetch_token(registry, &realm, service.as_deref(), scopes, credentials.as_ref())?;
                if let Ok(mut cache) = self.auth.lock() {
                    let entry = cache.entry(host).or_insert_with(|| HostAuth::Bearer {
                        tokens: BTreeMap::new(),
                    });
                    if let HostAuth::Bearer { tokens } = entry {
                        tokens.insert(scopes.join(" "), token);
                    } else {
                        *entry = HostAuth::Bearer {
                            tokens: [(scopes.join(" "), token)].into_iter().collect(),
                        };
                    }
                }
                Ok(())
            }
        }
    }

    fn fetch_token(
        &self,
        registry: &Registry,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credentials: Option<&Credentials>,
    ) -> Result<String, StoreError> {
        let auth_error = |reason: String| StoreError::Auth {
            registry: registry.to_string(),
            reason,
        };
        if !(realm.starts_with("https://") || (realm.starts_with("http://") && self.realm_may_be_http(realm)))
        {
            return Err(auth_error(format!(
                "token realm {realm:?} is not https (plain HTTP only on loopback or --insecure-registry hosts)"
            )));
        }
        let mut request = self.agent.get(realm);
        if let Some(s) = service {
            request = request.query("service", s);
        }
        for scope in scopes {
            request = request.query("scope", scope);
        }
        if let Some(c) = credentials {
            request = request.header("Authorization", c.basic_header());
        }
        let resp = request
            .call()
            .map_err(|e| self.transport_error("GET", realm.to_owned(), e))?;
        let status = resp.status().as_u16();
        let body = read_limited(resp, MAX_SMALL_RESPONSE).map_err(|e| self.body_error("GET", realm, e))?;
        if status != 200 {
            return Err(auth_error(format!("token endpoint {realm} answered {status}")));
        }
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| auth_error(format!("token response is not JSON: {e}")))?;
        doc.get("token")
            .or_else(|| doc.get("access_token"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| auth_error("token response has no token".to_owned()))
    }

    fn realm_may_be_http(&self, realm: &str) -> bool {
        let host = realm
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        host.parse::<Registry>().is_ok_and(|r| self.scheme(&r) == "http")
    }

    /// The error for a request that failed in transport: a [`StoreError::Timeout`] when a deadline
    /// passed.
    fn transport_error(&self, method: &'static str, url: String, e: ureq::Error) -> StoreError {
        match e {
            ureq::Error::Timeout(t) => StoreError::Timeout {
                method,
                url,
                deadline: self.deadline_of(t),
            },
            e => StoreError::Transport {
                method,
                url,
                source: crate::error::TransportError(Box::new(e)),
            },
        }
    }

    /// The error for an answer's body that could not be read: a [`StoreError::Timeout`] when a deadline
    /// passed, the error carried when it is one of ours, else a stream error.
    fn body_error(&self, method: &'static str, url: &str, e: std::io::Error) -> StoreError {
        if let Some(t) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .and_then(|u| match u {
                ureq::Error::Timeout(t) => Some(*t),
                _ => None,
            })
        {
            return StoreError::Timeout {
                method,
                url: url.to_owned(),
                deadline: self.deadline_of(t),
            };
        }
        StoreError::from_io(format!("reading the answer to {method} {url}"), e)
    }

    fn deadline_of(&self, t: ureq::Timeout) -> Deadline {
        match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => {
                Deadline::Connect(self.options.connect_timeout)
            }
            ureq::Timeout::PerRead | ureq::Timeout::PerWrite => Deadline::Read(self.options.read_timeout),
            _ => Deadline::Request(self.options.request_timeout),
        }
    }

    /// The request's own deadline: the request timeout, plus time for its blob's bytes; none for a
    /// blob of unknown size (its answer's headers still have the request timeout, every read the read
    /// timeout).
    fn per_call(&self, req: &Req<'_>) -> Option<Duration> {
        if req.open_ended {
            return None;
        }
        let extra = req.blob_size.map_or(0, |size| size / MIN_TRANSFER_RATE);
        Some(
            self.options
                .request_timeout
                .saturating_add(Duration::from_secs(extra)),
        )
    }

    fn configure<B: ureq::AsSendBody>(
        &self,
        per_call: Option<Duration>,
        request: http::Request<B>,
    ) -> http::Request<B> {
        self.agent
            .configure_request(request)
            .timeout_per_call(per_call)
            .build()
    }

    /// Sends a request, handling authentication challenges and retries.
    fn send(&self, registry: &Registry, mut req: Req<'_>) -> Result<Response, StoreError> {
        let host = registry.api_host().to_owned();
        let mut attempt = 0u32;
        let mut authenticated = false;
        loop {
            let mut builder = http::Request::builder().method(req.method).uri(&req.url);
            for (k, v) in &req.headers {
                builder = builder.header(*k, v.as_str());
            }
            // Credentials go only to the registry itself, never to another host an upload Location
            // points at.
            let same_host = req
                .url
                .split_once("://")
                .and_then(|(_, rest)| rest.split('/').next())
                .is_some_and(|h| h.eq_ignore_ascii_case(&host));
            if let Some(auth) = self.auth_header(&host, &req.scopes).filter(|_| same_host) {
                builder = builder.header("Authorization", auth);
            }
            let per_call = self.per_call(&req);
            let result = match &mut req.body {
                // An empty POST or PUT says so (rather than an empty chunked body).
                ReqBody::Empty if matches!(req.method, "POST" | "PUT" | "PATCH") => builder
                    .header("Content-Length", "0")
                    .body(&[][..])
                    .map(|r| self.agent.run(self.configure(per_call, r))),
                ReqBody::Empty => builder
                    .body(())
                    .map(|r| self.agent.run(self.configure(per_call, r))),
                ReqBody::Bytes(b) => builder
                    .header("Content-Length", b.len().to_string())
                    .body(*b)
                    .map(|r| self.agent.run(self.configure(per_call, r))),
                ReqBody::Stream(reader, len) => builder
                    .header("Content-Length", len.to_string())
                    .body(ureq::SendBody::from_reader(*reader))
                    .map(|r| self.agent.run(self.configure(per_call, r))),
            };
            let result = result.map_err(|e| StoreError::Protocol {
                registry: registry.to_string(),
                reason: format!("cannot build request {} {}: {e}", req.method, req.url),
            })?;
            let replayable = req.body.replayable();
            match result {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 401 && !authenticated && replayable {
                        authenticated = true;
                        let challenge = header(&resp, "www-authenticate");
                        discard(resp);
                        self.authenticate(registry, challenge.as_deref(), &req.scopes)?;
                        continue;
                    }
                    if (status == 429 || status >= 500)
                        && replayable
                        && !req.closes_session
                        && attempt < self.options.max_retries
                    {
                        let retry_after =
                            header(&resp, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
                        discard(resp);
                        let delay = retry_after
                            .map_or(self.options.initial_backoff * 2u32.saturating_pow(attempt), |s| {
                                Duration::from_secs(s.min(10))
                            });
                        tracing::info!(
                            "{} {} answered {status}; retrying in {delay:?}",
                            req.method,
                            req.url
                        );
                        std::thread::sleep(delay);
                        attempt += 1;
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) => {
                    // A registry that let a deadline pass is not asked again: retrying would multiply
                    // the wait.
                    let transient = matches!(e, ureq::Error::Io(_) | ureq::Error::ConnectionFailed);
                    if transient && replayable && attempt < self.options.max_retries {
                        std::thread::sleep(self.options.initial_backoff * 2u32.saturating_pow(attempt));
                        attempt += 1;
                        continue;
                    }
                    return Err(self.transport_error(req.method, req.url, e));
                }
            }
        }
    }
}

/// Reads an unused answer's body to its end (up to [`MAX_DISCARDED_BODY`]), so that its connection goes
/// back to the pool rather than being closed; a longer body, or one that fails, closes it.
fn discard(resp: Response) {
    let _ = std::io::copy(
        &mut resp.into_body().into_reader().take(MAX_DISCARDED_BODY),
        &mut std::io::sink(),
    );
}

fn read_limited(resp: Response, limit: u64) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    resp.into_body().into_reader().take(limit).read_to_end(&mut out)?;
    Ok(out)
}

fn status_error(method: &'static str, url: &str, resp: Response) -> StoreError {
    let status = resp.status().as_u16();
    let mut body = read_limited(resp, MAX_DISCARDED_BODY).unwrap_or_default();
    body.truncate(4096);
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|doc| {
            let errors = doc.get("errors")?.as_array()?;
            Some(
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.get("code").and_then(|v| v.as_str()).unwrap_or("?"),
                            e.get("message").and_then(|v| v.as_str()).unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
                .trim()
                .to_owned()
        });
    StoreError::Status {
        method,
        url: url.to_owned(),
        status,
        message,
    }
}

/// A blob's body, whose deadline errors become [`StoreError::Timeout`] (inside the `io::Error`, as
/// verifying readers carry their errors).
struct DeadlineReader<R> {
    inner: R,
    client: Arc<Client>,
    url: String,
}

impl<R: Read> Read for DeadlineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let timed_out = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
            if timed_out {
                std::io::Error::other(self.client.body_error("GET", &self.url, e))
            } else {
                e
            }
        })
    }
}

/// What a monolithic upload request came to.
enum Monolithic {
    /// The registry stored the blob.
    Stored,
    /// The registry opened an upload session at this location instead.
    Session(String),
    /// The registry refused the request's form.
    Refused,
}

/// One repository of a registry.
#[derive(Debug, Clone)]
pub struct Remote {
    client: Arc<Client>,
    repository: Repository,
}

impl Remote {
    /// Sends a request whose body streams from a source; a failure of the source (such as a digest
    /// mismatch) surfaces as an I/O error of the body, and is reported as itself.
    fn send_stream(&self, req: Req<'_>, digest: &Digest) -> Result<Response, StoreError> {
        match self.send(req) {
            Err(StoreError::Transport { source, url, method }) => {
                if let ureq::Error::Io(io) = *source.0 {
                    return Err(StoreError::from_io(format!("uploading blob {digest}"), io));
                }
                Err(StoreError::Transport { source, url, method })
            }
            other => other,
        }
    }

    /// The repository, spoken to with `client`.
    #[must_use]
    pub fn new(client: Arc<Client>, repository: Repository) -> Remote {
        Remote { client, repository }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/v2/{}/{path}",
            self.client.base(self.repository.registry()),
            self.repository.name()
        )
    }

    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{}", self.client.base(self.repository.registry()), location)
        }
    }

    fn send(&self, req: Req<'_>) -> Result<Response, StoreError> {
        self.client.send(self.repository.registry(), req)
    }

    fn req<'a>(&self, method: &'static str, url: String, push: bool) -> Req<'a> {
        let scope = if push {
            push_scope(&self.repository)
        } else {
            pull_scope(&self.repository)
        };
        Req {
            method,
            url,
            headers: Vec::new(),
            body: ReqBody::Empty,
            scopes: vec![scope],
            blob_size: None,
            open_ended: false,
            closes_session: false,
        }
    }

    fn start_upload(&self) -> Result<String, StoreError> {
        let url = self.url("blobs/uploads/");
        let resp = self.send(self.req("POST", url.clone(), true))?;
        if resp.status().as_u16() != 202 {
            return Err(status_error("POST", &url, resp));
        }
        self.session_location(resp)
    }

    /// The upload session an answer opened (its `Location`), its body read so the connection is reused.
    fn session_location(&self, resp: Response) -> Result<String, StoreError> {
        let location = header(&resp, "location");
        discard(resp);
        let location = location.ok_or_else(|| StoreError::Protocol {
            registry: self.repository.registry().to_string(),
            reason: "upload started without a Location header".to_owned(),
        })?;
        Ok(self.resolve(&location))
    }

    /// Sends a whole blob in one `POST …/blobs/uploads/?digest=`. `Ok(None)` when it was stored;
    /// `Ok(Some(location))` when the registry does not take monolithic uploads but opened an upload
    /// session instead (202), into which the blob is then PUT; `Err` on any other answer (the caller
    /// decides whether that is a refusal to fall back from).
    fn post_monolithic(
        &self,
        digest: &Digest,
        body: ReqBody<'_>,
        size: u64,
    ) -> Result<Monolithic, StoreError> {
        let url = Self::with_digest(&self.url("blobs/uploads/"), digest);
        let mut req = self.req("POST", url.clone(), true);
        req.headers.push(("Content-Type", media::OCTET_STREAM.to_owned()));
        req.body = body;
        req.blob_size = Some(size);
        let resp = self.send_stream(req, digest)?;
        match resp.status().as_u16() {
            201 => {
                discard(resp);
                Ok(Monolithic::Stored)
            }
            202 => Ok(Monolithic::Session(self.session_location(resp)?)),
            // Refusals of the form rather than of the blob: the registry takes the blob otherwise.
            400 | 405 | 415 | 501 => {
                discard(resp);
                Ok(Monolithic::Refused)
            }
            _ => Err(status_error("POST", &url, resp)),
        }
    }

    /// Closes an upload session with the whole blob (`PUT <location>?digest=`).
    fn put_into_session(
        &self,
        location: &str,
        digest: &Digest,
        body: ReqBody<'_>,
        size: u64,
    ) -> Result<(), StoreError> {
        let url = Self::with_digest(location, digest);
        let mut req = self.req("PUT", url.clone(), true);
        req.headers.push(("Content-Type", media::OCTET_STREAM.to_owned()));
        req.body = body;
        req.blob_size = Some(size);
        req.closes_session = true;
        let resp = self.send_stream(req, digest)?;
        if resp.status().as_u16() != 201 {
            return Err(status_error("PUT", &url, resp));
        }
        discard(resp);
        Ok(())
    }

    /// A small blob, read whole and checked against its size and digest before anything is sent.
    fn read_small(&self, digest: &Digest, size: u64, data: &mut dyn Read) -> Result<Vec<u8>, StoreError> {
        let what = || format!("blob {digest}");
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        data.take(size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::from_io(format!("uploading blob {digest}"), e))?;
        if bytes.len() as u64 != size {
            return Err(StoreError::SizeMismatch {
                what: what(),
                location: self.location(),
                expected: size,
                actual: bytes.len() as u64,
            });
        }
        let actual = digest.algorithm().hash_bytes(&bytes);
        if actual != *digest {
            return Err(StoreError::DigestMismatch {
                what: what(),
                location: self.location(),
                expected: *digest,
                actual,
            });
        }
        Ok(bytes)
    }

    /// Uploads a small blob: one monolithic POST where the registry takes it (or may), else POST and PUT.
    fn put_small_blob(&self, digest: &Digest, size: u64, data: &mut dyn Read) -> Result<(), StoreError> {
        let bytes = self.read_small(digest, size, data)?;
        let registry = self.repository.registry();
        let location = if self.client.monolithic(registry) == Some(false) {
            self.start_upload()?
        } else {
            match self.post_monolithic(digest, ReqBody::Bytes(&bytes), size)? {
                Monolithic::Stored => {
                    self.client.set_monolithic(registry, true);
                    return Ok(());
                }
                Monolithic::Session(location) => {
                    self.client.set_monolithic(registry, false);
                    location
                }
                Monolithic::Refused => {
                    self.client.set_monolithic(registry, false);
                    self.start_upload()?
                }
            }
        };
        self.put_into_session(&location, digest, ReqBody::Bytes(&bytes), size)
    }

    fn with_digest(location: &str, digest: &Digest) -> String {
        let sep = if location.contains('?') { '&' } else { '?' };
        format!("{location}{sep}digest={digest}")
    }

    fn next_location(&self, resp: &Response, current: &str) -> String {
        header(resp, "location").map_or_else(|| current.to_owned(), |l| self.resolve(&l))
    }
}

impl Store for Remote {
    fn location(&self) -> String {
        self.repository.to_string()
    }

    fn repository(&self) -> Option<&Repository> {
        Some(&self.repository)
    }

    fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, StoreError> {
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.send(self.req("HEAD", url.clone(), false))?;
        match resp.status().as_u16() {
            200 => Ok(Some(
                header(&resp, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            404 => {
                discard(resp);
                Ok(None)
            }
            _ => Err(status_error("HEAD", &url, resp)),
        }
    }

    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>, StoreError> {
        let url = self.url(&format!("blobs/{digest}"));
        let mut req = self.req("GET", url.clone(), false);
        req.blob_size = size;
        req.open_ended = size.is_none();
        let resp = self.send(req)?;
        match resp.status().as_u16() {
            200 => {}
            404 => {
                discard(resp);
                return Err(StoreError::NotFound {
                    what: format!("blob {digest}"),
                    location: self.location(),
                });
            }
            _ => return Err(status_error("GET", &url, resp)),
        }
        let reader = DeadlineReader {
            inner: resp.into_body().into_reader(),
            client: Arc::clone(&self.client),
            url,
        };
        Ok(Box::new(VerifyingReader::new(
            reader,
            *digest,
            size,
            u64::MAX,
            format!("blob {digest}"),
            self.location(),
        )))
    }

    fn put_blob(&self, digest: &Digest, size: u64, data: &mut dyn Read) -> Result<(), StoreError> {
        let chunk = self.client.options.chunk_size.max(1);
        if size <= MONOLITHIC_PROBE_BYTES {
            return self.put_small_blob(digest, size, data);
        }
        if size <= chunk && self.client.monolithic(self.repository.registry()) == Some(true) {
            // The registry took a monolithic upload before: one request, streamed. A stream cannot be
            // sent twice, so a registry that now opens a session instead fails this copy (it is retried
            // as a whole, by then without the monolithic request).
            return match self.post_monolithic(digest, ReqBody::Stream(data, size), size)? {
                Monolithic::Stored => Ok(()),
                refused => {
                    self.client.set_monolithic(self.repository.registry(), false);
                    if let Monolithic::Session(location) = refused
                        && let Ok(resp) = self.send(self.req("DELETE", location, true))
                    {
                        discard(resp);
                    }
                    Err(StoreError::MonolithicWithdrawn {
                        registry: self.repository.registry().to_string(),
                        digest: *digest,
                    })
                }
            };
        }
        let mut location = self.start_upload()?;
        if size > chunk {
            // Each chunk streams from the source as it is read: no chunk is buffered, so reading
            // the source and writing the destination overlap.
            let mut offset = 0u64;
            while offset < size {
                let len = chunk.min(size - offset);
                let mut part = (&mut *data).take(len);
                let mut req = self.req("PATCH", location.clone(), true);
                req.headers.push(("Content-Type", media::OCTET_STREAM.to_owned()));
                req.headers
                    .push(("Content-Range", format!("{}-{}", offset, offset + len - 1)));
                req.body = ReqBody::Stream(&mut part, len);
                req.blob_size = Some(len);
                let resp = self.send_stream(req, digest)?;
                if resp.status().as_u16() != 202 {
                    return Err(status_error("PATCH", &location, resp));
                }
                location = self.next_location(&resp, &location);
                offset += len;
            }
            // The source must end exactly here; reading its end is what verifies its digest, and
            // nothing is committed before it is verified.
            let mut probe = [0u8; 1];
            let extra = data
                .read(&mut probe)
                .map_err(|e| StoreError::from_io(format!("uploading blob {digest}"), e))?;
            if extra != 0 {
                return Err(StoreError::SizeMismatch {
                    what: format!("blob {digest}"),
                    location: self.location(),
                    expected: size,
                    actual: size + extra as u64,
                });
            }
            let url = Self::with_digest(&location, digest);
            let mut req = self.req("PUT", url.clone(), true);
            req.closes_session = true;
            let resp = self.send(req)?;
            if resp.status().as_u16() != 201 {
                return Err(status_error("PUT", &url, resp));
            }
            discard(resp);
            return Ok(());
        }
        self.put_into_session(&location, digest, ReqBody::Stream(data, size), size)
    }

    fn mount_blob(&self, digest: &Digest, from: &Repository) -> Result<bool, StoreError> {
        if from.registry() != self.repository.registry() || from == &self.repository {
            return Ok(false);
        }
        let url = format!(
            "{}?mount={digest}&from={}",
            self.url("blobs/uploads/"),
            from.name()
        );
        let mut req = self.req("POST", url.clone(), true);
        req.scopes.push(pull_scope(from));
        let resp = self.send(req)?;
        match resp.status().as_u16() {
            201 => Ok(true),
            202 => {
                // Declined: the registry opened an ordinary upload session instead. Cancel it; the
                // caller uploads.
                let location = header(&resp, "location");
                discard(resp);
                if let Some(location) = location
                    && let Ok(resp) = self.send(self.req("DELETE", self.resolve(&location), true))
                {
                    discard(resp);
                }
                Ok(false)
            }
            _ => Err(status_error("POST", &url, resp)),
        }
    }

    fn get_manifest(&self, reference: &ManifestRef) -> Result<FetchedManifest, StoreError> {
        let url = self.url(&format!("manifests/{reference}"));
        let mut req = self.req("GET", url.clone(), false);
        req.headers.push(("Accept", media::MANIFEST_ACCEPT.join(", ")));
        let resp = self.send(req)?;
        match resp.status().as_u16() {
            200 => {}
            404 => {
                discard(resp);
                return Err(StoreError::NotFound {
                    what: format!("manifest {reference}"),
                    location: self.location(),
                });
            }
            _ => return Err(status_error("GET", &url, resp)),
        }
        let content_type = header(&resp, "content-type");
        let header_digest = header(&resp, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok());
        let what = format!("manifest {reference}");
        let mut bytes = Vec::new();
        resp.into_body()
            .into_reader()
            .take(MAX_MANIFEST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.client.body_error("GET", &url, e))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(StoreError::TooLarge {
                what,
                location: self.location(),
                limit: MAX_MANIFEST_BYTES as u64,
            });
        }
        let check = match reference {
            ManifestRef::Digest(d) => Some(*d),
            ManifestRef::Tag(_) => header_digest,
        };
        check_manifest(
            bytes,
            content_type.as_deref(),
            check.as_ref(),
            &self.location(),
            &what,
        )
    }

    fn has_manifest(&self, digest: &Digest) -> Result<bool, StoreError> {
        let url = self.url(&format!("manifests/{digest}"));
        let mut req = self.req("HEAD", url.clone(), false);
        req.headers.push(("Accept", media::MANIFEST_ACCEPT.join(", ")));
        let resp = self.send(req)?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => {
                discard(resp);
                Ok(false)
            }
            _ => Err(status_error("HEAD", &url, resp)),
        }
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&Tag>,
    ) -> Result<PutManifest, StoreError> {
        let digest = crate::digest_manifest_to_put(self, bytes)?;
        let reference = tag.map_or_else(|| digest.to_string(), Tag::to_string);
        let url = self.url(&format!("manifests/{reference}"));
        let mut req = self.req("PUT", url.clone(), true);
        req.headers.push(("Content-Type", media_type.to_owned()));
        req.body = ReqBody::Bytes(bytes);
        let resp = self.send(req)?;
        if resp.status().as_u16() != 201 {
            return Err(status_error("PUT", &url, resp));
        }
        if let Some(d) = header(&resp, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok())
            && d != digest
        {
            return Err(StoreError::DigestMismatch {
                what: format!("manifest stored as {reference}"),
                location: self.location(),
                expected: digest,
                actual: d,
            });
        }
        let subject_indexed = header(&resp, "oci-subject").is_some();
        Ok(PutManifest {
            digest,
            subject_indexed,
        })
    }

    fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        let mut tags = Vec::new();
        let mut url = self.url("tags/list?n=1000");
        for _ in 0..1000 {
            let resp = self.send(self.req("GET", url.clone(), false))?;
            match resp.status().as_u16() {
                200 => {}
                404 => {
                    discard(resp);
                    break;
                }
                _ => return Err(status_error("GET", &url, resp)),
            }
            let link = header(&resp, "link");
            let body =
                read_limited(resp, MAX_TAG_LIST).map_err(|e| self.client.body_error("GET", &url, e))?;
            let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| StoreError::Protocol {
                registry: self.repository.registry().to_string(),
                reason: format!("tag list is not JSON: {e}"),
            })?;
            if let Some(list) = doc.get("tags").and_then(|t| t.as_array()) {
                tags.extend(
                    list.iter()
                        .filter_map(|t| t.as_str())
                        .filter_map(|t| t.parse::<Tag>().ok()),
                );
            }
            // Link: </v2/name/tags/list?n=1000&last=x>; rel="next"
            match link.and_then(|l| {
                l.split(';')
                    .next()
                    .map(|u| u.trim().trim_matches(['<', '>']).to_owned())
            }) {
                Some(next) if !next.is_empty() => url = self.resolve(&next),
                _ => break,
            }
        }
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    fn referrers_api(&self, subject: &Digest) -> Result<Option<Vec<Descriptor>>, StoreError> {
        let registry = self.repository.registry();
        if self.client.lacks_referrers_api(registry) {
            return Ok(None);
        }
        let url = self.url(&format!("referrers/{subject}"));
        let mut req = self.req("GET", url.clone(), false);
        req.headers.push(("Accept", media::OCI_INDEX.to_owned()));
        let resp = self.send(req)?;
        match resp.status().as_u16() {
            200 => {}
            404 | 405 | 400 => {
                // A registry with the API answers 200 for any subject (an empty index when nothing
                // refers to it): a 404 says it has no such API.
                if resp.status().as_u16() == 404
                    && let Ok(mut lacking) = self.client.no_referrers_api.lock()
                {
                    lacking.insert(registry.api_host().to_owned());
                }
                discard(resp);
                return Ok(None);
            }
            _ => return Err(status_error("GET", &url, resp)),
        }
        let content_type = header(&resp, "content-type").unwrap_or_default();
        if !content_type.starts_with(media::OCI_INDEX) {
            discard(resp);
            return Ok(None);
        }
        let body = read_limited(resp, MAX_MANIFEST_BYTES as u64 + 1)
            .map_err(|e| self.client.body_error("GET", &url, e))?;
        if body.len() > MAX_MANIFEST_BYTES {
            return Err(StoreError::TooLarge {
                what: format!("referrers of {subject}"),
                location: self.location(),
                limit: MAX_MANIFEST_BYTES as u64,
            });
        }
        let index: ImageIndex = serde_json::from_slice(&body).map_err(|e| StoreError::Protocol {
            registry: self.repository.registry().to_string(),
            reason: format!("referrers response is not an image index: {e}"),
        })?;
        Ok(Some(index.manifests))
    }
}
