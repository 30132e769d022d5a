//! [`AuditLog`] on SQLite: the delivery rows of log positions and the quarantine, read on the
//! pooled read-only connections.
//!
//! The delivery rows of positions are read through `deliveries (position)`, the delivery of a
//! quarantine entry through the partial index of quarantined deliveries (both migration 0009).
//! The call model asks only for the positions of recovered events (`zcc_app::call`), so a call
//! without any reads no delivery row at all.

use std::path::Path;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row};
use zcc_store::{
    AuditLog, Delivery, Digest, Position, QuarantineEntry, QuarantineQuery, QuarantineRecord,
    QuarantineSummary, Source, StoreError,
};

use crate::SqliteLog;
use crate::error;
use crate::read::{DELIVERY_COLUMNS, delivery_rows};

#[async_trait]
impl AuditLog for SqliteLog {
    async fn deliveries_at(&self, positions: &[Position]) -> Result<Vec<Delivery>, StoreError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        // One statement whatever the number of positions: the list goes as one JSON array.
        let list = serde_json::to_string(&positions.iter().map(|p| p.0).collect::<Vec<_>>())
            .map_err(|e| StoreError::Other(format!("positions as JSON: {e}")))?;
        self.readers
            .run(move |conn, path| {
                delivery_rows(
                    conn,
                    path,
                    "reading the deliveries of log positions",
                    &format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries \
                         WHERE position IN (SELECT value FROM json_each(?1)) \
                         ORDER BY position, id"
                    ),
                    [list],
                )
            })
            .await
    }

    async fn quarantine_page(
        &self,
        query: &QuarantineQuery,
    ) -> Result<Vec<QuarantineSummary>, StoreError> {
        let query = *query;
        self.readers
            .run(move |conn, path| quarantine_page(conn, path, &query))
            .await
    }

    async fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineRecord>, StoreError> {
        self.readers
            .run(move |conn, path| quarantine_entry(conn, path, id))
            .await
    }

    async fn quarantine_size(&self) -> Result<i64, StoreError> {
        self.readers
            .run(|conn, path| {
                conn.query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))
                    .map_err(error::at("counting the quarantine", path))
            })
            .await
    }
}

fn quarantine_page(
    conn: &Connection,
    path: &Path,
    query: &QuarantineQuery,
) -> Result<Vec<QuarantineSummary>, StoreError> {
    let what = "reading the quarantine";
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, received_at, source, origin, reason, length(body), body_sha256 \
             FROM quarantine WHERE (?1 IS NULL OR received_at >= ?1) \
             AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
        )
        .map_err(error::at(what, path))?;
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let mut rows = stmt
        .query((query.since_ms, query.before_id, limit))
        .map_err(error::at(what, path))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error::at(what, path))? {
        let id: i64 = row.get(0).map_err(error::at(what, path))?;
        let get = |e: rusqlite::Error| error::map(&e, &format!("{what}, entry {id}"), path);
        let sha: Vec<u8> = row.get(6).map_err(get)?;
        out.push(QuarantineSummary {
            id,
            received_at_ms: row.get(1).map_err(get)?,
            source: source(row, id, what, path)?,
            origin: row.get(3).map_err(get)?,
            reason: row.get(4).map_err(get)?,
            body_len: row.get(5).map_err(get)?,
            body_sha256: digest(&sha, id, what, path)?,
        });
    }
    Ok(out)
}

fn quarantine_entry(
    conn: &Connection,
    path: &Path,
    id: i64,
) -> Result<Option<QuarantineRecord>, StoreError> {
    let what = format!("reading quarantine entry {id}");
    let entry = conn
        .query_row(
            "SELECT id, received_at, source, origin, reason, body, body_sha256 \
             FROM quarantine WHERE id = ?1",
            [id],
            |row| Ok(entry(row, id, &what, path)),
        )
        .optional()
        .map_err(error::at(&what, path))?
        .transpose()?;
    let Some(entry) = entry else {
        return Ok(None);
    };
    let deliveries = delivery_rows(
        conn,
        path,
        &format!("reading the delivery of quarantine entry {id}"),
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE outcome = 'quarantined' \
             AND body_sha256 = ?1 AND received_at = ?2 ORDER BY id"
        ),
        (entry.body_sha256.0.as_slice(), entry.received_at_ms),
    )?;
    Ok(Some(QuarantineRecord {
        id,
        entry,
        deliveries,
    }))
}

fn entry(row: &Row<'_>, id: i64, what: &str, path: &Path) -> Result<QuarantineEntry, StoreError> {
    let get = |e: rusqlite::Error| error::map(&e, what, path);
    let sha: Vec<u8> = row.get(6).map_err(get)?;
    Ok(QuarantineEntry {
        received_at_ms: row.get(1).map_err(get)?,
        source: source(row, id, what, path)?,
        origin: row.get(3).map_err(get)?,
        reason: row.get(4).map_err(get)?,
        body: row.get(5).map_err(get)?,
        body_sha256: digest(&sha, id, what, path)?,
    })
}

fn source(row: &Row<'_>, id: i64, what: &str, path: &Path) -> Result<Source, StoreError> {
    let source: String = row
        .get(2)
        .map_err(|e| error::map(&e, &format!("{what}, entry {id}"), path))?;
    Source::parse(&source).ok_or_else(|| {
        StoreError::Other(format!(
            "{what} ({}): entry {id}: unknown source {source:?}",
            path.display()
        ))
    })
}

fn digest(sha: &[u8], id: i64, what: &str, path: &Path) -> Result<Digest, StoreError> {
    Digest::from_slice(sha).ok_or_else(|| {
        StoreError::Other(format!(
            "{what} ({}): entry {id}: body_sha256 has {} bytes, not 32",
            path.display(),
            sha.len()
        ))
    })
}
