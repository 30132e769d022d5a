//! Engagements: search, detail (projection + raw events), raw events, derived events, and the
//! conferences table over a search.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use zcc_app::origin::{Origin, Provenances};
use zcc_model::{CallProjection, Table};
use zcc_store::projection::{Generation, ProjectionDoc};
use zcc_store::{EngagementId, LogEntry, Provenance};

use super::auth::Authorized;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::{QueryParams, encode_cursor, rfc3339_ms, row_json};
use super::query::{EngagementPath, GenerationQuery, SearchQuery};
use super::schemas::{
    ConferenceRow, EngagementDerivedEvents, EngagementEvents, EngagementRow, EventSourceName,
    GenerationStateName,
};
use crate::AppState;
use crate::error::ApiError;

const SEARCH_PARAMS: &[&str] = &[
    "q",
    "sort",
    "since",
    "until",
    "agent",
    "queue",
    "has_conference",
    "generation",
    "rule",
    "limit",
    "cursor",
];

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The generation a response was read from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GenerationRef {
    pub id: i64,
    /// The rule identity.
    pub rule: String,
    #[schema(value_type = GenerationStateName)]
    pub state: &'static str,
    /// The last log position folded into it.
    pub checkpoint: i64,
}

impl From<&Generation> for GenerationRef {
    fn from(g: &Generation) -> GenerationRef {
        GenerationRef {
            id: g.id.0,
            rule: g.rule_identity.clone(),
            state: g.state.as_str(),
            checkpoint: g.checkpoint.0,
        }
    }
}

fn decode(generation: &Generation, doc: &ProjectionDoc) -> Result<CallProjection, ApiError> {
    Ok(zcc_app::call::decode(generation.id, doc)?)
}

/// Run the search of `params` over `generation`: documents of one page and the next cursor.
async fn search_docs(
    state: &AppState,
    params: &QueryParams,
    generation: &Generation,
    force_conference: bool,
) -> Result<(Vec<ProjectionDoc>, Option<String>), ApiError> {
    let mut filter = params.filter()?;
    if force_conference {
        if filter.has_conference == Some(false) {
            return Ok((Vec::new(), None));
        }
        filter.has_conference = Some(true);
        // Conference rows filter on their own start (SPEC 7), which is never before the
        // engagement's: only `until` can be pushed down to the engagement search.
        filter.started_from_ms = None;
    }
    let limit = params.limit()?;
    let docs = state
        .store()
        .search(generation.id, &filter, params.cursor()?, limit)
        .await?;
    let next = if docs.len() == limit {
        docs.last().and_then(|d| {
            d.started_at_ms
                .map(|at| encode_cursor(at, &d.engagement_id))
        })
    } else {
        None
    };
    Ok((docs, next))
}

