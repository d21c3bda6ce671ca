//! Routes, authorisation, limits and handlers.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use provenant_ledger::entry::{EntryKeys, MAX_ENTRY_BYTES};
use provenant_ledger::tiles::{self, TilePath};
use provenant_ledger::{Checkpoint, NoteSigner};
use provenant_ledger_store::{LedgerStore, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::metrics::Metrics;
use crate::tokens::{Role, Tokens};
use crate::{Config, ServeError};

/// Most results a search returns.
const MAX_SEARCH_RESULTS: u64 = 10_000;
/// Most entries in one batch.
const MAX_BATCH: usize = 10_000;
/// Most entries one listing (`GET /v1/entries?start=&end=`) returns: an entry bundle's.
const MAX_LISTING: u64 = provenant_ledger::tiles::TILE_WIDTH;

pub(crate) struct State {
    store: Arc<dyn LedgerStore>,
    signer: NoteSigner,
    tokens: Tokens,
    metrics: Metrics,
    /// The latest signed checkpoint and its size, served at `/checkpoint`; tiles are served for it.
    checkpoint: RwLock<(u64, Vec<u8>)>,
    /// One append (and its checkpoint) at a time.
    appending: tokio::sync::Mutex<()>,
    permits: Semaphore,
    request_timeout: Duration,
}

fn sign_and_keep(store: &dyn LedgerStore, signer: &NoteSigner) -> Result<(u64, Vec<u8>), ServeError> {
    let head = store.tree_head()?;
    let cp = Checkpoint::new(signer.name(), head.size, &head.root);
    let note = signer.sign_checkpoint(&cp)?;
    store.save_checkpoint(&cp, &note)?;
    Ok((head.size, note))
}

impl State {
    pub(crate) fn new(
        store: Arc<dyn LedgerStore>,
        signer: NoteSigner,
        tokens: Tokens,
        config: &Config,
    ) -> Result<State, ServeError> {
        let checkpoint = sign_and_keep(store.as_ref(), &signer)?;
        let metrics = Metrics::default();
        metrics.set_tree_size(checkpoint.0);
        Ok(State {
            store,
            signer,
            tokens,
            metrics,
            checkpoint: RwLock::new(checkpoint),
            appending: tokio::sync::Mutex::new(()),
            permits: Semaphore::new(config.concurrency.max(1)),
            request_timeout: config.request_timeout,
        })
    }

    fn latest(&self) -> (u64, Vec<u8>) {
        self.checkpoint
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

type Shared = Arc<State>;

pub(crate) fn router(state: Shared, config: &Config) -> Router {
    Router::new()
        .route("/v1/entries", post(append).get(list))
        .route("/v1/entries/{index}", get(entry))
        .route("/v1/search", get(search))
        .route("/v1/proof/inclusion", get(inclusion))
        .route("/v1/proof/consistency", get(consistency))
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state)
}

/// An error response: a status and a JSON `{"error"}` that never holds a secret.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({"error": self.1}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = match &e {
            StoreError::NoEntry { .. } => StatusCode::NOT_FOUND,
            StoreError::BadEntry { .. } | StoreError::EmptyBatch => StatusCode::BAD_REQUEST,
            StoreError::Redacted { .. } => StatusCode::GONE,
            StoreError::Deadline { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %text, "ledger store failure");
        }
        ApiError(status, text)
    }
}

fn bad_request(text: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, text.into())
}

/// Limits, timeouts and the request log (method, route, status, time: never a header).
async fn guard(AxState(state): AxState<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = static_method(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = match tokio::time::timeout(state.request_timeout, async {
        let _permit = state.permits.acquire().await;
        next.run(request).await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request did not finish within {}s",
                state.request_timeout.as_secs_f64()
            ),
        )
        .into_response(),
    };
    let status = response.status().as_u16();
    state.metrics.request(&route, method, status);
    tracing::info!(
        method,
        route = %route,
        status,
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

fn static_method(m: &axum::http::Method) -> &'static str {
    match *m {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::PUT => "PUT",
        axum::http::Method::PATCH => "PATCH",
        axum::http::Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// The caller's role must be one of `allowed`: no or unknown token is 401, another role 403.
fn authorize(state: &State, headers: &HeaderMap, allowed: &[Role]) -> Result<(), ApiError> {
    let unauthorized = || {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer TOKEN)".to_owned(),
        )
    };
    let value = headers.get(header::AUTHORIZATION).ok_or_else(unauthorized)?;
    let token = value
        .as_bytes()
        .strip_prefix(b"Bearer ")
        .filter(|t| !t.is_empty())
        .ok_or_else(unauthorized)?;
    let known = state.tokens.find(token).ok_or_else(|| {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "the bearer token is not one this server knows".to_owned(),
        )
    })?;
    if allowed.contains(&known.role) {
        Ok(())
    } else {
        tracing::info!(token = %known.name, role = known.role.as_str(), "role refused");
        Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "token {} has role {}; this needs {}",
                known.name,
                known.role.as_str(),
                allowed
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ))
    }
}

const READERS: &[Role] = &[Role::Auditor, Role::Admin];
const WRITERS: &[Role] = &[Role::Writer, Role::Admin];

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "a request worker failed".to_owned(),
        )
    })?
}

