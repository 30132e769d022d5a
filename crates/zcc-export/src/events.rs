//! The `events` table: the raw log, one row per entry, the body as its exact text.

use std::io::Write;

use zcc_model::{Cell, Column, ColumnType};
use zcc_store::{EventLog, LogEntry};

use crate::export::{Exporter, drive_events};
use crate::sink::open_text_sink;
use crate::{ExportError, Format, Manifest, TableName};

pub use crate::window::Window;

const fn c(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty }
}

/// The columns of the `events` table, in order (SPEC 8).
pub const COLUMNS: &[Column] = &[
    c("position", ColumnType::Int),
    c("received_at", ColumnType::TimeMs),
    c("event", ColumnType::Str),
    c("event_time", ColumnType::TimeMs),
    c("account_id", ColumnType::Str),
    c("engagement_id", ColumnType::Str),
    c("body_sha256", ColumnType::Str),
    c("hash", ColumnType::Str),
    c("body", ColumnType::Str),
];

/// One log entry as a row of [`COLUMNS`].
pub fn row(e: &LogEntry) -> Vec<Cell> {
    vec![
        Cell::Int(Some(e.position.0)),
        Cell::TimeMs(Some(e.received_at_ms)),
        Cell::Str(Some(e.event_type.clone())),
        Cell::TimeMs(Some(e.event_time_ms)),
        Cell::Str(e.account_id.clone()),
        Cell::Str(e.engagement_id.as_ref().map(|id| id.as_str().to_owned())),
        Cell::Str(Some(e.body_sha256.to_hex())),
        Cell::Str(Some(e.hash.to_hex())),
        Cell::Str(Some(e.body.clone())),
    ]
}

/// Text formats for the raw log through [`export_events`] (kept for callers holding a writer
/// that is not `Send`, such as a locked stdout). [`crate::export_table`] does every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsFormat {
    Jsonl,
    Csv,
}

/// Stream the log into `out` as JSON Lines or CSV. Memory stays flat: the log is read a page
/// at a time, up to the head read at the start.
pub async fn export_events<W: Write>(
    log: &dyn EventLog,
    format: EventsFormat,
    window: Window,
    out: W,
    progress: impl FnMut(u64),
) -> Result<Manifest, ExportError> {
    let format = match format {
        EventsFormat::Jsonl => Format::Jsonl,
        EventsFormat::Csv => Format::Csv,
    };
    let sink = open_text_sink(format, COLUMNS, out)?;
    let mut exporter = Exporter::new(TableName::Events, format, window, sink);
    drive_events(log, &mut exporter, progress).await?;
    exporter.finish()
}
