//! A remote ledger (`--ledger https://…`): the [`LedgerStore`] interface over a ledger server's HTTP API.
//!
//! Reads go through the public tlog-tiles paths wherever they can, so that what the client computes
//! (roots, proofs, recomputed leaves) comes from the tiles and the entries' own bytes rather than from
//! the server's word: stored node hashes are read from hash tiles (a node below a tile level is folded
//! from the tile's hashes), entries from entry bundles (a redacted entry, empty in its bundle, is read
//! from `GET /v1/entries/{index}` for its leaf hash and redaction). The size and the one checkpoint
//! kept are the server's latest signed checkpoint (`/checkpoint`), whose signature the caller checks
//! with the verifier key. Appends are `POST /v1/entries` (a batch, base64 in a JSON array), and every
//! acknowledged leaf hash is checked against the entry sent. Queries are `GET /v1/search`.
//!
//! What the HTTP API does not do is refused with [`StoreError::Unsupported`]: `init` (a ledger is
//! initialised where it is stored), redaction, blobs, and keeping a checkpoint signed elsewhere (the
//! server signs its own after each append). Entry times are the server's: tiles do not carry them, so
//! the entries read from a bundle take their times (and their redactions) from the server's listing
//! `GET /v1/entries?start=&end=`, whose leaf hashes must be those of the bundle's entries; a time the
//! server does not give is an error, never a made-up one.
//!
//! Every request has connect, read and whole-request deadlines; the bearer token (never logged, never in
//! an error) is sent on every request. `http://` is accepted only for a loopback host.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use provenant_digest::Digest;
use provenant_ledger::tiles::{self, TILE_HEIGHT, TILE_WIDTH, TilePath};
use provenant_ledger::tree::split_stored_hash_index;
use provenant_ledger::{Checkpoint, Hash, leaf_hash, node_hash};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::{Appended, Entry, LedgerStore, Query};

/// Largest response body read (an entry bundle of 256 maximal entries fits).
const MAX_RESPONSE: u64 = 32 << 20;

/// Deadlines of every request to a remote ledger.
#[derive(Debug, Clone, Copy)]
pub struct RemoteOptions {
    /// Resolving and connecting.
    pub connect_timeout: Duration,
    /// Each read or write on the connection.
    pub read_timeout: Duration,
    /// The whole request.
    pub request_timeout: Duration,
}

impl RemoteOptions {
    /// The deadline a ureq timeout stands for.
    fn deadline_of(&self, which: ureq::Timeout) -> Duration {
        match which {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => self.connect_timeout,
            ureq::Timeout::PerRead | ureq::Timeout::PerWrite => self.read_timeout,
            // The response and whole-call budgets (and any later kind ureq adds) are the request's.
            _ => self.request_timeout,
        }
    }
}

impl Default for RemoteOptions {
    fn default() -> RemoteOptions {
        RemoteOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_mins(2),
        }
    }
}

