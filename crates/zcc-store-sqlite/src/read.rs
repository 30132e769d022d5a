//! Reads: a small pool of read-only connections, used on tokio's blocking pool by the async
//! methods and on the caller's thread by [`crate::SqliteLog::scan_blocking`].
//!
//! In WAL mode readers never block the writer nor each other; each statement sees the last
//! committed state, so a reader paging by position never sees a gap (the single writer assigns
//! positions in commit order).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Row};
use zcc_store::{
    ChainVersion, Delivery, DeliveryMeta, DeliveryOutcome, Digest, EngagementId, Head, LogEntry,
    Position, QuarantineEntry, Source, StoreError,
};

use crate::error;
use crate::open::{SqliteOptions, open_reader};

/// The columns every entry read selects, in the order [`entry_ref`] expects.
pub(crate) const ENTRY_COLUMNS: &str = "position, received_at, event_type, event_time, account_id, \
     engagement_id, body, body_sha256, hash, source, chain_version";

/// One log entry borrowed from the row being read: no allocation per row. The fast path of
/// projection rebuilds; call [`LogEntryRef::to_owned`] to keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntryRef<'a> {
    pub position: Position,
    pub received_at_ms: i64,
    pub event_type: &'a str,
    pub event_time_ms: i64,
    pub account_id: Option<&'a str>,
    pub engagement_id: Option<&'a str>,
    pub body: &'a str,
    pub body_sha256: Digest,
    pub hash: Digest,
    pub source: Source,
    pub chain: ChainVersion,
}

impl LogEntryRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> LogEntry {
        LogEntry {
            position: self.position,
            received_at_ms: self.received_at_ms,
            event_type: self.event_type.to_owned(),
            event_time_ms: self.event_time_ms,
            account_id: self.account_id.map(str::to_owned),
            engagement_id: self.engagement_id.map(EngagementId::from),
            body: self.body.to_owned(),
            body_sha256: self.body_sha256,
            hash: self.hash,
            source: self.source,
            chain: self.chain,
        }
    }
}

/// Why a stored row does not read as an entry. Becomes [`StoreError::Corrupt`].
enum RowError {
    Sql(rusqlite::Error),
    Bad { position: i64, reason: String },
}

impl From<rusqlite::Error> for RowError {
    fn from(e: rusqlite::Error) -> Self {
        RowError::Sql(e)
    }
}

impl RowError {
    fn into_store(self, what: &str, path: &Path) -> StoreError {
        match self {
            RowError::Sql(e) => error::map(&e, what, path),
            RowError::Bad { position, reason } => StoreError::Corrupt { position, reason },
        }
    }
}

fn digest(position: i64, column: &str, bytes: &[u8]) -> Result<Digest, RowError> {
    Digest::from_slice(bytes).ok_or_else(|| RowError::Bad {
        position,
        reason: format!("{column} has {} bytes, not 32", bytes.len()),
    })
}

fn column_error(position: i64, column: &str, e: &rusqlite::types::FromSqlError) -> RowError {
    RowError::Bad {
        position,
        reason: format!("column {column}: {e}"),
    }
}

fn text<'r>(row: &'r Row<'_>, i: usize, position: i64, column: &str) -> Result<&'r str, RowError> {
    row.get_ref(i)?
        .as_str()
        .map_err(|e| column_error(position, column, &e))
}

fn text_or_null<'r>(
    row: &'r Row<'_>,
    i: usize,
    position: i64,
    column: &str,
) -> Result<Option<&'r str>, RowError> {
    row.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| column_error(position, column, &e))
}

fn blob_digest(row: &Row<'_>, i: usize, position: i64, column: &str) -> Result<Digest, RowError> {
    let bytes = row
        .get_ref(i)?
        .as_blob()
        .map_err(|e| column_error(position, column, &e))?;
    digest(position, column, bytes)
}

