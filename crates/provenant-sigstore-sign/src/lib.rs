//! Keyless sigstore signing for Provenant.
//!
//! An identity token (given, from `SIGSTORE_ID_TOKEN`, or GitHub Actions' ambient OIDC endpoint) buys a
//! short-lived Fulcio certificate for an ephemeral P-256 key; the signature is logged in Rekor (v1:
//! `hashedrekord/0.0.1` for blobs, `dsse/0.0.1` for attestations; or v2) and, when a timestamp authority
//! is configured, timestamped (RFC 3161). The result is a [`provenant_sigstore::Bundle`], written as v0.3.
//!
//! The network work is done by the sigstore-rust `sigstore-sign` crate, pinned exactly; none of its
//! types appear in this crate's API. This crate talks to the network and nothing else: it reads no
//! files and keeps no state. The ephemeral key never leaves memory and is dropped after one signature.
//!
//! ```
//! use provenant_sigstore_sign::{IdentityToken, Services};
//!
//! let services = Services::new("http://127.0.0.1:1", "http://127.0.0.1:1").with_tsa("http://127.0.0.1:1/api/v1/timestamp");
//! assert_eq!(services.fulcio_url(), "http://127.0.0.1:1");
//! // eyJhbGciOiJub25lIn0 = {"alg":"none"}; the payload names the issuer and subject.
//! let token = IdentityToken::from_jwt(
//!     "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiYWxpY2VAZXhhbXBsZS5jb20iLCJhdWQiOiJzaWdzdG9yZSIsImlhdCI6MCwiZXhwIjo0MTAyNDQ0ODAwfQ.sig",
//! )?;
//! assert_eq!(token.issuer(), "https://issuer.example");
//! assert!(!format!("{token:?}").contains("eyJ"), "the token never appears in Debug output");
//! # Ok::<(), provenant_sigstore_sign::SignError>(())
//! ```
#![forbid(unsafe_code)]

pub mod keyed;

use std::fmt;

use provenant_sigstore::Bundle;
use sigstore_sign::rekor::RekorApiVersion;
use zeroize::Zeroizing;

/// Environment variable holding an identity token (as cosign and sigstore-python read it).
pub const TOKEN_ENV: &str = "SIGSTORE_ID_TOKEN";
/// GitHub Actions' ambient OIDC endpoint and its bearer token.
pub const GITHUB_REQUEST_URL_ENV: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// See [`GITHUB_REQUEST_URL_ENV`].
pub const GITHUB_REQUEST_TOKEN_ENV: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// Largest token or signing-config response accepted.
const MAX_RESPONSE: usize = 1 << 20;

/// Why signing failed. Each variant names the step and service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// No identity token could be found or the one found is malformed or expired.
    #[error("identity token: {detail}")]
    Token {
        /// Why (never the token itself).
        detail: String,
    },
    /// The service configuration (flags or signing config) is unusable.
    #[error("signing configuration: {detail}")]
    Config {
        /// Why.
        detail: String,
    },
    /// Fulcio refused or failed to issue a certificate.
    #[error("Fulcio ({url}): {detail}")]
    Fulcio {
        /// The Fulcio URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// Rekor refused or failed to log the entry.
    #[error("Rekor ({url}): {detail}")]
    Rekor {
        /// The Rekor URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The timestamp authority refused or failed to timestamp the signature.
    #[error("timestamp authority ({url}): {detail}")]
    Tsa {
        /// The TSA URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The statement to sign is not an in-toto statement.
    #[error("statement: {detail}")]
    Statement {
        /// Why.
        detail: String,
    },
    /// The artefact could not be read.
    #[error("cannot read the artefact: {detail}")]
    Artifact {
        /// Why.
        detail: String,
    },
    /// The bundle the services returned could not be used.
    #[error("the services returned an unusable bundle: {detail}")]
    Bundle {
        /// Why.
        detail: String,
    },
}

/// An OIDC identity token. Its value is zeroized on drop and never printed.
#[derive(Clone)]
pub struct IdentityToken {
    // Holds the JWT in a zeroizing secret string.
    inner: sigstore_sign::oidc::IdentityToken,
}

impl fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("issuer", &self.issuer())
            .field("subject", &self.subject())
            .finish_non_exhaustive()
    }
}

impl IdentityToken {
    /// Parses a JWT (its claims are read, not verified: Fulcio verifies them).
    pub fn from_jwt(jwt: &str) -> Result<IdentityToken, SignError> {
        let jwt = jwt.trim();
        let inner = sigstore_sign::oidc::IdentityToken::from_jwt(jwt).map_err(|e| SignError::Token {
            detail: format!("not a usable JWT: {e}"),
        })?;
        if inner.is_expired() {
            return Err(SignError::Token {
                detail: format!("the token expired at {}", inner.expiration()),
            });
        }
        Ok(IdentityToken { inner })
    }

