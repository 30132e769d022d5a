//! `zcc-ledger export TABLE [--format ..] [--output PATH|-] [--since ..] [--until ..]
//! [--rule NAME | --generation ID]`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use zcc_export::{ExportRequest, Format, TableName, Window, export_table, export_to_file};
use zcc_store::projection::Backend;

use crate::cli::{self, ExportArgs};
use crate::commands::select;
use crate::progress;

pub async fn run(store: Arc<dyn Backend>, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let table: TableName = args.table.parse().map_err(|e| anyhow!("{e}"))?;
    let format = match args.format {
        cli::Format::Jsonl => Format::Jsonl,
        cli::Format::Csv => Format::Csv,
        cli::Format::Parquet => Format::Parquet,
    };
    let window = Window::parse(args.since.as_deref(), args.until.as_deref())?;
    let generation = match table {
        TableName::Events => None,
        TableName::Model(_) => {
            let g =
                select::generation(store.as_ref(), args.generation, args.rule.as_deref()).await?;
            // Fold what has arrived since the generation last caught up, so the export is current.
            zcc_projector::catch_up(store.as_ref(), g.id, &()).await?;
            Some(g.id)
        }
    };
    let request = ExportRequest {
        table,
        format,
        generation,
        window,
    };
    let size = store.head().await?.size;
    let bar = progress::items(Some(size as u64), "exporting");
    let tick = |n: u64| bar.set_position(n);
    let manifest = match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let m =
                export_to_file(store.as_ref(), Some(store.as_ref()), &request, path, tick).await?;
            bar.finish_and_clear();
            eprintln!("wrote {} rows to {}", m.rows, path.display());
            m
        }
        None => {
            let m = export_table(
                store.as_ref(),
                Some(store.as_ref()),
                &request,
                std::io::stdout(),
                tick,
            )
            .await?;
            bar.finish_and_clear();
            m
        }
    };
    let _ = manifest;
    Ok(ExitCode::SUCCESS)
}
