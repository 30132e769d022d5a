//! Exports (SPEC 8), with one freshness policy for every shell.
//!
//! A model table is read from the chosen generation after it has caught up with the log's head
//! as read when the export starts: an export never misses an event that was appended before it
//! was asked for. Who folds depends on the process: the command line folds here
//! ([`Freshness::FoldHere`]); the server asks its live projector, which is the one writer of
//! projections there ([`Freshness::Live`]). The manifest then says which log range the rows
//! rest on, and whether the generation moved while they were read. A retired generation is not
//! kept current and is exported as it was retired.

use std::io::Write;
use std::path::Path;

use zcc_export::{ExportError, ExportRequest, Format, Manifest, TableName, Window};
use zcc_projector::{LiveHandle, ProjectorError};
use zcc_store::projection::{Backend, GenerationState};

use crate::select::{SelectError, Selector, choose};

/// How the chosen generation is brought up to the log's head before it is read.
#[derive(Clone, Copy)]
pub enum Freshness<'a> {
    /// Fold the log's new entries in this process (the command line).
    FoldHere,
    /// Wait for the running live projector to fold them (the server).
    Live(&'a LiveHandle),
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub table: TableName,
    pub format: Format,
    pub window: Window,
    /// Which generation a model table reads (ignored for `events`).
    pub selector: Selector,
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error("bringing the generation up to the log's head: {0}")]
    CatchUp(#[from] ProjectorError),
    #[error("the live projector could not catch up: {0}")]
    Live(String),
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// Choose the generation and bring it up to date; the request the exporters take. Done before
/// the first byte, so a bad choice is an error the caller can still answer cleanly.
pub async fn prepare(
    store: &dyn Backend,
    plan: &ExportPlan,
    freshness: Freshness<'_>,
) -> Result<ExportRequest, ExportFailed> {
    let generation = match plan.table {
        TableName::Events => None,
        TableName::Model(_) => {
            let g = choose(store, &plan.selector).await?;
            if g.state != GenerationState::Retired {
                match freshness {
                    Freshness::FoldHere => {
                        zcc_projector::catch_up(store, g.id, &()).await?;
                    }
                    Freshness::Live(live) => {
                        live.sync().await.map_err(ExportFailed::Live)?;
                    }
                }
            }
            Some(g.id)
        }
    };
    Ok(ExportRequest {
        table: plan.table,
        format: plan.format,
        generation,
        window: plan.window,
    })
}

/// Write the export to `out`, streaming. `progress` gets the count of rows' sources read.
pub async fn write<W: Write + Send>(
    store: &dyn Backend,
    request: &ExportRequest,
    out: W,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportFailed> {
    Ok(zcc_export::export_table(store, Some(store), request, out, progress).await?)
}

/// Write the export to `path` (and its manifest beside it), never leaving a partial file that
/// looks complete.
pub async fn write_file(
    store: &dyn Backend,
    request: &ExportRequest,
    path: &Path,
    progress: impl FnMut(u64) + Send,
) -> Result<Manifest, ExportFailed> {
    Ok(zcc_export::export_to_file(store, Some(store), request, path, progress).await?)
}
