//! The derived-event feed: `GET /api/derived-events` (polling) and
//! `GET /api/derived-events/stream` (Server-Sent Events), resumable from a cursor.
//!
//! The feed is derived from the log, not stored: its cursor is a log position. Reading from a
//! cursor walks the log entries after it, up to the generation's checkpoint (what it has
//! folded), and for each entry that belongs to an engagement emits the derived events of that
//! engagement's *current* projection whose highest evidence position is that entry's position,
//! in the projection's order. Each derived event is thus emitted once, at the position of the
//! newest raw event it rests on. Several events can share a position, so an item's cursor is
//! `P:K` (everything before position P, and the first K events at P, have been delivered);
//! `P` alone means everything up to and including P. See `docs/API.md` for what a consumer sees
//! when a late event re-folds an engagement.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Serialize;
use serde_json::Value;
use zcc_model::Table;
use zcc_store::projection::Generation;
use zcc_store::{EngagementId, Position};

use super::auth::Authorized;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::{QueryParams, row_json};
use super::query::{AfterQuery, GenerationQuery, LastEventId, LimitQuery};
use super::schemas::DerivedEventRow;
use crate::AppState;
use crate::error::ApiError;

/// How often an idle stream looks for new events.
pub const STREAM_POLL: Duration = Duration::from_millis(250);
/// Items one stream read fetches at most.
const STREAM_BATCH: usize = 200;
/// Log entries read per page while walking the feed.
const LOG_PAGE: usize = 500;

/// Where a consumer is: the next position to read and how many events at it were delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    pub next: i64,
    pub skip: usize,
}

impl FeedCursor {
    pub const START: FeedCursor = FeedCursor { next: 1, skip: 0 };

    /// `P` (everything up to P) or `P:K` (before P, and K events at P).
    pub fn parse(name: &str, s: &str) -> Result<FeedCursor, ApiError> {
        let bad = || {
            ApiError::BadRequest(format!(
                "{name}: {s:?} is not a feed cursor (`P` or `P:K`, from an item's `cursor` or \
                 `next_cursor`)"
            ))
        };
        match s.split_once(':') {
            None => {
                let p = s.parse::<i64>().map_err(|_| bad())?;
                if p < 0 {
                    return Err(bad());
                }
                Ok(FeedCursor {
                    next: p + 1,
                    skip: 0,
                })
            }
            Some((p, k)) => {
                let p = p.parse::<i64>().map_err(|_| bad())?;
                let k = k.parse::<usize>().map_err(|_| bad())?;
                if p < 1 {
                    return Err(bad());
                }
                Ok(FeedCursor { next: p, skip: k })
            }
        }
    }

    fn render(self) -> String {
        if self.skip == 0 {
            (self.next - 1).to_string()
        } else {
            format!("{}:{}", self.next, self.skip)
        }
    }
}

/// One derived event in the feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    /// Resume after this item with `after=` (or `Last-Event-ID`).
    pub cursor: String,
    /// The log position it is emitted at: its highest evidence position.
    pub position: i64,
    /// The generation whose projection it was read from.
    pub generation: i64,
    /// The derived event, as a row of the `derived_events` export.
    #[schema(value_type = DerivedEventRow)]
    pub event: Value,
}

/// A page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Where to resume; always present (equal to `after` when nothing new was found).
    pub next_cursor: String,
    /// The generation's checkpoint: the feed has nothing beyond it yet.
    pub checkpoint: i64,
}

/// Read up to `limit` feed items after `cursor` from `generation`.
pub async fn read(
    state: &AppState,
    generation: &Generation,
    cursor: FeedCursor,
    limit: usize,
) -> Result<(Vec<FeedItem>, FeedCursor), ApiError> {
    let store = state.store();
    let upto = generation.checkpoint.0;
    let mut at = cursor;
    let mut items = Vec::new();
    // engagement id → position → its derived-event rows at that position, in order.
    let mut cache: HashMap<EngagementId, HashMap<i64, Vec<Value>>> = HashMap::new();
    'pages: while at.next <= upto && items.len() < limit {
        let want = usize::try_from(upto - at.next + 1).unwrap_or(LOG_PAGE);
        let page = store
            .read_after(Position(at.next - 1), want.min(LOG_PAGE))
            .await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            let p = entry.position.0;
            if p > upto {
                break 'pages;
            }
            let skip = if p == at.next { at.skip } else { 0 };
            if let Some(eid) = entry.engagement_id {
                if !cache.contains_key(&eid) {
                    let by_position = derived_by_position(state, generation, &eid).await?;
                    cache.insert(eid.clone(), by_position);
                }
                let events = cache.get(&eid).and_then(|m| m.get(&p));
                for (i, event) in events.into_iter().flatten().enumerate().skip(skip) {
                    if items.len() == limit {
                        at = FeedCursor { next: p, skip: i };
                        break 'pages;
                    }
                    items.push(FeedItem {
                        cursor: FeedCursor {
                            next: p,
                            skip: i + 1,
                        }
                        .render(),
                        position: p,
                        generation: generation.id.0,
                        event: event.clone(),
                    });
                }
            }
            at = FeedCursor {
                next: p + 1,
                skip: 0,
            };
        }
    }
    Ok((items, at))
}

