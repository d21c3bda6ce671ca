//! A CA and a serving certificate for 127.0.0.1 (rcgen), the webhook served on a free loopback port,
//! and an HTTPS client that trusts only that CA.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use provenant_admission::Decider;
use provenant_admission::server::{self, Handle};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

pub(crate) struct Pki {
    pub(crate) ca: String,
    pub(crate) cert: String,
    pub(crate) key: String,
}

pub(crate) fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca: ca.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// A running webhook; stopped on drop.
pub(crate) struct Webhook {
    pub(crate) addr: SocketAddr,
    pub(crate) agent: ureq::Agent,
    handle: Handle<SocketAddr>,
    _runtime: tokio::runtime::Runtime,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

pub(crate) fn start(decider: Decider) -> Webhook {
    let pki = pki();
    let tls = server::tls_config(pki.cert.as_bytes(), pki.key.as_bytes()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = Handle::new();
    let h = handle.clone();
    let decider = Arc::new(decider);
    runtime.spawn(async move { server::serve(listener, tls, decider, h).await.unwrap() });
    let ca = ureq::tls::Certificate::from_pem(pki.ca.as_bytes()).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![ca])))
        .build();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    Webhook {
        addr,
        agent,
        handle,
        _runtime: runtime,
    }
}

impl Webhook {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// POSTs a body to /validate: the status and the body.
    pub(crate) fn validate(&self, body: &[u8]) -> (u16, Vec<u8>) {
        let mut response = self
            .agent
            .post(&self.url("/validate"))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_vec().unwrap())
    }

    /// POSTs a review and returns its response (`allowed`, message, uid).
    pub(crate) fn review(&self, body: &[u8]) -> (bool, String, String) {
        let (status, body) = self.validate(body);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let r = &v["response"];
        (
            r["allowed"].as_bool().unwrap(),
            r["status"]["message"].as_str().unwrap_or_default().to_owned(),
            r["uid"].as_str().unwrap().to_owned(),
        )
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let mut response = self.agent.get(&self.url(path)).call().unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
    }
}
