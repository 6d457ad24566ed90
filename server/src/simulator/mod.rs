//! The simulated Dynamics environment: an HTTP server that answers at the
//! same paths as the real services, so connectors run unchanged against it
//! and only base URLs differ.
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant of
//!   Microsoft Entra ID, with the real error shape for a wrong secret;
//! - `GET /api/data/v9.2/plugintracelogs`: the Dataverse Web API's trace
//!   log of the dual-write runtime plug-in, with `$filter`, `$orderby`,
//!   `$select`, `Prefer: odata.maxpagesize` and `@odata.nextLink` paging,
//!   and the documented error envelope;
//! - `GET /api/data/v9.2/<entityset>` and `/<entityset>/$count` for the
//!   simulated tables (`accounts`, `contacts`, …): `$select`, `$filter`,
//!   `$top`, `$count=true` capped at 5,000 with the total-record-count
//!   annotations, `Prefer: odata.maxpagesize` paging; and
//!   `EntityDefinitions(LogicalName='…')` for entity-set names;
//! - `GET /data/<EntitySet>` and `/data/<EntitySet>/$count` (F&O OData:
//!   `cross-company=true` or the default company, `dataAreaId`, `$select`,
//!   `$filter`, `$top`, `$skip`, `$count=true`, server-driven paging of
//!   10,000 rows with `@odata.nextLink`), and `/Metadata/DataEntities`;
//! - `GET /data/DualWriteProjectConfigurations`: two rows per simulated
//!   table's map, with a status that pauses each map for ten minutes
//!   every three hours;
//! - `POST /teams/webhook` and `GET` of it: a Teams Workflows-like receiver
//!   that checks what it is sent and keeps it; `GET /mail/inbox`: what the
//!   simulator's SMTP mailbox ([`mailbox`], on a port of its own) received.
//!
//! The tables (see [`tables`]) hold the same records on both sides with
//! configurable drift and churn.
//! Data is deterministic for a seed and grows over time: a new failed
//! dual-write operation every `trace_every`, across every error category.
//! Faults are injected on request: a plan of faults for the next requests
//! (tests), or random rates (demo and `dwconsole simulate --faults`).
//! It runs only behind `dwconsole simulate` and demo mode.

mod data;
mod filter;
pub mod mailbox;
pub mod tables;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use data::TRACE_TYPENAME;
pub use tables::{Drift, DriftKind, TableConfig};

/// The first `accounts` page for `config` and query `q` (shape tests).
pub fn accounts_page_for_tests(config: &SimConfig, q: &HashMap<String, String>) -> Value {
    tables::Table::find(config, "accounts")
        .and_then(|t| {
            t.dv_page(
                q,
                None,
                "http://127.0.0.1/api/data/v9.2/accounts",
                "",
                Utc::now(),
            )
            .ok()
        })
        .unwrap_or(Value::Null)
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with the service-protection body and `Retry-After: secs`.
    Throttle(u64),
    /// 500 or 503 with the error envelope.
    ServerError(u16),
    /// 200 with the body cut in half.
    Truncated,
    /// Answer after this many milliseconds.
    Slow(u64),
}

/// Random fault rates (each 0.0–1.0) for the demo and `simulate --faults`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    /// Share of data requests answered 429.
    pub throttle: f64,
    /// Share answered 503.
    pub server_error: f64,
    /// Share answered with a truncated body.
    pub truncated: f64,
}

/// Service protection: at most `requests` data requests per `window`;
/// beyond that, 429 with `Retry-After` until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

/// What the simulator serves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed for every generated value.
    pub seed: u64,
    /// The accepted client id (any tenant).
    pub client_id: String,
    /// The accepted client secret.
    pub client_secret: String,
    /// The first trace row's time; rows before it do not exist. Put it
    /// on the `trace_every` grid (see [`grid`]) so restarts line up.
    pub start: DateTime<Utc>,
    /// A new failed operation (trace row) this often.
    pub trace_every: Duration,
    /// Whether failures come in waves (demo mode): one table at a time is
    /// "in trouble" for half an hour and takes most failures, the others
    /// see a few an hour, so per-map alerts fire and resolve in turn.
    /// Off, failures spread evenly over every kind.
    pub waves: bool,
    /// Random fault rates.
    pub rates: FaultRates,
    /// Throttling under load, as the services' protection limits do.
    pub limit: Option<RateLimit>,
    /// The simulated tables by F&O entity set (`CustomersV3`); a table
    /// left out is not served.
    pub tables: HashMap<String, TableConfig>,
    /// Tables hold their `records` at this moment and churn after it.
    pub epoch: DateTime<Utc>,
    /// How late the side that does not own a table sees its changes.
    pub lag: Duration,
}

