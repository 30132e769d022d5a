//! `zcc-ledger checkpoint`: exactly `SIZE:HASH` on stdout, for an auditor to keep, so that
//! `zcc-ledger verify --checkpoint "$(zcc-ledger checkpoint)"` works; the hint goes to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use zcc_store::EventLog;

pub async fn run(log: Arc<dyn EventLog>) -> anyhow::Result<ExitCode> {
    let head = log.head().await?;
    println!("{head}");
    eprintln!(
        "# {} events; keep this line: `zcc-ledger verify --checkpoint {head}` proves a later log extends it",
        head.size
    );
    Ok(ExitCode::SUCCESS)
}
