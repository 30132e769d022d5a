//! A Zoom of our own for tests: a real HTTP server on a loopback port that behaves as Zoom's
//! documentation says (`docs/RECONCILE.md` lists what it checks).
//!
//! - `POST /oauth/token?grant_type=account_credentials&account_id=...` with Basic credentials:
//!   a bearer token that expires after [`StandIn::set_token_ttl`] seconds; a wrong id or
//!   secret gets 401 `invalid_client`.
//! - `GET /v2/marketplace/apps/{appId}/webhook_logs` (from, to at most 7 days apart and no
//!   older than 7 days, `type` 1 all, 2 failed (default), 3 successful) and
//!   `GET /v2/contact_center/analytics/dataset/historical/engagement` (at most 31 days) and
//!   `.../engagement_timelines` (`start_time_from`, `start_time_to`, at most 31 days):
//!   pages of at most 300 by `next_page_token`; an unknown, expired or revoked token gets 401.
//! - Faults queued with [`StandIn::fail_next`]: a 429 with `Retry-After`, or a 5xx.
//!
//! Both base URLs (API and OAuth) are [`StandIn::url`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Who may ask for tokens, and the app whose logs are served.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub app_id: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            account_id: "StandInAcct".into(),
            client_id: "stand-in-client".into(),
            client_secret: "stand-in-secret-do-not-log".into(),
            app_id: "StandInApp".into(),
        }
    }
}

/// A failure to serve instead of the next API answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: secs`.
    RateLimited { retry_after_secs: u64 },
    /// This 5xx status.
    ServerError(u16),
}

/// What the stand-in has served, for assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tokens issued.
    pub tokens_issued: u64,
    /// Token requests refused (wrong credentials).
    pub tokens_refused: u64,
    /// API requests answered 200.
    pub pages_served: u64,
    /// API requests answered 401 (unknown or expired token).
    pub unauthorized: u64,
    /// Faults served.
    pub faults: u64,
}

struct Inner {
    credentials: Credentials,
    token_ttl_secs: u64,
    issued: u64,
    tokens: HashMap<String, Instant>,
    logs: Vec<Value>,
    engagements: Vec<Value>,
    timelines: Vec<Value>,
    faults: VecDeque<Fault>,
    cursors: HashMap<String, (String, usize)>,
    counts: Counts,
    queries: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Inner>>;

/// The running stand-in. Stops when dropped.
pub struct StandIn {
    /// `http://127.0.0.1:PORT`: the API and the OAuth base URL alike.
    pub url: String,
    pub credentials: Credentials,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Listen on a free loopback port and serve until dropped.
    pub async fn start(credentials: Credentials) -> std::io::Result<StandIn> {
        let inner = Arc::new(Mutex::new(Inner {
            credentials: credentials.clone(),
            token_ttl_secs: 3600,
            issued: 0,
            tokens: HashMap::new(),
            logs: Vec::new(),
            engagements: Vec::new(),
            timelines: Vec::new(),
            faults: VecDeque::new(),
            cursors: HashMap::new(),
            counts: Counts::default(),
            queries: Vec::new(),
        }));
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(
                "/v2/marketplace/apps/{app_id}/webhook_logs",
                get(webhook_logs),
            )
            .route(
                "/v2/contact_center/analytics/dataset/historical/engagement",
                get(engagements),
            )
            .route(
                "/v2/contact_center/analytics/dataset/historical/engagement_timelines",
                get(timelines),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn {
            url,
            credentials,
            inner,
            task,
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner)
    }

    /// How long the tokens issued from now on live.
    pub fn set_token_ttl(&self, secs: u64) {
        self.with(|i| i.token_ttl_secs = secs);
    }

    /// Revoke every token issued so far (as when Zoom expires one early).
    pub fn expire_tokens(&self) {
        self.with(|i| i.tokens.clear());
    }

    /// Serve these faults, in order, instead of the next API answers.
    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.with(|i| i.faults.extend(faults));
    }

    /// Add delivery attempts to the webhook logs (objects as [`webhook_log`] makes them).
    pub fn add_webhook_logs(&self, logs: impl IntoIterator<Item = Value>) {
        self.with(|i| i.logs.extend(logs));
    }

    /// Add engagements to the engagement dataset (objects in Zoom's shape).
    pub fn add_engagements(&self, engagements: impl IntoIterator<Item = Value>) {
        self.with(|i| i.engagements.extend(engagements));
    }