    /// The token's `iss` claim.
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    /// The token's `sub` claim.
    #[must_use]
    pub fn subject(&self) -> &str {
        self.inner.subject()
    }

    /// The identity Fulcio will certify (a verified email, else the subject).
    #[must_use]
    pub fn identity(&self) -> &str {
        self.inner.identity()
    }

    /// Finds the token: `explicit` (from `--identity-token`), else [`TOKEN_ENV`], else GitHub Actions'
    /// ambient endpoint ([`GITHUB_REQUEST_URL_ENV`] with [`GITHUB_REQUEST_TOKEN_ENV`], audience
    /// `sigstore`).
    pub async fn resolve(explicit: Option<&str>) -> Result<IdentityToken, SignError> {
        if let Some(t) = explicit {
            return IdentityToken::from_jwt(t);
        }
        if let Ok(t) = std::env::var(TOKEN_ENV)
            && !t.trim().is_empty()
        {
            return IdentityToken::from_jwt(&t);
        }
        match (
            std::env::var(GITHUB_REQUEST_URL_ENV),
            std::env::var(GITHUB_REQUEST_TOKEN_ENV),
        ) {
            (Ok(url), Ok(bearer)) => IdentityToken::from_github_actions(&url, &Zeroizing::new(bearer)).await,
            _ => Err(SignError::Token {
                detail: format!(
                    "none found: pass --identity-token, set {TOKEN_ENV}, or run in GitHub Actions with \
                     `permissions: id-token: write` ({GITHUB_REQUEST_URL_ENV})"
                ),
            }),
        }
    }

    /// Requests a token with audience `sigstore` from GitHub Actions' OIDC endpoint.
    pub async fn from_github_actions(request_url: &str, bearer: &str) -> Result<IdentityToken, SignError> {
        #[derive(serde::Deserialize)]
        struct Reply {
            value: Zeroizing<String>,
        }
        let sep = if request_url.contains('?') { '&' } else { '?' };
        let url = format!("{request_url}{sep}audience=sigstore");
        let err = |detail: String| SignError::Token {
            detail: format!("GitHub Actions OIDC endpoint: {detail}"),
        };
        let response = sigstore_sign::reqwest::Client::new()
            .get(&url)
            .bearer_auth(bearer)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| err(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(err(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| err(e.without_url().to_string()))?;
        if body.len() > MAX_RESPONSE {
            return Err(err(format!("response larger than {MAX_RESPONSE} bytes")));
        }
        let reply: Reply =
            serde_json::from_slice(&body).map_err(|e| err(format!("unexpected response: {e}")))?;
        IdentityToken::from_jwt(&reply.value)
    }
}

/// Which Rekor API the log speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RekorVersion {
    /// Rekor v1 (`/api/v1/log/entries`; integrated time and SET).
    V1,
    /// Rekor v2 (`/api/v2/log/entries`; checkpoints only, a TSA is required).
    V2,
}

/// The services a signature is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    fulcio: String,
    rekor: String,
    rekor_version: RekorVersion,
    tsa: Option<String>,
}

impl Services {
    /// Fulcio and a Rekor v1 log, no timestamp authority.
    #[must_use]
    pub fn new(fulcio_url: impl Into<String>, rekor_url: impl Into<String>) -> Services {
        Services {
            fulcio: fulcio_url.into(),
            rekor: rekor_url.into(),
            rekor_version: RekorVersion::V1,
            tsa: None,
        }
    }

    /// Sets the Fulcio URL.
    #[must_use]
    pub fn with_fulcio(mut self, fulcio_url: impl Into<String>) -> Services {
        self.fulcio = fulcio_url.into();
        self
    }

    /// Also requests an RFC 3161 timestamp from this URL (the full endpoint, e.g.
    /// `…/api/v1/timestamp`).
    #[must_use]
    pub fn with_tsa(mut self, tsa_url: impl Into<String>) -> Services {
        self.tsa = Some(tsa_url.into());
        self
    }

    /// Sets the Rekor log and its API version.
    #[must_use]
    pub fn with_rekor(mut self, rekor_url: impl Into<String>, version: RekorVersion) -> Services {
        self.rekor = rekor_url.into();
        self.rekor_version = version;
        self
    }