/// `t` rounded down to a multiple of `every` (since the Unix epoch).
pub fn grid(t: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let every = every.as_millis().max(1) as i64;
    let ms = t.timestamp_millis().div_euclid(every) * every;
    DateTime::from_timestamp_millis(ms).unwrap_or(t)
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            client_id: "demo".into(),
            client_secret: "demo".into(),
            start: grid(
                Utc::now() - chrono::Duration::hours(6),
                Duration::from_secs(20),
            ),
            trace_every: Duration::from_secs(20),
            waves: false,
            rates: FaultRates::default(),
            limit: None,
            tables: tables::default_tables(),
            epoch: DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default(),
            lag: Duration::from_secs(5),
        }
    }
}

/// The simulator's shared state.
pub struct Simulator {
    config: SimConfig,
    tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    plan: Mutex<VecDeque<Fault>>,
    rng: Mutex<u64>,
    requests: std::sync::atomic::AtomicU64,
    throttled: std::sync::atomic::AtomicU64,
    window: Mutex<(std::time::Instant, u32)>,
    received: Mutex<VecDeque<Value>>,
    mailbox: Arc<mailbox::Mailbox>,
}

impl Simulator {
    /// A simulator for `config`.
    pub fn new(config: SimConfig) -> Arc<Self> {
        Arc::new(Simulator {
            rng: Mutex::new(config.seed | 1),
            config,
            tokens: Mutex::new(HashMap::new()),
            plan: Mutex::new(VecDeque::new()),
            requests: std::sync::atomic::AtomicU64::new(0),
            throttled: std::sync::atomic::AtomicU64::new(0),
            window: Mutex::new((std::time::Instant::now(), 0)),
            received: Mutex::new(VecDeque::new()),
            mailbox: Arc::default(),
        })
    }

    /// The mailbox its SMTP receiver fills (see [`mailbox::serve`]).
    pub fn mailbox(&self) -> Arc<mailbox::Mailbox> {
        self.mailbox.clone()
    }

    /// What the Teams-like receiver accepted, oldest first (at most the
    /// last 200 messages).
    pub fn received(&self) -> Vec<Value> {
        self.received
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Queues faults for the next data requests, in order (tests).
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut p) = self.plan.lock() {
            p.extend(faults);
        }
    }

    /// Data requests answered so far (faults included).
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Requests answered 429 because the rate limit was reached.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a request against the rate limit; `Some(secs)` when it is
    /// over, with the seconds until the window ends.
    fn over_limit(&self) -> Option<u64> {
        let limit = self.config.limit?;
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if now.duration_since(w.0) >= limit.window {
            *w = (now, 0);
        }
        if w.1 >= limit.requests {
            let left = limit.window.saturating_sub(now.duration_since(w.0));
            self.throttled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Some(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        w.1 += 1;
        None
    }

    /// How many trace rows exist at `now`.
    pub fn rows_at(&self, now: DateTime<Utc>) -> u64 {
        let elapsed = (now - self.config.start).num_milliseconds().max(0) as u128;
        let every = self.config.trace_every.as_millis().max(1);
        (elapsed / every) as u64 + 1
    }

    fn random(&self) -> f64 {
        let mut r = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        *r ^= *r << 13;
        *r ^= *r >> 7;
        *r ^= *r << 17;
        (*r % 1_000_000) as f64 / 1_000_000.0
    }

    fn next_fault(&self) -> Option<Fault> {
        if let Some(f) = self.plan.lock().ok().and_then(|mut p| p.pop_front()) {
            return Some(f);
        }
        if let Some(secs) = self.over_limit() {
            return Some(Fault::Throttle(secs));
        }
        let r = self.config.rates;
        let x = self.random();
        if x < r.throttle {
            Some(Fault::Throttle(1))
        } else if x < r.throttle + r.server_error {
            Some(Fault::ServerError(503))
        } else if x < r.throttle + r.server_error + r.truncated {
            Some(Fault::Truncated)
        } else {
            None
        }
    }
}

/// The simulator's routes.
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/api/data/v9.2/plugintracelogs", get(plugin_trace_logs))
        .route("/api/data/v9.2/{set}", get(dataverse_set))
        .route("/api/data/v9.2/{set}/$count", get(dataverse_count))
        .route("/data/{set}", get(fo_set))
        .route("/data/{set}/$count", get(fo_count))
        .route("/Metadata/DataEntities", get(data_entities))
        .route("/teams/webhook", post(teams_webhook).get(teams_received))
        .route("/mail/inbox", get(mail_received))
        .route(
            "/data/DualWriteProjectConfigurations",
            get(project_configurations),
        )
        .fallback(|| async {
            envelope(
                StatusCode::NOT_FOUND,
                "0x80060888",
                "Resource not found for the segment (this simulator serves its tables, plugintracelogs and metadata).",
            )
        })
        .with_state(sim)
}

