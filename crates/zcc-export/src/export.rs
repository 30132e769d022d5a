//! The export driver: pages through the log or a generation's projections and hands each row
//! that falls in the window to a [`RowSink`].
//!
//! [`Exporter`] is the synchronous core (decode, select, filter, count, write); the async
//! functions only page through storage and feed it. Memory is bounded by one page of the store
//! plus the sink's buffer, whatever the size of the log.

use std::io::Write;
use std::path::{Path, PathBuf};

use zcc_model::{CallProjection, Cell, Column, ColumnType, Table};
use zcc_store::projection::{GenerationId, GenerationState, ProjectionDoc, ProjectionStore};
use zcc_store::{EngagementId, EventLog, Head, LogEntry, Position};

use crate::sink::{RowSink, open_sink};
use crate::time::rfc3339_ms;
use crate::{ExportError, Format, Manifest, TableName, Window};

/// Log entries read per page for the `events` table.
pub const EVENTS_PAGE: usize = 2_000;
/// Projection documents read per page for the model tables.
pub const PROJECTIONS_PAGE: usize = 1_000;

/// What to export. The caller resolves `--rule` to a generation; `generation: None` means the
/// active one. The `events` table ignores `generation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRequest {
    pub table: TableName,
    pub format: Format,
    pub generation: Option<GenerationId>,
    pub window: Window,
}

/// Selects, filters and writes rows; counts them into the manifest.
pub struct Exporter<S: RowSink> {
    table: TableName,
    columns: &'static [Column],
    /// The column `--since`/`--until` filter on.
    time_index: usize,
    window: Window,
    sink: S,
    manifest: Manifest,
}

impl<'w> Exporter<Box<dyn RowSink + Send + 'w>> {
    /// An exporter of `table` in `format` to `out`.
    pub fn open<W: Write + Send + 'w>(
        table: TableName,
        format: Format,
        window: Window,
        out: W,
    ) -> Result<Self, ExportError> {
        let sink = open_sink(format, table.columns(), out)?;
        Ok(Exporter::new(table, format, window, sink))
    }
}

impl<S: RowSink> Exporter<S> {
    pub fn new(table: TableName, format: Format, window: Window, sink: S) -> Exporter<S> {
        let columns = table.columns();
        let time_column = table.time_column();
        let time_index = columns
            .iter()
            .position(|c| c.name == time_column)
            .expect("every table has its time column");
        let mut manifest = Manifest::new(table.name(), format.name(), columns);
        manifest.since = window.since_ms.map(rfc3339_ms);
        manifest.until = window.until_ms.map(rfc3339_ms);
        Exporter {
            table,
            columns,
            time_index,
            window,
            sink,
            manifest,
        }
    }

    /// The manifest so far; the driver fills in what the rows were made from.
    pub fn manifest_mut(&mut self) -> &mut Manifest {
        &mut self.manifest
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.manifest.rows
    }

    /// Log entries or projections read so far.
    pub fn scanned(&self) -> u64 {
        self.manifest.scanned
    }

    /// One log entry of the `events` table (kept when its event time is in the window).
    pub fn write_entry(&mut self, e: &LogEntry) -> Result<(), ExportError> {
        if self.table != TableName::Events {
            return Err(self.wrong_input("log entries"));
        }
        self.manifest.scanned += 1;
        if self.window.contains(e.event_time_ms) {
            self.write(&crate::events::row(e))?;
        }
        Ok(())
    }

    /// The rows of this table in one engagement's projection that start in the window.
    pub fn write_projection(&mut self, p: &CallProjection) -> Result<(), ExportError> {
        let TableName::Model(table) = self.table else {
            return Err(self.wrong_input("projections"));
        };
        self.manifest.scanned += 1;
        for row in p.table_rows(table) {
            let t = match row.get(self.time_index) {
                Some(Cell::TimeMs(t)) => *t,
                _ => None,
            };
            if self.window.keeps(t) {
                self.write(&row)?;
            }
        }
        Ok(())
    }

    /// Decode a stored projection document and write its rows.
    pub fn write_doc(
        &mut self,
        generation: GenerationId,
        doc: &ProjectionDoc,
    ) -> Result<(), ExportError> {
        let p = decode(generation, doc)?;
        self.write_projection(&p)
    }

