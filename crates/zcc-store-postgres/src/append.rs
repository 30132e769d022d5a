//! Writing: the log (one writer at a time), the delivery log and the quarantine.
//!
//! Positions come from the head, not from a sequence. Each append is one transaction that
//! first takes the transaction-scoped advisory lock [`APPEND_LOCK`], then reads the head,
//! assigns head+1.., chains the hashes, inserts and commits; the lock is released only after
//! the commit is visible. The next writer reads the head after this one has committed, so
//! commit order is position order, and a failed transaction leaves no gap (docs/POSTGRES.md).
//!
//! Why an advisory lock and not `LOCK TABLE events IN EXCLUSIVE MODE`: PostgreSQL grants that
//! lock mode only to roles holding UPDATE, DELETE or TRUNCATE on the table, and the hardened
//! application role has none of them (docs/POSTGRES.md, "Roles"). Readers never take the lock.

use std::collections::HashMap;

use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use zcc_store::chain::{Chained, entry_hash};
use zcc_store::{
    Appended, ChainVersion, Delivery, Digest, NewEvent, Position, QuarantineEntry, StoreError,
};

use crate::error::map_sqlx;

/// The advisory lock key every appender takes (advisory keys are per database). The bytes
/// spell "zccappnd".
pub const APPEND_LOCK: i64 = 0x7a63_6361_7070_6e64;

/// Rows per multi-row INSERT: 1000 rows x 11 columns stays far below PostgreSQL's 65535 bind
/// parameters per statement, and 1000 is where batching stops paying off.
const ROWS_PER_INSERT: usize = 1000;

/// Append a batch in one transaction; see the module header.
#[tracing::instrument(skip_all, fields(batch = events.len()))]
pub(crate) async fn append_batch(
    pool: &PgPool,
    events: Vec<NewEvent>,
) -> Result<Vec<Appended>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let err = |e| map_sqlx("append_batch", e);
    let mut tx = begin(pool).await.map_err(err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(APPEND_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(err)?;

    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
    let (mut position, mut prev) = match head {
        None => (Position::START, Digest::ZERO),
        Some((p, hash)) => (Position(p), stored_digest(p, "hash", &hash)?),
    };

    // What the log already holds of this batch.
    let mut wanted: Vec<Vec<u8>> = events.iter().map(|e| e.body_sha256.0.to_vec()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let existing: Vec<(Vec<u8>, i64)> =
        sqlx::query_as("SELECT body_sha256, position FROM events WHERE body_sha256 = ANY($1)")
            .bind(wanted)
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?;
    let mut known: HashMap<Digest, Position> = HashMap::with_capacity(events.len());
    for (sha, p) in existing {
        known.insert(stored_digest(p, "body_sha256", &sha)?, Position(p));
    }

    // Assign positions and chain hashes; duplicates (earlier or in this batch) get the position
    // their body already has.
    let mut outcomes = Vec::with_capacity(events.len());
    let mut deliveries = Vec::new();
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let outcome = match known.get(&event.body_sha256) {
            Some(&p) => Appended::Duplicate(p),
            None => {
                position = position.next();
                prev = entry_hash(
                    ChainVersion::CURRENT,
                    &prev,
                    &Chained::of_new(position, &event),
                );
                known.insert(event.body_sha256, position);
                Appended::Stored(position)
            }
        };
        outcomes.push(outcome);
        if let Some(meta) = event.delivery.as_ref().filter(|m| m.is_recorded(outcome)) {
            deliveries.push(Delivery::of_append(meta.clone(), outcome, &event));
        }
        if let Appended::Stored(p) = outcome {
            rows.push((p, prev, event));
        }
    }

    while !rows.is_empty() {
        let chunk: Vec<_> = rows.drain(..rows.len().min(ROWS_PER_INSERT)).collect();
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO events (position, received_at, event_type, event_time, account_id, \
             engagement_id, body, body_sha256, hash, source, chain_version) ",
        );
        let chain_version = i32::try_from(ChainVersion::CURRENT.as_i64()).unwrap_or(2);
        insert.push_values(chunk, |mut row, (position, hash, e)| {
            row.push_bind(position.0)
                .push_bind(e.received_at_ms)
                .push_bind(e.event_type)
                .push_bind(e.event_time_ms)
                .push_bind(e.account_id)
                .push_bind(e.engagement_id.map(String::from))
                .push_bind(e.body)
                .push_bind(e.body_sha256.0.to_vec())
                .push_bind(hash.0.to_vec())
                .push_bind(e.source.as_str())
                .push_bind(chain_version);
        });
        insert.build().execute(&mut *tx).await.map_err(err)?;
    }
    insert_deliveries(&mut tx, deliveries).await.map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(outcomes)
}