/// A Teams Workflows-like receiver: checks the envelope as Teams would
/// (`crate::notify::teams::check_envelope`), keeps what it accepts, and
/// answers 202 like Workflows; a malformed body gets 400 with the reason.
async fn teams_webhook(State(sim): State<Arc<Simulator>>, body: axum::body::Bytes) -> Response {
    let parsed: Result<Value, String> =
        serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"));
    match parsed.and_then(|v| crate::notify::teams::check_envelope(&v).map(|_| v)) {
        Ok(v) => {
            if let Ok(mut r) = sim.received.lock() {
                if r.len() == 200 {
                    r.pop_front();
                }
                r.push_back(v);
            }
            StatusCode::ACCEPTED.into_response()
        }
        Err(why) => (StatusCode::BAD_REQUEST, why).into_response(),
    }
}

/// What the Teams-like receiver accepted, as a JSON list.
async fn teams_received(State(sim): State<Arc<Simulator>>) -> Response {
    axum::Json(sim.received()).into_response()
}

/// What the simulator's mailbox received, as a JSON list (envelope,
/// subject and the whole message).
async fn mail_received(State(sim): State<Arc<Simulator>>) -> Response {
    axum::Json(sim.mailbox.received()).into_response()
}

/// The connection to a simulator at `url` (both services and the token
/// endpoint at one base URL), as client `demo` with `secret`; demo mode,
/// tests and benchmarks connect this way.
pub fn connection(url: &str, secret: &str) -> crate::connect::Connection {
    crate::connect::Connection {
        tenant: "simulated".into(),
        client_id: "demo".into(),
        secret: crate::connect::Secret::new(secret),
        authority: url.to_string(),
        scope: format!("{url}/.default"),
        dataverse_url: url.to_string(),
        fo_url: url.to_string(),
    }
}

/// Serves the simulator on `bind` (loopback) until the task is dropped.
pub async fn serve(
    bind: std::net::SocketAddr,
    config: SimConfig,
) -> anyhow::Result<(
    Arc<Simulator>,
    std::net::SocketAddr,
    tokio::task::JoinHandle<()>,
)> {
    let sim = Simulator::new(config);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let app = router(sim.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the simulator stopped");
        }
    });
    Ok((sim, addr, task))
}

fn envelope(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// The client-credentials form.
#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn token(
    State(sim): State<Arc<Simulator>>,
    Path(tenant): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    let entra_error = |status: StatusCode, error: &str, description: String| {
        (
            status,
            Json(json!({
                "error": error,
                "error_description": description,
                "error_codes": [7000215],
                "timestamp": Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
                "trace_id": "00000000-0000-0000-0000-000000000000",
                "correlation_id": "00000000-0000-0000-0000-000000000000",
            })),
        )
            .into_response()
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.".into(),
        );
    }
    if form.client_id.as_deref() != Some(sim.config.client_id.as_str())
        || form.client_secret.as_deref() != Some(sim.config.client_secret.as_str())
    {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'. Tenant '{tenant}'.",
                form.client_id.unwrap_or_default()
            ),
        );
    }
    let access = format!(
        "sim.{:016x}",
        (sim.random() * 1e15) as u64 ^ sim.config.seed
    );
    let expires = Utc::now() + chrono::Duration::seconds(3599);
    if let Ok(mut t) = sim.tokens.lock() {
        t.retain(|_, exp| *exp > Utc::now());
        t.insert(access.clone(), expires);
    }
    Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access,
    }))
    .into_response()
}

fn authorised(sim: &Simulator, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    sim.tokens
        .lock()
        .map(|t| t.get(token).is_some_and(|exp| *exp > Utc::now()))
        .unwrap_or(false)
}

/// Checks the token and counts the request; `Some` is the 401 answer.
fn refuse(sim: &Simulator, headers: &HeaderMap) -> Option<Response> {
    if !authorised(sim, headers) {
        let mut res = envelope(
            StatusCode::UNAUTHORIZED,
            "",
            "Bearer token is missing, expired or invalid.",
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=invalid_token"),
        );
        return Some(res);
    }
    sim.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    None
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Answers `body` as OData JSON, unless a fault comes first.
async fn odata(sim: &Simulator, body: Value, preference: Option<u64>) -> Response {
    if let Some(res) = apply_fault(sim.next_fault(), &body).await {
        return res;
    }
    let mut res = (
        [(
            header::CONTENT_TYPE,
            "application/json; odata.metadata=minimal",
        )],
        body.to_string(),
    )
        .into_response();
    if let Some(n) = preference
        && let Ok(v) = HeaderValue::from_str(&format!("odata.maxpagesize={n}"))
    {
        res.headers_mut().insert("preference-applied", v);
    }
    res
}

async fn count_text(sim: &Simulator, n: u64) -> Response {
    if let Some(res) = apply_fault(sim.next_fault(), &json!(n)).await {
        return res;
    }
    ([(header::CONTENT_TYPE, "text/plain")], n.to_string()).into_response()
}

fn not_found_segment(segment: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "0x8006088a",
        &format!("Resource not found for the segment '{segment}'."),
    )
}