    /// Add engagement timelines (objects in Zoom's shape: `engagement_id`,
    /// `entity_timelines[].entity`, `entity_timelines[].segments[]`). A timeline is in a
    /// window by its earliest segment's `start_time`.
    pub fn add_engagement_timelines(&self, timelines: impl IntoIterator<Item = Value>) {
        self.with(|i| i.timelines.extend(timelines));
    }

    pub fn counts(&self) -> Counts {
        self.with(|i| i.counts)
    }

    /// The query of every API request answered 200, in order.
    pub fn queries(&self) -> Vec<HashMap<String, String>> {
        self.with(|i| i.queries.clone())
    }
}

/// One delivery attempt as Zoom lists it in the webhook logs.
pub fn webhook_log(
    body: &str,
    date_time: DateTime<Utc>,
    status: i64,
    retry_num: i64,
    request_id: &str,
) -> Value {
    let event = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("event").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let failed = !(200..300).contains(&status);
    json!({
        "event": event,
        "status": status,
        "failed_reason_type": if failed { 7 } else { 0 },
        "user_id": "",
        "endpoint": "https://ledger.example.com/webhooks/zoom",
        "subscription_id": "sub-stand-in",
        "request_headers": "{\"content-type\":\"application/json\"}",
        "request_body": body,
        "response_headers": "{}",
        "response_body": if failed { "" } else { "{\"status\":\"stored\"}" },
        "date_time": date_time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "trace_id": format!("trace-{request_id}"),
        "request_id": request_id,
        "retry_num": retry_num,
    })
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

async fn token(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    let creds = inner.credentials.clone();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", creds.client_id, creds.client_secret))
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        inner.counts.tokens_refused += 1;
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
            ),
        )
            .into_response();
    }
    if query.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}),
            ),
        )
            .into_response();
    }
    if query.get("account_id") != Some(&creds.account_id) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"reason": "Invalid account_id", "error": "invalid_request"})),
        )
            .into_response();
    }
    inner.issued += 1;
    let access_token = format!(
        "sit-{}-{:x}",
        inner.issued,
        Instant::now().elapsed().as_nanos() ^ 0x5eed
    );
    let ttl = inner.token_ttl_secs;
    inner.tokens.insert(
        access_token.clone(),
        Instant::now() + Duration::from_secs(ttl),
    );
    inner.counts.tokens_issued += 1;
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": "marketplace_app:read:admin contact_center_report:read:admin",
    }))
    .into_response()
}

/// The checks every API request passes first: a live bearer token, then the queued faults.
/// `Some` is the refusal to send instead of the answer.
fn refuse(inner: &mut Inner, headers: &HeaderMap) -> Option<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let live = bearer
        .and_then(|t| inner.tokens.get(t))
        .is_some_and(|expiry| Instant::now() < *expiry);
    if !live {
        inner.counts.unauthorized += 1;
        return Some(error(
            StatusCode::UNAUTHORIZED,
            124,
            "Invalid access token.",
        ));
    }
    if let Some(fault) = inner.faults.pop_front() {
        inner.counts.faults += 1;
        return Some(match fault {
            Fault::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after_secs.to_string())],
                axum::Json(json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})),
            )
                .into_response(),
            Fault::ServerError(status) => error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                status.into(),
                "Internal server error.",
            ),
        });
    }
    None
}

/// The `from` and `to` of a query, or the 400 to answer.
fn span(query: &HashMap<String, String>) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    span_of(query, "from", "to")
}

/// The window a query names with `from_key` and `to_key`, or the 400 to answer.
fn span_of(
    query: &HashMap<String, String>,
    from_key: &str,
    to_key: &str,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let time = |key: &str| {
        query
            .get(key)
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").ok())
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("Invalid field: {key} must be yyyy-MM-dd'T'HH:mm:ss'Z'"))
    };
    Ok((time(from_key)?, time(to_key)?))
}