    /// Reads a sigstore signing config (`application/vnd.dev.sigstore.signingconfig.v0.2+json`), or the
    /// `signingConfig` of a client trust configuration, and picks the services valid now.
    pub fn from_signing_config(json: &[u8]) -> Result<Services, SignError> {
        let err = |detail: String| SignError::Config { detail };
        if json.len() > MAX_RESPONSE {
            return Err(err(format!("signing config is larger than {MAX_RESPONSE} bytes")));
        }
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| err(format!("signing config is not JSON: {e}")))?;
        let value =
            match value.get("mediaType").and_then(serde_json::Value::as_str) {
                Some(provenant_sigstore::CLIENT_TRUST_CONFIG_MEDIA_TYPE) => value
                    .get("signingConfig")
                    .cloned()
                    .ok_or_else(|| err("client trust config has no `signingConfig`".into()))?,
                _ => value,
            };
        let config = sigstore_sign::trust_root::SigningConfig::from_json(&value.to_string())
            .map_err(|e| err(format!("signing config: {e}")))?;
        let services = sigstore_sign::SigningServices::from_signing_config(&config)
            .map_err(|e| err(format!("signing config: {e}")))?;
        Ok(Services {
            fulcio: services.fulcio_url().to_owned(),
            rekor: services.rekor_url().to_owned(),
            rekor_version: match services.rekor_api_version() {
                RekorApiVersion::V1 => RekorVersion::V1,
                _ => RekorVersion::V2,
            },
            tsa: services.tsa_url().map(str::to_owned),
        })
    }

    /// The Fulcio URL.
    #[must_use]
    pub fn fulcio_url(&self) -> &str {
        &self.fulcio
    }

    /// The Rekor URL.
    #[must_use]
    pub fn rekor_url(&self) -> &str {
        &self.rekor
    }

    /// The Rekor API version.
    #[must_use]
    pub fn rekor_version(&self) -> RekorVersion {
        self.rekor_version
    }

    /// The timestamp authority URL, if any.
    #[must_use]
    pub fn tsa_url(&self) -> Option<&str> {
        self.tsa.as_deref()
    }

    fn context(&self) -> sigstore_sign::SigningContext {
        let version = match self.rekor_version {
            RekorVersion::V1 => RekorApiVersion::V1,
            RekorVersion::V2 => RekorApiVersion::V2,
        };
        let mut services =
            sigstore_sign::SigningServices::new(&self.fulcio, &self.rekor).with_rekor(&self.rekor, version);
        if let Some(tsa) = &self.tsa {
            services = services.with_tsa_url(tsa);
        }
        sigstore_sign::SigningContext::new(services)
    }
}

/// Signs with a fresh key certified by Fulcio for one identity token.
#[derive(Debug)]
pub struct KeylessSigner {
    services: Services,
    signer: sigstore_sign::Signer,
}

impl KeylessSigner {
    /// A signer for `token` against `services`.
    #[must_use]
    pub fn new(services: Services, token: &IdentityToken) -> KeylessSigner {
        let signer = services.context().signer(token.inner.clone());
        KeylessSigner { services, signer }
    }

    /// Signs a blob: a `messageSignature` bundle with a `hashedrekord` entry.
    pub async fn sign_blob(&self, bytes: &[u8]) -> Result<Bundle, SignError> {
        let bundle = self.signer.sign(bytes).await.map_err(|e| self.map_error(e))?;
        Self::wrap(&bundle)
    }

    /// Signs a blob read to its end from `reader`, in constant memory.
    pub async fn sign_reader(&self, reader: impl std::io::Read) -> Result<Bundle, SignError> {
        let bundle = self
            .signer
            .sign_reader(reader)
            .await
            .map_err(|e| self.map_error(e))?;
        Self::wrap(&bundle)
    }

    /// Signs an in-toto statement (its exact bytes) in a DSSE envelope: a `dsseEnvelope` bundle with a
    /// `dsse/0.0.1` entry on Rekor v1.
    pub async fn sign_statement(&self, statement: &[u8]) -> Result<Bundle, SignError> {
        let bundle = self
            .signer
            .sign_raw_statement(statement)
            .await
            .map_err(|e| self.map_error(e))?;
        Self::wrap(&bundle)
    }

    fn wrap(bundle: &sigstore_sign::types::Bundle) -> Result<Bundle, SignError> {
        let json = bundle.to_json().map_err(|e| SignError::Bundle {
            detail: e.to_string(),
        })?;
        Bundle::from_json(json.as_bytes()).map_err(|e| SignError::Bundle {
            detail: e.to_string(),
        })
    }

    fn map_error(&self, e: sigstore_sign::Error) -> SignError {
        use sigstore_sign::Error as E;
        let s = &self.services;
        match e {
            E::Fulcio(e) => SignError::Fulcio {
                url: s.fulcio.clone(),
                detail: e.to_string(),
            },
            E::Rekor(e) => SignError::Rekor {
                url: s.rekor.clone(),
                detail: e.to_string(),
            },
            E::Tsa(e) => SignError::Tsa {
                url: s.tsa.clone().unwrap_or_default(),
                detail: e.to_string(),
            },
            E::Oidc(e) => SignError::Token {
                detail: e.to_string(),
            },
            E::Config(e) => SignError::Config {
                detail: e.to_string(),
            },
            E::InvalidStatement(e) => SignError::Statement {
                detail: e.to_string(),
            },
            E::ArtifactRead(e) => SignError::Artifact {
                detail: e.to_string(),
            },
            other => SignError::Bundle {
                detail: other.to_string(),
            },
        }
    }
}
