//! The quarantine: `GET /api/quarantine` lists the bodies that were refused (not webhook
//! envelopes), newest first; `GET /api/quarantine/{quarantine_id}` shows one whole
//! (`zcc_app::quarantine`).

use axum::Json;
use axum::extract::{Path, State};
use base64::Engine as _;
use serde::Serialize;
use zcc_app::quarantine::{QuarantineError, Refused};
use zcc_store::{QuarantineQuery, QuarantineSummary};

use super::auth::Authorized;
use super::engagements::Page;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::{QueryParams, rfc3339_ms};
use super::query::{QuarantineListQuery, QuarantinePath};
use super::schemas::EventSourceName;
use crate::AppState;
use crate::error::ApiError;

const LIST_PARAMS: &[&str] = &["since", "limit", "cursor"];

/// One quarantine entry, without its body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineItem {
    /// The entry's id (`GET /api/quarantine/{quarantine_id}`).
    pub id: i64,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// Through which source it came.
    #[schema(value_type = EventSourceName)]
    pub source: &'static str,
    /// `http`, `FILE:LINE` for an import, `webhook_logs:REQUEST_ID` for a recovered body.
    pub origin: String,
    /// Why it was refused.
    pub reason: String,
    /// The body's length in bytes.
    pub bytes: i64,
    /// The SHA-256 of the body, hex.
    pub body_sha256: String,
}

impl From<QuarantineSummary> for QuarantineItem {
    fn from(s: QuarantineSummary) -> QuarantineItem {
        QuarantineItem {
            id: s.id,
            received_at: rfc3339_ms(s.received_at_ms),
            source: s.source.as_str(),
            origin: s.origin,
            reason: s.reason,
            bytes: s.body_len,
            body_sha256: s.body_sha256.to_hex(),
        }
    }
}

/// One quarantine entry, whole.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineDetail {
    #[serde(flatten)]
    pub item: QuarantineItem,
    /// Zoom's request id of the delivery that brought it (`x-zm-request-id`, or a recovered
    /// body's `request_id`); null for an import or a delivery without one.
    pub request_id: Option<String>,
    /// The body as text when it is UTF-8, else null (`body_base64` always holds it).
    pub body: Option<String>,
    /// The exact bytes, base64 (standard alphabet, padded).
    pub body_base64: String,
}

impl From<Refused> for QuarantineDetail {
    fn from(r: Refused) -> QuarantineDetail {
        let e = r.record.entry;
        let body_base64 = base64::engine::general_purpose::STANDARD.encode(&e.body);
        let bytes = i64::try_from(e.body.len()).unwrap_or(i64::MAX);
        QuarantineDetail {
            item: QuarantineItem {
                id: r.record.id,
                received_at: rfc3339_ms(e.received_at_ms),
                source: e.source.as_str(),
                origin: e.origin,
                reason: e.reason,
                bytes,
                body_sha256: e.body_sha256.to_hex(),
            },
            request_id: r.request_id,
            body: String::from_utf8(e.body).ok(),
            body_base64,
        }
    }
}

/// `GET /api/quarantine`.
#[utoipa::path(
    get,
    path = "/quarantine",
    tag = "quarantine",
    summary = "The bodies that were refused (not webhook envelopes), newest first.",
    params(QuarantineListQuery),
    responses(
        (status = 200, body = Page<QuarantineItem>,
         description = "One page of quarantine entries, without their bodies."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.quarantine.list", skip_all)]
pub async fn list(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Page<QuarantineItem>>, ApiError> {
    params.only(LIST_PARAMS)?;
    let before_id = match params.str("cursor") {
        None => None,
        Some(c) => Some(c.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "parameter `cursor`: {c:?} is not a cursor this resource gave"
            ))
        })?),
    };
    let query = QuarantineQuery {
        since_ms: params.time("since")?,
        before_id,
        limit: params.limit()?,
    };
    let entries = zcc_app::quarantine::list(state.store().as_ref(), &query).await?;
    let next_cursor = (entries.len() == query.limit)
        .then(|| entries.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page {
        items: entries.into_iter().map(QuarantineItem::from).collect(),
        next_cursor,
    }))
}

/// `GET /api/quarantine/{quarantine_id}`.
#[utoipa::path(
    get,
    path = "/quarantine/{quarantine_id}",
    tag = "quarantine",
    summary = "One refused body, whole: its reason, when and through which source it came, \
               the request id of its delivery, and the exact bytes.",
    params(QuarantinePath),
    responses(
        (status = 200, body = QuarantineDetail, description = "The entry."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.quarantine.show", skip_all, fields(quarantine_id = %id))]
pub async fn show(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<QuarantineDetail>, ApiError> {
    params.only(&[])?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("quarantine id {id:?} is not a whole number")))?;
    match zcc_app::quarantine::show(state.store().as_ref(), id).await {
        Ok(refused) => Ok(Json(refused.into())),
        Err(e @ QuarantineError::Unknown(_)) => Err(ApiError::NotFound(format!(
            "{e} (GET /api/quarantine lists them)"
        ))),
        Err(QuarantineError::Store(e)) => Err(e.into()),
    }
}
