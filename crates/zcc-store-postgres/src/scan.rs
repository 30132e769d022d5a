//! The fast whole-log scan of rebuilds ([`LogScan`]): only the four columns a rebuild needs,
//! streamed row by row (no page of owned entries), segment after segment.

use std::ops::ControlFlow;

use futures::TryStreamExt;
use sqlx::Row;
use sqlx::postgres::PgRow;
use zcc_store::{LogScan, Position, ScanEntry, StoreError};

use crate::PostgresLog;
use crate::append::stored_digest;
use crate::error::map_sqlx;

/// Positions per statement of [`PostgresLog::scan_segmented`]: long enough that starting a
/// statement costs nothing next to streaming it (~100 MB of bodies), short enough that no
/// statement holds its snapshot for long (a snapshot held for a whole 1M-event scan would keep
/// vacuum from cleaning up after everything written meanwhile, the rebuild's own upserts
/// included).
pub const SCAN_SEGMENT_ROWS: usize = 65_536;

/// The rows of one segment: through the primary key, in position order.
const SCAN_SEGMENT: &str = "SELECT position, engagement_id, body, body_sha256 FROM events \
     WHERE position > $1 ORDER BY position LIMIT $2";

impl PostgresLog {
    /// Stream every entry after `after`, in position order, until `f` returns
    /// [`ControlFlow::Break`]. Blocking: call it on a `spawn_blocking` thread of a tokio
    /// runtime (whose handle drives the connection), never on one of the runtime's workers;
    /// without a runtime it fails.
    ///
    /// The log is read in segments of [`SCAN_SEGMENT_ROWS`] positions, one statement each on
    /// one connection (outside any transaction, so each has a snapshot of its own). Positions
    /// are gapless and commit-ordered (see `append`), so consecutive segments give the same
    /// entries, in the same order, as one snapshot would, followed by whatever was appended
    /// while the scan ran. Rows are lent to `f` straight from the driver's buffer: nothing is
    /// copied, memory stays flat in the size of the log.
    pub fn scan_blocking(
        &self,
        after: Position,
        f: impl FnMut(ScanEntry<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.scan_segmented(after, SCAN_SEGMENT_ROWS, f)
    }

    /// [`PostgresLog::scan_blocking`] with `segment_rows` positions per statement.
    pub fn scan_segmented(
        &self,
        after: Position,
        segment_rows: usize,
        mut f: impl FnMut(ScanEntry<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| {
            StoreError::Other(format!(
                "scanning the log after position {after}: the PostgreSQL scan must run \
                 inside a tokio runtime (on a spawn_blocking thread)"
            ))
        })?;
        let segment_rows = segment_rows.max(1);
        let limit = i64::try_from(segment_rows).unwrap_or(i64::MAX);
        let mut conn = handle.block_on(self.pool().acquire()).map_err(|e| {
            map_sqlx(
                &format!("scanning the log after position {after}: connecting"),
                e,
            )
        })?;
        // The driver runs (`block_on`) for a run of rows at a time, and `f` is called outside
        // it: `f` may block (the rebuild's hand-off does, `blocking_send`), which it must not
        // do inside the runtime. The rows are lent to `f` where the driver decoded them;
        // nothing is copied here.
        let mut rows_read: Vec<PgRow> = Vec::with_capacity(ROWS_PER_WAKE);
        let mut from = after;
        loop {
            let segment_start = from;
            let err = |at: Position, e| {
                map_sqlx(
                    &format!(
                        "scanning the log (segment after position {segment_start}, \
                         last row read at position {at})"
                    ),
                    e,
                )
            };
            let mut rows = sqlx::query(SCAN_SEGMENT)
                .bind(from.0)
                .bind(limit)
                .fetch(&mut *conn);
            let mut n = 0usize;
            loop {
                let end = handle
                    .block_on(async {
                        while rows_read.len() < ROWS_PER_WAKE {
                            match rows.try_next().await? {
                                Some(row) => rows_read.push(row),
                                None => return Ok(true),
                            }
                        }
                        Ok(false)
                    })
                    .map_err(|e| err(from, e))?;
                for row in rows_read.drain(..) {
                    let entry = scan_entry(&row).map_err(|e| match e {
                        Decode::Sql(e) => err(from, e),
                        Decode::Corrupt(e) => e,
                    })?;
                    n += 1;
                    from = entry.position;
                    if f(entry).is_break() {
                        // Dropping the stream leaves the rest of the segment unread; the
                        // driver skips it before the connection's next use.
                        return Ok(());
                    }
                }
                if end {
                    break;
                }
            }
            if n < segment_rows {
                return Ok(());
            }
        }
    }
}

/// Rows fetched per entry into the runtime: enough that entering it costs nothing per row.
const ROWS_PER_WAKE: usize = 256;

enum Decode {
    Sql(sqlx::Error),
    Corrupt(StoreError),
}

/// A row of [`SCAN_SEGMENT`] as the entry it lends.
fn scan_entry(row: &PgRow) -> Result<ScanEntry<'_>, Decode> {
    let position: i64 = row.try_get(0).map_err(Decode::Sql)?;
    let corrupt = |column: &str, e: sqlx::Error| {
        Decode::Corrupt(StoreError::Corrupt {
            position,
            reason: format!("column {column}: {e}"),
        })
    };
    let engagement_id = row.try_get(1).map_err(|e| corrupt("engagement_id", e))?;
    let body = row.try_get(2).map_err(|e| corrupt("body", e))?;
    let sha: &[u8] = row.try_get(3).map_err(|e| corrupt("body_sha256", e))?;
    Ok(ScanEntry {
        position: Position(position),
        engagement_id,
        body,
        body_sha256: stored_digest(position, "body_sha256", sha).map_err(Decode::Corrupt)?,
    })
}

impl LogScan for PostgresLog {
    fn scan(
        &self,
        after: Position,
        f: &mut dyn FnMut(ScanEntry<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.scan_blocking(after, f)
    }
}
