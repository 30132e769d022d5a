//! Reading the log, the delivery log and the quarantine back.

use sqlx::PgPool;
use zcc_store::{
    ChainVersion, Delivery, DeliveryMeta, DeliveryOutcome, EngagementId, Head, LogEntry, Position,
    QuarantineEntry, Source, StoreError,
};

use crate::append::stored_digest;
use crate::error::map_sqlx;

/// `SELECT <every column of events> FROM events <tail>`.
macro_rules! select_events {
    ($tail:literal) => {
        concat!(
            "SELECT position, received_at, event_type, event_time, account_id, engagement_id, \
             body, body_sha256, hash, source, chain_version FROM events ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct EventRow {
    position: i64,
    received_at: i64,
    event_type: String,
    event_time: i64,
    account_id: Option<String>,
    engagement_id: Option<String>,
    body: String,
    body_sha256: Vec<u8>,
    hash: Vec<u8>,
    source: String,
    chain_version: i32,
}

impl EventRow {
    fn into_entry(self) -> Result<LogEntry, StoreError> {
        let source = Source::parse(&self.source).ok_or_else(|| StoreError::Corrupt {
            position: self.position,
            reason: format!("column source: unknown source {:?}", self.source),
        })?;
        let chain = ChainVersion::from_i64(i64::from(self.chain_version)).ok_or_else(|| {
            StoreError::Corrupt {
                position: self.position,
                reason: format!(
                    "column chain_version: unknown chain format {}",
                    self.chain_version
                ),
            }
        })?;
        Ok(LogEntry {
            position: Position(self.position),
            received_at_ms: self.received_at,
            event_type: self.event_type,
            event_time_ms: self.event_time,
            account_id: self.account_id,
            engagement_id: self.engagement_id.map(EngagementId::from),
            body_sha256: stored_digest(self.position, "body_sha256", &self.body_sha256)?,
            hash: stored_digest(self.position, "hash", &self.hash)?,
            body: self.body,
            source,
            chain,
        })
    }
}

fn entries(rows: Vec<EventRow>) -> Result<Vec<LogEntry>, StoreError> {
    rows.into_iter().map(EventRow::into_entry).collect()
}

/// A `usize` limit as a SQL `LIMIT`.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[tracing::instrument(skip_all)]
pub(crate) async fn head(pool: &PgPool) -> Result<Head, StoreError> {
    let row: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
            .fetch_optional(pool)
            .await
            .map_err(|e| map_sqlx("head", e))?;
    match row {
        None => Ok(Head::EMPTY),
        Some((size, hash)) => Ok(Head {
            size,
            hash: stored_digest(size, "hash", &hash)?,
        }),
    }
}

#[tracing::instrument(skip(pool))]
pub(crate) async fn read_after(
    pool: &PgPool,
    after: Position,
    limit: usize,
) -> Result<Vec<LogEntry>, StoreError> {
    let rows = sqlx::query_as(select_events!(
        "WHERE position > $1 ORDER BY position LIMIT $2"
    ))
    .bind(after.0)
    .bind(sql_limit(limit))
    .fetch_all(pool)
    .await
    .map_err(|e| map_sqlx("read_after", e))?;
    entries(rows)
}

#[tracing::instrument(skip(pool))]
pub(crate) async fn engagement_events(
    pool: &PgPool,
    engagement_id: &EngagementId,
) -> Result<Vec<LogEntry>, StoreError> {
    let rows = sqlx::query_as(select_events!("WHERE engagement_id = $1 ORDER BY position"))
        .bind(engagement_id.as_str())
        .fetch_all(pool)
        .await
        .map_err(|e| map_sqlx("engagement_events", e))?;
    entries(rows)
}

/// Every entry of several engagements up to a position, by (engagement id in byte order,
/// position), in one query. The rows are found through the `events_engagement (engagement_id,
/// position)` index (a bitmap index scan over the array) and sorted here: an `ORDER BY` puts a
/// sort on the server that spills to disk at the default `work_mem` for a page of catch-up
/// (tens of MB of bodies), and byte order would need `COLLATE "C"` besides.
#[tracing::instrument(skip_all, fields(engagements = engagement_ids.len(), up_to = up_to.0))]
pub(crate) async fn engagements_events(
    pool: &PgPool,
    engagement_ids: &[EngagementId],
    up_to: Position,
) -> Result<Vec<LogEntry>, StoreError> {
    if engagement_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as(select_events!(
        "WHERE engagement_id = ANY($1) AND position <= $2"
    ))
    .bind(
        engagement_ids
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(up_to.0)
    .fetch_all(pool)
    .await
    .map_err(|e| map_sqlx("engagements_events", e))?;
    let mut out = entries(rows)?;
    out.sort_unstable_by(|a, b| {
        (a.engagement_id.as_deref(), a.position).cmp(&(b.engagement_id.as_deref(), b.position))
    });
    Ok(out)
}

#[tracing::instrument(skip(pool))]
pub(crate) async fn entry(
    pool: &PgPool,
    position: Position,
) -> Result<Option<LogEntry>, StoreError> {
    let row: Option<EventRow> = sqlx::query_as(select_events!("WHERE position = $1"))
        .bind(position.0)
        .fetch_optional(pool)
        .await
        .map_err(|e| map_sqlx("entry", e))?;
    row.map(EventRow::into_entry).transpose()
}

#[derive(sqlx::FromRow)]
struct QuarantineRow {
    id: i64,
    received_at: i64,
    source: String,
    origin: String,
    reason: String,
    body: Vec<u8>,
    body_sha256: Vec<u8>,
}

#[tracing::instrument(skip(pool))]
pub(crate) async fn quarantined(
    pool: &PgPool,
    limit: usize,
) -> Result<Vec<QuarantineEntry>, StoreError> {
    let rows: Vec<QuarantineRow> = sqlx::query_as(
        "SELECT id, received_at, source, origin, reason, body, body_sha256 \
         FROM quarantine ORDER BY id DESC LIMIT $1",
    )
    .bind(sql_limit(limit))
    .fetch_all(pool)
    .await
    .map_err(|e| map_sqlx("quarantined", e))?;
    rows.into_iter()
        .map(|r| {
            let bad =
                |reason: String| StoreError::Other(format!("quarantine row {}: {reason}", r.id));
            Ok(QuarantineEntry {
                received_at_ms: r.received_at,
                source: Source::parse(&r.source)
                    .ok_or_else(|| bad(format!("unknown source {:?}", r.source)))?,
                body_sha256: zcc_store::Digest::from_slice(&r.body_sha256)
                    .ok_or_else(|| bad(format!("body_sha256 has {} bytes", r.body_sha256.len())))?,
                origin: r.origin,
                reason: r.reason,
                body: r.body,
            })
        })
        .collect()
}

/// `SELECT <every column of deliveries> FROM deliveries <tail>`, as [`DeliveryRow`] reads it.
macro_rules! select_deliveries {
    ($tail:literal) => {
        concat!(
            "SELECT id, received_at, outcome, status, position, body_sha256, event_type, reason, \
             headers::text AS headers, provenance::text AS provenance FROM deliveries ",
            $tail
        )
    };
}
pub(crate) use select_deliveries;

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    received_at: i64,
    outcome: String,
    status: i32,
    position: Option<i64>,
    body_sha256: Option<Vec<u8>>,
    event_type: Option<String>,
    reason: Option<String>,
    headers: String,
    provenance: Option<String>,
}

#[tracing::instrument(skip(pool))]
pub(crate) async fn deliveries(pool: &PgPool, limit: usize) -> Result<Vec<Delivery>, StoreError> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(select_deliveries!("ORDER BY id DESC LIMIT $1"))
        .bind(sql_limit(limit))
        .fetch_all(pool)
        .await
        .map_err(|e| map_sqlx("deliveries", e))?;
    rows.into_iter().map(DeliveryRow::into_delivery).collect()
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Result<Delivery, StoreError> {
        let r = self;
        let bad = |reason: String| StoreError::Other(format!("delivery row {}: {reason}", r.id));
        let headers: Vec<(String, String)> = serde_json::from_str(&r.headers)
            .map_err(|e| bad(format!("headers are not [[name, value], ...]: {e}")))?;
        Ok(Delivery {
            meta: DeliveryMeta {
                received_at_ms: r.received_at,
                headers,
                provenance: r
                    .provenance
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| bad(format!("provenance is not a JSON object: {e}")))?,
            },
            outcome: DeliveryOutcome::parse(&r.outcome)
                .ok_or_else(|| bad(format!("unknown outcome {:?}", r.outcome)))?,
            status: u16::try_from(r.status)
                .map_err(|_| bad(format!("status {} is not an HTTP status", r.status)))?,
            position: r.position.map(Position),
            body_sha256: r
                .body_sha256
                .map(|s| {
                    zcc_store::Digest::from_slice(&s)
                        .ok_or_else(|| bad(format!("body_sha256 has {} bytes", s.len())))
                })
                .transpose()?,
            event_type: r.event_type,
            reason: r.reason,
        })
    }
}
