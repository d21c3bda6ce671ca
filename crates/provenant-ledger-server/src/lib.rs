//! The audit ledger's HTTP server (`provenant ledger serve`).
//!
//! A long-running service over any [`LedgerStore`]: the `/v1` API (append, read, search, proofs) behind
//! bearer tokens with roles, the C2SP tlog-tiles read side (`/checkpoint`, `/tile/L/N[.p/W]`,
//! `/tile/entries/N[.p/W]`) public as a static tile host would serve it, `/healthz` and `/metrics`.
//! After each append batch it signs a checkpoint of the new tree with the note key, keeps it in the store
//! and serves it; the append is acknowledged (201) only after both. TLS is rustls (aws-lc-rs); plain HTTP
//! only on a loopback address. Request bodies, request time and concurrent requests are bounded. Tokens
//! and `Authorization` headers never reach a log line or an error.
#![forbid(unsafe_code)]

mod api;
mod metrics;
pub mod tokens;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use provenant_ledger::NoteSigner;
use provenant_ledger_store::{LedgerStore, StoreError};

pub use api::request_entries;
pub use tokens::{Role, Token, Tokens, TokensError, token_sha256};

/// Default largest request body: 16 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 16 << 20;
/// Default time a request may take, end to end.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of requests handled at once (more wait, within the request timeout).
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How the server listens and what it bounds.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// TLS certificate chain and private key (PEM files); `None` serves plain HTTP, loopback only.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest request body in bytes (larger is 413).
    pub body_limit: usize,
    /// Time a request may take (longer is 503, and the work is abandoned; an append already committed
    /// stays committed).
    pub request_timeout: Duration,
    /// Requests handled at once.
    pub concurrency: usize,
}

impl Config {
    /// Defaults for `listen`: no TLS, 16 MiB bodies, 30 s requests, 64 at once.
    #[must_use]
    pub fn new(listen: SocketAddr) -> Config {
        Config {
            listen,
            tls: None,
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Plain HTTP was asked for on an address other machines can reach.
    #[error(
        "refusing to serve plain HTTP on {listen}: give --tls-cert and --tls-key, or listen on a loopback address (127.0.0.1, ::1)"
    )]
    PlainHttpNotLoopback {
        /// The address.
        listen: SocketAddr,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("cannot load the TLS certificate {cert} and key {key}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The note key is not the ledger's (its name is not the origin, or its verifier key is not the one
    /// recorded at init).
    #[error("the note key {key_name} is not this ledger's key (origin {origin})")]
    WrongNoteKey {
        /// The key's name.
        key_name: String,
        /// The ledger's origin.
        origin: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The checkpoint could not be signed.
    #[error("cannot sign a checkpoint")]
    Sign(#[from] provenant_ledger::NoteError),
    /// Listening or serving failed.
    #[error("cannot serve on {listen}")]
    Io {
        /// The address.
        listen: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A server ready to run: the store, the note key, the tokens and the configuration.
pub struct Server {
    state: Arc<api::State>,
    config: Config,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A server running on its own threads (tests, and callers that stop it): its address, and a handle
/// that stops it when dropped.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// Stops the server and waits for it.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServeError> {
        self.handle.shutdown();
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(ServeError::Io {
                listen: self.addr,
                source: std::io::Error::other("the server thread panicked"),
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl Server {
    /// Checks that `signer` is the ledger's note key, signs and keeps a checkpoint of the current tree
    /// (a server's first act after a restart: the tree is whatever was committed), and checks the
    /// configuration (plain HTTP only on loopback).
    pub fn new(
        store: Arc<dyn LedgerStore>,
        signer: NoteSigner,
        tokens: Tokens,
        config: Config,
    ) -> Result<Server, ServeError> {
        if config.tls.is_none() && !config.listen.ip().is_loopback() {
            return Err(ServeError::PlainHttpNotLoopback {
                listen: config.listen,
            });
        }
        let origin = store.origin()?;
        if signer.name() != origin || store.verifier_key()? != signer.verifier_key() {
            return Err(ServeError::WrongNoteKey {
                key_name: signer.name().to_owned(),
                origin,
            });
        }
        let state = api::State::new(store, signer, tokens, &config)?;
        Ok(Server {
            state: Arc::new(state),
            config,
        })
    }

    /// Serves until the process ends.
    pub fn serve(self) -> Result<(), ServeError> {
        let handle = axum_server::Handle::new();
        self.run(handle)
    }

    /// Serves on a thread of its own; the returned [`Running`] gives the bound address (useful with
    /// port 0) and stops the server when dropped.
    pub fn spawn(self) -> Result<Running, ServeError> {
        let handle = axum_server::Handle::new();
        let listen = self.config.listen;
        let h = handle.clone();
        let thread = std::thread::spawn(move || self.run(h));
        let runtime = runtime(listen)?;
        let addr = runtime.block_on(handle.listening());
        match addr {
            Some(addr) => Ok(Running {
                addr,
                handle,
                thread: Some(thread),
            }),
            None => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => Err(ServeError::Io {
                    listen,
                    source: std::io::Error::other("the server stopped before listening"),
                }),
            },
        }
    }

    fn run(self, handle: axum_server::Handle<SocketAddr>) -> Result<(), ServeError> {
        let listen = self.config.listen;
        let runtime = runtime(listen)?;
        let app = api::router(Arc::clone(&self.state), &self.config);
        let service = app.into_make_service();
        let io = |source| ServeError::Io { listen, source };
        runtime.block_on(async move {
            if let Some((cert, key)) = &self.config.tls {
                // The tree's one provider; another caller may have installed it already.
                let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
                let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|source| ServeError::Tls {
                        cert: cert.clone(),
                        key: key.clone(),
                        source,
                    })?;
                tracing::info!(%listen, "ledger server listening (TLS)");
                axum_server::bind_rustls(listen, tls)
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(io)
            } else {
                tracing::info!(%listen, "ledger server listening (plain HTTP, loopback only)");
                axum_server::bind(listen)
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(io)
            }
        })
    }
}

fn runtime(listen: SocketAddr) -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io { listen, source })
}
