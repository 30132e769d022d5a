//! `zcc-ledger export TABLE [--format ..] [--output PATH|-] [--since ..] [--until ..]`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use zcc_export::events::{EventsFormat, Window, export_events};
use zcc_export::time::parse_rfc3339;
use zcc_store::EventLog;

use crate::cli::{ExportArgs, Format};
use crate::progress;

pub async fn run(log: Arc<dyn EventLog>, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let window = Window {
        since_ms: args
            .since
            .as_deref()
            .map(|s| parse_rfc3339("--since", s))
            .transpose()
            .map_err(|e| anyhow!(e))?,
        until_ms: args
            .until
            .as_deref()
            .map(|s| parse_rfc3339("--until", s))
            .transpose()
            .map_err(|e| anyhow!(e))?,
    };
    let format = match (args.table.as_str(), args.format) {
        ("events", Format::Jsonl) => EventsFormat::Jsonl,
        ("events", Format::Csv) => EventsFormat::Csv,
        ("events", Format::Parquet) => bail!("export events --format parquet is not available yet"),
        (other, _) => bail!("unknown or not yet exportable table {other:?}; available: events"),
    };
    let to_file = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let size = log.head().await?.size;
    let bar = progress::items(Some(size as u64), "exporting");
    let mut manifest = match to_file {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            export_events(log.as_ref(), format, window, file, |n| bar.set_position(n)).await?
        }
        None => {
            let stdout = std::io::stdout().lock();
            export_events(log.as_ref(), format, window, stdout, |n| {
                bar.set_position(n)
            })
            .await?
        }
    };
    bar.finish_and_clear();
    manifest.since = args.since;
    manifest.until = args.until;
    if let Some(path) = to_file {
        write_manifest(path, &manifest)?;
        eprintln!("wrote {} rows to {}", manifest.rows, path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn write_manifest(path: &Path, manifest: &zcc_export::Manifest) -> anyhow::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".manifest.json");
    let mut f = File::create(&name)
        .with_context(|| format!("cannot create {}", Path::new(&name).display()))?;
    serde_json::to_writer_pretty(&mut f, manifest)?;
    f.write_all(b"\n")?;
    Ok(())
}