    fn write(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        check_row(self.table, self.columns, row)?;
        self.sink.write_row(row)?;
        self.manifest.rows += 1;
        Ok(())
    }

    fn wrong_input(&self, what: &str) -> ExportError {
        ExportError::Invalid(format!("the {} export was given {what}", self.table.name()))
    }

    /// End the file (Parquet embeds the manifest) and return the manifest.
    pub fn finish(mut self) -> Result<Manifest, ExportError> {
        self.sink.finish(&self.manifest)?;
        Ok(self.manifest)
    }
}

/// A stored projection document as the model's [`CallProjection`].
pub fn decode(
    generation: GenerationId,
    doc: &ProjectionDoc,
) -> Result<CallProjection, ExportError> {
    serde_json::from_str::<CallProjection>(&doc.doc).map_err(|e| ExportError::Decode {
        generation,
        engagement_id: doc.engagement_id.clone(),
        reason: e.to_string(),
    })
}

fn check_row(table: TableName, columns: &[Column], row: &[Cell]) -> Result<(), ExportError> {
    if row.len() != columns.len() {
        return Err(ExportError::Shape {
            table: table.name(),
            column: "(row)",
            expected: format!("{} cells", columns.len()),
            got: format!("{} cells", row.len()),
        });
    }
    for (col, cell) in columns.iter().zip(row) {
        let ok = matches!(
            (col.ty, cell),
            (ColumnType::Str, Cell::Str(_))
                | (ColumnType::Int, Cell::Int(_))
                | (ColumnType::TimeMs, Cell::TimeMs(_))
                | (ColumnType::Bool, Cell::Bool(_))
                | (ColumnType::List, Cell::List(_))
                | (ColumnType::IntList, Cell::IntList(_))
        );
        if !ok {
            return Err(ExportError::Shape {
                table: table.name(),
                column: col.name,
                expected: crate::manifest::type_name(col.ty).to_owned(),
                got: format!("{cell:?}"),
            });
        }
    }
    Ok(())
}

