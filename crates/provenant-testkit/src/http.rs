//! A small HTTP/1.1 server for in-test peers: a thread per connection, keep-alive, bodies by
//! `Content-Length` or chunked, and one handler that sees the requests one at a time, in the order they
//! were read (as a single-threaded server would).
//!
//! Written for the in-memory registry instead of `tiny_http`, whose worker pool can leave a new
//! connection queued behind idle keep-alive connections when several arrive at once: a client that
//! opened six connections together then waited its full read deadline for one of them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The most bytes a request line and its headers may take.
const MAX_HEAD: usize = 64 << 10;

/// A request, read whole.
#[derive(Debug)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    stream: TcpStream,
    keep_alive: bool,
    answered: bool,
}

impl Request {
    /// `GET`, `PUT`…
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target: path and query.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The first header of this name (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Takes the body out (chunked bodies decoded).
    #[must_use]
    pub fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    /// Answers with `body` and a `Content-Length` of its size; a `HEAD` request gets the length and no
    /// body.
    pub fn respond(mut self, status: u16, headers: &[(&str, String)], body: &[u8]) {
        use std::fmt::Write as _;
        let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (k, v) in headers {
            let _ = write!(out, "{k}: {v}\r\n");
        }
        let _ = write!(out, "Content-Length: {}\r\n", body.len());
        if !self.keep_alive {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if self.method != "HEAD" {
            bytes.extend_from_slice(body);
        }
        let _ = self.stream.write_all(&bytes);
        let _ = self.stream.flush();
        self.answered = true;
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if !self.answered {
            // A handler that gave no answer: the client hears of it rather than waiting.
            let _ = self.stream.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The connections open now, by number, so that dropping the server can close them.
type Open = Arc<Mutex<HashMap<u64, TcpStream>>>;

/// A server on a free loopback port. Stops on drop, closing its connections.
pub struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    connections: Open,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Server(127.0.0.1:{})", self.port)
    }
}

impl Server {
    /// Starts it: `handler` is called for each request, one at a time.
    #[must_use]
    pub fn start(handler: impl Fn(Request) + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Open = Arc::default();
        let handler = Arc::new(Mutex::new(handler));
        let (flag, open) = (Arc::clone(&stop), Arc::clone(&connections));
        let thread = std::thread::spawn(move || {
            for (number, stream) in (0u64..).zip(listener.incoming()) {
                if flag.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                if let Ok(copy) = stream.try_clone() {
                    open.lock().expect("connections").insert(number, copy);
                }
                let (handler, open) = (Arc::clone(&handler), Arc::clone(&open));
                std::thread::spawn(move || {
                    serve(&stream, &handler);
                    // Its last copy goes with it: the socket closes.
                    open.lock().expect("connections").remove(&number);
                });
            }
        });
        Server {
            port,
            stop,
            connections,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accepting thread.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for (_, c) in self.connections.lock().expect("connections").drain() {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// Serves one connection's requests until it closes or a request cannot be read.
fn serve<H: Fn(Request)>(stream: &TcpStream, handler: &Mutex<H>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    loop {
        let Ok(writer) = stream.try_clone() else {
            return;
        };
        let Some(request) = read_request(&mut reader, writer) else {
            return;
        };
        let keep_alive = request.keep_alive;
        {
            let handle = handler.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            handle(request);
        }
        if !keep_alive {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, mut writer: TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader
            .by_ref()
            .take((MAX_HEAD - head.len().min(MAX_HEAD)) as u64)
            .read_until(b'\n', &mut head)
            .ok()?;
        if n == 0 {
            return None;
        }
        let line = head.get(before..).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                // A blank line before a request is allowed (RFC 9112, 2.2).
                head.clear();
                continue;
            }
            break;
        }
        if head.len() >= MAX_HEAD {
            let _ = writer.write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return None;
        }
    }
    let text = String::from_utf8(head).ok()?;
    let mut lines = text.lines();
    let mut first = lines.next()?.split(' ');
    let (method, url, version) = (first.next()?.to_owned(), first.next()?.to_owned(), first.next()?);
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let connection = find("Connection").unwrap_or_default();
    let keep_alive = if version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    if find("Expect").is_some_and(|e| e == "100-continue") {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    let body = if find("Transfer-Encoding").is_some_and(|t| t.contains("chunked")) {
        read_chunked(reader)?
    } else {
        let len: u64 = find("Content-Length").map_or(Some(0), |v| v.parse().ok())?;
        let mut body = Vec::new();
        reader.by_ref().take(len).read_to_end(&mut body).ok()?;
        (body.len() as u64 == len).then_some(body)?
    };
    Some(Request {
        method,
        url,
        headers,
        body,
        stream: writer,
        keep_alive,
        answered: false,
    })
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.by_ref().take(1024).read_line(&mut line).ok()?;
        let size = line.trim().split(';').next()?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut trailer = String::new();
                if reader.by_ref().take(1024).read_line(&mut trailer).ok()? == 0 || trailer.trim().is_empty()
                {
                    return Some(body);
                }
            }
        }
        let start = body.len();
        reader.by_ref().take(size as u64).read_to_end(&mut body).ok()?;
        if body.len() - start != size {
            return None;
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}
