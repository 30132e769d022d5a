//! `rules`, `generations`, `reproject`, `activate`, `retire`.

use std::process::ExitCode;
use std::sync::Arc;

use zcc_projector::{Progress, ProgressSink};
use zcc_store::projection::Backend;

use crate::cli::{GenerationsArgs, ReprojectArgs, RulesArgs, TextOrJson};
use crate::commands::select::parse_id;
use crate::progress;

pub fn rules(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    if args.format == TextOrJson::Json {
        let rules: Vec<_> = zcc_model::rules::registry()
            .iter()
            .map(|info| {
                let params: Vec<_> = info
                    .params
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "name": p.name, "default": p.default, "description": p.description,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "name": info.name,
                    "version": info.version,
                    "default": info.is_default,
                    "description": info.description,
                    "params": params,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rules)?);
        return Ok(ExitCode::SUCCESS);
    }
    for info in zcc_model::rules::registry() {
        let default = if info.is_default { " (default)" } else { "" };
        println!("{}@{}{default}", info.name, info.version);
        println!("    {}", info.description);
        for p in info.params {
            println!("    --param {}={}    {}", p.name, p.default, p.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn list(store: Arc<dyn Backend>, args: &GenerationsArgs) -> anyhow::Result<ExitCode> {
    let head = store.head().await?.size;
    if args.format == TextOrJson::Json {
        let generations: Vec<_> = store
            .generations()
            .await?
            .into_iter()
            .map(|g| {
                serde_json::json!({
                    "id": g.id,
                    "state": g.state.as_str(),
                    "rule": g.rule_name,
                    "rule_identity": g.rule_identity,
                    "params": serde_json::from_str::<serde_json::Value>(&g.params)
                        .unwrap_or(serde_json::Value::String(g.params)),
                    "checkpoint": g.checkpoint.0,
                    "log_size": head,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&generations)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>4}  {:<9} {:<28} {:>21}",
        "id", "state", "rule", "checkpoint / log"
    );
    for g in store.generations().await? {
        println!(
            "{:>4}  {:<9} {:<28} {:>10} / {:<10}",
            g.id,
            g.state.as_str(),
            g.rule_identity,
            g.checkpoint.0,
            head
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn reproject(store: Arc<dyn Backend>, args: ReprojectArgs) -> anyhow::Result<ExitCode> {
    let head = store.head().await?.size;
    let bar = progress::items(Some(head as u64), "reprojecting");
    let sink = BarSink(bar.clone());
    let report = match args.resume {
        Some(id) => {
            zcc_projector::resume(
                store.as_ref(),
                parse_id(&id)?,
                args.activate,
                zcc_projector::RebuildOptions::default(),
                store.clone().log_scan(),
                &sink,
            )
            .await?
        }
        None => {
            let Some(rule) = args.rule.as_deref() else {
                anyhow::bail!("reproject needs --rule NAME (or --resume GENERATION)");
            };
            zcc_projector::reproject_with(
                store.as_ref(),
                zcc_projector::RebuildRequest {
                    rule_name: rule,
                    params: &args.param,
                    activate: args.activate,
                    options: zcc_projector::RebuildOptions::default(),
                    scan: store.clone().log_scan(),
                },
                &sink,
            )
            .await?
        }
    };
    bar.finish_and_clear();
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

struct BarSink(indicatif::ProgressBar);

impl ProgressSink for BarSink {
    fn report(&self, p: &Progress) {
        self.0.set_length(p.head.max(0) as u64);
        self.0.set_position(p.position.max(0) as u64);
    }
}

pub async fn activate(store: Arc<dyn Backend>, id: &str) -> anyhow::Result<ExitCode> {
    let report = zcc_projector::activate(store.as_ref(), parse_id(id)?).await?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

pub async fn retire(store: Arc<dyn Backend>, id: &str) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    zcc_projector::retire(store.as_ref(), id).await?;
    println!("generation {id} retired");
    Ok(ExitCode::SUCCESS)
}