fn bad_request(message: &str) -> Response {
    envelope(StatusCode::BAD_REQUEST, "0x80060888", message)
}

/// `EntityDefinitions(LogicalName='x')` → `x`.
fn logical_name(segment: &str) -> Option<&str> {
    segment
        .strip_prefix("EntityDefinitions(LogicalName=")?
        .strip_suffix(')')
        .map(|v| v.trim_matches('\''))
}

async fn dataverse_set(
    State(sim): State<Arc<Simulator>>,
    Path(set): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    let url = format!("{}/api/data/v9.2", base_url(&headers));
    if let Some(logical) = logical_name(&set) {
        return match tables::entity_definition(&sim.config, logical, &url) {
            Some(body) => odata(&sim, body, None).await,
            None => envelope(
                StatusCode::NOT_FOUND,
                "0x80040217",
                &format!("Could not find an entity with the logical name '{logical}'."),
            ),
        };
    }
    if set == "cdm_companies" {
        return odata(&sim, tables::companies(&url), None).await;
    }
    let Some(table) = tables::Table::dv(&sim.config, &set) else {
        return not_found_segment(&set);
    };
    let page_size = data::max_page_size(&headers);
    match table.dv_page(
        &q,
        page_size,
        &format!("{url}/{set}"),
        raw.as_deref().unwrap_or(""),
        Utc::now(),
    ) {
        Ok(body) => odata(&sim, body, page_size).await,
        Err(message) => bad_request(&message),
    }
}

async fn dataverse_count(
    State(sim): State<Arc<Simulator>>,
    Path(set): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    match tables::Table::dv(&sim.config, &set) {
        // Dataverse counts at most 5,000 rows this way.
        Some(table) => count_text(&sim, table.dv_count(Utc::now())).await,
        None => not_found_segment(&set),
    }
}

async fn fo_set(
    State(sim): State<Arc<Simulator>>,
    Path(set): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    let Some(table) = tables::Table::fo(&sim.config, &set) else {
        return not_found_segment(&set);
    };
    match table.fo_page(
        &q,
        &format!("{}/data/{set}", base_url(&headers)),
        raw.as_deref().unwrap_or(""),
        Utc::now(),
    ) {
        Ok(body) => odata(&sim, body, None).await,
        Err(message) => bad_request(&message),
    }
}

async fn fo_count(
    State(sim): State<Arc<Simulator>>,
    Path(set): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    let Some(table) = tables::Table::fo(&sim.config, &set) else {
        return not_found_segment(&set);
    };
    match table.fo_count(&q, Utc::now()) {
        Ok(n) => count_text(&sim, n).await,
        Err(message) => bad_request(&message),
    }
}

async fn data_entities(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    match tables::data_entities(&sim.config, &q, &format!("{}/Metadata", base_url(&headers))) {
        Ok(body) => odata(&sim, body, None).await,
        Err(message) => bad_request(&message),
    }
}

async fn project_configurations(State(sim): State<Arc<Simulator>>, headers: HeaderMap) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    let body = data::project_configurations(
        &sim.config,
        &format!("{}/data", base_url(&headers)),
        Utc::now(),
    );
    odata(&sim, body, None).await
}

/// Applies a fault, or `None` to answer normally. `body` is the normal
/// answer, for the truncated case.
async fn apply_fault(fault: Option<Fault>, body: &Value) -> Option<Response> {
    match fault? {
        Fault::Throttle(secs) => {
            let mut res = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "0x80072322",
                "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Some(res)
        }
        Fault::ServerError(status) => Some(envelope(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "",
            "The service is temporarily unavailable. Try again later.",
        )),
        Fault::Truncated => {
            let text = body.to_string();
            let cut = text.len() / 2;
            Some(
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/json; odata.metadata=minimal",
                    )],
                    text[..cut].to_string(),
                )
                    .into_response(),
            )
        }
        Fault::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
    }
}

async fn plugin_trace_logs(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(res) = refuse(&sim, &headers) {
        return res;
    }
    let query = match data::TraceQuery::parse(&q, &headers) {
        Ok(query) => query,
        Err(message) => return envelope(StatusCode::BAD_REQUEST, "0x80060888", &message),
    };
    let now = Utc::now();
    let url = format!("{}/api/data/v9.2/plugintracelogs", base_url(&headers));
    let body = data::page(
        &sim.config,
        sim.rows_at(now),
        &query,
        &url,
        raw.as_deref().unwrap_or(""),
    );
    odata(&sim, body, query.max_page_size_header).await
}