/// Record deliveries in one commit.
#[tracing::instrument(skip_all, fields(count = deliveries.len()))]
pub(crate) async fn record_deliveries(
    pool: &PgPool,
    deliveries: Vec<Delivery>,
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let err = |e| map_sqlx("record_deliveries", e);
    let mut tx = begin(pool).await.map_err(err)?;
    insert_deliveries(&mut tx, deliveries).await.map_err(err)?;
    tx.commit().await.map_err(err)
}

/// Put bodies aside in one commit.
#[tracing::instrument(skip_all, fields(count = entries.len()))]
pub(crate) async fn quarantine(
    pool: &PgPool,
    entries: Vec<QuarantineEntry>,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let err = |e| map_sqlx("quarantine", e);
    let mut tx = begin(pool).await.map_err(err)?;
    let mut entries = entries;
    while !entries.is_empty() {
        let chunk: Vec<_> = entries
            .drain(..entries.len().min(ROWS_PER_INSERT))
            .collect();
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO quarantine (received_at, source, origin, reason, body, body_sha256) ",
        );
        insert.push_values(chunk, |mut row, q| {
            row.push_bind(q.received_at_ms)
                .push_bind(q.source.as_str())
                .push_bind(q.origin)
                .push_bind(q.reason)
                .push_bind(q.body)
                .push_bind(q.body_sha256.0.to_vec());
        });
        insert.build().execute(&mut *tx).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// Every write runs at READ COMMITTED whatever the server default, so each statement after the
/// lock sees what the previous holder committed.
async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
}

async fn insert_deliveries(
    tx: &mut Transaction<'static, Postgres>,
    mut deliveries: Vec<Delivery>,
) -> Result<(), sqlx::Error> {
    while !deliveries.is_empty() {
        let chunk: Vec<_> = deliveries
            .drain(..deliveries.len().min(ROWS_PER_INSERT))
            .collect();
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO deliveries (received_at, outcome, status, position, body_sha256, \
             event_type, reason, headers, provenance) ",
        );
        insert.push_values(chunk, |mut row, d| {
            // A list of string pairs always serialises.
            let headers = serde_json::to_string(&d.meta.headers).unwrap_or_else(|_| "[]".into());
            let provenance = d
                .meta
                .provenance
                .as_ref()
                .map(zcc_store::Provenance::to_json);
            row.push_bind(d.meta.received_at_ms)
                .push_bind(d.outcome.as_str())
                .push_bind(i32::from(d.status))
                .push_bind(d.position.map(|p| p.0))
                .push_bind(d.body_sha256.map(|s| s.0.to_vec()))
                .push_bind(d.event_type)
                .push_bind(d.reason)
                .push_bind(headers)
                .push_unseparated("::jsonb")
                .push_bind(provenance)
                .push_unseparated("::jsonb");
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// A 32-byte column read back from the log; anything else is corruption at that position.
pub(crate) fn stored_digest(
    position: i64,
    column: &str,
    bytes: &[u8],
) -> Result<Digest, StoreError> {
    Digest::from_slice(bytes).ok_or_else(|| StoreError::Corrupt {
        position,
        reason: format!("{column} has {} bytes, expected 32", bytes.len()),
    })
}
