//! `zcc-ledger checkpoint`: exactly `SIZE:HASH` on stdout, for an auditor to keep, so that
//! `zcc-ledger verify --checkpoint "$(zcc-ledger checkpoint)"` works; the hint goes to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use zcc_store::EventLog;

use crate::cli::{CheckpointArgs, TextOrJson};

pub async fn run(log: Arc<dyn EventLog>, args: &CheckpointArgs) -> anyhow::Result<ExitCode> {
    let head = log.head().await?;
    match args.format {
        TextOrJson::Text => println!("{head}"),
        TextOrJson::Json => {
            let checkpoint = head.to_string();
            let json = serde_json::json!({
                "size": head.size, "hash": head.hash, "checkpoint": checkpoint,
            });
            println!("{json}");
            return Ok(ExitCode::SUCCESS);
        }
    }
    eprintln!(
        "# {} events; keep this line: `zcc-ledger verify --checkpoint {head}` proves a later log extends it",
        head.size
    );
    Ok(ExitCode::SUCCESS)
}
