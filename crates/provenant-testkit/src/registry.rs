//! OCI test services and checks: Debian's `docker-registry` on a free loopback port (optionally behind
//! htpasswd), a small in-process registry that implements the OCI 1.1 referrers API, and validation of
//! documents against the OCI image-spec JSON schemas from the third-party vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Service, free_port, require_on_path};

/// Which OCI image-spec schema a document must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OciSchema {
    /// `image-manifest-schema.json`.
    Manifest,
    /// `image-index-schema.json` (also `index.json` of a layout).
    Index,
    /// `config-schema.json`.
    Config,
    /// `image-layout-schema.json` (the `oci-layout` file).
    Layout,
    /// `content-descriptor.json`.
    Descriptor,
}

impl OciSchema {
    fn file(self) -> &'static str {
        match self {
            OciSchema::Manifest => "image-manifest-schema.json",
            OciSchema::Index => "image-index-schema.json",
            OciSchema::Config => "config-schema.json",
            OciSchema::Layout => "image-layout-schema.json",
            OciSchema::Descriptor => "content-descriptor.json",
        }
    }
}

/// Validates `doc` against the OCI image-spec schema (from `vectors/oci-image-spec/schema`), returning
/// every violation as text.
pub fn validate_oci(schema: OciSchema, doc: &serde_json::Value) -> Result<(), String> {
    let dir = crate::vectors_dir().join("oci-image-spec/schema");
    let load = |name: &str| -> serde_json::Value {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read schema {name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse schema {name}: {e}"))
    };
    // The schemas use draft-04 `id`s on sub-schemas, which move the base of their relative `$ref`s:
    // resolve every reference by its file name, whatever base it was resolved against.
    let options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .with_retriever(SchemaDir(dir.clone()));
    let validator = options
        .build(&load(schema.file()))
        .map_err(|e| format!("schema {}: {e}", schema.file()))?;
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

struct SchemaDir(PathBuf);

impl jsonschema::Retrieve for SchemaDir {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Asserts that `bytes` parse as JSON and satisfy `schema`.
pub fn assert_valid_oci(schema: OciSchema, bytes: &[u8]) {
    let doc: serde_json::Value = serde_json::from_slice(bytes).expect("document is JSON");
    if let Err(e) = validate_oci(schema, &doc) {
        panic!("document does not satisfy the OCI {schema:?} schema: {e}\n{doc:#}");
    }
}

/// A running Debian `docker-registry` (distribution 2.8) with filesystem storage in a temporary
/// directory. Killed on drop.
#[derive(Debug)]
pub struct DockerRegistry {
    /// The process and its scratch directory.
    pub service: Service,
    /// `user:password` when started with htpasswd authentication.
    pub credentials: Option<(String, String)>,
}

impl DockerRegistry {
    /// Starts an anonymous registry.
    #[must_use]
    pub fn start() -> DockerRegistry {
        Self::spawn(None)
    }

    /// Starts a registry requiring Basic authentication for `user`/`password` (bcrypt htpasswd).
    #[must_use]
    pub fn start_with_auth(user: &str, password: &str) -> DockerRegistry {
        Self::spawn(Some((user.to_owned(), password.to_owned())))
    }

    fn spawn(credentials: Option<(String, String)>) -> DockerRegistry {
        let program = require_on_path("docker-registry");
        let dir = tempfile::tempdir().expect("registry scratch dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("registry data dir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    \
             rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: provenant-test\n  \
             headers:\n    X-Content-Type-Options: [nosniff]\n",
            data.display()
        );
        if let Some((user, password)) = &credentials {
            let htpasswd = require_on_path("htpasswd");
            let out = Command::new(htpasswd)
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd");
            assert!(
                out.status.success(),
                "htpasswd failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).expect("write htpasswd");
            config.push_str("auth:\n  htpasswd:\n    realm: provenant-test\n    path: ");
            config.push_str(&file.display().to_string());
            config.push('\n');
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let mut command = Command::new(program);
        command.arg("serve").arg(&config_path);
        let service = Service::spawn(command, port, dir, "registry.log");
        DockerRegistry { service, credentials }
    }

    /// `127.0.0.1:<port>`: the registry part of references.
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.service.port)
    }

    /// The storage root (`docker/registry/v2/...` lies below it).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.service.dir.path().join("data")
    }

    /// The file holding a blob's bytes in the registry's storage, for tamper tests.
    #[must_use]
    pub fn blob_path(&self, hex: &str) -> PathBuf {
        let prefix = hex.get(..2).expect("hex digest");
        self.data_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(prefix)
            .join(hex)
            .join("data")
    }

    /// The registry log, for failure messages.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.service.dir.path().join("registry.log")).unwrap_or_default()
    }
}

/// Builds an OCI image layout at `dir` with umoci from the files in `rootfs` (tag `tag`), the way a user
/// outside Provenant would.
pub fn umoci_image(dir: &Path, tag: &str, rootfs: &Path) {
    let umoci = require_on_path("umoci");
    let image = format!("{}:{tag}", dir.display());
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(&umoci).args(args).output().expect("run umoci");
        assert!(
            out.status.success(),
            "umoci {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    if !dir.join("oci-layout").exists() {
        run(&["init".as_ref(), "--layout".as_ref(), dir.as_os_str()]);
    }
    run(&["new".as_ref(), "--image".as_ref(), image.as_ref()]);
    let bundle = tempfile::tempdir().expect("umoci bundle dir");
    let bundle_path = bundle.path().join("b");
    run(&[
        "unpack".as_ref(),
        "--rootless".as_ref(),
        "--image".as_ref(),
        image.as_ref(),
        bundle_path.as_os_str(),
    ]);
    copy_tree(rootfs, &bundle_path.join("rootfs"));
    run(&[
        "repack".as_ref(),
        "--image".as_ref(),
        image.as_ref(),
        bundle_path.as_os_str(),
    ]);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Misbehaviours the in-process registry can be told to show, for bad-input tests.
// Independent switches, set by name in tests.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Statuses answered to the next requests (popped from the front), before normal handling.
    pub statuses: Vec<u16>,
    /// Serve every blob with its first byte flipped.
    pub corrupt_blobs: bool,
    /// Answer blob GETs with a redirect to themselves.
    pub redirect_loop: bool,
    /// Serve manifests padded to more than 4 MiB.
    pub oversized_manifests: bool,
    /// Answer this many blob-upload PUTs with 503 (after reading their body).
    pub fail_uploads: u32,
    /// Serve only the first half of every blob.
    pub truncate_blobs: bool,
    /// Require the bearer-token flow: `(user, password)` accepted by the `/token` endpoint.
    pub bearer: Option<(String, String)>,
    /// Behave like a registry without the OCI 1.1 referrers API (as docker-registry 2.8): no
    /// `OCI-Subject` header, and `GET /v2/<name>/referrers/<digest>` answered with a plain 404.
    pub no_referrers_api: bool,
}

#[derive(Default)]
struct MemoryState {
    blobs: std::collections::BTreeMap<String, Vec<u8>>,
    manifests: std::collections::BTreeMap<(String, String), (String, Vec<u8>)>,
    tags: std::collections::BTreeMap<(String, String), String>,
    uploads: std::collections::BTreeMap<String, Vec<u8>>,
    next_upload: u64,
    faults: Faults,
    requests: Vec<String>,
    tokens: Vec<String>,
}

/// A small in-process registry implementing the distribution API with the OCI 1.1 referrers API
/// (`GET /v2/<name>/referrers/<digest>`, the `OCI-Subject` header), in memory, on a free loopback port.
pub struct MemoryRegistry {
    server: crate::http::Server,
    state: std::sync::Arc<std::sync::Mutex<MemoryState>>,
}

impl std::fmt::Debug for MemoryRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryRegistry(127.0.0.1:{})", self.server.port())
    }
}

