//! The web pages (SPEC 7): `/`, a searchable call list, and `/engagements/{engagement_id}`,
//! one call with its timeline drawn as inline SVG, its derived events and the raw events
//! behind them; and `/subscriptions`, outbound delivery's subscriptions and recent failures. Plain HTML and one stylesheet built into the binary; no JavaScript.
//!
//! Read in this order: [`html`] (escaping, URL encoding, times, the layout), [`timeline`] (the
//! SVG, a pure function of a projection), [`call`] and [`list`] (the two pages, pure functions
//! of what the handlers load), [`auth`] (token, sign-in, session cookie), then the handlers
//! below, which only load from the store and hand over. How to read the timeline:
//! `docs/WEB.md`.

pub mod auth;
pub mod call;
pub mod html;
pub mod list;
pub mod subscriptions;
pub mod timeline;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zcc_app::call::{CallError, Unreadable};
use zcc_app::select::{SelectError, Selector, choose};
use zcc_store::outbound::OutboundStore;
use zcc_store::projection::{Generation, GenerationId};
use zcc_store::{EngagementId, StoreError};

use crate::AppState;
use auth::Viewer;

/// The stylesheet, built into the binary.
pub const CSS: &str = include_str!("web.css");

/// The pages, the sign-in form and the stylesheet.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list_page))
        .route("/engagements/{engagement_id}", get(call_page))
        .route("/subscriptions", get(subscriptions_page))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/assets/web.css", get(stylesheet))
        .route("/assets/local-time.js", get(local_time_script))
        .layer(axum::middleware::map_response(security_headers))
}

/// The pages' Content-Security-Policy. They are plain HTML, inline SVG, one stylesheet and one
/// small script from this server (`local-time.js`, which shows times in the reader's time
/// zone): no inline script or style, nothing from elsewhere, forms only to this server, and
/// never inside a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Headers on every page: the policy above, no framing (for browsers without
/// `frame-ancestors`), no referrer to other sites (a call's URL names the engagement), and no
/// content-type guessing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A page that cannot be shown, as an HTML answer. A storage failure's cause is not shown; it
/// is logged once per change of state (`crate::storage`).
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
    /// The storage failure behind a 503.
    failed: Option<String>,
}

impl PageError {
    fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
            failed: None,
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        if !e.is_transient() {
            // A fault of this server or its data: say so, and log the cause.
            tracing::error!(error = %e, "answering a page with 500");
            return PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This page cannot be shown: the server logged the cause.",
            );
        }
        PageError {
            failed: Some(e.to_string()),
            ..PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage is unavailable; try again shortly.",
            )
        }
    }
}

impl From<SelectError> for PageError {
    fn from(e: SelectError) -> PageError {
        let status = match e {
            SelectError::Store(e) => return e.into(),
            SelectError::Both => StatusCode::BAD_REQUEST,
            SelectError::Building { .. } => StatusCode::CONFLICT,
            _ => StatusCode::NOT_FOUND,
        };
        PageError::new(status, sentence(&e.to_string()))
    }
}

impl From<CallError> for PageError {
    fn from(e: CallError) -> PageError {
        match e {
            CallError::Select(e) => e.into(),
            CallError::Store(e) => e.into(),
            e @ CallError::Unknown(_) => {
                PageError::new(StatusCode::NOT_FOUND, sentence(&e.to_string()))
            }
            CallError::Unreadable(e) => e.into(),
        }
    }
}

impl From<Unreadable> for PageError {
    fn from(e: Unreadable) -> PageError {
        tracing::error!(error = %e, "stored projection does not read back");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "This call's projection cannot be read.",
        )
    }
}

/// An error message as a sentence for a page: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let page = html::error_page(title, &self.message);
        let mut response = (self.status, Html(page)).into_response();
        if let Some(cause) = self.failed {
            response
                .extensions_mut()
                .insert(crate::storage::StorageFailed(cause.into()));
        }
        response
    }
}

/// The generation asked for (`?generation=ID`), else the active one
/// ([`zcc_app::select::choose`]); `None` when nothing was asked and nothing is active yet.
async fn pick_generation(
    state: &AppState,
    asked: Option<i64>,
) -> Result<Option<Generation>, PageError> {
    let selector = match asked {
        Some(id) => Selector::Id(GenerationId(id)),
        None => Selector::Active,
    };
    match choose(state.store().as_ref(), &selector).await {
        Ok(g) => Ok(Some(g)),
        Err(SelectError::NoActive) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all)]