/// Page the log into `exporter` up to the head read now; fills the manifest's log fields.
pub(crate) async fn drive_events<S: RowSink>(
    log: &dyn EventLog,
    exporter: &mut Exporter<S>,
    mut progress: impl FnMut(u64),
) -> Result<(), ExportError> {
    let head = log.head().await?;
    {
        let m = exporter.manifest_mut();
        m.head = head.to_string();
        m.log_head = head.to_string();
        m.log_range = (head.size > 0).then_some([1, head.size]);
    }
    let mut after = Position::START;
    while after.0 < head.size {
        let page = log.read_after(after, EVENTS_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in page.iter().filter(|e| e.position.0 <= head.size) {
            exporter.write_entry(e)?;
        }
        progress(exporter.scanned());
    }
    Ok(())
}

/// The generation `requested`, or the active one.
pub async fn resolve_generation(
    projections: &dyn ProjectionStore,
    requested: Option<GenerationId>,
) -> Result<zcc_store::projection::Generation, ExportError> {
    match requested {
        Some(id) => projections
            .generation(id)
            .await?
            .ok_or(ExportError::UnknownGeneration(id)),
        None => projections
            .generations()
            .await?
            .into_iter()
            .find(|g| g.state == GenerationState::Active)
            .ok_or(ExportError::NoActiveGeneration),
    }
}

/// The checkpoint `SIZE:HASH` of the log's first `size` entries.
async fn head_at(log: &dyn EventLog, size: i64) -> Result<Head, ExportError> {
    if size <= 0 {
        return Ok(Head::EMPTY);
    }
    let entry = log.entry(Position(size)).await?.ok_or_else(|| {
        ExportError::Invalid(format!(
            "the generation's checkpoint is position {size}, which the log does not hold"
        ))
    })?;
    Ok(Head {
        size,
        hash: entry.hash,
    })
}

async fn drive_projections<S: RowSink>(
    log: &dyn EventLog,
    projections: &dyn ProjectionStore,
    requested: Option<GenerationId>,
    exporter: &mut Exporter<S>,
    mut progress: impl FnMut(u64),
) -> Result<(), ExportError> {
    let log_head = log.head().await?;
    let start = resolve_generation(projections, requested).await?;
    let id = start.id;
    let mut after: Option<EngagementId> = None;
    loop {
        let page = projections
            .scan_projections(id, after.as_ref(), PROJECTIONS_PAGE)
            .await?;
        for doc in &page {
            exporter.write_doc(id, doc)?;
        }
        progress(exporter.scanned());
        match page.last() {
            Some(last) if page.len() == PROJECTIONS_PAGE => {
                after = Some(last.engagement_id.clone());
            }
            _ => break,
        }
    }
    // What the rows were made from: the generation's checkpoint now, and whether it moved.
    let end = projections
        .generation(id)
        .await?
        .ok_or(ExportError::UnknownGeneration(id))?;
    let head = head_at(log, end.checkpoint.0).await?;
    let range = |cp: Position| (cp.0 > 0).then_some([1, cp.0]);
    let m = exporter.manifest_mut();
    m.rule = Some(end.rule_identity.clone());
    m.generation = Some(id.0);
    m.generation_state = Some(end.state.as_str().to_owned());
    m.log_range = range(end.checkpoint);
    m.head = head.to_string();
    m.log_head = log_head.to_string();
    m.consistent = start.checkpoint == end.checkpoint;
    m.log_range_at_start = (!m.consistent).then(|| range(start.checkpoint)).flatten();
    Ok(())
}

/// Export the raw log (`events`) to `out`, streaming, up to the head read at the start.
/// `progress` is called after each page with the number of log entries read so far.
pub async fn export_log<W: Write + Send>(
    log: &dyn EventLog,
    format: Format,
    window: Window,
    out: W,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportError> {
    let mut exporter = Exporter::open(TableName::Events, format, window, out)?;
    drive_events(log, &mut exporter, progress).await?;
    exporter.finish()
}

/// Export one model table of a generation (`None`: the active one) to `out`, streaming.
/// `progress` is called after each page with the number of engagement projections read so far.
/// Rows come in engagement-id order, each engagement's rows in the model's order.
#[allow(clippy::too_many_arguments)]
pub async fn export_projections<W: Write + Send>(
    log: &dyn EventLog,
    projections: &dyn ProjectionStore,
    table: Table,
    generation: Option<GenerationId>,
    format: Format,
    window: Window,
    out: W,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportError> {
    let mut exporter = Exporter::open(TableName::Model(table), format, window, out)?;
    drive_projections(log, projections, generation, &mut exporter, progress).await?;
    exporter.finish()
}

/// Export one table of SPEC 8 to `out`: [`export_log`] or [`export_projections`] by table.
/// `projections` may be `None` only for `events`.
///
/// Writing is blocking IO: an async server should run this where blocking is allowed (for
/// example `spawn_blocking` + `Handle::block_on`, or a dedicated thread writing into a pipe).
pub async fn export_table<W: Write + Send>(
    log: &dyn EventLog,
    projections: Option<&dyn ProjectionStore>,
    request: &ExportRequest,
    out: W,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportError> {
    let ExportRequest {
        table,
        format,
        generation,
        window,
    } = *request;
    match table {
        TableName::Events => export_log(log, format, window, out, progress).await,
        TableName::Model(t) => {
            let projections = projections.ok_or_else(|| {
                ExportError::Invalid(format!(
                    "table {} is read from the projections, and none were given",
                    t.name()
                ))
            })?;
            export_projections(
                log,
                projections,
                t,
                generation,
                format,
                window,
                out,
                progress,
            )
            .await
        }
    }
}

/// Export to `path` (written as `PATH.partial`, synced, then renamed, so a failed export leaves
/// no file that looks complete) and write the manifest beside it as `PATH.manifest.json`.
pub async fn export_to_file(
    log: &dyn EventLog,
    projections: Option<&dyn ProjectionStore>,
    request: &ExportRequest,
    path: &Path,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file_err = |p: &Path| {
        let p = p.to_owned();
        move |source| ExportError::File { path: p, source }
    };
    let file = std::fs::File::create(&partial).map_err(file_err(&partial))?;
    let result = export_table(log, projections, request, &file, progress).await;
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    file.sync_all().map_err(file_err(&partial))?;
    drop(file);
    std::fs::rename(&partial, path).map_err(file_err(path))?;
    manifest.write_beside(path)?;
    Ok(manifest)
}

impl TableName {
    /// The column `--since`/`--until` filter on.
    pub fn time_column(self) -> &'static str {
        match self {
            TableName::Events => "event_time",
            TableName::Model(t) => t.time_column(),
        }
    }
}