/// `GET /api/engagements`: one summary per engagement (the `engagements` export row), newest
/// first by (started_at, engagement_id), or oldest first with `sort=oldest`.
#[utoipa::path(
    get,
    path = "/engagements",
    tag = "engagements",
    summary = "Search engagements, newest first by (started_at, engagement_id); `sort=oldest` \
               for the other way.",
    description = "Engagements without a known start are not listed.",
    params(SearchQuery, GenerationQuery),
    responses(
        (status = 200, body = Page<EngagementRow>,
         description = "One page of engagement summaries (rows of the `engagements` export)."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.engagements.search", skip_all)]
pub async fn search(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Page<Value>>, ApiError> {
    params.only(SEARCH_PARAMS)?;
    let generation = params.generation(&state).await?;
    let (docs, next_cursor) = search_docs(&state, &params, &generation, false).await?;
    let columns = Table::Engagements.columns();
    let mut items = Vec::with_capacity(docs.len());
    for doc in &docs {
        let projection = decode(&generation, doc)?;
        for row in projection.table_rows(Table::Engagements) {
            items.push(row_json(columns, row));
        }
    }
    Ok(Json(Page { items, next_cursor }))
}

/// `GET /api/conferences`: the `conferences` table rows of the engagements a search finds.
/// `since`/`until` filter on each conference's start; `limit` counts engagements.
#[utoipa::path(
    get,
    path = "/conferences",
    tag = "engagements",
    summary = "Rows of the `conferences` table over an engagement search; `since`/`until` apply \
               to each conference's start and `limit` counts engagements.",
    params(SearchQuery, GenerationQuery),
    responses(
        (status = 200, body = Page<ConferenceRow>, description = "One page of conference rows."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.conferences", skip_all)]
pub async fn conferences(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Page<Value>>, ApiError> {
    params.only(SEARCH_PARAMS)?;
    let generation = params.generation(&state).await?;
    let (since, until) = params.window()?;
    let window = zcc_export::Window {
        since_ms: since,
        until_ms: until,
    };
    let (docs, next_cursor) = search_docs(&state, &params, &generation, true).await?;
    let mut items = Vec::new();
    for doc in &docs {
        let projection = decode(&generation, doc)?;
        let columns = Table::Conferences.columns();
        for (c, row) in projection
            .conferences
            .iter()
            .zip(projection.table_rows(Table::Conferences))
        {
            if window.contains(c.started_at) {
                items.push(row_json(columns, row));
            }
        }
    }
    Ok(Json(Page { items, next_cursor }))
}

/// One raw log entry as the API shows it: the `events` export's fields, and where it came from
/// (`source`, `signature_verified`, `provenance`, `origin`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RawEvent {
    pub position: i64,
    #[schema(format = DateTime)]
    pub received_at: String,
    pub event: String,
    #[schema(format = DateTime)]
    pub event_time: String,
    pub account_id: Option<String>,
    pub engagement_id: Option<String>,
    /// How it reached the log: `http` (a webhook), `import` (an operator's archive) or
    /// `backfill` (recovered from Zoom's webhook delivery logs).
    #[schema(value_type = EventSourceName)]
    pub source: &'static str,
    /// Whether the receiver verified its signature: true for `http` only. A recovered event is
    /// Zoom's record of what it sent, read over Zoom's authenticated API, not signature-checked.
    pub signature_verified: bool,
    /// For a recovered event, the attempt of Zoom's webhook logs it was read from; else null.
    pub provenance: Option<RawEventProvenance>,
    /// Where it came from, in words.
    pub origin: String,
    /// The SHA-256 of the body, hex.
    pub body_sha256: String,
    /// The chain hash at this position, hex.
    pub hash: String,
    /// The exact bytes received, as a string.
    pub body: String,
}

/// The attempt of Zoom's webhook delivery logs a recovered event was read from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RawEventProvenance {
    /// What it was read from: `webhook_logs`.
    pub via: String,
    /// Zoom's `request_id`, the same for every attempt of one event.
    pub request_id: Option<String>,
    /// 0 for Zoom's first attempt, 1-3 for its retries.
    pub retry_num: Option<i64>,
    /// When Zoom made the attempt, as Zoom wrote it.
    pub date_time: Option<String>,
    /// The HTTP status Zoom saw from the endpoint (-1: an error inside Zoom).
    pub status: Option<i64>,
    /// Zoom's reason code for a failed attempt.
    pub failed_reason_type: Option<i64>,
}

impl From<&Provenance> for RawEventProvenance {
    fn from(p: &Provenance) -> RawEventProvenance {
        RawEventProvenance {
            via: p.via.clone(),
            request_id: p.request_id.clone(),
            retry_num: p.retry_num,
            date_time: p.date_time.clone(),
            status: p.status,
            failed_reason_type: p.failed_reason_type,
        }
    }
}

impl RawEvent {
    /// `e` as the API shows it, coming from `origin`.
    pub fn new(e: LogEntry, origin: Origin<'_>) -> RawEvent {
        RawEvent {
            position: e.position.0,
            received_at: rfc3339_ms(e.received_at_ms),
            event: e.event_type,
            event_time: rfc3339_ms(e.event_time_ms),
            account_id: e.account_id,
            engagement_id: e.engagement_id.map(String::from),
            source: e.source.as_str(),
            signature_verified: origin.signature_verified(),
            provenance: origin.provenance().map(RawEventProvenance::from),
            origin: origin.to_string(),
            body_sha256: e.body_sha256.to_hex(),
            hash: e.hash.to_hex(),
            body: e.body,
        }
    }
}

/// `GET /api/engagements/{id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Detail {
    #[schema(value_type = String)]
    pub engagement_id: EngagementId,
    pub generation: GenerationRef,
    /// The stored projection (call model and derived events) as the generation wrote it, or
    /// `null` when the generation has not folded this engagement yet: rule, engagement, legs,
    /// holds, transfers, conference_invitations, conferences (with Zoom's conference_id,
    /// external_participants and the api_call that started one, where there were), supervision,
    /// derived_events, diagnostics (kind, message, evidence: where explicit conference
    /// events were incomplete, unreadable or contradicted the legs; absent when none), and the
    /// phases around the legs, each absent when empty: phases (the flow and each queue wait),
    /// offers (each reservation, with its outcome), wrap_ups, dispositions and notes. Times in
    /// ms since the epoch, evidence as log positions.
    #[schema(value_type = Option<Object>)]
    pub projection: Option<Box<RawValue>>,
    /// The engagement's raw events in log order, each with where it came from.
    pub events: Vec<RawEvent>,
}

const DETAIL_PARAMS: &[&str] = &["generation", "rule"];

#[utoipa::path(
    get,
    path = "/engagements/{engagement_id}",
    tag = "engagements",
    summary = "One engagement: the projection (call model and derived events) of the chosen \
               generation and the raw events.",
    params(EngagementPath, GenerationQuery),
    responses(
        (status = 200, body = Detail, description = "The detail."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.engagements.detail", skip_all, fields(engagement_id = %id))]
pub async fn detail(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<EngagementId>,
    params: QueryParams,
) -> Result<Json<Detail>, ApiError> {
    params.only(DETAIL_PARAMS)?;
    let generation = params.generation(&state).await?;
    let call = zcc_app::call::load_in(state.store().as_ref(), generation, &id).await?;
    let projection = call
        .doc
        .map(|d| {
            RawValue::from_string(d.doc).map_err(|e| {
                ApiError::Internal(format!(
                    "generation {}, engagement {id}: stored projection is not JSON: {e}",
                    call.generation.id
                ))
            })
        })
        .transpose()?;
    let events = raw_events(call.events, &call.provenance);
    Ok(Json(Detail {
        generation: (&call.generation).into(),
        engagement_id: id,
        projection,
        events,
    }))
}

/// `events` as the API shows them, each with its origin.
fn raw_events(events: Vec<LogEntry>, provenance: &Provenances) -> Vec<RawEvent> {
    events
        .into_iter()
        .map(|e| {
            let origin = provenance.origin(&e);
            RawEvent::new(e, origin)
        })
        .collect()
}

fn unknown_engagement(id: &str) -> ApiError {
    ApiError::NotFound(format!("no engagement {id:?} in the log"))
}

/// `GET /api/engagements/{id}/events`: the raw events, in log order.
#[utoipa::path(
    get,
    path = "/engagements/{engagement_id}/events",
    tag = "engagements",
    summary = "The engagement's raw events in log order, each with where it came from.",
    description = "`source` says how an event reached the log; a recovered event (`backfill`) \
                   carries the attempt of Zoom's webhook logs it was read from in `provenance` \
                   and was not signature-checked (`signature_verified` false).",
    params(EngagementPath),
    responses(
        (status = 200, body = EngagementEvents, description = "The raw events."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.engagements.events", skip_all, fields(engagement_id = %id))]
pub async fn events(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<EngagementId>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    params.only(&[])?;
    // An engagement the log does not hold is a 404 (`CallError::Unknown`).
    let raw = zcc_app::call::raw_events(state.store().as_ref(), &id).await?;
    let items = raw_events(raw.events, &raw.provenance);
    Ok(Json(
        serde_json::json!({ "engagement_id": id, "items": items }),
    ))
}

/// `GET /api/engagements/{id}/derived-events`: the derived events of the chosen generation's
/// projection, in order, each with its evidence and rule.
#[utoipa::path(
    get,
    path = "/engagements/{engagement_id}/derived-events",
    tag = "engagements",
    summary = "The engagement's derived events (rows of the `derived_events` export).",
    params(EngagementPath, GenerationQuery),
    responses(
        (status = 200, body = EngagementDerivedEvents, description = "The derived events."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.engagements.derived", skip_all, fields(engagement_id = %id))]
pub async fn derived_events(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<EngagementId>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    params.only(DETAIL_PARAMS)?;
    let generation = params.generation(&state).await?;
    let store = state.store();
    let Some(doc) = store.projection(generation.id, &id).await? else {
        return Err(if store.engagement_events(&id).await?.is_empty() {
            unknown_engagement(&id)
        } else {
            ApiError::NotFound(format!(
                "generation {} has not folded engagement {id:?} yet",
                generation.id
            ))
        });
    };
    let projection = decode(&generation, &doc)?;
    let columns = Table::DerivedEvents.columns();
    let items: Vec<Value> = projection
        .table_rows(Table::DerivedEvents)
        .into_iter()
        .map(|row| row_json(columns, row))
        .collect();
    Ok(Json(serde_json::json!({
        "engagement_id": id,
        "generation": GenerationRef::from(&generation),
        "items": items,
    })))
}
