//! `zcc-ledger simulate --calls N [--seed S] [--output PATH | --target URL] [--truth PATH]
//! [--conference-shape documented|guessed]`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use zcc_sim::{SimConfig, SimItem, generate};

use crate::cli::SimulateArgs;
use crate::progress;

pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig {
        calls: args.calls,
        seed: args.seed,
        explicit_conference_share: args.explicit_conference_share,
        conference_shape: args.conference_shape.into(),
        ..SimConfig::default()
    };
    let generator = generate(&config)?;
    let bar = progress::items(Some(args.calls), "simulating calls");
    let mut truth = args
        .truth
        .as_deref()
        .map(|p| create(p).map(BufWriter::new))
        .transpose()?;
    let mut calls_done = 0u64;
    // Truth rows are written as they come; bodies go to the file or the target.
    let mut on_truth = move |row: &zcc_sim::TruthRow| -> anyhow::Result<()> {
        if row.table() == "engagements" {
            calls_done += 1;
            bar.set_position(calls_done);
        }
        if let Some(t) = truth.as_mut() {
            t.write_all(row.to_json_line().as_bytes())?;
            t.write_all(b"\n")?;
        }
        Ok(())
    };

    if let Some(target) = args.target {
        let Some(secret) = args
            .secret
            .as_deref()
            .and_then(|s| s.split(',').map(str::trim).find(|s| !s.is_empty()))
            .map(str::to_owned)
        else {
            bail!(
                "--target needs --secret (or ZCC_WEBHOOK_SECRET): the webhook secret the \
                 receiver verifies"
            );
        };
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(4096);
        let producer = std::thread::spawn(move || -> anyhow::Result<()> {
            for item in generator {
                match item {
                    SimItem::Webhook(d) => {
                        if tx.send(d.body).is_err() {
                            break;
                        }
                    }
                    SimItem::Truth(row) => on_truth(&row)?,
                }
            }
            Ok(())
        });
        let report = zcc_sim::send::post_all(
            &target,
            &secret,
            args.rate,
            args.concurrency,
            rx.into_iter(),
            |_| {},
        )
        .await?;
        producer
            .join()
            .map_err(|_| anyhow::anyhow!("the generator thread panicked"))??;
        println!("{report}");
        return Ok(if report.ok() == report.sent {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }

    let out: Box<dyn Write> = match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(p) => Box::new(create(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut bodies = 0u64;
    for item in generator {
        match item {
            SimItem::Webhook(d) => {
                out.write_all(d.body.as_bytes())?;
                out.write_all(b"\n")?;
                bodies += 1;
            }
            SimItem::Truth(row) => on_truth(&row)?,
        }
    }
    out.flush()?;
    eprintln!("simulated {} calls: {bodies} deliveries", args.calls);
    Ok(ExitCode::SUCCESS)
}

fn create(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}
