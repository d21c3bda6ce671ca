//! A loopback sigstore instance (Fulcio, Rekor v1/v2, RFC 3161 TSA) for signing tests:
//! `tests/harness/mock-sigstore-server.js` over the npm `@sigstore/mock` handlers.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Service, free_port, repo_root, require_node_modules, require_on_path};

/// A running mock sigstore instance; stopped when dropped.
#[derive(Debug)]
pub struct MockSigstore {
    /// The server process and its scratch directory.
    pub service: Service,
    /// Its `trusted_root.json` (fresh keys at every start).
    pub trusted_root: PathBuf,
    /// Its signing config (Fulcio, Rekor v1 and the TSA at `base_url`).
    pub signing_config: PathBuf,
    /// Both in one client trust configuration, as sigstore-python's `--trust-config` takes them.
    pub client_trust_config: PathBuf,
}

impl MockSigstore {
    /// `http://127.0.0.1:<port>`: Fulcio and Rekor live here.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.service.base_url()
    }

    /// The timestamp authority's endpoint.
    #[must_use]
    pub fn tsa_url(&self) -> String {
        format!("{}/api/v1/timestamp", self.base_url())
    }
}

/// Starts the mock on a free loopback port and waits until it has written its trust material.
#[must_use]
pub fn start_mock_sigstore() -> MockSigstore {
    let node = require_on_path("node");
    let modules = require_node_modules("sigstore");
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let mut cmd = Command::new(node);
    cmd.env("NODE_PATH", &modules)
        .arg(repo_root().join("tests/harness/mock-sigstore-server.js"))
        .arg(port.to_string())
        .arg(dir.path());
    let service = Service::spawn(cmd, port, dir, "mock-sigstore.log");
    let path = |name: &str| service.dir.path().join(name);
    let (trusted_root, signing_config, client_trust_config) = (
        path("trusted_root.json"),
        path("signing_config.json"),
        path("client_trust_config.json"),
    );
    assert!(
        client_trust_config.is_file(),
        "the mock sigstore server wrote no trust material"
    );
    MockSigstore {
        service,
        trusted_root,
        signing_config,
        client_trust_config,
    }
}

/// An unsigned JWT (`alg: none`) valid for an hour, which the mock Fulcio accepts: `iss` becomes the
/// certificate's OIDC issuer extension and `sub` its SAN.
#[must_use]
pub fn mock_identity_token(issuer: &str, subject: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = r#"{"alg":"none","typ":"JWT"}"#;
    let claims = format!(
        r#"{{"iss":"{issuer}","sub":"{subject}","aud":"sigstore","iat":{now},"exp":{}}}"#,
        now + 3600
    );
    format!(
        "{}.{}.sig",
        base64url(header.as_bytes()),
        base64url(claims.as_bytes())
    )
}

// Test harness: the indices are in range by construction (a chunk has 1 to 3 bytes, masks are 6 bits).
#[allow(clippy::indexing_slicing)]
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}
