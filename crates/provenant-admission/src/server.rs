//! The webhook's HTTPS server: `POST /validate`, `/healthz`, `/readyz`, `/metrics`.
//!
//! TLS 1.2/1.3 through rustls (aws-lc-rs), handshakes within [`HANDSHAKE_TIMEOUT`]; request bodies bounded
//! by [`MAX_REVIEW_BYTES`]; every request answered within the decider's deadline plus [`BODY_TIMEOUT`]
//! (HTTP 408 past it), decisions themselves within the deadline; at most [`MAX_IN_FLIGHT`] requests decided at once, others
//! wait for a slot within the same deadline. Logs name the request uid, namespace, kind and decision,
//! never the request's user information or object.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tower_http::timeout::TimeoutLayer;

pub use axum_server::Handle;

use crate::decision::Decider;
use crate::metrics::Metrics;
use crate::review::{self, MAX_REVIEW_BYTES};

/// The most requests decided at once.
pub const MAX_IN_FLIGHT: usize = 256;
/// Time allowed for a TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed to receive a request's body, on top of the decision deadline (past both: HTTP 408).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a new connection's first request.
pub const FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the TLS configuration cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate chain cannot be read.
    #[error("the TLS certificate is not a PEM certificate chain: {0}")]
    Certificate(#[source] rustls::pki_types::pem::Error),
    /// The private key cannot be read (its content is never shown).
    #[error("the TLS private key is not a PEM private key")]
    Key(#[source] rustls::pki_types::pem::Error),
    /// rustls refused the pair.
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Rustls(#[source] rustls::Error),
}

/// A rustls server configuration from a PEM certificate chain and key (HTTP/1.1, aws-lc-rs).
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(TlsError::Certificate)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(TlsError::Key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Rustls)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

struct AppState {
    decider: Arc<Decider>,
    metrics: Metrics,
    slots: tokio::sync::Semaphore,
}

/// The webhook's routes over `decider`.
pub fn router(decider: Arc<Decider>) -> Router {
    let request_timeout = decider.deadline() + BODY_TIMEOUT;
    let state = Arc::new(AppState {
        decider,
        metrics: Metrics::default(),
        slots: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
    });
    Router::new()
        .route("/validate", post(validate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_REVIEW_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .with_state(state)
}

/// Serves the webhook on `listener` with `tls` until `handle` shuts it down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    decider: Arc<Decider>,
    handle: Handle<SocketAddr>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(tls)).handshake_timeout(HANDSHAKE_TIMEOUT);
    axum_server::from_tcp(listener)?
        .acceptor(acceptor)
        .first_request_timeout(FIRST_REQUEST_TIMEOUT)
        .handle(handle)
        .serve(router(decider).into_make_service())
        .await
}

async fn validate(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let started = Instant::now();
    let request = match review::parse_review(&body) {
        Ok(r) => r,
        Err(e) => {
            state.metrics.record_malformed(started.elapsed());
            tracing::warn!(error = %e, "malformed admission request");
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let decision = {
        let deadline = state.decider.deadline();
        match tokio::time::timeout(deadline, state.slots.acquire()).await {
            Ok(Ok(_permit)) => {
                let workload = review::workload(&request);
                state.decider.decide(request.namespace.as_deref(), workload).await
            }
            Ok(Err(_)) | Err(_) => crate::decision::Decision::busy(deadline),
        }
    };
    let denial = (!decision.allowed()).then_some(decision.message.as_str());
    let response = review::respond(&request, denial);
    state.metrics.record(decision.reason, started.elapsed());
    tracing::info!(
        uid = %request.uid,
        namespace = request.namespace.as_deref().unwrap_or_default(),
        kind = %request.kind.kind,
        allowed = decision.allowed(),
        reason = %decision.reason,
        "admission decision"
    );
    match serde_json::to_vec(&response) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot write the admission response");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot write the response\n").into_response()
        }
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.decider.ready().await {
        Ok(size) => format!("ready: the ledger answers ({size} entries)\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", crate::decision::chain(&e)),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let cache = state.decider.cache();
    let text = state.metrics.render(cache.hits(), cache.misses());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
