//! The client: a cached Server-to-Server OAuth token, and GET requests retried as Zoom asks.
//!
//! - The token is fetched once and reused until shortly before it expires; a 401 from the API
//!   (a token Zoom revoked or expired early) drops it, and the request is made once more with a
//!   new one.
//! - 429 and 5xx answers, and requests that got no answer, are retried after the wait Zoom names
//!   in `Retry-After`, else after a doubling back-off ([`Retry`]).
//! - Any other answer is final, and its error names the endpoint and Zoom's own message.
//!
//! The client secret and the tokens go into request headers and nowhere else: not into a log
//! line, an error or a `Debug` output ([`Secret`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::ZoomError;
use crate::config::{Retry, Secret, ZoomConfig};
use crate::types::{WebhookLog, ZoomEngagement, ZoomTimeline};
use crate::window::{DATASET_SPAN, WEBHOOK_LOG_SPAN, Window, zoom_time};

/// The largest page Zoom serves (and the one asked for).
pub const PAGE_SIZE: u32 = 300;

/// How long before its expiry a token is no longer used.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// A Zoom REST client. Cheap to clone: clones share the token.
#[derive(Clone)]
pub struct ZoomClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ZoomConfig,
    token: Mutex<Option<Token>>,
}

struct Token {
    value: Secret,
    /// Used until then; fetched again after.
    fresh_until: Instant,
}

impl std::fmt::Debug for ZoomClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoomClient")
            .field("api_url", &self.inner.config.api_url)
            .field("account_id", &self.inner.config.account_id)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

/// One attempt's outcome, before deciding whether to try again.
enum Attempt {
    Done(Value),
    /// The token was refused (401).
    Unauthorized(String),
    /// Worth another try after the wait Zoom asked for, if any.
    Again {
        what: String,
        wait: Option<Duration>,
    },
}

