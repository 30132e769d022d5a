//! The web pages (SPEC 7): `/`, a searchable call list, and `/engagements/{engagement_id}`,
//! one call with its timeline drawn as inline SVG, its derived events and the raw events
//! behind them. Plain HTML and one stylesheet built into the binary; no JavaScript.
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
pub mod timeline;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zcc_model::CallProjection;
use zcc_store::StoreError;
use zcc_store::projection::{Generation, GenerationState};

use crate::AppState;
use auth::Viewer;

/// The stylesheet, built into the binary.
pub const CSS: &str = include_str!("web.css");

/// The pages, the sign-in form and the stylesheet.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list_page))
        .route("/engagements/{engagement_id}", get(call_page))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/assets/web.css", get(stylesheet))
        .layer(axum::middleware::map_response(security_headers))
}

/// The pages' Content-Security-Policy. They are plain HTML, inline SVG and one stylesheet from
/// this server: no script at all, no inline style, nothing from elsewhere, forms only to this
/// server, and never inside a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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
        PageError {
            failed: Some(e.to_string()),
            ..PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage is unavailable; try again shortly.",
            )
        }
    }
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

/// The generation asked for (`?generation=ID`), else the active one.
fn pick_generation(
    generations: &[Generation],
    asked: Option<i64>,
) -> Result<Option<&Generation>, PageError> {
    match asked {
        Some(id) => generations
            .iter()
            .find(|g| g.id.0 == id)
            .map(Some)
            .ok_or_else(|| {
                PageError::new(
                    StatusCode::NOT_FOUND,
                    format!("There is no generation {id}."),
                )
            }),
        None => Ok(generations
            .iter()
            .find(|g| g.state == GenerationState::Active)),
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
    let generation = pick_generation(&generations, query.as_ref().and_then(|q| q.generation))?;
    let mut rows = Vec::new();
    let mut more = false;
    if let (Some(q), Some(g)) = (&query, generation) {
        let docs = store
            .search(g.id, &q.filter, q.after.clone(), q.limit + 1)
            .await?;
        more = docs.len() > q.limit;
        rows = docs
            .into_iter()
            .take(q.limit)
            .map(|doc| {
                let p = CallProjection::from_canonical_json(doc.doc.as_bytes()).ok();
                (doc, p)
            })
            .collect();
    }
    let page = list::render(&list::ListView {
        params: &params,
        generations: &generations,
        generation,
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
    Path(engagement_id): Path<String>,
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
    let store = state.store();
    let generations = store.generations().await?;
    let generation = pick_generation(&generations, asked)?.ok_or_else(|| {
        PageError::new(StatusCode::NOT_FOUND, "There is no active generation yet.")
    })?;
    let doc = store
        .projection(generation.id, &engagement_id)
        .await?
        .ok_or_else(|| {
            PageError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "No call {engagement_id} in generation {} ({}).",
                    generation.id, generation.rule_identity
                ),
            )
        })?;
    let projection = CallProjection::from_canonical_json(doc.doc.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, generation = %generation.id, "stored projection does not read back");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "This call's projection cannot be read.")
    })?;
    let events = store.engagement_events(&engagement_id).await?;
    Ok(Html(call::render(&call::CallView {
        projection: &projection,
        events: &events,
        generation,
        generations: &generations,
        signed_in: viewer.signed_in,
    })))
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