/// A ledger served over HTTP.
pub struct RemoteStore {
    base: String,
    agent: ureq::Agent,
    token: Option<Zeroizing<String>>,
    options: RemoteOptions,
    /// Hash tiles already fetched, by path (a tile's content never changes).
    tiles: Mutex<BTreeMap<String, Arc<Vec<Hash>>>>,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn unsupported(base: &str, reason: &'static str) -> StoreError {
    StoreError::Unsupported {
        location: crate::Location::Remote(base.to_owned()).to_string(),
        reason,
    }
}

/// An HTTP failure: the status and the server's `{"error"}` text, never a header or the token.
#[derive(Debug, thiserror::Error)]
#[error("{method} {path}: HTTP {status}: {message}")]
pub struct HttpError {
    /// The method.
    pub method: &'static str,
    /// The path asked for.
    pub path: String,
    /// The status.
    pub status: u16,
    /// The server's explanation.
    pub message: String,
}

fn is_loopback_host(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[derive(Deserialize)]
struct AppendedJson {
    index: u64,
    leaf_hash: String,
}

#[derive(Deserialize)]
struct EntryJson {
    index: u64,
    leaf_hash: String,
    time: u64,
    entry: Option<String>,
    redacted_by: Option<u64>,
}

/// One row of `GET /v1/entries?start=&end=`: an entry without its bytes.
#[derive(Deserialize)]
struct ListedJson {
    index: u64,
    leaf_hash: String,
    time: u64,
    redacted_by: Option<u64>,
}

#[derive(Deserialize)]
struct Found {
    index: u64,
}

fn fail(operation: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend {
        operation,
        source: Box::new(source),
    }
}

fn corrupt(check: impl Into<String>) -> StoreError {
    StoreError::Corrupt { check: check.into() }
}

impl RemoteStore {
    /// A client of the ledger server at `url` (`https://…`, or `http://` on a loopback host), sending
    /// `token` as a bearer token.
    pub fn connect(
        url: &str,
        token: Option<Zeroizing<String>>,
        options: RemoteOptions,
    ) -> Result<RemoteStore, StoreError> {
        if !(url.starts_with("https://") || (url.starts_with("http://") && is_loopback_host(url))) {
            return Err(unsupported(
                url,
                "a remote ledger is https://…; plain http:// only on a loopback host",
            ));
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls)
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.read_timeout))
            .timeout_recv_response(Some(options.request_timeout))
            .timeout_per_call(Some(options.request_timeout))
            .user_agent(concat!("provenant/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(RemoteStore {
            base: url.trim_end_matches('/').to_owned(),
            agent,
            token,
            options,
            tiles: Mutex::new(BTreeMap::new()),
        })
    }