impl ZoomClient {
    /// A client for `config` (checked first). Makes no request yet.
    pub fn new(config: ZoomConfig) -> Result<ZoomClient, ZoomError> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .timeout(config.retry.timeout)
            .user_agent(concat!("zcc-ledger/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ZoomError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ZoomClient {
            inner: Arc::new(Inner {
                http,
                config,
                token: Mutex::new(None),
            }),
        })
    }

    pub fn config(&self) -> &ZoomConfig {
        &self.inner.config
    }

    fn retry(&self) -> Retry {
        self.inner.config.retry
    }

    /// The webhook delivery logs of the configured app (`ZCC_ZOOM_APP_ID`) in `window`, split
    /// into spans of at most 7 days: failed attempts only, or every attempt with `all`.
    pub fn webhook_logs(&self, window: Window, all: bool) -> Result<Pages<WebhookLog>, ZoomError> {
        let app_id = self
            .inner
            .config
            .app_id
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| {
                ZoomError::Config(
                    "ZCC_ZOOM_APP_ID is not set: the webhook logs are read per app".into(),
                )
            })?;
        Ok(Pages {
            client: self.clone(),
            path: format!("/v2/marketplace/apps/{app_id}/webhook_logs"),
            list_key: "webhook_logs",
            window_keys: FROM_TO,
            extra: vec![("type", if all { "1" } else { "2" }.to_owned())],
            windows: window.split(WEBHOOK_LOG_SPAN).into(),
            next_page_token: None,
            read: WebhookLog::read,
        })
    }

    /// Zoom's engagement dataset (its own counts per call) for the calls of `window`, split
    /// into spans of at most a month.
    pub fn engagements(&self, window: Window) -> Pages<ZoomEngagement> {
        Pages {
            client: self.clone(),
            path: "/v2/contact_center/analytics/dataset/historical/engagement".to_owned(),
            list_key: "engagements",
            window_keys: FROM_TO,
            extra: vec![("timezone", "UTC".to_owned())],
            windows: window.split(DATASET_SPAN).into(),
            next_page_token: None,
            read: ZoomEngagement::read,
        }
    }

    /// Zoom's engagement timelines (every participant's segments) for the calls that started
    /// in `window`, split into spans of at most a month. This endpoint names its window
    /// `start_time_from` and `start_time_to`.
    pub fn engagement_timelines(&self, window: Window) -> Pages<ZoomTimeline> {
        Pages {
            client: self.clone(),
            path: "/v2/contact_center/analytics/dataset/historical/engagement_timelines".to_owned(),
            list_key: "engagement_timelines",
            window_keys: ("start_time_from", "start_time_to"),
            extra: vec![("timezone", "UTC".to_owned())],
            windows: window.split(DATASET_SPAN).into(),
            next_page_token: None,
            read: ZoomTimeline::read,
        }
    }

    /// `GET {api_url}{path}?query` with a bearer token, retried as the module header says.
    /// Returns the JSON answer.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ZoomError> {
        let endpoint = format!("GET {path}");
        let url = format!("{}{path}", self.inner.config.api_url.trim_end_matches('/'));
        let retry = self.retry();
        let mut renewed = false;
        let mut attempt = 1;
        loop {
            let token = self.token().await?;
            let sent = self
                .inner
                .http
                .get(&url)
                .query(query)
                .bearer_auth(token.expose())
                .send()
                .await;
            let outcome = match sent {
                Ok(answer) => read_answer(answer, &endpoint).await?,
                Err(e) => Attempt::Again {
                    what: transport(&e),
                    wait: None,
                },
            };
            match outcome {
                Attempt::Done(value) => return Ok(value),
                Attempt::Unauthorized(message) if !renewed => {
                    tracing::info!(%endpoint, %message, "Zoom refused the access token; fetching a new one");
                    self.forget(&token).await;
                    renewed = true;
                }
                Attempt::Unauthorized(message) => {
                    return Err(ZoomError::Api {
                        endpoint,
                        status: 401,
                        message: format!("{message} (also with a freshly fetched token)"),
                    });
                }
                Attempt::Again { what, wait } => {
                    if attempt >= retry.attempts {
                        return Err(ZoomError::GaveUp {
                            endpoint,
                            attempts: attempt,
                            last: what,
                        });
                    }
                    let wait = wait
                        .unwrap_or_else(|| retry.backoff(attempt))
                        .min(retry.max_wait);
                    tracing::warn!(%endpoint, attempt, wait_ms = wait.as_millis() as u64, %what, "retrying Zoom");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// A token good for at least [`TOKEN_MARGIN`] more (or for most of its life, when Zoom
    /// grants less): the cached one, else a new one. Concurrent callers wait for one fetch.
    async fn token(&self) -> Result<Secret, ZoomError> {
        let mut cached = self.inner.token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.fresh_until
        {
            return Ok(token.value.clone());
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// Drop the cached token if it is still the one Zoom refused.
    async fn forget(&self, refused: &Secret) {
        let mut cached = self.inner.token.lock().await;
        if cached.as_ref().is_some_and(|t| &t.value == refused) {
            *cached = None;
        }
    }

    /// `POST {oauth_url}/oauth/token?grant_type=account_credentials&account_id=...` with the
    /// client id and secret as Basic credentials.
    async fn fetch_token(&self) -> Result<Token, ZoomError> {
        let config = &self.inner.config;
        let url = format!("{}/oauth/token", config.oauth_url.trim_end_matches('/'));
        let endpoint = "POST /oauth/token".to_owned();
        let retry = self.retry();
        let mut attempt = 1;
        loop {
            let sent = self
                .inner
                .http
                .post(&url)
                .query(&[
                    ("grant_type", "account_credentials"),
                    ("account_id", config.account_id.as_str()),
                ])
                .basic_auth(&config.client_id, Some(config.client_secret.expose()))
                .send()
                .await;
            let (what, wait) = match sent {
                Err(e) => (transport(&e), None),
                Ok(answer) => {
                    let status = answer.status();
                    let wait = retry_after(answer.headers());
                    let body = answer.text().await.unwrap_or_default();
                    if status.is_success() {
                        return read_token(&body, &endpoint);
                    }
                    if !retryable(status) {
                        return Err(ZoomError::Auth {
                            url: url.clone(),
                            client_id: config.client_id.clone(),
                            account_id: config.account_id.clone(),
                            status: status.as_u16(),
                            message: zoom_message(&body),
                        });
                    }
                    (
                        format!("HTTP {}: {}", status.as_u16(), zoom_message(&body)),
                        wait,
                    )
                }
            };
            if attempt >= retry.attempts {
                return Err(ZoomError::GaveUp {
                    endpoint,
                    attempts: attempt,
                    last: what,
                });
            }
            let wait = wait
                .unwrap_or_else(|| retry.backoff(attempt))
                .min(retry.max_wait);
            tracing::warn!(%endpoint, attempt, wait_ms = wait.as_millis() as u64, %what, "retrying Zoom's OAuth server");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Read a token answer: `{"access_token", "token_type", "expires_in", "scope"}`.
fn read_token(body: &str, endpoint: &str) -> Result<Token, ZoomError> {
    let bad = |reason: &str| ZoomError::Decode {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let v: Value = serde_json::from_str(body).map_err(|_| bad("not JSON"))?;
    let value = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("no access_token"))?;
    let lifetime = v
        .get("expires_in")
        .and_then(|e| e.as_u64().or_else(|| e.as_str()?.trim().parse().ok()))
        .map_or(Duration::from_secs(3600), Duration::from_secs);
    // A token shorter-lived than twice the margin is used for half its life.
    let usable = if lifetime > TOKEN_MARGIN * 2 {
        lifetime - TOKEN_MARGIN
    } else {
        lifetime / 2
    };
    Ok(Token {
        value: Secret::new(value),
        fresh_until: Instant::now() + usable,
    })
}

async fn read_answer(answer: reqwest::Response, endpoint: &str) -> Result<Attempt, ZoomError> {
    let status = answer.status();
    let wait = retry_after(answer.headers());
    let body = match answer.text().await {
        Ok(body) => body,
        Err(e) => {
            return Ok(Attempt::Again {
                what: transport(&e),
                wait: None,
            });
        }
    };
    if status.is_success() {
        let value: Value = serde_json::from_str(&body).map_err(|e| ZoomError::Decode {
            endpoint: endpoint.to_owned(),
            reason: format!("not JSON ({e})"),
        })?;
        if !value.is_object() {
            return Err(ZoomError::Decode {
                endpoint: endpoint.to_owned(),
                reason: "not a JSON object".into(),
            });
        }
        return Ok(Attempt::Done(value));
    }
    let message = zoom_message(&body);
    if status == StatusCode::UNAUTHORIZED {
        return Ok(Attempt::Unauthorized(message));
    }
    if retryable(status) {
        return Ok(Attempt::Again {
            what: format!("HTTP {}: {message}", status.as_u16()),
            wait,
        });
    }
    Err(ZoomError::Api {
        endpoint: endpoint.to_owned(),
        status: status.as_u16(),
        message,
    })
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Zoom's error message from an error body (`{"code", "message"}`, or OAuth's `{"reason",
/// "error"}`), else the start of the body.
fn zoom_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(m) = field("message")
            .or_else(|| field("reason"))
            .or_else(|| field("error_description"))
            .or_else(|| field("error"))
        {
            return match v.get("code") {
                Some(code) => format!("{m} (code {code})"),
                None => m,
            };
        }
    }
    let start: String = body.chars().take(200).collect();
    if start.is_empty() {
        "no message".to_owned()
    } else {
        start
    }
}

/// A request that got no answer, without its URL, with the causes.
fn transport(e: &reqwest::Error) -> String {
    let mut what = if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        what.push_str(": ");
        what.push_str(&cause.to_string());
        source = cause.source();
    }
    what
}

/// The query names of a window on most list endpoints.
const FROM_TO: (&str, &str) = ("from", "to");

/// The pages of one list endpoint over a window, span after span, page after page.
pub struct Pages<T> {
    client: ZoomClient,
    path: String,
    list_key: &'static str,
    /// The query names of the window's start and end.
    window_keys: (&'static str, &'static str),
    extra: Vec<(&'static str, String)>,
    windows: VecDeque<Window>,
    next_page_token: Option<String>,
    read: fn(&Value) -> Option<T>,
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("path", &self.path)
            .field("spans_left", &self.windows.len())
            .finish_non_exhaustive()
    }
}

/// One page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Entries of the page that lacked what makes them usable (see [`crate::types`]).
    pub unreadable: usize,
    /// The span of time the page belongs to.
    pub window: Window,
}

impl<T> Pages<T> {
    /// The next page, or `None` when every span has been read to its last page.
    pub async fn next(&mut self) -> Result<Option<Page<T>>, ZoomError> {
        let Some(window) = self.windows.front().copied() else {
            return Ok(None);
        };
        let mut query = vec![
            (self.window_keys.0, zoom_time(window.from)),
            (self.window_keys.1, zoom_time(window.to)),
            ("page_size", PAGE_SIZE.to_string()),
        ];
        query.extend(self.extra.iter().cloned());
        if let Some(token) = &self.next_page_token {
            query.push(("next_page_token", token.clone()));
        }
        let answer = self.client.get(&self.path, &query).await?;
        let list = answer.get(self.list_key);
        let entries = match list {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(entries)) => entries.as_slice(),
            Some(_) => {
                return Err(ZoomError::Decode {
                    endpoint: format!("GET {}", self.path),
                    reason: format!("`{}` is not a list", self.list_key),
                });
            }
        };
        let items: Vec<T> = entries.iter().filter_map(self.read).collect();
        let unreadable = entries.len() - items.len();
        let next = answer
            .get("next_page_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if next.is_some() && next == self.next_page_token {
            return Err(ZoomError::Decode {
                endpoint: format!("GET {}", self.path),
                reason: "the same next_page_token twice (the pages would never end)".into(),
            });
        }
        if next.is_none() {
            self.windows.pop_front();
        }
        self.next_page_token = next;
        Ok(Some(Page {
            items,
            unreadable,
            window,
        }))
    }

    /// Every remaining item, read page by page.
    pub async fn collect(mut self) -> Result<(Vec<T>, usize), ZoomError> {
        let mut items = Vec::new();
        let mut unreadable = 0;
        while let Some(page) = self.next().await? {
            items.extend(page.items);
            unreadable += page.unreadable;
        }
        Ok((items, unreadable))
    }
}