async fn list_page(
    viewer: Viewer,
    State(state): State<AppState>,
    params: Result<Query<list::ListParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let params = params
        .map(|Query(p)| p)
        .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let store = state.store();
    let generations = store.generations().await?;
    let (query, error) = match params.parse() {
        Ok(q) => (Some(q), None),
        Err(e) => (None, Some(e)),
    };
    let generation = pick_generation(&state, query.as_ref().and_then(|q| q.generation)).await?;
    let mut rows = Vec::new();
    let mut more = false;
    if let (Some(q), Some(g)) = (&query, &generation) {
        let docs = store
            .search(g.id, &q.filter, q.after.clone(), q.limit + 1)
            .await?;
        more = docs.len() > q.limit;
        rows = docs
            .into_iter()
            .take(q.limit)
            .map(|doc| {
                let p = zcc_app::call::decode(g.id, &doc)?;
                Ok((doc, Some(p)))
            })
            .collect::<Result<_, Unreadable>>()?;
    }
    let page = list::render(&list::ListView {
        params: &params,
        generations: &generations,
        generation: generation.as_ref(),
        rows: &rows,
        more,
        error: error.as_deref(),
        signed_in: viewer.signed_in,
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CallParams {
    #[serde(default)]
    generation: Option<String>,
}

#[tracing::instrument(skip_all, fields(engagement_id = %engagement_id))]
async fn call_page(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(engagement_id): Path<EngagementId>,
    params: Result<Query<CallParams>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let params = params
        .map(|Query(p)| p)
        .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let asked = match params.generation.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(g) => Some(g.parse::<i64>().map_err(|_| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                format!("{g:?} is not a generation id."),
            )
        })?),
    };
    let generations = state.store().generations().await?;
    let generation = pick_generation(&state, asked).await?.ok_or_else(|| {
        PageError::new(StatusCode::NOT_FOUND, "There is no active generation yet.")
    })?;
    let not_folded = |g: &Generation| {
        PageError::new(
            StatusCode::NOT_FOUND,
            format!(
                "No call {engagement_id} in generation {} ({}).",
                g.id, g.rule_identity
            ),
        )
    };
    let call =
        match zcc_app::call::load_in(state.store().as_ref(), generation.clone(), &engagement_id)
            .await
        {
            Err(CallError::Unknown(_)) => return Err(not_folded(&generation)),
            loaded => loaded?,
        };
    let Some(projection) = call.projection()? else {
        return Err(not_folded(&generation));
    };
    Ok(Html(call::render(&call::CallView {
        projection: &projection,
        events: &call.events,
        provenance: &call.provenance,
        generation: &call.generation,
        generations: &generations,
        signed_in: viewer.signed_in,
    })))
}

#[tracing::instrument(skip_all)]
async fn subscriptions_page(
    viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Html<String>, PageError> {
    let rows = match state.outbound() {
        Some(outbound) => Some(load_subscriptions(outbound.store.as_ref()).await?),
        None => None,
    };
    Ok(Html(subscriptions::render(
        &subscriptions::SubscriptionsView {
            rows: rows.as_deref(),
            now_ms: zcc_store::ingest::now_ms(),
            signed_in: viewer.signed_in,
        },
    )))
}

/// Every subscription with its outbox's statistics and its recent failures: the failed
/// messages and those among the newest 200 whose last attempt failed, newest first.
async fn load_subscriptions(
    store: &dyn OutboundStore,
) -> Result<Vec<subscriptions::SubscriptionRow>, StoreError> {
    let stats = store.outbox_stats().await?;
    let mut rows = Vec::new();
    for s in store.subscriptions().await? {
        let mut row = subscriptions::SubscriptionRow::new(&s);
        if let Some(st) = stats.iter().find(|st| st.subscription == s.id) {
            row.pending = st.pending;
            row.oldest_pending_ms = st.oldest_pending_ms;
        }
        let mut failures = store.messages(s.id, true, subscriptions::FAILURES).await?;
        failures.extend(
            store
                .messages(s.id, false, 200)
                .await?
                .into_iter()
                .filter(subscriptions::is_failure),
        );
        failures.sort_by_key(|m| std::cmp::Reverse(m.id));
        failures.dedup_by_key(|m| m.id);
        failures.truncate(subscriptions::FAILURES);
        row.failures = failures;
        rows.push(row);
    }
    Ok(rows)
}

#[derive(Debug, Default, Deserialize)]
struct NextParam {
    #[serde(default)]
    next: String,
}

async fn signin_form(State(state): State<AppState>, Query(q): Query<NextParam>) -> Response {
    if state.api_token().is_none() {
        return Redirect::to(auth::safe_next(&q.next)).into_response();
    }
    auth::signin_response(StatusCode::OK, &q.next, None)
}

#[derive(Debug, Deserialize)]
struct SigninForm {
    token: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
async fn signin(State(state): State<AppState>, Form(form): Form<SigninForm>) -> Response {
    let next = auth::safe_next(&form.next);
    let Some(token) = state.api_token() else {
        return Redirect::to(next).into_response();
    };
    if !auth::token_matches(form.token.trim(), token) {
        tracing::info!("web sign-in refused: wrong token");
        return auth::signin_response(
            StatusCode::UNAUTHORIZED,
            next,
            Some("That is not the API token."),
        );
    }
    let mut response = Redirect::to(next).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::set_cookie(token));
    response
}

async fn signout() -> Response {
    let mut response = Redirect::to("/signin").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::clear_cookie());
    response
}

/// The script that shows times in the reader's time zone.
const LOCAL_TIME_JS: &str = include_str!("local-time.js");

async fn local_time_script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        LOCAL_TIME_JS,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        CSS,
    )
        .into_response()
}