fn sha256_hex(data: &[u8]) -> String {
    provenant_digest::Algorithm::Sha256.hash_bytes(data).to_string()
}

impl MemoryRegistry {
    /// Starts it.
    #[must_use]
    pub fn start() -> MemoryRegistry {
        let state = std::sync::Arc::new(std::sync::Mutex::new(MemoryState::default()));
        let st = std::sync::Arc::clone(&state);
        let server = crate::http::Server::start(move |request| handle(&st, request));
        MemoryRegistry { server, state }
    }

    /// `127.0.0.1:<port>`.
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.server.port())
    }

    /// Sets the misbehaviours.
    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().expect("state").faults = faults;
    }

    /// Every request seen so far, as `METHOD path`.
    #[must_use]
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("state").requests.clone()
    }

    /// Every bearer token the `/token` endpoint has issued (with [`Faults::bearer`]).
    #[must_use]
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().expect("state").tokens.clone()
    }
}

/// Answers `request`; a `HEAD` request gets the body's length and no body.
#[allow(clippy::needless_pass_by_value)] // every call site builds its headers and body in place
fn respond(request: crate::http::Request, status: u16, headers: Vec<(&str, String)>, body: Vec<u8>) {
    request.respond(status, &headers, &body);
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::json!({ "errors": [{ "code": code, "message": message }] })
        .to_string()
        .into_bytes()
}

