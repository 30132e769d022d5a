//! `zcc-ledger export TABLE [--format ..] [--output PATH|-] [--since ..] [--until ..]
//! [--rule NAME | --generation ID]`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use zcc_app::export::{ExportPlan, Freshness};
use zcc_export::{Format, TableName, Window};
use zcc_store::projection::Backend;

use crate::cli::{self, ExportArgs};
use crate::commands::select;
use crate::progress;

pub async fn run(store: Arc<dyn Backend>, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let table: TableName = args.table.parse().map_err(|e| anyhow!("{e}"))?;
    let format = match args.format {
        cli::ExportFormat::Jsonl => Format::Jsonl,
        cli::ExportFormat::Csv => Format::Csv,
        cli::ExportFormat::CsvRaw => Format::CsvRaw,
        cli::ExportFormat::Parquet => Format::Parquet,
    };
    let plan = ExportPlan {
        table,
        format,
        window: Window::parse(args.since.as_deref(), args.until.as_deref())?,
        selector: select::selector(args.generation, args.rule.as_deref())?,
    };
    let request = zcc_app::export::prepare(store.as_ref(), &plan, Freshness::FoldHere).await?;
    let size = store.head().await?.size;
    let bar = progress::items(Some(size as u64), "exporting");
    let tick = |n: u64| bar.set_position(n);
    match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let m = zcc_app::export::write_file(store.as_ref(), &request, path, tick).await?;
            bar.finish_and_clear();
            eprintln!("wrote {} rows to {}", m.rows, path.display());
        }
        None => {
            zcc_app::export::write(store.as_ref(), &request, std::io::stdout(), tick).await?;
            bar.finish_and_clear();
        }
    }
    Ok(ExitCode::SUCCESS)
}
