//! [`AuditLog`] on PostgreSQL: the delivery rows of log positions and the quarantine.
//!
//! The delivery rows of positions are read through `deliveries (position)`, the delivery of a
//! quarantine entry through the partial index of quarantined deliveries (both migration 0009).
//! The call model asks only for the positions of recovered events (`zcc_app::call`), so a call
//! without any reads no delivery row at all.

use async_trait::async_trait;
use sqlx::PgPool;
use zcc_store::{
    AuditLog, Delivery, Digest, Position, QuarantineEntry, QuarantineQuery, QuarantineRecord,
    QuarantineSummary, Source, StoreError,
};

use crate::PostgresLog;
use crate::error::map_sqlx;
use crate::read::{DeliveryRow, select_deliveries, sql_limit};

#[async_trait]
impl AuditLog for PostgresLog {
    async fn deliveries_at(&self, positions: &[Position]) -> Result<Vec<Delivery>, StoreError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let positions: Vec<i64> = positions.iter().map(|p| p.0).collect();
        let rows: Vec<DeliveryRow> = sqlx::query_as(select_deliveries!(
            "WHERE position = ANY($1) ORDER BY position, id"
        ))
        .bind(positions)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_sqlx("reading the deliveries of log positions", e))?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    async fn quarantine_page(
        &self,
        query: &QuarantineQuery,
    ) -> Result<Vec<QuarantineSummary>, StoreError> {
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "SELECT id, received_at, source, origin, reason, \
             octet_length(body)::bigint AS body_len, body_sha256 FROM quarantine \
             WHERE ($1::bigint IS NULL OR received_at >= $1) \
             AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(query.since_ms)
        .bind(query.before_id)
        .bind(sql_limit(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_sqlx("reading the quarantine", e))?;
        rows.into_iter()
            .map(|r| {
                Ok(QuarantineSummary {
                    id: r.id,
                    received_at_ms: r.received_at,
                    source: source(r.id, &r.source)?,
                    body_sha256: digest(r.id, &r.body_sha256)?,
                    origin: r.origin,
                    reason: r.reason,
                    body_len: r.body_len,
                })
            })
            .collect()
    }

    async fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineRecord>, StoreError> {
        quarantine_entry(&self.pool, id).await
    }

    async fn quarantine_size(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT count(*) FROM quarantine")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_sqlx("counting the quarantine", e))
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    received_at: i64,
    source: String,
    origin: String,
    reason: String,
    body_len: i64,
    body_sha256: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    received_at: i64,
    source: String,
    origin: String,
    reason: String,
    body: Vec<u8>,
    body_sha256: Vec<u8>,
}

async fn quarantine_entry(pool: &PgPool, id: i64) -> Result<Option<QuarantineRecord>, StoreError> {
    let what = format!("reading quarantine entry {id}");
    let row: Option<EntryRow> = sqlx::query_as(
        "SELECT received_at, source, origin, reason, body, body_sha256 FROM quarantine \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| map_sqlx(&what, e))?;
    let Some(r) = row else {
        return Ok(None);
    };
    let entry = QuarantineEntry {
        received_at_ms: r.received_at,
        source: source(id, &r.source)?,
        body_sha256: digest(id, &r.body_sha256)?,
        origin: r.origin,
        reason: r.reason,
        body: r.body,
    };
    let rows: Vec<DeliveryRow> = sqlx::query_as(select_deliveries!(
        "WHERE received_at = $1 AND outcome = 'quarantined' AND body_sha256 = $2 ORDER BY id"
    ))
    .bind(entry.received_at_ms)
    .bind(entry.body_sha256.0.as_slice())
    .fetch_all(pool)
    .await
    .map_err(|e| map_sqlx(&format!("reading the delivery of quarantine entry {id}"), e))?;
    let deliveries = rows
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect::<Result<_, _>>()?;
    Ok(Some(QuarantineRecord {
        id,
        entry,
        deliveries,
    }))
}

fn source(id: i64, source: &str) -> Result<Source, StoreError> {
    Source::parse(source)
        .ok_or_else(|| StoreError::Other(format!("quarantine row {id}: unknown source {source:?}")))
}

fn digest(id: i64, sha: &[u8]) -> Result<Digest, StoreError> {
    Digest::from_slice(sha).ok_or_else(|| {
        StoreError::Other(format!(
            "quarantine row {id}: body_sha256 has {} bytes, not 32",
            sha.len()
        ))
    })
}