/// The entries of a `POST /v1/entries` body (see [`entries_of`]), or `None` when it is refused (the
/// server answers 400 with the reason). Public for the fuzz target.
#[must_use]
pub fn request_entries(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    entries_of(body).ok().map(|(entries, _)| entries)
}

/// The entries of a request body: the body itself is one entry (its bytes exactly, an in-toto statement
/// or DSSE envelope: a JSON object), or a JSON array of standard-base64 strings is a batch.
fn entries_of(body: &[u8]) -> Result<(Vec<Vec<u8>>, bool), ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'[') {
        if body.len() > MAX_ENTRY_BYTES {
            return Err(bad_request(format!(
                "the entry has {} bytes, more than the {MAX_ENTRY_BYTES} an entry may have",
                body.len()
            )));
        }
        return Ok((vec![body.to_vec()], false));
    }
    let items: Vec<String> = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("a batch is a JSON array of base64 strings: {e}")))?;
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(bad_request(format!(
            "a batch has 1 to {MAX_BATCH} entries, not {}",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(item)
            .map_err(|_| bad_request(format!("batch entry {i} is not standard base64")))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(bad_request(format!(
                "batch entry {i} has {} bytes, more than the {MAX_ENTRY_BYTES} an entry may have",
                bytes.len()
            )));
        }
        out.push(bytes);
    }
    Ok((out, true))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn append(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, WRITERS)?;
    let (entries, batch) = entries_of(&body)?;
    let count = entries.len() as u64;
    let _one = state.appending.lock().await;
    let started = Instant::now();
    let s = Arc::clone(&state);
    let appended = blocking(move || {
        let appended = s.store.append(&entries, now())?;
        let latest = sign_and_keep(s.store.as_ref(), &s.signer).map_err(|e| match e {
            ServeError::Store(e) => ApiError::from(e),
            other => ApiError(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        })?;
        s.metrics.set_tree_size(latest.0);
        *s.checkpoint
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = latest;
        Ok(appended)
    })
    .await?;
    state.metrics.append(started.elapsed(), count);
    let out: Vec<Value> = appended
        .iter()
        .map(|a| json!({"index": a.index, "leaf_hash": a.leaf_hash.to_base64()}))
        .collect();
    let body = if batch {
        Value::Array(out)
    } else {
        out.into_iter().next().unwrap_or(Value::Null)
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn entry(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    Path(index): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    let index: u64 = index
        .parse()
        .map_err(|_| bad_request("the index is a non-negative decimal number"))?;
    let s = Arc::clone(&state);
    let e = blocking(move || Ok(s.store.entry(index)?)).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(axum::Json(json!({
        "index": e.index,
        "leaf_hash": e.leaf_hash.to_base64(),
        "time": e.time,
        "entry": e.content.as_ref().map(|c| b64.encode(c)),
        "redacted_by": e.redacted_by,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    start: u64,
    end: u64,
}

/// `GET /v1/entries?start=&end=`: the entries `start..end` without their bytes (which the entry bundles
/// carry), each `{"index", "leaf_hash", "time", "redacted_by"}`: what a tile reader needs beside the
/// tiles, the integration times above all. At most [`MAX_LISTING`] entries, within the ledger.
async fn list(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    let Query(p) = params.map_err(|e| bad_request(e.body_text()))?;
    if p.end <= p.start || p.end - p.start > MAX_LISTING {
        return Err(bad_request(format!(
            "a listing is of 1 to {MAX_LISTING} entries: start below end, at most {MAX_LISTING} apart"
        )));
    }
    let s = Arc::clone(&state);
    let out = blocking(move || {
        let size = s.store.size()?;
        if p.end > size {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("the ledger has {size} entries, fewer than {}", p.end),
            ));
        }
        Ok(s.store
            .entries(p.start, p.end)?
            .into_iter()
            .map(|e| {
                json!({
                    "index": e.index,
                    "leaf_hash": e.leaf_hash.to_base64(),
                    "time": e.time,
                    "redacted_by": e.redacted_by,
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(axum::Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    subject: Option<String>,
    #[serde(rename = "type")]
    predicate_type: Option<String>,
    env: Option<String>,
    commit: Option<String>,
    run: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    limit: Option<u64>,
}

fn parse_time(text: &str) -> Result<u64, ApiError> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let ts: jiff::Timestamp = text
        .parse()
        .map_err(|_| bad_request("since is an RFC 3339 time or seconds since the epoch"))?;
    u64::try_from(ts.as_second()).map_err(|_| bad_request("since is before 1970"))
}

async fn search(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    let Query(p) = params.map_err(|e| bad_request(e.body_text()))?;
    let query = provenant_ledger_store::Query {
        subject: p.subject,
        predicate_type: p.predicate_type,
        commit: p.commit,
        environment: p.env,
        pipeline_run: p.run,
        actor: p.actor,
        since: p.since.as_deref().map(parse_time).transpose()?,
        limit: Some(p.limit.unwrap_or(MAX_SEARCH_RESULTS).min(MAX_SEARCH_RESULTS)),
        ..provenant_ledger_store::Query::default()
    };
    let s = Arc::clone(&state);
    let out = blocking(move || {
        let mut out = Vec::new();
        for index in s.store.query(&query)? {
            let entry = s.store.entry(index)?;
            let Some(content) = entry.content else {
                continue;
            };
            let keys = EntryKeys::from_entry(&content).map_err(|e| {
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("entry {index} is not a statement: {e}"),
                )
            })?;
            out.push(
                json!({"index": index, "predicateType": keys.predicate_type, "statement": keys.statement, "time": entry.time}),
            );
        }
        Ok(out)
    })
    .await?;
    Ok(axum::Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionParams {
    index: u64,
    size: Option<u64>,
}

async fn inclusion(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    params: Result<Query<InclusionParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    let Query(p) = params.map_err(|e| bad_request(e.body_text()))?;
    let s = Arc::clone(&state);
    let doc = blocking(move || {
        let size = match p.size {
            Some(size) => size,
            None => s.store.size()?,
        };
        if p.index >= size {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("no entry {} in a tree of {size} entries", p.index),
            ));
        }
        let hashes = s.store.prove_inclusion(p.index, size)?;
        let leaf = s.store.entry(p.index)?.leaf_hash;
        let root = s.store.root_at(size)?;
        Ok(json!({
            "index": p.index,
            "treeSize": size,
            "leafHash": leaf.to_base64(),
            "rootHash": root.to_base64(),
            "hashes": hashes.iter().map(provenant_ledger::Hash::to_base64).collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(axum::Json(doc).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyParams {
    from: u64,
    to: Option<u64>,
}

async fn consistency(
    AxState(state): AxState<Shared>,
    headers: HeaderMap,
    params: Result<Query<ConsistencyParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    let Query(p) = params.map_err(|e| bad_request(e.body_text()))?;
    let s = Arc::clone(&state);
    let doc = blocking(move || {
        let to = match p.to {
            Some(to) => to,
            None => s.store.size()?,
        };
        if p.from > to {
            return Err(bad_request(format!("from ({}) is larger than to ({to})", p.from)));
        }
        let hashes = if p.from == 0 {
            Vec::new()
        } else {
            s.store.prove_consistency(p.from, to)?
        };
        Ok(json!({
            "from": p.from,
            "to": to,
            "rootFrom": s.store.root_at(p.from)?.to_base64(),
            "rootTo": s.store.root_at(to)?.to_base64(),
            "hashes": hashes.iter().map(provenant_ledger::Hash::to_base64).collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(axum::Json(doc).into_response())
}

/// `/checkpoint`: public, like a static tile host's; never cached long.
async fn checkpoint(AxState(state): AxState<Shared>) -> Response {
    let (_, note) = state.latest();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        note,
    )
        .into_response()
}

/// `/tile/L/N[.p/W]` and `/tile/entries/N[.p/W]`: public; served for the tree of the latest signed
/// checkpoint. A full tile exists once the tree covers it; a partial tile `.p/W` whenever the tree has at
/// least `W` of its hashes or entries (its content never changes). A redacted entry appears in its
/// bundle as an empty entry: its content is gone, its leaf hash stays in the hash tiles.
async fn tile(AxState(state): AxState<Shared>, Path(path): Path<String>) -> Result<Response, ApiError> {
    let not_found = |why: String| ApiError(StatusCode::NOT_FOUND, why);
    let tile = TilePath::parse(&format!("tile/{path}")).map_err(|e| not_found(e.to_string()))?;
    let (size, _) = state.latest();
    let (level, index) = match tile {
        TilePath::Hashes { level, index, .. } => (Some(level), index),
        TilePath::Entries { index, .. } => (None, index),
    };
    let available = TilePath::for_tree(level, index, size).map_or(0, |t| t.width());
    if available < tile.width() {
        return Err(not_found(format!(
            "{tile} is not in the tree of {size} entries of the latest checkpoint"
        )));
    }
    let s = Arc::clone(&state);
    let bytes = blocking(move || match tile {
        TilePath::Hashes { .. } => {
            let hashes = s.store.read_hashes(&tile.stored_indexes())?;
            Ok(tiles::encode_hash_tile(&hashes))
        }
        TilePath::Entries { .. } => {
            let first = tile.first_entry();
            let entries = s.store.entries(first, first.saturating_add(tile.width()))?;
            let contents: Vec<Vec<u8>> = entries
                .into_iter()
                .map(|e| e.content.unwrap_or_default())
                .collect();
            tiles::encode_entry_bundle(&contents)
                .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
    })
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn healthz(AxState(state): AxState<Shared>) -> Result<Response, ApiError> {
    let s = Arc::clone(&state);
    let size = blocking(move || Ok(s.store.size()?)).await?;
    // The verifier key is public (informational: auditors keep their own copy, obtained out of band).
    Ok(axum::Json(json!({
        "status": "ok",
        "size": size,
        "origin": state.signer.name(),
        "verifierKey": state.signer.verifier_key(),
    }))
    .into_response())
}

async fn metrics(AxState(state): AxState<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&state, &headers, READERS)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response())
}