/// One page of `items` for `query`, continuing the cursor `next_page_token` names.
fn page(
    inner: &mut Inner,
    query: &HashMap<String, String>,
    items: &[Value],
    list_key: &str,
) -> Response {
    let page_size = query
        .get("page_size")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 300);
    let mut signature: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "next_page_token")
        .collect();
    signature.sort();
    let signature = format!("{signature:?}");
    let offset = match query.get("next_page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match inner.cursors.get(token) {
            Some((sig, offset)) if *sig == signature => *offset,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "Invalid next_page_token, or it has expired.",
                );
            }
        },
    };
    let total = items.len();
    let end = (offset + page_size).min(total);
    let next = if end < total {
        let token = format!("npt{}", inner.cursors.len() + 1);
        inner.cursors.insert(token.clone(), (signature, end));
        token
    } else {
        String::new()
    };
    inner.counts.pages_served += 1;
    inner.queries.push(query.clone());
    axum::Json(json!({
        "next_page_token": next,
        "page_size": page_size,
        "total_records": total,
        list_key: items[offset.min(total)..end],
    }))
    .into_response()
}

fn time_of(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(crate::window::parse_zoom_time)
}

async fn webhook_logs(
    State(shared): State<Shared>,
    Path(app_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(refused) = refuse(&mut inner, &headers) {
        return refused;
    }
    if app_id != inner.credentials.app_id {
        return error(StatusCode::NOT_FOUND, 4700, "App not found.");
    }
    let (from, to) = match span(&query) {
        Ok(span) => span,
        Err(message) => return error(StatusCode::BAD_REQUEST, 300, &message),
    };
    if to < from || to - from > chrono::Duration::days(7) {
        return error(
            StatusCode::BAD_REQUEST,
            300,
            "The date range must be within 7 days.",
        );
    }
    // Zoom keeps the logs for 7 days (a few minutes' grace for clocks).
    if from < Utc::now() - chrono::Duration::days(7) - chrono::Duration::minutes(5) {
        return error(
            StatusCode::BAD_REQUEST,
            300,
            "from must be within the past 7 days.",
        );
    }
    let kind = query.get("type").map_or("2", String::as_str);
    let mut logs: Vec<Value> = inner
        .logs
        .iter()
        .filter(|log| time_of(log, "date_time").is_some_and(|t| t >= from && t <= to))
        .filter(|log| {
            let ok = log
                .get("status")
                .and_then(Value::as_i64)
                .is_some_and(|s| (200..300).contains(&s));
            match kind {
                "1" => true,
                "3" => ok,
                _ => !ok,
            }
        })
        .cloned()
        .collect();
    logs.sort_by_key(|log| time_of(log, "date_time"));
    page(&mut inner, &query, &logs, "webhook_logs")
}

async fn engagements(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(refused) = refuse(&mut inner, &headers) {
        return refused;
    }
    let (from, to) = match span(&query) {
        Ok(span) => span,
        Err(message) => return error(StatusCode::BAD_REQUEST, 300, &message),
    };
    if to < from || to - from > chrono::Duration::days(31) {
        return error(
            StatusCode::BAD_REQUEST,
            300,
            "The date range must be within one month.",
        );
    }
    let mut rows: Vec<Value> = inner
        .engagements
        .iter()
        .filter(|e| time_of(e, "start_time").is_some_and(|t| t >= from && t < to))
        .cloned()
        .collect();
    rows.sort_by_key(|e| time_of(e, "start_time"));
    page(&mut inner, &query, &rows, "engagements")
}

/// When a timeline's call started: its earliest segment's start.
fn timeline_start(timeline: &Value) -> Option<DateTime<Utc>> {
    timeline
        .get("entity_timelines")?
        .as_array()?
        .iter()
        .filter_map(|e| e.get("segments")?.as_array())
        .flatten()
        .filter_map(|s| time_of(s, "start_time"))
        .min()
}

async fn timelines(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(refused) = refuse(&mut inner, &headers) {
        return refused;
    }
    let (from, to) = match span_of(&query, "start_time_from", "start_time_to") {
        Ok(span) => span,
        Err(message) => return error(StatusCode::BAD_REQUEST, 300, &message),
    };
    if to < from || to - from > chrono::Duration::days(31) {
        return error(
            StatusCode::BAD_REQUEST,
            300,
            "The date range must be within one month.",
        );
    }
    let mut rows: Vec<Value> = inner
        .timelines
        .iter()
        .filter(|t| timeline_start(t).is_some_and(|s| s >= from && s < to))
        .cloned()
        .collect();
    rows.sort_by_key(timeline_start);
    page(&mut inner, &query, &rows, "engagement_timelines")
}
