//! `zcc-ledger reconcile --since T --until T [--timelines] [--format text|jsonl] [--output
//! PATH|-]`: compare
//! the active generation with Zoom's own record of each call (`zcc_app::reconcile`). One row
//! per disagreement; the text format ends with the agreement rate per field. Exit 0 when
//! everything agrees, 1 when something disagrees, 2 on errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use zcc_app::reconcile::{ReconcileReport, ReconcileRequest, reconcile};
use zcc_store::projection::Backend;
use zcc_zoom::Window;

use super::backfill::{ZoomArgs, time_arg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReconcileFormat {
    Text,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub zoom: ZoomArgs,
    /// Calls that started at or after this time (RFC 3339).
    #[arg(long, env = "ZCC_RECONCILE_SINCE")]
    pub since: String,
    /// Calls that started before this time (RFC 3339).
    #[arg(long, env = "ZCC_RECONCILE_UNTIL")]
    pub until: String,
    /// Also compare hold and conference bounds with Zoom's engagement timelines.
    #[arg(long, env = "ZCC_RECONCILE_TIMELINES")]
    pub timelines: bool,
    #[arg(long, env = "ZCC_RECONCILE_FORMAT", value_enum, default_value = "text")]
    pub format: ReconcileFormat,
    /// Output file (- or nothing for stdout).
    #[arg(long, env = "ZCC_RECONCILE_OUTPUT")]
    pub output: Option<PathBuf>,
}

pub async fn run(
    store: std::sync::Arc<dyn Backend>,
    args: ReconcileArgs,
) -> anyhow::Result<ExitCode> {
    let since = time_arg("--since", &args.since)?;
    let until = time_arg("--until", &args.until)?;
    let Some(window) = Window::new(since, until) else {
        bail!(
            "--since {} is not before --until {}",
            args.since,
            args.until
        );
    };
    let zoom = args.zoom.client()?;
    let request = ReconcileRequest {
        window,
        timelines: args.timelines,
    };
    let report = reconcile(store.as_ref(), &zoom, &request)
        .await
        .context("reconcile")?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) if path.as_os_str() != "-" => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        _ => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        ReconcileFormat::Jsonl => {
            for d in &report.disagreements {
                writeln!(out, "{}", serde_json::to_string(d)?)?;
            }
        }
        ReconcileFormat::Text => text(&mut out, &report)?,
    }
    out.flush().context("writing the reconciliation")?;
    Ok(if report.agrees() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn text(out: &mut dyn Write, report: &ReconcileReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "generation {} ({}): {} calls in Zoom, {} in the ledger, {} disagreements",
        report.generation,
        report.rule,
        report.zoom_engagements,
        report.ledger_engagements,
        report.disagreements.len()
    )?;
    for d in &report.disagreements {
        writeln!(
            out,
            "{}  {}  zoom={}  ledger={}",
            d.engagement_id,
            d.field.as_str(),
            d.zoom,
            d.ledger
        )?;
    }
    writeln!(out, "agreement per field:")?;
    for t in &report.tallies {
        writeln!(
            out,
            "  {:<26} {:>6.2}%  ({} of {})",
            t.field.as_str(),
            100.0 * t.rate(),
            t.agreed,
            t.compared
        )?;
    }
    Ok(())
}
