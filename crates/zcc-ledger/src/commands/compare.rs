//! `diff BASE CANDIDATE` and `evaluate RULE`.

use std::process::ExitCode;
use std::sync::Arc;

use zcc_app::select::{Selector, choose};
use zcc_store::projection::Backend;

use crate::cli::{DiffArgs, EvaluateArgs, ReportFormat};
use crate::commands::select::parse_id;

pub async fn diff(store: Arc<dyn Backend>, args: DiffArgs) -> anyhow::Result<ExitCode> {
    // Both sides are chosen as every read chooses: never a generation still building.
    let base = choose(store.as_ref(), &Selector::Id(parse_id(&args.base)?)).await?;
    let candidate = choose(store.as_ref(), &Selector::Id(parse_id(&args.candidate)?)).await?;
    let report = zcc_projector::diff(store.as_ref(), base.id, candidate.id).await?;
    match args.format {
        ReportFormat::Text => println!("{report}"),
        ReportFormat::Jsonl => {
            for e in &report.engagement_diffs {
                println!("{}", serde_json::to_string(e)?);
            }
        }
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn evaluate(store: Arc<dyn Backend>, args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let since_ms = zcc_export::Window::parse(args.since.as_deref(), None)?.since_ms;
    let truth = match &args.truth {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read --truth {}: {e}", path.display()))?;
            Some(
                zcc_projector::TruthTable::from_jsonl(&path.display().to_string(), &text)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        None => None,
    };
    let scope = zcc_projector::EvalScope { since_ms, truth };
    let report = zcc_projector::evaluate(store.as_ref(), &args.rule, &args.param, scope).await?;
    match args.format {
        ReportFormat::Text => println!("{report}"),
        ReportFormat::Json | ReportFormat::Jsonl => {
            println!("{}", serde_json::to_string_pretty(&report)?)
        }
    }
    Ok(ExitCode::SUCCESS)
}
