//! A loopback HTTP sink that records what it receives.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A sink answering every request with `status` (and `body`), recording the requests.
pub(crate) struct Sink {
    pub(crate) url: String,
    pub(crate) received: Arc<Mutex<Vec<Received>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    pub(crate) fn start(status: u16, body: &'static str) -> Sink {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (server.clone(), received.clone());
        let thread = std::thread::spawn(move || {
            for mut request in s.incoming_requests() {
                let mut content = Vec::new();
                let _ = request.as_reader().read_to_end(&mut content);
                r.lock().unwrap().push(Received {
                    method: request.method().to_string(),
                    url: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body: content,
                });
                let _ = request.respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        Sink {
            url,
            received,
            server,
            thread: Some(thread),
        }
    }

    pub(crate) fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