#[allow(clippy::too_many_lines)] // one dispatcher over the distribution API's routes
fn handle(state: &std::sync::Mutex<MemoryState>, mut request: crate::http::Request) {
    let method = request.method().to_owned();
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let (path, query) = (path.to_owned(), query.to_owned());
    let param = |name: &str| {
        query.split('&').find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        })
    };
    let body = request.take_body();
    let mut st = state.lock().expect("state");
    st.requests.push(format!("{method} {path}"));
    if let Some((user, password)) = st.faults.bearer.clone() {
        let auth = request.header("Authorization").unwrap_or_default().to_owned();
        if path == "/token" {
            use base64::Engine as _;
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            );
            if auth != expected {
                drop(st);
                return respond(
                    request,
                    401,
                    vec![],
                    error_body("UNAUTHORIZED", "bad credentials"),
                );
            }
            let scope = param("scope").unwrap_or_default();
            // Distinctive enough to search logs for.
            let token = format!(
                "tok-{}-{}",
                scope.len(),
                &sha256_hex(format!("{}:{scope}", st.tokens.len()).as_bytes())[7..39]
            );
            st.tokens.push(token.clone());
            drop(st);
            let body = serde_json::json!({ "token": token, "expires_in": 300 });
            return respond(request, 200, vec![], body.to_string().into_bytes());
        }
        if !auth.starts_with("Bearer tok-") {
            let host = request.header("Host").map(str::to_owned);
            drop(st);
            let challenge = format!(
                "Bearer realm=\"http://{}/token\",service=\"memory\",scope=\"repository:app:pull\"",
                host.unwrap_or_default()
            );
            return respond(
                request,
                401,
                vec![("WWW-Authenticate", challenge)],
                error_body("UNAUTHORIZED", "token required"),
            );
        }
    }
    if !st.faults.statuses.is_empty() {
        let status = st.faults.statuses.remove(0);
        drop(st);
        return respond(
            request,
            status,
            vec![],
            error_body("UNAVAILABLE", "injected fault"),
        );
    }
    if path == "/v2/" || path == "/v2" {
        drop(st);
        return respond(request, 200, vec![], b"{}".to_vec());
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        drop(st);
        return respond(request, 404, vec![], vec![]);
    };
    let split = |marker: &str| rest.split_once(marker).map(|(n, r)| (n.to_owned(), r.to_owned()));
    if let Some((name, id)) = split("/blobs/uploads/") {
        match method.as_str() {
            "POST" => {
                if let (Some(mount), Some(_from)) = (param("mount"), param("from"))
                    && st.blobs.contains_key(&mount)
                {
                    drop(st);
                    return respond(request, 201, vec![("Docker-Content-Digest", mount)], vec![]);
                }
                st.next_upload += 1;
                let id = format!("u{}", st.next_upload);
                st.uploads.insert(id.clone(), Vec::new());
                drop(st);
                respond(
                    request,
                    202,
                    vec![("Location", format!("/v2/{name}/blobs/uploads/{id}"))],
                    vec![],
                );
            }
            "PATCH" => {
                let Some(data) = st.uploads.get_mut(&id) else {
                    drop(st);
                    return respond(
                        request,
                        404,
                        vec![],
                        error_body("BLOB_UPLOAD_UNKNOWN", "no such upload"),
                    );
                };
                data.extend_from_slice(&body);
                let end = data.len().saturating_sub(1);
                drop(st);
                respond(
                    request,
                    202,
                    vec![
                        ("Location", format!("/v2/{name}/blobs/uploads/{id}")),
                        ("Range", format!("0-{end}")),
                    ],
                    vec![],
                );
            }
            "PUT" if st.faults.fail_uploads > 0 => {
                st.faults.fail_uploads -= 1;
                st.uploads.remove(&id);
                drop(st);
                respond(
                    request,
                    503,
                    vec![],
                    error_body("UNAVAILABLE", "injected upload failure"),
                );
            }
            "PUT" => {
                let Some(mut data) = st.uploads.remove(&id) else {
                    drop(st);
                    return respond(
                        request,
                        404,
                        vec![],
                        error_body("BLOB_UPLOAD_UNKNOWN", "no such upload"),
                    );
                };
                data.extend_from_slice(&body);
                let digest = param("digest").unwrap_or_default().replace("%3A", ":");
                if sha256_hex(&data) != digest {
                    drop(st);
                    return respond(
                        request,
                        400,
                        vec![],
                        error_body("DIGEST_INVALID", "digest did not match"),
                    );
                }
                st.blobs.insert(digest.clone(), data);
                drop(st);
                respond(request, 201, vec![("Docker-Content-Digest", digest)], vec![]);
            }
            "DELETE" => {
                st.uploads.remove(&id);
                drop(st);
                respond(request, 204, vec![], vec![]);
            }
            _ => {
                drop(st);
                respond(request, 405, vec![], vec![]);
            }
        }
    } else if let Some((_name, digest)) = split("/blobs/") {
        if st.faults.redirect_loop {
            drop(st);
            return respond(request, 307, vec![("Location", path.clone())], vec![]);
        }
        let Some(mut data) = st.blobs.get(&digest).cloned() else {
            drop(st);
            return respond(request, 404, vec![], error_body("BLOB_UNKNOWN", "blob unknown"));
        };
        if st.faults.corrupt_blobs
            && let Some(b) = data.first_mut()
        {
            *b ^= 0xff;
        }
        if st.faults.truncate_blobs {
            data.truncate(data.len() / 2);
        }
        drop(st);
        let headers = vec![
            ("Docker-Content-Digest", digest),
            ("Content-Type", "application/octet-stream".to_owned()),
        ];
        respond(request, 200, headers, data);
    } else if let Some((name, reference)) = split("/manifests/") {
        match method.as_str() {
            "PUT" => {
                let digest = sha256_hex(&body);
                let media_type = request.header("Content-Type").unwrap_or_default().to_owned();
                let subject = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("subject")?.get("digest")?.as_str().map(str::to_owned));
                let no_referrers_api = st.faults.no_referrers_api;
                st.manifests
                    .insert((name.clone(), digest.clone()), (media_type, body));
                if !reference.starts_with("sha256:") {
                    st.tags.insert((name.clone(), reference), digest.clone());
                }
                drop(st);
                let mut headers = vec![
                    ("Docker-Content-Digest", digest.clone()),
                    ("Location", format!("/v2/{name}/manifests/{digest}")),
                ];
                if let Some(s) = subject.filter(|_| !no_referrers_api) {
                    headers.push(("OCI-Subject", s));
                }
                respond(request, 201, headers, vec![]);
            }
            "GET" | "HEAD" => {
                let digest = if reference.starts_with("sha256:") {
                    Some(reference)
                } else {
                    st.tags.get(&(name.clone(), reference)).cloned()
                };
                let Some((media_type, mut bytes)) = digest
                    .as_ref()
                    .and_then(|d| st.manifests.get(&(name.clone(), d.clone())).cloned())
                else {
                    drop(st);
                    return respond(
                        request,
                        404,
                        vec![],
                        error_body("MANIFEST_UNKNOWN", "manifest unknown"),
                    );
                };
                if st.faults.oversized_manifests {
                    bytes.resize(5 << 20, b' ');
                }
                drop(st);
                let headers = vec![
                    ("Content-Type", media_type),
                    ("Docker-Content-Digest", digest.unwrap_or_default()),
                ];
                respond(request, 200, headers, bytes);
            }
            _ => {
                drop(st);
                respond(request, 405, vec![], vec![]);
            }
        }
    } else if let Some((_, _)) = split("/referrers/").filter(|_| st.faults.no_referrers_api) {
        drop(st);
        respond(request, 404, vec![], b"404 page not found\n".to_vec());
    } else if let Some((name, subject)) = split("/referrers/") {
        let wanted = param("artifactType").map(|t| t.replace("%2B", "+").replace("%2F", "/"));
        let mut manifests = Vec::new();
        for ((repo, digest), (media_type, bytes)) in &st.manifests {
            if *repo != name {
                continue;
            }
            let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                continue;
            };
            if doc
                .get("subject")
                .and_then(|s| s.get("digest"))
                .and_then(|d| d.as_str())
                != Some(subject.as_str())
            {
                continue;
            }
            let artifact_type = doc
                .get("artifactType")
                .or_else(|| doc.get("config").and_then(|c| c.get("mediaType")))
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            if wanted
                .as_deref()
                .is_some_and(|w| artifact_type.as_str() != Some(w))
            {
                continue;
            }
            let mut d = serde_json::json!({
                "mediaType": media_type, "digest": digest, "size": bytes.len(), "artifactType": artifact_type,
            });
            if let (Some(a), Some(obj)) = (doc.get("annotations"), d.as_object_mut()) {
                obj.insert("annotations".to_owned(), a.clone());
            }
            manifests.push(d);
        }
        drop(st);
        let index = serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests,
        });
        let mut headers = vec![(
            "Content-Type",
            "application/vnd.oci.image.index.v1+json".to_owned(),
        )];
        if wanted.is_some() {
            headers.push(("OCI-Filters-Applied", "artifactType".to_owned()));
        }
        respond(request, 200, headers, index.to_string().into_bytes());
    } else if let Some((name, _)) = split("/tags/list") {
        let tags: Vec<String> = st
            .tags
            .keys()
            .filter(|(repo, _)| *repo == name)
            .map(|(_, tag)| tag.clone())
            .collect();
        drop(st);
        respond(
            request,
            200,
            vec![("Content-Type", "application/json".to_owned())],
            serde_json::json!({ "name": name, "tags": tags })
                .to_string()
                .into_bytes(),
        );
    } else {
        drop(st);
        respond(request, 404, vec![], vec![]);
    }
}