/// Read a row selected with [`ENTRY_COLUMNS`].
fn entry_ref<'r>(row: &'r Row<'_>) -> Result<LogEntryRef<'r>, RowError> {
    let position: i64 = row.get(0)?;
    let source = text(row, 9, position, "source")?;
    Ok(LogEntryRef {
        position: Position(position),
        received_at_ms: row.get(1)?,
        event_type: text(row, 2, position, "event_type")?,
        event_time_ms: row.get(3)?,
        account_id: text_or_null(row, 4, position, "account_id")?,
        engagement_id: text_or_null(row, 5, position, "engagement_id")?,
        body: text(row, 6, position, "body")?,
        body_sha256: blob_digest(row, 7, position, "body_sha256")?,
        hash: blob_digest(row, 8, position, "hash")?,
        source: Source::parse(source).ok_or_else(|| RowError::Bad {
            position,
            reason: format!("column source: unknown source {source:?}"),
        })?,
        chain: {
            let n: i64 = row.get(10)?;
            ChainVersion::from_i64(n).ok_or_else(|| RowError::Bad {
                position,
                reason: format!("column chain_version: unknown chain format {n}"),
            })?
        },
    })
}

/// A pool of read-only connections on one database file.
pub(crate) struct Readers {
    path: PathBuf,
    options: SqliteOptions,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf, options: SqliteOptions) -> Arc<Readers> {
        Arc::new(Readers {
            path,
            options,
            idle: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` with a pooled connection on the current thread (blocking).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection, &Path) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path, &self.options)?,
        };
        let result = f(&conn, &self.path);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.options.read_pool {
            idle.push(conn);
        }
        result
    }

    /// Run `f` with a pooled connection on tokio's blocking pool.
    pub(crate) async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection, &Path) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || this.with(f))
            .await
            .map_err(|e| StoreError::Other(format!("a SQLite read task failed: {e}")))?
    }
}

/// Stream entries with position greater than `after`, in order, until `f` breaks.
pub(crate) fn scan(
    conn: &Connection,
    path: &Path,
    after: Position,
    limit: Option<usize>,
    mut f: impl FnMut(LogEntryRef<'_>) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    let what = "reading the log";
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
        ))
        .map_err(error::at(what, path))?;
    let mut rows = stmt
        .query((after.0, limit))
        .map_err(error::at(what, path))?;
    while let Some(row) = rows.next().map_err(error::at(what, path))? {
        let entry = entry_ref(row).map_err(|e| e.into_store(what, path))?;
        if f(entry).is_break() {
            break;
        }
    }
    Ok(())
}

/// Every entry of a query over [`ENTRY_COLUMNS`], owned.
pub(crate) fn entries(
    conn: &Connection,
    path: &Path,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<LogEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(error::at(what, path))?;
    let rows = stmt.query(params).map_err(error::at(what, path))?;
    let mut out = Vec::new();
    push_entries(rows, &mut out, what, path)?;
    Ok(out)
}

/// Append the rows of a query over [`ENTRY_COLUMNS`] to `out`, owned.
fn push_entries(
    mut rows: rusqlite::Rows<'_>,
    out: &mut Vec<LogEntry>,
    what: &str,
    path: &Path,
) -> Result<(), StoreError> {
    while let Some(row) = rows.next().map_err(error::at(what, path))? {
        out.push(
            entry_ref(row)
                .map_err(|e| e.into_store(what, path))?
                .to_owned(),
        );
    }
    Ok(())
}

/// Every entry of each of `ids` (in the order given) with position at most `up_to`, each
/// engagement in position order. One cached statement over the `events_engagement` index, run
/// once per id. Every position up to `up_to` is committed (positions are assigned in commit
/// order), so the statements agree without sharing a snapshot.
pub(crate) fn engagements_entries(
    conn: &Connection,
    path: &Path,
    ids: &[EngagementId],
    up_to: Position,
) -> Result<Vec<LogEntry>, StoreError> {
    let what = "reading the events of engagements";
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM events WHERE engagement_id = ?1 AND position <= ?2 \
             ORDER BY position"
        ))
        .map_err(error::at(what, path))?;
    let mut out = Vec::new();
    for id in ids {
        let rows = stmt
            .query((id.as_str(), up_to.0))
            .map_err(error::at(what, path))?;
        push_entries(rows, &mut out, what, path)?;
    }
    Ok(out)
}

/// The columns every delivery read selects, in the order [`delivery_rows`] expects.
pub(crate) const DELIVERY_COLUMNS: &str = "id, received_at, outcome, status, position, body_sha256, \
     event_type, reason, headers, provenance";

pub(crate) fn deliveries(
    conn: &Connection,
    path: &Path,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    delivery_rows(
        conn,
        path,
        "reading the delivery log",
        &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries ORDER BY id DESC LIMIT ?1"),
        [i64::try_from(limit).unwrap_or(i64::MAX)],
    )
}

/// Every row of a query over [`DELIVERY_COLUMNS`].
pub(crate) fn delivery_rows(
    conn: &Connection,
    path: &Path,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Delivery>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(error::at(what, path))?;
    let mut rows = stmt.query(params).map_err(error::at(what, path))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error::at(what, path))? {
        out.push(delivery(row, what, path)?);
    }
    Ok(out)
}

/// One row selected with [`DELIVERY_COLUMNS`].
fn delivery(row: &Row<'_>, what: &str, path: &Path) -> Result<Delivery, StoreError> {
    let id: i64 = row.get(0).map_err(error::at(what, path))?;
    let bad = |reason: String| {
        StoreError::Other(format!(
            "{what} ({}): delivery {id}: {reason}",
            path.display()
        ))
    };
    let get = |e: rusqlite::Error| error::map(&e, &format!("{what}, delivery {id}"), path);
    let outcome: String = row.get(2).map_err(get)?;
    let sha: Option<Vec<u8>> = row.get(5).map_err(get)?;
    let headers: String = row.get(8).map_err(get)?;
    let provenance: Option<String> = row.get(9).map_err(get)?;
    Ok(Delivery {
        meta: DeliveryMeta {
            received_at_ms: row.get(1).map_err(get)?,
            headers: serde_json::from_str(&headers)
                .map_err(|e| bad(format!("headers are not a JSON list of pairs: {e}")))?,
            provenance: provenance
                .map(|p| serde_json::from_str(&p))
                .transpose()
                .map_err(|e| bad(format!("provenance is not a JSON object: {e}")))?,
        },
        outcome: DeliveryOutcome::parse(&outcome)
            .ok_or_else(|| bad(format!("unknown outcome {outcome:?}")))?,
        status: row.get(3).map_err(get)?,
        position: row.get::<_, Option<i64>>(4).map_err(get)?.map(Position),
        body_sha256: sha
            .map(|s| {
                Digest::from_slice(&s)
                    .ok_or_else(|| bad(format!("body_sha256 has {} bytes", s.len())))
            })
            .transpose()?,
        event_type: row.get(6).map_err(get)?,
        reason: row.get(7).map_err(get)?,
    })
}

pub(crate) fn quarantined(
    conn: &Connection,
    path: &Path,
    limit: usize,
) -> Result<Vec<QuarantineEntry>, StoreError> {
    let what = "reading the quarantine";
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, received_at, source, origin, reason, body, body_sha256 FROM quarantine \
             ORDER BY id DESC LIMIT ?1",
        )
        .map_err(error::at(what, path))?;
    let mut rows = stmt
        .query([i64::try_from(limit).unwrap_or(i64::MAX)])
        .map_err(error::at(what, path))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error::at(what, path))? {
        let id: i64 = row.get(0).map_err(error::at(what, path))?;
        let bad = |reason: String| {
            StoreError::Other(format!("{what} ({}): entry {id}: {reason}", path.display()))
        };
        let get = |e: rusqlite::Error| error::map(&e, &format!("{what}, entry {id}"), path);
        let source: String = row.get(2).map_err(get)?;
        let sha: Vec<u8> = row.get(6).map_err(get)?;
        out.push(QuarantineEntry {
            received_at_ms: row.get(1).map_err(get)?,
            source: Source::parse(&source)
                .ok_or_else(|| bad(format!("unknown source {source:?}")))?,
            origin: row.get(3).map_err(get)?,
            reason: row.get(4).map_err(get)?,
            body: row.get(5).map_err(get)?,
            body_sha256: Digest::from_slice(&sha)
                .ok_or_else(|| bad(format!("body_sha256 has {} bytes", sha.len())))?,
        });
    }
    Ok(out)
}

/// The head as stored: the last row's position and hash.
pub(crate) fn last_entry(conn: &Connection, path: &Path) -> Result<Head, StoreError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(error::at("reading the log head", path))?;
    match row {
        None => Ok(Head::EMPTY),
        Some((size, hash)) => Ok(Head {
            size,
            hash: Digest::from_slice(&hash).ok_or_else(|| StoreError::Corrupt {
                position: size,
                reason: format!("stored chain hash has {} bytes, not 32", hash.len()),
            })?,
        }),
    }
}
