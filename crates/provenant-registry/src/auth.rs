//! Registry credentials: from flags or the environment, from docker's `config.json` (`auths`, and
//! credential helpers named by `credHelpers`/`credsStore`), and the `WWW-Authenticate` challenges a
//! registry answers with. Secrets are zeroized on drop and never printed.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A user name and a password (or identity token).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Credentials {
    username: String,
    secret: String,
}

impl Credentials {
    /// Credentials from a user name and a secret.
    #[must_use]
    pub fn new(username: &str, secret: &str) -> Credentials {
        Credentials {
            username: username.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// Parses `user:password`.
    #[must_use]
    pub fn parse(user_colon_secret: &str) -> Option<Credentials> {
        let (u, s) = user_colon_secret.split_once(':')?;
        (!u.is_empty()).then(|| Credentials::new(u, s))
    }

    /// The user name.
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The value of a Basic `Authorization` header.
    #[must_use]
    pub fn basic_header(&self) -> String {
        let mut raw = format!("{}:{}", self.username, self.secret);
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
        );
        raw.zeroize();
        header
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:<redacted>)", self.username)
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:<redacted>", self.username)
    }
}

/// Where credentials for a registry come from, in order: explicit ones per host, explicit default,
/// then docker's `config.json`.
#[derive(Debug, Clone, Default)]
pub struct CredentialSource {
    per_host: BTreeMap<String, Credentials>,
    default: Option<Credentials>,
    docker_config: Option<PathBuf>,
}

impl CredentialSource {
    /// Only docker's config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`).
    #[must_use]
    pub fn from_environment() -> CredentialSource {
        let path = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
            .map(|d| d.join("config.json"));
        CredentialSource {
            per_host: BTreeMap::new(),
            default: None,
            docker_config: path,
        }
    }

    /// No credentials at all (anonymous).
    #[must_use]
    pub fn anonymous() -> CredentialSource {
        CredentialSource::default()
    }

    /// Uses these credentials for every registry that has none of its own.
    #[must_use]
    pub fn with_default(mut self, credentials: Option<Credentials>) -> CredentialSource {
        self.default = credentials;
        self
    }

    /// Uses these credentials for `host`.
    #[must_use]
    pub fn with_host(mut self, host: &str, credentials: Credentials) -> CredentialSource {
        self.per_host.insert(host.to_owned(), credentials);
        self
    }

    /// Reads credentials from this docker config file instead of the default one.
    #[must_use]
    pub fn with_docker_config(mut self, path: &Path) -> CredentialSource {
        self.docker_config = Some(path.to_path_buf());
        self
    }

    /// The credentials for a registry host, if any.
    #[must_use]
    pub fn lookup(&self, host: &str) -> Option<Credentials> {
        if let Some(c) = self.per_host.get(host) {
            return Some(c.clone());
        }
        if let Some(c) = &self.default {
            return Some(c.clone());
        }
        let path = self.docker_config.as_ref()?;
        let text = std::fs::read(path).ok()?;
        if text.len() > 4 << 20 {
            return None;
        }
        let config: serde_json::Value = serde_json::from_slice(&text).ok()?;
        docker_config_lookup(&config, host)
    }
}

fn host_keys(host: &str) -> Vec<String> {
    let mut keys = vec![
        host.to_owned(),
        format!("https://{host}"),
        format!("http://{host}"),
    ];
    if host == "docker.io" || host == "registry-1.docker.io" || host == "index.docker.io" {
        keys.push("https://index.docker.io/v1/".to_owned());
        keys.push("index.docker.io".to_owned());
    }
    keys
}

/// Looks a host up in a parsed docker `config.json`.
#[must_use]
pub fn docker_config_lookup(config: &serde_json::Value, host: &str) -> Option<Credentials> {
    let keys = host_keys(host);
    let helper = keys
        .iter()
        .find_map(|k| {
            config
                .get("credHelpers")
                .and_then(|h| h.get(k))
                .and_then(|v| v.as_str())
        })
        .or_else(|| config.get("credsStore").and_then(|v| v.as_str()));
    if let Some(helper) = helper
        && let Some(c) = run_helper(helper, host)
    {
        return Some(c);
    }
    let auths = config.get("auths")?;
    let entry = keys.iter().find_map(|k| auths.get(k)).or_else(|| {
        auths.as_object()?.iter().find_map(|(k, v)| {
            let stripped = k.trim_start_matches("https://").trim_start_matches("http://");
            (stripped.split('/').next() == Some(host)).then_some(v)
        })
    })?;
    if let Some(auth) = entry.get("auth").and_then(|v| v.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()?;
        let mut text = String::from_utf8(decoded).ok()?;
        let c = Credentials::parse(&text);
        text.zeroize();
        return c;
    }
    let user = entry.get("username").and_then(|v| v.as_str())?;
    let pass = entry.get("password").and_then(|v| v.as_str())?;
    Some(Credentials::new(user, pass))
}

/// Runs `docker-credential-<helper> get` with the host on stdin.
fn run_helper(helper: &str, host: &str) -> Option<Credentials> {
    if !helper
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(host.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut stdout = out.stdout;
    let doc: serde_json::Value = serde_json::from_slice(&stdout).ok()?;
    stdout.zeroize();
    let user = doc.get("Username").and_then(|v| v.as_str())?;
    let secret = doc.get("Secret").and_then(|v| v.as_str())?;
    Some(Credentials::new(user, secret))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=...`.
    Basic,
    /// `Bearer realm=...,service=...,scope=...`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The service name to request a token for.
        service: Option<String>,
        /// The scope the registry asked for.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header value (one challenge).
#[must_use]
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            let raw: String = chars.by_ref().take_while(|c| *c != ',').collect();
            value.push_str(raw.trim());
        }
        params.insert(key, value);
    }
    Some(Challenge::Bearer {
        realm: params.remove("realm")?,
        service: params.remove("service"),
        scope: params.remove("scope"),
    })
}
