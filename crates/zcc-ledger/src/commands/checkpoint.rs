//! `zcc-ledger checkpoint`: `SIZE:HASH` on the first line, for an auditor to keep.

use std::process::ExitCode;
use std::sync::Arc;

use zcc_store::EventLog;

pub async fn run(log: Arc<dyn EventLog>) -> anyhow::Result<ExitCode> {
    let head = log.head().await?;
    println!("{head}");
    println!(
        "# {} events; keep this line: `zcc-ledger verify --checkpoint {head}` proves a later log extends it",
        head.size
    );
    Ok(ExitCode::SUCCESS)
}
