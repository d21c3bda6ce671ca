//! The one HTTP client of this crate: every call has deadlines, and a response that is not 2xx is an
//! error naming the status.

use std::sync::Arc;
use std::time::Duration;

/// Largest response body read (Prometheus answers, sink replies).
pub const MAX_RESPONSE_BYTES: u64 = 4 << 20;

/// The deadlines of one HTTP call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Resolving and connecting.
    pub connect: Duration,
    /// The whole call, body included.
    pub total: Duration,
}

impl Default for Deadlines {
    /// 5 s to connect, 10 s in all.
    fn default() -> Self {
        Deadlines {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(10),
        }
    }
}

/// Why an HTTP call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not `http://` or `https://`.
    #[error("{url} is not an http:// or https:// URL")]
    Scheme {
        /// The URL given.
        url: String,
    },
    /// No answer within the deadline.
    #[error("{method} {url}: no answer within {seconds} s")]
    Timeout {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// The connection or transfer failed.
    #[error("{method} {url}: {reason}")]
    Transport {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server answered with a status other than 2xx.
    #[error("{method} {url}: the server answered HTTP {status}")]
    Status {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
}

pub(crate) fn agent(deadlines: Deadlines) -> ureq::Agent {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(tls)
        .timeout_resolve(Some(deadlines.connect))
        .timeout_connect(Some(deadlines.connect))
        .timeout_global(Some(deadlines.total))
        .user_agent(concat!("provenant/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

pub(crate) fn check_scheme(url: &str) -> Result<(), HttpError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(HttpError::Scheme { url: url.to_owned() })
    }
}

pub(crate) fn transport(method: &'static str, url: &str, deadlines: Deadlines, e: ureq::Error) -> HttpError {
    match e {
        ureq::Error::Timeout(_) => HttpError::Timeout {
            method,
            url: url.to_owned(),
            seconds: deadlines.total.as_secs(),
        },
        other => HttpError::Transport {
            method,
            url: url.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// POSTs `body` as `application/json` with extra `headers`; a non-2xx answer is an error.
pub(crate) fn post_json(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    deadlines: Deadlines,
) -> Result<u16, HttpError> {
    check_scheme(url)?;
    let mut request = agent(deadlines)
        .post(url)
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let response = request
        .send(body)
        .map_err(|e| transport("POST", url, deadlines, e))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(HttpError::Status {
            method: "POST",
            url: url.to_owned(),
            status,
        })
    }
}

/// GETs `url` and returns the body (at most [`MAX_RESPONSE_BYTES`]); a non-2xx answer is an error.
pub(crate) fn get(url: &str, deadlines: Deadlines) -> Result<Vec<u8>, HttpError> {
    check_scheme(url)?;
    let response = agent(deadlines)
        .get(url)
        .call()
        .map_err(|e| transport("GET", url, deadlines, e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(HttpError::Status {
            method: "GET",
            url: url.to_owned(),
            status,
        });
    }
    response
        .into_body()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| transport("GET", url, deadlines, e))
}