    /// `GET path`: `Ok(None)` on 404.
    fn get(&self, operation: &'static str, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {}", t.as_str()));
        }
        let response = request.call().map_err(|e| self.transport(operation, e))?;
        self.read(operation, "GET", path, response)
    }

    fn post(&self, operation: &'static str, path: &str, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {}", t.as_str()));
        }
        let response = request
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| self.transport(operation, e))?;
        self.read(operation, "POST", path, response)?.ok_or_else(|| {
            fail(
                operation,
                HttpError {
                    method: "POST",
                    path: path.to_owned(),
                    status: 404,
                    message: "not found".to_owned(),
                },
            )
        })
    }

    /// A transport failure; a timeout names the deadline that passed.
    fn transport(&self, operation: &'static str, e: ureq::Error) -> StoreError {
        match e {
            ureq::Error::Timeout(which) => StoreError::Deadline {
                operation,
                deadline: self.options.deadline_of(which),
            },
            // ureq's errors name the URL and the I/O failure, never a header.
            other => fail(operation, other),
        }
    }

    fn read(
        &self,
        operation: &'static str,
        method: &'static str,
        path: &str,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| self.transport(operation, e))?;
        match status {
            200 | 201 => Ok(Some(body)),
            404 if method == "GET" => Ok(None),
            _ => {
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| "no explanation given".to_owned());
                Err(fail(
                    operation,
                    HttpError {
                        method,
                        path: path.to_owned(),
                        status,
                        message,
                    },
                ))
            }
        }
    }

    fn json<T: serde::de::DeserializeOwned>(operation: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| fail(operation, e))
    }

    /// The server's latest signed checkpoint and its body (its signature is the caller's to check).
    fn checkpoint(&self) -> Result<(Checkpoint, Vec<u8>), StoreError> {
        let note = self
            .get("reading the checkpoint", "/checkpoint")?
            .ok_or(StoreError::NotInitialised)?;
        let cp = provenant_ledger::note::unverified_checkpoint(&note)
            .map_err(|e| fail("reading the checkpoint", e))?;
        Ok((cp, note))
    }

    fn hash_tile(&self, tile: TilePath) -> Result<Arc<Vec<Hash>>, StoreError> {
        let path = format!("/{tile}");
        if let Some(t) = self
            .tiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&path)
        {
            return Ok(Arc::clone(t));
        }
        let bytes = self
            .get("reading a hash tile", &path)?
            .ok_or_else(|| corrupt(format!("the server has no {tile}")))?;
        let hashes = Arc::new(
            tiles::decode_hash_tile(&bytes, tile.width()).map_err(|e| fail("reading a hash tile", e))?,
        );
        self.tiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path, Arc::clone(&hashes));
        Ok(hashes)
    }

    /// The stored node hash `id`, from the hash tile holding its subtree: a node at level `8·L + k` is
    /// folded from the `2^k` hashes at level `8·L` below it.
    fn stored_hash(&self, id: u64) -> Result<Hash, StoreError> {
        let (level, n) = split_stored_hash_index(id);
        let tile_level = level / TILE_HEIGHT;
        let k = level % TILE_HEIGHT;
        let first = n << k;
        let index = first / TILE_WIDTH;
        let offset = first % TILE_WIDTH;
        let count = 1u64 << k;
        let width = offset + count;
        let tile = TilePath::Hashes {
            level: tile_level,
            index,
            width: u8::try_from(width).ok().filter(|_| width < TILE_WIDTH),
        };
        let hashes = self.hash_tile(tile)?;
        let start = usize::try_from(offset).map_err(|_| corrupt("tile offset"))?;
        let end = usize::try_from(width).map_err(|_| corrupt("tile width"))?;
        let mut layer: Vec<Hash> = hashes
            .get(start..end)
            .ok_or_else(|| corrupt(format!("{tile} is shorter than its width")))?
            .to_vec();
        while layer.len() > 1 {
            layer = layer
                .chunks_exact(2)
                .filter_map(|p| match p {
                    [l, r] => Some(node_hash(l, r)),
                    _ => None,
                })
                .collect();
        }
        layer
            .first()
            .copied()
            .ok_or_else(|| corrupt(format!("stored hash {id} is not in {tile}")))
    }

    /// The server's listing of the entries `start..end` (one bundle's at most): index, leaf hash, time
    /// and redaction, in order, one row per index.
    fn listing(&self, start: u64, end: u64) -> Result<Vec<ListedJson>, StoreError> {
        let operation = "reading entry times";
        let bytes = self
            .get(operation, &format!("/v1/entries?start={start}&end={end}"))?
            .ok_or_else(|| corrupt("the server does not list entries with their times"))?;
        let rows: Vec<ListedJson> = Self::json(operation, &bytes)?;
        if rows.len() as u64 != end - start || rows.iter().zip(start..).any(|(r, i)| r.index != i) {
            return Err(corrupt(format!(
                "the server listed other entries than {start} to {}",
                end.saturating_sub(1)
            )));
        }
        Ok(rows)
    }

    /// An entry from its bundle bytes and its listed row: the bytes must hash to the listed leaf hash,
    /// and an empty entry in a bundle is a redacted one only when the listing says so.
    fn listed_entry(row: &ListedJson, content: &[u8]) -> Result<Entry, StoreError> {
        let index = row.index;
        let leaf = Hash::from_base64(&row.leaf_hash).map_err(|e| fail("reading entry times", e))?;
        let content = match row.redacted_by {
            Some(_) if content.is_empty() => None,
            Some(by) => {
                return Err(corrupt(format!(
                    "entry {index} is listed as redacted by entry {by} but its bundle still holds its content"
                )));
            }
            None if leaf_hash(content) == leaf => Some(content.to_vec()),
            None => {
                return Err(corrupt(format!(
                    "entry {index} in its bundle does not hash to the leaf hash the server lists"
                )));
            }
        };
        Ok(Entry {
            index,
            leaf_hash: leaf,
            time: row.time,
            content,
            redacted_by: row.redacted_by,
        })
    }

    fn entry_json(&self, index: u64) -> Result<Entry, StoreError> {
        let Some(bytes) = self.get("reading an entry", &format!("/v1/entries/{index}"))? else {
            return Err(StoreError::NoEntry {
                index,
                size: self.size()?,
            });
        };
        let e: EntryJson = Self::json("reading an entry", &bytes)?;
        let leaf = Hash::from_base64(&e.leaf_hash).map_err(|err| fail("reading an entry", err))?;
        let content = e
            .entry
            .map(|b| base64::engine::general_purpose::STANDARD.decode(b))
            .transpose()
            .map_err(|err| fail("reading an entry", err))?;
        if e.index != index {
            return Err(corrupt(format!(
                "the server answered entry {} for entry {index}",
                e.index
            )));
        }
        if let Some(c) = &content
            && leaf_hash(c) != leaf
        {
            return Err(corrupt(format!(
                "entry {index}'s content does not hash to its leaf hash"
            )));
        }
        Ok(Entry {
            index,
            leaf_hash: leaf,
            time: e.time,
            content,
            redacted_by: e.redacted_by,
        })
    }
}

