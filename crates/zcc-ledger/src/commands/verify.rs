//! `zcc-ledger verify [--checkpoint SIZE:HASH]`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use zcc_store::verify::{VerifyReport, verify};
use zcc_store::{EventLog, Head};

use crate::cli::{TextOrJson, VerifyArgs};
use crate::progress;

pub async fn run(log: Arc<dyn EventLog>, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let checkpoint = args
        .checkpoint
        .as_deref()
        .map(Head::parse)
        .transpose()
        .map_err(|e| anyhow!("--checkpoint: {e}"))?;
    let size = log.head().await?.size;
    let bar = progress::items(Some(size as u64), "verifying");
    let report = verify(log.as_ref(), checkpoint, |n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    let code = if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if args.format == TextOrJson::Json {
        let mut json = serde_json::to_value(&report)?;
        json["ok"] = serde_json::Value::Bool(report.ok());
        println!("{json}");
        return Ok(code);
    }
    print_text(&report);
    Ok(code)
}

fn print_text(report: &VerifyReport) {
    println!(
        "checked {} of {} entries; head {}",
        report.entries_checked, report.head.size, report.head
    );
    if report.chain_v1_entries > 0 {
        println!(
            "{} entries are in chain format v1 (appended before chain v2: their received_at and \
             source are not under the chain)",
            report.chain_v1_entries
        );
    }
    if let Some((position, reason)) = &report.first_bad {
        println!("FAIL: first bad position {position}: {reason}");
    }
    for guard in &report.missing_guards {
        println!("FAIL: immutability guard missing or disabled: {guard}");
    }
    if let Some(c) = &report.checkpoint {
        match &c.reason {
            None => println!("checkpoint {} is extended by this log", c.checkpoint),
            Some(reason) => println!("FAIL: checkpoint {} not extended: {reason}", c.checkpoint),
        }
    }
    if report.ok() {
        println!("OK");
    }
}