/// An engagement's derived events (as `derived_events` rows) grouped by their highest evidence
/// position.
async fn derived_by_position(
    state: &AppState,
    generation: &Generation,
    engagement_id: &EngagementId,
) -> Result<HashMap<i64, Vec<Value>>, ApiError> {
    let Some(projection) =
        zcc_app::call::projection(state.store().as_ref(), generation, engagement_id).await?
    else {
        return Ok(HashMap::new());
    };
    let columns = Table::DerivedEvents.columns();
    let mut out: HashMap<i64, Vec<Value>> = HashMap::new();
    for (event, row) in projection
        .derived_events
        .iter()
        .zip(projection.table_rows(Table::DerivedEvents))
    {
        if let Some(&highest) = event.evidence.iter().max() {
            out.entry(highest.get())
                .or_default()
                .push(row_json(columns, row));
        }
    }
    Ok(out)
}

const FEED_PARAMS: &[&str] = &["after", "limit", "generation", "rule"];

/// `GET /api/derived-events?after=CURSOR&limit=N`.
#[utoipa::path(
    get,
    path = "/derived-events",
    tag = "feed",
    summary = "Poll the derived-event feed after a cursor.",
    params(AfterQuery, LimitQuery, GenerationQuery),
    responses(
        (status = 200, body = FeedPage, description = "Feed items and where to resume."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.feed.poll", skip_all)]
pub async fn poll(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<FeedPage>, ApiError> {
    params.only(FEED_PARAMS)?;
    let cursor = match params.str("after") {
        Some(s) => FeedCursor::parse("parameter `after`", s)?,
        None => FeedCursor::START,
    };
    let limit = params.limit()?;
    let generation = params.generation(&state).await?;
    let (items, next) = read(&state, &generation, cursor, limit).await?;
    Ok(Json(FeedPage {
        items,
        next_cursor: next.render(),
        checkpoint: generation.checkpoint.0,
    }))
}

/// `GET /api/derived-events/stream?after=CURSOR`: Server-Sent Events, one `derived_event` per
/// item with the item's cursor as its `id`. A reconnecting client's `Last-Event-ID` wins over
/// `after`. The generation (`generation`, `rule`, else the active one) is looked up again
/// before each read, so the stream follows an activation.
#[utoipa::path(
    get,
    path = "/derived-events/stream",
    tag = "feed",
    summary = "The derived-event feed as Server-Sent Events (`event: derived_event`, `id:` the \
               item's cursor, `data:` a FeedItem).",
    params(AfterQuery, GenerationQuery, LastEventId),
    responses(
        (status = 200, body = String, content_type = "text/event-stream",
         description = "An endless event stream."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.feed.stream", skip_all)]
pub async fn stream(
    _auth: Authorized,
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    params.only(&["after", "generation", "rule"])?;
    let last_event_id = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::BadRequest("header `Last-Event-ID` is not text".into()))
        })
        .transpose()?;
    let cursor = match (last_event_id, params.str("after")) {
        (Some(id), _) => FeedCursor::parse("header `Last-Event-ID`", id)?,
        (None, Some(after)) => FeedCursor::parse("parameter `after`", after)?,
        (None, None) => FeedCursor::START,
    };
    // Fail now, as a 4xx, rather than inside the stream.
    params.generation(&state).await?;

    struct Feed {
        state: AppState,
        params: QueryParams,
        cursor: FeedCursor,
        queue: VecDeque<FeedItem>,
        idle: bool,
        stopping: tokio::sync::watch::Receiver<bool>,
    }
    let feed = Feed {
        stopping: state.stopping(),
        state,
        params,
        cursor,
        queue: VecDeque::new(),
        idle: false,
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        loop {
            if let Some(item) = feed.queue.pop_front() {
                let event = Event::default()
                    .event("derived_event")
                    .id(item.cursor.clone())
                    .json_data(&item)
                    .unwrap_or_else(|e| Event::default().event("error").data(e.to_string()));
                return Some((Ok(event), feed));
            }
            if *feed.stopping.borrow() {
                return None;
            }
            if feed.idle {
                tokio::select! {
                    () = tokio::time::sleep(STREAM_POLL) => {}
                    _ = feed.stopping.changed() => return None,
                }
            }
            let read = match feed.params.generation(&feed.state).await {
                Ok(g) => read(&feed.state, &g, feed.cursor, STREAM_BATCH).await,
                Err(e) => Err(e),
            };
            match read {
                Ok((items, next)) => {
                    feed.idle = items.is_empty();
                    feed.cursor = next;
                    feed.queue.extend(items);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "derived-event stream: read failed; retrying");
                    feed.idle = true;
                    let event = Event::default()
                        .event("error")
                        .json_data(serde_json::json!({"error": {"message": e.to_string()}}))
                        .unwrap_or_default();
                    return Some((Ok(event), feed));
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_and_render() {
        assert_eq!(FeedCursor::parse("after", "0").unwrap(), FeedCursor::START);
        assert_eq!(
            FeedCursor::parse("after", "41").unwrap(),
            FeedCursor { next: 42, skip: 0 }
        );
        assert_eq!(
            FeedCursor::parse("after", "42:3").unwrap(),
            FeedCursor { next: 42, skip: 3 }
        );
        assert_eq!(FeedCursor { next: 42, skip: 3 }.render(), "42:3");
        assert_eq!(FeedCursor { next: 42, skip: 0 }.render(), "41");
        for bad in ["", "x", "-1", "0:1", "4:x", "4:-1"] {
            let e = FeedCursor::parse("parameter `after`", bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("parameter `after`"), "{bad}: {e}");
        }
    }
}