impl LedgerStore for RemoteStore {
    fn init(&self, _origin: &str, _verifier_key: &str) -> Result<(), StoreError> {
        Err(unsupported(
            &self.base,
            "a ledger is initialised where it is stored (sqlite:PATH or postgres://…), then served",
        ))
    }

    fn origin(&self) -> Result<String, StoreError> {
        Ok(self.checkpoint()?.0.origin)
    }

    fn verifier_key(&self) -> Result<String, StoreError> {
        // Informational, as for every store: `/healthz` names it; auditors check with their own copy.
        let bytes = self
            .get("reading the verifier key", "/healthz")?
            .ok_or_else(|| corrupt("the server has no /healthz"))?;
        let doc: serde_json::Value = Self::json("reading the verifier key", &bytes)?;
        doc.get("verifierKey")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| corrupt("the server's /healthz names no verifier key"))
    }

    fn append(&self, entries: &[Vec<u8>], _time: u64) -> Result<Vec<Appended>, StoreError> {
        crate::store::parse_batch(entries)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = serde_json::to_vec(&entries.iter().map(|e| b64.encode(e)).collect::<Vec<_>>())
            .map_err(|e| fail("appending", e))?;
        let answer: Vec<AppendedJson> =
            Self::json("appending", &self.post("appending", "/v1/entries", &body)?)?;
        if answer.len() != entries.len() {
            return Err(corrupt(format!(
                "the server acknowledged {} entries of a batch of {}",
                answer.len(),
                entries.len()
            )));
        }
        let first = answer.first().map_or(0, |a| a.index);
        answer
            .iter()
            .zip(entries)
            .zip(first..)
            .map(|((a, e), expected)| {
                let leaf = leaf_hash(e);
                if a.index != expected || Hash::from_base64(&a.leaf_hash).ok() != Some(leaf) {
                    return Err(corrupt(format!(
                        "the server acknowledged entry {} with another index or leaf hash than sent",
                        a.index
                    )));
                }
                Ok(Appended {
                    index: a.index,
                    leaf_hash: leaf,
                })
            })
            .collect()
    }

    fn size(&self) -> Result<u64, StoreError> {
        Ok(self.checkpoint()?.0.size)
    }

    fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        self.entry_json(index)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Entry>, StoreError> {
        let end = end.min(self.size()?);
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            let bundle = at / TILE_WIDTH;
            let bundle_first = bundle * TILE_WIDTH;
            let bundle_end = (bundle_first + TILE_WIDTH).min(end);
            let width = bundle_end - bundle_first;
            let tile = TilePath::Entries {
                index: bundle,
                width: u8::try_from(width).ok().filter(|_| width < TILE_WIDTH),
            };
            let bytes = self
                .get("reading an entry bundle", &format!("/{tile}"))?
                .ok_or_else(|| corrupt(format!("the server has no {tile}")))?;
            let contents =
                tiles::decode_entry_bundle(&bytes, width).map_err(|e| fail("reading an entry bundle", e))?;
            let listed = self.listing(at, bundle_end)?;
            for (row, content) in listed.into_iter().zip(
                contents
                    .into_iter()
                    .skip(usize::try_from(at - bundle_first).map_err(|_| corrupt("bundle offset"))?),
            ) {
                out.push(Self::listed_entry(&row, content)?);
            }
            at = bundle_end;
        }
        Ok(out)
    }

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        indexes.iter().map(|&i| self.stored_hash(i)).collect()
    }

    fn query(&self, query: &Query) -> Result<Vec<u64>, StoreError> {
        let mut params: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("subject", &query.subject),
            ("type", &query.predicate_type),
            ("commit", &query.commit),
            ("env", &query.environment),
            ("run", &query.pipeline_run),
            ("actor", &query.actor),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        if let Some(s) = query.since {
            params.push(("since", s.to_string()));
        }
        if let Some(l) = query.limit {
            params.push(("limit", l.to_string()));
        }
        if query.until.is_some() {
            return Err(unsupported(&self.base, "the search API has no `until`"));
        }
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let path = format!("/v1/search?{}", encoded.join("&"));
        let bytes = self
            .get("querying", &path)?
            .ok_or_else(|| corrupt("the server has no search API"))?;
        let found: Vec<Found> = Self::json("querying", &bytes)?;
        Ok(found.into_iter().map(|f| f.index).collect())
    }

    fn put_blob(&self, _content: &[u8]) -> Result<Digest, StoreError> {
        Err(unsupported(&self.base, "the HTTP API does not carry blobs"))
    }

    fn blob(&self, _digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        Err(unsupported(&self.base, "the HTTP API does not carry blobs"))
    }

    fn save_checkpoint(&self, _checkpoint: &Checkpoint, _signed: &[u8]) -> Result<(), StoreError> {
        Err(unsupported(
            &self.base,
            "the server signs and keeps its own checkpoints (after each append)",
        ))
    }

    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let (cp, note) = self.checkpoint()?;
        Ok(vec![(cp.size, note)])
    }

    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(Some(self.checkpoint()?.1))
    }

    fn redact(&self, _index: u64, _redaction: &[u8], _time: u64) -> Result<Appended, StoreError> {
        Err(unsupported(
            &self.base,
            "redaction needs the note key and the store itself: run `provenant ledger redact` against the sqlite: or postgres:// ledger the server serves",
        ))
    }
}

fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn row(index: u64, leaf: &Hash, redacted_by: Option<u64>) -> ListedJson {
        ListedJson {
            index,
            leaf_hash: leaf.to_base64(),
            time: 1_700_000_000,
            redacted_by,
        }
    }

    #[test]
    fn a_bundle_entry_takes_its_time_from_the_listing() {
        let content = b"{\"entry\":1}";
        let e = RemoteStore::listed_entry(&row(4, &leaf_hash(content), None), content).unwrap();
        assert_eq!(e.time, 1_700_000_000);
        assert_eq!(e.content.as_deref(), Some(&content[..]));
        let redacted = RemoteStore::listed_entry(&row(5, &leaf_hash(content), Some(9)), b"").unwrap();
        assert_eq!((redacted.content, redacted.redacted_by), (None, Some(9)));
    }

    #[test]
    fn a_listing_whose_leaf_hash_is_not_the_bundles_entry_is_refused() {
        let err =
            RemoteStore::listed_entry(&row(4, &leaf_hash(b"other"), None), b"{\"entry\":1}").unwrap_err();
        match err {
            StoreError::Corrupt { check } => {
                assert!(check.contains("does not hash to the leaf hash"), "{check}");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn an_entry_listed_as_redacted_but_present_in_its_bundle_is_refused() {
        let content = b"{\"entry\":1}";
        let err = RemoteStore::listed_entry(&row(4, &leaf_hash(content), Some(7)), content).unwrap_err();
        match err {
            StoreError::Corrupt { check } => assert!(check.contains("listed as redacted"), "{check}"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn an_empty_bundle_entry_not_listed_as_redacted_is_refused() {
        let err = RemoteStore::listed_entry(&row(4, &leaf_hash(b"{}"), None), b"").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn each_timeout_names_its_own_deadline() {
        let o = RemoteOptions {
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(7),
        };
        assert_eq!(o.deadline_of(ureq::Timeout::Connect), Duration::from_secs(3));
        assert_eq!(o.deadline_of(ureq::Timeout::Resolve), Duration::from_secs(3));
        assert_eq!(o.deadline_of(ureq::Timeout::PerRead), Duration::from_secs(5));
        assert_eq!(o.deadline_of(ureq::Timeout::PerWrite), Duration::from_secs(5));
        assert_eq!(o.deadline_of(ureq::Timeout::RecvResponse), Duration::from_secs(7));
        assert_eq!(o.deadline_of(ureq::Timeout::Global), Duration::from_secs(7));
    }
}