/// How a [`StallingServer`] misbehaves once it has accepted a connection.
#[derive(Debug, Clone, Copy)]
pub enum Stall {
    /// Reads the request and never answers.
    Silent,
    /// Answers `200 OK` one byte at a time, headers included, one byte per interval.
    Trickle(std::time::Duration),
    /// Sends the headers of a `200 OK` with a 64 KiB body at once, then the body one byte per interval.
    TrickleBody(std::time::Duration),
}

/// A TCP server on a free loopback port that accepts every connection and then stalls it as told: the
/// registry that never answers, or answers one byte every few seconds. Stops on drop.
pub struct StallingServer {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for StallingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StallingServer(127.0.0.1:{})", self.port)
    }
}

impl StallingServer {
    /// Starts it.
    #[must_use]
    pub fn start(stall: Stall) -> StallingServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind stalling server");
        let port = listener.local_addr().expect("address").port();
        listener.set_nonblocking(true).expect("non-blocking listener");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut connections = Vec::new();
            while !flag.load(Ordering::Acquire) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let flag = std::sync::Arc::clone(&flag);
                        connections.push(std::thread::spawn(move || stall_connection(stream, stall, &flag)));
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
            for c in connections {
                let _ = c.join();
            }
        });
        StallingServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:<port>`.
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn stall_connection(mut stream: std::net::TcpStream, stall: Stall, stop: &std::sync::atomic::AtomicBool) {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::Ordering;
    let tick = std::time::Duration::from_millis(20);
    let _ = stream.set_read_timeout(Some(tick));
    // Take in the request (whatever arrives), so that the client is waiting for the answer.
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Acquire) && !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => request.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(_) => {}
        }
    }
    let body = vec![b' '; 64 << 10];
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (at_once, trickled, interval): (Vec<u8>, Vec<u8>, _) = match stall {
        Stall::Silent => (Vec::new(), Vec::new(), tick),
        Stall::Trickle(i) => (Vec::new(), [head.as_bytes(), &body[..]].concat(), i),
        Stall::TrickleBody(i) => (head.into_bytes(), body, i),
    };
    if stream.write_all(&at_once).is_err() {
        return;
    }
    let mut next = trickled.iter();
    let mut last = std::time::Instant::now();
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(tick);
        if last.elapsed() < interval {
            continue;
        }
        last = std::time::Instant::now();
        if let Some(b) = next.next()
            && (stream.write_all(&[*b]).is_err() || stream.flush().is_err())
        {
            return;
        }
    }
}

impl Drop for StallingServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
